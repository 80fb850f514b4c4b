"""The graph as RDF (rdflib): nodes, typed relations, mentions and evidence with PROV-O.

Each relation is a plain triple (`:kishida kg:met_with :biden`), easy to query, and also an
rdf:Statement carrying its confidence, extractor and evidence sentences (prov:wasDerivedFrom).
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from kg.export.vocab import CLASS_MAPPINGS, DEFAULT_BASE, KG, PREFIXES, SCHEMA, relation_property
from kg.model import DocumentInfo, Entity, Evidence, KnowledgeGraph, Mention, Relation, RelationType

RDF_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig"}


class IRIs:
    """Mints the IRIs of one graph's nodes under `base`."""

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        self.base = base if base.endswith(("/", "#")) else base + "/"

    def node(self, node_id: str) -> URIRef:
        return URIRef(self.base + quote(node_id, safe="/-_.~"))

    def mention(self, m: Mention) -> URIRef:
        return URIRef(f"{self.base}mention/{quote(m.doc_id, safe='')}/{m.start}-{m.end}")

    def evidence(self, e: Evidence) -> URIRef:
        return URIRef(f"{self.base}evidence/{quote(e.doc_id, safe='')}/{e.start}-{e.end}")

    def statement(self, r: Relation) -> URIRef:
        digest = hashlib.sha1("\x1f".join(r.key).encode()).hexdigest()[:16]
        return URIRef(f"{self.base}statement/{digest}")


def _bind(g: Graph) -> None:
    for prefix, iri in PREFIXES.items():
        g.bind(prefix, iri, override=True)


def add_vocabulary(g: Graph, schema: dict[str, RelationType]) -> None:
    """Declare kg's classes and the schema's relation properties, mapped to standard terms."""
    namespaces = {p: i for p, i in PREFIXES.items()}
    for type_, parents in CLASS_MAPPINGS.items():
        cls = KG[type_]
        g.add((cls, RDF.type, OWL.Class))
        g.add((cls, RDFS.label, Literal(type_)))
        for parent in parents:
            g.add((cls, RDFS.subClassOf, parent))
    for rel in schema.values():
        prop = relation_property(rel.name)
        g.add((prop, RDF.type, OWL.ObjectProperty))
        g.add((prop, RDFS.label, Literal(rel.name)))
        if rel.description:
            g.add((prop, RDFS.comment, Literal(rel.description)))
        if rel.example:
            g.add((prop, SKOS.example, Literal(rel.example)))
        if rel.symmetric:
            g.add((prop, RDF.type, OWL.SymmetricProperty))
        for key, types in (("domain", rel.domain), ("range", rel.range)):
            g.add((prop, RDFS.domain if key == "domain" else RDFS.range, _class_union(g, types)))
        for mapping, term in rel.mappings:
            m_prefix, _, m_local = mapping.partition(":")
            t_prefix, _, t_local = term.partition(":")
            if m_prefix in namespaces and t_prefix in namespaces:
                g.add((prop, URIRef(namespaces[m_prefix] + m_local), URIRef(namespaces[t_prefix] + t_local)))


def _class_union(g: Graph, types: tuple[str, ...]) -> URIRef | BNode:
    if len(types) == 1:
        return KG[types[0]]
    union = BNode()
    members = BNode()
    Collection(g, members, [KG[t] for t in types])
    g.add((union, RDF.type, OWL.Class))
    g.add((union, OWL.unionOf, members))
    return union


def _add_document(g: Graph, iris: IRIs, node_id: str, info: DocumentInfo) -> None:
    node = iris.node(node_id)
    g.add((node, RDF.type, KG.Document))
    g.add((node, RDFS.label, Literal(info.title or info.id)))
    g.add((node, KG.source, Literal(info.source)))
    g.add((node, DCTERMS.identifier, Literal(info.id)))
    if info.title:
        g.add((node, DCTERMS.title, Literal(info.title)))
        g.add((node, SCHEMA.headline, Literal(info.title)))
    if info.date:
        date = Literal(info.date, datatype=XSD.date) if len(info.date) == 10 else Literal(info.date)
        g.add((node, DCTERMS.date, date))
        g.add((node, SCHEMA.datePublished, date))
    if info.genre:
        g.add((node, KG.genre, Literal(info.genre)))
    if info.url:
        g.add((node, SCHEMA.url, URIRef(info.url)))


def _add_entity(g: Graph, iris: IRIs, entity: Entity) -> None:
    node = iris.node(entity.id)
    g.add((node, RDF.type, KG[entity.type]))
    g.add((node, RDFS.label, Literal(entity.label)))
    g.add((node, SKOS.prefLabel, Literal(entity.label)))
    for alias in sorted(entity.aliases):
        g.add((node, SKOS.altLabel, Literal(alias)))
    g.add((node, KG.mentionCount, Literal(len(entity.mentions))))
    g.add((node, KG.documentCount, Literal(len(entity.documents))))
    for rule in sorted({rule for rule, _ in entity.merges}):
        g.add((node, KG.mergedBy, Literal(rule)))
    for m in entity.mentions:
        mention = iris.mention(m)
        g.add((node, KG.mention, mention))
        g.add((mention, RDF.type, KG.Mention))
        g.add((mention, KG.surfaceForm, Literal(m.text)))
        g.add((mention, KG.document, iris.node(f"document/{m.doc_id}")))
        g.add((mention, KG.start, Literal(m.start)))
        g.add((mention, KG.end, Literal(m.end)))
        g.add((mention, PROV.wasQuotedFrom, iris.node(f"document/{m.doc_id}")))


def _add_relation(g: Graph, iris: IRIs, relation: Relation, symmetric: bool) -> None:
    s, o = iris.node(relation.subject), iris.node(relation.object)
    prop = relation_property(relation.predicate)
    g.add((s, prop, o))
    if symmetric:
        g.add((o, prop, s))
    statement = iris.statement(relation)
    g.add((statement, RDF.type, RDF.Statement))
    g.add((statement, RDF.type, KG.OpenRelation if relation.layer == "open" else KG.Assertion))
    g.add((statement, RDF.subject, s))
    g.add((statement, RDF.predicate, prop))
    g.add((statement, RDF.object, o))
    g.add((statement, KG.confidence, Literal(round(relation.confidence, 4), datatype=XSD.decimal)))
    g.add((statement, KG.extractor, Literal(relation.extractor)))
    g.add((statement, KG.layer, Literal(relation.layer)))
    g.add((statement, KG.evidenceCount, Literal(len(relation.evidence))))
    for e in relation.evidence:
        evidence = iris.evidence(e)
        g.add((statement, PROV.wasDerivedFrom, evidence))
        g.add((evidence, RDF.type, KG.Evidence))
        g.add((evidence, RDF.type, PROV.Entity))
        g.add((evidence, KG.sentence, Literal(e.sentence)))
        g.add((evidence, KG.document, iris.node(f"document/{e.doc_id}")))
        g.add((evidence, KG.start, Literal(e.start)))
        g.add((evidence, KG.end, Literal(e.end)))
        g.add((evidence, PROV.wasQuotedFrom, iris.node(f"document/{e.doc_id}")))
    if relation.predicate == "authored_by":
        g.add((s, DCTERMS.creator, o))
        g.add((s, SCHEMA.author, o))
    elif relation.predicate == "published_in":
        g.add((s, DCTERMS.publisher, o))
        g.add((s, SCHEMA.publisher, o))


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
    _bind(g)
    iris = IRIs(base)
    if vocabulary:
        add_vocabulary(g, graph.schema)
    for node_id, info in graph.documents.items():
        _add_document(g, iris, node_id, info)
    for entity in graph.entities.values():
        _add_entity(g, iris, entity)
    for relation in graph.relations:
        spec = graph.schema.get(relation.predicate)
        _add_relation(g, iris, relation, bool(spec and spec.symmetric))
    return g


def serialize(graph: KnowledgeGraph, fmt: str, base: str = DEFAULT_BASE) -> bytes:
    """Serialise in one of RDF_FORMATS (ttl, nt, jsonld, trig)."""
    rdf = to_rdf(graph, base)
    if fmt == "trig":
        dataset = Dataset()
        _bind(dataset)
        named = dataset.graph(URIRef(IRIs(base).base + "graph"))
        for triple in rdf:
            named.add(triple)
        return dataset.serialize(format="trig", encoding="utf-8")
    if fmt == "jsonld":
        return rdf.serialize(format="json-ld", context=PREFIXES, encoding="utf-8")
    return rdf.serialize(format=RDF_FORMATS[fmt], encoding="utf-8")
