"""Stage 3: relations from the patterns in data/patterns/ (spaCy DependencyMatcher and Matcher)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import permutations

from spacy.attrs import ENT_TYPE, LEMMA, LOWER, ORTH, TAG
from spacy.language import Language
from spacy.matcher import DependencyMatcher, Matcher
from spacy.tokens import Doc, Token

from kg.annotation.mentions import mention_of_span
from kg.model import Mention, RelationMention
from kg.relations.spans import (
    future,
    group,
    modality,
    noun_phrase,
    phrase,
    reported_speaker,
    sentence_evidence,
    token_index,
)
from kg.resources import Pattern, RelationType
from kg.text import normalize_name


class PatternExtractor:
    """Runs every relation pattern over a parsed Doc and returns mention-level relations.

    Example:
        >>> extractor = PatternExtractor(nlp, resources.patterns, resources.relations)  # doctest: +SKIP
        >>> relations, new_mentions = extractor(doc, "doc-1", mentions)  # doctest: +SKIP
    """

    def __init__(
        self,
        nlp: Language,
        patterns: Sequence[Pattern],
        schema: Mapping[str, RelationType],
        kinds: Mapping[str, frozenset[str]] | None = None,
        parties: Iterable[str] = (),
        organisation_words: Iterable[str] = (),
    ) -> None:
        self.schema = schema
        self.organisation_words = frozenset(organisation_words)  # "unit" of "News Corp's News International unit"
        self.kinds = kinds or {}
        self.parties = frozenset(p.lower() for p in parties)  # works_for a party is member_of it
        self.by_id = {p.id: p for p in patterns}
        self.token = Matcher(nlp.vocab)
        self.name_prefix = [p for p in patterns if p.kind == "name_prefix"]
        self.vocab = nlp.vocab
        self.requirements = {
            p.id: _requirements(p.pattern, nlp.vocab.strings) for p in patterns if p.kind == "dependency"
        }
        self._matchers: dict[tuple[str, ...], DependencyMatcher] = {}
        self._node_index = {}
        for p in patterns:
            if p.kind == "dependency":
                self._node_index[p.id] = {node["RIGHT_ID"]: i for i, node in enumerate(p.pattern)}
            elif p.kind == "token":
                self.token.add(p.id, [p.pattern])

    def __call__(
        self, doc: Doc, doc_id: str, mentions: Sequence[Mention]
    ) -> tuple[list[RelationMention], list[Mention]]:
        """Relations between `mentions`, and the noun-phrase mentions made for them."""
        made: dict[tuple[int, int], Mention] = {}
        return self.extract(doc, doc_id, mentions, token_index(doc, mentions), made), list(made.values())

    def extract(
        self,
        doc: Doc,
        doc_id: str,
        mentions: Sequence[Mention],
        at: list[Mention | None],
        made: dict[tuple[int, int], Mention],
    ) -> list[RelationMention]:
        out: list[RelationMention] = []
        vocab = doc.vocab.strings
        matcher = self._dependency_matcher(doc)
        for match_id, tokens in matcher(doc) if len(matcher) else ():
            pattern = self.by_id[vocab[match_id]]
            nodes = self._node_index[pattern.id]
            subject, object_ = doc[tokens[nodes[pattern.subject]]], doc[tokens[nodes[pattern.object]]]
            verb = doc[tokens[nodes["verb"]]] if "verb" in nodes else None
            out += self._relate(pattern, doc, doc_id, at, made, subject, object_, verb)
        token_matches: list[tuple[int, int, int, list[int]]] = self.token(doc, with_alignments=True)  # type: ignore[assignment]
        for match_id, start, _end, alignment in token_matches:
            pattern = self.by_id[vocab[match_id]]
            subject = next(doc[start + i] for i, n in enumerate(alignment) if n == pattern.subject)
            object_ = next(doc[start + i] for i, n in enumerate(alignment) if n == pattern.object)
            out += self._relate(pattern, doc, doc_id, at, made, subject, object_)
        for pattern in self.name_prefix:
            out += _name_prefix_relations(pattern, doc, doc_id, mentions, made)
        return out

    def _dependency_matcher(self, doc: Doc) -> DependencyMatcher:
        """A matcher of the patterns this document can match at all: a pattern whose node needs a
        word or label the document lacks is left out (an exact filter that saves most matching time).
        Matchers are kept per set of patterns, which repeats from document to document."""
        present: dict[int, set[int]] = {}

        def has(attr: int, values: frozenset[int]) -> bool:
            if attr not in present:
                present[attr] = set(doc.count_by(attr))
            return not values.isdisjoint(present[attr])

        active = tuple(pid for pid, needs in self.requirements.items() if all(has(a, v) for a, v in needs))
        matcher = self._matchers.get(active)
        if matcher is None:
            if len(self._matchers) > 256:
                self._matchers.clear()
            matcher = self._matchers[active] = DependencyMatcher(self.vocab)
            for pid in active:
                matcher.add(pid, [self.by_id[pid].pattern])
        return matcher

    def _relate(
        self,
        pattern: Pattern,
        doc: Doc,
        doc_id: str,
        at: list[Mention | None],
        made: dict[tuple[int, int], Mention],
        subject: Token,
        object_: Token,
        verb: Token | None = None,
    ) -> list[RelationMention]:
        evidence = sentence_evidence(doc_id, subject.sent)
        verb = verb if verb is not None else subject.head  # the pattern's node named "verb", else the subject's head
        subject, object_ = (self._named(_referent(t), at) for t in (subject, object_))
        subjects = group(subject, at, pattern.expand)
        if pattern.subject == pattern.object:
            pairs: Iterable[tuple[Mention, Mention]] = permutations(subjects, 2)
        else:
            objects = group(object_, at, pattern.expand)
            if (
                not objects and pattern.object_type and object_.pos_ != "PRON"
            ):  # "criticised it": an unresolved pronoun says nothing
                make = phrase if pattern.object_phrase == "subtree" else noun_phrase
                objects = [make(object_, doc_id, pattern.object_type, made)]
            pairs = ((s, o) for s in subjects for o in objects if s != o)
        if pattern.subject_not:
            kind = self.kinds.get(pattern.subject_not, frozenset())
            pairs = [(s, o) for s, o in pairs if s.text.lower().removeprefix("the ") not in kind]
        extractor = f"pattern:{pattern.id}"
        mood = modality(verb) if verb.pos_ in ("VERB", "AUX") else ""
        if not mood and pattern.past_only and verb.pos_ in ("VERB", "AUX") and future(verb):
            mood = "hypothetical"  # "will announce the location": nothing is announced yet
        out = []
        for s, o in dict.fromkeys(pairs):
            relation = pattern.relation
            if relation == "works_for" and o.text.lower() in self.parties and "member_of" in self.schema:
                relation = "member_of"  # "Labour's Paul Flynn": one works for a firm, but is a member of a party
            spec = self.schema[relation]
            if s.type in spec.domain and o.type in spec.range:
                out.append(RelationMention(s, relation, o, pattern.confidence, extractor, evidence, modality=mood))
        return out

    def _named(self, token: Token, at: list[Mention | None]) -> Token:
        """The organisation a common noun describes by the name before it ("the News International unit,
        which publishes The Sun", "the Stop Murder Music coalition has agreed"); else the token."""
        if at[token.i] is not None or token.pos_ != "NOUN" or token.lower_ not in self.organisation_words:
            return token
        for child in token.lefts:
            mention = at[child.i]
            if child.dep_ == "compound" and mention is not None and mention.type == "Organization":
                return child
        return token


def _referent(token: Token) -> Token:
    """The word a pronoun stands for where the sentence itself says: a relative pronoun's antecedent
    ("Dr Greenspan, who has been ...", "News International, which publishes The Sun"), the subject of
    the reporting verb for the subject of its clause ("Universal said it had bought ..."); else the token."""
    if token.lower_ in ("who", "which", "that") and token.head.dep_ == "relcl":
        token = token.head.head
    if token.pos_ == "PRON":
        return reported_speaker(token) or token
    return token


_GATED = {"LEMMA": LEMMA, "LOWER": LOWER, "ORTH": ORTH, "ENT_TYPE": ENT_TYPE, "TAG": TAG}


def _requirements(nodes: list[dict], strings) -> list[tuple[int, frozenset[int]]]:
    """For each node attribute with fixed values (LEMMA, LOWER, ORTH, ENT_TYPE, TAG): the attribute
    and the hashes of its allowed values. A document lacking all of some node's values cannot match."""
    out = []
    for node in nodes:
        for key, value in node.get("RIGHT_ATTRS", {}).items():
            if key not in _GATED:
                continue
            if isinstance(value, str):
                values = [value]
            elif isinstance(value, dict) and set(value) == {"IN"}:
                values = value["IN"]
            else:
                continue
            out.append((_GATED[key], frozenset(strings.add(v) for v in values)))
    return out


def _name_prefix_relations(
    pattern: Pattern, doc: Doc, doc_id: str, mentions: Sequence[Mention], made: dict[tuple[int, int], Mention]
) -> list[RelationMention]:
    """An organisation named "<Org> ... <unit word>" is part of <Org>."""
    orgs = [m for m in mentions if m.type == "Organization"]
    names = {normalize_name(m.text): m for m in orgs}
    out = []
    for unit in orgs:
        words = unit.text.split()
        if len(words) < 3 or normalize_name(words[-1]) not in pattern.unit_words:
            continue
        for size in range(len(words) - 2, 0, -1):
            parent_name = normalize_name(" ".join(words[:size]))
            if parent_name in names and names[parent_name] is not unit:
                parent_end = unit.start + len(" ".join(words[:size]))
                span = doc.char_span(unit.start, parent_end, alignment_mode="expand")
                if span is None:
                    break
                parent = made.setdefault(
                    (span.start_char, span.end_char), mention_of_span(span, doc_id, "Organization", "NAME")
                )
                unit_span = doc.char_span(unit.start, unit.end, alignment_mode="expand")
                if unit_span is None:
                    break
                sent = unit_span.sent
                out.append(
                    RelationMention(
                        unit,
                        pattern.relation,
                        parent,
                        pattern.confidence,
                        f"pattern:{pattern.id}",
                        sentence_evidence(doc_id, sent),
                    )
                )
                break
    return out
