"""The graph as RDF: nodes, typed relations, mentions and evidence with PROV-O.

Each relation is a plain triple (`:kishida kg:met_with :biden`), easy to query, and also an
rdf:Statement carrying its confidence, extractor and evidence sentences (prov:wasDerivedFrom).

Triples are made once, as rdflib terms: `to_rdf()` loads them into an rdflib.Graph for Python
users; `serialize()` hands them to Oxigraph's serialisers, which write large graphs many times
faster than rdflib's pure-Python Turtle writer.
"""

from __future__ import annotations

import hashlib
from typing import Iterator
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from kg.export.vocab import (
    CLASS_MAPPINGS,
    DEFAULT_BASE,
    KG,
    PREFIXES,
    SCHEMA,
    VOCAB_IRI,
    relation_property,
)
from kg.model import (
    DocumentInfo,
    Entity,
    Evidence,
    KnowledgeGraph,
    Mention,
    Relation,
    RelationType,
)

Triple = tuple[URIRef | BNode, URIRef, URIRef | BNode | Literal]
RDF_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig"}
_OX_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD, "trig": ox.RdfFormat.TRIG}


class IRIs:
    """Mints the IRIs of one graph's nodes under `base`."""

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        self.base = base if base.endswith(("/", "#")) else base + "/"

    def node(self, node_id: str) -> URIRef:
        return URIRef(self.base + quote(node_id, safe="/-_.~"))

    def document(self, doc_id: str) -> URIRef:
        return self.node(f"document/{doc_id}")

    def mention(self, m: Mention) -> URIRef:
        return URIRef(f"{self.base}mention/{quote(m.doc_id, safe='')}/{m.start}-{m.end}")

    def evidence(self, e: Evidence) -> URIRef:
        return URIRef(f"{self.base}evidence/{quote(e.doc_id, safe='')}/{e.start}-{e.end}")

    def statement(self, r: Relation) -> URIRef:
        digest = hashlib.sha1("\x1f".join(r.key).encode()).hexdigest()[:16]
        return URIRef(f"{self.base}statement/{digest}")


def vocabulary_triples(schema: dict[str, RelationType]) -> Iterator[Triple]:
    """kg's classes and the schema's relation properties, mapped to standard terms."""
    for type_, parents in CLASS_MAPPINGS.items():
        yield KG[type_], RDF.type, OWL.Class
        yield KG[type_], RDFS.label, Literal(type_)
        for parent in parents:
            yield KG[type_], RDFS.subClassOf, parent
    for rel in schema.values():
        prop = relation_property(rel.name)
        yield prop, RDF.type, OWL.ObjectProperty
        yield prop, RDFS.label, Literal(rel.name)
        if rel.description:
            yield prop, RDFS.comment, Literal(rel.description)
        if rel.example:
            yield prop, SKOS.example, Literal(rel.example)
        if rel.symmetric:
            yield prop, RDF.type, OWL.SymmetricProperty
        for key, types in ((RDFS.domain, rel.domain), (RDFS.range, rel.range)):
            if len(types) == 1:
                yield prop, key, KG[types[0]]
            else:  # several types: their union (two rdfs:domain triples would mean the intersection)
                union = _skolem(f"{rel.name}-{'domain' if key == RDFS.domain else 'range'}")
                yield prop, key, union
                yield from _union(union, types)
        for mapping, term in rel.mappings:
            m_prefix, _, m_local = mapping.partition(":")
            t_prefix, _, t_local = term.partition(":")
            if m_prefix in PREFIXES and t_prefix in PREFIXES:
                yield prop, URIRef(PREFIXES[m_prefix] + m_local), URIRef(PREFIXES[t_prefix] + t_local)


def _skolem(name: str) -> URIRef:
    """A skolem IRI (RDF 1.1) instead of a blank node, so loading a graph twice adds nothing."""
    return URIRef(f"{VOCAB_IRI.split('/vocab')[0]}/.well-known/genid/{name}")


def _union(union: URIRef, types: tuple[str, ...]) -> Iterator[Triple]:
    yield union, RDF.type, OWL.Class
    cells = [URIRef(f"{union}-{n}") for n in range(len(types))]
    yield union, OWL.unionOf, cells[0]
    for n, type_ in enumerate(types):
        yield cells[n], RDF.first, KG[type_]
        yield cells[n], RDF.rest, cells[n + 1] if n + 1 < len(cells) else RDF.nil


def document_triples(iris: IRIs, node_id: str, info: DocumentInfo) -> Iterator[Triple]:
    node = iris.node(node_id)
    yield node, RDF.type, KG.Document
    yield node, RDFS.label, Literal(info.title or info.id)
    yield node, KG.source, Literal(info.source)
    yield node, DCTERMS.identifier, Literal(info.id)
    if info.title:
        yield node, DCTERMS.title, Literal(info.title)
        yield node, SCHEMA.headline, Literal(info.title)
    if info.date:
        date = Literal(info.date, datatype=XSD.date) if len(info.date) == 10 else Literal(info.date)
        yield node, DCTERMS.date, date
        yield node, SCHEMA.datePublished, date
    if info.genre:
        yield node, KG.genre, Literal(info.genre)
    if info.url:
        yield node, SCHEMA.url, URIRef(info.url)


def entity_triples(iris: IRIs, entity: Entity) -> Iterator[Triple]:
    node = iris.node(entity.id)
    yield node, RDF.type, KG[entity.type]
    yield node, RDFS.label, Literal(entity.label)
    yield node, SKOS.prefLabel, Literal(entity.label)
    for alias in sorted(entity.aliases):
        yield node, SKOS.altLabel, Literal(alias)
    yield node, KG.mentionCount, Literal(len(entity.mentions))
    yield node, KG.documentCount, Literal(len(entity.documents))
    for rule in sorted({rule for rule, _ in entity.merges}):
        yield node, KG.mergedBy, Literal(rule)
    for m in entity.mentions:
        mention, document = iris.mention(m), iris.document(m.doc_id)
        yield node, KG.mention, mention
        yield mention, RDF.type, KG.Mention
        yield mention, KG.surfaceForm, Literal(m.text)
        yield mention, KG.document, document
        yield mention, KG.start, Literal(m.start)
        yield mention, KG.end, Literal(m.end)
        yield mention, PROV.wasQuotedFrom, document


_MATERIALISED = ("rdfs:subPropertyOf", "owl:equivalentProperty")


def relation_triples(iris: IRIs, relation: Relation, spec: RelationType | None) -> Iterator[Triple]:
    """The relation's triple, the standard properties it specialises (so tools without a reasoner
    see schema:author, org:memberOf ...), and its statement with confidence and evidence."""
    s, o = iris.node(relation.subject), iris.node(relation.object)
    prop = relation_property(relation.predicate, relation.layer)
    yield s, prop, o
    if spec is not None and spec.symmetric:
        yield o, prop, s
    for mapping, term in spec.mappings if spec is not None else ():
        prefix, _, local = term.partition(":")
        if mapping in _MATERIALISED and prefix in PREFIXES:
            yield s, URIRef(PREFIXES[prefix] + local), o
    if relation.predicate == "start_date" and len(relation.object) == len("date/2000-01-01"):
        yield s, SCHEMA.startDate, Literal(relation.object.removeprefix("date/"), datatype=XSD.date)
    statement = iris.statement(relation)
    yield statement, RDF.type, RDF.Statement
    yield statement, RDF.type, KG.OpenRelation if relation.layer == "open" else KG.Assertion
    yield statement, RDF.subject, s
    yield statement, RDF.predicate, prop
    yield statement, RDF.object, o
    yield statement, KG.confidence, Literal(f"{relation.confidence:.4f}".rstrip("0").rstrip("."), datatype=XSD.decimal)
    yield statement, KG.extractor, Literal(relation.extractor)
    yield statement, KG.layer, Literal(relation.layer)
    yield statement, KG.evidenceCount, Literal(len(relation.evidence))
    for e in relation.evidence:
        evidence, document = iris.evidence(e), iris.document(e.doc_id)
        yield statement, PROV.wasDerivedFrom, evidence
        yield evidence, RDF.type, KG.Evidence
        yield evidence, RDF.type, PROV.Entity
        yield evidence, KG.sentence, Literal(e.sentence)
        yield evidence, KG.document, document
        yield evidence, KG.start, Literal(e.start)
        yield evidence, KG.end, Literal(e.end)
        yield evidence, PROV.wasQuotedFrom, document


def rdf_triples(graph: KnowledgeGraph, base: str = DEFAULT_BASE, vocabulary: bool = True) -> Iterator[Triple]:
    """Every triple of the graph (the vocabulary first, unless `vocabulary` is false)."""
    iris = IRIs(base)
    if vocabulary:
        yield from vocabulary_triples(graph.schema)
    for node_id, info in graph.documents.items():
        yield from document_triples(iris, node_id, info)
    for entity in graph.entities.values():
        yield from entity_triples(iris, entity)
    for relation in graph.relations:
        yield from relation_triples(iris, relation, graph.schema.get(relation.predicate) if relation.layer == "schema" else None)


def to_rdf(graph: KnowledgeGraph, base: str = DEFAULT_BASE, vocabulary: bool = True) -> Graph:
    """The knowledge graph as an rdflib.Graph.

    Example:
        >>> from kg.model import KnowledgeGraph, Entity
        >>> g = KnowledgeGraph()
        >>> g.add_entity(Entity("place/tokyo", "Tokyo", "Place"))
        >>> rdf = to_rdf(g, vocabulary=False)
        >>> str(rdf.value(predicate=RDFS.label, object=Literal("Tokyo")))
        'http://kg.example/id/place/tokyo'
    """
    g = Graph()
    for prefix, iri in PREFIXES.items():
        g.bind(prefix, iri, override=True)
    for triple in rdf_triples(graph, base, vocabulary):
        g.add(triple)
    return g


class _Terms:
    """rdflib terms -> Oxigraph terms, remembering the IRIs and short literals that repeat."""

    def __init__(self) -> None:
        self.cache: dict[object, object] = {}

    def __call__(self, term: object) -> object:
        hit = self.cache.get(term)
        if hit is not None:
            return hit
        if isinstance(term, URIRef):
            out = ox.NamedNode(term)
        elif isinstance(term, BNode):
            out = ox.BlankNode(term)
        elif term.language:  # type: ignore[union-attr]
            out = ox.Literal(term, language=term.language)  # type: ignore[union-attr]
        elif term.datatype:  # type: ignore[union-attr]
            out = ox.Literal(term, datatype=self(term.datatype))  # type: ignore[union-attr]
        else:
            out = ox.Literal(term)
        if not isinstance(term, Literal) or len(term) < 64:
            self.cache[term] = out
        return out


def serialize(graph: KnowledgeGraph, fmt: str, base: str = DEFAULT_BASE) -> bytes:
    """The graph in one of RDF_FORMATS (ttl, nt, jsonld; trig puts it in one named graph)."""
    term = _Terms()
    if fmt == "trig":
        name = ox.NamedNode(IRIs(base).base + "graph")
        quads = [ox.Quad(term(s), term(p), term(o), name) for s, p, o in rdf_triples(graph, base)]
        return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
    triples = [ox.Triple(term(s), term(p), term(o)) for s, p, o in rdf_triples(graph, base)]
    if fmt == "nt":
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    return ox.serialize(triples, format=_OX_FORMATS[fmt], prefixes=PREFIXES)
