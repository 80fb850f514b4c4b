"""graph.json and the RDF files are written as they are made (kg.export.write_json, write_rdf), not
built whole in memory first: the bytes must be those of the whole-in-memory form, for every format."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest

from kg import registry
from kg.export import graph_to_dict, load_graph, write_json, write_outputs, write_rdf
from kg.export.rdf import PREFIXES, IRIs, OxTerms, rdf_triples
from kg.model import DocumentInfo, Entity, Evidence, KnowledgeGraph, Mention, Relation, RelationType


def json_in_memory(graph: KnowledgeGraph) -> bytes:
    """graph.json as one json.dumps of the whole dictionary (how it was written before streaming)."""
    return json.dumps(graph_to_dict(graph), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def rdf_in_memory(graph: KnowledgeGraph, fmt: str) -> bytes:
    """The RDF file from a list of every triple (how it was written before streaming)."""
    spec = registry.get(registry.rdf_formats, fmt, "format")
    triples = list(rdf_triples(graph, terms=OxTerms()))
    prefixes = PREFIXES if spec.prefixes else None
    if spec.named_graph:
        name = ox.NamedNode(IRIs().base + "graph")
        return ox.serialize([ox.Quad(s, p, o, name) for s, p, o in triples], format=spec.oxigraph, prefixes=prefixes)
    return ox.serialize([ox.Triple(s, p, o) for s, p, o in triples], format=spec.oxigraph, prefixes=prefixes)


@pytest.fixture(scope="module")
def large_graph() -> KnowledgeGraph:
    """More entities and relations than one written piece of graph.json holds, names outside ASCII
    (written as UTF-8, not escaped), a line separator and quotes in a sentence."""
    graph = KnowledgeGraph(schema={"met_with": RelationType("met_with", ("Person",), ("Person",), symmetric=True)})
    graph.add_document(DocumentInfo("d/ü.txt", "d/ü.txt", 'Zoë "quoted"\u2028', "2024-01-02", ("Zoë Ä",)))
    for n in range(1300):
        name = f"Zoë Ångström {n}"
        mention = Mention("d/ü.txt", n * 20, n * 20 + len(name), name, "Person", "PERSON", 0, 10)
        graph.add_entity(Entity(f"person/zoë-{n:04d}", name, "Person", frozenset({f"Ångström {n}"}), (mention,)))
    for n in range(1299):
        evidence = Evidence("d/ü.txt", f'"{n}" met\u2028 → {n + 1}', n, n + 9)
        graph.add_relation(
            Relation(f"person/zoë-{n:04d}", "met_with", f"person/zoë-{n + 1:04d}", 0.5, "t", (evidence,))
        )
    return graph


def test_streamed_graph_json_is_the_in_memory_dump(large_graph, tiny_graph):
    for graph in (large_graph, tiny_graph, KnowledgeGraph()):
        out = io.BytesIO()
        write_json(graph, out)
        assert out.getvalue() == json_in_memory(graph)
    assert len(graph_to_dict(large_graph)["entities"]) > 1024  # more than two written pieces


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld", "trig"])
def test_streamed_rdf_is_the_in_memory_serialisation(large_graph, tiny_graph, fmt):
    for graph in (large_graph, tiny_graph):
        out = io.BytesIO()
        write_rdf(graph, out, fmt)
        assert out.getvalue() == rdf_in_memory(graph, fmt)


def test_build_files_are_the_in_memory_forms(sample_build, tmp_path):
    """The files of a real build (written by write_outputs through the streaming writers) against
    the whole-in-memory forms of the graph they hold."""
    graph = load_graph(sample_build)
    assert (sample_build / "graph.json").read_bytes() == json_in_memory(graph)
    write_outputs(graph, tmp_path, ("ttl", "nt", "jsonld", "trig"))
    for fmt in ("ttl", "nt", "jsonld", "trig"):
        assert (tmp_path / f"graph.{fmt}").read_bytes() == rdf_in_memory(graph, fmt)
    assert (tmp_path / "graph.json").read_bytes() == json_in_memory(graph)


def test_streamed_rdf_unknown_format_is_one_error(tiny_graph):
    from kg.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="unknown format 'xml'; use one of"):
        write_rdf(tiny_graph, io.BytesIO(), "xml")


def test_write_outputs_finds_the_communities_once(tiny_graph, tmp_path, monkeypatch):
    """Every file numbers the nodes' communities: one Louvain run serves them all, and the files are
    those written with a run for each."""
    import contextlib

    import kg.export
    from kg.export import communities as module

    with monkeypatch.context() as patch:  # a Louvain run for each file, as before
        patch.setattr(kg.export, "computed_once", contextlib.nullcontext)
        write_outputs(tiny_graph, tmp_path / "each", ("ttl", "nt"))
    runs = []
    real = module._communities
    monkeypatch.setattr(module, "_communities", lambda *args: runs.append(args) or real(*args))
    write_outputs(tiny_graph, tmp_path / "once", ("ttl", "nt"))
    assert len(runs) == 1
    for name in ("graph.ttl", "graph.nt", "graph.gexf", "graph.graphml", "nodes.csv", "graph.json"):
        assert (tmp_path / "once" / name).read_bytes() == (tmp_path / "each" / name).read_bytes()
    assert module.communities(tiny_graph) is not module.communities(tiny_graph)  # outside write_outputs: each call
