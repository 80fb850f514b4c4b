"""The exporters of `kg export`, registered by name in `kg.registry.exporters`.

An exporter is called as ``exporter(graph, output, layout=None, title=None)`` and writes `output` (a file, or a
folder for csv), making the folders it needs. Each RDF format of `kg.registry.rdf_formats` is an
exporter too. A package adds its own through the entry point group ``kg_exporters``.

Example:
    >>> from kg import registry
    >>> "gexf" in registry.names(registry.exporters)
    True
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from kg import registry
from kg.export import rdf as _rdf  # noqa: F401  (registers the RDF formats)
from kg.export.files import atomic_write_bytes, prepare_output_dir
from kg.export.gephi import LAYOUTS, write_gexf, write_graphml
from kg.export.html import write_html
from kg.export.tables import write_csv
from kg.model import KnowledgeGraph

__all__ = ["LAYOUTS", "export_html", "export_gexf", "export_graphml", "export_csv"]


@registry.exporters.register("html")
def export_html(graph: KnowledgeGraph, output: Path, layout: str | None = None, title: str | None = None) -> None:
    """The interactive view, one offline page (its layout is computed in the page)."""
    prepare_output_dir(Path(output).parent)
    write_html(graph, output, title=title)


@registry.exporters.register("gexf")
def export_gexf(graph: KnowledgeGraph, output: Path, layout: str | None = None, title: str | None = None) -> None:
    """GEXF for Gephi, with node positions when `layout` names one of LAYOUTS."""
    prepare_output_dir(Path(output).parent)
    write_gexf(graph, output, layout)


@registry.exporters.register("graphml")
def export_graphml(graph: KnowledgeGraph, output: Path, layout: str | None = None, title: str | None = None) -> None:
    """GraphML (no positions)."""
    prepare_output_dir(Path(output).parent)
    write_graphml(graph, output)


@registry.exporters.register("csv")
def export_csv(graph: KnowledgeGraph, output: Path, layout: str | None = None, title: str | None = None) -> None:
    """nodes.csv and edges.csv in the folder `output`."""
    write_csv(graph, prepare_output_dir(Path(output)))


def _export_rdf(
    fmt: str, graph: KnowledgeGraph, output: Path, layout: str | None = None, title: str | None = None
) -> None:
    prepare_output_dir(Path(output).parent)
    atomic_write_bytes(Path(output), _rdf.serialize(graph, fmt))


for _name in registry.names(registry.rdf_formats):
    registry.exporters.register(_name, func=partial(_export_rdf, _name))
