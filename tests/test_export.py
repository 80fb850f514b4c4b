"""Exports: RDF round trips, Gephi files read by networkx and by independent parsers, golden files."""

from __future__ import annotations

import copy
import io
from pathlib import Path

import networkx as nx
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib.compare import isomorphic

from kg.errors import ExportError
from kg.export import write_outputs
from kg.export.files import atomic_write
from kg.export.gephi import gephi_graph, write_gexf, write_graphml
from kg.export.jsonio import graph_to_dict, load_graph
from kg.export.rdf import RDF_FORMATS, serialize, to_rdf
from kg.model import (
    Entity,
    KnowledgeGraph,
)

GOLDEN = Path(__file__).parent / "golden" / "tiny"


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_export_rdf_round_trips(tiny_graph, fmt):
    graph = tiny_graph
    original = to_rdf(graph)
    data = serialize(graph, fmt)
    parsed = rdflib.Dataset() if fmt == "trig" else rdflib.Graph()
    parsed.parse(data=data, format={"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig"}[fmt])
    if fmt == "trig":
        parsed = next(g for g in parsed.graphs() if len(g))
    assert isomorphic(original, parsed)


def test_export_rdf_matches_golden(tiny_graph, golden):
    current = to_rdf(tiny_graph)
    path = golden(GOLDEN / "graph.nt", current.serialize(format="nt", encoding="utf-8"))
    assert isomorphic(current, rdflib.Graph().parse(path, format="nt"))


def test_export_rdf_symmetric_relation_both_directions(tiny_graph):
    rdf = to_rdf(tiny_graph)
    rows = set(
        rdf.query("""PREFIX kg: <http://kg.example/vocab#>
        SELECT ?a ?b WHERE { ?a kg:met_with ?b }""")
    )
    assert len(rows) == 2


def test_export_rdf_evidence_has_provenance(tiny_graph):
    rdf = to_rdf(tiny_graph)
    rows = list(
        rdf.query("""PREFIX kg: <http://kg.example/vocab#> PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?sentence ?start ?end ?doc ?conf WHERE {
          ?st rdf:predicate kg:met_at ; kg:confidence ?conf ; prov:wasDerivedFrom ?ev .
          ?ev kg:sentence ?sentence ; kg:start ?start ; kg:end ?end ; prov:wasQuotedFrom ?doc . }""")
    )
    assert len(rows) == 1
    assert str(rows[0].sentence) == "Ada Lovelace met Charles Babbage in London."
    assert (int(rows[0].start), int(rows[0].end)) == (0, 43)


def test_export_gexf_and_graphml_read_back_by_networkx(tiny_graph, tmp_path):
    graph = tiny_graph
    write_gexf(graph, tmp_path / "g.gexf")
    write_graphml(graph, tmp_path / "g.graphml")
    expected = gephi_graph(graph)
    for read in (nx.read_gexf(tmp_path / "g.gexf"), nx.read_graphml(tmp_path / "g.graphml")):
        assert read.number_of_nodes() == len(graph.entities) + len(graph.documents)
        assert read.number_of_edges() == len(graph.relations)
        assert read.nodes["person/ada-lovelace"]["mention_count"] == 2
        assert {d["relation"] for _, _, d in read.edges(data=True)} == {
            "met_with",
            "criticised",
            "met_at",
            "authored_by",
        }
    assert expected.number_of_edges() == 4


def test_export_graphml_read_by_igraph(tiny_graph, tmp_path):
    import igraph  # python-igraph, in the test extra: no skip

    graph = tiny_graph
    write_graphml(graph, tmp_path / "g.graphml")
    read = igraph.Graph.Read_GraphML(str(tmp_path / "g.graphml"))
    assert read.vcount() == 4 and read.ecount() == 4
    assert sorted(read.es["relation"]) == ["authored_by", "criticised", "met_at", "met_with"]
    assert sorted(read.vs["type"]) == ["Document", "Person", "Person", "Place"]


def test_export_gexf_read_by_graphology(tiny_graph, tmp_path, gexf_reader):
    graph = tiny_graph
    write_gexf(graph, tmp_path / "g.gexf")
    read = gexf_reader(tmp_path / "g.gexf")
    assert (read["order"], read["size"]) == (4, 4)
    assert read["nodes"]["person/ada-lovelace"]["type"] == "Person"
    assert read["nodes"]["person/ada-lovelace"]["mention_count"] == 2
    assert sorted(e["attrs"]["relation"] for e in read["edges"]) == ["authored_by", "criticised", "met_at", "met_with"]


def test_export_gexf_golden_equal_as_graphs(tiny_graph, golden, tmp_path):
    """Bytes differ daily (GEXF stamps the date), so the golden file is compared as a graph."""
    write_gexf(tiny_graph, tmp_path / "g.gexf")
    path = golden(GOLDEN / "graph.gexf", (tmp_path / "g.gexf").read_bytes())
    assert nx.utils.graphs_equal(nx.read_gexf(tmp_path / "g.gexf"), nx.read_gexf(path))


@settings(max_examples=30, deadline=None)
@given(label=st.text(max_size=30), alias=st.text(max_size=30))
def test_export_gephi_writers_never_fail_or_lose_nodes(label, alias):
    graph = KnowledgeGraph()
    graph.add_entity(Entity("person/x", label or "x", "Person", frozenset({alias})))
    graph.add_entity(Entity("place/y", "y", "Place"))
    for write, read in ((nx.write_gexf, nx.read_gexf), (nx.write_graphml, nx.read_graphml)):
        buffer = io.BytesIO()
        write(gephi_graph(graph), buffer)
        buffer.seek(0)
        assert read(buffer).number_of_nodes() == 2


def test_export_graph_json_round_trips(tiny_graph, tmp_path):
    graph = tiny_graph
    write_outputs(graph, tmp_path)
    again = load_graph(tmp_path)
    assert graph_to_dict(again) == graph_to_dict(graph)
    assert isomorphic(to_rdf(again), to_rdf(graph))


def test_export_is_deterministic(tiny_graph, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_outputs(tiny_graph, a, ["ttl", "nt"])
    write_outputs(copy.deepcopy(tiny_graph), b, ["ttl", "nt"])  # another graph of the same content
    for name in ("graph.ttl", "graph.nt", "nodes.csv", "edges.csv", "graph.json", "graph.graphml"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_export_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.ttl"
    target.write_text("old")

    def explode(handle):
        handle.write(b"half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        atomic_write(target, explode)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


def test_export_unwritable_folder_is_one_error(tiny_graph, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="not writable|not a folder"):
        write_outputs(tiny_graph, blocker / "sub")
    with pytest.raises(ExportError, match="not a folder"):
        write_outputs(tiny_graph, blocker)


def test_export_sample_gephi_files_agree_with_the_model(sample_build, gexf_reader):
    """The bundled data's GEXF and GraphML have the internal graph's node and edge counts in every reader."""
    import igraph

    graph = load_graph(sample_build)
    nodes, edges = len(graph.entities) + len(graph.documents), len(graph.relations)
    gexf = sample_build / "graph.gexf"
    graphml = sample_build / "graph.graphml"
    assert (nx.read_gexf(gexf).number_of_nodes(), nx.read_gexf(gexf).number_of_edges()) == (nodes, edges)
    assert (nx.read_graphml(graphml).number_of_nodes(), nx.read_graphml(graphml).number_of_edges()) == (nodes, edges)
    read = gexf_reader(gexf)
    assert (read["order"], read["size"]) == (nodes, edges)
    ig = igraph.Graph.Read_GraphML(str(graphml))
    assert (ig.vcount(), ig.ecount()) == (nodes, edges)


def test_export_sample_rdf_formats_parse_to_the_same_graph(sample_build):
    turtle = rdflib.Graph().parse(sample_build / "graph.ttl")
    assert isomorphic(turtle, rdflib.Graph().parse(sample_build / "graph.nt", format="nt"))
    assert isomorphic(turtle, rdflib.Graph().parse(sample_build / "graph.jsonld", format="json-ld"))
    trig = rdflib.Dataset().parse(sample_build / "graph.trig", format="trig")
    assert isomorphic(turtle, next(g for g in trig.graphs() if len(g)))
