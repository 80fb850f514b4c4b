"""kg: build a knowledge graph of people, organisations, places, events and concepts from documents."""

from kg.build import BuildReport, Settings, build_graph
from kg.errors import KGError
from kg.model import (
    Document,
    DocumentInfo,
    Entity,
    Evidence,
    KnowledgeGraph,
    Mention,
    Relation,
)

__version__ = "0.1.0"
__all__ = [
    "build_graph", "Settings", "BuildReport", "KnowledgeGraph", "Document", "DocumentInfo",
    "Entity", "Evidence", "Mention", "Relation", "KGError", "__version__",
]
