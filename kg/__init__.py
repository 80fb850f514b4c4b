"""kg: build a knowledge graph of people, organisations, places, events and concepts from documents.

Example:
    >>> import kg
    >>> graph = kg.build_graph(["data/"])  # doctest: +SKIP
    >>> kg.sparql(graph, "roles")[:1]  # doctest: +SKIP
    [{'name': 'Anthony Albanese', 'role': 'Prime Minister'}]
"""

from kg.build import build_graph
from kg.errors import KGError
from kg.export import (
    graph_from_dict,
    graph_to_dict,
    load_graph,
    to_networkx,
    to_rdf,
    write_csv,
    write_gexf,
    write_graphml,
    write_outputs,
)
from kg.export.html import write_html
from kg.export.plot import neighbourhood, plot_graph
from kg.model import Document, DocumentInfo, Entity, Evidence, KnowledgeGraph, Mention, Relation
from kg.query import sparql
from kg.report import BuildReport
from kg.stages import Settings
from kg.version import __version__

__all__ = [
    "build_graph",
    "Settings",
    "BuildReport",
    "KnowledgeGraph",
    "Document",
    "DocumentInfo",
    "Entity",
    "Evidence",
    "Mention",
    "Relation",
    "KGError",
    "load_graph",
    "write_outputs",
    "to_rdf",
    "to_networkx",
    "graph_to_dict",
    "graph_from_dict",
    "write_gexf",
    "write_graphml",
    "write_csv",
    "write_html",
    "plot_graph",
    "neighbourhood",
    "sparql",
    "__version__",
]
