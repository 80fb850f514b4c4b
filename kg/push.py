"""kg push: load a graph into an existing triple store over HTTP, in batches, with retries.

Two standard protocols: the SPARQL 1.1 Graph Store HTTP Protocol (POST N-Triples to the store's
graph endpoint, e.g. Fuseki's /DATASET/data, Oxigraph's /store, GraphDB's
/repositories/REPO/rdf-graphs/service) or SPARQL 1.1 Update (INSERT DATA to the update endpoint).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox

from kg.errors import ConfigError, RemoteError
from kg.query import open_graph

PROTOCOLS = ("gsp", "update")


def _batches(store: ox.Store, size: int) -> Iterator[bytes]:
    batch: list[ox.Triple] = []
    for quad in store:
        batch.append(ox.Triple(quad.subject, quad.predicate, quad.object))
        if len(batch) >= size:
            yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b""
            batch = []
    if batch:
        yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b""


def _request(
    endpoint: str, protocol: str, payload: bytes, graph: str | None, auth: str | None
) -> urllib.request.Request:
    if protocol == "gsp":
        target = (
            endpoint
            + ("&" if "?" in endpoint else "?")
            + (f"graph={urllib.parse.quote(graph, safe='')}" if graph else "default")
        )
        request = urllib.request.Request(
            target, data=payload, method="POST", headers={"Content-Type": "application/n-triples"}
        )
    else:
        body = payload.decode()
        update = f"INSERT DATA {{ GRAPH <{graph}> {{ {body} }} }}" if graph else f"INSERT DATA {{ {body} }}"
        request = urllib.request.Request(
            endpoint, data=update.encode(), method="POST", headers={"Content-Type": "application/sparql-update"}
        )
    if auth:
        import base64

        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    return request


def push_graph(
    source: Path,
    endpoint: str,
    protocol: str = "gsp",
    graph: str | None = None,
    batch_size: int = 10000,
    retries: int = 3,
    auth: str | None = None,
    timeout: float = 60.0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Send the graph at `source` (build folder, RDF file or kg store) to `endpoint`; returns triples sent.

    A batch that fails on the network or with a 5xx answer is retried (with a growing pause);
    a 4xx answer means the server refuses, and stops the push with its reason.

    Example:
        >>> push_graph(Path("out/"), "http://localhost:3030/kg/data")  # doctest: +SKIP
        2452
    """
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
    if urllib.parse.urlparse(endpoint).scheme not in ("http", "https"):
        raise ConfigError(f"{endpoint}: not an http(s) URL")
    store = open_graph(source)
    sent = 0
    for batch in _batches(store, batch_size):
        for attempt in range(retries + 1):
            try:
                with urllib.request.urlopen(_request(endpoint, protocol, batch, graph, auth), timeout=timeout):
                    break
            except urllib.error.HTTPError as exc:
                reason = exc.read(300).decode("utf-8", "replace").strip().splitlines()
                detail = f"{exc.code} {exc.reason}" + (f": {reason[0]}" if reason else "")
                if exc.code < 500 or attempt == retries:
                    raise RemoteError(f"{endpoint}: the server refused the data ({detail})") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == retries:
                    why = getattr(exc, "reason", exc)
                    raise RemoteError(
                        f"{endpoint}: cannot reach the server ({why}) after {retries + 1} attempts"
                    ) from None
            time.sleep(min(0.5 * 2**attempt, 8))
        sent += batch.count(b"\n")  # N-Triples: one triple a line
        if progress:
            progress(sent)
    return sent
