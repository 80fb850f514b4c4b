"""A bounded load test of `kg serve`: N lookup queries from C client threads on 127.0.0.1.

Builds the sample documents (`kg build data/ -o TMP`, unless --graph names a build), starts
`kg serve` on them in a process of its own (so the clients do not share its interpreter), and
sends lookups (the facts of one entity by its label, the labels drawn from the graph) over
HTTP. Prints requests per second, latency percentiles and errors.

    python bench/sparql_load.py                      # 2,000 queries, 16 clients, a new connection each
    python bench/sparql_load.py --keep-alive         # clients that reuse their connection
    python bench/sparql_load.py --workers 4 --json   # the figures as JSON

Latency is measured from before the connection is opened to the last byte of the answer.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = "SELECT DISTINCT ?name WHERE { ?x a ?type ; rdfs:label ?name . FILTER(?type != kg:Document) }"
LOOKUP = "SELECT ?p ?o WHERE {{ ?x rdfs:label {name} ; ?p ?o }} LIMIT 50"


def build(out: Path) -> None:
    subprocess.run([sys.executable, "-m", "kg", "build", str(ROOT / "data"), "-o", str(out), "-q"], check=True)


def start_server(graph: Path, workers: int) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", str(graph), "--port", "0", "--workers", str(workers)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    for line in process.stderr:
        if line.startswith("SPARQL endpoint "):
            return process, line.split()[2]
    process.wait()
    raise SystemExit("kg serve did not start")


def get(connection: http.client.HTTPConnection, path: str, query: str) -> tuple[int, bytes]:
    connection.request(
        "GET",
        path + "?" + urllib.parse.urlencode({"query": query}),
        headers={"Accept": "application/sparql-results+json"},
    )
    response = connection.getresponse()
    return response.status, response.read()


def labels(url: str) -> list[str]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    status, body = get(connection, parts.path, LABELS)
    connection.close()
    if status != 200:
        raise SystemExit(f"the label query failed: {status} {body[:200]!r}")
    return [b["name"]["value"] for b in json.loads(body)["results"]["bindings"]]


def run(url: str, names: list[str], queries: int, clients: int, keep_alive: bool) -> dict:
    parts = urllib.parse.urlsplit(url)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(queries))

    def client() -> None:
        connection = None
        for n in counter:
            query = LOOKUP.format(name=json.dumps(names[n % len(names)]))
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                status, body = get(connection, parts.path, query)
                failed = None if status == 200 and b'"bindings"' in body else f"{status}: {body[:80]!r}"
            except (OSError, http.client.HTTPException) as exc:
                failed, connection = f"{type(exc).__name__}: {exc}", None
            elapsed = time.perf_counter() - started
            if not keep_alive and connection is not None:
                connection.close()
                connection = None
            with lock:
                latencies.append(elapsed)
                if failed:
                    errors.append(failed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    return {
        "queries": queries,
        "clients": clients,
        "keep_alive": keep_alive,
        "seconds": round(wall, 2),
        "requests_per_s": round(queries / wall, 1),
        "p50_ms": round(percentile(50), 1),
        "p95_ms": round(percentile(95), 1),
        "p99_ms": round(percentile(99), 1),
        "max_ms": round(1000 * ordered[-1], 1),
        "mean_ms": round(1000 * statistics.fmean(ordered), 1),
        "errors": len(errors),
        "first_errors": sorted(set(errors))[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="kg serve --workers")
    parser.add_argument(
        "--keep-alive", action="store_true", help="reuse each client's connection (default: a new one per query)"
    )
    parser.add_argument(
        "--graph", type=Path, help="a build folder or store to serve (default: build data/ into a temporary folder)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-load-") as tmp:
        graph = args.graph
        if graph is None:
            graph = Path(tmp) / "out"
            build(graph)
        server, url = start_server(graph, args.workers)
        try:
            names = labels(url)
            run(url, names, min(50, args.queries), args.clients, args.keep_alive)  # warm-up, not counted
            figures = run(url, names, args.queries, args.clients, args.keep_alive)
        finally:
            server.terminate()
            server.wait(60)
    figures |= {"workers": args.workers, "entities": len(names)}
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    print(
        f"{figures['queries']:,} lookups from {figures['clients']} clients "
        f"({'keep-alive' if args.keep_alive else 'a new connection each'}), "
        f"kg serve --workers {args.workers}, {len(names)} entities"
    )
    print(
        f"{figures['requests_per_s']} requests/s over {figures['seconds']} s; latency ms: p50 {figures['p50_ms']}, "
        f"p95 {figures['p95_ms']}, p99 {figures['p99_ms']}, max {figures['max_ms']}; errors {figures['errors']}"
    )
    for error in figures["first_errors"]:
        print("  e.g.", error)


if __name__ == "__main__":
    main()
