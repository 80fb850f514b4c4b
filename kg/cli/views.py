"""Commands that draw or convert a built graph: `kg export`, `kg plot`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kg import registry
from kg.cli.browse import find_entities
from kg.cli.group import cli
from kg.export import formats  # noqa: F401  (registers the exporters)
from kg.export.gephi import LAYOUTS


def _focus(graph: Any, graph_dir: Path, entity: str | None, depth: int) -> tuple[set[str] | None, str | None]:
    """The nodes around --entity and a title (None and None without it: the whole graph, titled by
    what it holds)."""
    if entity is None:
        return None, None
    from kg.export.plot import neighbourhood

    matches = find_entities(graph, entity)
    if not matches:
        raise click.ClickException(f"no entity named {entity!r} in {graph_dir}; see kg entities {graph_dir}")
    nodes = set().union(*(neighbourhood(graph, e.id, depth) for e in matches))
    return nodes, f"{', '.join(e.label for e in matches)} and {len(nodes) - len(matches)} neighbours"


def _exporter_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """The --format value, checked against kg.registry.exporters ("unknown format ...; use one of: ...")."""
    from kg.errors import UnknownNameError

    try:
        registry.get(registry.exporters, value, "format")
    except UnknownNameError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


_EXPORTERS = registry.names(registry.exporters)


@cli.command(name="export")
@click.argument("graph_dir", type=click.Path(path_type=Path))
@click.option(
    "-f",
    "--format",
    "fmt",
    required=True,
    callback=_exporter_name,
    metavar="[" + "|".join(_EXPORTERS) + "]",
    help="What to write (the exporters of kg.registry.exporters).",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write (a folder for csv)."
)
@click.option("--entity", default=None, help="Only this entity's neighbourhood.")
@click.option("--depth", type=click.IntRange(1, 5), default=1, show_default=True, help="Relations away from --entity.")
@click.option("--layout", type=click.Choice(LAYOUTS), default=None, help="Precompute node positions (gexf).")
def export(graph_dir: Path, fmt: str, output: Path, entity: str | None, depth: int, layout: str | None) -> None:
    """Write a built graph in another form: an interactive HTML view (offline; search, filters,
    communities, facts with their evidence), GEXF (with --layout positions), GraphML, CSV or RDF.

    Example: kg export out/ --format html -o graph.html
    """
    from kg.export import load_graph

    graph = load_graph(graph_dir)
    nodes, title = _focus(graph, graph_dir, entity, depth)
    if nodes is not None:
        graph = graph.subgraph(nodes)
    registry.get(registry.exporters, fmt, "format")(graph, output, layout=layout, title=title)
    click.echo(f"Wrote {output} ({len(graph.entities) + len(graph.documents)} nodes, {len(graph.relations)} relations)")


@cli.command()
@click.argument("graph_dir", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="Picture file (.png, .svg or .pdf)."
)
@click.option("--entity", default=None, help="Draw only this entity's neighbourhood.")
@click.option("--depth", type=click.IntRange(1, 5), default=1, show_default=True, help="Relations away from --entity.")
def plot(graph_dir: Path, output: Path, entity: str | None, depth: int) -> None:
    """Draw a built graph, or one entity's neighbourhood, as a picture (matplotlib).

    Example: kg plot out/ --entity "Joe Biden" -o biden.png
    """
    from kg.export import load_graph
    from kg.export.files import prepare_output_dir
    from kg.export.plot import plot_graph

    if output.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise click.ClickException(f"{output}: the picture must be .png, .svg or .pdf")
    graph = load_graph(graph_dir)
    nodes, title = _focus(graph, graph_dir, entity, depth)
    prepare_output_dir(output.parent)
    plot_graph(graph, output, nodes, title)
    click.echo(f"Wrote {output}")
