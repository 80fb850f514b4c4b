"""Tokens to mentions: the helpers both relation extractors use."""

from __future__ import annotations

from collections.abc import Sequence

from spacy.tokens import Doc, Span, Token

from kg.annotation.mentions import mention_of_span
from kg.model import Evidence, Mention

#: dependency labels that join coordinated or apposed parties ("X and Y", "X, the president")
GROUP_DEPS = frozenset({"conj", "appos"})
_MODIFIER_DEPS = frozenset({"compound", "flat"})


def sentence_evidence(doc_id: str, sent: Span) -> Evidence:
    """The sentence as evidence, surrounding white space trimmed off the text and the offsets."""
    text = sent.text
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    return Evidence(doc_id, stripped, sent.start_char + lead, sent.start_char + lead + len(stripped))


def token_index(doc: Doc, mentions: Sequence[Mention]) -> list[Mention | None]:
    """The mention each token belongs to. The document's own mention (its title line) claims no
    token: a headline's words are the entities they name ("Straw attacked on China arms")."""
    at: list[Mention | None] = [None] * len(doc)
    for m in mentions:
        if m.type == "Document":
            continue
        span = doc.char_span(m.start, m.end, alignment_mode="expand")
        if span is not None:
            for token in span:
                at[token.i] = m
    return at


def mention_span(doc: Doc, mention: Mention) -> Span:
    """The tokens of a mention of `doc` (its offsets always lie in the document)."""
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None:
        raise ValueError(f"mention {mention.text!r} at {mention.start}-{mention.end} is not in the document")
    return span


def group(token: Token, at: list[Mention | None], expand: bool) -> list[Mention]:
    """The mentions of `token` and, with `expand`, of the parties coordinated or apposed with it."""
    seen, todo, out = {token.i}, [token], []
    while todo:
        current = todo.pop()
        mention = at[current.i]
        if mention is not None and mention not in out:
            out.append(mention)
        if expand:
            for child in current.children:
                if child.dep_ in GROUP_DEPS and child.i not in seen:
                    seen.add(child.i)
                    todo.append(child)
    return sorted(out, key=lambda m: m.start)


MAX_PHRASE = 14  # words of a whole-phrase object ("the closure of one of its two Welsh factories")
_PHRASE_LEFT_DEPS = frozenset(
    {
        "det",
        "amod",
        "compound",
        "poss",
        "nummod",
        "quantmod",
        "nmod",
        "aux",
        "neg",
        "advmod",
        "nsubj",
        "mark",
        "predet",
        "case",
        "npadvmod",
        "auxpass",
        "prt",
    }
)


def phrase(token: Token, doc_id: str, type_: str, made: dict[tuple[int, int], Mention]) -> Mention:
    """A mention for the whole phrase `token` heads ("a fuel surcharge for passengers", "to cut 90
    jobs"), without a leading "to", cut before a relative clause, the head's own "by" phrase (its
    agent) or after MAX_PHRASE words."""
    tokens = [t for t in token.subtree]
    cut = next(
        (
            t.left_edge.i if t.dep_ in ("relcl", "advcl") else t.i
            for t in tokens
            if t.i > token.i
            and t.dep_ in ("relcl", "advcl")
            or t.is_punct
            and t.i > token.i
            and t.text != "-"
            or t.head.i == token.i
            and token.pos_ == "NOUN"
            and t.dep_ == "prep"
            and t.lower_ == "by"
            and t.i > token.i
        ),
        None,
    )  # "nomination by X": X acts (but "cut taxes by 6.5bn euros")
    # the words before the head that belong to its phrase ("a fuel surcharge", "its two Welsh factories");
    # a word the parse hung there from elsewhere ("that" of "told the Commons that ...") does not
    lefts = [c for c in token.lefts if c.dep_ in _PHRASE_LEFT_DEPS]
    start = min(c.left_edge.i for c in lefts) if lefts else token.i
    start += token.doc[start].lower_ in ("to", "that") and start < token.i  # "to cut jobs", "that it would close"
    end = min(cut if cut is not None else tokens[-1].i + 1, start + MAX_PHRASE)
    while (
        end - 1 > token.i
        and token.doc[end - 1].pos_ in ("DET", "ADP", "CCONJ", "PART", "PUNCT", "PRON")
        and token.doc[end - 1].dep_ != "prt"
    ):
        end -= 1  # "the debate as a" (cut before a quotation): no dangling function words
    span = token.doc[start:end]
    if not span.text.strip():
        return noun_phrase(token, doc_id, type_, made)
    key = (span.start_char, span.end_char)
    if key not in made:
        made[key] = mention_of_span(span, doc_id, type_, "PHRASE")
    return made[key]


def noun_phrase(token: Token, doc_id: str, type_: str, made: dict[tuple[int, int], Mention]) -> Mention:
    """A mention for a plain noun and its compound modifiers ("shield", "command structure")."""
    start = min([token.i] + [c.i for c in token.lefts if c.dep_ in _MODIFIER_DEPS and not c.is_punct])
    span = token.doc[start : token.i + 1]
    if (span.start_char, span.end_char) not in made:
        made[(span.start_char, span.end_char)] = mention_of_span(span, doc_id, type_, "NP")
    return made[(span.start_char, span.end_char)]


#: auxiliaries that make a clause a wish, a possibility or a recommendation, not a statement of fact
HYPOTHETICAL_AUX = frozenset({"should", "would", "could", "might", "may", "must", "ought"})
#: verbs whose complement clause is asked for, hoped or refused, not done ("called for talks to ...")
HYPOTHETICAL_HEADS = frozenset(
    {
        "call",
        "urge",
        "ask",
        "demand",
        "want",
        "hope",
        "wish",
        "seek",
        "try",
        "threaten",
        "push",
        "press",
        "propose",
        "suggest",
        "consider",
        "plan",
        "intend",
        "expect",
        "refuse",
        "fail",
        "decline",
        "reject",
        "deny",
        "oppose",
    }
)
NEGATING_HEADS = frozenset({"refuse", "fail", "decline", "reject", "deny", "oppose"})
#: verbs that report what their subject said, decided or knows: in "Acme said it would ...", "it" is Acme
REPORTING_VERBS = frozenset(
    {
        "say",
        "announce",
        "confirm",
        "add",
        "state",
        "report",
        "reveal",
        "disclose",
        "insist",
        "claim",
        "explain",
        "tell",
        "warn",
        "admit",
        "argue",
        "declare",
        "decide",
        "believe",
        "expect",
        "hope",
        "think",
    }
)


def reported_speaker(pronoun: Token) -> Token | None:
    """The subject of the reporting verb whose clause `pronoun` is the subject of, when it is a name
    of the pronoun's kind: "Acme said it had bought X" (it: an organisation, place or group), "Tony
    Blair said he would go" (he/she: a person). Else None."""
    clause = pronoun.head
    if (
        pronoun.dep_ not in ("nsubj", "nsubjpass")
        or clause.dep_ != "ccomp"
        or clause.head.lemma_ not in REPORTING_VERBS
    ):
        return None
    speaker = next((c for c in clause.head.children if c.dep_ == "nsubj"), None)
    if speaker is None or not speaker.ent_type_:
        return None
    kinds = (
        ("ORG", "GPE", "NORP")
        if pronoun.lower_ in ("it", "they")
        else ("PERSON",)
        if pronoun.lower_ in ("he", "she")
        else ()
    )
    return speaker if speaker.ent_type_ in kinds else None


def modality(verb: Token) -> str:
    """Whether the clause of `verb` states a fact: "" if so, "negated" ("did not meet", "refused to
    meet"), or "hypothetical" ("should resign", "would meet", "if they meet", "called for talks")."""
    if verb.pos_ not in ("VERB", "AUX"):
        return ""
    if any(c.dep_ == "neg" for c in verb.children):
        return "negated"
    if any(c.dep_ == "dobj" and any(d.dep_ == "det" and d.lower_ == "no" for d in c.children) for c in verb.children):
        return "negated"  # "has no plans to"
    if any(c.dep_ in ("aux", "auxpass") and c.lower_ in HYPOTHETICAL_AUX for c in verb.children):
        return "hypothetical"
    if any(c.dep_ == "mark" and c.lower_ in ("if", "unless", "whether") for c in verb.children):
        return "hypothetical"
    if (
        verb.dep_ in ("xcomp", "conj")
        and verb.head is not verb
        and any(c.dep_ == "mark" and c.lower_ in ("if", "unless", "whether") for c in verb.head.children)
    ):
        return "hypothetical"  # "if he was to launch a rival airline"
    head = verb.head
    if verb.dep_ in ("xcomp", "ccomp") and head is not verb and head.pos_ in ("VERB", "AUX"):
        if head.lemma_ in NEGATING_HEADS or any(c.dep_ == "neg" for c in head.children):
            return "negated"
        if verb.dep_ == "xcomp" and head.lemma_ in HYPOTHETICAL_HEADS - {"plan", "expect", "propose"}:
            return "hypothetical"
    return ""


def future(verb: Token) -> bool:
    """Whether the clause of `verb` speaks of the future ("will announce", "is to announce")."""
    if any(c.dep_ in ("aux", "auxpass") and c.lower_ in ("will", "shall", "'ll") for c in verb.children):
        return True
    return (
        verb.dep_ == "xcomp"
        and any(c.lower_ == "to" for c in verb.children)
        and verb.head.lemma_ in ("be", "go", "plan", "intend", "expect")
    )
