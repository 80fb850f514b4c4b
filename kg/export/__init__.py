"""Stage 6: exports. Nothing here imports spaCy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from kg.export.files import atomic_write_bytes, prepare_output_dir
from kg.export.gephi import gephi_graph, write_gexf, write_graphml
from kg.export.jsonio import dumps, load_graph
from kg.export.networkx import to_networkx
from kg.export.rdf import RDF_FORMATS, serialize, to_rdf
from kg.export.tables import write_csv
from kg.export.vocab import DEFAULT_BASE
from kg.model import KnowledgeGraph

__all__ = ["write_outputs", "to_rdf", "to_networkx", "write_gexf", "write_graphml", "write_csv", "load_graph", "RDF_FORMATS"]


def write_outputs(
    graph: KnowledgeGraph, folder: Path, rdf_formats: Iterable[str] = ("ttl",), base: str = DEFAULT_BASE,
    layout: str | None = None,
) -> list[Path]:
    """Write every export of `graph` into `folder`; returns the files written.

    graph.<fmt> for each RDF format, graph.gexf, graph.graphml, nodes.csv, edges.csv, graph.json
    (the model, for later commands) and report.json (the build report).
    """
    folder = prepare_output_dir(folder)
    written = []
    for fmt in dict.fromkeys(rdf_formats):
        path = folder / f"graph.{fmt}"
        atomic_write_bytes(path, serialize(graph, fmt, base))
        written.append(path)
    gephi = gephi_graph(graph, viz=True, layout=layout, dynamic=True)
    write_gexf(graph, folder / "graph.gexf", prepared=gephi)
    write_graphml(graph, folder / "graph.graphml", prepared=gephi)
    write_csv(graph, folder)
    atomic_write_bytes(folder / "graph.json", dumps(graph))
    written += [folder / n for n in ("graph.gexf", "graph.graphml", "nodes.csv", "edges.csv", "graph.json")]
    if graph.report is not None:
        atomic_write_bytes(folder / "report.json", json.dumps(graph.report.to_dict(), indent=2).encode())
        written.append(folder / "report.json")
    return written
