"""kg_joint_extractor: entities and relations from a fine-tuned transformer encoder.

In the manner of SpERT (Eberts and Ulges, 2020), on whole words. Each word is the encoder's first
sub-word vector plus small embeddings of its capitalisation (the packaged encoders are uncased), the
base pipeline's entity tag and its token vector. Entities: a BIO tagger, read as the most probable
valid tag sequence (cfg "bio_path" "viterbi"; "argmax" takes each word's best tag); optionally (cfg
"max_span") every span of up to `max_span` words is also classified from its max-pooled words, its
width and the segment's [CLS] vector, the best non-overlapping spans kept, words glued to the one
before ("Boise." is "Boise" + ".") are marked, and cfg "entity_decoder" says which of the two
decodes. Relations: every ordered pair of entities whose types the training data pairs with some
relation is scored per label (sigmoid, so a pair can have none) from the two entities' max-pooled
vectors, the words between them, their labels, their distance and [CLS], and optionally (cfg
"pair_width") one more attention layer over the segment with head and tail marked; or (cfg
"relation_decoder" "marked", or "both" for the mean of the two) by a second encoder that reads the
segment again once per subject entity with the subject and its objects marked in the text
(kg.training.marked). Text is cut into segments of whole sentences of at most `max_words` words;
relations are found within a segment. An extractor may hold several such members (an ensemble),
whose probabilities are averaged.

Predictions use the same places as kg_relation_extractor: doc.ents (the data's labels) and
doc.user_data["kg_relations"] as (head start, head end, tail start, tail end, label, score) in
characters. torch and transformers are imported only when this component is made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import permutations
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span

from kg.training.component import USER_DATA
from kg.training.encoders import first_pieces, tokenize_words
from kg.training.marked import reader_network, readings

_SHAPES = 5
_DISTANCES = 10


@dataclass
class Segment:
    """A run of words of one document; entities and relations index its words."""

    words: list[str]
    entities: list[tuple[int, int, str]] = field(default_factory=list)
    relations: list[tuple[int, int, str]] = field(default_factory=list)
    offset: int = 0  # index of the first word in the Doc
    hints: list[int] = field(default_factory=list)  # the base pipeline's entity tag of each word (0: none)
    glued: list[bool] = field(default_factory=list)  # no space before the word ("Boise." as "Boise" + ".")
    vectors: Any = None  # the base pipeline's token vectors (doc.tensor rows), if it has them


def word_shape(word: str) -> int:
    if word[:1].isupper():
        return 2 if word.isupper() and len(word) > 1 else 1
    if word[:1].isdigit():
        return 3
    return 4 if word.isspace() or not word else 0


def segments(doc: Doc, max_words: int, hint_labels: list[str] = ()) -> Iterator[Segment]:
    """Whole sentences packed into runs of at most `max_words` words (a longer sentence is cut),
    with the base pipeline's entity tags and token vectors as hints."""
    sentences = list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]
    bounds = []
    start = end = 0
    for sent in sentences:
        if sent.end - start > max_words and end > start:
            bounds.append((start, end))
            start = end
        while sent.end - start > max_words:
            bounds.append((start, start + max_words))
            start += max_words
        end = sent.end
    if end > start:
        bounds.append((start, end))
    index = {label: n for n, label in enumerate(hint_labels)}
    tensor = doc.tensor if doc.tensor is not None and len(doc.tensor.shape) == 2 and doc.tensor.shape[0] == len(doc) else None
    for start, end in bounds:
        tokens = doc[start:end]
        hints = [0 if t.ent_iob_ in ("", "O") or t.ent_type_ not in index else 1 + 2 * index[t.ent_type_] + (t.ent_iob_ == "I")
                 for t in tokens]
        glued = [t.i > 0 and not doc[t.i - 1].whitespace_ for t in tokens]
        yield Segment([t.text for t in tokens], offset=start, hints=hints, glued=glued,
                      vectors=None if tensor is None else tensor[start:end])


def bio_tags(entities: list[tuple[int, int, str]], length: int, tags: list[str]) -> list[int]:
    out = [0] * length
    for start, end, label in entities:
        out[start] = tags.index(f"B-{label}")
        for k in range(start + 1, end):
            out[k] = tags.index(f"I-{label}")
    return out


def decode_bio(predicted: list[int], tags: list[str]) -> list[tuple[int, int, str]]:
    """Entities from a BIO tag sequence; an I- that does not continue an entity starts one."""
    found: list[tuple[int, int, str]] = []
    current: list[Any] | None = None
    for k, tag in enumerate([tags[t] for t in predicted] + ["O"]):
        if tag != "O" and tag.startswith("I-") and current is not None and current[2] == tag[2:]:
            current[1] = k + 1
            continue
        if current is not None:
            found.append(tuple(current))
            current = None
        if tag != "O":
            current = [k, k + 1, tag[2:]]
    return found


def best_bio_path(probabilities: Any, tags: list[str]) -> list[int]:
    """The most probable tag sequence (Viterbi, on log probabilities) among those that are valid BIO:
    an I- tag only after a B- or I- of the same label. Per-word argmax can break one name into
    pieces ("City University of New" Org + "York" Loc); this reads the name whole. `probabilities`
    is (words, tags), rows of per-word tag probabilities; the result has one tag index per word.

    >>> tags = ["O", "B-Org", "I-Org", "B-Loc", "I-Loc"]
    >>> best_bio_path(np.array([[.1, .8, 0, .1, 0], [.1, 0, .4, 0, .5]]), tags)
    [1, 2]
    """
    log = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1.0))
    if not len(log):
        return []
    inside, barred = _bio_transitions(tuple(tags))
    score = np.where(inside, -np.inf, log[0])
    back = []
    for row in log[1:]:
        candidates = score[:, None] + barred
        back.append(candidates.argmax(0))
        score = candidates.max(0) + row
    path = [int(score.argmax())]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    return path[::-1]


@lru_cache(maxsize=16)
def _bio_transitions(tags: tuple[str, ...]) -> tuple[Any, Any]:
    """Which tags are I- tags, and the cost of each transition (row: from, column: to): 0, or -inf
    for an I- tag after anything but a B- or I- of its label."""
    inside = np.array([t.startswith("I-") for t in tags])
    follows = np.array([[not inside[j] or (tags[i] != "O" and tags[i][2:] == tags[j][2:]) for j in range(len(tags))]
                        for i in range(len(tags))])
    return inside, np.where(follows, 0.0, -np.inf)


def span_targets(segments: list[Segment], width: int, labels: list[str], length: int) -> list[list[int]]:
    """For spans of `width` words in a batch padded to `length` words, the class of each span by its
    first word: 0 none, 1 + the label's index for a gold entity, -100 (ignored) past the segment's end."""
    out = []
    for segment in segments:
        gold = {(s, e): 1 + labels.index(label) for s, e, label in segment.entities}
        n = len(segment.words)
        out.append([gold.get((s, s + width), 0) if s + width <= n else -100 for s in range(length - width + 1)])
    return out


def decode_spans(scored: list[tuple[float, int, int, str]], words: list[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping entities from scored spans (score, start, end, label), best first."""
    taken: set[int] = set()
    found = []
    for _, start, end, label in sorted(scored, key=lambda c: (-c[0], c[1], c[2])):
        if words[start].isspace() or words[end - 1].isspace() or taken.intersection(range(start, end)):
            continue
        taken.update(range(start, end))
        found.append((start, end, label))
    return sorted(found)


@dataclass
class Member:
    """One fine-tuned encoder with its heads. An extractor of several members (an ensemble)
    averages their probabilities: of each span's label, each word's tag and each pair's relations."""

    tokenizer: Any
    network: Any
    reader: Any = None  # the marked-relations reader, if trained (cfg "relation_decoder" "marked" or "both")


class JointExtractor:
    """The spaCy component; its members are made by `initialize` (training) or `from_disk`."""

    def __init__(self, nlp: Language, name: str, threshold: float, max_words: int, batch_size: int) -> None:
        self.name = name
        self.threshold = threshold
        self.max_words = max_words
        self.batch_size = batch_size
        self.cfg: dict[str, Any] = {}
        self.members: list[Member] = []

    @property
    def network(self) -> Any:
        """The first member's network (the one being trained)."""
        return self.members[0].network

    # labels and the type signatures that filter candidate pairs
    @property
    def tags(self) -> list[str]:
        return ["O"] + [f"{p}-{label}" for label in self.cfg["entity_labels"] for p in "BI"]

    def candidate_pairs(self, entities: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
        allowed = {(h, t) for h, t, _ in self.cfg["signatures"]}
        return [(h, t) for h, t in permutations(range(len(entities)), 2) if (entities[h][2], entities[t][2]) in allowed]

    def initialize(self, encoder: Path, entity_labels: list[str], relation_labels: list[str],
                   signatures: list[tuple[str, str, str]], hidden_width: int, dropout: float,
                   hint_labels: list[str], tensor_width: int, max_span: int = 0, pair_width: int = 0) -> None:
        """One new member on `encoder` (any members before are dropped). `max_span` > 0 adds the span
        classifier (spans of up to that many words) beside the BIO tagger; `pair_width` > 0 the
        attention layer that re-reads the segment for each pair."""
        from transformers import AutoModel, AutoTokenizer

        self.cfg = {"entity_labels": entity_labels, "relation_labels": relation_labels,
                    "hint_labels": hint_labels, "tensor_width": tensor_width, "entity_decoder": "bio", "bio_path": "viterbi", "shapes": _SHAPES,
                    "signatures": [list(s) for s in signatures], "hidden_width": hidden_width, "dropout": dropout}
        if max_span:  # span classification, with words glued to the one before marked
            self.cfg.update({"entity_decoder": "spans", "max_span": max_span, "shapes": 2 * _SHAPES, "entity_threshold": 0.5})
        if pair_width:
            self.cfg["pair_width"] = pair_width
        self.members = [Member(AutoTokenizer.from_pretrained(encoder), _network(AutoModel.from_pretrained(encoder), self.cfg))]

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

        parts = [(doc, part) for doc in docs for part in segments(doc, self.max_words, self.cfg["hint_labels"])]
        entities: dict[int, list[Span]] = {id(doc): [] for doc in docs}
        relations: dict[int, list[tuple]] = {id(doc): [] for doc in docs}
        for member in self.members:
            for network in (member.network, member.reader):
                if network is not None:
                    network.eval()
        with torch.no_grad():
            for k in range(0, len(parts), self.batch_size):
                batch = parts[k:k + self.batch_size]
                encoded = [self.encode([part for _, part in batch], member) for member in self.members]
                entity_scores = self.entity_scores(encoded)
                for i, (doc, part) in enumerate(batch):
                    part.entities = self.entities(entity_scores, i, part)
                    entities[id(doc)] += [Span(doc, part.offset + s, part.offset + e, label=lab) for s, e, lab in part.entities]
                    relations[id(doc)] += self._relations(doc, part, encoded, i)
        for doc in docs:
            doc.ents = entities[id(doc)]
            doc.user_data[USER_DATA] = relations[id(doc)]
        return docs

    def entity_scores(self, encoded: list[tuple[Any, Any]]) -> Any:
        """The members' mean probabilities over a batch, from each member's (word vectors, [CLS]
        vectors): of each word's BIO tag (batch, word, tag), or of each span's class, one tensor
        (batch, first word, class) per width."""
        import torch

        if self.cfg.get("entity_decoder", "bio") == "bio":
            return torch.stack([m.network.tagger(words).softmax(-1) for m, (words, _) in zip(self.members, encoded)]).mean(0)
        by_member = [m.network.span_logits(words, cls) for m, (words, cls) in zip(self.members, encoded)]
        return [torch.stack([x.softmax(-1) for x in logits]).mean(0) for logits in zip(*by_member)]

    def entities(self, scores: Any, i: int, part: Segment) -> list[tuple[int, int, str]]:
        """The entities of the i-th segment of a batch scored by `entity_scores`: decoded BIO tags,
        or the best non-overlapping spans."""
        n = len(part.words)
        if self.cfg.get("entity_decoder", "bio") == "bio":
            probabilities = scores[i, :n]
            path = probabilities.argmax(-1).tolist() if self.cfg.get("bio_path") == "argmax" else best_bio_path(probabilities.numpy(), self.tags)
            return [e for e in decode_bio(path, self.tags) if not part.words[e[0]].isspace()]
        labels, threshold = self.cfg["entity_labels"], self.cfg.get("entity_threshold", 0.5)
        scored = []
        for width, probabilities in enumerate(scores, 1):
            probabilities = probabilities[i, :max(0, n - width + 1)]
            entity = 1 - probabilities[:, 0]  # some entity, whichever label
            label = probabilities[:, 1:].argmax(-1)
            scored += [(entity[s].item(), s, s + width, labels[label[s].item()]) for s in (entity >= threshold).nonzero().flatten().tolist()]
        return decode_spans(scored, part.words)

    def _relations(self, doc: Doc, part: Segment, encoded: list[tuple[Any, Any]], i: int) -> list[tuple]:
        import torch

        pairs = self.candidate_pairs(part.entities)
        if not pairs:
            return []
        decoder = self.cfg.get("relation_decoder", "pooled")
        scores = []
        if decoder in ("marked", "both"):
            marked = readings(part.entities, pairs, part.words)
            pairs = [(m.subject, o) for m in marked for o in m.objects]
            scores += [torch.sigmoid(m.reader(m.tokenizer, marked)) for m in self.members]
        if decoder in ("pooled", "both"):
            scores += [torch.sigmoid(m.network.relations(m.network.pair_rows(words[i, :len(part.words)], cls[i], part.entities, pairs)))
                       for m, (words, cls) in zip(self.members, encoded)]
        scores = torch.stack(scores).mean(0)
        allowed = {tuple(s) for s in self.cfg["signatures"]}
        found = []
        for (h, t), row in zip(pairs, scores.tolist()):
            head, tail = part.entities[h], part.entities[t]
            head_span = doc[part.offset + head[0]:part.offset + head[1]]
            tail_span = doc[part.offset + tail[0]:part.offset + tail[1]]
            for label, score in zip(self.cfg["relation_labels"], row):
                if score >= self.threshold and (head[2], tail[2], label) in allowed:
                    found.append((head_span.start_char, head_span.end_char, tail_span.start_char, tail_span.end_char, label, float(score)))
        return found

    def encode(self, batch: list[Segment], member: Member | None = None) -> tuple[Any, Any]:
        """A member's (the first's by default) word vectors (first sub-word, capitalisation and base
        entity tag embeddings, base token vectors) and [CLS] vectors."""
        import torch

        member = member or self.members[0]
        tokenizer, network = member.tokenizer, member.network
        encoded = tokenize_words(tokenizer, [s.words for s in batch])
        hidden = network.encoder(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"]).last_hidden_state
        longest = max(len(s.words) for s in batch)
        index = torch.zeros(len(batch), longest, dtype=torch.long)
        shapes = torch.zeros(len(batch), longest, dtype=torch.long)
        hints = torch.zeros(len(batch), longest, dtype=torch.long)
        vectors = torch.zeros(len(batch), longest, self.cfg["tensor_width"])
        for i, segment in enumerate(batch):
            first = first_pieces(encoded, i)
            index[i, :len(segment.words)] = torch.tensor([first.get(w, 0) for w in range(len(segment.words))])
            glued = segment.glued if self.cfg.get("shapes", _SHAPES) > _SHAPES and segment.glued else [False] * len(segment.words)
            shapes[i, :len(segment.words)] = torch.tensor([word_shape(w) + _SHAPES * g for w, g in zip(segment.words, glued)])
            if segment.hints:
                hints[i, :len(segment.words)] = torch.tensor(segment.hints)
            if segment.vectors is not None and segment.vectors.shape[1] == self.cfg["tensor_width"]:
                vectors[i, :len(segment.words)] = torch.as_tensor(segment.vectors)
        words = torch.gather(hidden, 1, index.unsqueeze(-1).expand(-1, -1, hidden.shape[-1]))
        return torch.cat([words, network.shape(shapes), network.hint(hints), vectors], -1), hidden[:, 0]

    def to_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> None:
        from safetensors.torch import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for k, member in enumerate(self.members):
            encoder, weights = _member_files(path, k)
            member.tokenizer.save_pretrained(encoder)
            member.network.encoder.config.save_pretrained(encoder)
            save_file({n: v.contiguous() for n, v in member.network.state_dict().items()}, str(weights))
            if member.reader is not None:
                save_file({n: v.contiguous() for n, v in member.reader.state_dict().items()}, str(_reader_file(path, k)))
        (path / "cfg.json").write_text(json.dumps({**self.cfg, "members": len(self.members)}, indent=1), encoding="utf-8")

    def from_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> "JointExtractor":
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        path = Path(path)
        self.cfg = json.loads((path / "cfg.json").read_text(encoding="utf-8"))
        self.members = []
        for k in range(self.cfg.get("members", 1)):
            encoder, weights = _member_files(path, k)
            config = AutoConfig.from_pretrained(encoder)
            network = _network(AutoModel.from_config(config), self.cfg)
            network.load_state_dict(load_file(str(weights)))
            reader = None
            if self.cfg.get("relation_decoder", "pooled") != "pooled":
                reader = reader_network(AutoModel.from_config(config), self.cfg["relation_labels"],
                                        self.cfg["hidden_width"], self.cfg["dropout"])
                reader.load_state_dict(load_file(str(_reader_file(path, k))))
            self.members.append(Member(AutoTokenizer.from_pretrained(encoder), network, reader))
        return self


def _member_files(path: Path, k: int) -> tuple[Path, Path]:
    """Member k's encoder folder and weights: member 0 in encoder/ and weights.safetensors (where
    models of one member always were), member k in encoder-k/ and weights-k.safetensors."""
    suffix = f"-{k}" if k else ""
    return path / f"encoder{suffix}", path / f"weights{suffix}.safetensors"


def _reader_file(path: Path, k: int) -> Path:
    """Member k's marked-relations reader (same encoder architecture as the member's)."""
    return path / (f"relations-{k}.safetensors" if k else "relations.safetensors")


def _network(encoder: Any, cfg: dict[str, Any]) -> Any:
    import torch
    from torch import nn

    entity_labels, relation_labels = cfg["entity_labels"], cfg["relation_labels"]
    width, hidden = encoder.config.hidden_size, cfg["hidden_width"]
    word = width + 16 + 16 + cfg["tensor_width"]

    class JointNetwork(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.shape = nn.Embedding(cfg.get("shapes", _SHAPES), 16)
            self.hint = nn.Embedding(1 + 2 * len(cfg["hint_labels"]), 16)
            self.dropout = nn.Dropout(cfg["dropout"])
            self.tagger = nn.Sequential(nn.Linear(word, width), nn.GELU(), nn.Linear(width, 1 + 2 * len(entity_labels)))
            self.label = nn.Embedding(len(entity_labels), 32)
            self.distance = nn.Embedding(_DISTANCES, 16)
            if "max_span" in cfg:  # models saved before span classification have the BIO tagger alone
                self.width = nn.Embedding(cfg["max_span"], 32)
                self.spans = nn.Sequential(nn.Linear(word + 32 + width, width), nn.GELU(), nn.Dropout(cfg["dropout"]),
                                           nn.Linear(width, 1 + len(entity_labels)))
            pair_width = cfg.get("pair_width", 0)
            if pair_width:  # the segment read again for each pair, knowing which words are head and tail
                self.role = nn.Embedding(3, pair_width)
                self.pair_input = nn.Linear(word, pair_width)
                self.pair_layer = nn.TransformerEncoderLayer(pair_width, 4, 2 * pair_width, cfg["dropout"], batch_first=True)
            self.relations = nn.Sequential(nn.Linear(3 * word + 64 + 16 + width + 3 * pair_width, hidden), nn.GELU(),
                                           nn.Dropout(cfg["dropout"]), nn.Linear(hidden, len(relation_labels)))

        def span_logits(self, words: Any, cls: Any) -> list[Any]:
            """Scores of every span of 1..max_span words, one tensor (batch, first word, class) per width."""
            batch, length = words.shape[:2]
            out = []
            for w in range(1, min(cfg["max_span"], length) + 1):
                pooled = words.unfold(1, w, 1).max(-1).values
                n = pooled.shape[1]
                out.append(self.spans(torch.cat([pooled, self.width.weight[w - 1].expand(batch, n, -1),
                                                 cls[:, None, :].expand(batch, n, -1)], -1)))
            return out

        def pair_rows(self, words: Any, cls: Any, entities: list[tuple[int, int, str]], pairs: list[tuple[int, int]]) -> Any:
            rows = []
            for h, t in pairs:
                (hs, he, hl), (ts, te, tl) = entities[h], entities[t]
                left, right = (he, ts) if he <= ts else (te, hs)
                between = words[left:right].max(0).values if right > left else words.new_zeros(words.shape[-1])
                distance = min(_DISTANCES - 1, max(0, right - left).bit_length())
                rows.append(torch.cat([words[hs:he].max(0).values, words[ts:te].max(0).values, between,
                                       self.label.weight[entity_labels.index(hl)], self.label.weight[entity_labels.index(tl)],
                                       self.distance.weight[distance], cls]))
            rows = torch.stack(rows)
            return torch.cat([rows, self.pair_reading(words, entities, pairs)], -1) if cfg.get("pair_width") else rows

        def pair_reading(self, words: Any, entities: list[tuple[int, int, str]], pairs: list[tuple[int, int]]) -> Any:
            """Per pair, one more attention layer over the segment's words with head and tail marked;
            its head, tail and whole-segment max-pooled vectors."""
            roles = torch.zeros(len(pairs), words.shape[0], dtype=torch.long)
            for n, (h, t) in enumerate(pairs):
                roles[n, entities[h][0]:entities[h][1]] = 1
                roles[n, entities[t][0]:entities[t][1]] = 2
            read = self.pair_layer(self.pair_input(words)[None] + self.role(roles))
            floor = torch.finfo(read.dtype).min
            head = read.masked_fill((roles != 1)[..., None], floor).max(1).values
            tail = read.masked_fill((roles != 2)[..., None], floor).max(1).values
            return torch.cat([head, tail, read.max(1).values], -1)

    return JointNetwork()


DEFAULT_CONFIG = {"threshold": 0.5, "max_words": 100, "batch_size": 16}


@Language.factory("kg_joint_extractor", default_config=DEFAULT_CONFIG, assigns=["doc.ents", "doc.user_data"])
def make_joint_extractor(nlp: Language, name: str, threshold: float, max_words: int, batch_size: int) -> JointExtractor:
    return JointExtractor(nlp, name, threshold, max_words, batch_size)
