"""Titles and honorifics in the entity layer: the `kg_titles` spaCy component.

News names people with their posts: "Foreign Secretary Jack Straw", "BA chairman Martin
Broughton", "Rod Eddington, BA's chief executive", "Mr Boateng". The statistical NER finds the
names but not the titles, and often swallows a title into a name ("Chancellor Gordon Brown" as
one PERSON, "Acme chief Jane Doe" as one ORG). This component, driven by the role lexicon
(data/roles.json) and the honorifics (data/honorifics.csv):

- marks every title as a ROLE entity: a head ("chairman", "chief executive") with the words that
  qualify it in its noun phrase ("shadow foreign secretary", "prisons minister") and a place or
  common-noun complement ("high commissioner to South Africa"); status words ("former") and a
  nationality or place in front ("French", "UK") stay out, so "UK Prime Minister" and "Japanese
  Prime Minister" hold one role, Prime Minister;
- splits an entity that holds a title before a name into organisation, title and person;
- makes an unlabelled proper noun just before a title an organisation ("NatWest chief executive");
- extends a person's name over the honorific before it ("Mr Boateng", "Sir John Gieve"), which
  also makes a bare surname that the model called a place or organisation a person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

NAME_LABELS = frozenset({"PERSON", "PER"})
PLACE_LABELS = frozenset({"GPE", "NORP", "LOC"})
_PREFIXES = frozenset({"vice", "co", "non"})  # "vice-", "co-", "non-" before a title's head
_ARGUMENT_DEPS = frozenset(
    {"nsubj", "nsubjpass", "dobj", "pobj", "poss", "attr", "conj", "appos", "ROOT", "dative", "oprd"}
)


@dataclass(frozen=True)
class RoleLexicon:
    """data/roles.json: heads by class, the words around them, and the status words."""

    heads: dict[str, str]  # lower-case head phrase -> class (leader, member, staff, title)
    modifiers: frozenset[str]
    status: dict[str, str]  # word -> former | future
    not_roles: frozenset[str]
    complements: frozenset[str]
    heads_of_places: frozenset[str]
    staff_when_qualified: frozenset[str]
    not_titles: frozenset[str] = frozenset()
    heads_of_places_before: frozenset[str] = frozenset()
    organisation_descriptions: frozenset[str] = frozenset()
    portfolios: frozenset[str] = frozenset()
    seats: frozenset[str] = frozenset()
    article_heads: frozenset[str] = (
        frozenset()
    )  # company posts that, printed with no organisation, are in the article's
    organisation_units: frozenset[str] = frozenset()  # "division", "unit": a part of an organisation

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoleLexicon:
        heads = {h.lower(): kind for kind, words in data.get("heads", {}).items() for h in words}
        return cls(
            heads,
            frozenset(w.lower() for w in data.get("modifiers", ())),
            {k.lower(): v for k, v in data.get("status", {}).items()},
            frozenset(w.lower() for w in data.get("not_roles", ())),
            frozenset(w.lower() for w in data.get("complements", ())),
            frozenset(w.lower() for w in data.get("heads_of_places", ())),
            frozenset(w.lower() for w in data.get("staff_when_qualified", ())),
            frozenset(w.lower() for w in data.get("not_titles", ())),
            frozenset(w.lower() for w in data.get("heads_of_places_before", ())),
            frozenset(w.lower() for w in data.get("organisation_descriptions", ())),
            frozenset(w.lower() for w in data.get("portfolios", ())),
            frozenset(w.lower() for w in data.get("seats", ())),
            frozenset(w.lower() for w in data.get("heads_of_the_article_organisation", ())),
            frozenset(w.lower() for w in data.get("organisation_units", ())),
        )

    @cached_property
    def longest(self) -> int:
        return max((len(h.replace("-", " - ").split()) for h in self.heads), default=1)

    @cached_property
    def first_words(self) -> frozenset[str]:
        """The words a head can start with (a token that is none of them starts no title)."""
        return frozenset(h.replace("-", " - ").split()[0] for h in self.heads)

    def may_start(self, word: str) -> bool:
        word = word.lower()
        return (
            word in self.first_words
            or word.endswith("s")
            and word[:-1] in self.first_words
            or word.endswith("men")
            and word[:-3] + "man" in self.first_words
        )

    def head_kind(self, phrase: str) -> str | None:
        """The class of a head phrase as written ("Chief Executive", "ministers"), or None."""
        phrase = " ".join(phrase.lower().replace(" - ", "-").split())
        if phrase in self.heads:
            return self.heads[phrase]
        if phrase.endswith("s") and phrase[:-1] in self.heads:
            return self.heads[phrase[:-1]]
        if phrase.endswith("men") and phrase[:-3] + "man" in self.heads:  # chairmen, spokesmen
            return self.heads[phrase[:-3] + "man"]
        return None


@Language.factory(
    "kg_titles",
    default_config={"roles": {}, "honorifics": [], "first_names": [], "organisation_words": []},
    requires=["doc.ents", "token.dep", "token.pos"],
    assigns=["doc.ents"],
)
def make_titles(
    nlp: Language,
    name: str,
    roles: dict[str, Any],
    honorifics: list[str],
    first_names: list[str],
    organisation_words: list[str],
) -> Titles:
    """ROLE entities for titles, entities split around them, person names over their honorifics;
    a name the model took for an organisation or place is a person's when a title is printed with
    it and it starts with a given name or has no word of an organisation's name ("Olaf Scholz, the
    Chancellor"; not "Acme Group, the chairman's company")."""
    return Titles(RoleLexicon.from_json(roles), honorifics, first_names, organisation_words)


class Titles:
    def __init__(
        self,
        lexicon: RoleLexicon,
        honorifics: Iterable[str],
        first_names: Iterable[str] = (),
        organisation_words: Iterable[str] = (),
    ) -> None:
        self.lexicon = lexicon
        self.first_names = frozenset(n.lower() for n in first_names)
        self.organisation_words = frozenset(w.lower() for w in organisation_words)
        self.honorifics = frozenset(h.lower().rstrip(".") for h in honorifics if lexicon.head_kind(h) is None)

    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)
        roles = self.role_spans(doc)
        in_role = {i for start, end in roles for i in range(start, end)}
        for start, end in roles:
            ents = _place(doc, ents, start, end)
        ents = [self._with_honorific(doc, e, in_role) for e in ents]
        ents = [self._titled_person(doc, e, roles) for e in ents]
        ents = [self._described_organisation(doc, e) for e in ents]
        ents = [
            e for e in ents if not all(t.lower_.rstrip(".") in self.honorifics for t in e)
        ]  # "Mr" alone names nobody
        ents = _joined_organisations(doc, ents)
        ents += self._complement_organisations(doc, ents, roles)
        taken = {i for e in ents for i in range(e.start, e.end)}
        for start, _ in roles:  # "Yes campaign chairman John Tomaney"
            first = self._named_organisation_before(doc, start)
            if first is not None and not taken & set(range(first, start)):
                ents.append(Span(doc, first, start, label="ORG"))
        doc.ents = _clean(doc, ents)
        return doc

    def _complement_organisations(self, doc: Doc, ents: list[Span], roles: list[tuple[int, int]]) -> list[Span]:
        """The capitalised name after a title and "at", or "of the" or "for the", which the model left
        untyped, is an organisation's: "an analyst at Petercam", "chairman of the Mozilla foundation",
        "a tutor for the Workers' Educational Association" (not "professor of Economics"). A given name
        or honorific first is no such name."""
        taken = {i for e in ents for i in range(e.start, e.end)}
        out = []
        for _, end in roles:
            if end + 1 >= len(doc) or doc[end].lower_ not in ("of", "at", "for"):
                continue
            if doc[end].lower_ != "at" and doc[end + 1].lower_ != "the":
                continue  # "professor of Economics", "minister for Europe": a field or a place, not "the" body
            start = end + 1 + (doc[end + 1].lower_ == "the")
            stop = start
            while (
                stop < len(doc)
                and stop not in taken
                and doc[stop].sent == doc[end].sent
                and (
                    doc[stop].is_title
                    or doc[stop].is_upper
                    and doc[stop].is_alpha
                    or doc[stop].text in ("'", "&")
                    or doc[stop].lower_ in ("of", "for", "on", "and")
                    and stop + 1 < len(doc)
                    and doc[stop + 1].is_title
                    and stop > start
                )
            ):
                stop += 1
            if stop < len(doc) and stop > start and doc[stop].lower_ in self.organisation_words and stop not in taken:
                stop += 1  # "the Mozilla foundation"
            while stop > start and (doc[stop - 1].lower_ in ("of", "for", "on", "and", "'", "&")):
                stop -= 1
            if (
                stop == start
                or doc[start].lower_ in self.first_names
                or doc[start].lower_.rstrip(".") in self.honorifics
            ):
                continue
            if doc[stop - 1].pos_ not in ("PROPN", "NOUN") or stop < len(doc) and doc[stop].is_title:
                continue
            out.append(Span(doc, start, stop, label="ORG"))
        return out

    def _titled_person(self, doc: Doc, ent: Span, roles: list[tuple[int, int]]) -> Span:
        """An ORG, GPE or NORP span of two or three capitalised words, a given name first or no word
        of an organisation's name in it, printed right after a title or with one in apposition, is a
        person."""
        if (
            ent.label_ not in ("ORG", "GPE", "NORP", "FAC")
            or not 2 <= len(ent) <= 3
            or not all(t.is_title for t in ent)
        ):
            return ent
        if ent[0].lower_ not in self.first_names and any(self._organisation_word(t) for t in ent):
            return ent
        ends = {end for _, end in roles}
        starts = {start for start, _ in roles}
        after_title = ent.start in ends
        apposed = (
            ent.end + 1 < len(doc)
            and doc[ent.end].text == ","
            and (ent.end + 1 in starts or ent.end + 2 in starts and doc[ent.end + 1].lower_ in ("the", "a", "an"))
        )
        return Span(doc, ent.start, ent.end, label="PERSON") if after_title or apposed else ent

    def _described_organisation(self, doc: Doc, ent: Span) -> Span:
        """A name the model took for a person's is an organisation's where the text says so and it
        does not start with a given name: ending in an organisation word ("Pixelforge Studios"), right
        after a word of roles.json's organisation_descriptions
        ("trade body Intellect", "Spain's biggest bank, Santander Central Hispano"), or the "of"/"at"
        phrase of a named person ("analyst Mike Powell of Dresdner Kleinwort Wasserstein")."""
        if ent.label_ != "PERSON" or ent[0].lower_ in self.first_names or ent[0].lower_.rstrip(".") in self.honorifics:
            return ent
        if len(ent) > 1 and self._organisation_word(ent[-1]):
            return Span(doc, ent.start, ent.end, label="ORG")  # "Pixelforge Studios", "Acme Group"
        before = doc[ent.start - 1] if ent.start >= 1 else None
        if before is not None and before.text == "," and ent.start >= 2 and doc[ent.start - 2].pos_ == "NOUN":
            described = any(
                c.dep_ in ("poss", "amod") for c in doc[ent.start - 2].children
            )  # "Spain's biggest bank, X"
            before = doc[ent.start - 2] if described else None
        if before is not None and before.ent_type_ == "" and before.lower_ in self.lexicon.organisation_descriptions:
            return Span(doc, ent.start, ent.end, label="ORG")
        head = ent.root.head
        if (
            ent.root.dep_ == "pobj"
            and head.lower_ in ("of", "at")
            and head.head.ent_type_ == "PERSON"
            and head.head.i < ent.start
        ):
            return Span(doc, ent.start, ent.end, label="ORG")
        return ent

    # ---- titles

    def role_spans(self, doc: Doc) -> list[tuple[int, int]]:
        """Token spans of the titles in `doc`, longest heads first, never overlapping."""
        spans: list[tuple[int, int]] = []
        taken = [False] * len(doc)
        i = 0
        while i < len(doc):
            head_end = self._head_at(doc, i)
            if head_end is None:
                i += 1
                continue
            start = self._extend_left(doc, i)
            end = self._extend_right(doc, head_end)
            if not any(taken[start:end]):
                spans.append((start, end))
                taken[start:end] = [True] * (end - start)
            i = head_end
        return spans

    def _head_at(self, doc: Doc, i: int) -> int | None:
        """The end of the longest role head starting at token i, if it heads a noun phrase there."""
        if not self.lexicon.may_start(doc[i].text):
            return None
        sent_end = doc[i].sent.end
        for size in range(min(self.lexicon.longest * 2, sent_end - i), 0, -1):
            span = doc[i : i + size]
            last = span[-1]
            if self.lexicon.head_kind(span.text) is None:
                continue
            nxt = doc[i + size] if i + size < len(doc) else None
            before_name = nxt is not None and nxt.ent_type_ in NAME_LABELS
            before_full_name = before_name and i + size + 1 < len(doc) and doc[i + size + 1].ent_iob_ == "I"
            if last.pos_ not in ("NOUN", "PROPN") and not (before_full_name and last.pos_ == "ADJ"):
                # "official" is often tagged an adjective; before a full name it is a title
                # ("NUJ official Barry Fitzpatrick")
                continue
            if span.text.lower() in self.lexicon.not_roles or last.is_punct:
                return None
            if (
                size == 1
                and last.is_title
                and last.lower_ in self.first_names
                and last.ent_iob_ == "B"
                and last.ent_type_ in NAME_LABELS
            ):
                return None  # "Dean Boyd", one name to the model: a given name, not a title
            if (
                last.dep_ == "compound"
                and last.head.ent_type_ not in NAME_LABELS
                and not (nxt is not None and self._name_like(doc, nxt))
            ):
                return None  # "head office", "staff cuts": the word modifies another noun
            if nxt is not None and nxt.text in ("-",) and not nxt.whitespace_:
                return None  # "chief-" of a longer compound
            if nxt is not None and nxt.text in ("'", "’") and last.lower_.endswith("s"):
                return None  # "the Music Managers' Forum": a plural possessive, whose noun follows
            return i + size
        return None

    def _organisation_word(self, token: Token) -> bool:
        """A word of an organisation's name, in the singular or plural ("Studios", "Partners")."""
        word = token.lower_
        return word in self.organisation_words or word.endswith("s") and word[:-1] in self.organisation_words

    def _name_like(self, doc: Doc, token: Token) -> bool:
        """Whether `token` starts a person's name, or a name the model mistyped that could be one
        (two or three capitalised words, a given name first or no word of an organisation's name:
        "South African President Thabo Mbeki", whom the model took for a place)."""
        if token.ent_type_ in NAME_LABELS:
            return True
        if token.ent_iob_ != "B" or token.ent_type_ not in ("ORG", "GPE", "NORP", "FAC"):
            return False
        ent = next((e for e in doc.ents if e.start == token.i), None)
        if ent is None or not 2 <= len(ent) <= 3 or not all(t.is_title for t in ent):
            return False
        return ent[0].lower_ in self.first_names or not any(self._organisation_word(t) for t in ent)

    def _extend_left(self, doc: Doc, start: int) -> int:
        """Take the words that qualify the title ("shadow foreign secretary", "prisons minister");
        a nationality or place before it stays out ("French President" is a President)."""
        sent_start = doc[start].sent.start
        while start > sent_start:
            tok = doc[start - 1]
            low = tok.lower_
            if low in self.lexicon.status or low in ("the", "a", "an") or tok.is_punct and tok.text != "-":
                break
            if (
                tok.text == "-"
                and not tok.whitespace_
                and start - 2 >= sent_start
                and (doc[start - 2].lower_ in self.lexicon.modifiers or doc[start - 2].lower_ in _PREFIXES)
            ):
                start -= 2  # "vice-", "co-", "non-"
                continue
            if low in self.lexicon.modifiers:
                start -= 1
                continue
            if (
                tok.text[:1].isupper()
                and low in self.lexicon.portfolios
                and low not in ("and", "of")
                and self._all_portfolio(doc, tok)
            ):
                ent_start = start - 1  # "Constitutional Affairs Minister", "Work and Pensions Secretary"
                while (
                    ent_start - 1 >= sent_start
                    and doc[ent_start - 1].lower_ in self.lexicon.portfolios
                    and (doc[ent_start - 1].text[:1].isupper() or doc[ent_start - 1].lower_ in ("and", "of"))
                ):
                    ent_start -= 1
                while doc[ent_start].lower_ in ("and", "of"):
                    ent_start += 1
                start = ent_start
                continue
            if self._named_organisation_before(doc, start) is not None:
                break  # "Yes campaign chairman": the campaign is an organisation, not a qualifier
            if (
                tok.ent_type_ == ""
                and tok.pos_ in ("NOUN", "ADJ")
                and tok.is_lower
                and tok.dep_ in ("compound", "amod", "nmod")
            ):
                start -= 1  # "prisons minister", "aviation analyst"
                continue
            break
        return start

    def _named_organisation_before(self, doc: Doc, start: int) -> int | None:
        """Where an organisation the model left unnamed starts right before token `start`: capitalised
        words and an organisation noun ("Yes campaign", "Mozilla foundation" before "chairman")."""
        noun = start - 1
        if noun < 1 or doc[noun].lower_ not in self.organisation_words or doc[noun].ent_type_:
            return None
        first = noun
        while first - 1 >= doc[start - 1].sent.start and doc[first - 1].is_title and not doc[first - 1].ent_type_:
            first -= 1
        if first == noun or doc[first].lower_ in self.first_names or doc[first].lower_.rstrip(".") in self.honorifics:
            return None
        return first

    def _all_portfolio(self, doc: Doc, tok: Token) -> bool:
        """A word outside any entity, or in one made only of portfolio words ("UKIP Scotland" is a
        branch, not the field of a "Scotland chairman")."""
        if not tok.ent_type_:
            return True
        ent = next((e for e in doc.ents if e.start <= tok.i < e.end), None)
        return ent is None or all(t.lower_ in self.lexicon.portfolios for t in ent)

    def _extend_right(self, doc: Doc, end: int) -> int:
        """Take a complement that belongs to the title: "to South Africa", "of schools"."""
        if end >= len(doc) or doc[end].lower_ not in self.lexicon.complements:
            return end
        prep = doc[end]
        objects = [c for c in prep.children if c.dep_ == "pobj"]
        if not objects:
            return end
        obj = objects[0]
        subtree = {t.i for t in obj.subtree}
        last = obj.i  # the complement's own words, up to a comma (an apposition hung on it is not the title's)
        while last + 1 in subtree and not doc[last + 1].is_punct:
            last += 1
        if (
            all(t.lower_ in self.lexicon.portfolios or t.lower_ == "the" for t in doc[end + 1 : last + 1])
            and obj.text[:1].isupper()
        ):
            return last + 1  # "Undersecretary of State", "Secretary of State for Health"
        if last - end > 4 or any(t.ent_type_ in ("ORG", "PERSON", "FAC") for t in doc[end : last + 1]):
            return end
        head = doc[end - 1].lower_
        if obj.ent_type_ in PLACE_LABELS and head in self.lexicon.heads_of_places:
            return end  # "president of Ukraine": the place is the one led, not part of the title
        bare_noun = (
            prep.lower_ == "of"
            and obj.is_lower
            and obj.pos_ == "NOUN"
            and last - end <= 2
            and not any(c.dep_ in ("det", "poss") for c in obj.children)
        )
        if not (obj.ent_type_ in PLACE_LABELS or bare_noun):
            return end  # "chairman of the club", "working peer for practical political reasons" end at the head
        return last + 1

    # ---- honorifics

    def _with_honorific(self, doc: Doc, ent: Span, in_role: set[int]) -> Span:
        """A person's span over the honorific before it ("Mr" + "Boateng"); a one-word name the model
        gave another label becomes a person when an honorific stands before it."""
        start = ent.start
        while (
            start > 0
            and start - 1 not in in_role
            and doc[start - 1].lower_.rstrip(".") in self.honorifics
            and doc[start - 1].is_title
            and doc[start - 1].ent_type_ in ("", ent.label_)
        ):
            start -= 1
        if start == ent.start:
            return ent
        if ent.label_ in NAME_LABELS or ent.label_ in ("ORG", "GPE", "NORP", "LOC", "FAC") and len(ent) <= 2:
            return Span(doc, start, ent.end, label="PERSON")
        return ent


def _place(doc: Doc, ents: list[Span], start: int, end: int) -> list[Span]:
    """Put the title doc[start:end] among `ents`: entities inside it go, an entity it starts in or
    cuts is split (the part before stays what it was, a part after it of capitalised words is a
    person), and an unlabelled proper noun just before it becomes an organisation."""
    out: list[Span] = []
    role = Span(doc, start, end, label="ROLE")
    for ent in ents:
        if ent.end <= start or ent.start >= end:
            out.append(ent)
            continue
        if start <= ent.start and ent.end <= end:
            continue  # absorbed: "UK" in "UK Foreign Secretary"
        if ent.start < start and ent.end <= end:
            if ent.label_ in NAME_LABELS or doc[start - 1].pos_ in ("ADP", "CCONJ", "DET"):
                return ents  # the title ends a name ("Council of Economic Advisers"): leave the name
            out.append(Span(doc, ent.start, start, label=ent.label_))
            continue
        before = (
            Span(doc, ent.start, start, label=ent.label_ if ent.label_ not in NAME_LABELS else "ORG")
            if ent.start < start
            else None
        )
        after = doc[end : ent.end]
        if not after or not all(t.is_title or t.is_upper or t.is_punct for t in after):
            return ents  # "Council of Economic Advisers" is a name, not a title
        if before is not None:
            out.append(before)
        first = next((t.i for t in after if not t.is_punct), ent.end)  # "MPs - Keith Vaz": not "- Keith Vaz"
        if first < ent.end:
            out.append(Span(doc, first, ent.end, label="PERSON"))
    if (
        start > 0
        and doc[start - 1].pos_ == "PROPN"
        and not doc[start - 1].ent_type_
        and doc[start - 1].text[0].isupper()
        and doc[start - 1].lower_ not in ("mr", "mrs", "ms")
    ):
        org_start = start - 1
        while (
            org_start > doc[start].sent.start
            and doc[org_start - 1].pos_ == "PROPN"
            and not doc[org_start - 1].ent_type_
        ):
            org_start -= 1
        if org_start > doc[start].sent.start or org_start == doc[start].sent.start and len(doc[org_start:start]) < 3:
            out.append(Span(doc, org_start, start, label="ORG"))  # "NatWest chief executive"
    out.append(role)
    return out


def _joined_organisations(doc: Doc, ents: list[Span]) -> list[Span]:
    """Two organisation names the model split with nothing but a space between ("BNP" "Paribas") are one."""
    ordered = sorted(ents, key=lambda e: e.start)
    out: list[Span] = []
    for ent in ordered:
        last = out[-1] if out else None
        if (
            last is not None
            and last.label_ == ent.label_ == "ORG"
            and last.end == ent.start
            and doc[last.end - 1].whitespace_ == " "
            and doc[last.end - 1].text not in ("'s", "'", "’s", "’")
        ):  # "News Corp's News International" are two
            out[-1] = Span(doc, last.start, ent.end, label="ORG")
        else:
            out.append(ent)
    return out


def _clean(doc: Doc, ents: list[Span]) -> list[Span]:
    """Entities in text order without overlaps: titles first, then the longer of two spans."""
    taken = [False] * len(doc)
    kept = []
    for ent in sorted(ents, key=lambda e: (e.label_ != "ROLE", -(e.end - e.start), e.start)):
        if len(ent) and not any(taken[ent.start : ent.end]):
            kept.append(ent)
            taken[ent.start : ent.end] = [True] * len(ent)
    return sorted(kept, key=lambda e: e.start)
