"""Relations read with the entities marked in the text (PURE, Zhong and Chen 2021; typed markers of
Zhou and Chen 2021), an option of kg_joint_extractor (kg train --marked-relations).

For each entity that can head a relation (the subject) the segment is encoded once more, with the
subject and every entity it may pair with (its objects) marked by words the encoder already knows
and their types spelt out:

    @ * peop * John Wilkes Booth @ , who assassinated President # ^ peop ^ Lincoln # , was an actor .

so the whole encoder reads the sentence knowing which entity the question is about. A pair's
relations are scored from the vectors of its subject's and object's first markers. This costs one
encoder pass per subject, where the pooled classifier of kg_joint_extractor costs none beyond the
entities' pass. The reader itself is kg.training.networks.MarkedReader.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBJECT = ("@", "*")
OBJECT = ("#", "^")


@dataclass
class Marked:
    """One subject's marked reading of a segment: the words with markers, where the subject's and
    each object's first marker are, and the objects (indices into the segment's entities)."""

    words: list[str]
    subject: int
    subject_at: int
    objects: list[int]
    objects_at: list[int]


def marked_words(words: list[str], entities: list[tuple[int, int, str]], subject: int, objects: list[int]) -> Marked:
    """The segment's words with the subject and its objects marked (entities are (start, end, label)
    over `words`, and do not overlap).

    >>> m = marked_words(["Booth", "shot", "Lincoln"], [(0, 1, "Peop"), (2, 3, "Peop")], 0, [1])
    >>> " ".join(m.words), m.subject_at, m.objects_at
    ('@ * peop * Booth @ shot # ^ peop ^ Lincoln #', 0, [7])
    """
    roles = {subject: SUBJECT, **{o: OBJECT for o in objects}}
    opening = {entities[k][0]: k for k in roles}
    closing: dict[int, list[int]] = {}
    for k in roles:
        closing.setdefault(entities[k][1], []).append(k)
    out: list[str] = []
    at: dict[int, int] = {}
    for i in range(len(words) + 1):
        for k in closing.get(i, []):
            out.append(roles[k][0])
        if i == len(words):
            break
        if i in opening:
            k = opening[i]
            outer, inner = roles[k]
            at[k] = len(out)
            out += [outer, inner, *entities[k][2].lower().replace("_", " ").split(), inner]
        out.append(words[i])
    return Marked(out, subject, at[subject], list(objects), [at[o] for o in objects])


def readings(entities: list[tuple[int, int, str]], pairs: list[tuple[int, int]], words: list[str]) -> list[Marked]:
    """One marked reading per subject of the candidate `pairs`, in the order subjects first appear."""
    objects: dict[int, list[int]] = {}
    for h, t in pairs:
        objects.setdefault(h, []).append(t)
    return [marked_words(words, entities, h, ts) for h, ts in objects.items()]
