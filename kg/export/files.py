"""Writing outputs safely: a file is written whole or not at all."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from kg.errors import ExportError


def atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write `path` through `write(file)` into a temporary file, then rename it into place."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ExportError(f"{path.parent}: cannot write here ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ExportError(f"{path}: cannot write ({exc.strerror})") from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (see atomic_write)."""

    def write(file: IO[bytes]) -> None:
        file.write(data)

    atomic_write(path, write)


def prepare_output_dir(path: Path) -> Path:
    """Create the output folder if needed and check that files can be written in it."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ExportError(f"{path}: exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=path, prefix=".kg-probe-", delete=True)
        probe.close()
    except OSError as exc:
        raise ExportError(f"{path}: output folder is not writable ({exc.strerror})") from None
    return path


# --- the output set of a build, replaced as one ------------------------------------------------

#: every file name a build may write into its output folder
KG_FILES = frozenset(
    {
        "graph.ttl",
        "graph.nt",
        "graph.jsonld",
        "graph.trig",
        "graph.gexf",
        "graph.graphml",
        "nodes.csv",
        "edges.csv",
        "graph.json",
        "report.json",
    }
)
MANIFEST = ".kg-output.json"  # in the output folder: the files the last build wrote (written with them)
# beside the output folder: .<name>.kg-staging-<pid>-<random>; inside it: .kg-staging-<pid>-<random>
_STAGING = ".kg-staging-"
_KG_NAMES = "|".join(re.escape(n) for n in sorted(KG_FILES))
_LEFTOVER = re.compile(rf"^(?:\.(?:{_KG_NAMES})\..+\.tmp|\.kg-probe-.*|\.{re.escape(MANIFEST.lstrip('.'))}\..+\.tmp)$")
PAUSE_ENV = "KG_TEST_PAUSE"  # tests: pause (print a line, then sleep) at the named points of replace_output_set


def check_output_dir(path: Path) -> Path:
    """Fail early, creating nothing, if `path` cannot become the output folder of a build."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ExportError(f"{path}: exists and is not a folder")
    existing = Path(os.path.abspath(path))
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ExportError(f"{path}: output folder is not writable ({existing} is not a folder)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ExportError(f"{path}: output folder is not writable (permission denied on {existing})")
    return path


def pause(point: str) -> None:
    wanted = os.environ.get(PAUSE_ENV)
    if wanted and (wanted == "*" or point in wanted.split(",")):
        print(f"kg-test-pause: {point}", file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get("KG_TEST_PAUSE_SECONDS", "600")))


def replace_output_set(folder: Path, write: Callable[[Path], list[str]]) -> None:
    """Replace the files a build writes in `folder` as one set.

    `write(staging)` writes every file into a fresh staging folder beside `folder` and returns their
    names. The staging folder then gets hard links to whatever else `folder` holds (the user's own
    files: kg's files of an earlier build are left out), and the two folders are swapped in one
    step (renameat2 RENAME_EXCHANGE on Linux; elsewhere two renames, repaired by the next build if a
    kill falls between them). A kill at any moment leaves the old set or the new set; what a killed
    build left (staging folders, temporary files) is removed by the next one, which never deletes a
    file kg did not write. Where the folder cannot be swapped (it is the working directory, a mount
    point or a symbolic link, or holds files that cannot be hard-linked) the files are moved in one
    by one instead, and only that is not atomic.
    """
    target = Path(os.path.abspath(folder))
    check_output_dir(target)
    recover_output_dir(target)
    swap = _can_swap(target)
    created = [p for p in [target, *target.parents] if not p.exists()]
    try:
        (target.parent if swap else target).mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(target, swap), dir=target.parent if swap else target))
    except OSError as exc:
        raise ExportError(f"{folder}: output folder is not writable ({exc.strerror or exc})") from None
    try:
        names = write(staging)
        _write_manifest(staging, names)
        pause("staged")
        old_names = _kg_names(target)
        if swap and target.exists():
            swap = _link_foreign(target, staging, old_names | set(names))
        if swap:
            pause("linked")
            _exchange(target, staging)
            pause("swapped")
            _dispose(staging, target, old_names)
            pause("disposed")
        else:
            for name in [*names, MANIFEST]:
                os.replace(staging / name, target / name)
                pause(f"moved:{name}")
            for name in old_names - set(names) - {MANIFEST}:
                (target / name).unlink(missing_ok=True)
            _dispose(staging, target, set())
    except BaseException as exc:
        if staging.exists():
            _dispose(staging, target, set(), keep_only_foreign=True)
        for path in created:
            _rmdir(path)
        if isinstance(exc, OSError):
            raise ExportError(f"{folder}: cannot write the output files ({exc.strerror or exc})") from None
        raise


def recover_output_dir(folder: Path) -> None:
    """Finish or undo what a killed build left around `folder`: if the folder itself is missing
    (killed between the two renames of a swap), the complete staging folder (or the old folder)
    becomes it again; then stale staging folders and temporary files of killed builds are removed.
    Folders of a build still running (its process id is alive) are left alone."""
    target = Path(os.path.abspath(folder))
    stale = [p for p in _stale(target.parent, f".{target.name}{_STAGING}") if p.is_dir()]
    if not os.path.lexists(target):
        complete = [p for p in stale if (p / MANIFEST).exists() and not (p / ".kg-old").exists()]
        old = [p for p in stale if (p / ".kg-old").exists()]
        for candidate in complete[:1] or old[:1]:
            os.rename(candidate, target)
            (target / ".kg-old").unlink(missing_ok=True)
            stale.remove(candidate)
    for path in stale:
        _dispose(path, target, set())
    if target.is_dir():
        for path in _stale(target, _STAGING):
            _dispose(path, target, set())
        for entry in os.scandir(target):
            if _LEFTOVER.match(entry.name) and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)


def _staging_prefix(target: Path, beside: bool) -> str:
    return f".{target.name}{_STAGING}{os.getpid()}-" if beside else f"{_STAGING}{os.getpid()}-"


def _stale(folder: Path, prefix: str) -> list[Path]:
    """Staging folders named `prefix<pid>-...` in `folder` whose build is no longer running."""
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix)]
    except OSError:
        return []
    out = []
    for entry in entries:
        pid = entry.name[len(prefix) :].split("-", 1)[0]
        if not (pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid))):
            out.append(Path(entry.path))
    return sorted(out)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _can_swap(target: Path) -> bool:
    if os.path.islink(target) or (target.exists() and os.path.ismount(target)):
        return False
    try:
        cwd = Path.cwd().resolve()
        if cwd == target.resolve() or target.resolve() in cwd.parents:  # the shell would be left in a removed folder
            return False
    except OSError:
        return False
    existing = target.parent
    while not existing.exists():
        existing = existing.parent
    return os.access(existing, os.W_OK | os.X_OK)


def _write_manifest(folder: Path, names: list[str]) -> None:
    atomic_write_bytes(
        folder / MANIFEST, json.dumps({"format": "kg-output", "files": sorted(names)}, indent=1).encode()
    )


def _kg_names(folder: Path) -> set[str]:
    """The files of `folder` that kg wrote: those its manifest lists (an older build without one:
    none, so nothing of the user's is ever taken for kg's)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return {n for n in data.get("files", []) if n in KG_FILES} | {MANIFEST}
    except (OSError, ValueError, AttributeError, TypeError):
        return {MANIFEST} if (folder / MANIFEST).exists() else set()


def _link_foreign(target: Path, staging: Path, ours: set[str]) -> bool:
    """Hard-link into `staging` everything of `target` kg did not write; False if that cannot be done."""
    try:
        for entry in os.scandir(target):
            if entry.name in ours or _LEFTOVER.match(entry.name) or entry.name.startswith(_STAGING):
                continue
            _link_tree(Path(entry.path), staging / entry.name)
        return True
    except OSError:
        return False


def _link_tree(source: Path, dest: Path) -> None:
    if source.is_symlink():
        os.symlink(os.readlink(source), dest)
    elif source.is_dir():
        dest.mkdir()
        shutil.copystat(source, dest)
        for entry in os.scandir(source):
            _link_tree(Path(entry.path), dest / entry.name)
    else:
        os.link(source, dest, follow_symlinks=False)


def _exchange(target: Path, staging: Path) -> None:
    """Swap the two folders' names: in one step where the system can, else by two renames."""
    if not target.exists():
        os.rename(staging, target)
        staging.mkdir()  # the "old" folder: empty
        return
    try:
        shutil.copystat(target, staging)
    except OSError:
        pass
    if _renameat2_exchange(target, staging):
        return
    old = staging.with_name(staging.name + "-old")
    os.rename(target, old)
    (old / ".kg-old").write_bytes(b"")  # tells recover_output_dir which folder is the old set
    pause("renamed-old")
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(old, target)
        (target / ".kg-old").unlink(missing_ok=True)
        raise
    os.rename(old, staging)


def _renameat2_exchange(a: Path, b: Path) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _dispose(old: Path, target: Path, kg_names: set[str], keep_only_foreign: bool = False) -> None:
    """Remove the folder `old` (an old output set or a staging folder) without losing a file kg did
    not write: kg's files go, hard links to files `target` also holds go, anything else is moved
    into `target` if it has nothing of that name, else left (and the folder with it)."""
    ours = kg_names | KG_FILES | {MANIFEST, ".kg-old"}
    try:
        entries = list(os.scandir(old))
    except OSError:
        return
    for entry in entries:
        path, counterpart = Path(entry.path), target / entry.name
        try:
            if entry.name in ours or _LEFTOVER.match(entry.name):
                if not entry.is_dir(follow_symlinks=False):
                    path.unlink()
                    continue
            if entry.is_dir(follow_symlinks=False):
                if counterpart.is_dir() and not counterpart.is_symlink():
                    _dispose(path, counterpart, set())
                    continue
            elif _same(path, counterpart):
                path.unlink()
                continue
            if not os.path.lexists(counterpart) and not keep_only_foreign and target.is_dir():
                os.rename(path, counterpart)
        except OSError:
            continue
    _rmdir(old)


def _same(a: Path, b: Path) -> bool:
    try:
        if a.is_symlink() or b.is_symlink():
            return a.is_symlink() and b.is_symlink() and os.readlink(a) == os.readlink(b)
        return os.path.samefile(a, b)
    except OSError:
        return False


def _rmdir(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass
