"""An interactive HTML view of the graph (vis-network through pyvis), working offline.

Node colour by type, the relation as edge label, and on hover a node's aliases and an edge's
evidence sentence. The JavaScript is written into the page, so it opens without a network.
"""

from __future__ import annotations

import re
from pathlib import Path

from kg.export.files import atomic_write_bytes
from kg.export.gephi import TYPE_COLOURS
from kg.export.networkx import to_networkx
from kg.model import KnowledgeGraph

_REMOTE = re.compile(r"<(link|script)\b[^>]*(?:href|src)=\"https?://[^\"]*\"[^>]*?(?:/>|>\s*</script>)", re.DOTALL)


def _colour(type_: str) -> str:
    r, g, b = TYPE_COLOURS.get(type_, (200, 200, 200))
    return f"#{r:02x}{g:02x}{b:02x}"


def html_page(graph: KnowledgeGraph, nodes: set[str] | None = None, title: str = "kg graph") -> str:
    """The page as a string; `nodes` limits it to those nodes (e.g. one entity's neighbourhood)."""
    from pyvis.network import Network

    nxg = to_networkx(graph)
    if nodes is not None:
        nxg = nxg.subgraph(nodes)
    net = Network(height="900px", width="100%", directed=True, cdn_resources="in_line", heading="")
    net.barnes_hut(gravity=-6000, spring_length=160)
    for node_id, data in nxg.nodes(data=True):
        hover = f"{data['type']}: {data['label']}"
        if data["aliases"]:
            hover += "\naliases: " + "; ".join(data["aliases"])
        net.add_node(node_id, label=data["label"], title=hover, color=_colour(data["type"]), size=10 + 3 * nxg.degree(node_id) ** 0.5)
    for s, o, data in nxg.edges(data=True):
        evidence = data["evidence"][0] if data["evidence"] else ""
        net.add_edge(s, o, label=data["relation"], title=f"{data['relation']} ({data['confidence']:.2f})\n{evidence}",
                     dashes=data["layer"] == "open", font={"size": 10})
    page = net.generate_html(name="graph.html", notebook=False)
    page = _REMOTE.sub("", page)  # the page must not reach for a CDN: everything it needs is inline
    return page.replace("<head>", f"<head>\n<title>{title}</title>", 1)


def write_html(graph: KnowledgeGraph, path: Path, nodes: set[str] | None = None) -> None:
    atomic_write_bytes(Path(path), html_page(graph, nodes).encode("utf-8"))
