"""Title relations: what a title printed with a name says.

"BA chairman Martin Broughton", "Rod Eddington, BA's chief executive", "Shami Chakrabarti,
director of Liberty", "Labour MP Paul Boateng", "Sir John Gieve was Home Office permanent
secretary", "he became an MP": the person holds the role (holds_role), and where an organisation
or place is named with the title, the role's class in data/roles.json says how the person stands
to it: a leader heads it (leader_of), a member belongs to it (member_of), staff work for it
(works_for); a party named with any other title is the person's party (member_of). Status words
("former chief executive", "ex-Cabinet minister") and a future verb ("is to become") make the
statements former or future.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from kg.annotation.titles import RoleLexicon
from kg.model import Mention, RelationMention
from kg.relations.spans import mention_span, sentence_evidence
from kg.text import normalize_name

EXTRACTOR = "titles"
_ORG_PREPS = frozenset({"of", "at", "for", "with", "from", "in"})
_SKIP_BEFORE_ROLE = frozenset({"a", "an", "the", "its", "their", "his", "her"})
_COPULAS = frozenset(
    {
        "be",
        "become",
        "remain",
        "serve",
        "act",
        "name",
        "appoint",
        "make",
        "elect",
        "succeed",
        "return",
        "stay",
        "continue",
    }
)
#: verbs whose subject is what "as <title>" says it is ("served as chairman", "entered the Lords as a peer")
_AS_SUBJECT_VERBS = frozenset(
    {
        "serve",
        "act",
        "work",
        "enter",
        "join",
        "return",
        "remain",
        "stay",
        "continue",
        "start",
        "begin",
        "retire",
        "resign",
        "quit",
        "step",
        "stand",
        "take",
        "sit",
        "run",
        "appoint",
        "name",
        "elect",
        "confirm",
        "install",
    }
)
_FUTURE_AUX = frozenset({"will", "shall", "to", "'ll"})
#: nouns of a post: "the role of chairman", "his time as chief executive"
_POST_NOUNS = frozenset({"role", "post", "job", "title", "position", "time", "spell", "stint", "tenure", "term"})
_BY_CLASS = {"leader": "leader_of", "member": "member_of", "staff": "works_for"}


@dataclass(frozen=True)
class TitleRules:
    lexicon: RoleLexicon
    parties: frozenset[str]  # lower-case party aliases

    def kind(self, role: Mention) -> str:
        """The class of a role mention's head (its last word or words); a qualified leader head
        ("finance director") names a post below the top."""
        words = role.text.replace("-", " - ").split()
        for size in range(min(4, len(words)), 0, -1):
            kind = self.lexicon.head_kind(" ".join(words[-size:]))
            if kind is not None:
                head = " ".join(words[-size:]).lower()
                qualified = len(words) > size and words[-size - 1].lower() not in self.lexicon.modifiers
                if kind == "leader" and head in self.lexicon.staff_when_qualified and qualified:
                    return "staff"
                return kind
        return "title"

    def is_title(self, role: Mention) -> bool:
        """False for heads that tie a person to an organisation but name no post ("member")."""
        last = role.text.lower().split()[-1] if role.text.split() else ""
        return last not in self.lexicon.not_titles and last.removesuffix("s") not in self.lexicon.not_titles

    def status(self, doc: Doc, start_token: int) -> str:
        """former/future from the words just before a title ("former", "ex-", "incoming")."""
        i = start_token - 1
        sent_start = doc[start_token].sent.start
        while i >= sent_start and (
            doc[i].text in ("-", "'s")
            or doc[i].ent_type_ in ("ORG", "GPE", "NORP")
            or doc[i].lower_ in _SKIP_BEFORE_ROLE
        ):
            if doc[i].lower_ in self.lexicon.status:
                break
            i -= 1
        if i >= sent_start and doc[i].lower_ in self.lexicon.status:
            return self.lexicon.status[doc[i].lower_]
        return ""


def title_relations(
    doc: Doc,
    doc_id: str,
    mentions: Iterable[Mention],
    at: list[Mention | None],
    rules: TitleRules,
    made: dict[tuple[int, int], Mention],
) -> list[RelationMention]:
    """holds_role and the organisation relations of every title attached to a person in `doc`."""
    out: list[RelationMention] = []
    mentions = list(mentions)
    described = {(m.start, m.end): m for m in mentions if m.label == "NOMINAL" and m.type == "Person"}
    held: dict[int, tuple[Mention, str, Token | None]] = {}  # a title's root token -> its holder
    for role in [m for m in mentions if m.type == "Role"]:
        span = doc.char_span(role.start, role.end, alignment_mode="expand")
        if span is None:
            continue
        found = (
            (described[(role.start, role.end)], "description", None)
            if (role.start, role.end) in described
            else _holder(doc, span, at, rules.lexicon.status)
        )
        if (  # "Ann Lee, chairman and chief executive of Acme"; not "the prime minister and his chancellor"
            found is None
            and span.root.dep_ == "conj"
            and not any(c.dep_ in ("det", "poss") for c in span.root.children)
            and (first := held.get(span.root.head.i)) is not None
            and first[1] != "description"
        ):
            found = first
        if found is None:
            continue
        held[span.root.i] = found
        holder, via, verb = found
        if any(t.tag_ == "JJS" for t in span):
            continue  # "the world's greatest economist" praises, it names no post
        status = rules.status(doc, span.start) or _verb_status(verb)
        evidence = sentence_evidence(doc_id, span.sent)
        extractor = f"{EXTRACTOR}:{via}"
        facts = [("holds_role", role, 0.85)] if rules.is_title(role) else []
        for org, how in (
            _organisations(doc, span, holder, at, via, rules.lexicon.status, rules.lexicon.organisation_units)
            or _described_organisation(doc, span, mentions, rules)
            or _article_organisation(span, mentions, rules)
        ):
            if predicate := _relation(rules, role, org, how):
                facts.append((predicate, org, 0.8))
        for person in [
            holder,
            *(_listed_with(doc, holder, at) if via in ("before", "such as") and _plural(span) else ()),
        ]:
            out += [
                RelationMention(person, predicate, end, confidence, extractor, evidence, status=status)
                for predicate, end, confidence in facts
            ]
    out += _party_before_name(doc, doc_id, mentions, at, rules)
    out += _possessive_person(doc, doc_id, mentions, at, rules)
    return out


def _relation(rules: TitleRules, role: Mention, org: Mention, how: str) -> str | None:
    kind = rules.kind(role)
    is_party = org.text.lower() in rules.parties
    if org.type == "Organization":
        if is_party and kind != "leader":
            return "member_of"
        head = role.text.lower().split()[-1].removesuffix("s")
        if how == "before" and head in rules.lexicon.seats:
            return None  # "Manchester Central MP": the seat's place, not a body the MP belongs to
        if how == "unit" and kind == "leader":
            return "works_for"  # the head of a division leads the division, and works for the company
        return _BY_CLASS.get(kind)
    if org.type == "Place" and kind == "leader":
        head = role.text.lower().split()[-1]
        named = how in ("complement", "possessive") or how == "before" and head in rules.lexicon.heads_of_places_before
        return "leader_of" if named and head in rules.lexicon.heads_of_places else None
    return None


def _mention_at(at: list[Mention | None], i: int, type_: str) -> Mention | None:
    m = at[i] if 0 <= i < len(at) else None
    return m if m is not None and m.type == type_ else None


def _holder(
    doc: Doc, role: Span, at: list[Mention | None], status_words: Iterable[str] = ()
) -> tuple[Mention, str, Token | None] | None:
    """The person the title is printed with, how ("before", "such as", "apposition", "predicate"),
    and the verb of a predicate ("became")."""
    return (
        _holder_after(doc, role, at)
        or _holder_in_apposition(doc, role, at, status_words)
        or _holder_of_predicate(role, at)
    )


def _holder_after(doc: Doc, role: Span, at: list[Mention | None]) -> tuple[Mention, str, None] | None:
    """ "Foreign Secretary Jack Straw", "playwrights such as Martin Lynch", "the head of the troubled
    Child Support Agency Doug Smith"."""
    sent = role.sent
    if role.end < sent.end and (p := _mention_at(at, role.end, "Person")) is not None:
        return p, "before", None
    if (
        role.end + 2 < sent.end
        and doc[role.end].lower_ == "such"
        and doc[role.end + 1].lower_ == "as"
        and (p := _mention_at(at, role.end + 2, "Person")) is not None
    ):
        return p, "such as", None
    org = _complement_organisation(doc, role, at)
    if org is not None:
        end = mention_span(doc, org).end
        if end < sent.end and (p := _mention_at(at, end, "Person")) is not None:
            return p, "before", None
    return None


def _holder_in_apposition(
    doc: Doc, role: Span, at: list[Mention | None], status_words: Iterable[str] = ()
) -> tuple[Mention, str, None] | None:
    """ "Rod Eddington, BA's chief executive", "Lillian Tan, presently a director", "the previous High
    Commissioner, Ann Grant", and the parse's apposition where the words between hold another name."""
    sent = role.sent
    i = role.start - 1
    while i > sent.start and (
        doc[i].lower_ in _SKIP_BEFORE_ROLE
        or doc[i].text in ("'s", "'", "-")
        or doc[i].ent_type_ in ("ORG", "GPE", "NORP")
        or doc[i].lower_ in status_words
        or doc[i].pos_ == "ADV"
        or (m := at[i]) is not None
        and m.label == "NOMINAL"
    ):
        i -= 1
    if i > sent.start and doc[i].text == "," and (p := _mention_at(at, i - 1, "Person")) is not None:
        return p, "apposition", None
    if (
        role.root.dep_ == "appos"
        and (p := _mention_at(at, role.root.head.i, "Person")) is not None
        and p.end <= role.start_char
    ):
        return p, "apposition", None
    j = role.end
    after_as = role.root.dep_ == "pobj" and role.root.head.lower_ == "as"  # "... as US President, Tony Blair has said"
    if not after_as and j + 1 < sent.end and doc[j].text == "," and (p := _mention_at(at, j + 1, "Person")) is not None:
        k = next((t.i for t in doc[j + 1 : sent.end] if t.idx >= p.end), sent.end)
        if k >= sent.end or doc[k].text in (",", ".", ";", ")") or doc[k].pos_ in ("VERB", "AUX"):
            return p, "apposition", None
    return None


def _holder_of_predicate(role: Span, at: list[Mention | None]) -> tuple[Mention, str, Token | None] | None:
    """ "Sir John Gieve was Home Office permanent secretary", "he became an MP", "entered the Lords as
    a working peer", "appointed Bill Lee as chairman", "Maria Lopez, who is a professor at Yale",
    "his role as chief executive"."""
    # the title's word that hangs outside it as the predicate ("vice - president": the parse may hang
    # "vice" as acomp and "president" as attr of "became")
    head = next((t for t in role if not role.start <= t.head.i < role.end and t.dep_ in ("attr", "oprd")), role.root)
    for _ in range(4):  # "a senior fellow at X and a lecturer at Y", also where the parse hangs the second under X
        if head.dep_ not in ("conj", "pobj", "prep") or head.head is head or head.head.lower_ in ("as", "of"):
            break
        head = head.head
    verb, dep = head.head, head.dep_
    # "has been managing director": the parse took the title's first word for a verb after "been"
    be_in_title = verb.ent_type_ == "ROLE" and any(c.dep_ == "aux" and c.lemma_ == "be" for c in verb.children)
    if be_in_title:
        dep = "attr"
    if dep == "pobj" and verb.lower_ == "as" and verb.head.lemma_ in _POST_NOUNS:
        owner = next((c for c in verb.head.children if c.dep_ == "poss"), None)  # "his role as chief executive"
        p = _mention_at(at, owner.i, "Person") if owner is not None else None
        return (p, "predicate", None) if p is not None else None
    if dep == "pobj" and verb.lower_ == "as":
        dep, verb = "as", verb.head
    if dep == "pobj" and verb.lower_ == "of" and verb.head.lemma_ in _POST_NOUNS:
        dep, verb = "as", verb.head.head  # "take on the role of non-executive chairman"
    if not (dep in ("attr", "oprd", "as") or dep == "dobj" and verb.lemma_ in ("become", "succeed")):
        return None
    if dep == "as" and verb.pos_ == "VERB":
        obj = next((c for c in verb.children if c.dep_ in ("dobj", "oprd")), None)
        if obj is not None:  # "introduced Dr Greenspan as ...", "appointed him as ..."
            p = _mention_at(at, obj.i, "Person")
            return (p, "predicate", verb) if p is not None else None
        if verb.lemma_ not in _AS_SUBJECT_VERBS:
            return None
    if verb.lemma_ not in _COPULAS and dep != "as" and not be_in_title:
        return None
    subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None and verb.dep_ in ("xcomp", "ccomp", "conj") and verb.head.pos_ in ("VERB", "AUX"):
        subject = next((c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is not None and subject.lower_ in ("who", "that") and verb.dep_ == "relcl":
        subject = verb.head
    if subject is not None and (p := _mention_at(at, subject.i, "Person")) is not None:
        return p, "predicate", verb
    return None


def _described_organisation(
    doc: Doc, role: Span, mentions: list[Mention], rules: TitleRules
) -> list[tuple[Mention, str]]:
    """ "its chief executive", "the company's president": the title's organisation is described, not
    named; "its" is the organisation its sentence named last, else (and for "the company's") the one
    the document has named most so far."""
    i = role.start - 1
    described = False
    if i >= 0 and doc[i].lower_ in ("its", "their"):
        described = True
    elif (
        i >= 1
        and doc[i].text in ("'s", "'")
        and doc[i - 1].lower_ in rules.lexicon.organisation_descriptions
        and doc[i - 1].ent_type_ == ""
    ):
        described = True
    if not described:
        return []
    sentence = [
        m
        for m in mentions
        if m.type == "Organization"
        and m.label not in ("NOMINAL", "PRON")
        and role.sent.start_char <= m.start
        and m.end <= role.start_char
        and m.text.lower() not in rules.parties
    ]
    if sentence and doc[i].lower_ in ("its", "their"):
        return [(max(sentence, key=lambda m: m.start), "described")]  # "Yukos says ... its former chief executive"
    named = Counter(
        m.text
        for m in mentions
        if m.type == "Organization"
        and m.label not in ("NOMINAL", "PRON")
        and m.end <= role.start_char
        and m.text.lower() not in rules.parties
    )
    if not named:
        return []
    text = max(named, key=lambda t: (named[t], max(m.start for m in mentions if m.text == t)))
    org = max((m for m in mentions if m.text == text and m.end <= role.start_char), key=lambda m: m.start)
    return [(org, "described")]


def _article_organisation(role: Span, mentions: list[Mention], rules: TitleRules) -> list[tuple[Mention, str]]:
    """A company post printed with no organisation ("chief executive Willie Walsh") is in the one
    organisation the document is about: named at least three times, and twice as often as any
    other (no party). Only the heads roles.json lists as "heads_of_the_article_organisation"."""
    words = role.text.lower().replace("-", " ").split()
    size = next((n for n in range(min(4, len(words)), 0, -1) if " ".join(words[-n:]) in rules.lexicon.article_heads), 0)
    if not size or any(w not in rules.lexicon.modifiers and w not in rules.lexicon.status for w in words[:-size]):
        return []  # "finance committee chairman": another body's post
    before = role.doc[role.start - 1] if role.start > role.sent.start else None
    if before is not None and before.pos_ in ("NOUN", "PROPN"):
        return []  # "Committee chairman", "Lyric chairman": the word before names the body
    if _names_another_body(role):
        return []
    named = Counter(
        normalize_name(m.text) for m in mentions if m.type == "Organization" and m.label not in ("NOMINAL", "PRON")
    )
    ranked = named.most_common(2)
    if (
        not ranked
        or ranked[0][1] < 3
        or len(ranked) > 1
        and ranked[0][1] < 2 * ranked[1][1]
        or ranked[0][0] in rules.parties
    ):
        return []
    org = min(
        (m for m in mentions if m.type == "Organization" and normalize_name(m.text) == ranked[0][0]),
        key=lambda m: abs(m.start - role.start_char),
    )
    return [(org, "article")]


def _names_another_body(role: Span) -> bool:
    """Whether a complement after the title names whose post it is ("chairman of the Commons public
    accounts committee", "a spokesman for Peter Mandelson"): a name in it. Not a description of the
    document's own organisation ("chairman of the organisation") nor a time ("chief executive at the
    time", "chairman for ten years")."""
    doc = role.doc
    if role.end >= role.sent.end or doc[role.end].lower_ not in ("of", "at", "for"):
        return False
    body = next((c for c in doc[role.end].children if c.dep_ == "pobj"), None)
    return body is not None and any(
        t.pos_ == "PROPN" or t.ent_type_ in ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP") for t in body.subtree
    )


def _plural(role: Span) -> bool:
    last = role[-1]
    return last.tag_ in ("NNS", "NNPS") or last.lower_.endswith("s") and not last.lower_.endswith("ss")


def _listed_with(doc: Doc, holder: Mention, at: list[Mention | None]) -> list[Mention]:
    """The people listed after `holder` ("Presidents George W Bush, Bill Clinton and Ronald Reagan")."""
    span = mention_span(doc, holder)
    out = []
    for token in span.root.conjuncts:
        m = at[token.i]
        if m is not None and m.type == "Person" and m is not holder and m not in out and token.i > span.root.i:
            out.append(m)
    return out


def _complement_organisation(doc: Doc, role: Span, at: list[Mention | None]) -> Mention | None:
    """The organisation of a complement right after the title, read from the words rather than the
    parse: "head of the troubled Child Support Agency", "an analyst at Petercam", "chief of BT's
    entertainment unit" (see `_in_unit`)."""
    i = role.end
    if i >= role.sent.end or doc[i].lower_ not in _ORG_PREPS:
        return None
    i += 1
    while i < role.sent.end and (doc[i].lower_ in ("the", "a", "an") or doc[i].pos_ == "ADJ" and doc[i].is_lower):
        i += 1
    m = at[i] if i < len(at) else None
    if m is None or m.type != "Organization":
        return None
    span = mention_span(doc, m)
    after = doc[span.end] if span.end < role.sent.end else None
    if after is not None and after.is_lower and after.pos_ in ("NOUN", "ADJ"):
        return None  # "head of Yukos main shareholders' group Menatep": the name modifies another noun
    return m


def _in_unit(doc: Doc, org: Mention, units: frozenset[str]) -> bool:
    """Whether the organisation is the possessor of one of its `units` ("BT's new entertainment unit")."""
    span = mention_span(doc, org)
    if span.end >= span.sent.end or doc[span.end].text not in ("'s", "'", "’s", "’"):
        return False
    return span.root.dep_ in ("poss", "nmod") and span.root.head.lower_ in units  # "Acme’s": nmod


def _verb_status(verb: Token | None) -> str:
    """future for "will become", "is to become", "will succeed"."""
    if verb is None:
        return ""
    if any(c.dep_ in ("aux", "auxpass") and c.lower_ in _FUTURE_AUX for c in verb.children):
        return "future"
    if (
        verb.dep_ == "xcomp"
        and any(c.lower_ == "to" for c in verb.children)
        and verb.head.lemma_ in ("be", "expect", "set", "due")
    ):
        return "future"
    if verb.lemma_ == "succeed":
        return "future"
    return ""


def _organisations(
    doc: Doc,
    role: Span,
    holder: Mention,
    at: list[Mention | None],
    via: str,
    status_words: Iterable[str] = (),
    units: frozenset[str] = frozenset(),
) -> list[tuple[Mention, str]]:
    """The organisations or places named with the title: just before it ("BA chairman", "BA's
    chief executive", "Gibraltar's Chief Minister"), in a complement ("director of Liberty",
    "analyst at Petercam"), or after the name ("Mike Powell of Dresdner Kleinwort Wasserstein")."""
    found: list[tuple[Mention, str]] = []
    if (org := _complement_organisation(doc, role, at)) is not None:
        found.append((org, "unit" if _in_unit(doc, org, units) else "complement"))
    i = role.start - 1
    while i > role.sent.start and (doc[i].lower_ in status_words or doc[i].text == "-"):
        i -= 1  # "Ukraine's new president", "BA's former chief executive"
    possessive = i >= 0 and doc[i].text in ("'s", "'", "’s", "’")
    i -= possessive
    if i >= role.sent.start and (m := at[i]) is not None and m.type in ("Organization", "Place"):
        found.append((m, "possessive" if possessive else "before"))
    for head in (
        role.root,
        mention_span(doc, holder).root if via == "before" else None,
    ):
        if head is None:
            continue
        for prep in head.children:
            if prep.dep_ != "prep" or prep.lower_ not in _ORG_PREPS:
                continue
            for obj in prep.children:
                if obj.dep_ != "pobj":
                    continue
                m = at[obj.i] or next(
                    (at[c.i] for c in obj.children if c.dep_ in ("appos", "compound") and at[c.i] is not None), None
                )
                if (
                    m is not None
                    and m.type in ("Organization", "Place")
                    and (m.type == "Organization" or prep.lower_ == "of")
                ):
                    found.append((m, "complement"))
    return list(dict.fromkeys(found))


def _possessive_person(
    doc: Doc, doc_id: str, mentions: Iterable[Mention], at: list[Mention | None], rules: TitleRules
) -> list[RelationMention]:
    """ "War on Want's John Hilary": an organisation's person works for it (a party's is a member)."""
    out = []
    for m in mentions:
        if m.type != "Person" or m.label in ("PRON", "NOMINAL"):
            continue
        span = doc.char_span(m.start, m.end, alignment_mode="expand")
        if span is None or span.start < 2 or doc[span.start - 1].text not in ("'s", "'"):
            continue
        org = at[span.start - 2]
        if org is not None and org.type == "Organization":
            predicate = "member_of" if org.text.lower() in rules.parties else "works_for"
            out.append(
                RelationMention(m, predicate, org, 0.7, f"{EXTRACTOR}:possessive", sentence_evidence(doc_id, span.sent))
            )
    return out


def _party_before_name(
    doc: Doc, doc_id: str, mentions: Iterable[Mention], at: list[Mention | None], rules: TitleRules
) -> list[RelationMention]:
    """ "Conservative Graham Brady": a party name right before a person's name is the person's party."""
    out = []
    for m in mentions:
        if m.type != "Organization" or m.text.lower() not in rules.parties:
            continue
        span = doc.char_span(m.start, m.end, alignment_mode="expand")
        if span is None or span.end >= span.sent.end:
            continue
        person = _mention_at(at, span.end, "Person")
        if person is not None:
            out.append(
                RelationMention(person, "member_of", m, 0.8, f"{EXTRACTOR}:party", sentence_evidence(doc_id, span.sent))
            )
    return out
