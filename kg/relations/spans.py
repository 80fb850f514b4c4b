"""Tokens to mentions: the helpers both relation extractors use."""

from __future__ import annotations

from typing import Sequence

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
    at: list[Mention | None] = [None] * len(doc)
    for m in mentions:
        span = doc.char_span(m.start, m.end, alignment_mode="expand")
        if span is not None:
            for token in span:
                at[token.i] = m
    return at


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


def noun_phrase(token: Token, doc_id: str, type_: str, made: dict[tuple[int, int], Mention]) -> Mention:
    """A mention for a plain noun and its compound modifiers ("shield", "command structure")."""
    start = min([token.i] + [c.i for c in token.lefts if c.dep_ in _MODIFIER_DEPS and not c.is_punct])
    span = token.doc[start : token.i + 1]
    if (span.start_char, span.end_char) not in made:
        made[(span.start_char, span.end_char)] = mention_of_span(span, doc_id, type_, "NP")
    return made[(span.start_char, span.end_char)]
