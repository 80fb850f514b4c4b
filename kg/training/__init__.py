"""kg train: learned entity and relation extraction from gold JSONL (see kg.training.loops).

The modules, bottom up: config (TrainConfig, saved with each model; JointSpec), decoding and
marked (segments, BIO and span decoding, marked readings: no torch), encoders (transformer folders
and packaged encoders), component (kg_relation_extractor, spaCy and thinc), joint (kg_joint_extractor)
and networks (its torch modules), gold (gold documents as training data), loops (training). Model
folders on disk (is this one, may kg train write there) are kg.trained_model's, which imports none
of this. The names below are re-exported lazily: importing kg.training.config (the CLI does) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOME = {
    "TrainConfig": "config",
    "JointSpec": "config",
    "CONFIG_FILE": "config",
    "CONFIG_VERSION": "config",
    "TrainResult": "loops",
    "train": "loops",
    "early_stopping": "loops",
    "reference_doc": "gold",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'kg.training' has no attribute {name!r}")
    return getattr(import_module(f"kg.training.{_HOME[name]}"), name)
