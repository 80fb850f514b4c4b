"""Query results and their formats, registered in `kg.registry.result_formats`.

SELECT and ASK results as a table, SPARQL 1.1 Query Results JSON, XML, CSV and TSV; graph results
(CONSTRUCT, DESCRIBE) as Turtle, N-Triples, RDF/XML and JSON-LD, written by pyoxigraph. `kg query
--format` names a format; `kg serve` picks one by the request's Accept header among the media
types a format declares. A package adds a format with `@registry.result_formats.register(name)`
on a `ResultFormat`, or through the `kg_result_formats` entry point.

Example:
    >>> fmt = registry.get(registry.result_formats, "xml", "format")
    >>> fmt.media_types[0]
    'application/sparql-results+xml'
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import catalogue
import pyoxigraph as ox

from kg import registry
from kg.errors import QueryError
from kg.export.vocab import DEFAULT_BASE, PREFIXES

SOLUTIONS = ("select", "ask")
GRAPH = ("graph",)
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass
class QueryResult:
    """What a query returned: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT, DESCRIBE)."""

    kind: str  # "select", "ask" or "graph"
    variables: list[str]
    rows: list[tuple[Any, ...]]  # pyoxigraph terms (None for unbound); for "graph", triples
    boolean: bool | None = None
    truncated: bool = False


@dataclass(frozen=True)
class ResultFormat:
    """A way to write results: its name, the kinds of result it carries, its media types (the
    first is sent as Content-Type; none: never chosen by content negotiation) and its writer."""

    name: str
    kinds: tuple[str, ...]
    media_types: tuple[str, ...]
    write: Callable[[QueryResult], str]
    standard: str | None = None  # its IRI in http://www.w3.org/ns/formats/, for the service description

    @property
    def content_type(self) -> str:
        media = self.media_types[0] if self.media_types else "text/plain"
        return f"{media}; charset=utf-8" if media.startswith("text/") or media.endswith("xml") else media


def result_format(
    name: str, kinds: tuple[str, ...], media_types: tuple[str, ...], standard: str | None = None
) -> Callable:
    """Register the decorated writer as the result format `name`."""

    def decorate(write: Callable[[QueryResult], str]) -> Callable[[QueryResult], str]:
        formats = "http://www.w3.org/ns/formats/"
        registry.result_formats.register(
            name, func=ResultFormat(name, kinds, media_types, write, standard and formats + standard)
        )
        return write

    return decorate


def formats_for(kind: str) -> list[ResultFormat]:
    """The registered formats that carry a result of `kind` ("select", "ask" or "graph"), in registry order."""
    return _formats_for(kind, len(catalogue.REGISTRY))


@functools.lru_cache(maxsize=16)
def _formats_for(kind: str, registered: int) -> list[ResultFormat]:
    """Cached while nothing new is registered: reading the entry points takes half a millisecond,
    as long as the rest of a lookup query at the endpoint."""
    return [fmt for fmt in registry.result_formats.get_all().values() if kind in fmt.kinds]


def format_result(result: QueryResult, fmt: str = "table") -> str:
    """Render a result in the format named `fmt`. A graph result asked for in a format of solutions
    (the table or CSV `kg query` prints by default) comes as Turtle.

    Example:
        >>> format_result(QueryResult("ask", [], [], True), "json")
        '{"head": {}, "boolean": true}'
    """
    chosen: ResultFormat = registry.get(registry.result_formats, fmt, "format")
    if result.kind not in chosen.kinds:
        if result.kind == "graph" and set(chosen.kinds) & set(SOLUTIONS):
            chosen = registry.get(registry.result_formats, "turtle", "format")
        else:
            names = ", ".join(f.name for f in formats_for(result.kind))
            raise QueryError(
                f"format {fmt!r} is for graph results (CONSTRUCT, DESCRIBE); for {result.kind.upper()} use one of: "
                f"{names}"
            )
    return chosen.write(result)


def short(term: Any, base: str = DEFAULT_BASE) -> str:
    """A term as the table shows it: a literal's text, an IRI without the base or with a prefix."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        iri = term.value
        if iri.startswith(base):
            return iri[len(base) :]
        for prefix, ns in PREFIXES.items():
            if iri.startswith(ns) and re.fullmatch(r"[\w.-]*", iri[len(ns) :]):
                return f"{prefix}:{iri[len(ns) :]}"
        return f"<{iri}>"
    return str(term)


@result_format("table", SOLUTIONS, ())
def write_table(result: QueryResult) -> str:
    if result.kind == "ask":
        return "true" if result.boolean else "false"
    table = [[short(v) for v in row] for row in result.rows]
    widths = [max([len(v)] + [len(r[n]) for r in table]) for n, v in enumerate(result.variables)]
    lines = ["  ".join(v.upper().ljust(w) for v, w in zip(result.variables, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    lines.append(
        f"({len(table)} row{'s' if len(table) != 1 else ''}{', cut at the limit' if result.truncated else ''})"
    )
    return "\n".join(lines)


def _term_json(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _term_json(term.subject),
                "predicate": _term_json(term.predicate),
                "object": _term_json(term.object),
            },
        }
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def results_json(result: QueryResult) -> dict[str, Any]:
    """SPARQL 1.1 Query Results JSON as a dictionary."""
    if result.kind == "ask":
        return {"head": {}, "boolean": result.boolean}
    bindings = [{v: _term_json(t) for v, t in zip(result.variables, row) if t is not None} for row in result.rows]
    return {"head": {"vars": result.variables}, "results": {"bindings": bindings}}


@result_format("json", SOLUTIONS, ("application/sparql-results+json", "application/json"), "SPARQL_Results_JSON")
def write_json(result: QueryResult) -> str:
    return json.dumps(results_json(result), ensure_ascii=False)


_XML_SPACE = {"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}


def _xml_text(value: str) -> str:
    """Character data whose white space survives readers that trim it (as pyoxigraph's does)."""
    text = escape(value, _XML_SPACE)
    stripped = text.strip(" ")
    if stripped == text:
        return text
    start = len(text) - len(text.lstrip(" "))
    return (
        "&#32;" * start + stripped + "&#32;" * (len(text) - start - len(stripped)) if stripped else "&#32;" * len(text)
    )


def _term_xml(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Triple):
        parts = zip(("subject", "predicate", "object"), (term.subject, term.predicate, term.object))
        return "<triple>" + "".join(f"<{p}>{_term_xml(t)}</{p}>" for p, t in parts) + "</triple>"
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{_xml_text(term.value)}</literal>"
    if term.datatype and term.datatype.value != XSD_STRING:
        return f"<literal datatype={quoteattr(term.datatype.value)}>{_xml_text(term.value)}</literal>"
    return f"<literal>{_xml_text(term.value)}</literal>"


@result_format("xml", SOLUTIONS, ("application/sparql-results+xml", "application/xml"), "SPARQL_Results_XML")
def write_xml(result: QueryResult) -> str:
    """SPARQL Query Results XML Format (Second Edition)."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if result.kind == "ask":
        out.append(f"<head/><boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        out.append(
            "<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in result.variables) + "</head><results>"
        )
        for row in result.rows:
            cells = "".join(
                f"<binding name={quoteattr(v)}>{_term_xml(t)}</binding>"
                for v, t in zip(result.variables, row)
                if t is not None
            )
            out.append(f"<result>{cells}</result>")
        out.append("</results>")
    out.append("</sparql>\n")
    return "\n".join(out)


@result_format("csv", SOLUTIONS, ("text/csv",), "SPARQL_Results_CSV")
def write_csv(result: QueryResult) -> str:
    """SPARQL 1.1 CSV results: plain values."""
    if result.kind == "ask":
        return "_askResult\r\n" + ("true" if result.boolean else "false") + "\r\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.variables)
    writer.writerows([["" if t is None else t.value for t in row] for row in result.rows])
    return buffer.getvalue()


@result_format("tsv", SOLUTIONS, ("text/tab-separated-values",), "SPARQL_Results_TSV")
def write_tsv(result: QueryResult) -> str:
    """SPARQL 1.1 TSV results: terms in N-Triples syntax."""
    if result.kind == "ask":
        return "?_askResult\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join("?" + v for v in result.variables)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _rdf_writer(rdf_format: ox.RdfFormat, prefixed: bool = True) -> Callable[[QueryResult], str]:
    def write(result: QueryResult) -> str:
        triples = [ox.Triple(*row) for row in result.rows]
        data = ox.serialize(triples, format=rdf_format, prefixes=PREFIXES if prefixed else None)
        return (data or b"").decode()

    return write


result_format("turtle", GRAPH, ("text/turtle", "application/turtle", "application/x-turtle"), "Turtle")(
    _rdf_writer(ox.RdfFormat.TURTLE)
)
result_format("nt", GRAPH, ("application/n-triples",), "N-Triples")(_rdf_writer(ox.RdfFormat.N_TRIPLES, prefixed=False))
result_format("rdfxml", GRAPH, ("application/rdf+xml", "application/xml"), "RDF_XML")(_rdf_writer(ox.RdfFormat.RDF_XML))
result_format("jsonld", GRAPH, ("application/ld+json",), "JSON-LD")(_rdf_writer(ox.RdfFormat.JSON_LD))
