"""Open relations: subject-verb-object statements between entities and key noun phrases.

They form a layer of their own (layer "open", predicate = the verb lemma, low confidence), never
checked against or mixed with the typed schema, for exploring what the documents say about
concepts such as "integration" or "division of labor".
"""

from __future__ import annotations

from spacy.tokens import Doc, Token

from kg.model import Mention, RelationMention
from kg.relations.spans import group, modality, noun_phrase, sentence_evidence
from kg.resources import OpenRelationRules

EXTRACTOR = "open:svo"


def _side(token: Token, doc_id: str, at: list[Mention | None], made: dict, rules: OpenRelationRules) -> list[Mention]:
    """The entities at `token` (with those coordinated with it), else the noun phrase it heads."""
    found = [m for m in group(token, at, expand=True) if m.type not in ("Date", "Role")]
    if found:
        return found
    if token.pos_ in ("NOUN", "PROPN") and token.lemma_.lower() not in rules.generic_nouns and not token.is_stop:
        return [noun_phrase(token, doc_id, "Concept", made)]
    return []


def open_relations(
    doc: Doc, doc_id: str, at: list[Mention | None], made: dict, rules: OpenRelationRules
) -> list[RelationMention]:
    """One relation per (subject, verb, object) of an active or passive clause with a direct object.

    At least one end is a named entity or both are noun phrases of substance; pronouns that were
    not resolved to a mention are left out, and so are negated or hypothetical clauses ("will not
    sign", "should resign").
    """
    out = []
    for verb in doc:
        if verb.pos_ != "VERB" or verb.lemma_.lower() in rules.skip_verbs or modality(verb):
            continue  # a verb that carries no information, or a statement that is negated or only wished for
        subjects = [c for c in verb.children if c.dep_ == "nsubj"]
        objects = [c for c in verb.children if c.dep_ == "dobj"]
        if not objects:  # passive: "the plan was announced by the ministry"
            objects = [c for c in verb.children if c.dep_ == "nsubjpass"]
            subjects = [g for c in verb.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
        if not subjects or not objects:
            continue
        evidence = sentence_evidence(doc_id, verb.sent)
        predicate = verb.lemma_.lower()
        for s_token in subjects:
            for o_token in objects:
                for s in _side(s_token, doc_id, at, made, rules):
                    for o in _side(o_token, doc_id, at, made, rules):
                        if s != o and (s.type != "Concept" or o.type != "Concept" or s.text != o.text):
                            out.append(RelationMention(s, predicate, o, rules.confidence, EXTRACTOR, evidence, "open"))
    return out
