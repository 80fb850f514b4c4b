"""spaCy pipeline components of kg, registered by name (`nlp.add_pipe("kg_gazetteer")`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, Token

from kg.annotation.mentions import clean_surface

#: node type of the alias data -> entity label put on the Doc
TYPE_LABELS = {
    "Person": "PERSON",
    "Organization": "ORG",
    "Place": "GPE",
    "Event": "EVENT",
    "Role": "ROLE",
    "Concept": "CONCEPT",
    "Date": "DATE",
}


@Language.factory("kg_paragraph_breaks", requires=["token.text"], assigns=["token.is_sent_start"])
def make_paragraph_breaks(nlp: Language, name: str) -> ParagraphBreaks:
    """Start a sentence after every blank line, so a title or byline never runs into the next line."""
    return ParagraphBreaks()


class ParagraphBreaks:
    def __call__(self, doc: Doc) -> Doc:
        for token in doc[:-1]:
            if token.is_space and token.text.count("\n") >= 2:
                doc[token.i + 1].is_sent_start = True
        return doc


@Language.factory(
    "kg_gazetteer",
    default_config={"phrases": [], "patterns": []},
    requires=["doc.ents"],
    assigns=["doc.ents"],
)
def make_gazetteer(nlp: Language, name: str, phrases: list[list[str]], patterns: list[dict[str, Any]]) -> Gazetteer:
    """Entities from the alias data (`phrases`: [text, label] pairs) and token `patterns`.

    It runs after the statistical NER. A gazetteer match replaces the model's entities only where it
    covers them whole ("U.S. military" replaces "U.S."), and never cuts one in two ("RAND" inside
    "the RAND National Security Research Division" leaves the longer name alone).
    """
    return Gazetteer(nlp, phrases, patterns)


class Gazetteer:
    def __init__(self, nlp: Language, phrases: Iterable[list[str]], patterns: Iterable[dict[str, Any]]) -> None:
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.caseless = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.tokens = Matcher(nlp.vocab)
        by_label: dict[tuple[str, bool], list[Doc]] = {}
        for text, label in phrases:
            doc = nlp.make_doc(text)
            by_label.setdefault((label, False), []).append(doc)
            if label == "ROLE" and len(doc) > 1:  # "prime minister" in running text
                by_label.setdefault((label, True), []).append(doc)
        for (label, caseless), docs in by_label.items():
            (self.caseless if caseless else self.exact).add(label, docs)
        for item in patterns:
            self.tokens.add(item["label"], [item["pattern"]])

    def __call__(self, doc: Doc) -> Doc:
        matches = [*self.exact(doc), *self.caseless(doc), *self.tokens(doc)]
        if not matches:
            return doc
        spans = sorted({(s, e, m) for m, s, e in matches}, key=lambda x: (x[0] - x[1], x[0]))
        ents = list(doc.ents)
        ent_of = {i: n for n, ent in enumerate(ents) for i in range(ent.start, ent.end)}
        taken = [False] * len(doc)
        replaced: set[int] = set()
        added: list[Span] = []
        for start, end, match_id in spans:
            if any(taken[start:end]):
                continue
            covered = {ent_of[i] for i in range(start, end) if i in ent_of}
            if any(ents[n].start < start or ents[n].end > end for n in covered):
                continue
            replaced |= covered
            taken[start:end] = [True] * (end - start)
            added.append(Span(doc, start, end, label=match_id))
        doc.ents = [e for n, e in enumerate(ents) if n not in replaced] + added
        return doc


#: prepositions after which a bare name is a place ("in Washington"), not a person
LOCATIVE = frozenset(
    {"in", "at", "to", "from", "near", "across", "into", "toward", "towards", "within", "outside", "inside", "via"}
)


@Language.factory(
    "kg_name_consistency",
    default_config={"organisation_words": [], "first_names": [], "organisation_parts": []},
    requires=["doc.ents"],
    assigns=["doc.ents"],
)
def make_name_consistency(
    nlp: Language, name: str, organisation_words: list[str], first_names: list[str], organisation_parts: list[str]
) -> NameConsistency:
    """A bare surname the model labelled a place or organisation becomes a person when the document
    names that person in full ("Joe Biden ... the meeting between Biden and Yoon"), unless a locative
    preposition says it is a place ("in Washington"). A "person" that is an acronym ("BAA") or has
    a word of an organisation's name and no given name ("Manchester United") is an organisation, and
    so is, in every mention of the document, a "person" the text gives what only organisations have
    ("Def Jam's parent company", "two Santander shareholders": `organisation_parts`) or calls "its"."""
    return NameConsistency(organisation_words, first_names, organisation_parts)


#: entity labels that may stand between a subject and the "its" that refers to it
_NAMED = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT"})


def _its_owners(doc: Doc) -> set[str]:
    """Names the model took for people that the text calls "it": the subject of a clause whose "its"
    can refer to nothing else ("Laura Ashley is parting company with its chief executive", "Laura
    Ashley was founded by its late namesake"). People are "his" or "her", never "its"."""
    owners = set()
    for ent in doc.ents:
        verb = ent.root.head
        if ent.label_ != "PERSON" or ent.root.dep_ not in ("nsubj", "nsubjpass") or verb.i < ent.end:
            continue
        for token in doc[ent.end : verb.right_edge.i + 1]:
            if (
                token.ent_type_ in _NAMED
                or token.lower_ in ("his", "her", "their", "he", "she", "they")
                or token.pos_ == "NOUN"
                and any(c.dep_ in ("det", "poss") for c in token.children)
            ):
                break  # another owner is named first: "X would move the company into its next era"
            if token.lower_ == "its" and token.dep_ == "poss" and _clause_of(token) == verb:
                owners.add(ent.text)
                break
    return owners


def _clause_of(token: Token) -> Token:
    """The nearest verb above a token (the token's clause)."""
    while token.head != token and token.pos_ not in ("VERB", "AUX"):
        token = token.head
    return token


class NameConsistency:
    def __init__(
        self,
        organisation_words: Iterable[str] = (),
        first_names: Iterable[str] = (),
        organisation_parts: Iterable[str] = (),
    ) -> None:
        self.organisation_words = frozenset(w.lower() for w in organisation_words)
        self.first_names = frozenset(n.lower() for n in first_names)
        self.organisation_parts = frozenset(w.lower() for w in organisation_parts)

    def _has_organisation_part(self, ent: Span) -> bool:
        """ "Def Jam's parent company", "the former Yukos subsidiary", "Santander's board", "Yukos chief executive"."""
        root = ent.root
        if root.dep_ not in ("poss", "compound", "nmod") or root.head.i < ent.end:
            return False
        head = root.head
        modifiers = [c.lower_ for c in head.lefts if c.dep_ in ("compound", "amod") and c.i >= ent.end]
        # "Vexo's new parent company", "Yukos's former chief executive": a part after any status words
        return any(
            " ".join([*modifiers[k:], head.lower_]) in self.organisation_parts for k in range(len(modifiers) + 1)
        )

    def _organisation(self, ent: Span) -> bool:
        if ent.label_ != "PERSON" or ent[0].lower_ in self.first_names:
            return False
        acronym = len(ent) == 1 and ent.text.isupper() and len(ent.text) >= 2 and ent.text.isalpha()
        return acronym or any(t.lower_ in self.organisation_words for t in ent[1:])

    def __call__(self, doc: Doc) -> Doc:
        doc.ents = [Span(doc, e.start, e.end, label="ORG") if self._organisation(e) else e for e in doc.ents]
        owners = _its_owners(doc) | {
            e.text for e in doc.ents if e.label_ == "PERSON" and self._has_organisation_part(e)
        }
        owners = {clean_surface(o) for o in owners}
        longer = [e.text for e in doc.ents if e.label_ == "ORG"]  # "Santander" of "Santander Central Hispano":
        owners = {o for o in owners if not any(n.startswith(o + " ") for n in longer)}  # resolution joins them
        doc.ents = [
            Span(doc, e.start, e.end, label="ORG") if e.label_ == "PERSON" and clean_surface(e.text) in owners else e
            for e in doc.ents
        ]
        people = {
            part for ent in doc.ents if ent.label_ == "PERSON" and len(ent) > 1 for part in (ent[0].text, ent[-1].text)
        }
        if not people:
            return doc
        ents = []
        for ent in doc.ents:
            if (
                ent.label_ in ("GPE", "ORG", "LOC", "NORP")
                and len(ent) == 1
                and ent.text in people
                and (ent.start == 0 or doc[ent.start - 1].lower_ not in LOCATIVE)
            ):
                ent = Span(doc, ent.start, ent.end, label="PERSON")
            ents.append(ent)
        doc.ents = ents
        return doc
