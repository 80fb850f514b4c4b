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
