"""The graph model: merging, integrity, the report it carries, and the conversions kg.export makes of it."""

from __future__ import annotations

import typing

import pytest

from kg.errors import GraphIntegrityError, InputError
from kg.export import graph_from_dict, graph_to_dict, to_networkx, to_rdf
from kg.model import Entity, Evidence, KnowledgeGraph, Mention, Relation
from kg.report import BuildReport, Skipped


def test_model_relation_needs_known_nodes_and_evidence():
    g = KnowledgeGraph()
    g.add_entity(Entity("person/a", "A", "Person"))
    with pytest.raises(GraphIntegrityError, match="unknown nodes"):
        g.add_relation(Relation("person/a", "met_with", "person/b", evidence=(Evidence("d", "s", 0, 1),)))
    with pytest.raises(GraphIntegrityError, match="no evidence"):
        g.add_relation(Relation("person/a", "met_with", "person/a"))


def test_model_same_relation_merges_evidence_and_keeps_best_confidence():
    g = KnowledgeGraph()
    g.add_entity(Entity("person/a", "A", "Person"))
    g.add_entity(Entity("person/b", "B", "Person"))
    e1, e2 = Evidence("d", "one", 0, 3), Evidence("d", "two", 4, 7)
    g.add_relation(Relation("person/a", "met_with", "person/b", 0.6, "x", (e1,)))
    g.add_relation(Relation("person/a", "met_with", "person/b", 0.9, "y", (e2,)))
    g.add_relation(Relation("person/a", "met_with", "person/b", 0.5, "z", (e1,)))
    [r] = g.relations
    assert r.evidence == (e1, e2) and r.confidence == 0.9 and r.extractor == "y"


def test_model_same_entity_merges_aliases_and_mentions():
    g = KnowledgeGraph()
    m1, m2 = Mention("d", 0, 1, "A", "Person"), Mention("e", 0, 1, "Ay", "Person")
    g.add_entity(Entity("person/a", "A", "Person", frozenset({"x"}), (m1,)))
    g.add_entity(Entity("person/a", "A", "Person", frozenset({"y"}), (m1, m2)))
    assert g.entities["person/a"].aliases == {"x", "y"}
    assert g.entities["person/a"].mentions == (m1, m2)
    assert g.entities["person/a"].documents == {"d", "e"}


def test_model_dict_round_trip(tiny_graph):
    data = graph_to_dict(tiny_graph)
    again = graph_from_dict(data)
    assert graph_to_dict(again) == data
    assert again.entities == tiny_graph.entities
    assert sorted(again.relations, key=lambda r: r.key) == sorted(tiny_graph.relations, key=lambda r: r.key)
    assert again.documents == tiny_graph.documents and again.schema == tiny_graph.schema


def test_model_from_dict_refuses_what_is_not_a_graph():
    with pytest.raises(InputError, match="not a kg graph.json"):
        graph_from_dict({"format": "something else"})


def test_model_knows_nothing_above_it():
    """Conversions are kg.export's functions, not methods; the report is a typed BuildReport."""
    for method in ("to_rdf", "to_networkx", "to_dict", "from_dict"):
        assert not hasattr(KnowledgeGraph, method)
    hints = typing.get_type_hints(KnowledgeGraph)
    assert hints["report"] == BuildReport | None


def test_model_subgraph_keeps_the_report_and_the_relations_inside(tiny_graph):
    tiny_graph.report = BuildReport(documents=1, skipped=[Skipped("x.docx", "unsupported file type .docx")])
    sub = tiny_graph.subgraph({"person/ada-lovelace", "place/london"})
    assert sub.report is tiny_graph.report
    assert [(r.subject, r.predicate, r.object) for r in sub.relations] == [
        ("person/ada-lovelace", "met_at", "place/london")
    ]
    assert sub.report.to_dict()["skipped"] == [{"source": "x.docx", "reason": "unsupported file type .docx"}]


def test_model_public_api_builds_and_converts(build_texts):
    graph = build_texts({"a.txt": "Fumio Kishida met Joe Biden in Tokyo."})
    assert isinstance(graph.report, BuildReport) and graph.report.documents == 1
    rdf = to_rdf(graph)
    nxg = to_networkx(graph)
    assert len(rdf) > 0
    assert nxg.number_of_nodes() == len(graph.entities) + len(graph.documents)
    assert nxg.number_of_edges() == len(graph.relations)
    assert nxg.has_edge("person/biden-joe", "person/fumio-kishida", key="met_with")
