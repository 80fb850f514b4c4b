"""Segments of words and what the joint extractor decodes on them: pure Python and numpy, no torch.

A segment is a run of whole sentences of one Doc; entities are (start, end, label) over its words,
relations (head, tail, label) over its entities. Entities decode from BIO tags (`best_bio_path`) or
from scored spans (`decode_spans`); `readings` marks a segment's entities in its text for the
marked-relations reader (PURE, Zhong and Chen 2021, with typed markers).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from spacy.tokens import Doc
from spacy.training.iob_utils import iob_to_biluo, tags_to_entities

SHAPES = 5  # word shapes (capitalisation); twice as many with the glued-word hint
Entity = tuple[int, int, str]  # (first word, end word, label) in a segment


@dataclass
class Segment:
    """A run of words of one document; entities and relations index its words."""

    words: list[str]
    entities: list[Entity] = field(default_factory=list)
    relations: list[tuple[int, int, str]] = field(default_factory=list)
    offset: int = 0  # index of the first word in the Doc
    hints: list[int] = field(default_factory=list)  # the base pipeline's entity tag of each word (0: none)
    glued: list[bool] = field(default_factory=list)  # no space before the word ("Boise." as "Boise" + ".")
    vectors: Any = None  # the base pipeline's token vectors (doc.tensor rows), if it has them


def word_shape(word: str) -> int:
    """A word's shape: 1 capitalised, 2 all capitals, 3 a digit first, 4 a space or nothing, 0 anything else."""
    if word[:1].isupper():
        return 2 if word.isupper() and len(word) > 1 else 1
    if word[:1].isdigit():
        return 3
    return 4 if word.isspace() or not word else 0


def segments(doc: Doc, max_words: int, hint_labels: Sequence[str] = ()) -> Iterator[Segment]:
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
    tensor = doc.tensor if doc.tensor.size else None  # the base pipeline's token vectors, if it has them
    for start, end in bounds:
        tokens = doc[start:end]
        hints = [1 + 2 * index[t.ent_type_] + (t.ent_iob_ == "I") if t.ent_type_ in index else 0 for t in tokens]
        glued = [t.i > 0 and not doc[t.i - 1].whitespace_ for t in tokens]
        vectors = None if tensor is None else tensor[start:end]
        yield Segment([t.text for t in tokens], offset=start, hints=hints, glued=glued, vectors=vectors)


def bio_tags(entities: list[Entity], length: int, tags: list[str]) -> list[int]:
    """The index in `tags` of each of `length` words' BIO tag."""
    out = [0] * length
    for start, end, label in entities:
        out[start] = tags.index(f"B-{label}")
        for k in range(start + 1, end):
            out[k] = tags.index(f"I-{label}")
    return out


def decode_bio(predicted: list[int], tags: list[str]) -> list[Entity]:
    """Entities from a BIO tag sequence (spaCy's reading: an I- that does not continue an entity starts one).

    >>> decode_bio([1, 2, 0, 3], ["O", "B-Org", "I-Org", "B-Loc", "I-Loc"])
    [(0, 2, 'Org'), (3, 4, 'Loc')]
    """
    biluo = iob_to_biluo([tags[t] for t in predicted])
    return [(start, end + 1, label) for label, start, end in tags_to_entities(biluo)]


def best_bio_path(probabilities: Any, tags: list[str]) -> list[int]:
    """The most probable tag sequence (Viterbi) of (words, tags) probabilities among those that are
    valid BIO (an I- tag only after a B- or I- of its label), one tag index per word. Word-by-word
    tags can break "City University of New York" into an Org and a Loc; this reads it whole.

    >>> tags = ["O", "B-Org", "I-Org", "B-Loc", "I-Loc"]
    >>> best_bio_path(np.array([[.1, .8, 0, .1, 0], [.1, 0, .4, 0, .5]]), tags)
    [1, 2]
    """
    log = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1.0))
    if not len(log):
        return []
    inside = np.array([t.startswith("I-") for t in tags])
    same_label = np.array([[a != "O" and a[2:] == b[2:] for b in tags] for a in tags])
    barred = np.where(~inside[None, :] | same_label, 0.0, -np.inf)  # (from, to): an I- only after its label
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


def span_targets(segments: list[Segment], width: int, labels: list[str], length: int) -> list[list[int]]:
    """For spans of `width` words in a batch padded to `length` words, the class of each span by its
    first word: 0 none, 1 + the label's index for a gold entity, -100 (ignored) past the segment's end."""
    out = []
    for segment in segments:
        gold = {(s, e): 1 + labels.index(label) for s, e, label in segment.entities}
        n = len(segment.words)
        out.append([gold.get((s, s + width), 0) if s + width <= n else -100 for s in range(length - width + 1)])
    return out


def decode_spans(scored: list[tuple[float, int, int, str]], words: list[str]) -> list[Entity]:
    """Non-overlapping entities from scored spans (score, start, end, label), best first."""
    taken: set[int] = set()
    found = []
    for _, start, end, label in sorted(scored, key=lambda c: (-c[0], c[1], c[2])):
        if words[start].isspace() or words[end - 1].isspace() or taken.intersection(range(start, end)):
            continue
        taken.update(range(start, end))
        found.append((start, end, label))
    return sorted(found)


SUBJECT = ("@", "*")
OBJECT = ("#", "^")


@dataclass
class Marked:
    """One subject's reading of a segment: the words with markers, where the subject's and each
    object's first marker are, and the objects (indices into the segment's entities)."""

    words: list[str]
    subject: int
    subject_at: int
    objects: list[int]
    objects_at: list[int]


def marked_words(words: list[str], entities: list[Entity], subject: int, objects: list[int]) -> Marked:
    """The segment's words with the subject and its objects marked by words the encoder knows, their
    types spelt out (entities are (start, end, label) over `words`, and do not overlap).

    >>> m = marked_words(["Booth", "shot", "Lincoln"], [(0, 1, "Peop"), (2, 3, "Peop")], 0, [1])
    >>> " ".join(m.words), m.subject_at, m.objects_at
    ('@ * peop * Booth @ shot # ^ peop ^ Lincoln #', 0, [7])
    """
    roles = {subject: SUBJECT, **{o: OBJECT for o in objects}}
    opening = {entities[k][0]: k for k in roles}
    closing = {entities[k][1]: k for k in roles}  # one at most: entities do not overlap
    out: list[str] = []
    at: dict[int, int] = {}
    for i, word in enumerate([*words, None]):
        if i in closing:
            out.append(roles[closing[i]][0])
        if i in opening:
            k = opening[i]
            outer, inner = roles[k]
            at[k] = len(out)
            out += [outer, inner, *entities[k][2].lower().replace("_", " ").split(), inner]
        if word is not None:
            out.append(word)
    return Marked(out, subject, at[subject], list(objects), [at[o] for o in objects])


def readings(entities: list[Entity], pairs: list[tuple[int, int]], words: list[str]) -> list[Marked]:
    """One marked reading per subject of the candidate `pairs`, in the order subjects first appear."""
    objects: dict[int, list[int]] = {}
    for h, t in pairs:
        objects.setdefault(h, []).append(t)
    return [marked_words(words, entities, h, ts) for h, ts in objects.items()]
