"""nodes.csv and edges.csv: the graph as two tables for spreadsheets and Gephi's spreadsheet import.

Gephi's import reads the columns it knows by name: `Id` and `Label` in the nodes table; `Source`,
`Target`, `Type` (Directed), `Label` and `Weight` in the edges table. The other columns follow
them and come in as attributes (type, aliases, community, relation, confidence, evidence ...).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from kg.export.files import atomic_write_bytes
from kg.export.networkx import edge_table, node_table
from kg.model import KnowledgeGraph

NODE_COLUMNS = ["Id", "Label", "type", "aliases", "mention_count", "document_count", "degree", "community", "date"]
EDGE_COLUMNS = [
    "Source",
    "Target",
    "Type",
    "Label",
    "Weight",
    "relation",
    "confidence",
    "extractor",
    "layer",
    "status",
    "evidence",
    "document",
    "evidence_start",
    "evidence_end",
]


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def gephi_node_rows(graph: KnowledgeGraph) -> list[dict[str, Any]]:
    """The rows of nodes.csv: node_table with Gephi's `Id` and `Label` for `id` and `label`.

    Example:
        >>> from kg.model import KnowledgeGraph, Entity
        >>> g = KnowledgeGraph()
        >>> g.add_entity(Entity("place/tokyo", "Tokyo", "Place"))
        >>> gephi_node_rows(g)[0]["Id"], gephi_node_rows(g)[0]["Label"]
        ('place/tokyo', 'Tokyo')
    """
    return [{"Id": row.pop("id"), "Label": row.pop("label"), **row} for row in node_table(graph)]


def gephi_edge_rows(graph: KnowledgeGraph) -> list[dict[str, Any]]:
    """The rows of edges.csv: Source, Target, Type (always Directed), Label (the relation) and
    Weight (the number of evidence sentences), then the edge's other values."""
    rows = []
    for row in edge_table(graph):
        first = {
            "Source": row.pop("source"),
            "Target": row.pop("target"),
            "Type": "Directed",
            "Label": row["relation"],
            "Weight": row.pop("weight"),
        }
        rows.append({**first, **row})
    return rows


def write_csv(graph: KnowledgeGraph, folder: Path) -> None:
    """Write folder/nodes.csv and folder/edges.csv, ready for Gephi's spreadsheet import."""
    atomic_write_bytes(Path(folder) / "nodes.csv", _csv(gephi_node_rows(graph), NODE_COLUMNS))
    atomic_write_bytes(Path(folder) / "edges.csv", _csv(gephi_edge_rows(graph), EDGE_COLUMNS))
