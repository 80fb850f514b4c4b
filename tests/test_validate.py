"""The RDF vocabulary's mappings, the SHACL shapes of data/shapes/ and `kg validate`, the RDF format
registry, and the example queries' alias matching."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner
from conftest import DATA
from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SH, XSD

from kg import registry
from kg.cli import cli
from kg.errors import InputError, UnknownNameError
from kg.export.rdf import RDF_FORMATS, serialize, to_rdf
from kg.export.vocab import KG, STANDARD_PROPERTIES, VOCAB_IRI, mapping_fits
from kg.model import DocumentInfo, Entity, Evidence, KnowledgeGraph, Mention, Relation
from kg.query import QUERY_DIR, open_graph, read_query, run_query
from kg.resources import load_schema
from kg.validate import kg_shapes, relation_shapes, validate_graph

SCHEMA = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
ID = Namespace("http://kg.example/id/")
REL = Namespace(VOCAB_IRI)  # the relation properties (kg:works_for ...)
SCHEMA_FILE = DATA / "schema.json"


# --- the vocabulary's mappings -------------------------------------------------------------------


def mapping_graph() -> KnowledgeGraph:
    """Every type combination the corrected mappings distinguish, with the shipped schema."""
    _, schema = load_schema(SCHEMA_FILE)
    g = KnowledgeGraph(schema=schema)
    g.add_document(DocumentInfo("d1", "d1.txt", "Notes", "2023-07-11"))
    nodes = {
        "person/ada": "Person",
        "person/bob": "Person",
        "organization/nato": "Organization",
        "organization/base": "Organization",
        "place/lithuania": "Place",
        "place/vilnius": "Place",
        "place/japan": "Place",
        "event/summit": "Event",
        "role/president": "Role",
    }
    for node_id, type_ in nodes.items():
        g.add_entity(
            Entity(
                node_id, node_id.split("/")[1].title(), type_, mentions=(Mention("d1", 0, 3, "Ada", type_, "X", 0, 10),)
            )
        )
    evidence = (Evidence("d1", "A sentence.", 0, 11),)
    for s, p, o in [
        ("place/lithuania", "hosted", "event/summit"),
        ("person/ada", "hosted", "event/summit"),
        ("organization/base", "located_in", "place/vilnius"),
        ("place/vilnius", "located_in", "place/lithuania"),
        ("event/summit", "located_in", "place/vilnius"),
        ("person/bob", "leader_of", "organization/nato"),
        ("person/ada", "leader_of", "place/japan"),
        ("place/japan", "member_of", "organization/nato"),
        ("person/bob", "member_of", "organization/nato"),
        ("person/ada", "holds_role", "role/president"),
        ("organization/nato", "holds_role", "role/president"),
    ]:
        g.add_relation(Relation(s, p, o, 0.9, "pattern:test", evidence))
    return g


@pytest.fixture(scope="module")
def mapped() -> rdflib.Graph:
    return to_rdf(mapping_graph())


def test_vocab_hosted_is_schema_organizer_from_the_event_to_a_person_host_only(mapped):
    assert (ID["event/summit"], SCHEMA.organizer, ID["person/ada"]) in mapped
    assert set(mapped.subject_objects(SCHEMA.organizer)) == {
        (ID["event/summit"], ID["person/ada"])
    }  # Lithuania organised nothing
    assert (REL.hosted, RDFS.subPropertyOf, SCHEMA.organizer) not in mapped
    assert (REL.hosted, OWL.inverseOf, SCHEMA.organizer) not in mapped  # a place hosts too: not true of every kg:hosted


def test_vocab_contained_in_place_only_between_places(mapped):
    assert set(mapped.subject_objects(SCHEMA.containedInPlace)) == {(ID["place/vilnius"], ID["place/lithuania"])}
    assert set(mapped.subject_objects(SCHEMA.location)) == {
        (ID["organization/base"], ID["place/vilnius"]),
        (ID["event/summit"], ID["place/vilnius"]),
    }
    assert (REL.located_in, RDFS.subPropertyOf, SCHEMA.containedInPlace) not in mapped


def test_vocab_org_head_of_and_member_of_only_for_agents_and_organisations(mapped):
    assert set(mapped.subject_objects(ORG.headOf)) == {(ID["person/bob"], ID["organization/nato"])}
    assert set(mapped.subject_objects(ORG.memberOf)) == {(ID["person/bob"], ID["organization/nato"])}
    assert (REL.leader_of, RDFS.subPropertyOf, ORG.headOf) not in mapped
    assert (REL.works_for, RDFS.subPropertyOf, SCHEMA.worksFor) in mapped  # a mapping that always fits stays declared


def test_vocab_roles_are_no_occupation(mapped):
    assert not list(mapped.triples((None, SCHEMA.hasOccupation, None)))
    assert len(list(mapped.triples((None, REL.holds_role, ID["role/president"])))) == 2


def test_vocab_mapping_fits_follows_the_mapping_direction():
    assert mapping_fits("owl:inverseOf", "schema:organizer", ["Organization"], ["Event"])
    assert not mapping_fits("rdfs:subPropertyOf", "schema:organizer", ["Organization"], ["Event"])
    assert not mapping_fits("owl:inverseOf", "schema:organizer", ["Place"], ["Event"])
    assert mapping_fits(
        "rdfs:subPropertyOf", "foaf:knows", ["Place"], ["Event"]
    )  # a term kg knows nothing of fits every type


def test_vocab_every_shipped_mapping_names_a_standard_property_with_known_types():
    _, schema = load_schema(SCHEMA_FILE)
    terms = {term for rel in schema.values() for _, term in rel.mappings}
    assert terms and terms <= set(STANDARD_PROPERTIES)
    assert "schema:hasOccupation" not in terms


def test_vocab_sample_build_has_no_mapping_against_its_types(sample_build):
    store = open_graph(sample_build)
    wrong = """SELECT ?s ?p ?o WHERE {
      VALUES (?p ?types ?end) {
        (schema:organizer "Event" "s") (schema:containedInPlace "Place" "s") (schema:containedInPlace "Place" "o")
        (org:headOf "Organization" "o") (org:memberOf "Person Organization" "s") (org:memberOf "Organization" "o") }
      ?s ?p ?o .
      BIND(IF(?end = "s", ?s, ?o) AS ?node)
      ?node a ?class . FILTER(STRSTARTS(STR(?class), STR(kg:)))
      FILTER(!CONTAINS(?types, STRAFTER(STR(?class), STR(kg:))))
    }"""
    assert run_query(store, wrong).rows == []
    assert run_query(store, "ASK { ?s schema:hasOccupation ?o }").boolean is False
    assert (
        run_query(store, "ASK { ?e schema:containedInPlace ?p }").boolean is True
    )  # the check above looked at real triples


# --- the shapes ----------------------------------------------------------------------------------


def test_shapes_relation_shapes_agree_with_the_schema():
    _, schema = load_schema(SCHEMA_FILE)
    shapes = relation_shapes(schema)
    for rel in schema.values():
        targeted = set(shapes.subjects(SH.targetSubjectsOf, REL[rel.name]))
        assert targeted, rel.name
        classes = {
            o
            for shape in targeted
            for o in shapes.transitive_objects(shape, None)
            if isinstance(o, URIRef) and str(o).startswith(str(KG))
        }
        expected = {KG[t] for t in rel.domain + rel.range}
        assert classes - {REL[rel.name]} == expected, rel.name


def test_shapes_sample_build_conforms(sample_build):
    report = validate_graph(sample_build)
    assert report.conforms, "\n".join(map(str, report.violations))
    assert report.triples > 1000 and report.shapes > 20


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_shapes_sample_build_conforms_in_every_format(sample_build, fmt):
    report = validate_graph(sample_build / f"graph.{fmt}")
    assert report.conforms, "\n".join(map(str, report.violations))


def test_shapes_seed_build_conforms(seed_build):
    report = validate_graph(seed_build)
    assert report.conforms, "\n".join(map(str, report.violations))


def _broken(sample_build: Path, tmp_path: Path, change) -> Path:
    graph = rdflib.Graph().parse(sample_build / "graph.nt", format="nt")
    change(graph)
    path = tmp_path / "graph.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    shutil.copy(sample_build / "graph.json", tmp_path / "graph.json")
    return path


def _first_statement(graph: rdflib.Graph, predicate: URIRef) -> URIRef:
    return sorted(graph.subjects(RDF.predicate, predicate))[0]


def _drop_evidence(graph: rdflib.Graph) -> None:
    graph.remove((_first_statement(graph, REL.works_for), PROV.wasDerivedFrom, None))


def _drop_evidence_document(graph: rdflib.Graph) -> None:
    evidence = graph.value(_first_statement(graph, REL.works_for), PROV.wasDerivedFrom)
    graph.remove((evidence, KG.document, None))


BREAKS = {
    "missing label": (
        lambda g: g.remove((ID["person/biden-joe"], RDFS.label, None)),
        "person/biden-joe",
        "rdfs:label",
        "exactly one rdfs:label",
    ),
    "two labels": (
        lambda g: g.add((ID["person/biden-joe"], RDFS.label, Literal("Joseph Biden"))),
        "person/biden-joe",
        "rdfs:label",
        "exactly one rdfs:label",
    ),
    "two types": (
        lambda g: g.add((ID["person/biden-joe"], RDF.type, KG.Place)),
        "person/biden-joe",
        "rdf:type",
        "exactly one kg type",
    ),
    "wrong range": (
        lambda g: g.add((ID["person/biden-joe"], REL.works_for, ID["person/fumio-kishida"])),
        "person/biden-joe",
        "kg:works_for",
        "kg:works_for: the object is a kg:Organization",
    ),
    "wrong domain": (
        lambda g: g.add((ID["place/tokyo"], REL.works_for, ID["organization/nato"])),
        "place/tokyo",
        "-",
        "kg:works_for: the subject is a kg:Person",
    ),
    "mapping against its types": (
        lambda g: g.add((ID["place/lithuania"], SCHEMA.organizer, ID["event/nato-summit"])),
        "place/lithuania",
        "-",
        "schema:organizer: the subject is a kg:Event",
    ),
    "bad date": (
        lambda g: g.set(
            (
                ID["document/brief-quad-2022"],
                URIRef("http://purl.org/dc/terms/date"),
                Literal("2022-02-30", datatype=XSD.date),
            )
        ),
        "document/brief-quad-2022",
        "dcterms:date",
        "valid xsd:date",
    ),
    "bad event date": (
        lambda g: g.add((ID["event/nato-summit"], SCHEMA.startDate, Literal("July 11", datatype=XSD.date))),
        "event/nato-summit",
        "schema:startDate",
        "valid xsd:date",
    ),
    "assertion without evidence": (_drop_evidence, "statement/", "prov:wasDerivedFrom", "rests on evidence"),
    "evidence without document": (_drop_evidence_document, "evidence/", "kg:document", "in exactly one kg:Document"),
    "statement of no triple": (
        lambda g: g.remove((ID["person/becker-tom"], REL.works_for, None)),
        "statement/",
        "-",
        "the statement's triple is not in the graph",
    ),
}


@pytest.mark.parametrize("kind", sorted(BREAKS))
def test_shapes_report_each_kind_of_break(sample_build, tmp_path, kind):
    change, focus, path, message = BREAKS[kind]
    report = validate_graph(_broken(sample_build, tmp_path, change))
    assert not report.conforms
    assert any(v.focus.startswith(focus) and v.path == path and message in v.message for v in report.violations), (
        "\n".join(map(str, report.violations))
    )


def test_shapes_a_date_kg_could_not_read_is_a_warning_only(sample_build, tmp_path):
    doc = ID["document/brief-quad-2022"]
    report = validate_graph(
        _broken(
            sample_build,
            tmp_path,
            lambda g: g.set((doc, URIRef("http://purl.org/dc/terms/date"), Literal("spring 2022"))),
        )
    )
    assert report.conforms
    assert [(w.focus, w.severity) for w in report.warnings] == [("document/brief-quad-2022", "Warning")]


def test_shapes_ship_as_a_data_file_with_every_node_type():
    shapes = kg_shapes({})
    targets = set(shapes.objects(predicate=SH.targetClass))
    assert {
        KG[t]
        for t in (
            "Person",
            "Organization",
            "Place",
            "Date",
            "Event",
            "Role",
            "Concept",
            "Document",
            "Assertion",
            "Evidence",
        )
    } <= targets


# --- kg validate ---------------------------------------------------------------------------------


def test_cli_validate_sample_build(sample_build):
    result = CliRunner().invoke(cli, ["validate", str(sample_build)])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r".*graph\.ttl: conforms \([\d,]+ triples, \d+ shapes\)\n", result.output)


def test_cli_validate_violations_one_line_each_and_exit_1(sample_build, tmp_path):
    def change(g):
        g.remove((ID["person/biden-joe"], RDFS.label, None))
        g.add((ID["person/biden-joe"], REL.works_for, ID["person/fumio-kishida"]))

    result = CliRunner().invoke(cli, ["validate", str(_broken(sample_build, tmp_path, change))])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert re.fullmatch(r".*graph\.nt: 2 violation\(s\) \([\d,]+ triples, \d+ shapes\)", lines[0]), lines[0]
    assert lines[1:] == [
        "violation: person/biden-joe  kg:works_for  kg:works_for: the object is a kg:Organization",
        "violation: person/biden-joe  rdfs:label  a node has exactly one rdfs:label, a non-empty string",
    ]


def test_cli_validate_users_own_shapes(sample_build, tmp_path):
    (tmp_path / "mine.ttl").write_text("""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix kg: <http://kg.example/vocab#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <urn:x:PeopleHaveAliases> a sh:NodeShape ; sh:targetClass kg:Person ;
            sh:property [ sh:path skos:altLabel ; sh:minCount 1 ; sh:message "a person has an alias" ] .""")
    result = CliRunner().invoke(cli, ["validate", str(sample_build), "--shapes", str(tmp_path / "mine.ttl")])
    assert result.exit_code == 1
    assert "violation: person/antony-blinken  skos:altLabel  a person has an alias" in result.output.splitlines()
    assert "person/biden-joe " not in result.output  # Joe Biden has an alias


@pytest.mark.parametrize(
    "make,args,message",
    [
        (lambda t: None, ["{t}/missing"], "missing: no such file or folder"),
        (
            lambda t: (t / "bad.ttl").write_text("@prefix x: <http://x/> .\nx:a x:b ;;; ."),
            ["{t}/bad.ttl"],
            "bad.ttl: not valid turtle",
        ),
        (
            lambda t: (t / "g.csv").write_text("a"),
            ["{t}/g.csv"],
            "g.csv: unknown RDF file type .csv; use one of: .jsonld, .nt, .trig, .ttl",
        ),
        (lambda t: (t / "empty").mkdir(), ["{t}/empty"], "empty: no graph.ttl"),
        (lambda t: None, ["{sample}", "--shapes", "{t}/nope.ttl"], "nope.ttl: no such file"),
        (
            lambda t: (t / "s.ttl").write_text("not turtle at all"),
            ["{sample}", "--shapes", "{t}/s.ttl"],
            "s.ttl: not valid turtle",
        ),
        (
            lambda t: ((t / "graph.ttl").write_text(""), (t / "graph.json").write_text("{")),
            ["{t}"],
            "graph.json: not a kg graph.json file",
        ),
        (
            lambda t: (t / "s.ttl").write_text(
                "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                '<urn:x:S> a sh:NodeShape ; sh:targetNode <urn:x:n> ; sh:sparql [ sh:select "SELECT nonsense {" ] .'
            ),
            ["{sample}", "--shapes", "{t}/s.ttl"],
            "s.ttl: shapes pySHACL cannot use",
        ),
    ],
)
def test_cli_validate_bad_input_is_one_line_error(sample_build, tmp_path, make, args, message):
    make(tmp_path)
    result = CliRunner().invoke(
        cli, ["validate"] + [a.replace("{t}", str(tmp_path)).replace("{sample}", str(sample_build)) for a in args]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 and message in result.output, result.output


def test_validate_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        validate_graph(tmp_path / "nothing.ttl")


# --- the RDF format registry ---------------------------------------------------------------------


def test_rdf_formats_come_from_the_registry():
    assert sorted(RDF_FORMATS) == registry.names(registry.rdf_formats) == ["jsonld", "nt", "trig", "ttl"]
    with pytest.raises(UnknownNameError, match=r"^unknown format 'xml'; use one of: jsonld, nt, trig, ttl$"):
        serialize(KnowledgeGraph(), "xml")


def test_build_format_choices_come_from_the_registry(tmp_path):
    result = CliRunner().invoke(cli, ["build", str(DATA), "-o", str(tmp_path / "out"), "-f", "xml"])
    assert result.exit_code == 2 and "'jsonld', 'nt', 'trig', 'ttl'" in result.output


# --- example queries: names and aliases ----------------------------------------------------------


def _rows(graph, query, /, **bindings):
    return [
        tuple("" if t is None else t.value for t in row)
        for row in run_query(open_graph(graph), read_query(query), bindings).rows
    ]


@pytest.mark.parametrize("asked", ["Biden", "biden", "JOE BIDEN"])
def test_queries_who_met_whom_matches_an_alias_in_any_case(sample_build, asked):
    found = _rows(sample_build, "who_met_whom", name=asked)
    assert (asked, "Yoon Suk Yeol", "Camp David", "2023-08-18") in found
    assert {row[1] for row in found} == {row[1] for row in _rows(sample_build, "who_met_whom", name="Joe Biden")}


def test_queries_who_met_whom_unbound_lists_every_pair_once(sample_build):
    found = _rows(sample_build, "who_met_whom")
    assert ("Joe Biden", "Yoon Suk Yeol", "Camp David", "2023-08-18") in found
    assert ("Yoon Suk Yeol", "Joe Biden", "Camp David", "2023-08-18") in found
    assert len(found) == len(set(found))
    assert not {row[0] for row in found} & {"Biden", "Yoon"}  # names, not aliases


@pytest.mark.parametrize("query", ["who_met_whom", "facts_about", "documents_mentioning_both"])
def test_queries_the_example_in_the_comment_returns_rows(sample_build, query):
    comment = [line for line in (QUERY_DIR / f"{query}.rq").read_text().splitlines() if line.startswith("#")]
    example = next(line for line in comment if f"kg query out/ {query}" in line)
    bindings = dict(re.findall(r'--bind (\w+)=("[^"]*"|\S+)', example))
    assert bindings, example
    assert _rows(sample_build, query, **{k: v.strip('"') for k, v in bindings.items()})


def test_queries_facts_about_and_documents_mentioning_both_match_aliases(sample_build):
    assert (
        {row[1:3] for row in _rows(sample_build, "facts_about", name="YOON")}
        == {row[1:3] for row in _rows(sample_build, "facts_about", name="Yoon Suk Yeol")}
        != set()
    )
    both = _rows(sample_build, "documents_mentioning_both", first="biden", second="Kishida")
    assert {row[2] for row in both} == {"brief-quad-2022", "samples/camp_david_summit.txt"}
    assert _rows(sample_build, "documents_mentioning_both", first="nobody at all", second="Kishida") == []
