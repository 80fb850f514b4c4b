"""Mentions of a spaCy Doc: the boundary where spaCy objects become kg's dataclasses."""

from __future__ import annotations

from spacy.tokens import Doc, Span, Token

from kg.dates import date_key
from kg.model import Mention
from kg.text import normalize_name

#: pronouns that refer back to a person
PERSON_PRONOUNS = frozenset({"he", "him", "his", "himself", "she", "her", "hers", "herself"})
#: syntactic functions of a noun phrase that stands for a participant ("the minister said", "the firm's profit")
ARGUMENT_DEPS = frozenset({"nsubj", "nsubjpass", "dobj", "pobj", "poss", "dative", "agent", "conj"})


def mention_of_span(span: Span, doc_id: str, type_: str, label: str) -> Mention:
    """The mention of a span: without a leading "the", trailing punctuation or a possessive ending
    ("BBC Radio 4's" is BBC Radio 4), or a full stop that ends the sentence rather than an
    abbreviation ("Lyric Theatre." but "Acme Inc.")."""
    sent = span.sent
    start = span.start_char
    stripped = clean_surface(span.text)
    if stripped.lower().startswith("the ") and len(stripped) > 4:
        start, stripped = start + 4, stripped[4:]
    return Mention(doc_id, start, start + len(stripped), stripped, type_, label, sent.start_char, sent.end_char)


def clean_surface(text: str) -> str:
    """`text` without trailing punctuation, a possessive ending, or a sentence's full stop.

    >>> clean_surface("BBC Radio 4's"), clean_surface("Lyric Theatre."), clean_surface("Azusa, Calif.")
    ('BBC Radio 4', 'Lyric Theatre', 'Azusa, Calif.')
    """
    text = text.rstrip(" \t\n(-,;:/")
    for ending in ("'s", "’s", "'", "’"):
        if text.endswith(ending) and len(text) > len(ending) + 1:
            text = text[: -len(ending)].rstrip()
            break
    last = text.split()[-1] if text.split() else ""
    if last.endswith(".") and len(last) > 6 and "." not in last[:-1]:
        text = text[:-1]  # "Theatre." ends a sentence; "Calif.", "Conn." and "Inc." are abbreviations
    return text


def mention_of_token(token: Token, doc_id: str, type_: str, label: str) -> Mention:
    return mention_of_span(token.doc[token.i : token.i + 1], doc_id, type_, label)


def doc_mentions(
    doc: Doc,
    doc_id: str,
    entity_labels: dict[str, str],
    headline: tuple[int, int] | None = None,
    nominals: dict[str, tuple[str, ...]] | None = None,
    nominals_by_name: frozenset[str] = frozenset(),
) -> list[Mention]:
    """Every entity mention of `doc` whose label maps to a node type, plus personal pronouns.

    Dates that name no year ("this week", "April") are left out: they name no day a graph can hold.
    A mention in the `headline` span is kept only if the body mentions the same name, or it is the
    surname of a person the body names ("Straw" for Jack Straw): title case misleads the NER model
    ("Leaders Meet" is no person).

    Descriptions are mentions too, labelled NOMINAL, for resolution to join to the entity they
    describe: a title used as a participant ("the foreign secretary said": a Person), and a
    definite noun phrase headed by one of the `nominals` nouns of a type ("the Dutch group"); for
    the types of `nominals_by_name` only where the document names one of that type with the noun
    ("the college" beside "Fife College"), the only entity it may join, or where it is a possessor
    ("the charity's director": left unresolved, no other organisation stands in for it).

    Mentions come in text order; a leading "the" is not part of the mention.
    """
    mentions = [
        mention_of_span(ent, doc_id, entity_labels[ent.label_], ent.label_)
        for ent in doc.ents
        if ent.label_ in entity_labels and (entity_labels[ent.label_] != "Date" or date_key(ent.text) is not None)
    ]
    mentions = [m for m in mentions if m.text.strip()]  # a lone "-" the model took for a name names nothing
    if headline is not None:
        in_body = [m for m in mentions if not headline[0] <= m.start < headline[1]]
        body = {m.text.casefold() for m in in_body} | {
            m.text.split()[-1].casefold() for m in in_body if m.type == "Person"
        }
        mentions = [m for m in mentions if not headline[0] <= m.start < headline[1] or m.text.casefold() in body]
    mentions += [
        mention_of_token(t, doc_id, "Person", "PRON") for t in doc if t.lower_ in PERSON_PRONOUNS and t.pos_ == "PRON"
    ]
    named_words = {(m.type, w) for m in mentions for w in normalize_name(m.text).split()}

    def may_join(m: Mention) -> bool:
        """A name of its type holds its noun, or it is a possessor, for which no other entity must
        stand in ("the charity's director")."""
        span = doc.char_span(m.start, m.end, alignment_mode="expand")
        noun = (normalize_name(m.text).split() or [""])[-1]
        return (m.type, noun) in named_words or span is not None and span.root.dep_ == "poss"

    mentions += [
        m for m in nominal_mentions(doc, doc_id, nominals or {}) if m.type not in nominals_by_name or may_join(m)
    ]
    return sorted(mentions, key=lambda m: (m.start, m.end))  # stable: a description follows its title


def nominal_mentions(doc: Doc, doc_id: str, nominals: dict[str, tuple[str, ...]]) -> list[Mention]:
    """Definite descriptions standing for a participant: titles ("the prime minister", type
    Person) and the `nominals` nouns of each type ("the company", "the Indian firm")."""
    out = []
    for ent in doc.ents:
        if ent.label_ == "ROLE" and _definite_argument(doc, ent.start, ent.root) and not _names_follow(doc, ent.end):
            out.append(mention_of_span(doc[ent.start - 1 : ent.end], doc_id, "Person", "NOMINAL"))
    heads = {noun: type_ for type_, nouns in nominals.items() for noun in nouns}
    for token in doc:
        type_ = heads.get(token.lower_)
        if type_ is None or token.ent_type_ or token.pos_ != "NOUN" or token.dep_ not in ARGUMENT_DEPS:
            continue
        start = token.i
        while (
            start > 0
            and doc[start - 1].head.i == token.i
            and doc[start - 1].dep_ in ("amod", "compound")
            and doc[start - 1].ent_type_ not in ("ORG", "PERSON")
        ):
            start -= 1
        named = any(t.pos_ == "PROPN" and t.ent_type_ != "NORP" for t in doc[start : token.i])
        if (
            _definite_argument(doc, start, token)
            and not named  # "the Yes campaign" is a name; "the Dutch group" a description
            and not any(c.dep_ == "prep" and c.lower_ == "of" for c in token.children)
        ):
            out.append(mention_of_span(doc[start - 1 : token.i + 1], doc_id, type_, "NOMINAL"))
    return out


def _definite_argument(doc: Doc, start: int, root: Token) -> bool:
    return start > 0 and doc[start - 1].lower_ == "the" and root.dep_ in ARGUMENT_DEPS


def _names_follow(doc: Doc, end: int) -> bool:
    """A title right before a name or an organisation's name is printed with it, not used alone."""
    return end < len(doc) and (
        doc[end].ent_type_ in ("PERSON", "ORG")
        or doc[end].lower_ == "of"
        and end + 1 < len(doc)
        and doc[end + 1].lower_ != "the"
    )
