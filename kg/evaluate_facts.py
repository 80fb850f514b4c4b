"""kg eval on a folder of hand-read facts (the format of ../shared/data/news_dev, see its README).

The folder holds `facts.jsonl` (one fact per line: doc, subject, relation, object, their types,
the evidence sentence, aliases) and optionally `entities.json` (per document, the alias groups
that must each be one node). kg builds the documents the facts name, then this module matches
the graph's typed edges to the facts:

- entity ends: a node's label or one of its surface forms in that document equals, ignoring
  case and a leading "the", the fact's name or one of its aliases;
- Role objects: one contains the other, ignoring case ("chairman" ~ "non-executive chairman");
- Policy and Event objects (paraphrases): containment either way, or the head word of the fact's
  phrase among the words of the node's label ("fuel surcharge for passengers" ~ "a fuel surcharge");
- met_with is symmetric; every other relation is directed.

Recall counts facts matched; the precision estimate counts typed edges (of the facts' relations,
with evidence in one of the documents) that match a fact of their document. The lenient variant
also accepts works_for or member_of where the facts say leader_of (the gold does not double them).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import ConfigError, DocumentLoadError
from kg.evaluate import read_lines
from kg.model import KnowledgeGraph

FACTS_FILE = "facts.jsonl"
ENTITIES_FILE = "entities.json"
ENTITY_TYPES = ("Person", "Organization", "Place", "Event")
#: a phrase's words: (the lemmas of its head, the lemmas of all its words)
PhraseWords = Callable[[str], tuple[frozenset[str], frozenset[str]]]


@dataclass(frozen=True, slots=True)
class Fact:
    doc: str
    subject: str
    subject_type: str
    relation: str
    object: str
    object_type: str
    evidence: str
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    note: str = ""

    def names(self, end: str, groups: dict[str, tuple[str, ...]]) -> frozenset[str]:
        """Every form by which the document names the subject or object (`end`)."""
        name = self.subject if end == "subject" else self.object
        forms = {name, *dict(self.aliases).get(name, ()), *groups.get(name, ())}
        return frozenset(_norm(f) for f in forms)


@dataclass
class FactsGold:
    """The facts of a folder, its alias groups, and the document file each fact's `doc` names."""

    folder: Path
    facts: list[Fact]
    groups: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # doc -> canonical -> other forms
    files: dict[str, Path] = field(default_factory=dict)  # doc -> file


def _norm(text: str) -> str:
    text = " ".join(text.casefold().split())
    return text[4:] if text.startswith("the ") else text


def is_facts_folder(path: Path) -> bool:
    return Path(path).is_dir() and (Path(path) / FACTS_FILE).is_file()


def load_facts(folder: Path, documents: Path | None = None) -> FactsGold:
    """Read `folder`/facts.jsonl (and entities.json) and find each fact's document.

    A fact's `doc` is a path relative to `documents` if given, else to the folder itself, else to
    a sibling folder of it (../shared/data/news_dev names files of ../shared/data/bbc).
    """
    folder = Path(folder)
    path = folder / FACTS_FILE
    lines = read_lines(path)
    facts = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            aliases = tuple((str(k), tuple(map(str, v))) for k, v in (raw.get("aliases") or {}).items())
            facts.append(
                Fact(
                    str(raw["doc"]),
                    str(raw["subject"]),
                    str(raw["subject_type"]),
                    str(raw["relation"]),
                    str(raw["object"]),
                    str(raw["object_type"]),
                    str(raw.get("evidence", "")),
                    aliases,
                    str(raw.get("note", "")),
                )
            )
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from None
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{path}:{lineno}: not a fact ({exc.__class__.__name__}: {exc})") from None
    if not facts:
        raise DocumentLoadError(str(path), "no facts")
    gold = FactsGold(folder, facts, _load_groups(folder / ENTITIES_FILE))
    roots = (
        [documents]
        if documents is not None
        else [folder, *sorted(p for p in folder.parent.iterdir() if p.is_dir() and p != folder)]
    )
    for doc in sorted({f.doc for f in facts} | set(gold.groups)):
        found = next((Path(r) / doc for r in roots if (Path(r) / doc).is_file()), None)
        if found is None:
            where = documents if documents is not None else f"{folder} or a folder beside it"
            raise DocumentLoadError(str(path), f"the document {doc!r} is not in {where} (pass --documents DIR)")
        gold.files[doc] = found
    return gold


def _load_groups(path: Path) -> dict[str, dict[str, tuple[str, ...]]]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            doc: {str(k): tuple(map(str, v)) for k, v in spec.get("one_node_each", {}).items()}
            for doc, spec in data.items()
            if not doc.startswith("_")
        }
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
        raise ConfigError(f"{path}: not an entities file ({exc})") from None


# ---- matching


class DocumentView:
    """The part of a graph that one document states: its nodes' surface forms and its typed edges."""

    def __init__(self, graph: KnowledgeGraph, doc_id: str, relations: Iterable[str]) -> None:
        self.forms: dict[str, set[str]] = defaultdict(set)  # node id -> normalised surface forms here
        self.labels: dict[str, str] = {}
        self.types: dict[str, str] = {}
        for entity in graph.entities.values():
            texts = {m.text for m in entity.mentions if m.doc_id == doc_id and m.label != "PRON"}
            if texts:
                self.forms[entity.id] = {_norm(t) for t in texts} | {_norm(entity.label)}
                self.labels[entity.id] = entity.label
                self.types[entity.id] = entity.type
        wanted = set(relations)
        self.edges = sorted(
            {
                (r.subject, r.predicate, r.object)
                for r in graph.relations
                if r.predicate in wanted and r.layer == "schema" and any(e.doc_id == doc_id for e in r.evidence)
            }
        )

    def nodes_named(self, names: frozenset[str], types: Iterable[str] | None = None) -> set[str]:
        """The nodes (of `types`, if given) with one of `names` among their forms here."""
        wanted = None if types is None else set(types)
        return {
            n for n, forms in self.forms.items() if forms & names and (wanted is None or self.types.get(n) in wanted)
        }


class Matcher:
    """Decides whether an edge of one document states a fact of it."""

    def __init__(self, view: DocumentView, groups: dict[str, tuple[str, ...]], phrase_words: PhraseWords) -> None:
        self.view, self.groups, self.phrase_words = view, groups, phrase_words
        self._words: dict[str, tuple[frozenset[str], frozenset[str]]] = {}

    def _words_of(self, text: str) -> tuple[frozenset[str], frozenset[str]]:
        if text not in self._words:
            self._words[text] = self.phrase_words(text)
        return self._words[text]

    def end_matches(self, node: str, fact: Fact, end: str) -> bool:
        type_ = fact.subject_type if end == "subject" else fact.object_type
        forms = self.view.forms.get(node, set())
        if type_ in ENTITY_TYPES and forms & fact.names(end, self.groups):
            return True
        if end == "subject" or type_ not in ("Role", "Policy", "Event") or not forms:
            return False
        gold = _norm(fact.object)
        if any(gold in f or f in gold for f in forms if f):
            return True
        if type_ == "Role":
            return False
        heads, _ = self._words_of(fact.object)
        return bool(heads) and any(heads <= self._words_of(f)[1] for f in forms)

    def edge_matches(self, edge: tuple[str, str, str], fact: Fact, relation: str | None = None) -> bool:
        subject, predicate, object_ = edge
        if predicate != (relation or fact.relation):
            return False
        if self.end_matches(subject, fact, "subject") and self.end_matches(object_, fact, "object"):
            return True
        return (
            fact.relation == "met_with"
            and self.end_matches(object_, fact, "subject")
            and self.end_matches(subject, fact, "object")
        )

    def why_missed(self, fact: Fact) -> str:
        """Why no edge states `fact`: a missing node, no edge between the nodes, or another relation."""
        subjects = {n for n in self.view.forms if self.end_matches(n, fact, "subject")}
        objects = {n for n in self.view.forms if self.end_matches(n, fact, "object")}
        if not subjects and not objects:
            return "no node for the subject or the object"
        if not subjects:
            return "no node for the subject"
        if not objects:
            return "no node for the object"
        forward = sorted({p for s, p, o in self.view.edges if s in subjects and o in objects})
        backward = sorted({p for s, p, o in self.view.edges if o in subjects and s in objects})
        if fact.relation in backward:
            return f"edge in the other direction ({fact.relation})"
        if forward or backward:
            return "edge of another relation (" + ", ".join(sorted({*forward, *backward})) + ")"
        return "nodes but no edge"


# ---- scores


@dataclass
class FactScores:
    relations: tuple[str, ...]
    found: Counter = field(default_factory=Counter)  # relation -> facts matched
    total: Counter = field(default_factory=Counter)
    by_category: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    edges: int = 0
    strict: int = 0
    lenient: int = 0
    groups: Counter = field(default_factory=Counter)
    misses: list[tuple[Fact, str]] = field(default_factory=list)
    unmatched_edges: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # doc, subject, relation, object labels

    def as_dict(self) -> dict[str, Any]:
        found, total = sum(self.found.values()), sum(self.total.values())
        return {
            "facts": total,
            "recall": _ratio(found, total),
            "found": found,
            "relations": {
                r: {"found": self.found[r], "facts": self.total[r], "recall": _ratio(self.found[r], self.total[r])}
                for r in self.relations
                if self.total[r]
            },
            "categories": {
                c: {"found": f, "facts": t, "recall": _ratio(f, t)} for c, (f, t) in sorted(self.by_category.items())
            },
            "precision": {
                "edges": self.edges,
                "strict": _ratio(self.strict, self.edges),
                "strict_matched": self.strict,
                "lenient": _ratio(self.lenient, self.edges),
                "lenient_matched": self.lenient,
            },
            "alias_groups": {
                **dict(sorted(self.groups.items())),
                "not_split_ratio": _ratio(self.groups["not split"], self.groups["found"]),
            },
        }


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def score_facts(gold: FactsGold, graph: KnowledgeGraph, phrase_words: PhraseWords) -> FactScores:
    """Match `graph` against the gold facts, document by document (see the module docstring)."""
    relations = tuple(sorted({f.relation for f in gold.facts}))
    scores = FactScores(relations)
    by_doc: dict[str, list[Fact]] = defaultdict(list)
    for f in gold.facts:
        by_doc[f.doc].append(f)
    for doc in sorted(gold.files):
        facts = by_doc.get(doc, [])
        groups = gold.groups.get(doc, {})
        view = DocumentView(graph, doc, relations)
        matcher = Matcher(view, groups, phrase_words)
        for fact in facts:
            hit = any(matcher.edge_matches(e, fact) for e in view.edges)
            scores.total[fact.relation] += 1
            scores.found[fact.relation] += hit
            category = scores.by_category[doc.split("/")[0] if "/" in doc else "all"]
            category[0] += hit
            category[1] += 1
            if not hit:
                scores.misses.append((fact, matcher.why_missed(fact)))
        for edge in view.edges:
            scores.edges += 1
            strict = any(matcher.edge_matches(edge, f) for f in facts)
            lenient = (
                strict
                or edge[1] in ("works_for", "member_of")
                and any(matcher.edge_matches(edge, f, edge[1]) for f in facts if f.relation == "leader_of")
            )
            scores.strict += strict
            scores.lenient += lenient
            if not strict:
                scores.unmatched_edges.append(
                    (doc, view.labels.get(edge[0], edge[0]), edge[1], view.labels.get(edge[2], edge[2]))
                )
        _score_groups(view, gold.groups.get(doc, {}), scores.groups)
    return scores


def _score_groups(view: DocumentView, groups: dict[str, tuple[str, ...]], counts: Counter) -> None:
    """Each alias group should be one node: joined (every form on that node), not split (the forms
    that are found all on one node), split; and nodes that merge two groups. Only entity nodes
    (Person, Organization, Place, Event) count: a title's Role node ("Foreign Secretary") is not a
    node of the person it describes."""
    owner: dict[str, set[str]] = defaultdict(set)  # node -> groups with a form on it
    for name, others in groups.items():
        counts["groups"] += 1
        forms = {_norm(f) for f in (name, *others)}
        nodes_of = {f: view.nodes_named(frozenset({f}), ENTITY_TYPES) for f in forms}
        nodes = set().union(*nodes_of.values())
        for n in nodes:
            owner[n].add(name)
        if not nodes:
            continue
        counts["found"] += 1
        if len(nodes) == 1:
            counts["not split"] += 1
            counts["joined"] += all(nodes_of.values())
        else:
            counts["split"] += 1
    counts["nodes merging two groups"] += sum(1 for g in owner.values() if len(g) > 1)


def spacy_phrase_words(nlp: Any) -> PhraseWords:
    """Phrase words by spaCy: the head is the lemma of the phrase's syntactic root and of the nouns
    compounded with it ("fuel surcharge for passengers" -> {"fuel", "surcharge"})."""

    def words(text: str) -> tuple[frozenset[str], frozenset[str]]:
        if not text.strip():
            return frozenset(), frozenset()
        doc = nlp(text)
        root = next((t for t in doc if t.head is t), doc[0])
        head = [root] + [c for c in root.lefts if c.dep_ == "compound"]
        return frozenset(t.lemma_.casefold() for t in head if t.is_alpha), frozenset(
            t.lemma_.casefold() for t in doc if t.is_alpha
        )

    return words


def plain_phrase_words(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """A parser-free stand-in for `spacy_phrase_words`: the head is the last word before the first
    preposition or relative word, and words are compared as written."""
    words = re.findall(r"[\w'-]+", text.casefold())
    stop = next(
        (
            i
            for i, w in enumerate(words)
            if w in {"of", "for", "to", "in", "on", "at", "with", "by", "from", "that", "which"}
        ),
        len(words),
    )
    return frozenset(words[max(0, stop - 1) : stop]), frozenset(words)
