"""GEXF and GraphML for Gephi: flat attributes of one type each, so every importer reads them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import networkx as nx

from kg.export.files import atomic_write
from kg.export.networkx import edge_table, node_table
from kg.model import KnowledgeGraph

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: node colours by type (GEXF viz), chosen to be told apart in Gephi's default light theme
TYPE_COLOURS = {
    "Person": (31, 119, 180), "Organization": (255, 127, 14), "Place": (44, 160, 44), "Date": (127, 127, 127),
    "Event": (214, 39, 40), "Role": (148, 103, 189), "Concept": (140, 86, 75), "Document": (23, 190, 207),
}


def _clean(value: Any) -> Any:
    return _XML_INVALID.sub("", value) if isinstance(value, str) else value


def gephi_graph(graph: KnowledgeGraph, viz: bool = False) -> nx.MultiDiGraph:
    """A MultiDiGraph holding only scalar attributes (strings, ints, floats), never None."""
    out = nx.MultiDiGraph()
    for row in node_table(graph):
        attrs = {k: _clean(v) for k, v in row.items() if k != "id"}
        if viz:
            r, g, b = TYPE_COLOURS.get(row["type"], (200, 200, 200))
            attrs["viz"] = {"color": {"r": r, "g": g, "b": b, "a": 1.0}, "size": 5.0 + 3.0 * row["degree"] ** 0.5}
        out.add_node(row["id"], **attrs)
    for n, row in enumerate(edge_table(graph)):
        attrs = {k: _clean(v) for k, v in row.items() if k not in ("source", "target")}
        attrs["label"] = row["relation"]
        attrs["confidence"] = float(attrs["confidence"])
        attrs["weight"] = float(attrs["weight"])
        out.add_edge(row["source"], row["target"], key=f"e{n}", **attrs)
    return out


def write_gexf(graph: KnowledgeGraph, path: Path) -> None:
    """GEXF 1.2 with node colour by type and size by degree."""
    nxg = gephi_graph(graph, viz=True)
    atomic_write(Path(path), lambda f: nx.write_gexf(nxg, f, version="1.2draft"))


def write_graphml(graph: KnowledgeGraph, path: Path) -> None:
    nxg = gephi_graph(graph)
    atomic_write(Path(path), lambda f: nx.write_graphml(nxg, f, named_key_ids=True))
