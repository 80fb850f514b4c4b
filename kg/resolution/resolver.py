"""Stage 3: entity resolution. Mentions -> one Entity per real-world thing.

Within a document, mentions meet under a cluster key built from their normalised name or the alias
data, then shorter forms join longer ones (a surname, an acronym, a pronoun). Across documents,
clusters with the same key are the same entity; a lone surname never crosses a document boundary
unless the document itself ties it to a full name.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from kg.model import Document, Entity, Mention
from kg.resolution.names import NameRules, initials, normalize_name, strip_prefix_words

PRONOUN_WINDOW = 3  # sentences back in which a pronoun looks for its antecedent
_ACRONYM_AFTER = re.compile(r"\s*\(\s*([A-Z][A-Za-z&]*[A-Z])\s*\)")


@dataclass(frozen=True, slots=True)
class Assignment:
    """A mention put in a cluster, and the rule that put it there."""

    mention: Mention
    key: str  # "Type|normalised name"
    rule: str


def _key(type_: str, name: str) -> str:
    return f"{type_}|{name}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "x"


def entity_id(key: str) -> str:
    """The stable node id of a cluster key: "Person|fumio kishida" -> "person/fumio-kishida"."""
    type_, _, name = key.partition("|")
    return f"{type_.lower()}/{_slug(name)}"


def resolve_document(document: Document, mentions: Iterable[Mention], rules: NameRules) -> list[Assignment]:
    """Cluster the mentions of one document. Unresolved pronouns are left out."""
    ordered = sorted(mentions, key=lambda m: (m.start, m.end))
    named = [m for m in ordered if m.label != "PRON"]
    assigned: dict[Mention, Assignment] = {}
    for m in named:
        if m.type == "Document":
            assigned[m] = Assignment(m, _key("Document", document.id), "document")
        elif (alias := rules.alias(m.text)) is not None and (alias.type == m.type or m.type not in ("Person", "Date")):
            assigned[m] = Assignment(m, _key(alias.type, normalize_name(alias.canonical)), "alias")
        elif name := rules.key(m.text, m.type):
            rule = "name order" if m.type == "Person" and name != " ".join(normalize_name(m.text, rules.person_prefixes).split()) else "same name"
            assigned[m] = Assignment(m, _key(m.type, name), rule)
    _link_acronyms(document, assigned)
    _link_partial_names(assigned, rules)
    pronouns = [m for m in ordered if m.label == "PRON"]
    _link_pronouns(pronouns, named, assigned)
    return list(assigned.values())


def _link_acronyms(document: Document, assigned: dict[Mention, Assignment]) -> None:
    """"Self-Defense Forces (SDF)" and a bare "SDF" whose letters are a longer name's initials."""
    long_forms: dict[str, Assignment] = {}
    for a in assigned.values():
        m = a.mention
        if m.type in ("Organization", "Place", "Event") and " " in m.text.strip():
            if match := _ACRONYM_AFTER.match(document.text, m.end):
                long_forms.setdefault(match.group(1), a)
            long_forms.setdefault(initials(m.text), a)
    for m, a in list(assigned.items()):
        short = m.text.strip()
        if a.rule != "alias" and short.isupper() and 2 <= len(short) <= 8 and (target := long_forms.get(short.replace(".", ""))):
            if target.mention is not m:
                assigned[m] = Assignment(m, target.key, "acronym")


def _link_partial_names(assigned: dict[Mention, Assignment], rules: NameRules) -> None:
    """A surname, a given name or a shorter form joins the one full name of the document it fits."""
    full: dict[str, list[str]] = {}
    for a in assigned.values():
        if a.mention.type == "Person" and a.rule != "alias":
            words = normalize_name(a.mention.text, rules.person_prefixes).split()
            if len(words) >= 2:
                full.setdefault(a.key, words)
    for m, a in list(assigned.items()):
        if m.type != "Person" or a.rule == "alias" or a.key in full:
            continue
        words = normalize_name(m.text, rules.person_prefixes).split()
        if not words:
            continue
        fits = [key for key, long in full.items() if _fits(words, long)]
        if len(fits) == 1:
            rule = "surname" if len(words) == 1 and words[0] == full[fits[0]][-1] else "part of full name"
            assigned[m] = Assignment(m, fits[0], rule)


def _fits(short: list[str], long: list[str]) -> bool:
    if len(short) >= len(long):
        return False
    if len(short) == 1:
        return short[0] in (long[0], long[-1])
    return short[0] == long[0] and short[-1] == long[-1]


def _link_pronouns(pronouns: list[Mention], named: list[Mention], assigned: dict[Mention, Assignment]) -> None:
    """He, she, his, her: the nearest person named before, within a few sentences."""
    sentence_starts = sorted({m.sent_start for m in [*pronouns, *named]})
    sentence_index = {start: i for i, start in enumerate(sentence_starts)}
    people = [m for m in named if m.type == "Person" and m in assigned]
    for pronoun in pronouns:
        before = [m for m in people if m.end <= pronoun.start]
        if not before:
            continue
        antecedent = before[-1]
        if sentence_index[pronoun.sent_start] - sentence_index[antecedent.sent_start] <= PRONOUN_WINDOW:
            assigned[pronoun] = Assignment(pronoun, assigned[antecedent].key, "pronoun")


@dataclass
class Resolver:
    """Collects each document's clusters, then merges them across documents.

    Example:
        >>> from kg.resolution.names import NameRules
        >>> r = Resolver(NameRules({}, {}, frozenset(), frozenset()))
        >>> doc = Document("d1", "Ada Lovelace wrote. Lovelace died.", None)
        >>> r.add(doc, [Mention("d1", 0, 12, "Ada Lovelace", "Person"), Mention("d1", 20, 28, "Lovelace", "Person")])
        >>> [e.label for e in r.entities().values()]
        ['Ada Lovelace']
    """

    rules: NameRules
    _assignments: list[Assignment] = field(default_factory=list)

    def add(self, document: Document, mentions: Iterable[Mention]) -> None:
        self._assignments.extend(resolve_document(document, mentions, self.rules))

    def entity_of(self) -> dict[Mention, str]:
        """The node id of every resolved mention."""
        return {a.mention: entity_id(a.key) for a in self._assignments}

    def entities(self) -> dict[str, Entity]:
        """One Entity per cluster key, in a deterministic order."""
        by_key: dict[str, list[Assignment]] = defaultdict(list)
        for a in self._assignments:
            by_key[a.key].append(a)
        out = {}
        for key in sorted(by_key):
            if key.startswith("Document|"):
                continue
            entity = self._entity(key, by_key[key])
            out[entity.id] = entity
        return out

    def _entity(self, key: str, assignments: list[Assignment]) -> Entity:
        type_ = key.partition("|")[0]
        named = [a for a in assignments if a.mention.label != "PRON"]
        aliases = {a.mention.text for a in named}
        label = None
        for a in named:
            if a.rule == "alias" and (row := self.rules.alias(a.mention.text)) is not None:
                label = row.canonical
                aliases |= self.rules.alias_forms.get(row.canonical, frozenset())
                break
        if label is None:
            label = self._best_label([a.mention.text for a in named], type_)
        mentions = tuple(sorted({a.mention for a in assignments}, key=lambda m: (m.doc_id, m.start, m.end)))
        merges = tuple(sorted({(a.rule, a.mention.text) for a in assignments}))
        return Entity(entity_id(key), label, type_, frozenset(aliases - {label}), mentions, merges)

    def _best_label(self, forms: list[str], type_: str) -> str:
        """The fullest, then most frequent, then alphabetically first surface form, titles removed."""
        prefixes = self.rules.person_prefixes if type_ == "Person" else frozenset()
        counts = Counter(strip_prefix_words(f, prefixes) for f in forms)
        return min(counts, key=lambda f: (-len(f.split()), -counts[f], f))
