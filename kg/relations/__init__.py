"""Stage 4: relation extraction: schema patterns, open subject-verb-object relations, metadata."""

from __future__ import annotations

from typing import Sequence

from spacy.language import Language
from spacy.tokens import Doc

from kg.model import Mention, RelationMention
from kg.relations.open import open_relations
from kg.relations.patterns import PatternExtractor
from kg.relations.spans import token_index
from kg.relations.titles import TitleRules, title_relations
from kg.resources import Resources

__all__ = ["RelationExtractor"]


class RelationExtractor:
    """Every extractor over one parsed document: the schema's patterns, then (optionally) the open layer.

    Example:
        >>> extract = RelationExtractor(nlp, resources)  # doctest: +SKIP
        >>> relations, noun_phrases = extract(doc, "doc-1", mentions)  # doctest: +SKIP
    """

    def __init__(self, nlp: Language, resources: Resources, open_layer: bool = True) -> None:
        from kg.annotation.titles import RoleLexicon

        self.patterns = PatternExtractor(nlp, resources.patterns, resources.relations)
        self.titles = TitleRules(RoleLexicon.from_json(resources.roles), frozenset(p.lower() for p in resources.parties))
        self.open_rules = resources.open_rules if open_layer else None

    def __call__(self, doc: Doc, doc_id: str, mentions: Sequence[Mention]) -> tuple[list[RelationMention], list[Mention]]:
        at = token_index(doc, mentions)
        made: dict[tuple[int, int], Mention] = {}
        found = self.patterns.extract(doc, doc_id, mentions, at, made)
        found += title_relations(doc, doc_id, mentions, at, self.titles, made)
        if self.open_rules is not None:  # the open layer adds only what the schema did not say
            typed = {(r.evidence.start, frozenset((r.subject, r.object))) for r in found}
            found += [r for r in open_relations(doc, doc_id, at, made, self.open_rules)
                      if (r.evidence.start, frozenset((r.subject, r.object))) not in typed]
        return found, list(made.values())
