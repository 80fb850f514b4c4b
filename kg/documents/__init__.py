"""Stage 1: find the documents under the given paths and load them.

Each file is read by the reader registered for its suffix in `kg.registry.readers` (.txt, .md,
.html, .pdf, .docx, .jsonl ...; a package adds its own through the entry point group
``kg_readers``, see kg.documents.readers).

Example:
    >>> from kg.documents import load_documents
    >>> docs = list(load_documents(["data/"]))  # doctest: +SKIP
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kg import registry
from kg.documents import markdown, readers, word  # noqa: F401  (they register their readers)
from kg.documents.readers import Skipped, display_path
from kg.errors import DocumentLoadError, one_line
from kg.model import Document

Reader = Callable[[Path, str], Iterable["Document | Skipped"]]

__all__ = [
    "load_documents",
    "find_sources",
    "read_file",
    "display_path",
    "Skipped",
    "DocumentStream",
    "readers_by_suffix",
    "log_skip",
]


def readers_by_suffix() -> dict[str, Reader]:
    """Every registered reader by the lower-case suffix it reads, those of entry points included
    (an entry point named "rtf" reads ".rtf").

    Example:
        >>> sorted(readers_by_suffix())[:3]
        ['.docx', '.htm', '.html']
    """
    found: dict[str, Reader] = {}
    for name, reader in registry.readers.get_all().items():
        suffix = name.lower() if name.startswith(".") else "." + name.lower()
        found.setdefault(suffix, reader)
    return dict(sorted(found.items()))


def unsupported(path: Path, known: Iterable[str]) -> str:
    """Why a file is not read: its type, and the types kg reads."""
    return f"unsupported file type {path.suffix.lower() or '(none)'}; use one of {', '.join(known)}"


def find_sources(
    paths: Iterable[str | Path], on_skip: Callable[[Skipped], None] | None = None
) -> list[tuple[Path, str]]:
    """Every file to read under `paths`, with the document id it gets.

    Ids are paths relative to the common root of the inputs (a folder given is its own root, a
    file's root is its folder): `kg build data/` gives `samples/x.txt`, `kg build a/017.txt
    b/017.txt` gives `a/017.txt` and `b/017.txt`; the same inputs always give the same ids. A file
    name that is not valid UTF-8 keeps its bytes as `\\xNN` escapes in the id.

    Files found and not read (an unsupported type, a symbolic link loop or a broken link, a folder
    that cannot be listed, a special file) are reported through `on_skip`; hidden files are left out
    silently. Raises DocumentLoadError for a path that does not exist or a folder with no supported file.
    """
    report = on_skip or (lambda skipped: None)
    known = tuple(readers_by_suffix())
    inputs = [Path(raw) for raw in paths]
    roots: list[str] = []
    for path in inputs:
        if not path.exists():
            if path.is_symlink():
                raise DocumentLoadError(display_path(path), "broken symbolic link")
            raise DocumentLoadError(display_path(path), "no such file or folder")
        if not (path.is_dir() or path.is_file()):
            raise DocumentLoadError(display_path(path), "not a regular file or folder")
        absolute = os.path.normpath(path.absolute())
        roots.append(absolute if path.is_dir() else os.path.dirname(absolute))
    try:
        common = os.path.commonpath(roots) if roots else ""
    except ValueError:  # different drives (Windows): ids relative to each input's own root
        common = ""
    found: list[tuple[Path, str]] = []
    seen: dict[tuple[int, int], str] = {}
    for path, root in zip(inputs, roots):
        base = common or root
        if path.is_dir():
            files: list[Path] = []
            _walk(path, files, report, set(), known)
            if not files:
                raise DocumentLoadError(display_path(path), f"no {', '.join(known)} files in this folder")
        else:
            files = [path]
        for file in files:
            key, doc_id = _file_key(file), doc_id_of(file, base)
            if key is not None and key in seen:  # given twice (a file inside a folder also given, or a link to it)
                if seen[key] != doc_id:
                    report(Skipped(display_path(file), f"the same file as {seen[key]!r}, read once"))
                continue
            if key is not None:
                seen[key] = doc_id
            found.append((file, doc_id))
    return found


def doc_id_of(file: Path, root: str) -> str:
    """The id of the document in `file`: its path below `root`, with "/" between folders."""
    relative = os.path.relpath(os.path.normpath(file.absolute()), root)
    return display_path(Path(relative).as_posix())


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _walk(
    folder: Path,
    files: list[Path],
    report: Callable[[Skipped], None],
    ancestors: set[tuple[int, int]],
    known: tuple[str, ...],
) -> None:
    """Supported files below `folder` in a stable order; what is found and not read goes to `report`."""
    try:
        stat = folder.stat()
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        report(Skipped(display_path(folder), f"folder not read ({exc.strerror or exc})"))
        return
    ancestors = ancestors | {(stat.st_dev, stat.st_ino)}
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_link = entry.is_symlink()
            if entry.is_dir():
                target = path.stat()
                if (target.st_dev, target.st_ino) in ancestors:
                    report(
                        Skipped(display_path(path), "symbolic link loop (a link to a folder above it), not followed")
                    )
                    continue
                _walk(path, files, report, ancestors, known)
            elif entry.is_file():
                if path.suffix.lower() in known:
                    files.append(path)
                else:
                    report(Skipped(display_path(path), unsupported(path, known)))
            elif is_link:
                report(Skipped(display_path(path), _link_problem(path)))
            else:
                report(Skipped(display_path(path), "not a regular file (a device, socket or pipe)"))
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                report(Skipped(display_path(path), "symbolic link loop"))
            else:
                report(Skipped(display_path(path), f"not read ({exc.strerror or exc})"))


def _link_problem(path: Path) -> str:
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        if exc.errno == errno.ENOENT:
            return "broken symbolic link"
        return f"symbolic link not followed ({exc.strerror or exc})"
    return "symbolic link to something that is not a file or folder"


def load_documents(paths: Iterable[str | Path], on_skip: Callable[[Skipped], None] | None = None) -> DocumentStream:
    """Load every document under `paths`, lazily, in a stable order.

    A file that cannot be loaded is skipped and reported through `on_skip`; so is a document whose
    id repeats one already loaded. The stream carries `on_skip`, so later stages (a document that
    fails in annotation) report through it too.
    """
    return DocumentStream(_load(paths, on_skip or (lambda skipped: None)), on_skip)


class DocumentStream:
    """An iterator of Documents that also carries where skipped documents are reported."""

    def __init__(self, documents: Iterator[Document], on_skip: Callable[[Skipped], None] | None) -> None:
        self._documents = documents
        self.on_skip = on_skip

    def __iter__(self) -> DocumentStream:
        return self

    def __next__(self) -> Document:
        return next(self._documents)


def _load(paths: Iterable[str | Path], report: Callable[[Skipped], None]) -> Iterator[Document]:
    seen: set[str] = set()
    by_suffix = readers_by_suffix()
    for path, doc_id in find_sources(paths, report):
        reader = by_suffix.get(path.suffix.lower())
        if reader is None:  # a file given by name
            report(Skipped(display_path(path), unsupported(path, by_suffix)))
            continue
        try:
            for item in reader(path, doc_id):
                if isinstance(item, Skipped):
                    report(item)
                elif item.id in seen:
                    report(Skipped(item.info.source, f"duplicate document id {item.id!r}"))
                else:
                    seen.add(item.id)
                    yield item
        except DocumentLoadError as exc:
            report(Skipped(exc.source, exc.problem))
        except (
            ValueError,
            TypeError,
            AttributeError,
            LookupError,
            RecursionError,
        ) as exc:  # a reader's bug on odd input
            report(Skipped(display_path(path), f"not read ({exc.__class__.__name__}: {one_line(exc, empty='')})"))


def log_skip(skipped: Skipped) -> None:
    """Where skipped documents go when the caller gives no `on_skip`: kg's log."""
    import logging

    logging.getLogger("kg").warning("skipped %s", skipped)


def read_file(path: Path, doc_id: str) -> list[Document]:
    """The documents of one file, the first under `doc_id` (a JSONL file's lines keep their own ids;
    its malformed lines are left out).

    Raises DocumentLoadError for a file that cannot be read or is of a type no reader reads.
    """
    by_suffix = readers_by_suffix()
    reader = by_suffix.get(path.suffix.lower())
    if reader is None:
        raise DocumentLoadError(display_path(path), unsupported(path, by_suffix))
    return [item for item in reader(path, doc_id) if not isinstance(item, Skipped)]
