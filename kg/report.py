"""What a build read, skipped and produced: the report a graph carries (`KnowledgeGraph.report`).

It sits below the graph model, which names it, and imports nothing of kg.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file (or a line of one) that was not loaded, and why.

    Example:
        >>> str(Skipped("notes/a.docx", "unsupported file type .docx"))
        'notes/a.docx: unsupported file type .docx'
    """

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class BuildReport:
    """What a build read, skipped and produced; `to_dict` is report.json.

    Example:
        >>> report = BuildReport(documents=2, entity_types={"Place": 1, "Person": 3})
        >>> report.to_dict()["entity_types"]
        {'Person': 3, 'Place': 1}
    """

    documents: int = 0
    words: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    entities: int = 0
    relations: int = 0
    entity_types: dict[str, int] = field(default_factory=dict)
    relation_types: dict[str, int] = field(default_factory=dict)
    dropped_relations: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    model: str = ""
    cached: int = 0  # documents whose per-document results came from the build cache

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary with sorted counts (report.json)."""
        return {
            "documents_read": self.documents,
            "words": self.words,
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "entities": self.entities,
            "relations": self.relations,
            "entity_types": dict(sorted(self.entity_types.items())),
            "relation_types": dict(sorted(self.relation_types.items())),
            "dropped_relations": dict(sorted(self.dropped_relations.items())),
            "seconds": round(self.seconds, 3),
            "model": self.model,
            "documents_from_cache": self.cached,
        }
