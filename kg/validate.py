"""Checks a graph kg wrote against SHACL shapes (with pySHACL): the shipped shapes of data/shapes/,
shapes derived from the relation schema (each relation's domain and range) and from the standard
properties kg maps relations to (schema:containedInPlace only between places ...), and a user's own.

Example:
    >>> report = validate_graph(Path("out"))  # doctest: +SKIP
    >>> report.conforms, [str(v) for v in report.violations][:1]  # doctest: +SKIP
    (False, ['person/x  rdfs:label  a node has exactly one rdfs:label, a non-empty string'])
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from kg import registry
from kg.errors import InputError, one_line
from kg.export.rdf import RdfFormat
from kg.export.vocab import DEFAULT_BASE, KG, PREFIXES, STANDARD_PROPERTIES, expand, relation_property
from kg.model import RelationType
from kg.resources import DEFAULT_DATA_DIR, load_schema

SHAPES_DIR = DEFAULT_DATA_DIR / "shapes"
KGSH = Namespace("http://kg.example/shapes#")


@dataclass(frozen=True, order=True)
class Violation:
    """One result of a validation: the node, the property path, what is wrong, and how badly."""

    focus: str
    path: str
    message: str
    severity: str = "Violation"  # or "Warning", "Info"

    def __str__(self) -> str:
        return f"{self.focus}  {self.path}  {self.message}"


@dataclass
class ValidationReport:
    """What `validate_graph` found in one RDF file."""

    file: Path
    triples: int
    shapes: int
    results: list[Violation] = field(default_factory=list)

    @property
    def violations(self) -> list[Violation]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[Violation]:
        return [r for r in self.results if r.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        found = f"{len(self.violations)} violation(s)" if self.violations else "conforms"
        warned = f", {len(self.warnings)} warning(s)" if self.warnings else ""
        return f"{self.file}: {found}{warned} ({self.triples:,} triples, {self.shapes} shapes)"


def _add_type_constraint(shapes: Graph, shape: URIRef | BNode, classes: Iterable[URIRef]) -> None:
    """`shape` admits only nodes of one of `classes` (sh:class, or sh:or of sh:class)."""
    classes = sorted(set(classes))
    if len(classes) == 1:
        shapes.add((shape, SH["class"], classes[0]))
        return
    alternatives: list[Node] = []
    for cls in classes:
        alternative = BNode()
        shapes.add((alternative, SH["class"], cls))
        alternatives.append(alternative)
    head = BNode()
    Collection(shapes, head, alternatives)
    shapes.add((shape, SH["or"], head))


def _types(names: Iterable[str]) -> str:
    return " or ".join(f"kg:{name}" for name in sorted(set(names)))


def relation_shapes(schema: dict[str, RelationType]) -> Graph:
    """Shapes of the schema's relations: the subject of kg:R is of R's domain, its object of R's
    range (either of them for a symmetric relation, written both ways).

    Example:
        >>> shapes = relation_shapes({"works_for": RelationType("works_for", ("Person",), ("Organization",))})
        >>> sorted(str(o) for o in shapes.objects(predicate=SH.message))[0]
        'kg:works_for: the object is a kg:Organization'
    """
    shapes = Graph()
    for rel in schema.values():
        prop = relation_property(rel.name)
        domain = rel.domain + rel.range if rel.symmetric else rel.domain
        range_ = rel.domain + rel.range if rel.symmetric else rel.range
        _end_shapes(
            shapes,
            f"relation-{quote(rel.name, safe='')}",
            prop,
            f"kg:{rel.name}",
            [KG[t] for t in domain],
            [KG[t] for t in range_],
            _types(domain),
            _types(range_),
        )
    return shapes


def standard_property_shapes() -> Graph:
    """Shapes of the standard properties kg writes for its relations (STANDARD_PROPERTIES): only
    between nodes of the types they are defined for."""
    shapes = Graph()
    for term, (domain, range_) in STANDARD_PROPERTIES.items():
        prop = expand(term)
        if prop is None:
            continue
        _end_shapes(
            shapes,
            f"standard-{quote(term, safe='')}",
            prop,
            term,
            [KG[t] for t in domain or ()],
            [KG[t] for t in range_ or ()],
            _types(domain or ()),
            _types(range_ or ()),
        )
    return shapes


def _end_shapes(
    shapes: Graph,
    name: str,
    prop: URIRef,
    label: str,
    domain: list[URIRef],
    range_: list[URIRef],
    domain_text: str,
    range_text: str,
) -> None:
    if domain:
        subject = KGSH[f"{name}-subject"]
        shapes.add((subject, RDF.type, SH.NodeShape))
        shapes.add((subject, SH.targetSubjectsOf, prop))
        _add_type_constraint(shapes, subject, domain)
        shapes.add((subject, SH.message, Literal(f"{label}: the subject is a {domain_text}")))
    if range_:
        objects, values = KGSH[f"{name}-object"], KGSH[f"{name}-object-values"]
        shapes.add((objects, RDF.type, SH.NodeShape))
        shapes.add((objects, SH.targetSubjectsOf, prop))
        shapes.add((objects, SH.property, values))
        shapes.add((values, SH.path, prop))
        _add_type_constraint(shapes, values, range_)
        shapes.add((values, SH.message, Literal(f"{label}: the object is a {range_text}")))


def read_shapes(path: Path) -> Graph:
    """A file of SHACL shapes in any RDF syntax rdflib reads (by its extension)."""
    return _parse(path, Graph(), _rdflib_format(path) or "turtle")


def kg_shapes(schema: dict[str, RelationType], shapes_dir: Path = SHAPES_DIR) -> Graph:
    """kg's shapes: every .ttl file of `shapes_dir`, and those derived from `schema` and from the
    standard properties."""
    shapes = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        _parse(path, shapes, "turtle")
    shapes += relation_shapes(schema)
    shapes += standard_property_shapes()
    for prefix, iri in PREFIXES.items():
        shapes.bind(prefix, iri, override=True)
    shapes.bind("sh", str(SH))
    shapes.bind("kgsh", str(KGSH))
    return shapes


def _rdflib_format(path: Path) -> str | None:
    name = path.suffix.lstrip(".").lower()
    if name in registry.names(registry.rdf_formats):
        spec: RdfFormat = registry.get(registry.rdf_formats, name, "RDF format")
        return spec.rdflib_name
    return {"turtle": "turtle", "rdf": "xml", "owl": "xml", "xml": "xml", "json": "json-ld"}.get(name)


def _parse(path: Path, graph: Graph, fmt: str) -> Graph:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        if fmt == "trig":  # one graph of all the named graphs' triples
            from rdflib import Dataset

            dataset = Dataset()
            dataset.parse(data=data, format="trig")
            for s, p, o, _ in dataset.quads():
                graph.add((s, p, o))
        else:
            graph.parse(data=data, format=fmt)
    except Exception as exc:  # noqa: BLE001  (rdflib's parsers raise many kinds; each is the file's fault)
        raise InputError(f"{path}: not valid {fmt} ({one_line(exc)})") from None
    return graph


def graph_file(path: Path) -> Path:
    """The RDF file to check: `path` itself, or the graph.<format> of a build output folder."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_file():
        if _rdflib_format(path) is None:
            raise InputError(
                f"{path}: unknown RDF file type {path.suffix or '(none)'}; use one of: "
                + ", ".join("." + name for name in registry.names(registry.rdf_formats))
            )
        return path
    names = ["ttl"] + [name for name in registry.names(registry.rdf_formats) if name != "ttl"]
    for name in names:
        if (path / f"graph.{name}").is_file():
            return path / f"graph.{name}"
    raise InputError(
        f"{path}: no graph.ttl (or graph.{', graph.'.join(names[1:])}) in this folder: is it a kg build output?"
    )


def graph_schema(file: Path) -> dict[str, RelationType]:
    """The relation schema the graph was built with: from the graph.json beside `file` where there
    is one, else data/schema.json."""
    beside = file.parent / "graph.json"
    if beside.is_file():
        try:
            data = json.loads(beside.read_text(encoding="utf-8"))
            return {
                name: RelationType(name, tuple(spec["domain"]), tuple(spec["range"]), bool(spec.get("symmetric")))
                for name, spec in data["schema"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{beside}: not a kg graph.json file ({one_line(exc)})") from None
    return load_schema(DEFAULT_DATA_DIR / "schema.json")[1]


def validate_graph(path: Path, extra_shapes: Iterable[Path] = (), shapes_dir: Path = SHAPES_DIR) -> ValidationReport:
    """Check the graph at `path` (an RDF file or a build output folder) against kg's shapes and the
    `extra_shapes` files. Nothing is inferred: the graph is checked as written."""
    import pyshacl

    extra_shapes = tuple(extra_shapes)
    file = graph_file(Path(path))
    shapes = kg_shapes(graph_schema(file), shapes_dir)
    for extra in extra_shapes:
        shapes += read_shapes(Path(extra))
    data = _parse(file, Graph(), _rdflib_format(file) or "turtle")
    try:
        _, results, _ = pyshacl.validate(
            data, shacl_graph=shapes, inference="none", allow_warnings=True, allow_infos=True
        )
    except Exception as exc:  # noqa: BLE001  (a shape pySHACL cannot load or run: a bad sh:select ...)
        where = ", ".join(map(str, extra_shapes)) or str(shapes_dir)
        raise InputError(f"{where}: shapes pySHACL cannot use ({one_line(exc)})") from None
    found = sorted({_violation(results, result) for result in results.subjects(RDF.type, SH.ValidationResult)})
    count = len(set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(SH.path, None)))
    return ValidationReport(file, len(data), count, found)


def _violation(results: Graph, result: URIRef | BNode) -> Violation:
    path = results.value(result, SH.resultPath)
    severity = results.value(result, SH.resultSeverity)
    message = results.value(result, SH.resultMessage)
    value = results.value(result, SH.value)
    text = str(message) if message is not None else "does not conform"
    if value is not None and isinstance(value, Literal):
        text += f" (value {value.n3()})"
    return Violation(
        short(results.value(result, SH.focusNode)),
        short(path) if isinstance(path, URIRef) else "-",
        text,
        str(severity).rpartition("#")[2] if severity is not None else "Violation",
    )


def short(term: object, base: str = DEFAULT_BASE) -> str:
    """A node as printed: relative to the base IRI, a prefixed name, or the IRI in <>.

    Example:
        >>> short(URIRef("http://kg.example/id/person/ada")), short(URIRef("http://www.w3.org/2000/01/rdf-schema#label"))
        ('person/ada', 'rdfs:label')
    """
    if not isinstance(term, URIRef):
        return "-" if term is None else str(term)
    iri = str(term)
    if iri.startswith(base):
        return iri[len(base) :]
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and iri[len(ns) :].replace("_", "").replace("-", "").isalnum():
            return f"{prefix}:{iri[len(ns) :]}"
    return f"<{iri}>"
