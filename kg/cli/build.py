"""`kg build`: documents to graph files."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kg import registry
from kg.cli.group import cli
from kg.export import (
    LAYOUTS,
    rdf,  # noqa: F401  (registers the RDF formats)
)
from kg.resources import DEFAULT_DATA_DIR, DEFAULT_MODEL
from kg.stages import ENGINES

_FORMATS = registry.names(registry.rdf_formats)


def _progress(quiet: bool) -> tuple[Callable[[Any], None] | None, Callable[[], None]]:
    if quiet or not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(unit="doc", desc="building", file=sys.stderr, leave=False)
    return (lambda _doc: bar.update()), bar.close


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="Folder to write the graph files into."
)
@click.option(
    "-f",
    "--format",
    "formats",
    type=click.Choice(_FORMATS),
    multiple=True,
    default=["ttl"],
    show_default=True,
    help="RDF format(s) to write besides GEXF, GraphML and CSV; repeat for several.",
)
@click.option(
    "--model",
    default=DEFAULT_MODEL,
    show_default=True,
    help="spaCy pipeline to annotate with (package name or path), or a model made by kg train"
    " (used next to the rules).",
)
@click.option(
    "--aliases",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    multiple=True,
    help="Extra alias CSV (alias,canonical,type); repeatable.",
)
@click.option(
    "--patterns",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    multiple=True,
    help="Extra relation pattern JSON file; repeatable.",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="Use another folder of data files instead of the shipped data/.",
)
@click.option("--base-iri", default=None, help="Base IRI of the graph's nodes (default http://kg.example/id/).")
@click.option(
    "--processes", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes for annotation."
)
@click.option(
    "--batch-size", type=click.IntRange(1, 10000), default=32, show_default=True, help="Documents per spaCy batch."
)
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of the build cache (default $KG_CACHE_DIR/build or ~/.cache/kg/build):"
    " only new or changed documents are annotated.",
)
@click.option("--no-cache", is_flag=True, help="Annotate every document; read and write no cache.")
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="local",
    show_default=True,
    help="Where documents are annotated: this machine, or a Dask cluster (pip install 'kg[dask]').",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="With --engine dask: the scheduler (tcp://HOST:8786); without it a local cluster of"
    " --processes workers (default: one per core) starts.",
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Also load the graph into this on-disk SPARQL store (see kg load).",
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default=None,
    help="Precompute node positions in graph.gexf (Gephi opens it laid out).",
)
@click.option(
    "--open-relations/--no-open-relations",
    default=False,
    show_default=True,
    help="Also extract the open subject-verb-object layer (concepts, verb lemmas).",
)
@click.option(
    "--extractor",
    "extractors",
    multiple=True,
    metavar="NAME",
    help="Relation extractor to run, by its name in kg.registry.relation_extractors; repeat for several, in order"
    " (default: metadata, patterns, titles, gatherings, open, learned).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def build(
    paths: tuple[Path, ...],
    output: Path,
    formats: tuple[str, ...],
    model: str,
    aliases: tuple[Path, ...],
    patterns: tuple[Path, ...],
    data_dir: Path | None,
    base_iri: str | None,
    processes: int,
    batch_size: int,
    cache_dir: Path | None,
    no_cache: bool,
    engine: str,
    scheduler: str | None,
    store_dir: Path | None,
    layout: str | None,
    open_relations: bool,
    extractors: tuple[str, ...],
    quiet: bool,
) -> None:
    """Build the graph of the documents under PATHS (files or folders of .txt, .md, .html, .pdf, .docx,
    .jsonl; kg info lists the readers).

    Example: kg build data/ -o out/ --format ttl --format jsonld
    """
    from kg.build import Settings, build_graph
    from kg.cache import BuildCache, default_cache_dir, fingerprint
    from kg.documents import find_sources
    from kg.export import write_outputs
    from kg.export.files import check_output_dir
    from kg.export.vocab import DEFAULT_BASE

    find_sources(paths)  # a missing path or an empty folder fails before the model loads
    check_output_dir(output)  # an unwritable output fails early too; nothing is created until the files are written
    if no_cache and cache_dir is not None:
        raise click.UsageError("--cache and --no-cache exclude each other")
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    settings = Settings(
        model=model,
        data_dir=data_dir or DEFAULT_DATA_DIR,
        aliases=aliases,
        patterns=patterns,
        processes=processes,
        batch_size=batch_size,
        open_relations=open_relations,
        engine=engine,
        scheduler=scheduler,
        **({"extractors": extractors} if extractors else {}),
    )
    cache = (
        None
        if no_cache
        else BuildCache(
            cache_dir or default_cache_dir(),
            fingerprint(settings),
            on_warning=lambda message: click.echo(f"kg: {message}", err=True),
        )
    )
    tick, close = _progress(quiet)
    try:
        graph = build_graph(paths, settings, progress=tick, cache=cache)
    finally:
        close()
    report = graph.report
    assert report is not None, "build_graph gives the graph its report"
    unsupported: Counter[str] = Counter()
    for skipped in report.skipped:
        if skipped.reason.startswith("unsupported file type "):  # one line per type, each file in report.json
            unsupported[skipped.reason.split()[3].rstrip(";")] += 1
        else:
            click.echo(f"kg: skipped {skipped}", err=True)
    if unsupported:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(unsupported.items()))
        click.echo(
            f"kg: left out {sum(unsupported.values())} file(s) of types kg does not read ({kinds});"
            " each is listed in report.json",
            err=True,
        )
    if report.documents == 0:
        raise click.ClickException("no document could be read; nothing was built")
    formats = tuple(formats) + (("nt",) if store_dir and "nt" not in formats else ())
    written = write_outputs(graph, output, formats, base=base_iri or DEFAULT_BASE, layout=layout)
    if store_dir is not None:
        from kg.store import load_store

        triples = load_store([output / "graph.nt"], store_dir)
        written.append(store_dir)
        if not quiet:
            click.echo(f"Store {store_dir}: {triples:,} triples")
    if quiet:
        return
    types = ", ".join(f"{t} {n}" for t, n in sorted(report.entity_types.items()))
    open_count = sum(1 for r in graph.relations if r.layer == "open")
    schema_types = Counter(r.predicate for r in graph.relations if r.layer == "schema")
    relations = ", ".join(f"{t} {n}" for t, n in sorted(schema_types.items()))
    relations += f"; open layer {open_count}" if open_count else ""
    click.echo(
        f"Read {report.documents} document(s), {report.words:,} words, in {report.seconds:.1f} s"
        + (f"; {report.cached} from the cache" if cache is not None else "")
        + (f"; skipped {len(report.skipped)}" if report.skipped else "")
    )
    click.echo(f"Entities: {report.entities} ({types})")
    click.echo(f"Relations: {report.relations} ({relations})")
    click.echo("Wrote " + ", ".join(str(p) for p in written))
