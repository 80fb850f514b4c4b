"""The interactive HTML view of a graph: one page, offline, that stays fluid at thousands of nodes.

sigma.js draws a graphology graph (WebGL) laid out in the page by ForceAtlas2; their builds are
vendored in kg/export/view/vendor (npm packages, MIT licences) and written into the page, so it
needs no network. The page shows labels for the most connected nodes, a legend of types, search
by name and alias, filters by type, relation, layer and degree (nodes with no relation shown and
the open layer hidden at first), colours by type or Louvain community, and for a clicked node or
relation its facts with their evidence sentences and documents.

`html_page` returns the page as a string, for a server to send (kg serve) as well as for files.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from kg.export.communities import communities
from kg.export.files import atomic_write_bytes
from kg.export.gephi import TYPE_COLOURS
from kg.export.labels import cut_label, graph_title
from kg.model import KnowledgeGraph

_VENDOR = {"graphology": "graphology.umd.min.js", "library": "graphology-library.min.js", "sigma": "sigma.min.js"}
_SOURCE_MAP = re.compile(r"\n?//# sourceMappingURL=\S+\s*$")
#: up to this many nodes (one entity's neighbourhood, say) every node is labelled and every relation named
SMALL = 60
_MARKER = re.compile(r"\$(title|css|data|graphology|library|sigma|view)\b")


@cache
def _asset(name: str) -> str:
    text = resources.files("kg.export").joinpath("view", name).read_text(encoding="utf-8")
    return _SOURCE_MAP.sub("", text)


def _colour(type_: str) -> str:
    r, g, b = TYPE_COLOURS.get(type_, (200, 200, 200))
    return f"#{r:02x}{g:02x}{b:02x}"


def view_data(graph: KnowledgeGraph, title: str, focus: bool = False) -> dict[str, Any]:
    """The page's data: nodes, relations with every evidence sentence, documents, colours (compact arrays).

    Args:
        graph: The graph to show.
        title: The page's title.
        focus: Label every node and relation (for a small graph, such as one entity's neighbourhood).

    Returns:
        A JSON-ready dict, read by kg/export/view/view.js.
    """
    ids = list(graph.documents) + list(graph.entities)
    index = {node: i for i, node in enumerate(ids)}
    community = communities(graph)
    doc_index = {info.id: k for k, info in enumerate(graph.documents.values())}
    nodes = []
    for node in ids:
        if node in graph.entities:
            entity = graph.entities[node]
            label, type_, aliases, count = (
                entity.label,
                entity.type,
                sorted(entity.aliases - {entity.label}),
                len(entity.documents),
            )
        else:
            info = graph.documents[node]
            label, type_, aliases, count = info.title or info.id, "Document", ([info.id] if info.title else []), 1
        nodes.append([node, label, type_, aliases, community[node], count, cut_label(label, 32)])
    edges = [
        [
            index[r.subject],
            index[r.object],
            r.predicate,
            r.layer,
            r.status,
            round(r.confidence, 3),
            r.extractor,
            [[doc_index.get(e.doc_id, 0), e.sentence] for e in r.evidence],
        ]
        for r in graph.relations
    ]
    documents = [[info.id, info.title or info.id, info.date or ""] for info in graph.documents.values()] or [
        ["", "", ""]
    ]
    types = sorted(
        {graph.type_of(node) for node in ids},
        key=lambda t: (t not in TYPE_COLOURS, list(TYPE_COLOURS).index(t) if t in TYPE_COLOURS else 0, t),
    )
    summary = (
        f"{len(graph.documents):,} documents, {len(graph.entities):,} entities, {len(graph.relations):,} relations,"
        f" {len(set(community.values())):,} communities"
    )
    return {
        "title": title,
        "summary": summary,
        "focus": focus,
        "colours": {t: _colour(t) for t in types},
        "nodes": nodes,
        "edges": edges,
        "documents": documents,
    }


def _script_json(value: Any) -> str:
    """JSON that cannot end the <script> block it sits in."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")


def html_page(graph: KnowledgeGraph, nodes: set[str] | None = None, title: str | None = None) -> str:
    """The page as a string; `nodes` limits it to those nodes (e.g. one entity's neighbourhood).

    Args:
        graph: The graph.
        nodes: Only these nodes and the relations between them.
        title: The page's title; by default it says how many documents the graph holds.

    Returns:
        A whole HTML document with its scripts inline.

    Example:
        >>> from kg.model import KnowledgeGraph, Entity
        >>> g = KnowledgeGraph()
        >>> g.add_entity(Entity("place/tokyo", "Tokyo", "Place"))
        >>> "<title>Tokyo</title>" in html_page(g, title="Tokyo")
        True
    """
    if nodes is not None:
        graph = graph.subgraph(nodes)
    title = title or graph_title(graph)
    small = len(graph.entities) + len(graph.documents) <= SMALL
    from html import escape

    parts = {
        "title": escape(title),
        "css": _asset("view.css"),
        "data": _script_json(view_data(graph, title, small)),
        "graphology": _asset("vendor/" + _VENDOR["graphology"]),
        "library": _asset("vendor/" + _VENDOR["library"]),
        "sigma": _asset("vendor/" + _VENDOR["sigma"]),
        "view": _asset("view.js"),
    }
    return _MARKER.sub(lambda m: parts[m.group(1)], _asset("template.html"))


def write_html(graph: KnowledgeGraph, path: Path, nodes: set[str] | None = None, title: str | None = None) -> None:
    """Write the page to `path` (atomically)."""
    atomic_write_bytes(Path(path), html_page(graph, nodes, title).encode("utf-8"))
