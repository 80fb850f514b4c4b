"""spaCy's DependencyMatcher, looking only at the dependency trees where some pattern can match.

A dependency pattern's nodes are all in one tree (one sentence's parse). spaCy's DependencyMatcher
first runs a token Matcher of every node of every pattern over the whole document, then groups the
matched tokens by their tree's root. Most of a document's trees lack a word some node of a pattern
requires (a LEMMA, LOWER, ORTH, ENT_TYPE or TAG value), so the pattern cannot match in them:
TreeGatedMatcher runs the token Matcher only over the runs of tokens of the trees that hold every
required word of one of its patterns. The matches, and their order, are those of the
DependencyMatcher over the whole document. kg.relations.patterns keeps one matcher per pattern, so
that each pattern is looked for only in its own trees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from spacy.attrs import HEAD
from spacy.matcher import DependencyMatcher
from spacy.tokens import Doc

#: a requirement: a token attribute (spacy.attrs id) and the hashes of the values it may take
Requirement = tuple[int, frozenset[int]]


def tree_roots(doc: Doc) -> np.ndarray | None:
    """The index of each token's tree root (its last ancestor, or itself), or None when the heads
    do not form trees (a cycle), where only spaCy's own walk says what the matcher does."""
    n = len(doc)
    roots = np.arange(n, dtype=np.int64) + doc.to_array(HEAD).astype(np.int64)
    for _ in range(n.bit_length() + 1):  # pointer jumping: each round doubles the steps walked up
        further = roots[roots]
        if np.array_equal(further, roots):
            return roots
        roots = further
    return None


def relevant_runs(
    doc: Doc, roots: np.ndarray, patterns: Iterable[Sequence[Requirement]], index: TreeIndex | None = None
) -> list[tuple[int, int]] | None:
    """The (start, end) runs of tokens of the trees in which some pattern can match: those holding,
    for each requirement of the pattern, a token with one of its values. None where a pattern has
    no requirement (every tree may match it). `index` keeps what is found for the next call.

    Example:
        >>> import spacy
        >>> from spacy.attrs import LOWER
        >>> nlp = spacy.blank("en")
        >>> doc = Doc(nlp.vocab, words=["A", "met", "B", ".", "C", "left", "."], heads=[1, 1, 1, 1, 5, 5, 5],
        ...           deps=["nsubj", "ROOT", "dobj", "punct", "nsubj", "ROOT", "punct"])
        >>> relevant_runs(doc, tree_roots(doc), [[(LOWER, frozenset({nlp.vocab.strings["met"]}))]])
        [(0, 4)]
    """
    index = index or TreeIndex(doc, roots)
    relevant: set[int] = set()
    for requirements in patterns:
        if not requirements:
            return None
        trees: set[int] | None = None
        for requirement in requirements:
            found = index.trees_with(requirement)
            trees = found if trees is None else trees & found
            if not trees:
                break
        relevant |= trees or set()
    if not relevant:
        return []
    inside = np.isin(roots, np.fromiter(relevant, dtype=np.int64, count=len(relevant)))
    edges = np.flatnonzero(np.diff(np.concatenate(([0], inside.astype(np.int8), [0]))))
    return [(int(start), int(end)) for start, end in zip(edges[::2], edges[1::2])]


class TreeIndex:
    """One parsed document's tree roots (None where the heads form no tree) and, as they are asked
    for, the trees holding a token that meets a requirement: shared by the matchers of its patterns."""

    def __init__(self, doc: Doc, roots: np.ndarray | None = None) -> None:
        self.doc = doc
        self.roots = tree_roots(doc) if roots is None else roots
        self._columns: dict[int, np.ndarray] = {}
        self._trees: dict[Requirement, set[int]] = {}

    def trees_with(self, requirement: Requirement) -> set[int]:
        """The roots of the trees that hold a token meeting `requirement` (the heads form trees)."""
        assert self.roots is not None, "trees_with needs trees: check roots first"
        found = self._trees.get(requirement)
        if found is None:
            attr, values = requirement
            column = self._columns.get(attr)
            if column is None:
                column = self._columns[attr] = self.doc.to_array(attr).astype(np.uint64)
            wanted = np.fromiter(values, dtype=np.uint64, count=len(values))
            found = self._trees[requirement] = set(self.roots[np.isin(column, wanted)].tolist())
        return found


class TreeGatedMatcher(DependencyMatcher):
    """A DependencyMatcher that matches only in the trees given by `relevant_runs`.

    Example:
        >>> matcher = TreeGatedMatcher(nlp.vocab)  # doctest: +SKIP
        >>> matcher.add("met", [pattern])  # doctest: +SKIP
        >>> matcher.gated(doc, [requirements_of_pattern])  # doctest: +SKIP
        [(match_id, [token, ...]), ...]
    """

    _runs: list[tuple[int, int]] | None = None
    _roots: Any = None

    def gated(
        self, doc: Doc, requirements: Iterable[Sequence[Requirement]], index: TreeIndex | None = None
    ) -> list[tuple[int, list[int]]]:
        """The matches of matcher(doc), found in the trees where one of the patterns (each given
        by its requirements) can match. `index`: the document's TreeIndex, shared by several matchers."""
        index = index or TreeIndex(doc)
        roots = index.roots
        runs = None if roots is None else relevant_runs(doc, roots, requirements, index)
        if runs is not None and not runs:
            return []
        self._runs, self._roots = runs, roots
        try:
            return self(doc)
        finally:
            self._runs = self._roots = None

    def _get_keys_to_position_maps(self, doc: Doc) -> Any:
        """As DependencyMatcher's (each tree root -> node key -> its matched tokens, in document
        order), over the relevant runs only."""
        if self._runs is None:
            return super()._get_keys_to_position_maps(doc)  # type: ignore[misc]
        positions: defaultdict[int, defaultdict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        roots = self._roots
        for start, end in self._runs:
            for match_id, first, _end in self._matcher(doc[start:end]):
                token = start + first
                positions[int(roots[token])][match_id].append(token)
        return positions
