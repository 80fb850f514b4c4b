"""kg train: learned entity and relation extraction from gold JSONL.

Bottom up: config (TrainConfig, JointSpec), decoding (segments, BIO, spans, marked readings: no
torch), encoders, component (kg_relation_extractor: spaCy, thinc), joint (kg_joint_extractor) and
networks (its torch modules), gold (training data), loops (training). Names are re-exported lazily,
so importing kg.training.config (the CLI does) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOME = {"TrainConfig": "config", "JointSpec": "config", "TrainResult": "loops", "train": "loops"}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'kg.training' has no attribute {name!r}")
    return getattr(import_module(f"kg.training.{_HOME[name]}"), name)
