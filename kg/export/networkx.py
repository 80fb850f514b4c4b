"""The graph as a networkx.MultiDiGraph: one node per entity or document, one edge per relation."""

from __future__ import annotations

from typing import Any

import networkx as nx

from kg.export.communities import communities
from kg.model import KnowledgeGraph


def to_networkx(graph: KnowledgeGraph) -> nx.MultiDiGraph:
    """Nodes carry type, label, aliases and counts; edges are keyed by predicate (with ":former" or
    ":future" for a post the text gives as past or to come).

    Example:
        >>> from kg.model import KnowledgeGraph, Entity
        >>> g = KnowledgeGraph()
        >>> g.add_entity(Entity("place/tokyo", "Tokyo", "Place"))
        >>> to_networkx(g).nodes["place/tokyo"]["type"]
        'Place'
    """
    nxg = nx.MultiDiGraph()
    for node_id, info in graph.documents.items():
        nxg.add_node(
            node_id,
            type="Document",
            label=info.title or info.id,
            aliases=[],
            mention_count=0,
            document_count=1,
            date=info.date or "",
            source=info.source,
        )
    for entity in graph.entities.values():
        nxg.add_node(
            entity.id,
            type=entity.type,
            label=entity.label,
            aliases=sorted(entity.aliases),
            mention_count=len(entity.mentions),
            document_count=len(entity.documents),
            date="",
            source="",
        )
    for r in graph.relations:
        nxg.add_edge(
            r.subject,
            r.object,
            key=r.predicate + (f":{r.status}" if r.status else ""),
            relation=r.predicate,
            weight=len(r.evidence),
            confidence=r.confidence,
            extractor=r.extractor,
            layer=r.layer,
            status=r.status,
            evidence=[e.sentence for e in r.evidence],
            documents=sorted({e.doc_id for e in r.evidence}),
        )
    return nxg


def node_table(graph: KnowledgeGraph) -> list[dict[str, Any]]:
    """One flat row per node, the same for CSV, GEXF and GraphML (with its Louvain community)."""
    nxg = to_networkx(graph)
    degree = dict(nxg.degree())
    community = communities(graph)
    rows = []
    for node_id, data in nxg.nodes(data=True):
        rows.append(
            {
                "id": node_id,
                "label": data["label"],
                "type": data["type"],
                "aliases": "; ".join(data["aliases"]),
                "mention_count": data["mention_count"],
                "document_count": data["document_count"],
                "degree": degree[node_id],
                "community": community[node_id],
                "date": data["date"],
            }
        )
    return rows


def edge_table(graph: KnowledgeGraph) -> list[dict[str, Any]]:
    """One flat row per relation, with its first evidence sentence."""
    rows = []
    for r in graph.relations:
        first = r.evidence[0]
        rows.append(
            {
                "source": r.subject,
                "target": r.object,
                "relation": r.predicate,
                "weight": len(r.evidence),
                "confidence": round(r.confidence, 4),
                "extractor": r.extractor,
                "layer": r.layer,
                "status": r.status,
                "evidence": first.sentence,
                "document": first.doc_id,
                "evidence_start": first.start,
                "evidence_end": first.end,
            }
        )
    return rows
