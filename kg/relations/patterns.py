"""Stage 3: relations from the patterns in data/patterns/ (spaCy DependencyMatcher and Matcher)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from itertools import permutations

from spacy.attrs import ENT_TYPE, LEMMA, LOWER, ORTH, TAG
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Token

from kg.annotation.mentions import mention_of_span
from kg.model import Mention, RelationMention
from kg.relations.matching import TreeGatedMatcher, TreeIndex
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
        organisation_units: Iterable[str] = (),
    ) -> None:
        self.schema = schema
        self.organisation_words = frozenset(organisation_words)  # "unit" of "News Corp's News International unit"
        self.organisation_units = frozenset(organisation_units)  # "the former Yukos subsidiary" is not Yukos
        self.kinds = kinds or {}
        self.parties = frozenset(p.lower() for p in parties)  # works_for a party is member_of it
        self.token = Matcher(nlp.vocab)
        self.name_prefix = [p for p in patterns if p.kind == "name_prefix"]
        self.vocab = nlp.vocab
        variants = [v for p in patterns if p.kind == "dependency" and p.controlled for v in _controlled(p)]
        patterns = [*patterns, *(variant for variant, _, _ in variants)]
        self.by_id = {p.id: p for p in patterns}
        self.requirements = {
            p.id: _requirements(p.pattern, nlp.vocab.strings) for p in patterns if p.kind == "dependency"
        }
        # a variant's verb node, which has no subject of its own, and the lemmas one of the document's
        # subject-less verbs must have for the variant to match at all
        self._controlled_verb = {variant.id: verb for variant, verb, _ in variants}
        self._controlled_needs = {
            variant.id: frozenset(map(nlp.vocab.strings.add, lemmas)) for variant, _, lemmas in variants
        }
        self._matchers: dict[str, TreeGatedMatcher] = {}  # by pattern id
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
        for match_id, tokens in self._dependency_matches(doc):
            pattern = self.by_id[vocab[match_id]]
            nodes = self._node_index[pattern.id]
            if pattern.id in self._controlled_verb and _has_subject(
                doc[tokens[nodes[self._controlled_verb[pattern.id]]]]
            ):
                continue  # a clause with a subject of its own: the pattern itself matches it
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

    def active_patterns(self, doc: Doc) -> list[str]:
        """The ids of the dependency patterns this document can match at all, in the patterns' order:
        a pattern whose node needs a word or label the document lacks is left out (an exact filter
        that saves most matching time), and a variant for a verb without a subject of its own where
        no such verb of its words is in the document."""
        present: dict[int, set[int]] = {}

        def has(attr: int, values: frozenset[int]) -> bool:
            if attr not in present:
                present[attr] = set(doc.count_by(attr))
            return not values.isdisjoint(present[attr])

        subjectless: set[int] | None = None
        out = []
        for pid, needs in self.requirements.items():
            if not all(has(a, v) for a, v in needs):
                continue
            if pid in self._controlled_needs:
                if subjectless is None:
                    subjectless = _controlled_lemmas(doc)
                if self._controlled_needs[pid].isdisjoint(subjectless):
                    continue
            out.append(pid)
        return out

    def _dependency_matches(self, doc: Doc) -> list[tuple[int, list[int]]]:
        """The matches of the dependency patterns, in the patterns' order, as one spaCy
        DependencyMatcher of them all gives them, tried only for the active patterns. Each has a
        matcher of its own, which looks only in the sentences (dependency trees) that hold its
        required words (kg.relations.matching)."""
        index = TreeIndex(doc)
        out: list[tuple[int, list[int]]] = []
        for pid in self.active_patterns(doc):
            matcher = self._matchers.get(pid)
            if matcher is None:
                matcher = self._matchers[pid] = TreeGatedMatcher(self.vocab)
                matcher.add(pid, [self.by_id[pid].pattern])
            out += matcher.gated(doc, [self.requirements[pid]], index)
        return out

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
        said = subject
        subject = self._named(_referent(subject, at), at)
        if subject.sent.start < said.sent.start:  # an opening "it": the evidence starts with its organisation
            evidence = sentence_evidence(doc_id, doc[subject.sent.start : said.sent.end])
        object_ = self._named(_referent(object_), at)
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
        # "the former Yukos subsidiary" is Yukos's, not Yukos ("News Corp's News International unit" is)
        if token.lower_ in self.organisation_units and not any(c.dep_ == "poss" for c in token.children):
            return token
        # the name right before it: "Jay-Z's Roc-A-Fella label" is Roc-A-Fella, never Jay-Z
        nearest = next((c for c in reversed(list(token.lefts)) if c.dep_ == "compound"), None)
        mention = at[nearest.i] if nearest is not None else None
        return nearest if nearest is not None and mention is not None and mention.type == "Organization" else token


CONTROLLER = "_controller"  # the node of a variant's clause that has the subject
#: clauses without a subject of their own that take the subject of the clause they hang on
_CONTROLLED = {"advcl": ("advcl", "conj"), "pcomp": ("pcomp",)}
_SUBJECTS = ("nsubj", "nsubjpass", "expl", "csubj")


#: prepositions whose clause states what its subject did ("before being elected", "after buying")
_CONTROLLING_PREPOSITIONS = frozenset({"before", "after", "since", "upon", "on", "by", "while"})


def _controlled_lemmas(doc: Doc) -> set[int]:
    """The lemmas of the verbs without a subject of their own."""
    return {t.lemma for t in doc if t.dep_ in ("advcl", "conj", "pcomp") and not _has_subject(t)}


def _has_subject(verb: Token) -> bool:
    """Whether a verb has a subject of its own, or is an infinitive ("to meet demand": a purpose,
    not a statement), a conjunct with no "and" before it (a participle the parse took for one:
    "its Walkman branded phone") or hangs on a preposition that does not say its subject did it
    ("talks about working for Boeing")."""
    if any(c.dep_ in _SUBJECTS or c.dep_ == "aux" and c.lower_ == "to" for c in verb.children):
        return True
    if verb.dep_ == "conj":  # "has withdrawn two posters and launched four": a conjunction right before it
        before = verb.doc[verb.left_edge.i - 1] if verb.left_edge.i else verb
        return before.lower_ not in ("and", "but", "then")
    return verb.dep_ == "pcomp" and verb.head.lower_ not in _CONTROLLING_PREPOSITIONS


def _deps(node: dict) -> set[str]:
    deps = node.get("RIGHT_ATTRS", {}).get("DEP")
    return {deps} if isinstance(deps, str) else set(deps.get("IN", ())) if isinstance(deps, dict) else set()


def _controlled(pattern: Pattern) -> list[tuple[Pattern, str, list[str]]]:
    """Variants of a pattern one of whose ends is the subject of its verb, for a verb without one that
    takes it from the clause it hangs on: "Having criticised the decision, the Tories ...", "X
    served on the council before being elected to Parliament", "X joined Y and was elected to Z".
    Each with the name of its verb node and that node's words. Only for a verb of listed words
    (LEMMA IN): a variant for any verb would be matched in every document, too dear for what it finds."""
    nodes = pattern.pattern
    index = next(  # the clause's subject node: the relation's subject or its object ("Y bought X")
        (
            i
            for name in (pattern.subject, pattern.object)
            for i, n in enumerate(nodes)
            if n.get("RIGHT_ID") == name and n.get("REL_OP") == ">" and _deps(n) & {"nsubj", "nsubjpass"}
        ),
        None,
    )
    if index is None:
        return []
    subject = nodes[index]
    head_id = subject["LEFT_ID"]
    head_at = next(i for i, n in enumerate(nodes) if n.get("RIGHT_ID") == head_id)
    head = nodes[head_at]
    lemmas = head.get("RIGHT_ATTRS", {}).get("LEMMA")
    if "DEP" in head.get("RIGHT_ATTRS", {}) or not (isinstance(lemmas, dict) and "IN" in lemmas):
        return []
    # the clause's subject may be passive: "X was bought ..., having been owned by Y"
    attrs = {**subject.get("RIGHT_ATTRS", {}), "DEP": {"IN": ["nsubj", "nsubjpass"]}}
    verb = {"POS": {"IN": ["VERB", "AUX"]}}
    out = []
    for kind, verb_deps in _CONTROLLED.items():
        changed = [dict(n) for n in nodes]
        changed[head_at] = {**head, "RIGHT_ATTRS": {**head.get("RIGHT_ATTRS", {}), "DEP": {"IN": list(verb_deps)}}}
        if kind == "pcomp":  # "before being elected": verb <pcomp- before <prep- controller
            links = [
                {"LEFT_ID": head_id, "REL_OP": "<", "RIGHT_ID": "_prep", "RIGHT_ATTRS": {"DEP": "prep"}},
                {"LEFT_ID": "_prep", "REL_OP": "<", "RIGHT_ID": CONTROLLER, "RIGHT_ATTRS": verb},
            ]
        else:
            links = [{"LEFT_ID": head_id, "REL_OP": "<", "RIGHT_ID": CONTROLLER, "RIGHT_ATTRS": verb}]
        changed[index : index + 1] = [
            *links,
            {"LEFT_ID": CONTROLLER, "REL_OP": ">", "RIGHT_ID": subject["RIGHT_ID"], "RIGHT_ATTRS": attrs},
        ]
        out.append((dataclasses.replace(pattern, id=f"{pattern.id}+{kind}", pattern=changed), head_id, lemmas["IN"]))
    return out


def _referent(token: Token, at: Sequence[Mention | None] = ()) -> Token:
    """The word a pronoun stands for where the text itself says: a relative pronoun's antecedent
    ("Dr Greenspan, who has been ...", "News International, which publishes The Sun"), the subject of
    the reporting verb for the subject of its clause ("Universal said it had bought ..."), and, given
    the sentence's mentions `at`, the organisation an opening "it" goes on about (`continued_organisation`);
    else the token."""
    if token.lower_ in ("who", "which", "that") and token.head.dep_ == "relcl":
        token = token.head.head
    if token.pos_ == "PRON":
        return reported_speaker(token) or (continued_organisation(token, at) if at else None) or token
    return token


def continued_organisation(pronoun: Token, at: Sequence[Mention | None], depth: int = 3) -> Token | None:
    """An "it" that is the first participant of its sentence, outside quotation marks, goes on about
    the organisation that is the subject of the sentence before ("Laura Ashley has been hit by poor
    sales. In October, it announced the closure of a factory"), through a chain of such sentences.
    None where the sentence before has another subject (a plan, a country, a person)."""
    sentence = pronoun.sent
    if pronoun.lower_ != "it" or pronoun.dep_ not in ("nsubj", "nsubjpass") or sentence.start == 0:
        return None
    before = pronoun.doc[sentence.start : pronoun.i]
    opened = before.text.count('"') % 2 or before.text.count("“") > before.text.count("”")
    participants = (m for m in (at[t.i] for t in before) if m is not None and m.type in ("Person", "Organization"))
    if opened or any(participants):
        return None
    previous = pronoun.doc[sentence.start - 1].sent
    subject = next((c for c in previous.root.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None or any(c.dep_ == "conj" for c in subject.children):
        return None  # "Acme and Vexo were hit ... It announced": not one organisation
    if subject.lower_ == "it" and depth > 1:
        return continued_organisation(subject, at, depth - 1)
    mention = at[subject.i]
    return subject if mention is not None and mention.type == "Organization" else None


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
