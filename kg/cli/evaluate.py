"""`kg eval`: scores against annotated data or a folder of hand-read facts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kg.cli.group import cli
from kg.resources import DEFAULT_MODEL


@cli.command(name="eval")
@click.argument("gold", type=click.Path(path_type=Path))
@click.option(
    "--task",
    type=click.Choice(["all", "extraction", "resolution"]),
    default="all",
    show_default=True,
    help="extraction: entities and relations from the text; resolution: clustering the gold mentions "
    "(for a facts folder: the alias groups only).",
)
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Label mapping JSON (default: the one in data/eval/ that fits the gold labels).",
)
@click.option(
    "--model",
    default=DEFAULT_MODEL,
    show_default=True,
    help="spaCy pipeline to annotate with, or a model made by kg train.",
)
@click.option("--limit", type=click.IntRange(0), default=0, help="Score only the first N documents.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option(
    "--misses", is_flag=True, help="Facts folder: one line per missed fact, with why; and the edges no fact matches."
)
@click.option(
    "--documents",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="Facts folder: the folder its facts' document paths are relative to "
    "(default: the facts folder, then the folders beside it).",
)
@click.option(
    "--aliases",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    multiple=True,
    help="Extra alias CSV for the build; repeatable.",
)
@click.option(
    "--patterns",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    multiple=True,
    help="Extra relation pattern JSON file for the build; repeatable.",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="Build with another folder of data files.",
)
def evaluate(
    gold: Path,
    task: str,
    mapping: Path | None,
    model: str,
    limit: int,
    as_json: bool,
    misses: bool,
    documents: Path | None,
    aliases: tuple[Path, ...],
    patterns: tuple[Path, ...],
    data_dir: Path | None,
) -> None:
    """Score kg against gold annotations: a JSONL file of {"id", "text", "entities": [{"start", "end",
    "label", "cluster"}], "relations": [{"head", "tail", "label"}]} lines (entity and relation
    extraction, strict precision, recall, F1, micro and per label; entity resolution, B-cubed and
    MUC over the gold mentions), or a folder of hand-read facts with facts.jsonl ({"doc", "subject",
    "relation", "object", ...} lines: kg builds the documents; recall per relation, the precision
    estimate, alias groups).

    Example: kg eval gold/dev.jsonl; kg eval my_facts/ --misses
    """
    from kg.build import Settings
    from kg.evaluate_facts import is_facts_folder
    from kg.resources import DEFAULT_DATA_DIR

    settings = Settings(model=model, aliases=aliases, patterns=patterns, data_dir=data_dir or DEFAULT_DATA_DIR)
    if is_facts_folder(gold):
        _evaluate_facts(gold, documents, settings, task, limit, as_json, misses)
        return
    from kg.evaluate import load_gold, load_mapping, score_extraction, score_resolution
    from kg.resolution.names import NameRules
    from kg.trained_model import is_trained_model

    docs = load_gold(gold, limit)
    labels = load_mapping(mapping, docs)
    has_clusters = any(e.cluster is not None for d in docs for e in d.entities)
    scores: dict[str, Any] = {"gold": str(gold), "documents": len(docs)}
    if task in ("all", "extraction"):
        scores["extraction"] = score_extraction(docs, labels, settings)
    if task == "resolution" or (task == "all" and has_clusters):
        scores["resolution"] = score_resolution(docs, labels, NameRules.from_resources(settings.resources()))
    if as_json:
        click.echo(json.dumps(scores, indent=2))
        return
    click.echo(f"{gold}: {len(docs)} documents")
    for part in ("entities", "relations"):
        if "extraction" not in scores:
            break
        result = scores["extraction"][part]
        click.echo(f"\n{part} (strict)          P       R      F1   gold  predicted")
        mapped = (
            set(labels["entities"].values())
            if part == "entities"
            else {r["label"] for r in labels.get("relations", [])}
        )
        if is_trained_model(model):
            mapped = set(result["labels"])
        rows = [("micro", result["micro"])] + sorted((k, v) for k, v in result["labels"].items() if k in mapped)
        for name, r in rows:
            click.echo(
                f"  {name:<18} {r['precision']:6.3f}  {r['recall']:6.3f}  {r['f1']:6.3f}"
                f"  {r['tp'] + r['fn']:5d}  {r['tp'] + r['fp']:9d}"
            )
        unmapped = [v for k, v in result["labels"].items() if k not in mapped]
        if unmapped:
            click.echo(
                f"  ({len(unmapped)} gold labels kg does not predict:"
                f" {sum(v['fn'] for v in unmapped)} gold items, all missed)"
            )
    if "resolution" in scores:
        res = scores["resolution"]
        click.echo(f"\nresolution over {res['mentions']} gold mentions   B3-P   B3-R  B3-F1  MUC-P  MUC-R MUC-F1")
        for name in ("kg", "exact_normalised_text"):
            b, m = res[name]["b_cubed"], res[name]["muc"]
            click.echo(
                f"  {name:<33} {b['precision']:6.3f} {b['recall']:6.3f} {b['f1']:6.3f}"
                f" {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f}"
            )


def _evaluate_facts(
    folder: Path, documents: Path | None, settings: Any, task: str, limit: int, as_json: bool, misses: bool
) -> None:
    from kg.build import DocumentPipeline, assemble_graph
    from kg.documents import read_file
    from kg.evaluate_facts import load_facts, score_facts, spacy_phrase_words

    gold = load_facts(folder, documents)
    if limit:
        gold.files = dict(sorted(gold.files.items())[:limit])
        gold.facts = [f for f in gold.facts if f.doc in gold.files]
    pipeline = DocumentPipeline(settings)
    loaded = [d for doc, path in sorted(gold.files.items()) for d in read_file(path, doc)]
    graph = assemble_graph(pipeline.process(loaded), pipeline.resources, pipeline.rules)
    scores = score_facts(gold, graph, spacy_phrase_words(pipeline.nlp))
    result = scores.as_dict()
    if as_json:
        result["misses"] = (
            [
                {"doc": f.doc, "subject": f.subject, "relation": f.relation, "object": f.object, "why": why}
                for f, why in scores.misses
            ]
            if misses
            else None
        )
        click.echo(json.dumps({"gold": str(folder), "documents": len(gold.files), **result}, indent=2))
        return
    click.echo(f"{folder}: {len(gold.files)} documents, {result['facts']} facts")
    if task != "resolution":
        click.echo(f"\nrecall {result['recall']:.3f} ({result['found']}/{result['facts']})")
        for name, r in sorted(result["relations"].items(), key=lambda kv: -kv[1]["facts"]):
            click.echo(f"  {name:<12} {r['recall']:6.3f}  {r['found']:4d}/{r['facts']}")
        click.echo(
            "  by category: " + ", ".join(f"{c} {r['found']}/{r['facts']}" for c, r in result["categories"].items())
        )
        p = result["precision"]
        click.echo(
            f"\nprecision estimate over {p['edges']} typed edges: strict {p['strict']:.3f} ({p['strict_matched']}), "
            f"lenient {p['lenient']:.3f} ({p['lenient_matched']})"
        )
    g = result["alias_groups"]
    if g.get("groups"):
        click.echo(
            f"\nalias groups: {g['groups']}; with a node {g.get('found', 0)}; not split {g.get('not split', 0)} "
            f"({g['not_split_ratio']:.3f}); all forms joined {g.get('joined', 0)};"
            f" nodes merging two groups {g.get('nodes merging two groups', 0)}"
        )
    if misses and task != "resolution":
        click.echo("\nmissed facts:")
        for f, why in scores.misses:
            click.echo(f"  {f.doc}  {f.subject} -{f.relation}-> {f.object}: {why}")
        click.echo("\nedges that match no fact:")
        for doc, subject, relation, object_ in scores.unmatched_edges:
            click.echo(f"  {doc}  {subject} -{relation}-> {object_}")
