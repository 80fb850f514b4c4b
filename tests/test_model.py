"""The graph model: merging, integrity, and the dictionary round trip."""

from __future__ import annotations

import pytest
from test_export import tiny_graph

from kg.errors import GraphIntegrityError
from kg.model import Entity, Evidence, KnowledgeGraph, Mention, Relation


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


def test_model_dict_round_trip():
    g = tiny_graph()
    assert KnowledgeGraph.from_dict(g.to_dict()).to_dict() == g.to_dict()


def test_model_public_api_builds_and_converts(build_texts):
    graph = build_texts({"a.txt": "Fumio Kishida met Joe Biden in Tokyo."})
    rdf = graph.to_rdf()
    nxg = graph.to_networkx()
    assert len(rdf) > 0
    assert nxg.number_of_nodes() == len(graph.entities) + len(graph.documents)
    assert nxg.number_of_edges() == len(graph.relations)
    assert nxg.has_edge("person/biden-joe", "person/fumio-kishida", key="met_with")
