"""kg_joint_extractor: entities and relations from a fine-tuned transformer encoder (SpERT-like,
Eberts and Ulges 2020, on whole words; the networks are kg.training.networks).

Text is cut into segments of whole sentences (kg.training.decoding). Entities: a BIO tagger, or
(`entity_decoder` "spans") a classifier of spans of up to `max_span` words. Relations: every ordered
pair of entities whose types a relation of the training data joins is scored per label (sigmoid) by
a classifier of pooled word vectors, or (`relation_decoder` "marked", or "both" for the mean) by a
second encoder that reads the segment with the pair marked. Predictions go where
kg_relation_extractor puts them: doc.ents and doc.user_data["kg_relations"].
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import permutations
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from kg.gold import RELATIONS_KEY
from kg.training.config import JointSpec
from kg.training.decoding import Entity, Segment, best_bio_path, decode_bio, decode_spans, readings, segments

ENCODER, WEIGHTS, READER = "encoder", "weights.safetensors", "relations.safetensors"  # in the component's folder


@Language.factory(
    "kg_joint_extractor",
    default_config={"threshold": 0.5, "max_words": 100, "batch_size": 16},
    assigns=["doc.ents", "doc.user_data"],
)
class JointExtractor:
    """The spaCy component; `initialize` (training) or `from_disk` makes its networks."""

    def __init__(self, nlp: Language, name: str, threshold: float, max_words: int, batch_size: int) -> None:
        self.name, self.threshold, self.max_words, self.batch_size = name, threshold, max_words, batch_size
        self.spec: JointSpec  # made by initialize or from_disk
        self.tokenizer: Any = None
        self.network: Any = None
        self.reader: Any = None  # the marked-relations reader, if trained

    def initialize(self, encoder: Path, spec: JointSpec) -> None:
        """New networks on the encoder in folder `encoder`, as `spec` describes them."""
        from transformers import AutoModel, AutoTokenizer

        from kg.training.networks import JointNetwork

        self.spec, self.reader = spec, None
        self.tokenizer = AutoTokenizer.from_pretrained(encoder)
        self.network = JointNetwork(AutoModel.from_pretrained(encoder), spec)

    def candidate_pairs(self, entities: list[Entity]) -> list[tuple[int, int]]:
        """Ordered pairs of entities whose labels some relation of the training data joins."""
        allowed = {(h, t) for h, t, _ in self.spec.signatures}
        return [(h, t) for h, t in permutations(range(len(entities)), 2) if (entities[h][2], entities[t][2]) in allowed]

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        for group in minibatch(docs, 4 * self.batch_size):
            yield from self._annotate(group)

    def _annotate(self, docs: list[Doc]) -> list[Doc]:
        """Segments of several documents share batches; each document gets its entities and relations."""
        import torch

        parts = [(doc, part) for doc in docs for part in segments(doc, self.max_words, self.spec.hint_labels)]
        entities: dict[int, list[Span]] = {id(doc): [] for doc in docs}
        for doc in docs:
            doc.user_data[RELATIONS_KEY] = []
        for network in (self.network, self.reader):
            if network is not None:
                network.eval()
        with torch.no_grad():
            for k in range(0, len(parts), self.batch_size):
                batch = parts[k : k + self.batch_size]
                words, cls = self.network.encode(self.tokenizer, [part for _, part in batch])
                scores = self.entity_scores(words, cls)
                for i, (doc, part) in enumerate(batch):
                    part.entities = self.entities(scores, i, part)
                    entities[id(doc)] += [
                        Span(doc, part.offset + s, part.offset + e, lab) for s, e, lab in part.entities
                    ]
                    doc.user_data[RELATIONS_KEY] += self.relations(doc, part, words[i, : len(part.words)], cls[i])
        for doc in docs:
            doc.ents = entities[id(doc)]
        return docs

    def entity_scores(self, words: Any, cls: Any) -> Any:
        """Probabilities over a batch: of each word's BIO tag (batch, word, tag), or of each span's
        class, one tensor (batch, first word, class) per width."""
        if self.spec.entity_decoder == "bio":
            return self.network.tagger(words).softmax(-1)
        return [logits.softmax(-1) for logits in self.network.span_logits(words, cls)]

    def entities(self, scores: Any, i: int, part: Segment) -> list[Entity]:
        """The entities of the i-th segment of a batch scored by `entity_scores`: decoded BIO tags,
        or the best non-overlapping spans."""
        n = len(part.words)
        if self.spec.entity_decoder == "bio":
            path = best_bio_path(scores[i, :n].numpy(), self.spec.tags)
            return [e for e in decode_bio(path, self.spec.tags) if not part.words[e[0]].isspace()]
        labels, scored = self.spec.entity_labels, []
        for width, probabilities in enumerate(scores, 1):
            probabilities = probabilities[i, : max(0, n - width + 1)]
            entity = 1 - probabilities[:, 0]  # some entity, whichever label
            label = probabilities[:, 1:].argmax(-1)
            kept = (entity >= self.spec.entity_threshold).nonzero().flatten().tolist()
            scored += [(entity[s].item(), s, s + width, labels[label[s].item()]) for s in kept]
        return decode_spans(scored, part.words)

    def relations(self, doc: Doc, part: Segment, words: Any, cls: Any) -> list[tuple]:
        """The relations between a segment's entities, as (head start, head end, tail start, tail end,
        label, score) in characters of `doc`; `words` and `cls` are the segment's encoded vectors."""
        import torch

        pairs = self.candidate_pairs(part.entities)
        if not pairs:
            return []
        decoder, scores = self.spec.relation_decoder, []
        if decoder in ("marked", "both"):
            marked = readings(part.entities, pairs, part.words)
            pairs = [(m.subject, o) for m in marked for o in m.objects]
            scores.append(torch.sigmoid(self.reader(self.tokenizer, marked)))
        if decoder in ("pooled", "both"):
            rows = self.network.pair_rows(words, cls, part.entities, pairs)
            scores.append(torch.sigmoid(self.network.relations(rows)))
        allowed = {tuple(s) for s in self.spec.signatures}

        def chars(entity: Entity) -> tuple[int, int]:
            span = doc[part.offset + entity[0] : part.offset + entity[1]]
            return span.start_char, span.end_char

        return [
            (*chars(part.entities[h]), *chars(part.entities[t]), label, float(score))
            for (h, t), row in zip(pairs, torch.stack(scores).mean(0).tolist())
            for label, score in zip(self.spec.relation_labels, row)
            if score >= self.threshold and (part.entities[h][2], part.entities[t][2], label) in allowed
        ]

    def to_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> None:
        from safetensors.torch import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save_pretrained(path / ENCODER)
        self.network.encoder.config.save_pretrained(path / ENCODER)
        for network, name in ((self.network, WEIGHTS), (self.reader, READER)):
            if network is not None:
                save_file({n: v.contiguous() for n, v in network.state_dict().items()}, str(path / name))
        (path / "cfg.json").write_text(json.dumps(self.spec.to_dict(), indent=1), encoding="utf-8")

    def from_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> JointExtractor:
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        from kg.training.networks import JointNetwork, MarkedReader

        path = Path(path)
        cfg = path / "cfg.json"
        self.spec = JointSpec.from_dict(json.loads(cfg.read_text(encoding="utf-8")), str(cfg))
        config = AutoConfig.from_pretrained(path / ENCODER)
        self.network = JointNetwork(AutoModel.from_config(config), self.spec)
        self.network.load_state_dict(load_file(str(path / WEIGHTS)))
        self.reader = None
        if self.spec.relation_decoder != "pooled":
            self.reader = MarkedReader(AutoModel.from_config(config), self.spec)
            self.reader.load_state_dict(load_file(str(path / READER)))
        self.tokenizer = AutoTokenizer.from_pretrained(path / ENCODER)
        return self


make_joint_extractor = JointExtractor  # the name pyproject.toml's spacy_factories entry point gives
