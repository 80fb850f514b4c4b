"""A static picture (PNG, SVG or PDF) of the graph or of one entity's neighbourhood (matplotlib).

A neighbourhood is drawn with every label and relation name. A whole graph is drawn with labels
for its most connected nodes only, cut at a word boundary, and a label that would overlap one
already placed is left out, so no two labels ever cover each other.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import networkx as nx

from kg.export.files import atomic_write_bytes
from kg.export.gephi import TYPE_COLOURS
from kg.export.labels import cut_label, graph_title
from kg.export.networkx import to_networkx
from kg.model import KnowledgeGraph

#: a whole graph: at most this many labels (the most connected nodes)
TOP_LABELS = 30
#: up to this many nodes, every node is labelled and every relation named
SMALL = 40


def place_labels(
    axes: Any, positions: dict[str, tuple[float, float]], labels: list[tuple[str, str]], font_size: float = 8
) -> list[str]:
    """Draw labels in the order given, leaving out each one whose box would overlap one drawn.

    Args:
        axes: The matplotlib axes.
        positions: Where each node is.
        labels: (node, text) pairs, the most important first.
        font_size: The labels' font size.

    Returns:
        The texts drawn.
    """
    renderer = axes.figure.canvas.get_renderer()
    placed: list[Any] = []
    drawn = []
    for node, text in labels:
        x, y = positions[node]
        artist = axes.text(
            x,
            y,
            text,
            fontsize=font_size,
            ha="center",
            va="center",
            zorder=5,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.7},
        )
        box = artist.get_window_extent(renderer=renderer).expanded(1.05, 1.1)
        if any(box.overlaps(other) for other in placed):
            artist.remove()
            continue
        placed.append(box)
        drawn.append(text)
    return drawn


def plot_graph(
    graph: KnowledgeGraph, path: Path, nodes: set[str] | None = None, title: str | None = None, seed: int = 7
) -> list[str]:
    """Draw the graph (or the given `nodes`) coloured by type; returns the node labels drawn.

    Args:
        graph: The graph.
        path: The picture file; its suffix (.png, .svg, .pdf) chooses the format.
        nodes: Only these nodes (e.g. one entity's neighbourhood).
        title: The picture's title; by default it says how many documents the graph holds.
        seed: The seed of the spring layout.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nxg = to_networkx(graph)
    if nodes is not None:
        nxg = nxg.subgraph(nodes)
    simple = nx.DiGraph(nxg)  # one arrow per pair keeps the picture readable
    count = simple.number_of_nodes()
    size = max(6.0, min(24.0, 2.0 + 1.8 * count**0.5))
    figure, axes = plt.subplots(figsize=(size, size * 0.75), dpi=110)
    positions = nx.spring_layout(simple, seed=seed, k=1.6 / max(1, count) ** 0.5)
    degree = dict(simple.degree())
    colours = [tuple(c / 255 for c in TYPE_COLOURS.get(nxg.nodes[n]["type"], (200, 200, 200))) for n in simple]
    scale = 60 if count <= SMALL else 12
    nx.draw_networkx_nodes(
        simple,
        positions,
        node_color=colours,
        node_size=[scale * (3 + degree[n]) for n in simple],
        ax=axes,
        alpha=0.9,
        linewidths=0,
    )
    nx.draw_networkx_edges(
        simple,
        positions,
        ax=axes,
        alpha=0.4 if count <= SMALL else 0.15,
        arrows=count <= SMALL,
        arrowsize=10,
        node_size=300 if count <= SMALL else 20,
        width=1.0 if count <= SMALL else 0.5,
    )
    ranked = sorted(simple, key=lambda n: (-degree[n], n))
    chosen = ranked if count <= SMALL else [n for n in ranked[:TOP_LABELS] if degree[n] > 0]
    axes.set_xlim(*_span([p[0] for p in positions.values()]))
    axes.set_ylim(*_span([p[1] for p in positions.values()]))
    drawn = place_labels(axes, positions, [(n, cut_label(nxg.nodes[n]["label"], 32)) for n in chosen])
    if count <= SMALL:
        edge_labels = {(s, o): "/".join(sorted({k for k in nxg[s][o]})) for s, o in simple.edges}
        nx.draw_networkx_edge_labels(simple, positions, edge_labels=edge_labels, font_size=6, ax=axes, alpha=0.8)
    for type_, rgb in TYPE_COLOURS.items():
        if any(nxg.nodes[n]["type"] == type_ for n in simple):
            axes.scatter([], [], color=tuple(c / 255 for c in rgb), label=type_)
    axes.legend(loc="lower left", fontsize=8, frameon=False)
    axes.set_title(title or graph_title(graph if nodes is None else graph.subgraph(nodes)))
    axes.set_axis_off()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=Path(path).suffix.lstrip(".").lower() or "png", bbox_inches="tight")
    plt.close(figure)
    atomic_write_bytes(Path(path), buffer.getvalue())
    return drawn


def _span(values: list[float]) -> tuple[float, float]:
    low, high = min(values, default=-1.0), max(values, default=1.0)
    margin = 0.08 * (high - low or 1.0)
    return low - margin, high + margin


def neighbourhood(graph: KnowledgeGraph, node_id: str, depth: int = 1) -> set[str]:
    """The node and every node within `depth` relations of it, in either direction."""
    return set(nx.ego_graph(to_networkx(graph).to_undirected(as_view=True), node_id, radius=depth))
