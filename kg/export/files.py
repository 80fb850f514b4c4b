"""Writing outputs safely: a file is written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Callable

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
    atomic_write(path, lambda f: f.write(data))


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
