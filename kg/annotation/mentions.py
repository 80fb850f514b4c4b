"""Mentions of a spaCy Doc: the boundary where spaCy objects become kg's dataclasses."""

from __future__ import annotations

from spacy.tokens import Doc, Span, Token

from kg.dates import date_key
from kg.model import Mention

#: pronouns that refer back to a person
PERSON_PRONOUNS = frozenset({"he", "him", "his", "himself", "she", "her", "hers", "herself"})


def mention_of_span(span: Span, doc_id: str, type_: str, label: str) -> Mention:
    sent = span.sent
    start = span.start_char
    stripped = span.text.rstrip(" \t\n(-,;:/")
    if stripped.lower().startswith("the "):
        start, stripped = start + 4, stripped[4:]
    return Mention(doc_id, start, start + len(stripped), stripped, type_, label, sent.start_char, sent.end_char)


def mention_of_token(token: Token, doc_id: str, type_: str, label: str) -> Mention:
    return mention_of_span(token.doc[token.i : token.i + 1], doc_id, type_, label)


def doc_mentions(doc: Doc, doc_id: str, entity_labels: dict[str, str], headline: tuple[int, int] | None = None) -> list[Mention]:
    """Every entity mention of `doc` whose label maps to a node type, plus personal pronouns.

    Dates that name no year ("this week", "April") are left out: they name no day a graph can hold.
    A mention in the `headline` span is kept only if the body mentions the same name: title case
    misleads the NER model ("Leaders Meet" is no person).

    Mentions come in text order; a leading "the" is not part of the mention.
    """
    mentions = [
        mention_of_span(ent, doc_id, entity_labels[ent.label_], ent.label_)
        for ent in doc.ents
        if ent.label_ in entity_labels and (entity_labels[ent.label_] != "Date" or date_key(ent.text) is not None)
    ]
    if headline is not None:
        body = {m.text.casefold() for m in mentions if not headline[0] <= m.start < headline[1]}
        mentions = [m for m in mentions if not headline[0] <= m.start < headline[1] or m.text.casefold() in body]
    mentions += [
        mention_of_token(t, doc_id, "Person", "PRON")
        for t in doc
        if t.lower_ in PERSON_PRONOUNS and t.pos_ == "PRON"
    ]
    return sorted(mentions, key=lambda m: (m.start, m.end))
