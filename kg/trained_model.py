"""Model folders on disk, without loading spaCy, thinc or torch: whether kg train saved one (its
meta.json's "kg" section), whether kg train may write one at a path, and replacing one whole.

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
    Anything else (a folder of other files, a file, a symbolic link, the working directory or a
    folder above it) is a ConfigError, so kg never deletes what it did not write.

    >>> check_output("models/new")
    PosixPath('models/new')
    """
    output = Path(output)
    try:
        if Path.cwd().resolve().is_relative_to(output.resolve()):
            raise ConfigError(
                f"{output}: is the working directory or a folder above it; give a new folder for the model"
            )
        if output.is_symlink() or (output.exists() and not output.is_dir()):
            what = "a symbolic link" if output.is_symlink() else "not a folder"
            raise ConfigError(f"{output}: is {what}; give a folder for the model")
        foreign = output.is_dir() and any(output.iterdir()) and not is_trained_model(output)
    except (OSError, RuntimeError) as exc:
        raise ConfigError(f"{output}: cannot use this output folder ({exc})") from None
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
    old = staging.with_name(staging.name + "-old")
    try:
        write(staging)
        check_output(output)  # again: the folder may have changed while the model trained
        if output.exists():
            os.replace(output, old)
        os.replace(staging, output)
    finally:
        if old.exists() and not output.exists():  # the swap failed: the previous model comes back
            os.replace(old, output)
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
