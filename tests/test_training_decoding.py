"""The pure parts of the joint extractor (kg.training.decoding): span and BIO
decoding, segments, marked readings; no training."""

from __future__ import annotations

from itertools import product

import numpy as np
import spacy
from hypothesis import given
from hypothesis import strategies as st

from kg.training.config import JointSpec
from kg.training.decoding import (
    Segment,
    best_bio_path,
    bio_tags,
    decode_bio,
    decode_spans,
    marked_words,
    readings,
    segments,
    span_targets,
)
from kg.training.joint import JointExtractor

# span decoding, the entity half of the joint extractor


spans = st.tuples(st.floats(0, 1), st.integers(0, 9), st.integers(1, 4), st.sampled_from(["Peop", "Loc"])).map(
    lambda c: (c[0], c[1], min(10, c[1] + c[2]), c[3])
)


@given(st.lists(spans, max_size=30))
def test_decoded_spans_do_not_overlap_and_come_from_the_candidates(scored):
    words = ["w"] * 10
    found = decode_spans(scored, words)
    covered = [k for start, end, _ in found for k in range(start, end)]
    assert len(covered) == len(set(covered))
    assert set(found) <= {(s, e, label) for _, s, e, label in scored}
    if scored:  # the best candidate is always kept
        best = max(scored, key=lambda c: (c[0], -c[1], -c[2]))
        assert (best[1], best[2], best[3]) in found


def test_decoded_spans_prefer_the_higher_score_and_skip_whitespace():
    words = ["Palace", "of", "Fine", "Arts", " "]
    scored = [(0.6, 2, 4, "Other"), (0.9, 0, 4, "Loc"), (0.99, 4, 5, "Loc")]
    assert decode_spans(scored, words) == [(0, 4, "Loc")]


def test_span_targets_mark_gold_spans_and_ignore_spans_past_the_end():
    batch = [
        Segment(["Anna", "White", "met", "Bob"], entities=[(0, 2, "Peop"), (3, 4, "Peop")]),
        Segment(["Tokyo"], entities=[(0, 1, "Loc")]),
    ]
    assert span_targets(batch, 1, ["Loc", "Peop"], 4) == [[0, 0, 0, 2], [1, -100, -100, -100]]
    assert span_targets(batch, 2, ["Loc", "Peop"], 4) == [[2, 0, 0], [-100, -100, -100]]


def test_segments_mark_words_glued_to_the_one_before():
    nlp = spacy.blank("en")
    part = next(segments(nlp("He lives in Boise."), max_words=100))
    assert part.words[-2:] == ["Boise", "."] and part.glued == [False, False, False, False, True]


# BIO decoding: the most probable valid tag sequence


BIO = ["O", "B-Org", "I-Org", "B-Loc", "I-Loc"]


def _valid_bio(path):
    return all(
        not BIO[t].startswith("I-") or (k > 0 and BIO[path[k - 1]] != "O" and BIO[path[k - 1]][2:] == BIO[t][2:])
        for k, t in enumerate(path)
    )


tag_rows = st.lists(st.lists(st.floats(0.001, 1), min_size=len(BIO), max_size=len(BIO)), min_size=1, max_size=5).map(
    lambda rows: np.array(rows) / np.array(rows).sum(1, keepdims=True)
)


@given(tag_rows)
def test_best_bio_path_is_valid_and_no_valid_path_is_more_probable(probabilities):
    path = best_bio_path(probabilities, BIO)
    assert len(path) == len(probabilities) and _valid_bio(path)

    def log_score(p):
        return sum(np.log(probabilities[k, t]) for k, t in enumerate(p))

    best = max(log_score(p) for p in product(range(len(BIO)), repeat=len(probabilities)) if _valid_bio(p))
    assert log_score(path) >= best - 1e-9


@given(tag_rows)
def test_best_bio_path_is_each_words_best_tag_when_those_are_valid(probabilities):
    argmax = probabilities.argmax(-1).tolist()
    if _valid_bio(argmax) and all(sorted(row)[-1] > sorted(row)[-2] + 1e-9 for row in probabilities):  # no near-ties
        assert best_bio_path(probabilities, BIO) == argmax


@given(tag_rows)
def test_decode_bio_reads_every_path_best_bio_path_gives_back_into_its_tags(probabilities):
    path = best_bio_path(probabilities, BIO)
    assert bio_tags(decode_bio(path, BIO), len(path), BIO) == path  # each entity is one B- and its I- tags


def test_best_bio_path_reads_a_name_whole_where_word_by_word_tags_break_it():
    # "City University of New York": per word, "York" leans to Loc; as a sequence, the name is one Org
    probabilities = np.array(
        [
            [0.05, 0.9, 0.0, 0.05, 0.0],
            [0.1, 0.0, 0.8, 0.0, 0.1],
            [0.2, 0.0, 0.7, 0.0, 0.1],
            [0.1, 0.0, 0.6, 0.1, 0.2],
            [0.0, 0.0, 0.45, 0.05, 0.5],
        ]
    )
    assert decode_bio(probabilities.argmax(-1).tolist(), BIO) == [(0, 4, "Org"), (4, 5, "Loc")]
    assert decode_bio(best_bio_path(probabilities, BIO), BIO) == [(0, 5, "Org")]
    assert best_bio_path(np.zeros((0, len(BIO))), BIO) == []


def test_joint_extractor_decodes_bio_as_a_sequence():
    import torch

    extractor = JointExtractor(spacy.blank("en"), "kg_joint_extractor", threshold=0.5, max_words=100, batch_size=16)
    extractor.spec = JointSpec(
        ["Org", "Loc"], [], [], [], 0, 8, 0.1
    )  # tags: O, B-Org, I-Org, B-Loc, I-Loc, as BIO above
    part = Segment(["City", "University", "of", "New", "York"])
    scores = torch.tensor(
        [
            [
                [0.05, 0.9, 0.0, 0.05, 0.0],
                [0.1, 0.0, 0.8, 0.0, 0.1],
                [0.2, 0.0, 0.7, 0.0, 0.1],
                [0.1, 0.0, 0.6, 0.1, 0.2],
                [0.0, 0.0, 0.45, 0.05, 0.5],
            ]
        ]
    )
    assert extractor.entities(scores, 0, part) == [(0, 5, "Org")]


# marked relations: the segment read again per subject, subject and objects marked in the text


@st.composite
def marked_cases(draw):
    words = draw(st.lists(st.text("abcXYZ", min_size=1, max_size=4), min_size=1, max_size=12))
    cuts = sorted(draw(st.sets(st.integers(0, len(words)), min_size=2, max_size=8)))
    entities = [
        (s, e, draw(st.sampled_from(["Peop", "Loc", "Work_For"])))
        for s, e in zip(cuts, cuts[1:])
        if draw(st.booleans())
    ]
    if not entities:
        entities = [(cuts[0], cuts[1], "Peop")]
    subject = draw(st.integers(0, len(entities) - 1))
    objects = draw(
        st.lists(st.sampled_from([k for k in range(len(entities)) if k != subject] or [subject]), unique=True)
    )
    return words, entities, subject, [o for o in objects if o != subject]


@given(marked_cases())
def test_marked_words_keep_the_text_and_mark_subject_and_objects(case):
    words, entities, subject, objects = case
    marked = marked_words(words, entities, subject, objects)
    unmarked, skip = [], 0
    for k, word in enumerate(marked.words):  # drop each opening marker with its type words, and closing markers
        if skip:
            skip -= 1
        elif k in [marked.subject_at, *marked.objects_at]:
            skip = 2 + len(
                entities[[marked.subject, *marked.objects][[marked.subject_at, *marked.objects_at].index(k)]][2].split(
                    "_"
                )
            )
        elif word not in ("@", "#"):
            unmarked.append(word)
    assert unmarked == words
    assert marked.words[marked.subject_at : marked.subject_at + 2] == ["@", "*"] and marked.words.count("@") == 2
    assert [marked.words[a] for a in marked.objects_at] == ["#"] * len(objects) and marked.words.count("#") == 2 * len(
        objects
    )
    for k, at in zip([subject, *objects], [marked.subject_at, *marked.objects_at]):
        start, end, label = entities[k]
        label_words = label.lower().replace("_", " ").split()
        body = marked.words[at + 3 + len(label_words) : at + 3 + len(label_words) + end - start]
        assert marked.words[at + 2 : at + 2 + len(label_words)] == label_words and body == words[start:end]


def test_readings_give_one_reading_per_subject_with_its_objects():
    entities = [(0, 1, "Peop"), (2, 3, "Org"), (4, 5, "Loc")]
    found = readings(entities, [(0, 1), (0, 2), (1, 2)], ["Ann", "at", "Acme", "in", "Rome"])
    assert [(r.subject, r.objects) for r in found] == [(0, [1, 2]), (1, [2])]
