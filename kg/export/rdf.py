"""The graph as RDF: nodes, typed relations, mentions and evidence with PROV-O.

Each relation is a plain triple (`:kishida kg:met_with :biden`), easy to query, and also an
rdf:Statement carrying its confidence, extractor and evidence sentences (prov:wasDerivedFrom).

Triples are made once, as rdflib terms: `to_rdf()` loads them into an rdflib.Graph for Python
users; `serialize()` hands them to Oxigraph's serialisers, which write large graphs many times
faster than rdflib's pure-Python Turtle writer.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from kg import registry
from kg.export.communities import communities
from kg.export.vocab import (
    CLASS_MAPPINGS,
    DEFAULT_BASE,
    INVERSE,
    KG,
    PREFIXES,
    SAME_DIRECTION,
    SCHEMA,
    VOCAB_IRI,
    expand,
    mapping_fits,
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

Triple = tuple[Any, Any, Any]


@dataclass(frozen=True)
class RdfFormat:
    """An RDF file format kg writes, registered in `kg.registry.rdf_formats` under its file extension.

    Example (a package of one's own adding RDF/XML):
        >>> registry.rdf_formats.register("rdf", func=RdfFormat("rdf", "xml", ox.RdfFormat.RDF_XML))  # doctest: +SKIP
    """

    extension: str  # graph.<extension>
    rdflib_name: str  # the name rdflib parses it by
    oxigraph: ox.RdfFormat  # the serialiser that writes it
    named_graph: bool = False  # the triples go into one named graph (TriG)
    prefixes: bool = True  # written with kg's prefixes (N-Triples has none)


for _format in (
    RdfFormat("ttl", "turtle", ox.RdfFormat.TURTLE),
    RdfFormat("nt", "nt", ox.RdfFormat.N_TRIPLES, prefixes=False),
    RdfFormat("jsonld", "json-ld", ox.RdfFormat.JSON_LD),
    RdfFormat("trig", "trig", ox.RdfFormat.TRIG, named_graph=True),
):
    registry.rdf_formats.register(_format.extension, func=_format)

#: file extension -> rdflib's format name, for every registered RDF format
RDF_FORMATS = {
    name: registry.get(registry.rdf_formats, name, "RDF format").rdflib_name
    for name in registry.names(registry.rdf_formats)
}


class RdflibTerms:
    """Makes rdflib terms (for `to_rdf`)."""

    iri = URIRef

    def lit(self, value: object, datatype: URIRef | None = None) -> Literal:
        return Literal(value, datatype=datatype)

    def __call__(self, constant: URIRef) -> URIRef:
        return constant


class OxTerms:
    """Makes Oxigraph terms directly (for the file serialisers), vocabulary constants cached."""

    def __init__(self) -> None:
        self.cache: dict[URIRef, ox.NamedNode] = {}

    iri = staticmethod(ox.NamedNode)

    def lit(self, value: object, datatype: URIRef | None = None) -> ox.Literal:
        return ox.Literal(value) if datatype is None else ox.Literal(str(value), datatype=self(datatype))  # type: ignore[arg-type]

    def __call__(self, constant: URIRef) -> ox.NamedNode:
        node = self.cache.get(constant)
        if node is None:
            node = self.cache[constant] = ox.NamedNode(str(constant))
        return node


DOCUMENT_PREFIX = "document/"
_FIELDS = {"AUTHOR": "author", "VENUE": "venue", "DOCUMENT": "title"}  # metadata mention labels -> field
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")


def segment(text: str) -> str:
    """One path segment of an IRI: every reserved character percent-encoded, "/" included."""
    return quote(text, safe="")


def iso_date(text: str | None) -> str | None:
    """`text` if it is a valid ISO date (YYYY-MM-DD), else None: only such a date is typed xsd:date.

    >>> iso_date("2023-08-18"), iso_date("not a date"), iso_date("2023-02-30")
    ('2023-08-18', None, None)
    """
    if not text or not _ISO_DATE.fullmatch(text):
        return None
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return None
    return text


class IRIs:
    """Mints the IRIs of one graph's nodes under `base`, as terms of the given kind."""

    def __init__(self, base: str = DEFAULT_BASE, terms: RdflibTerms | OxTerms | None = None) -> None:
        self.base = base if base.endswith(("/", "#")) else base + "/"
        self.make = (terms or RdflibTerms()).iri

    def node(self, node_id: str) -> Any:
        if node_id.startswith(DOCUMENT_PREFIX):
            return self.document(node_id[len(DOCUMENT_PREFIX) :])
        return self.make(self.base + quote(node_id, safe="/-_.~"))

    def document(self, doc_id: str) -> Any:
        """document/<id>: the document id is one path segment ("/" encoded), as in mention and
        evidence IRIs, so `a/017.txt` is document/a%2F017.txt everywhere."""
        return self.make(f"{self.base}{DOCUMENT_PREFIX}{segment(doc_id)}")

    def mention(self, m: Mention) -> Any:
        """mention/<document>/<start>-<end>; a mention given by the document's metadata and not found
        in its text (no offsets) is named by its field and value: mention/<document>/author/<name>."""
        if m.start == m.end:
            field = segment(_FIELDS.get(m.label, m.label.lower() or "metadata"))
            return self.make(f"{self.base}mention/{segment(m.doc_id)}/{field}/{segment(m.text)}")
        return self.make(f"{self.base}mention/{segment(m.doc_id)}/{m.start}-{m.end}")

    def evidence(self, e: Evidence) -> Any:
        """evidence/<document>/<start>-<end>; metadata evidence without offsets ("author: Ada
        Lovelace") is named by its field and value: evidence/<document>/author/Ada%20Lovelace."""
        if e.start == e.end:
            field, sep, value = e.sentence.partition(": ")
            name = f"{segment(field)}/{segment(value)}" if sep else f"metadata/{segment(e.sentence)}"
            return self.make(f"{self.base}evidence/{segment(e.doc_id)}/{name}")
        return self.make(f"{self.base}evidence/{segment(e.doc_id)}/{e.start}-{e.end}")

    def statement(self, r: Relation) -> Any:
        digest = hashlib.sha1("\x1f".join(r.key).encode()).hexdigest()[:16]
        return self.make(f"{self.base}statement/{digest}")


def vocabulary_triples(schema: dict[str, RelationType], t: Any) -> Iterator[Triple]:
    """kg's classes and the schema's relation properties, mapped to standard terms."""
    for type_, parents in CLASS_MAPPINGS.items():
        yield t(KG[type_]), t(RDF.type), t(OWL.Class)
        yield t(KG[type_]), t(RDFS.label), t.lit(type_)
        for parent in parents:
            yield t(KG[type_]), t(RDFS.subClassOf), t(parent)
    for rel in schema.values():
        prop = t(relation_property(rel.name))
        yield prop, t(RDF.type), t(OWL.ObjectProperty)
        yield prop, t(RDFS.label), t.lit(rel.name)
        if rel.description:
            yield prop, t(RDFS.comment), t.lit(rel.description)
        if rel.example:
            yield prop, t(SKOS.example), t.lit(rel.example)
        if rel.symmetric:
            yield prop, t(RDF.type), t(OWL.SymmetricProperty)
        for key, types in ((RDFS.domain, rel.domain), (RDFS.range, rel.range)):
            if len(types) == 1:
                yield prop, t(key), t(KG[types[0]])
            else:  # several types: their union (two rdfs:domain triples would mean the intersection)
                union = _skolem(f"{rel.name}-{'domain' if key == RDFS.domain else 'range'}")
                yield prop, t(key), t(union)
                yield from _union(union, types, t)
        ends = (rel.domain + rel.range,) * 2 if rel.symmetric else (rel.domain, rel.range)
        for mapping, term in rel.mappings:  # declared only where it holds for the whole domain and range
            mapping_iri, term_iri = expand(mapping), expand(term)
            if mapping_iri is not None and term_iri is not None and mapping_fits(mapping, term, *ends):
                yield prop, t(mapping_iri), t(term_iri)


def _skolem(name: str) -> URIRef:
    """A skolem IRI (RDF 1.1) instead of a blank node, so loading a graph twice adds nothing."""
    return URIRef(f"{VOCAB_IRI.split('/vocab')[0]}/.well-known/genid/{name}")


def _union(union: URIRef, types: tuple[str, ...], t: Any) -> Iterator[Triple]:
    yield t(union), t(RDF.type), t(OWL.Class)
    cells = [URIRef(f"{union}-{n}") for n in range(len(types))]
    yield t(union), t(OWL.unionOf), t(cells[0])
    for n, type_ in enumerate(types):
        yield t(cells[n]), t(RDF.first), t(KG[type_])
        yield t(cells[n]), t(RDF.rest), t(cells[n + 1] if n + 1 < len(cells) else RDF.nil)


def document_triples(iris: IRIs, node_id: str, info: DocumentInfo, t: Any) -> Iterator[Triple]:
    node = iris.node(node_id)
    yield node, t(RDF.type), t(KG.Document)
    yield node, t(RDFS.label), t.lit(info.title or info.id)
    yield node, t(KG.source), t.lit(info.source)
    yield node, t(DCTERMS.identifier), t.lit(info.id)
    if info.title:
        yield node, t(DCTERMS.title), t.lit(info.title)
        yield node, t(SCHEMA.headline), t.lit(info.title)
    if info.date:  # a date that does not parse stays a plain literal, never a wrong xsd:date
        date = t.lit(info.date, XSD.date) if iso_date(info.date) else t.lit(info.date)
        yield node, t(DCTERMS.date), date
        yield node, t(SCHEMA.datePublished), date
    if info.genre:
        yield node, t(KG.genre), t.lit(info.genre)
    if info.url:  # a URL that is not an IRI is kept as text
        yield node, t(SCHEMA.url), t.iri(info.url) if _IRI.fullmatch(info.url) else t.lit(info.url)


def entity_triples(iris: IRIs, entity: Entity, t: Any) -> Iterator[Triple]:
    node = iris.node(entity.id)
    yield node, t(RDF.type), t(KG[entity.type])
    yield node, t(RDFS.label), t.lit(entity.label)
    yield node, t(SKOS.prefLabel), t.lit(entity.label)
    for alias in sorted(entity.aliases):
        yield node, t(SKOS.altLabel), t.lit(alias)
    yield node, t(KG.mentionCount), t.lit(len(entity.mentions))
    yield node, t(KG.documentCount), t.lit(len(entity.documents))
    for rule in sorted({rule for rule, _ in entity.merges}):
        yield node, t(KG.mergedBy), t.lit(rule)
    mention_type, surface, document_p, start_p, end_p, quoted = (
        t(KG.Mention),
        t(KG.surfaceForm),
        t(KG.document),
        t(KG.start),
        t(KG.end),
        t(PROV.wasQuotedFrom),
    )
    for m in entity.mentions:
        mention, document = iris.mention(m), iris.document(m.doc_id)
        yield node, t(KG.mention), mention
        yield mention, t(RDF.type), mention_type
        yield mention, surface, t.lit(m.text)
        yield mention, document_p, document
        yield mention, start_p, t.lit(m.start)
        yield mention, end_p, t.lit(m.end)
        yield mention, quoted, document


def relation_triples(
    iris: IRIs,
    relation: Relation,
    spec: RelationType | None,
    t: Any,
    node_type: Callable[[str], str | None] = lambda node_id: None,
) -> Iterator[Triple]:
    """The relation's triple, the standard properties it specialises where its nodes' types fit
    them (`node_type` gives a node's type; None: unknown, fits no listed standard property), and its
    statement with confidence and evidence."""
    s, o = iris.node(relation.subject), iris.node(relation.object)
    prop = t(relation_property(relation.predicate, relation.layer))
    yield s, prop, o
    if spec is not None and spec.symmetric:
        yield o, prop, s
    # a node of unknown type ("") fits no property of STANDARD_PROPERTIES
    ends = ([node_type(relation.subject) or ""], [node_type(relation.object) or ""])
    for mapping, term in spec.mappings if spec is not None else ():
        term_iri = expand(term)
        if term_iri is None or mapping not in (*SAME_DIRECTION, INVERSE) or not mapping_fits(mapping, term, *ends):
            continue
        yield (o, t(term_iri), s) if mapping == INVERSE else (s, t(term_iri), o)
    if relation.predicate == "start_date" and iso_date(relation.object.removeprefix("date/")):
        yield s, t(SCHEMA.startDate), t.lit(relation.object.removeprefix("date/"), XSD.date)
    statement = iris.statement(relation)
    yield statement, t(RDF.type), t(RDF.Statement)
    yield statement, t(RDF.type), t(KG.OpenRelation if relation.layer == "open" else KG.Assertion)
    yield statement, t(RDF.subject), s
    yield statement, t(RDF.predicate), prop
    yield statement, t(RDF.object), o
    yield statement, t(KG.confidence), t.lit(f"{relation.confidence:.4f}".rstrip("0").rstrip("."), XSD.decimal)
    yield statement, t(KG.extractor), t.lit(relation.extractor)
    yield statement, t(KG.layer), t.lit(relation.layer)
    yield statement, t(KG.evidenceCount), t.lit(len(relation.evidence))
    if relation.status:  # "former chief executive", "will become chairman"
        yield statement, t(KG.status), t.lit(relation.status)
    for e in relation.evidence:
        evidence, document = iris.evidence(e), iris.document(e.doc_id)
        yield statement, t(PROV.wasDerivedFrom), evidence
        yield evidence, t(RDF.type), t(KG.Evidence)
        yield evidence, t(RDF.type), t(PROV.Entity)
        yield evidence, t(KG.sentence), t.lit(e.sentence)
        yield evidence, t(KG.document), document
        yield evidence, t(KG.start), t.lit(e.start)
        yield evidence, t(KG.end), t.lit(e.end)
        yield evidence, t(PROV.wasQuotedFrom), document


def rdf_triples(
    graph: KnowledgeGraph, base: str = DEFAULT_BASE, vocabulary: bool = True, terms: RdflibTerms | OxTerms | None = None
) -> Iterator[Triple]:
    """Every triple of the graph (the vocabulary first, unless `vocabulary` is false), as rdflib
    terms or, with `terms=OxTerms()`, as Oxigraph terms."""
    t = terms or RdflibTerms()
    iris = IRIs(base, t)
    if vocabulary:
        yield from vocabulary_triples(graph.schema, t)
    for node_id, info in graph.documents.items():
        yield from document_triples(iris, node_id, info, t)
    for entity in graph.entities.values():
        yield from entity_triples(iris, entity, t)
    for node_id, number in communities(graph).items():  # numbered by size: 0 is the largest
        yield iris.node(node_id), t(KG.community), t.lit(number)
    types = {node_id: "Document" for node_id in graph.documents} | {e.id: e.type for e in graph.entities.values()}
    for relation in graph.relations:
        spec = graph.schema.get(relation.predicate) if relation.layer == "schema" else None
        yield from relation_triples(iris, relation, spec, t, types.get)


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


def serialize(graph: KnowledgeGraph, fmt: str, base: str = DEFAULT_BASE) -> bytes:
    """The graph in a format of `kg.registry.rdf_formats` (ttl, nt, jsonld; trig puts it in one
    named graph).

    Example:
        >>> serialize(KnowledgeGraph(), "xml")
        Traceback (most recent call last):
        ...
        kg.errors.UnknownNameError: unknown format 'xml'; use one of: jsonld, nt, trig, ttl
    """
    return _serialize(graph, fmt, base, None) or b""


def write_rdf(graph: KnowledgeGraph, file: IO[bytes], fmt: str, base: str = DEFAULT_BASE) -> None:
    """Write the graph in a format of `kg.registry.rdf_formats` to a binary file: the same bytes as
    `serialize`, made as they are written (no triple list, no copy of the file in memory).

    Example:
        >>> import io
        >>> out = io.BytesIO()
        >>> write_rdf(KnowledgeGraph(), out, "nt")
        >>> out.getvalue() == serialize(KnowledgeGraph(), "nt")
        True
    """
    _serialize(graph, fmt, base, file)


def _serialize(graph: KnowledgeGraph, fmt: str, base: str, output: IO[bytes] | None) -> bytes | None:
    spec: RdfFormat = registry.get(registry.rdf_formats, fmt, "format")
    triples = rdf_triples(graph, base, terms=OxTerms())
    prefixes = PREFIXES if spec.prefixes else None
    if spec.named_graph:
        name = ox.NamedNode(IRIs(base).base + "graph")
        quads = (ox.Quad(s, p, o, name) for s, p, o in triples)
        return ox.serialize(quads, output, format=spec.oxigraph, prefixes=prefixes)
    return ox.serialize((ox.Triple(s, p, o) for s, p, o in triples), output, format=spec.oxigraph, prefixes=prefixes)
