"""Commands that look up a built graph: `kg entities`, `kg explain`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import click

from kg.cli.group import cli


@cli.command()
@click.argument("graph_dir", type=click.Path(path_type=Path))
@click.option("--type", "type_", default=None, help="Only entities of this type (Person, Organization, Place ...).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line instead of a table.")
def entities(graph_dir: Path, type_: str | None, as_json: bool) -> None:
    """List the entities of a built graph with type, mention counts and aliases.

    Example: kg entities out/ --type Person
    """
    from kg.export import load_graph

    graph = load_graph(graph_dir)
    rows = sorted(graph.entities.values(), key=lambda e: (e.type, -len(e.mentions), e.label))
    if type_:
        rows = [e for e in rows if e.type.casefold() == type_.casefold()]
    if as_json:
        for e in rows:
            click.echo(json.dumps({"id": e.id, "label": e.label, "type": e.type, "mentions": len(e.mentions),
                                   "documents": len(e.documents), "aliases": sorted(e.aliases)}, ensure_ascii=False))
        return
    width = max([len(e.label) for e in rows] + [5])
    click.echo(f"{'TYPE':<13} {'LABEL':<{width}} {'MENTIONS':>8} {'DOCS':>4}  ALIASES")
    for e in rows:
        click.echo(f"{e.type:<13} {e.label:<{width}} {len(e.mentions):>8} {len(e.documents):>4}  {'; '.join(sorted(e.aliases))}")


def find_entities(graph: Any, name: str) -> list[Any]:
    """Entities a name refers to: a normalised label, alias or mention; else those it is part of."""
    from kg.resolution.names import normalize_name

    wanted = normalize_name(name)

    def forms(e: Any) -> set[str]:
        return {normalize_name(f) for f in (e.label, *e.aliases, *(m.text for m in e.mentions))}

    matches = [e for e in graph.entities.values() if wanted in forms(e)]
    if not matches:  # a part of a name: "Kishida" finds "Fumio Kishida"
        words = set(wanted.split())
        matches = [e for e in graph.entities.values() if any(words <= set(f.split()) for f in forms(e))]
    return matches


@cli.command()
@click.argument("graph_dir", type=click.Path(path_type=Path))
@click.argument("name")
def explain(graph_dir: Path, name: str) -> None:
    """Show why the mentions of entity NAME were merged into one node, and where they are.

    Example: kg explain out/ "Kishida"
    """
    from kg.export import load_graph

    graph = load_graph(graph_dir)
    matches = find_entities(graph, name)
    if not matches:
        raise click.ClickException(f"no entity named {name!r} in {graph_dir}; see kg entities {graph_dir}")
    for entity in matches:
        click.echo(f"{entity.label} ({entity.type}, {entity.id}): {len(entity.mentions)} mention(s) in {len(entity.documents)} document(s)")
        by_rule: dict[str, list[str]] = {}
        for rule, form in entity.merges:
            by_rule.setdefault(rule, []).append(form)
        for rule, forms in sorted(by_rule.items()):
            click.echo(f"  joined by {rule}: {', '.join(sorted(set(forms)))}")
        counts = Counter((m.doc_id, m.text) for m in entity.mentions)
        for (doc_id, text), n in sorted(counts.items()):
            click.echo(f"  {doc_id}: {text!r} x{n}")
