"""met_at for the gathering a news article is about.

An article about a summit, a forum or a lecture names it, and usually its place, near its start;
later sentences say who takes part without naming it again: "more than 20 leaders are expected to
attend, including ...", "Viktor Yushchenko will also be there", "He delivered the lecture". Each
person such a clause names met_at the gathering and at its place. The words live in
data/gatherings.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc, Token

from kg.model import Mention, RelationMention
from kg.relations.spans import group, mention_span, modality, noun_phrase, sentence_evidence

EXTRACTOR = "gatherings"
CONFIDENCE = 0.6


@dataclass(frozen=True)
class GatheringRules:
    """data/gatherings.json."""

    lead_sentences: int
    gathering_words: frozenset[str]
    participation_verbs: frozenset[str]
    participation_objects: frozenset[str]
    presence_adverbs: frozenset[str]
    representing_verbs: frozenset[str] = frozenset()
    meeting_words: frozenset[str] = frozenset()
    fellow_participants: frozenset[str] = frozenset()

    def is_gathering(self, token: Token) -> bool:
        """A word for a gathering, as written or by its lemma ("talks", "summits")."""
        return token.lower_ in self.gathering_words or token.lemma_.lower() in self.gathering_words

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GatheringRules:
        words = lambda key: frozenset(w.lower() for w in data.get(key, ()))  # noqa: E731
        return cls(
            int(data.get("lead_sentences", 3)),
            words("gathering_words"),
            words("participation_verbs"),
            words("participation_objects"),
            words("presence_adverbs"),
            words("representing_verbs"),
            words("meeting_words"),
            words("fellow_participants"),
        )


def gathering_relations(
    doc: Doc, doc_id: str, at: list[Mention | None], made: dict[tuple[int, int], Mention], rules: GatheringRules
) -> list[RelationMention]:
    """met_at between the people said to take part in the document's gathering and the gathering
    and its places; nothing where the document's start names no gathering."""
    found = _document_gathering(doc, doc_id, at, made, rules)
    if found is None:
        return []
    gathering, places = found
    out = []
    named_in = {gathering.sent_start}  # the sentence that names it says what it says through the patterns
    taking_part: dict[Mention, None] = {}
    for verb in doc:
        if verb.sent.start_char in named_in or not _takes_part(verb, rules) or modality(verb):
            continue
        evidence = sentence_evidence(doc_id, verb.sent)
        for person in _participants(verb, at):
            taking_part[person] = None
            for end in (gathering, *places):
                out.append(RelationMention(person, "met_at", end, CONFIDENCE, EXTRACTOR, evidence))
    if _is_meeting(doc, gathering, rules):  # "talks": those taking part meet one another
        people = list(taking_part)
        for i, first in enumerate(people):
            for second in people[i + 1 :]:
                if first.text != second.text:
                    later = second if second.start > first.start else first
                    evidence = sentence_evidence(doc_id, mention_span(doc, later).sent)
                    out.append(RelationMention(first, "met_with", second, CONFIDENCE, EXTRACTOR, evidence))
    for talk in doc:  # "Tony Blair's opening speech": who gives the speech is there
        if talk.sent.start_char in named_in or talk.lemma_.lower() not in rules.participation_objects:
            continue
        if any(rules.is_gathering(t) or t.ent_type_ == "EVENT" for t in talk.sent):
            continue  # "last year's festival included appearances by X": another gathering's
        givers = [c for c in talk.children if c.dep_ == "poss" and c.pos_ != "PRON"]  # "his speech": whose, the
        phrases = [
            *talk.children,
            *(g for p in talk.children if p.dep_ == "prep" for o in p.children for g in o.children),
        ]
        givers += [  # sentence says; "a speech on mobile TV by Angel Gambino", wherever "by" hangs in the phrase
            g
            for p in phrases
            if p.dep_ == "prep" and p.lower_ in ("from", "by")
            for g in p.children
            if g.dep_ == "pobj"
        ]
        speakers = [m for c in givers for m in group(c, at, True) if m.type == "Person"]
        evidence = sentence_evidence(doc_id, talk.sent)
        out += [
            RelationMention(s, "met_at", end, CONFIDENCE, EXTRACTOR, evidence)
            for s in speakers
            for end in (gathering, *places)
        ]
    return out


def _is_meeting(doc: Doc, gathering: Mention, rules: GatheringRules) -> bool:
    """Whether the gathering is one where its parties meet one another ("talks", not a forum)."""
    head = mention_span(doc, gathering).root
    return head.lower_ in rules.meeting_words or head.lemma_.lower() in rules.meeting_words


def _document_gathering(
    doc: Doc, doc_id: str, at: list[Mention | None], made: dict[tuple[int, int], Mention], rules: GatheringRules
) -> tuple[Mention, list[Mention]] | None:
    """The first named event of the lead sentences, else the first gathering noun there, and the
    places its phrase names ("the World Economic Forum in the Swiss resort of Davos")."""
    lead = list(doc.sents)[: rules.lead_sentences]
    tokens = [t for sent in lead for t in sent]
    named = next((m for t in tokens if (m := at[t.i]) is not None and m.type == "Event"), None)
    if named is not None:
        gathering, head = named, mention_span(doc, named).root
    else:
        noun = next(
            (t for t in tokens if t.pos_ in ("NOUN", "PROPN") and rules.is_gathering(t) and t.ent_type_ == ""), None
        )
        if noun is None:
            return None
        head = noun
        gathering = noun_phrase(head, doc_id, "Event", made)  # "Labour Party gathering", without what was said there
    # where: the places the lead gives this gathering, or the other gathering words there ("the
    # two-day summit at the foreign secretary's official Kent house, Chevening")
    places = _places_of(head, at)
    for other in (t for t in tokens if t.i != head.i and t.pos_ in ("NOUN", "PROPN") and rules.is_gathering(t)):
        places += [m for m in _places_of(other, at) if m not in places]
    return gathering, places


def _places_of(head: Token, at: list[Mention | None]) -> list[Mention]:
    """Places in the "in"/"at" phrases of the gathering's head, or of the verb it is the subject of
    ("the summit opens in Bergen"), through "the city of X"."""
    out: list[Mention] = []
    holders = [head, head.head] if head.dep_ in ("nsubj", "nsubjpass") and head.head is not head else [head]
    for prep in (c for h in holders for c in h.children if c.dep_ == "prep" and c.lower_ in ("in", "at")):
        for obj in (c for c in prep.children if c.dep_ == "pobj"):
            targets = [
                obj,
                *(
                    g
                    for p in obj.children
                    if p.dep_ == "prep" and p.lower_ == "of"
                    for g in p.children
                    if g.dep_ == "pobj"
                ),
                *(c for c in obj.children if c.dep_ == "appos"),
            ]  # "the resort of Davos", "his house, Chevening"
            out += [m for t in targets if (m := at[t.i]) is not None and m.type == "Place" and m not in out]
    return out


def _takes_part(verb: Token, rules: GatheringRules) -> bool:
    """A clause that says its subject takes part and names no event or place of its own: "attend"
    without an object, "will be there", "put in an appearance", "delivered the lecture", "is meeting his
    counterparts"."""
    if verb.pos_ not in ("VERB", "AUX"):
        return False
    objects = [c for c in verb.children if c.dep_ in ("dobj", "attr")]
    if any(c.dep_ == "prep" and c.lower_ in ("at", "in") for c in verb.children):
        return False  # the clause names where: the schema's patterns read it
    preps = {c.lower_ for c in verb.children if c.dep_ == "prep"}
    if preps & {"about", "of", "with", "against", "for"} or "to" in preps and "from" not in preps:
        return False  # "spoke about the summit", "spoke to reporters": no taking part ("from X to Y" lists who)
    if verb.lemma_ in rules.representing_verbs:
        return True  # "Peter Caruana will represent the British citizens", "Madrid is represented by X"
    if verb.lemma_ in rules.participation_verbs:
        return all(o.lemma_.lower() in rules.participation_objects | rules.gathering_words for o in objects)
    if verb.lemma_ == "meet":  # "Tony Blair is meeting his EU counterparts"
        return bool(objects) and all(o.lemma_.lower() in rules.fellow_participants for o in objects)
    if verb.lemma_ == "be":
        return any(c.dep_ == "advmod" and c.lower_ in rules.presence_adverbs for c in verb.children)
    return any(o.lemma_.lower() in rules.participation_objects for o in objects)


def _participants(verb: Token, at: list[Mention | None]) -> list[Mention]:
    """The people the clause names as its subject (with those coordinated or "including" them),
    the subject of the verb it complements ("is expected to attend"), and those after "as will" ("X will
    also be there - as will Y")."""
    clause = verb
    agents = [g for a in verb.children if a.dep_ == "agent" for g in a.children if g.dep_ == "pobj"]
    if agents:  # "Madrid is represented by Spain's director general for Europe, Jose Maria Pons" (the name
        # in apposition, wherever the parse hangs it in the agent's phrase)
        heads = [*agents, *(t for a in agents for t in a.subtree if t.dep_ == "appos")]
        return list(dict.fromkeys(m for h in heads for m in group(h, at, True) if m.type == "Person"))
    subject = next((c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    while subject is None and clause.dep_ in ("xcomp", "conj") and clause.head is not clause:
        clause = clause.head
        subject = next((c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None:
        return []
    # "leaders are expected to attend, including X and Y"; "figures will appear, from X to Y"
    listing = ("including",) if at[subject.i] is not None else ("including", "from", "to")
    heads = [
        subject,
        *(
            g
            for p in [*subject.children, *verb.children, *clause.children]
            if p.dep_ == "prep" and p.lower_ in listing
            for g in p.children
            if g.dep_ == "pobj"
        ),
    ]
    # "X will also be there - as will newly elected Palestinian leader Y": the parse hangs "as will ..."
    # as a clause of its own whose noun is Y
    heads += [
        t
        for c in verb.children
        if c.dep_ == "advcl"
        and any(m.dep_ == "mark" and m.lower_ == "as" for m in c.children)
        and any(a.dep_ == "aux" and a.lower_ in ("will", "would", "did", "does", "do", "can") for a in c.children)
        for t in c.children
        if t.dep_ in ("nsubj", "dobj", "attr")
    ]
    return [m for h in heads for m in group(h, at, True) if m.type == "Person"]
