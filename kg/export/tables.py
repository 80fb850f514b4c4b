"""nodes.csv and edges.csv: the graph as two tables for spreadsheets and Gephi's table import."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from kg.export.files import atomic_write_bytes
from kg.export.networkx import edge_table, node_table
from kg.model import KnowledgeGraph


def _csv(rows: list[dict], columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


NODE_COLUMNS = ["id", "label", "type", "aliases", "mention_count", "document_count", "degree", "date"]
EDGE_COLUMNS = ["source", "target", "relation", "weight", "confidence", "extractor", "layer", "status", "evidence", "document", "evidence_start", "evidence_end"]


def write_csv(graph: KnowledgeGraph, folder: Path) -> None:
    """Write folder/nodes.csv and folder/edges.csv (Gephi reads `id`, `label`, `source`, `target`)."""
    atomic_write_bytes(Path(folder) / "nodes.csv", _csv(node_table(graph), NODE_COLUMNS))
    atomic_write_bytes(Path(folder) / "edges.csv", _csv(edge_table(graph), EDGE_COLUMNS))
