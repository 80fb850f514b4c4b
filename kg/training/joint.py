"""kg_joint_extractor: entities and relations from a fine-tuned transformer encoder.

In the manner of SpERT (Eberts and Ulges, 2020), on whole words. Each word is the encoder's first
word-piece vector plus small embeddings of its capitalisation (the packaged encoders are uncased),
the base pipeline's entity tag and its token vector. Entities: a BIO tagger, read as the most
probable valid tag sequence; optionally every span of up to `max_span` words is also classified
(with words glued to the one before marked) and the spec's `entity_decoder` says which decodes.
Relations: every ordered pair of entities whose types the training data pairs with some relation
is scored per label (sigmoid, so a pair can have none) from the two entities' max-pooled vectors,
the words between, their labels, their distance and [CLS]; or (`relation_decoder` "marked", or
"both" for the mean of the two) by a second encoder that reads the segment once per subject with
the subject and its objects marked (kg.training.marked). Text is cut into segments of whole
sentences of at most `max_words` words; relations are found within a segment.

Predictions use the same places as kg_relation_extractor: doc.ents (the data's labels) and
doc.user_data["kg_relations"]. The networks (kg.training.networks) and torch are imported only
when the component is initialized, loaded or run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import permutations
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from kg.gold import RELATIONS_KEY
from kg.training.config import JointSpec
from kg.training.decoding import Segment, best_bio_path, decode_bio, decode_spans, segments
from kg.training.marked import readings

Entity = tuple[int, int, str]
ENCODER, WEIGHTS, READER = "encoder", "weights.safetensors", "relations.safetensors"  # in the component's folder


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
        group: list[Doc] = []
        for doc in docs:
            group.append(doc)
            if len(group) >= 4 * self.batch_size:
                yield from self._annotate(group)
                group = []
        yield from self._annotate(group)

    def _annotate(self, docs: list[Doc]) -> list[Doc]:
        """Segments of several documents share batches; each document gets its entities and relations."""
        import torch

        parts = [(doc, part) for doc in docs for part in segments(doc, self.max_words, self.spec.hint_labels)]
        entities: dict[int, list[Span]] = {id(doc): [] for doc in docs}
        relations: dict[int, list[tuple]] = {id(doc): [] for doc in docs}
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
                        Span(doc, part.offset + s, part.offset + e, label=lab) for s, e, lab in part.entities
                    ]
                    relations[id(doc)] += self.relations(doc, part, words[i, : len(part.words)], cls[i])
        for doc in docs:
            doc.ents = entities[id(doc)]
            doc.user_data[RELATIONS_KEY] = relations[id(doc)]
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
            probabilities = scores[i, :n]
            argmax = self.spec.bio_path == "argmax"
            path = probabilities.argmax(-1).tolist() if argmax else best_bio_path(probabilities.numpy(), self.spec.tags)
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
            scores.append(
                torch.sigmoid(self.network.relations(self.network.pair_rows(words, cls, part.entities, pairs)))
            )
        allowed = {tuple(s) for s in self.spec.signatures}
        found = []
        for (h, t), row in zip(pairs, torch.stack(scores).mean(0).tolist()):
            head, tail = part.entities[h], part.entities[t]
            head_span = doc[part.offset + head[0] : part.offset + head[1]]
            tail_span = doc[part.offset + tail[0] : part.offset + tail[1]]
            for label, score in zip(self.spec.relation_labels, row):
                if score >= self.threshold and (head[2], tail[2], label) in allowed:
                    found.append(
                        (
                            head_span.start_char,
                            head_span.end_char,
                            tail_span.start_char,
                            tail_span.end_char,
                            label,
                            float(score),
                        )
                    )
        return found

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
        self.spec = JointSpec.from_dict(
            json.loads((path / "cfg.json").read_text(encoding="utf-8")), str(path / "cfg.json")
        )
        config = AutoConfig.from_pretrained(path / ENCODER)
        self.network = JointNetwork(AutoModel.from_config(config), self.spec)
        self.network.load_state_dict(load_file(str(path / WEIGHTS)))
        self.reader = None
        if self.spec.relation_decoder != "pooled":
            self.reader = MarkedReader(
                AutoModel.from_config(config), self.spec.relation_labels, self.spec.hidden_width, self.spec.dropout
            )
            self.reader.load_state_dict(load_file(str(path / READER)))
        self.tokenizer = AutoTokenizer.from_pretrained(path / ENCODER)
        return self


@Language.factory(
    "kg_joint_extractor",
    default_config={"threshold": 0.5, "max_words": 100, "batch_size": 16},
    assigns=["doc.ents", "doc.user_data"],
)
def make_joint_extractor(nlp: Language, name: str, threshold: float, max_words: int, batch_size: int) -> JointExtractor:
    return JointExtractor(nlp, name, threshold, max_words, batch_size)
