"""kg.relations.matching: the dependency patterns matched only in the trees where one can match give
exactly the matches, in the same order, of spaCy's DependencyMatcher over the whole document."""

from __future__ import annotations

import pytest
import spacy
from spacy.attrs import LEMMA, LOWER
from spacy.matcher import DependencyMatcher
from spacy.tokens import Doc

from kg.relations.matching import TreeGatedMatcher, TreeIndex, relevant_runs, tree_roots
from kg.relations.patterns import PatternExtractor

TEXTS = [  # several sentences each: some hold a pattern's words, others none
    "Fumio Kishida met Joe Biden in Tokyo on Monday. The weather was mild. Kishida said the talks were useful.",
    "Shares fell sharply. Tesco, which employs 250,000 people, appointed Terry Leahy as chief executive. "
    "Analysts were surprised. The company later bought Safeway and sold its stake in Dobbies.",
    "Anthony Albanese visited Washington, where he met Joe Biden. Albanese praised the alliance. "
    "It rained all day in the capital, and nobody came.",
    "The prices rose. The index fell. Nothing else happened.",  # no pattern can match here
    "Gordon Brown, who studied at Edinburgh University, criticised Tony Blair. Blair denied it.",
]


@pytest.fixture(scope="module")
def extractor(nlp, resources):
    return PatternExtractor(nlp, resources.patterns, resources.relations)


def whole_document_matches(nlp, matcher: TreeGatedMatcher, doc: Doc) -> list:
    plain = DependencyMatcher(nlp.vocab)
    for key, patterns in matcher._raw_patterns.items():
        plain.add(key, patterns)
    return plain(doc)


def test_gated_matches_equal_the_dependency_matchers(nlp, extractor):
    """Per-pattern matchers over their own trees give what one DependencyMatcher of the document's
    patterns gives over the whole document, in the same order."""
    found = 0
    left_out_trees = False
    for doc in nlp.pipe(TEXTS):
        active = extractor.active_patterns(doc)
        plain = DependencyMatcher(nlp.vocab)
        for pid in active:
            plain.add(pid, [extractor.by_id[pid].pattern])
        expected = plain(doc) if active else []
        assert extractor._dependency_matches(doc) == expected
        found += len(expected)
        index = TreeIndex(doc)
        for pid in active:
            runs = relevant_runs(doc, index.roots, [extractor.requirements[pid]], index)
            left_out_trees |= runs is not None and sum(end - start for start, end in runs) < len(doc)
    assert found >= 5  # the texts do match patterns
    assert left_out_trees  # and some of their sentences were skipped


def test_gated_matcher_gives_nothing_where_no_tree_can_match(nlp):
    matcher = TreeGatedMatcher(nlp.vocab)
    pattern = [
        {"RIGHT_ID": "verb", "RIGHT_ATTRS": {"LEMMA": "meet"}},
        {"LEFT_ID": "verb", "REL_OP": ">", "RIGHT_ID": "subj", "RIGHT_ATTRS": {"DEP": "nsubj"}},
    ]
    matcher.add("meet", [pattern])
    gates = [[(LEMMA, frozenset({nlp.vocab.strings.add("meet")}))]]
    doc = nlp("The prices rose. The index fell.")
    assert matcher.gated(doc, gates) == [] == whole_document_matches(nlp, matcher, doc)
    doc = nlp("The prices rose. Ada met Charles.")
    [(key, tokens)] = matcher.gated(doc, gates)
    assert [doc[i].text for i in tokens] == ["met", "Ada"]
    assert matcher.gated(doc, gates) == whole_document_matches(nlp, matcher, doc)


def test_tree_roots_and_the_fallback_for_heads_that_are_no_tree():
    nlp = spacy.blank("en")
    doc = Doc(nlp.vocab, words=["A", "met", "B", ".", "C", "left"], heads=[1, 1, 1, 1, 5, 5], deps=["dep"] * 6)
    assert tree_roots(doc).tolist() == [1, 1, 1, 1, 5, 5]
    cycle = Doc(nlp.vocab, words=["a", "b", "c"], heads=[1, 2, 0], deps=["x", "y", "z"])
    assert tree_roots(cycle) is None  # spaCy's own walk decides: the matcher falls back to it
    matcher = TreeGatedMatcher(nlp.vocab)
    matcher.add("ab", [[{"RIGHT_ID": "a", "RIGHT_ATTRS": {"LOWER": "a"}}]])
    gates = [[(LOWER, frozenset({nlp.vocab.strings["a"]}))]]
    expected = [(nlp.vocab.strings["ab"], [0])]
    assert matcher.gated(cycle, gates) == whole_document_matches(nlp, matcher, cycle) == expected


def test_relevant_runs_without_requirements_is_every_tree():
    nlp = spacy.blank("en")
    doc = Doc(nlp.vocab, words=["A", "met", "B", ".", "C", "left"], heads=[1, 1, 1, 1, 5, 5], deps=["dep"] * 6)
    assert relevant_runs(doc, tree_roots(doc), [[]]) is None
    met = (LOWER, frozenset({nlp.vocab.strings["met"]}))
    left = (LOWER, frozenset({nlp.vocab.strings["left"]}))
    assert relevant_runs(doc, tree_roots(doc), [[met]]) == [(0, 4)]
    assert relevant_runs(doc, tree_roots(doc), [[met, left]]) == []  # never both in one tree
    assert relevant_runs(doc, tree_roots(doc), [[met], [left]]) == [(0, 6)]
