"""SPARQL and stores: `kg query`, `kg load`, `kg serve`, `kg push`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli.group import cli


def _bindings(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r}: expected NAME=VALUE (a literal, or <IRI>)", param_hint="--bind")
        out[name.strip().lstrip("?")] = text
    return out


def _limits(timeout: float) -> list:
    """--timeout and --max-memory, shared by kg query and kg serve."""
    return [
        click.option(
            "--timeout",
            type=click.FloatRange(0.1),
            default=timeout,
            show_default=True,
            help="Seconds a query may run before it is stopped.",
        ),
        click.option(
            "--max-memory",
            type=click.IntRange(0),
            default=2048,
            show_default=True,
            help="Megabytes of memory a query may take before it is stopped (0: no cap).",
        ),
    ]


def _with(options: list):
    def decorate(function):
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


@cli.command()
@click.argument("graph", type=click.Path(path_type=Path), required=False)
@click.argument("query", required=False)
@click.option(
    "-f",
    "--format",
    "fmt",
    default=None,
    metavar="FORMAT",
    help="table, csv, tsv, json or xml; turtle, nt, rdfxml or jsonld for CONSTRUCT and DESCRIBE (default: a table on a "
    "terminal, CSV otherwise; Turtle for graph results).",
)
@click.option(
    "--bind", "binds", multiple=True, help="Fix a query variable: NAME=VALUE (a literal, or <IRI>); repeatable."
)
@click.option("--limit", type=click.IntRange(0), default=0, help="Print at most N rows.")
@_with(_limits(60.0))
@click.option("--list", "list_examples", is_flag=True, help="List the example queries in data/queries/ and stop.")
def query(
    graph: Path | None,
    query: str | None,
    fmt: str | None,
    binds: tuple[str, ...],
    limit: int,
    timeout: float,
    max_memory: int,
    list_examples: bool,
) -> None:
    """Run a SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE) on GRAPH: a build output folder, an RDF
    file or a kg store. QUERY is the query text, a .rq file, or the name of a query in data/queries/
    (kg query --list). The kg prefixes (kg, kgo, schema, org, prov, skos, dcterms, rdfs, rdf, owl,
    xsd) are predeclared. The query runs in a process of its own, stopped past --timeout (60 s) or
    --max-memory.

    Example: kg query out/ who_met_whom --bind name="Joe Biden"
    """
    from kg import registry
    from kg.errors import QueryError
    from kg.query import examples, read_query
    from kg.workers import Limits, Request, run_bounded

    if list_examples:
        for name, description in examples():
            click.echo(f"{name:28} {description}")
        return
    if graph is None or query is None:
        raise click.UsageError("give GRAPH and QUERY (or --list for the example queries)")
    if fmt is None:
        fmt = "table" if sys.stdout.isatty() else "csv"
    registry.get(registry.result_formats, fmt, "format")
    request = Request("query", read_query(query), fmt=fmt, bindings=_bindings(binds), limit=limit)
    reply = run_bounded(graph, request, Limits(timeout, max_memory))
    if reply.status != 200:
        raise QueryError(reply.message)
    output = reply.message
    click.echo(output, nl=not output.endswith("\n"))


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder of the on-disk store.",
)
def load(sources: tuple[Path, ...], store_dir: Path) -> None:
    """Load build output folders or RDF files into an on-disk SPARQL store (Oxigraph, RocksDB).
    Loading again adds only what is new.

    Example: kg load out/ --store kg-store/
    """
    from kg.store import load_counted

    counts = load_counted(list(sources), store_dir)
    click.echo(f"{store_dir}: {counts.added:,} triples added, {counts.total:,} in the store")


@cli.command()
@click.argument("graph", type=click.Path(path_type=Path))
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (only this machine by default)."
)
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True, help="Port (0: any free one).")
@_with(_limits(30.0))
@click.option(
    "--max-rows", type=click.IntRange(1), default=10000, show_default=True, help="Most result rows a query returns."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Query worker processes (queries answered at once).",
)
@click.option("--allow-update", is_flag=True, help="Accept SPARQL Update (refused otherwise); one worker then.")
@click.option(
    "--cors",
    "cors",
    multiple=True,
    metavar="ORIGIN",
    help="Let pages of ORIGIN (e.g. http://localhost:3000; * for any) read the endpoint; repeatable. None by default.",
)
@click.option(
    "--allow-federation",
    "federation",
    multiple=True,
    metavar="HOST",
    help="Let SERVICE (and LOAD, with --allow-update) call HOST; repeatable. Refused by default.",
)
@click.option(
    "--allow-host",
    "hosts",
    multiple=True,
    metavar="NAME",
    help="Accept requests addressed to NAME (Host header) besides the bound address and localhost; repeatable.",
)
@click.option(
    "--max-body", type=click.IntRange(1), default=16, show_default=True, help="Largest request body, in MB (413 above)."
)
def serve(
    graph: Path,
    host: str,
    port: int,
    timeout: float,
    max_memory: int,
    max_rows: int,
    workers: int,
    allow_update: bool,
    cors: tuple[str, ...],
    federation: tuple[str, ...],
    hosts: tuple[str, ...],
    max_body: int,
) -> None:
    """Serve GRAPH (a kg store, a build output folder or an RDF file) as a SPARQL 1.1 Protocol
    endpoint at /sparql, with a query page at /. Read-only unless --allow-update; a query is
    stopped past --timeout (30 s) or --max-memory.

    Example: kg serve out/ --port 7878
    """
    from kg.server import SparqlServer

    server = SparqlServer(
        graph,
        host=host,
        port=port,
        timeout=timeout,
        max_memory=max_memory,
        max_rows=max_rows,
        workers=workers,
        allow_update=allow_update,
        cors=cors,
        allow_federation=federation,
        allow_hosts=hosts,
        max_body=max_body << 20,
    )
    click.echo(
        f"SPARQL endpoint {server.url} (query page {server.url.removesuffix('sparql')}); Ctrl-C stops it", err=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


@cli.command()
@click.argument("graph", type=click.Path(path_type=Path))
@click.option(
    "--endpoint", required=True, help="Graph Store endpoint (gsp) or SPARQL Update endpoint (update) of the server."
)
@click.option(
    "--protocol",
    type=click.Choice(["gsp", "update"]),
    default="gsp",
    show_default=True,
    help="gsp: SPARQL 1.1 Graph Store HTTP Protocol; update: SPARQL 1.1 Update (INSERT DATA).",
)
@click.option("--graph", "graph_iri", default=None, help="Named graph to load into (default: the default graph).")
@click.option("--batch-size", type=click.IntRange(1), default=10000, show_default=True, help="Triples per request.")
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    default=3,
    show_default=True,
    help="Retries of a batch on network errors and 5xx answers.",
)
@click.option("--user", default=None, help="USER:PASSWORD for HTTP basic authentication.")
def push(
    graph: Path, endpoint: str, protocol: str, graph_iri: str | None, batch_size: int, retries: int, user: str | None
) -> None:
    """Load GRAPH (a build output folder, an RDF file or a kg store) into a running triple store
    server (Fuseki, Oxigraph, GraphDB, Virtuoso ...), in batches, with retries.

    Example: kg push out/ --endpoint http://localhost:3030/kg/data
    """
    from kg.push import push_graph

    sent = push_graph(graph, endpoint, protocol, graph_iri, batch_size, retries, user)
    click.echo(f"Pushed {sent:,} triples to {endpoint}")
