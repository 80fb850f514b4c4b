"""kg_relation_extractor: a trainable spaCy component that labels pairs of entities with relations,
in the style of spaCy's relation-extraction tutorial. A candidate pair (from a registered generator)
is the pipeline's token vectors (`doc.tensor`) pooled over the head, the tail and the words between,
with the two labels and their distance; a small network scores each relation label (sigmoid).
Predictions go to `doc.user_data["kg_relations"]` as (head start, head end, tail start, tail end,
label, score) in characters; gold relations ride in the reference Doc's user_data[GOLD].
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import permutations
from typing import Any, cast

import numpy
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import registry
from thinc.api import Linear, Model, Relu, chain
from thinc.types import Floats2d

from kg.gold import RELATIONS_KEY

USER_DATA = RELATIONS_KEY  # the name kg.relations.learned reads
GOLD = "kg_gold_relations"
DISTANCE_BUCKETS = (1, 2, 3, 5, 8, 13, 21, 1000)  # words between a pair's entities

Pair = tuple[Span, Span]


@registry.misc("kg.entity_pairs.v1")
def make_pair_generator(max_length: int = 40) -> Callable[[Doc], list[Pair]]:
    """Every ordered pair of entities no more than `max_length` tokens apart."""

    def pairs(doc: Doc) -> list[Pair]:
        return [(a, b) for a, b in permutations(doc.ents, 2) if abs(a.start - b.start) <= max_length]

    return pairs


def feature_width(tensor_width: int, labels: list[str]) -> int:
    """The width of a pair's features: head, tail and between vectors, the two labels (one-hot), the
    distance bucket (one-hot) and the order of the two."""
    return 3 * tensor_width + 2 * len(labels) + len(DISTANCE_BUCKETS) + 1


def pair_features(doc: Doc, pairs: list[Pair], labels: list[str], tensor_width: int) -> numpy.ndarray:
    """One row a pair (see `feature_width`); a Doc without token vectors (no tok2vec in the
    pipeline) has zeros of `tensor_width` in their place."""
    tensor = doc.tensor if doc.tensor.size else numpy.zeros((len(doc), tensor_width), dtype="float32")
    width, index = tensor.shape[1], {label: n for n, label in enumerate(labels)}
    rows = numpy.zeros((len(pairs), feature_width(width, labels)), dtype="float32")
    for n, (head, tail) in enumerate(pairs):
        left, right = sorted((head, tail), key=lambda s: s.start)
        for k, (start, end) in enumerate([(head.start, head.end), (tail.start, tail.end), (left.end, right.start)]):
            if end > start:
                rows[n, k * width : (k + 1) * width] = tensor[start:end].mean(0)
        for k, span in enumerate((head, tail)):
            if span.label_ in index:
                rows[n, 3 * width + k * len(labels) + index[span.label_]] = 1
        bucket = next(i for i, b in enumerate(DISTANCE_BUCKETS) if right.start - left.end <= b)
        rows[n, 3 * width + 2 * len(labels) + bucket] = 1
        rows[n, -1] = float(head.start < tail.start)
    return rows


@registry.architectures("kg.RelationClassifier.v1")
def make_relation_classifier(hidden_width: int = 128, dropout: float = 0.2) -> Model[Floats2d, Floats2d]:
    """Pair features -> two ReLU layers -> one logit per relation label (the component applies the
    sigmoid, and trains with binary cross-entropy on the logits)."""
    return chain(Relu(nO=hidden_width, dropout=dropout), Relu(nO=hidden_width, dropout=dropout), Linear())


def _sigmoid(x: numpy.ndarray) -> numpy.ndarray:
    return 1.0 / (1.0 + numpy.exp(-numpy.clip(x, -30, 30)))


DEFAULT_CONFIG = {  # kg train sets these from its TrainConfig
    "threshold": 0.5,
    "positive_weight": 3.0,
    "tensor_width": 96,  # of en_core_web_sm's tok2vec; only used where a Doc has no token vectors
    "model": {"@architectures": "kg.RelationClassifier.v1", "hidden_width": 128, "dropout": 0.2},
    "get_pairs": {"@misc": "kg.entity_pairs.v1", "max_length": 40},
}


@Language.factory(
    "kg_relation_extractor",
    default_config=DEFAULT_CONFIG,
    requires=["doc.ents", "doc.tensor"],
    assigns=["doc.user_data"],
)
class RelationExtractor(TrainablePipe):
    def __init__(
        self,
        nlp: Language,
        name: str,
        model: Model,
        threshold: float,
        positive_weight: float,
        tensor_width: int,
        get_pairs: Callable[[Doc], list[Pair]],
    ) -> None:
        self.vocab, self.name, self.model, self.get_pairs = nlp.vocab, name, model, get_pairs
        self.threshold, self.positive_weight, self.tensor_width = threshold, positive_weight, tensor_width
        self.cfg: dict[str, Any] = {"labels": [], "entity_labels": []}

    def _floats(self, x: numpy.ndarray) -> Floats2d:
        return self.model.ops.asarray2f(cast(Floats2d, x))

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.cfg["labels"])

    def _features(self, doc: Doc) -> tuple[list[Pair], numpy.ndarray]:
        pairs = self.get_pairs(doc)
        return pairs, pair_features(doc, pairs, self.cfg["entity_labels"], self.tensor_width)

    def predict(self, docs: Iterable[Doc]) -> list[tuple[list[Pair], numpy.ndarray]]:
        out = []
        for doc in docs:
            pairs, features = self._features(doc)
            logits = self.model.predict(self._floats(features)) if pairs else numpy.zeros((0, len(self.labels)))
            out.append((pairs, _sigmoid(self.model.ops.to_numpy(logits))))
        return out

    def set_annotations(self, docs: Iterable[Doc], predictions: list[tuple[list[Pair], numpy.ndarray]]) -> None:
        for doc, (pairs, scores) in zip(docs, predictions):
            doc.user_data[USER_DATA] = [
                (head.start_char, head.end_char, tail.start_char, tail.end_char, label, float(score))
                for (head, tail), row in zip(pairs, scores)
                for label, score in zip(self.labels, row)
                if score >= self.threshold
            ]

    def _gold(self, example: Example, pairs: list[Pair]) -> numpy.ndarray:
        gold = {(h1, h2, t1, t2): set(labels) for h1, h2, t1, t2, labels in example.reference.user_data.get(GOLD, [])}
        truth = numpy.zeros((len(pairs), len(self.labels)), dtype="float32")
        for n, (head, tail) in enumerate(pairs):
            for label in gold.get((head.start_char, head.end_char, tail.start_char, tail.end_char), ()):
                if label in self.labels:
                    truth[n, self.labels.index(label)] = 1
        return truth

    def _batch(self, examples: Iterable[Example]) -> tuple[numpy.ndarray, numpy.ndarray]:
        features, truths = [], []
        for example in examples:
            doc = example.predicted.copy()  # trained on gold entities, set on a copy: the example keeps its own
            spans = [doc.char_span(e.start_char, e.end_char, e.label_) for e in example.reference.ents]
            doc.ents = [span for span in spans if span is not None]
            pairs, rows = self._features(doc)
            if pairs:
                features.append(rows)
                truths.append(self._gold(example, pairs))
        if not features:
            width = feature_width(self.tensor_width, self.cfg["entity_labels"])
            return numpy.zeros((0, width), "float32"), numpy.zeros((0, len(self.labels)), "float32")
        return numpy.vstack(features), numpy.vstack(truths)

    def update(
        self, examples: Iterable[Example], *, drop: float = 0.0, sgd: Any = None, losses: dict[str, float] | None = None
    ) -> dict[str, float]:
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        features, truth = self._batch(examples)
        if not len(features):
            return losses
        logits, backprop = self.model.begin_update(self._floats(features))
        loss, gradient = self._loss(self.model.ops.to_numpy(logits), truth)
        backprop(self._floats(gradient))
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def _loss(self, logits: numpy.ndarray, truth: numpy.ndarray) -> tuple[float, numpy.ndarray]:
        """Binary cross-entropy on the logits; positive pairs (rare) weigh `positive_weight`."""
        probs = _sigmoid(logits)
        weight = numpy.where(truth > 0, self.positive_weight, 1.0).astype("float32")
        loss = -(weight * (truth * numpy.log(probs + 1e-7) + (1 - truth) * numpy.log(1 - probs + 1e-7))).sum()
        return float(loss), ((probs - truth) * weight / max(1, len(truth))).astype("float32")

    def initialize(self, get_examples: Callable[[], Iterator[Example]], *, nlp: Language | None = None) -> None:
        examples = list(get_examples())
        gold = [ex.reference for ex in examples]
        self.cfg["labels"] = sorted(
            {label for doc in gold for *_, labels in doc.user_data.get(GOLD, []) for label in labels}
        )
        self.cfg["entity_labels"] = sorted({e.label_ for doc in gold for e in doc.ents})
        features, truth = self._batch(examples[:50])
        self.model.initialize(X=self._floats(features), Y=self._floats(truth))


make_relation_extractor = RelationExtractor  # the name pyproject.toml's spacy_factories entry point gives
