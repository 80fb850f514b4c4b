"""Titles and short labels for pictures and views: labels cut at a word boundary, never mid-word."""

from __future__ import annotations

from kg.model import KnowledgeGraph


def cut_label(text: str, limit: int = 32) -> str:
    """`text` if it fits in `limit` characters, else its longest run of whole words that does, with "…".

    A first word longer than the limit is cut (with "…"): there is no boundary to cut at.

    Example:
        >>> cut_label("Ministry of Foreign Affairs of the People's Republic of China", 32)
        'Ministry of Foreign Affairs of…'
        >>> cut_label("Tokyo")
        'Tokyo'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit].rsplit(" ", 1)[0] if " " in text[: limit + 1] else ""
    head = head.rstrip(" ,;:-–")
    return (head or text[: limit - 1]) + "…"


def graph_title(graph: KnowledgeGraph) -> str:
    """A title that says what the graph is: "Knowledge graph of 300 documents" (or of one document's title).

    Example:
        >>> from kg.model import KnowledgeGraph, DocumentInfo
        >>> g = KnowledgeGraph()
        >>> g.add_document(DocumentInfo("a.txt", title="Camp David"))
        >>> graph_title(g)
        'Knowledge graph of Camp David'
    """
    if len(graph.documents) == 1:
        info = next(iter(graph.documents.values()))
        return f"Knowledge graph of {info.title or info.id}"
    return f"Knowledge graph of {len(graph.documents):,} documents"
