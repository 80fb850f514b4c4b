"""Exports: functions that take the graph model (as networkx's readwrite functions take a graph).

`to_rdf(graph)` gives an rdflib.Graph, `to_networkx(graph)` a networkx.MultiDiGraph,
`graph_to_dict(graph)` / `graph_from_dict(data)` the JSON form of graph.json, and `write_outputs`
every file of a build. Nothing here imports spaCy or any stage of the build.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from kg import registry
from kg.errors import ConfigError
from kg.export.communities import computed_once
from kg.export.files import atomic_write, atomic_write_bytes, pause, replace_output_set
from kg.export.gephi import gephi_graph, write_gexf, write_graphml
from kg.export.jsonio import graph_from_dict, graph_to_dict, load_graph, write_json
from kg.export.networkx import to_networkx
from kg.export.rdf import RDF_FORMATS, serialize, to_rdf, write_rdf
from kg.export.tables import write_csv
from kg.export.vocab import DEFAULT_BASE
from kg.model import KnowledgeGraph

__all__ = [
    "write_outputs",
    "to_rdf",
    "to_networkx",
    "graph_to_dict",
    "graph_from_dict",
    "serialize",
    "write_rdf",
    "write_json",
    "write_gexf",
    "write_graphml",
    "write_csv",
    "load_graph",
    "RDF_FORMATS",
    "LAYOUTS",
]

#: the node layouts graph.gexf can be written with (kg build --layout)
LAYOUTS = ("spring", "forceatlas2")


def write_outputs(
    graph: KnowledgeGraph,
    folder: Path,
    rdf_formats: Iterable[str] = ("ttl",),
    base: str = DEFAULT_BASE,
    layout: str | None = None,
) -> list[Path]:
    """Write every export of `graph` into `folder`; returns the files written.

    graph.<fmt> for each RDF format, graph.gexf, graph.graphml, nodes.csv, edges.csv, graph.json
    (the model, for later commands) and report.json (the build report). The files replace those of
    an earlier build as one set (see replace_output_set): a failed or killed build leaves the old set
    whole, and the folder's other files are kept. An unknown `layout` is a ConfigError.
    """
    if layout is not None and layout not in LAYOUTS:
        raise ConfigError(f"unknown layout {layout!r}; use one of: {', '.join(LAYOUTS)}")
    formats = list(dict.fromkeys(rdf_formats))
    for fmt in formats:  # an unknown format fails before anything is written
        registry.get(registry.rdf_formats, fmt, "RDF format")
    folder = Path(folder)
    files: list[str] = []

    def write(staging: Path) -> list[str]:
        for fmt in formats:
            atomic_write(staging / f"graph.{fmt}", partial(write_rdf, graph, fmt=fmt, base=base))
            _written(f"graph.{fmt}")
        gephi = gephi_graph(graph, viz=True, layout=layout, dynamic=True)
        write_gexf(graph, staging / "graph.gexf", prepared=gephi)
        _written("graph.gexf")
        write_graphml(graph, staging / "graph.graphml", prepared=gephi)
        _written("graph.graphml")
        write_csv(graph, staging)
        _written("nodes.csv", "edges.csv")
        atomic_write(staging / "graph.json", lambda file: write_json(graph, file))
        _written("graph.json")
        if graph.report is not None:
            atomic_write_bytes(staging / "report.json", json.dumps(graph.report.to_dict(), indent=2).encode())
            _written("report.json")
        return files

    def _written(*names: str) -> None:
        files.extend(names)
        pause(f"written:{names[-1]}")

    with computed_once():  # one Louvain run for every file
        replace_output_set(folder, write)
    return [folder / name for name in files]
