"""The torch networks of kg_joint_extractor, imported only when one is made or loaded. Their
parameter names are those of the saved models (encoder, shape, hint, tagger, ...)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from kg.training.config import JointSpec
from kg.training.decoding import SHAPES, Entity, Marked, Segment, word_shape
from kg.training.encoders import first_pieces, tokenize_words


def _encode(encoder: Any, tokenizer: Any, word_lists: list[list[str]]) -> tuple[Any, Any]:
    """The encoder's last hidden states of pre-split words, and the tokenizer's batch."""
    encoded = tokenize_words(tokenizer, word_lists)
    return encoder(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"]).last_hidden_state, encoded


def _classifier(inputs: int, hidden: int, outputs: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, outputs))


class JointNetwork(nn.Module):
    """The fine-tuned encoder with a BIO tagger, an optional span classifier and a classifier of
    pairs of pooled word vectors into relations."""

    def __init__(self, encoder: Any, spec: JointSpec) -> None:
        super().__init__()  # layers made in this order: it fixes their seeded initial weights
        width, labels = encoder.config.hidden_size, len(spec.entity_labels)
        word = spec.word_width(width)
        self.spec = spec
        self.encoder = encoder
        self.shape = nn.Embedding(spec.shapes, spec.shape_width)
        self.hint = nn.Embedding(1 + 2 * len(spec.hint_labels), spec.hint_width)
        self.dropout = nn.Dropout(spec.dropout)
        self.tagger = nn.Sequential(nn.Linear(word, width), nn.GELU(), nn.Linear(width, 1 + 2 * labels))
        self.label = nn.Embedding(labels, spec.label_width)
        self.distance = nn.Embedding(spec.distances, spec.distance_width)
        if spec.max_span:
            self.width = nn.Embedding(spec.max_span, spec.span_width_width)
            self.spans = _classifier(word + spec.span_width_width + width, width, 1 + labels, spec.dropout)
        relations = len(spec.relation_labels)
        self.relations = _classifier(spec.pair_width(width), spec.hidden_width, relations, spec.dropout)

    def encode(self, tokenizer: Any, batch: list[Segment]) -> tuple[Any, Any]:
        """Word vectors (batch, word, spec.word_width) and [CLS] vectors of a batch of segments."""
        hidden, encoded = _encode(self.encoder, tokenizer, [s.words for s in batch])
        longest = max(len(s.words) for s in batch)
        index, shapes, hints = (torch.zeros(len(batch), longest, dtype=torch.long) for _ in range(3))
        vectors = torch.zeros(len(batch), longest, self.spec.tensor_width)
        for i, segment in enumerate(batch):
            n, first = len(segment.words), first_pieces(encoded, i)
            index[i, :n] = torch.tensor([first.get(w, 0) for w in range(n)])
            glued = segment.glued if self.spec.shapes > SHAPES and segment.glued else [False] * n
            shapes[i, :n] = torch.tensor([word_shape(w) + SHAPES * g for w, g in zip(segment.words, glued)])
            if segment.hints:
                hints[i, :n] = torch.tensor(segment.hints)
            if segment.vectors is not None and segment.vectors.shape[1] == self.spec.tensor_width:
                vectors[i, :n] = torch.as_tensor(segment.vectors)
        words = torch.gather(hidden, 1, index.unsqueeze(-1).expand(-1, -1, hidden.shape[-1]))
        return torch.cat([words, self.shape(shapes), self.hint(hints), vectors], -1), hidden[:, 0]

    def span_logits(self, words: Any, cls: Any) -> list[Any]:
        """Scores of every span of 1..max_span words, one tensor (batch, first word, class) per width."""
        batch, length = words.shape[:2]
        out = []
        for w in range(1, min(self.spec.max_span, length) + 1):
            pooled = words.unfold(1, w, 1).max(-1).values
            n = pooled.shape[1]
            width, context = self.width.weight[w - 1].expand(batch, n, -1), cls[:, None, :].expand(batch, n, -1)
            out.append(self.spans(torch.cat([pooled, width, context], -1)))
        return out

    def pair_rows(self, words: Any, cls: Any, entities: list[Entity], pairs: list[tuple[int, int]]) -> Any:
        """One input row of the relation classifier per candidate pair of one segment's entities."""
        label = {name: n for n, name in enumerate(self.spec.entity_labels)}
        rows = []

        def pooled(start: int, end: int) -> Any:
            return words[start:end].max(0).values if end > start else words.new_zeros(words.shape[-1])

        for h, t in pairs:
            (hs, he, hl), (ts, te, tl) = entities[h], entities[t]
            left, right = (he, ts) if he <= ts else (te, hs)
            distance = self.distance.weight[min(self.spec.distances - 1, max(0, right - left).bit_length())]
            labels = [self.label.weight[label[hl]], self.label.weight[label[tl]]]
            rows.append(torch.cat([pooled(hs, he), pooled(ts, te), pooled(left, right), *labels, distance, cls]))
        return torch.stack(rows)


class MarkedReader(nn.Module):
    """A second encoder and a classifier of a marked reading's (subject marker, object marker)
    vectors into relation labels."""

    def __init__(self, encoder: Any, spec: JointSpec) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(spec.dropout)
        width, relations = encoder.config.hidden_size, len(spec.relation_labels)
        self.classify = _classifier(2 * width, spec.hidden_width, relations, spec.dropout)

    def forward(self, tokenizer: Any, batch: list[Marked]) -> Any:
        """Relation logits (pair, label) for every (subject, object) of the batch, in order."""
        hidden, encoded = _encode(self.encoder, tokenizer, [m.words for m in batch])
        hidden = self.dropout(hidden)
        firsts = [first_pieces(encoded, i) for i in range(len(batch))]
        index = [
            (i, firsts[i].get(m.subject_at, 0), firsts[i].get(o, 0)) for i, m in enumerate(batch) for o in m.objects_at
        ]
        rows, subjects, objects = torch.tensor(index, dtype=torch.long).T
        return self.classify(torch.cat([hidden[rows, subjects], hidden[rows, objects]], -1))
