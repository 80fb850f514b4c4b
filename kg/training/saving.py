"""Where kg train may save a model, and saving it whole: written beside the target, then swapped in,
so there is never a half-written model and nothing but a kg model is ever replaced."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from kg.errors import ConfigError
from kg.trained_model import is_trained_model
from kg.training.config import TrainConfig


def check_output(output: str | Path) -> Path:
    """The folder kg train may save a model in: a new or empty folder, or a model kg train saved.

    Anything else is refused before training starts, so kg never deletes what it did not write:
    a folder holding other files, a file, a symbolic link, the working directory, the home folder
    and any folder above the working directory.

    >>> check_output("models/new")
    PosixPath('models/new')
    """
    output = Path(output)
    try:
        target, cwd, home = output.resolve(), Path.cwd().resolve(), Path.home().resolve()
    except (OSError, RuntimeError) as exc:
        raise ConfigError(f"{output}: cannot use this output folder ({exc})") from None
    if target == home or cwd.is_relative_to(target):
        what = "the home folder" if target == home else "the working directory" if target == cwd else "a folder above the working directory"
        raise ConfigError(f"{output}: is {what}; kg train replaces its output folder, so give a new folder for the model")
    if output.is_symlink():
        raise ConfigError(f"{output}: is a symbolic link; give the model folder itself")
    if output.exists() and not output.is_dir():
        raise ConfigError(f"{output}: exists and is not a folder")
    try:
        foreign = output.is_dir() and any(output.iterdir()) and not is_trained_model(output)
    except OSError as exc:
        raise ConfigError(f"{output}: cannot read the output folder ({exc.strerror})") from None
    if foreign:
        raise ConfigError(f"{output}: is not empty and holds no kg model; kg train replaces only a model it saved, "
                          "so give a new or empty folder")
    return output


def save_model(nlp: Any, output: Path, config: TrainConfig, dev: dict[str, Any], history: list[dict[str, Any]]) -> None:
    """Save the pipeline (its meta's "kg" section already set), train_config.json and training.json
    (the history and dev scores) to `output`, replacing a model kg train saved there before."""
    output = check_output(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}-"))
    old = None
    try:
        nlp.to_disk(staging)
        config.save(staging)
        (staging / "training.json").write_text(json.dumps({"history": history, "dev": dev}, indent=1))
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
