"""The kg RDF vocabulary: classes and properties of our own, mapped to standard terms.

Relation properties are named after the schema's relations (kg:met_with, kg:works_for ...) and
declared from the schema at export time, so a user's own relation gets a property too.
"""

from __future__ import annotations

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
    mergedBy: URIRef
    # documents
    source: URIRef
    genre: URIRef


def relation_property(name: str, layer: str = "schema") -> URIRef:
    """The property of a relation: "met_with" -> kg:met_with; an open relation's verb -> kgo:provide."""
    return URIRef((OPEN_IRI if layer == "open" else VOCAB_IRI) + quote(name, safe=""))


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
