"""The kg RDF vocabulary: classes and properties of our own, mapped to standard terms.

Relation properties are named after the schema's relations (kg:met_with, kg:works_for ...) and
declared from the schema at export time, so a user's own relation gets a property too.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

VOCAB_IRI = "http://kg.example/vocab#"
OPEN_IRI = "http://kg.example/open#"  # predicates of the open layer: the verb lemma
DEFAULT_BASE = "http://kg.example/id/"

SCHEMA = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")

PREFIXES = {
    "kg": VOCAB_IRI,
    "kgo": OPEN_IRI,
    "schema": str(SCHEMA),
    "org": str(ORG),
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


class KG(DefinedNamespace):
    """kg's own terms. A misspelt term raises AttributeError instead of minting a new IRI."""

    _NS = Namespace(VOCAB_IRI)
    _fail = True

    # node types
    Person: URIRef
    Organization: URIRef
    Place: URIRef
    Date: URIRef
    Event: URIRef
    Role: URIRef
    Concept: URIRef
    Document: URIRef
    # provenance
    Mention: URIRef
    Evidence: URIRef
    Assertion: URIRef
    OpenRelation: URIRef
    mention: URIRef  # entity -> one of its mentions
    document: URIRef  # mention / evidence -> the document it is in
    surfaceForm: URIRef
    start: URIRef
    end: URIRef
    sentence: URIRef
    confidence: URIRef
    extractor: URIRef
    layer: URIRef
    status: URIRef  # statement -> "former" or "future" where the text says so
    evidenceCount: URIRef
    mentionCount: URIRef
    documentCount: URIRef
    community: URIRef  # node -> its Louvain community number (kg.export.communities)
    mergedBy: URIRef
    # documents
    source: URIRef
    genre: URIRef


def relation_property(name: str, layer: str = "schema") -> URIRef:
    """The property of a relation: "met_with" -> kg:met_with; an open relation's verb -> kgo:provide."""
    return URIRef((OPEN_IRI if layer == "open" else VOCAB_IRI) + quote(name, safe=""))


#: the relation mappings the exporter writes on each triple too (so tools without a reasoner see
#: schema:author, org:memberOf ...): the mapped property goes the same way, or the other way
#: (owl:inverseOf: `kg:hosted` from the host to the event is `schema:organizer` from the event)
SAME_DIRECTION = ("rdfs:subPropertyOf", "owl:equivalentProperty")
INVERSE = "owl:inverseOf"

#: the standard properties data/schema.json maps relations to, with the kg types their subject and
#: object may have (None: any), after schema.org's domainIncludes / rangeIncludes and the W3C
#: Organization Ontology's rdfs:domain / rdfs:range (foaf:Agent: a Person or an Organization).
#: A mapping is declared in the vocabulary only where the relation's whole domain and range fit it,
#: and written on a triple only where both nodes' types fit: `located_in` is schema:containedInPlace
#: from a place, never from an organisation. A property not listed fits every type.
STANDARD_PROPERTIES: dict[str, tuple[frozenset[str] | None, frozenset[str] | None]] = {
    "schema:organizer": (frozenset({"Event"}), frozenset({"Person", "Organization"})),
    "schema:attendee": (frozenset({"Event"}), frozenset({"Person", "Organization"})),
    # schema.org admits a Place too; kg says where a place is with schema:containedInPlace
    "schema:location": (frozenset({"Event", "Organization"}), frozenset({"Place"})),
    "schema:containedInPlace": (frozenset({"Place"}), frozenset({"Place"})),
    "schema:worksFor": (frozenset({"Person"}), frozenset({"Organization"})),
    "schema:memberOf": (frozenset({"Person", "Organization"}), frozenset({"Organization"})),
    "schema:author": (frozenset({"Document"}), frozenset({"Person", "Organization"})),
    "schema:publisher": (frozenset({"Document"}), frozenset({"Person", "Organization"})),
    "schema:birthPlace": (frozenset({"Person"}), frozenset({"Place"})),
    "schema:homeLocation": (frozenset({"Person"}), frozenset({"Place"})),
    "org:memberOf": (frozenset({"Person", "Organization"}), frozenset({"Organization"})),
    "org:headOf": (frozenset({"Person", "Organization"}), frozenset({"Organization"})),
    "org:subOrganizationOf": (frozenset({"Organization"}), frozenset({"Organization"})),
    "dcterms:creator": (None, frozenset({"Person", "Organization"})),
    "dcterms:publisher": (None, frozenset({"Person", "Organization"})),
}


def mapping_fits(mapping: str, term: str, subject_types: Iterable[str], object_types: Iterable[str]) -> bool:
    """Whether `term` holds for every subject and object of these types, the mapping's direction
    taken into account.

    Example:
        >>> mapping_fits("rdfs:subPropertyOf", "schema:containedInPlace", ["Place"], ["Place"])
        True
        >>> mapping_fits("rdfs:subPropertyOf", "schema:containedInPlace", ["Organization"], ["Place"])
        False
        >>> mapping_fits("owl:inverseOf", "schema:organizer", ["Person"], ["Event"])
        True
    """
    if mapping == INVERSE:
        subject_types, object_types = object_types, subject_types
    domain, range_ = STANDARD_PROPERTIES.get(term, (None, None))
    return (domain is None or set(subject_types) <= domain) and (range_ is None or set(object_types) <= range_)


def expand(curie: str) -> URIRef | None:
    """The IRI of a prefixed name with one of our prefixes ("schema:author"); None for another prefix."""
    prefix, _, local = curie.partition(":")
    return URIRef(PREFIXES[prefix] + local) if prefix in PREFIXES else None


#: our node types and the standard classes they are declared subclasses of
CLASS_MAPPINGS = {
    "Person": [SCHEMA.Person, URIRef("http://www.w3.org/ns/prov#Agent")],
    "Organization": [SCHEMA.Organization, ORG.Organization],
    "Place": [SCHEMA.Place],
    "Date": [],
    "Event": [SCHEMA.Event],
    "Role": [ORG.Role],
    "Concept": [URIRef("http://www.w3.org/2004/02/skos/core#Concept")],
    "Document": [SCHEMA.CreativeWork, URIRef("http://www.w3.org/ns/prov#Entity")],
}
