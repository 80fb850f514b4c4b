"""kg serve: a SPARQL 1.1 Protocol endpoint over a graph, read-only unless told otherwise.

Queries run in a worker process that owns the store, so a query past the timeout is stopped by
ending that process (Oxigraph cannot interrupt a running query) and a fresh worker takes over.
Queries are answered one at a time: this is an endpoint for one analyst's tools (YASGUI,
SPARQLWrapper, notebooks, Gephi), not a public service.
"""

from __future__ import annotations

import multiprocessing as mp
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from kg.errors import KGError

RESULT_TYPES = {
    "application/sparql-results+json": "json", "application/json": "json",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "jsonld"}
CONTENT_TYPES = {"json": "application/sparql-results+json", "csv": "text/csv; charset=utf-8",
                 "tsv": "text/tab-separated-values; charset=utf-8", "turtle": "text/turtle; charset=utf-8",
                 "nt": "application/n-triples", "jsonld": "application/ld+json"}


@dataclass(frozen=True)
class ServerSettings:
    store_dir: Path
    timeout: float = 30.0
    max_rows: int = 10000
    allow_update: bool = False


def _worker(store_dir: str, writable: bool, max_rows: int, conn: Any) -> None:
    """Owns the store; answers (kind, text, accept) requests with (status, content type, body)."""
    from kg.errors import KGError
    from kg.export.vocab import PREFIXES
    from kg.query import QueryError, format_result, open_store, run_query

    try:
        store = open_store(Path(store_dir), read_only=not writable)
        conn.send(("ready", "", b""))
    except KGError as exc:
        conn.send(("failed", "", str(exc).encode()))
        return
    while True:
        try:
            kind, text, accept = conn.recv()
        except EOFError:
            return
        try:
            if kind == "update":
                store.update(text, prefixes=PREFIXES)
                store.flush()
                conn.send((204, "", b""))
                continue
            result = run_query(store, text, limit=max_rows)
            fmt = _negotiate(accept, graph=result.kind == "graph")
            body = format_result(result, fmt).encode()
            conn.send((200, CONTENT_TYPES[fmt], body, result.truncated))
        except (QueryError, SyntaxError) as exc:
            conn.send((400, "text/plain; charset=utf-8", str(exc).splitlines()[0].encode()))
        except (OSError, ValueError) as exc:
            conn.send((500, "text/plain; charset=utf-8", f"query failed: {exc}".encode()))


def _negotiate(accept: str, graph: bool) -> str:
    types = GRAPH_TYPES if graph else RESULT_TYPES
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in types:
            return types[media]
    return "turtle" if graph else "json"


class Worker:
    """The worker process and the pipe to it; restarted after a timeout."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.process: Any = None
        self.conn: Any = None
        self._start()

    def _start(self) -> None:
        context = mp.get_context("spawn")
        ours, theirs = context.Pipe()
        self.process = context.Process(
            target=_worker, args=(str(self.settings.store_dir), self.settings.allow_update, self.settings.max_rows, theirs), daemon=True)
        self.process.start()
        try:
            if not ours.poll(60):
                raise EOFError
            status, _, body = ours.recv()
        except EOFError:
            self.process.kill()
            raise KGError(f"{self.settings.store_dir}: the query worker did not start") from None
        if status != "ready":
            raise KGError(body.decode())
        self.conn = ours

    def ask(self, kind: str, text: str, accept: str) -> tuple:
        with self.lock:
            try:
                self.conn.send((kind, text, accept))
                if self.conn.poll(self.settings.timeout):
                    return self.conn.recv()
                answer = 503, "text/plain; charset=utf-8", f"query stopped after {self.settings.timeout:g} s (the server's --timeout)".encode()
            except (EOFError, BrokenPipeError):
                answer = 500, "text/plain; charset=utf-8", b"the query worker failed; it has been restarted"
            self.process.kill()
            self.process.join()
            self._start()
            return answer

    def close(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join()


PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>kg SPARQL</title>
<style>body{font:14px sans-serif;margin:2em}textarea{width:100%;height:12em;font:13px monospace}
table{border-collapse:collapse;margin-top:1em}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
#error{color:#b00;white-space:pre-wrap}</style></head><body>
<h1>kg SPARQL endpoint</h1><p>Endpoint: <code>/sparql</code> (GET or POST). The kg prefixes are predeclared.</p>
<form id="f"><textarea id="q">SELECT ?name ?role WHERE {
  ?x kg:holds_role ?r ; rdfs:label ?name .
  ?r rdfs:label ?role .
} LIMIT 50</textarea><br><button>Run</button></form><div id="error"></div><div id="out"></div>
<script>
document.getElementById("f").onsubmit = async (e) => {
  e.preventDefault();
  const err = document.getElementById("error"), out = document.getElementById("out");
  err.textContent = ""; out.textContent = "running...";
  const r = await fetch("sparql", {method: "POST", headers: {"Content-Type": "application/sparql-query",
    "Accept": "application/sparql-results+json, text/turtle"}, body: document.getElementById("q").value});
  const text = await r.text();
  if (!r.ok) { err.textContent = text; out.textContent = ""; return; }
  if (!(r.headers.get("Content-Type") || "").includes("json")) { out.innerHTML = "<pre></pre>"; out.firstChild.textContent = text; return; }
  const data = JSON.parse(text);
  if ("boolean" in data) { out.textContent = String(data.boolean); return; }
  const vars = data.head.vars, table = document.createElement("table"), head = table.insertRow();
  vars.forEach(v => { const th = document.createElement("th"); th.textContent = v; head.appendChild(th); });
  data.results.bindings.forEach(b => { const row = table.insertRow();
    vars.forEach(v => { row.insertCell().textContent = b[v] ? b[v].value : ""; }); });
  out.textContent = data.results.bindings.length + " rows"; out.appendChild(table);
};
</script></body></html>"""


def make_handler(worker: Worker, allow_update: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "kg-sparql/1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet unless asked
            if getattr(self.server, "verbose", False):
                super().log_message(format, *args)

        def _send(self, status: int, content_type: str, body: bytes, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, message: str) -> None:
            self._send(status, "text/plain; charset=utf-8", message.encode())

        def _answer(self, kind: str, text: str | None) -> None:
            if not text:
                return self._error(400, "no query: pass query= (or update=)")
            if kind == "update" and not allow_update:
                return self._error(403, "SPARQL Update is disabled; start kg serve with --allow-update")
            status, content_type, body, *rest = worker.ask(kind, text, self.headers.get("Accept", ""))
            extra = {"X-KG-Results-Truncated": "true"} if rest and rest[0] else None
            self._send(status, content_type, body, extra)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path in ("/", "/index.html"):
                return self._send(200, "text/html; charset=utf-8", PAGE.encode())
            if url.path != "/sparql":
                return self._error(404, "not found: the endpoint is /sparql")
            params = parse_qs(url.query)
            if "update" in params:
                return self._error(405, "SPARQL Update needs POST")
            self._answer("query", (params.get("query") or [None])[0])

        def do_POST(self) -> None:
            if urlparse(self.path).path != "/sparql":
                return self._error(404, "not found: the endpoint is /sparql")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if content_type == "application/sparql-query":
                return self._answer("query", body)
            if content_type == "application/sparql-update":
                return self._answer("update", body)
            params = parse_qs(body)
            if "update" in params:
                return self._answer("update", params["update"][0])
            self._answer("query", (params.get("query") or [None])[0])

        def do_OPTIONS(self) -> None:
            self._send(204, "", b"", {"Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Headers": "Content-Type, Accept"})

    return Handler


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class SparqlServer:
    """The endpoint over `graph` (a kg store, a build output folder or an RDF file).

    Example:
        >>> with SparqlServer(Path("out/"), port=0) as server:  # doctest: +SKIP
        ...     print(server.url)
        http://127.0.0.1:43117/sparql
    """

    def __init__(self, graph: Path, host: str = "127.0.0.1", port: int = 7878, timeout: float = 30.0,
                 max_rows: int = 10000, allow_update: bool = False) -> None:
        from kg.query import StoreLock, is_store
        from kg.store import load_store

        graph = Path(graph)
        if not graph.exists():
            raise KGError(f"{graph}: no such file or folder")
        self._tmp: str | None = None
        self._lock: StoreLock | None = None
        self.thread: threading.Thread | None = None
        try:
            if is_store(graph):  # held for as long as the server runs: no kg load changes it under the server
                self._lock = StoreLock(graph, exclusive=allow_update)
                store_dir = graph
            else:  # a folder or file: serve it from a temporary copy the server owns, removed by close()
                self._tmp = tempfile.mkdtemp(prefix="kg-serve-")
                store_dir = Path(self._tmp) / "store"
                load_store([graph], store_dir)
            self.worker = Worker(ServerSettings(store_dir, timeout, max_rows, allow_update))
            try:
                self.httpd = ThreadingHTTPServer((host, port), make_handler(self.worker, allow_update))
            except OSError as exc:
                raise KGError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/sparql"

    def serve_forever(self) -> None:
        """Serve until Ctrl-C, SIGTERM or SIGHUP, each raising KeyboardInterrupt here, so that the
        caller's `close()` runs and the temporary copy of the graph goes with it."""
        handlers = {}
        if threading.current_thread() is threading.main_thread():
            for name in ("SIGINT", "SIGTERM", "SIGHUP"):  # SIGINT too: a shell starts background jobs with it ignored
                signum = getattr(signal, name, None)
                if signum is not None and not (name == "SIGHUP" and signal.getsignal(signum) == signal.SIG_IGN):  # nohup
                    handlers[signum] = signal.signal(signum, _interrupt)
        try:
            self.httpd.serve_forever()
        finally:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)

    def start(self) -> "SparqlServer":
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def close(self) -> None:
        """Stop serving, end the worker, remove the temporary copy and release the store. Idempotent."""
        if getattr(self, "httpd", None) is not None:
            self.httpd.shutdown() if self.thread else None
            self.httpd.server_close()
            self.httpd = None
        self.worker.close() if hasattr(self, "worker") else None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> "SparqlServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()
