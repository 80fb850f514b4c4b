"""The training configuration: one frozen, versioned dataclass, saved with every model as
train_config.json and read back by `kg train --config FILE` (as spaCy's config.cfg is).

    >>> config = TrainConfig(seed=3)
    >>> TrainConfig.from_dict(config.to_dict()) == config
    True
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from pydantic import TypeAdapter, ValidationError

from kg.errors import ConfigError, ModelError
from kg.resources import DEFAULT_MODEL

CONFIG_VERSION = 1
CONFIG_FILE = "train_config.json"


@dataclass(frozen=True)
class TrainConfig:
    """Everything kg train decides, with the values the README's figures were measured with."""

    version: int = CONFIG_VERSION
    base_model: str = DEFAULT_MODEL  # the spaCy pipeline to start from
    seed: int = 0
    max_epochs: int = 30  # of the relation classifier, or of the encoder with `encoder`
    patience: int = 6  # stop after this many epochs without a better dev relation F1
    entity_types: dict[str, str | None] = field(default_factory=dict)  # data label -> kg node type
    threshold: float = 0.5  # a relation is kept from this probability
    # spaCy only (no encoder): NER fine-tuned, then kg_relation_extractor on the frozen token vectors
    ner_epochs: int = 15
    batch_size: int = 16
    dropout: float = 0.2
    hidden_width: int = 128
    max_pair_distance: int = 40  # tokens between the starts of a candidate pair's entities
    positive_weight: float = 3.0  # loss weight of the (rare) gold pairs
    # with an encoder: kg_joint_extractor on a fine-tuned transformer (a folder or a packaged name)
    encoder: str | None = None
    encoder_lr: float = 5e-5
    head_lr: float = 1e-3
    encoder_batch_size: int = 8
    encoder_dropout: float = 0.1
    joint_hidden_width: int = 512
    max_words: int = 100  # words of a segment (whole sentences)
    freeze_embeddings: bool = True  # the word-piece table: most of a small encoder's weights, little gain
    span_entities: bool = False  # a span classifier beside the BIO tagger; the dev split picks one
    max_span: int = 20  # longest span scored, in words (capped by the data's longest entity)
    none_span_weight: float = 0.3  # loss weight of spans that are no entity (about 100 for each that is)
    marked_relations: bool = False  # a second encoder reads each subject's objects marked in the text
    reader_epochs: int = 4
    tag_loss_weight: float = 10.0
    span_loss_weight: float = 10.0
    relation_loss_weight: float = 5.0
    reader_loss_weight: float = 5.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any, source: str = "the configuration") -> TrainConfig:
        """A configuration from a dict as `to_dict` writes it; keys left out take their defaults.
        A wrong version, an unknown key or a value of the wrong type is a ConfigError naming it."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: not a JSON object of settings")
        if data.get("version", CONFIG_VERSION) != CONFIG_VERSION:
            raise ConfigError(
                f"{source}: configuration version {data['version']!r}; this kg reads version {CONFIG_VERSION}"
            )
        types, values = get_type_hints(cls), {}
        for key, value in data.items():
            if key not in types:
                raise ConfigError(f"{source}: unknown setting {key!r}; use one of: {', '.join(sorted(types))}")
            try:  # strict: no "3" for 3, no 1 for True; an int where a float goes becomes that float
                values[key] = TypeAdapter(types[key]).validate_python(value, strict=True)
            except ValidationError:
                raise ConfigError(f"{source}: {key} = {value!r} is not of type {cls.__annotations__[key]}") from None
        return cls(**values)

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        """Read a configuration file (the train_config.json of a saved model, or one written by hand)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the configuration ({exc})") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: invalid JSON ({exc.msg}, line {exc.lineno})") from None
        return cls.from_dict(data, str(path))

    def save(self, folder: Path) -> None:
        (Path(folder) / CONFIG_FILE).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class JointSpec:
    """What kg_joint_extractor's network is made of and how it decodes, saved as its cfg.json (keys
    an older model lacks take these defaults). Every width of the network is computed here."""

    entity_labels: list[str]
    relation_labels: list[str]
    signatures: list[list[str]]  # (head label, tail label, relation label) seen in training
    hint_labels: list[str]  # the base NER's labels, whose tags are hints
    tensor_width: int  # of the base pipeline's token vectors (0: none)
    hidden_width: int
    dropout: float
    max_span: int = 0  # > 0: a span classifier of spans of up to this many words beside the BIO tagger
    shapes: int = 5  # word shapes (decoding.SHAPES), doubled with the glued-word hint of span training
    entity_decoder: str = "bio"  # or "spans"
    entity_threshold: float = 0.5
    relation_decoder: str = "pooled"  # or "marked" (the reader), or "both" (the mean of the two)
    shape_width: int = 16
    hint_width: int = 16
    label_width: int = 32
    distance_width: int = 16
    distances: int = 10  # distance buckets (bit lengths of the word distance)
    span_width_width: int = 32

    @property
    def tags(self) -> list[str]:
        """The BIO tags: O, then B- and I- of each entity label."""
        return ["O"] + [f"{p}-{label}" for label in self.entity_labels for p in "BI"]

    def word_width(self, encoder_width: int) -> int:
        """A word's vector: its first word-piece's, its shape and hint embeddings, its token vector."""
        return encoder_width + self.shape_width + self.hint_width + self.tensor_width

    def pair_width(self, encoder_width: int) -> int:
        """A candidate pair's vector: head, tail and between (pooled words), labels, distance, [CLS]."""
        return 3 * self.word_width(encoder_width) + 2 * self.label_width + self.distance_width + encoder_width

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> JointSpec:
        """The spec of a saved cfg.json; an ensemble or pair attention (older kg) is a ModelError."""
        if data.get("members", 1) != 1 or data.get("pair_width", 0):
            raise ModelError(
                f"{source}: saved with --encoder twice or --pair-attention, which kg no longer has; retrain it"
            )
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError as exc:
            raise ModelError(f"{source}: not a kg_joint_extractor configuration ({exc})") from None
