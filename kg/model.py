"""The graph model: the only vocabulary shared by every stage of the pipeline.

Stages talk through these dataclasses. Nothing here imports spaCy, rdflib or networkx, nor any
kg module above it (only kg.errors and kg.report): conversions are functions of kg.export that
take the graph, as networkx's readwrite functions do (`kg.export.to_rdf(graph)`,
`kg.export.to_networkx(graph)`, `kg.export.graph_to_dict(graph)`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from kg.errors import GraphIntegrityError
from kg.report import BuildReport

#: The ontology every node type maps to (see README, "Graph vocabulary").
NODE_TYPES = ("Person", "Organization", "Place", "Date", "Event", "Role", "Concept", "Document")


@dataclass(frozen=True, slots=True)
class RelationType:
    """A relation of the schema: its name, the node types it joins, its mappings to standard terms."""

    name: str
    domain: tuple[str, ...]
    range: tuple[str, ...]
    symmetric: bool = False
    description: str = ""
    example: str = ""
    mappings: tuple[
        tuple[str, str], ...
    ] = ()  # (rdf property, target term) e.g. ("rdfs:subPropertyOf", "schema:worksFor")
    subsumed_by: tuple[str, ...] = ()  # relations that say more about the same pair ("leader_of" for works_for)
    not_between: str = ""  # a kind of entity never at both ends ("country": a country is in no other country)


def document_node(doc_id: str) -> str:
    """The node id of a document: "document/<document id>"."""
    return f"document/{doc_id}"


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What is known about a document, apart from its text."""

    id: str
    source: str = ""
    title: str | None = None
    date: str | None = None  # ISO 8601 (YYYY-MM-DD) where it could be parsed
    authors: tuple[str, ...] = ()
    venue: str | None = None
    genre: str | None = None
    url: str | None = None
    #: where each metadata field was found in the text: (field, start, end)
    spans: tuple[tuple[str, int, int], ...] = ()

    def span_of(self, name: str) -> tuple[int, int] | None:
        for field_name, start, end in self.spans:
            if field_name == name:
                return start, end
        return None


@dataclass(frozen=True, slots=True)
class Document:
    """A loaded document: its text and what is known about it."""

    id: str
    text: str
    info: DocumentInfo


@dataclass(frozen=True, slots=True)
class Evidence:
    """The sentence a fact or mention came from. Offsets are characters into the document text."""

    doc_id: str
    sentence: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of an entity in a document.

    `start`/`end` are character offsets of the surface form in the document text;
    `sent_start`/`sent_end` those of its sentence.
    """

    doc_id: str
    start: int
    end: int
    text: str
    type: str
    label: str = ""  # the annotator's own label (PERSON, ORG, ROLE, PRON ...)
    sent_start: int = 0
    sent_end: int = 0


@dataclass(frozen=True, slots=True)
class Assignment:
    """A mention put in a cluster of its document by entity resolution, and the rule that put it there."""

    mention: Mention
    key: str  # "Type|normalised name"
    rule: str


@dataclass(frozen=True, slots=True)
class Entity:
    """A node: one real-world thing, with every mention that refers to it."""

    id: str
    label: str
    type: str
    aliases: frozenset[str] = frozenset()
    mentions: tuple[Mention, ...] = ()
    #: why mentions were merged into this entity: (rule, surface form) pairs, for `kg explain`
    merges: tuple[tuple[str, str], ...] = ()

    @property
    def documents(self) -> frozenset[str]:
        return frozenset(m.doc_id for m in self.mentions)


@dataclass(frozen=True, slots=True)
class Relation:
    """A typed edge between two nodes, with the sentences that state it."""

    subject: str
    predicate: str
    object: str
    confidence: float = 1.0
    extractor: str = ""
    evidence: tuple[Evidence, ...] = ()
    #: "schema" for the typed default schema, "open" for subject-verb-object relations
    layer: str = "schema"
    #: "" as stated for the document's time, "former" or "future" where the text says so ("former chief executive")
    status: str = ""

    @property
    def key(self) -> tuple[str, ...]:
        """The edge's identity: a former or future post is a statement of its own."""
        return (self.subject, self.predicate, self.object) + ((self.status,) if self.status else ())


@dataclass(frozen=True, slots=True)
class RelationMention:
    """A relation between two mentions, as extracted, before mentions are resolved to entities."""

    subject: Mention
    predicate: str
    object: Mention
    confidence: float
    extractor: str
    evidence: Evidence
    layer: str = "schema"
    status: str = ""  # see Relation.status
    #: "" for a plain statement; "negated" ("will not sign") or "hypothetical" ("should resign",
    #: "called for talks"): such statements are not asserted in the graph (the build report counts them)
    modality: str = ""


@dataclass(slots=True)
class KnowledgeGraph:
    """Documents, entities and relations. Documents are nodes too (type Document).

    Example:
        >>> g = KnowledgeGraph()
        >>> g.add_entity(Entity("person/ada", "Ada Lovelace", "Person"))
        >>> g.add_entity(Entity("place/london", "London", "Place"))
        >>> e = Evidence("d1", "Ada Lovelace lived in London.", 0, 29)
        >>> g.add_relation(Relation("person/ada", "located_in", "place/london", evidence=(e,)))
        >>> len(g.relations)
        1
    """

    documents: dict[str, DocumentInfo] = field(default_factory=dict)  # keyed by node id, see document_node
    entities: dict[str, Entity] = field(default_factory=dict)
    _relations: dict[tuple[str, ...], Relation] = field(default_factory=dict)  # by Relation.key
    schema: dict[str, RelationType] = field(default_factory=dict)
    report: BuildReport | None = None  # what the build that made it read, skipped and produced

    @property
    def relations(self) -> list[Relation]:
        return list(self._relations.values())

    def add_document(self, info: DocumentInfo) -> None:
        self.documents[document_node(info.id)] = info

    def add_entity(self, entity: Entity) -> None:
        """Add an entity; an entity with the same id gains the new aliases and mentions."""
        old = self.entities.get(entity.id)
        if old is not None:
            known = set(old.mentions)
            entity = replace(
                old,
                aliases=old.aliases | entity.aliases,
                mentions=old.mentions + tuple(m for m in entity.mentions if m not in known),
                merges=old.merges + entity.merges,
            )
        self.entities[entity.id] = entity

    def add_relation(self, relation: Relation) -> None:
        """Add a relation; the same (subject, predicate, object) merges into one edge.

        The merged edge keeps every distinct evidence sentence and the highest confidence.
        """
        if not relation.evidence:
            raise GraphIntegrityError(f"relation {relation.key} has no evidence")
        missing = {n for n in (relation.subject, relation.object) if n not in self.entities and n not in self.documents}
        if missing:
            raise GraphIntegrityError(
                f"relation {relation.predicate!r} refers to unknown nodes {sorted(missing)}; add them first"
            )
        old = self._relations.get(relation.key)
        if old is not None:
            seen = set(old.evidence)
            evidence = old.evidence + tuple(e for e in relation.evidence if e not in seen)
            best = relation if relation.confidence > old.confidence else old
            relation = replace(best, evidence=evidence)
        self._relations[relation.key] = relation

    def drop_subsumed(self) -> int:
        """Remove each edge whose pair also has a relation the schema says subsumes it (a chief
        executive's works_for where leader_of holds); returns how many went."""
        pairs = {(r.subject, r.predicate, r.object) for r in self._relations.values()}
        gone = [
            k
            for k, r in self._relations.items()
            if (spec := self.schema.get(r.predicate)) is not None
            and any((r.subject, other, r.object) in pairs for other in spec.subsumed_by)
        ]
        for k in gone:
            del self._relations[k]
        return len(gone)

    def drop_unrelated(self, types: Iterable[str]) -> int:
        """Remove the entities of `types` that no relation touches; returns how many went.

        Titles and concepts are nodes for what is said about them: one that nothing relates to
        ("official" in "officials said") would only clutter the graph.
        """
        wanted = set(types)
        related = {n for r in self._relations.values() for n in (r.subject, r.object)}
        gone = [k for k, e in self.entities.items() if e.type in wanted and k not in related]
        for k in gone:
            del self.entities[k]
        return len(gone)

    def label_of(self, node_id: str) -> str:
        if node_id in self.entities:
            return self.entities[node_id].label
        info = self.documents[node_id]
        return info.title or info.id

    def type_of(self, node_id: str) -> str:
        return self.entities[node_id].type if node_id in self.entities else "Document"

    def find(self, name: str) -> list[Entity]:
        """Entities whose label or an alias equals `name` (case-insensitive)."""
        wanted = name.casefold()
        return [
            e
            for e in self.entities.values()
            if e.label.casefold() == wanted or wanted in {a.casefold() for a in e.aliases}
        ]

    def subgraph(self, nodes: set[str]) -> KnowledgeGraph:
        """The graph restricted to `nodes` (entity and document ids) and the relations among them."""
        sub = KnowledgeGraph(schema=self.schema, report=self.report)
        sub.documents = {k: v for k, v in self.documents.items() if k in nodes}
        sub.entities = {k: v for k, v in self.entities.items() if k in nodes}
        sub._relations = {k: r for k, r in self._relations.items() if r.subject in nodes and r.object in nodes}
        return sub

    def extend(self, relations: Iterable[Relation]) -> None:
        for relation in relations:
            self.add_relation(relation)
