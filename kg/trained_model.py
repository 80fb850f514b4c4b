"""Model folders on disk, without loading them: whether kg train saved one (its meta.json's "kg"
section), whether kg train may write one at a path, and replacing one whole.

Nothing here imports spaCy, thinc or torch, so kg build, kg eval and kg train's checks of their
arguments ask without loading any (kg.training saves the folders and writes the keys).

    >>> is_trained_model("en_core_web_sm")  # a package name, not a folder kg train saved
    False
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kg.errors import ConfigError

META_KEY = "kg"  # the section of a spaCy pipeline's meta.json that kg train writes


def trained_meta(path: str | Path) -> dict[str, Any] | None:
    """The "kg" section of the meta.json of a pipeline saved by kg train, or None for anything else
    (a package name, a folder without meta.json, a spaCy pipeline kg did not train).

    >>> trained_meta("no/such/folder") is None
    True
    """
    try:
        meta = json.loads((Path(path) / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    section = meta.get(META_KEY) if isinstance(meta, dict) else None
    return section if isinstance(section, dict) else None


def is_trained_model(path: str | Path) -> bool:
    """Whether `path` is a pipeline saved by kg train."""
    return trained_meta(path) is not None


def check_output(output: str | Path) -> Path:
    """The folder kg train may save a model in: a new or empty folder, or a model kg train saved.

    Anything else is a ConfigError, so kg never deletes what it did not write: a folder holding
    other files, a file, a symbolic link, the working directory, the home folder and any folder
    above the working directory.

    >>> check_output("models/new")
    PosixPath('models/new')
    """
    output = Path(output)
    try:
        target, cwd, home = output.resolve(), Path.cwd().resolve(), Path.home().resolve()
    except (OSError, RuntimeError) as exc:
        raise ConfigError(f"{output}: cannot use this output folder ({exc})") from None
    if target == home or cwd.is_relative_to(target):
        above = "a folder above the working directory"
        what = "the home folder" if target == home else "the working directory" if target == cwd else above
        raise ConfigError(
            f"{output}: is {what}; kg train replaces its output folder, so give a new folder for the model"
        )
    if output.is_symlink():
        raise ConfigError(f"{output}: is a symbolic link; give the model folder itself")
    if output.exists() and not output.is_dir():
        raise ConfigError(f"{output}: exists and is not a folder")
    try:
        foreign = output.is_dir() and any(output.iterdir()) and not is_trained_model(output)
    except OSError as exc:
        raise ConfigError(f"{output}: cannot read the output folder ({exc.strerror})") from None
    if foreign:
        raise ConfigError(
            f"{output}: is not empty and holds no kg model; kg train replaces only a model it saved, "
            "so give a new or empty folder"
        )
    return output


def replace_model(output: Path, write: Callable[[Path], None]) -> None:
    """Write a model folder with `write(folder)` beside `output`, then swap it in: never a
    half-written model, and nothing but a model kg train saved is replaced (checked again now)."""
    output = check_output(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}-"))
    old = None
    try:
        write(staging)
        check_output(output)  # again: the folder may have changed while the model trained
        if output.exists():
            old = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}-old-"))
            os.replace(output, old)
        try:
            os.replace(staging, output)
        except OSError:
            if old is not None and not output.exists():
                os.replace(old, output)
                old = None
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
