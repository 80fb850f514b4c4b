"""`kg validate`: a graph checked against kg's SHACL shapes (and a user's own)."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.group import cli


@cli.command()
@click.argument("graph", type=click.Path(path_type=Path))
@click.option(
    "--shapes",
    "shapes",
    type=click.Path(path_type=Path),
    multiple=True,
    help="A file of SHACL shapes of your own, checked besides kg's (Turtle, or RDF by its extension); repeatable.",
)
@click.option(
    "--warnings/--no-warnings",
    default=True,
    show_default=True,
    help="Also list the warnings (they never fail the check).",
)
def validate(graph: Path, shapes: tuple[Path, ...], warnings: bool) -> None:
    """Check GRAPH (a build output folder or an RDF file) against kg's SHACL shapes: every node one
    label and one type, relation domains and ranges from the schema, standard properties between
    the types they are defined for, valid xsd:date dates, every assertion with evidence in a
    document. Prints a summary line and one line per violation (node, path, message); exits 1 on
    any violation.

    Example: kg validate out/ --shapes my-shapes.ttl
    """
    from kg.validate import validate_graph

    report = validate_graph(graph, shapes)
    click.echo(report.summary())
    for result in report.violations + (report.warnings if warnings else []):
        click.echo(f"{result.severity.lower()}: {result}")
    if not report.conforms:
        raise click.exceptions.Exit(1)
