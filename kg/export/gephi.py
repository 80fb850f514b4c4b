"""GEXF and GraphML for Gephi: flat attributes of one type each, so every importer reads them.

A value the graph does not have (no date, no alias, a plain status) is left out rather than written
as an empty string, and the GEXF has no `networkx_key` column: the edge id already names each edge.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter

from kg.export.files import atomic_write
from kg.export.networkx import edge_table, node_table
from kg.model import KnowledgeGraph

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: node colours by type (GEXF viz), chosen to be told apart in Gephi's default light theme
TYPE_COLOURS = {
    "Person": (31, 119, 180),
    "Organization": (255, 127, 14),
    "Place": (44, 160, 44),
    "Date": (127, 127, 127),
    "Event": (214, 39, 40),
    "Role": (148, 103, 189),
    "Concept": (140, 86, 75),
    "Document": (23, 190, 207),
}


def _clean(value: Any) -> Any:
    return _XML_INVALID.sub("", value) if isinstance(value, str) else value


def _present(row: dict[str, Any], leave_out: tuple[str, ...]) -> dict[str, Any]:
    """The row's values that say something: empty strings are left out (Gephi shows them as values)."""
    return {k: _clean(v) for k, v in row.items() if k not in leave_out and v != ""}


class _GEXFWriter(GEXFWriter):
    """networkx's GEXF writer without the `networkx_key` attribute it adds to multigraph edges."""

    def add_attributes(self, node_or_edge: str, xml_obj: Any, data: dict, default: dict) -> dict:
        if node_or_edge == "edge":
            data.pop("key", None)
        return super().add_attributes(node_or_edge, xml_obj, data, default)


LAYOUTS = ("spring", "forceatlas2")


def first_dates(graph: KnowledgeGraph) -> tuple[dict[str, str], dict[tuple[str, ...], str]]:
    """The earliest document date (YYYY-MM-DD) at which each node and each relation appears."""
    dates = {info.id: info.date for info in graph.documents.values() if info.date and len(info.date) == 10}
    nodes = {node_id: dates[info.id] for node_id, info in graph.documents.items() if info.id in dates}
    for entity in graph.entities.values():
        known = [dates[m.doc_id] for m in entity.mentions if m.doc_id in dates]
        if known:
            nodes[entity.id] = min(known)
    edges: dict[tuple[str, ...], str] = {}
    for r in graph.relations:
        known = [dates[e.doc_id] for e in r.evidence if e.doc_id in dates]
        if known:
            edges[r.key] = min(known)
    return nodes, edges


def positions(nxg: nx.MultiDiGraph, layout: str, seed: int = 7) -> dict[str, tuple[float, float]]:
    """Node positions from networkx's spring (Fruchterman-Reingold) or ForceAtlas2 layout."""
    simple = nx.Graph(nxg)
    if layout == "forceatlas2":
        found = nx.forceatlas2_layout(simple, seed=seed, max_iter=300, scaling_ratio=2.0)
    else:
        found = nx.spring_layout(simple, seed=seed)
    found = nx.rescale_layout_dict(found, scale=1.0)
    scale = 100.0 * max(1.0, simple.number_of_nodes() ** 0.5)
    return {n: (float(x) * scale, float(y) * scale) for n, (x, y) in found.items()}


def gephi_graph(
    graph: KnowledgeGraph, viz: bool = False, layout: str | None = None, dynamic: bool = False
) -> nx.MultiDiGraph:
    """A MultiDiGraph holding only scalar attributes (strings, ints, floats), never None.

    `viz` adds GEXF colours (by type) and sizes (by degree), `layout` precomputed positions, and
    `dynamic` the date each node and edge first appears (GEXF `start`), for Gephi's timeline.
    Every node has its Louvain `community` number (see kg.export.communities), to colour by.
    """
    out = nx.MultiDiGraph()
    node_dates, edge_dates = first_dates(graph) if dynamic else ({}, {})
    for row in node_table(graph):
        attrs = _present(row, ("id",))
        if viz:
            r, g, b = TYPE_COLOURS.get(row["type"], (200, 200, 200))
            attrs["viz"] = {"color": {"r": r, "g": g, "b": b, "a": 1.0}, "size": 5.0 + 3.0 * row["degree"] ** 0.5}
        if row["id"] in node_dates:
            attrs["start"] = node_dates[row["id"]]
        out.add_node(row["id"], **attrs)
    for n, (row, relation) in enumerate(zip(edge_table(graph), graph.relations)):
        attrs = _present(row, ("source", "target"))
        attrs["label"] = row["relation"]
        attrs["confidence"] = float(attrs["confidence"])
        attrs["weight"] = float(attrs["weight"])
        if relation.key in edge_dates:
            attrs["start"] = edge_dates[relation.key]
        out.add_edge(row["source"], row["target"], key=f"e{n}", **attrs)
    if viz and layout:
        for node, (x, y) in positions(out, layout).items():
            out.nodes[node]["viz"]["position"] = {"x": x, "y": y, "z": 0.0}
    return out


def write_gexf(
    graph: KnowledgeGraph, path: Path, layout: str | None = None, prepared: nx.MultiDiGraph | None = None
) -> None:
    """GEXF 1.2: colour by type, size by degree, optional layout positions, and the date each node
    and edge first appears (dynamic mode) where documents have dates. `prepared` is a gephi_graph
    with viz and dynamic data already made (write_outputs makes one for both Gephi files)."""
    nxg = prepared if prepared is not None else gephi_graph(graph, viz=True, layout=layout, dynamic=True)
    writer = _GEXFWriter(version="1.2draft", prettyprint=False)
    writer.add_graph(nxg)
    atomic_write(Path(path), writer.write)


def write_graphml(graph: KnowledgeGraph, path: Path, prepared: nx.MultiDiGraph | None = None) -> None:
    """GraphML with the same attributes (GraphML has no place for GEXF's viz and time data)."""
    nxg = gephi_graph(graph) if prepared is None else _without_gexf_extras(prepared)
    atomic_write(Path(path), lambda f: nx.write_graphml(nxg, f, named_key_ids=True))


def _without_gexf_extras(nxg: nx.MultiDiGraph) -> nx.MultiDiGraph:
    out = nx.MultiDiGraph()
    out.add_nodes_from((n, {k: v for k, v in d.items() if k not in ("viz", "start")}) for n, d in nxg.nodes(data=True))
    out.add_edges_from(
        (s, o, k, {a: v for a, v in d.items() if a != "start"}) for s, o, k, d in nxg.edges(keys=True, data=True)
    )
    return out
