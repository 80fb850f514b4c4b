"""Gold documents (kg.gold) as training data: spaCy Examples for kg_relation_extractor, segments
for kg_joint_extractor."""

from __future__ import annotations

from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example

from kg.errors import ConfigError
from kg.gold import GoldDocument
from kg.training.component import GOLD
from kg.training.decoding import Segment, segments


def reference_doc(nlp: Language, gold: GoldDocument) -> Doc:
    """The gold document as a spaCy Doc: entities set, relations kept in user_data (by characters)."""
    doc = nlp.make_doc(gold.text)
    spans = []
    for n, e in enumerate(gold.entities):
        span = doc.char_span(e.start, e.end, label=e.label, alignment_mode="expand")
        if span is None:
            raise ConfigError(f"{gold.id}: entity {n} ({e.start}-{e.end}) does not fall on token boundaries")
        spans.append(span)
    doc.ents = spacy.util.filter_spans(spans)
    relations: dict[tuple, list[str]] = {}
    ends: dict[Any, tuple[int, int]] = {e.cluster: (e.start, e.end) for e in gold.entities if e.cluster is not None}
    ends.update({n: (e.start, e.end) for n, e in enumerate(gold.entities)})  # a relation end: an index or a cluster
    for head, tail, label in gold.relations:
        h, t = ends.get(head), ends.get(tail)
        if h and t:
            relations.setdefault((*h, *t), []).append(label)
    doc.user_data[GOLD] = [(*k, v) for k, v in relations.items()]
    return doc


def spacy_examples(nlp: Language, docs: list[GoldDocument], trained: tuple[str, ...]) -> list[Example]:
    """Examples whose predicted side was run through the pipeline without the `trained` components
    (the frozen base: token vectors, parse)."""
    with nlp.select_pipes(enable=[name for name in nlp.pipe_names if name not in trained]):
        predicted = list(nlp.pipe(d.text for d in docs))
    return [Example(p, reference_doc(nlp, g)) for p, g in zip(predicted, docs)]


def gold_segments(nlp: Language, docs: list[GoldDocument], max_words: int, hint_labels: list[str]) -> list[Segment]:
    """Training segments: words of the base pipeline's tokens, gold entities and relations on them."""
    out = []
    for example in spacy_examples(nlp, docs, ("kg_joint_extractor",)):
        reference = example.reference
        for part in segments(example.predicted, max_words, hint_labels):
            end = part.offset + len(part.words)
            inside = [e for e in reference.ents if e.start >= part.offset and e.end <= end]
            index = {(e.start_char, e.end_char): n for n, e in enumerate(inside)}
            part.entities = [(e.start - part.offset, e.end - part.offset, e.label_) for e in inside]
            part.relations = [
                (index[(h1, h2)], index[(t1, t2)], label)
                for h1, h2, t1, t2, labels in reference.user_data.get(GOLD, [])
                if (h1, h2) in index and (t1, t2) in index
                for label in labels
            ]
            out.append(part)
    return out


def relation_targets(segment: Segment, pairs: list[tuple[int, int]], labels: list[str]) -> Any:
    """A torch (pair, label) matrix of the segment's gold relations over candidate `pairs`."""
    import torch

    target = torch.zeros(len(pairs), len(labels))
    position = {pair: n for n, pair in enumerate(pairs)}
    for h, t, label in segment.relations:
        if (h, t) in position:
            target[position[(h, t)], labels.index(label)] = 1
    return target
