"""A static picture (PNG, SVG or PDF) of the graph or of one entity's neighbourhood (matplotlib)."""

from __future__ import annotations

import io
from pathlib import Path

import networkx as nx

from kg.export.files import atomic_write_bytes
from kg.export.gephi import TYPE_COLOURS
from kg.export.networkx import to_networkx
from kg.model import KnowledgeGraph


def plot_graph(graph: KnowledgeGraph, path: Path, nodes: set[str] | None = None, title: str = "", seed: int = 7) -> None:
    """Draw the graph (or the given `nodes`) coloured by type, with labels and relation names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nxg = to_networkx(graph)
    if nodes is not None:
        nxg = nxg.subgraph(nodes)
    simple = nx.DiGraph(nxg)  # one arrow per pair keeps the picture readable
    size = max(6.0, min(24.0, 2.0 + 0.6 * simple.number_of_nodes() ** 0.5 * 3))
    figure, axes = plt.subplots(figsize=(size, size * 0.75), dpi=110)
    positions = nx.spring_layout(simple, seed=seed, k=1.6 / max(1, simple.number_of_nodes()) ** 0.5)
    colours = [tuple(c / 255 for c in TYPE_COLOURS.get(nxg.nodes[n]["type"], (200, 200, 200))) for n in simple]
    nx.draw_networkx_nodes(simple, positions, node_color=colours, node_size=[200 + 60 * simple.degree(n) for n in simple], ax=axes, alpha=0.9)
    nx.draw_networkx_edges(simple, positions, ax=axes, alpha=0.4, arrows=True, arrowsize=10, node_size=300)
    nx.draw_networkx_labels(simple, positions, labels={n: nxg.nodes[n]["label"][:40] for n in simple}, font_size=8, ax=axes)
    edge_labels = {(s, o): "/".join(sorted({k for k in nxg[s][o]})) for s, o in simple.edges}
    nx.draw_networkx_edge_labels(simple, positions, edge_labels=edge_labels, font_size=6, ax=axes, alpha=0.8)
    for type_, rgb in TYPE_COLOURS.items():
        if any(nxg.nodes[n]["type"] == type_ for n in simple):
            axes.scatter([], [], color=tuple(c / 255 for c in rgb), label=type_)
    axes.legend(loc="lower left", fontsize=8, frameon=False)
    axes.set_title(title)
    axes.set_axis_off()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=Path(path).suffix.lstrip(".").lower() or "png", bbox_inches="tight")
    plt.close(figure)
    atomic_write_bytes(Path(path), buffer.getvalue())


def neighbourhood(graph: KnowledgeGraph, node_id: str, depth: int = 1) -> set[str]:
    """The node and every node within `depth` relations of it, in either direction."""
    return set(nx.ego_graph(to_networkx(graph).to_undirected(as_view=True), node_id, radius=depth))
