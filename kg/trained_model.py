"""What kg knows of a model folder without loading it: whether kg train saved it, and its "kg" meta.

It reads the folder's meta.json and nothing else, so kg build and kg eval can ask without importing
spaCy's training code, thinc or torch (kg.training, which saves these folders, writes the keys).

    >>> is_trained_model("en_core_web_sm")  # a package name, not a folder kg train saved
    False
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
