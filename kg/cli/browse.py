"""Commands that look up a built graph: `kg entities`, `kg explain`."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from kg.cli.group import cli
from kg.model import NODE_TYPES

ENTITY_TYPES = tuple(t for t in NODE_TYPES if t != "Document")
ROW_FORMATS = ("table", "csv", "json", "nl")


class OneOf(click.Choice):
    """A choice whose error names the value and lists the valid ones: "unknown type 'Persn'; use one of: ..."."""

    def __init__(self, choices: Iterable[str], what: str) -> None:
        super().__init__(list(choices), case_sensitive=False)
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"unknown {self.what} {value!r}; use one of: {', '.join(self.choices)}", param, ctx)


def write_rows(rows: list[dict[str, Any]], fmt: str) -> None:
    """Rows as an aligned table, CSV, one JSON array (`json`) or one JSON object per line (`nl`),
    the way sqlite-utils prints them. Lists are joined with "; " in a table and CSV."""
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if fmt == "nl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    flat = [{k: "; ".join(v) if isinstance(v, list) else v for k, v in row.items()} for row in rows]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(flat[0]) if flat else ["id"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(flat)
        click.echo(buffer.getvalue(), nl=False)
        return
    if not flat:
        return
    columns = list(flat[0])
    widths = {c: max(len(str(c)), *(len(str(r[c])) for r in flat)) for c in columns}
    numeric = {c for c in columns if all(isinstance(r[c], int) for r in flat)}

    def line(values: dict[str, Any]) -> str:
        cells = [f"{v!s:>{widths[c]}}" if c in numeric else f"{v!s:<{widths[c]}}" for c, v in values.items()]
        return "  ".join(cells).rstrip()

    click.echo(line({c: c.upper() for c in columns}))
    for row in flat:
        click.echo(line(row))


def entity_row(entity: Any) -> dict[str, Any]:
    return {
        "type": entity.type,
        "label": entity.label,
        "mentions": len(entity.mentions),
        "documents": len(entity.documents),
        "aliases": sorted(entity.aliases),
        "id": entity.id,
    }


@cli.command()
@click.argument("graph_dir", type=click.Path(path_type=Path))
@click.option("--type", "type_", type=OneOf(ENTITY_TYPES, "type"), default=None, help="Only entities of this type.")
@click.option(
    "--format",
    "fmt",
    type=OneOf(ROW_FORMATS, "format"),
    default="table",
    show_default=True,
    help="An aligned table, CSV, one JSON array, or one JSON object per line (nl).",
)
@click.option("--json", "as_json", is_flag=True, help="Short for --format json.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Only the first N entities (most mentioned first within a type).",
)
def entities(graph_dir: Path, type_: str | None, fmt: str, as_json: bool, limit: int | None) -> None:
    """List the entities of a built graph with type, mention counts and aliases.

    Example: kg entities out/ --type Person --format csv --limit 10
    """
    from kg.export import load_graph

    graph = load_graph(graph_dir)
    rows = sorted(graph.entities.values(), key=lambda e: (e.type, -len(e.mentions), e.label))
    if type_:
        rows = [e for e in rows if e.type == type_]
    fmt = "json" if as_json else fmt
    table = [entity_row(e) for e in rows[:limit]]
    if fmt == "table":  # ids are for programs
        table = [{k: v for k, v in row.items() if k != "id"} for row in table]
    write_rows(table, fmt)


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


def explanation(entity: Any) -> dict[str, Any]:
    """Why an entity's mentions were joined (forms by resolution rule) and where they are.

    Example:
        >>> from kg.model import Entity, Mention
        >>> m = Mention("d1", 0, 7, "Kishida", "Person")
        >>> kishida = Entity("person/k", "Fumio Kishida", "Person", mentions=(m,), merges=(("surname", "Kishida"),))
        >>> explanation(kishida)["joined_by"]
        {'surname': ['Kishida']}
    """
    by_rule: dict[str, set[str]] = {}
    for rule, form in entity.merges:
        by_rule.setdefault(rule, set()).add(form)
    counts = Counter((m.doc_id, m.text) for m in entity.mentions)
    return {
        "id": entity.id,
        "label": entity.label,
        "type": entity.type,
        "mentions": len(entity.mentions),
        "documents": len(entity.documents),
        "aliases": sorted(entity.aliases),
        "joined_by": {rule: sorted(forms) for rule, forms in sorted(by_rule.items())},
        "mentioned_as": [
            {"document": doc_id, "text": text, "count": n} for (doc_id, text), n in sorted(counts.items())
        ],
    }


@cli.command()
@click.argument("graph_dir", type=click.Path(path_type=Path))
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of the matching entities instead of text.")
def explain(graph_dir: Path, name: str, as_json: bool) -> None:
    """Show why the mentions of entity NAME were merged into one node, and where they are.

    Example: kg explain out/ "Kishida"
    """
    from kg.export import load_graph

    graph = load_graph(graph_dir)
    matches = find_entities(graph, name)
    if not matches:
        raise click.ClickException(f"no entity named {name!r} in {graph_dir}; see kg entities {graph_dir}")
    found = [explanation(e) for e in matches]
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for entity in found:
        click.echo(
            f"{entity['label']} ({entity['type']}, {entity['id']}): {entity['mentions']} mention(s) in "
            f"{entity['documents']} document(s)"
        )
        for rule, forms in entity["joined_by"].items():
            click.echo(f"  joined by {rule}: {', '.join(forms)}")
        for m in entity["mentioned_as"]:
            click.echo(f"  {m['document']}: {m['text']!r} x{m['count']}")
