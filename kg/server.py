"""kg serve: a SPARQL 1.1 Protocol endpoint over a graph, read-only unless told otherwise.

The HTTP layer is ours, on the standard library's threading server; the queries run in a pool of
worker processes (`kg.workers`), each bounded in time and memory, so a slow or runaway query
stops alone and its neighbours are answered. Safe by default for an analyst's machine: no CORS
header unless `--cors ORIGIN`; a Host header that names another site (DNS rebinding) refused;
SERVICE and LOAD refused unless `--allow-federation HOST`; updates only with `--allow-update`, and
then never from a page of another origin; request bodies capped (`--max-body`); a client that
stops sending is dropped after `request_timeout` seconds.

Why not the Oxigraph server (`oxigraph serve-read-only`, installed with the tests) behind it:
it has no row limit, no per-query memory cap, no list of allowed CORS origins or SERVICE hosts
and no kg prefixes, and a runaway query there holds the one process that serves everyone. What it
does better, writing the RDF formats, we take from pyoxigraph (`kg.results`).
"""

from __future__ import annotations

import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from kg.errors import ConfigError, InputError, one_line
from kg.protocol import host_allowed, negotiate, same_origin, service_description
from kg.results import QueryResult, formats_for
from kg.sparql_scan import scan
from kg.workers import Limits, Reply, Request, WorkerPool

MB = 1 << 20
TEXT = "text/plain; charset=utf-8"
QUERY_PARAMS = ("query", "default-graph-uri", "named-graph-uri")
UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")


@dataclass(frozen=True)
class ServerSettings:
    """What `kg serve` allows. Origins are `scheme://host[:port]`; `*` in `cors` allows every origin."""

    host: str = "127.0.0.1"
    port: int = 7878
    timeout: float = 30.0
    max_rows: int = 10000
    max_memory: int = 2048
    workers: int = 2
    allow_update: bool = False
    cors: tuple[str, ...] = ()
    allow_federation: tuple[str, ...] = ()
    allow_hosts: tuple[str, ...] = ()
    max_body: int = 16 * MB
    request_timeout: float = 30.0

    def cors_allows(self, origin: str | None) -> bool:
        if not origin:
            return False
        return "*" in self.cors or origin.rstrip("/").lower() in {o.rstrip("/").lower() for o in self.cors}


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
  if (!(r.headers.get("Content-Type") || "").includes("json")) {
    out.innerHTML = "<pre></pre>"; out.firstChild.textContent = text; return;
  }
  const data = JSON.parse(text);
  if ("boolean" in data) { out.textContent = String(data.boolean); return; }
  const vars = data.head.vars, table = document.createElement("table"), head = table.insertRow();
  vars.forEach(v => { const th = document.createElement("th"); th.textContent = v; head.appendChild(th); });
  data.results.bindings.forEach(b => { const row = table.insertRow();
    vars.forEach(v => { row.insertCell().textContent = b[v] ? b[v].value : ""; }); });
  out.textContent = data.results.bindings.length + " rows"; out.appendChild(table);
};
</script></body></html>"""


class HttpError(Exception):
    """A request refused before it reaches a worker: its status and one-line reason."""

    def __init__(self, status: int, message: str, close: bool = False) -> None:
        super().__init__(message)
        self.status, self.message, self.close = status, message, close


def refuse_remote_calls(text: str, allowed_hosts: tuple[str, ...]) -> None:
    """Raise a 403 HttpError when `text` calls (SERVICE, LOAD) a server not in `allowed_hosts`."""
    allowed = {h.lower() for h in allowed_hosts}
    for remote in scan(text).remotes:
        if remote.host is None or remote.host not in allowed:
            target = f"<{remote.target}>" if remote.target else "a server named by a variable or an unknown prefix"
            hint = (
                f"start kg serve with --allow-federation {remote.host}"
                if remote.host
                else "name the server by its full http(s) IRI and allow it with --allow-federation HOST"
            )
            raise HttpError(
                403, f"{remote.keyword} {target} is refused: kg serve calls other servers only when told ({hint})"
            )


def make_handler(pool: WorkerPool, settings: ServerSettings) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "kg-sparql/2"
        protocol_version = "HTTP/1.1"  # keep-alive: a client's next query skips the TCP handshake
        timeout = settings.request_timeout  # a client that stops sending is dropped, not waited for
        disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms wait on a kept-alive connection

        def log_message(self, format: str, *args: Any) -> None:  # quiet unless asked
            if getattr(self.server, "verbose", False):
                super().log_message(format, *args)

        def handle(self) -> None:
            try:
                super().handle()
            except (ConnectionError, TimeoutError):
                self.close_connection = True  # the client went away or stalled: nothing to log

        def handle_expect_100(self) -> bool:
            """A client that asks before sending a body (curl does for large ones) learns of a refusal first."""
            try:
                self._check()
                self._length()
            except HttpError as error:
                self._send(error.status, TEXT, error.message.encode(), close=True)
                return False
            return super().handle_expect_100()

        # ---- answers

        def _send(
            self, status: int, content_type: str, body: bytes, extra: dict[str, str] | None = None, close: bool = False
        ) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if urlsplit(self.path).path == "/sparql":
                self.send_header("Vary", "Accept, Origin" if settings.cors else "Accept")
            origin = self.headers.get("Origin")
            if origin and settings.cors_allows(origin):
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Access-Control-Expose-Headers", "X-KG-Results-Truncated")
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _refuse(self, error: HttpError) -> None:
            self._send(error.status, TEXT, error.message.encode(), close=error.close)
            if error.close:
                self._linger()

        def _linger(self) -> None:
            """Stop writing, then read what the client still sends for a moment, so that it gets
            the answer instead of a reset (closing with unread data resets the connection)."""
            try:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)
                self.connection.settimeout(0.5)
                until = time.monotonic() + 2
                while time.monotonic() < until and self.connection.recv(1 << 16):
                    pass
            except OSError:
                pass

        def _reply(self, reply: Reply) -> None:
            extra = {"X-KG-Results-Truncated": "true"} if reply.truncated else {}
            if reply.status == 503:
                extra["Retry-After"] = "1"
            self._send(reply.status, reply.content_type if reply.status < 400 else TEXT, reply.body, extra)

        # ---- checks

        def _check(self) -> str:
            """The request's path once its Host is known to be this server's; raises HttpError."""
            host = self.headers.get("Host")
            if host is not None and not host_allowed(host, settings.host, settings.allow_hosts):
                raise HttpError(
                    400,
                    f"Host {host!r} is not this server's name; a server reached under another name "
                    f"is started with --allow-host NAME",
                    close=True,
                )
            return urlsplit(self.path).path

        def _length(self) -> int:
            raw = self.headers.get("Content-Length")
            if raw is None:
                raise HttpError(411, "a POST needs a Content-Length header", close=True)
            if not raw.strip().isdigit():
                raise HttpError(400, f"Content-Length {raw!r} is not a number of bytes", close=True)
            length = int(raw)
            if length > settings.max_body:
                raise HttpError(
                    413,
                    f"the request body ({length:,} bytes) is larger than the server takes "
                    f"({settings.max_body:,} bytes, --max-body)",
                    close=True,
                )
            return length

        def _body(self) -> bytes:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                raise HttpError(411, "a chunked body is not accepted; send Content-Length", close=True)
            length = self._length()
            body = self.rfile.read(length)  # the socket's timeout bounds a client that sends less
            if len(body) < length:
                raise HttpError(400, "the request body is shorter than its Content-Length", close=True)
            return body

        def _params(self, text: str) -> dict[str, list[str]]:
            try:
                return parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict")
            except (UnicodeDecodeError, ValueError):
                raise HttpError(400, "the parameters are not valid percent-encoded UTF-8") from None

        # ---- the protocol

        def _dispatch(self, params: dict[str, list[str]], direct: tuple[str, str] | None = None) -> None:
            """Answer a query or update given by `params` (or `direct`: kind and text of a body)."""
            for name in ("query", "update"):
                if len(params.get(name, [])) > 1:
                    raise HttpError(400, f"more than one {name} parameter")
            kind, text = direct or (
                ("update", params["update"][0]) if "update" in params else ("query", (params.get("query") or [""])[0])
            )
            if "query" in params and "update" in params:
                raise HttpError(400, "a request is either a query or an update, not both")
            if not text.strip():
                raise HttpError(400, "no query: pass query= (or update=)")
            if kind == "update":
                return self._update(text, params)
            stray = [p for p in UPDATE_PARAMS[1:] if p in params]
            if stray:
                raise HttpError(400, f"{stray[0]} belongs to an update, not a query")
            refuse_remote_calls(text, settings.allow_federation)
            accept = self.headers.get("Accept")
            if negotiate(accept, "select") is None and negotiate(accept, "graph") is None:  # no need to run it
                raise HttpError(
                    406,
                    f"no result format is acceptable (Accept: {accept}); kg serve writes "
                    f"{', '.join(m for kind in ('select', 'graph') for f in formats_for(kind) for m in f.media_types)}",
                )
            request = Request(
                "query",
                text,
                accept=self.headers.get("Accept"),
                limit=settings.max_rows,
                default_graphs=params.get("default-graph-uri", []),
                named_graphs=params.get("named-graph-uri", []),
            )
            self._reply(pool.ask(request))

        def _update(self, text: str, params: dict[str, list[str]]) -> None:
            if not settings.allow_update:
                raise HttpError(403, "SPARQL Update is disabled; start kg serve with --allow-update")
            origin = self.headers.get("Origin")
            if origin and not same_origin(origin, self.headers.get("Host") or "") and not settings.cors_allows(origin):
                raise HttpError(
                    403,
                    f"an update from the page of another origin ({origin}) is refused; allow it with --cors {origin}",
                )
            dataset = [
                p
                for p in ("using-graph-uri", "using-named-graph-uri", "default-graph-uri", "named-graph-uri")
                if p in params
            ]
            if dataset:
                raise HttpError(
                    400,
                    f"{dataset[0]} is not supported for updates by kg serve; name the graphs in the update (WITH, "
                    "USING)",
                )
            refuse_remote_calls(text, settings.allow_federation)
            self._reply(pool.ask(Request("update", text)))

        def _service_description(self) -> None:
            fmt = negotiate(self.headers.get("Accept"), "graph")
            if fmt is None:
                offered = ", ".join(m for f in formats_for("graph") for m in f.media_types)
                raise HttpError(406, f"the service description is RDF; accept one of: {offered}")
            host, port = cast(tuple[str, int], self.server.server_address)[:2]
            endpoint = f"http://{self.headers.get('Host') or f'{host}:{port}'}/sparql"
            triples = service_description(endpoint, settings.allow_update, bool(settings.allow_federation))
            result = QueryResult("graph", [], [(t.subject, t.predicate, t.object) for t in triples])
            self._send(200, fmt.content_type, fmt.write(result).encode())

        def _run(self, method: Any) -> None:
            try:
                method()
            except HttpError as error:
                self._refuse(error)

        def do_GET(self) -> None:
            self._run(self._get)

        def do_HEAD(self) -> None:
            self._run(self._get)

        def do_POST(self) -> None:
            self._run(self._post)

        def do_OPTIONS(self) -> None:
            self._run(self._options)

        def _get(self) -> None:
            path = self._check()
            if path in ("/", "/index.html"):
                return self._send(200, "text/html; charset=utf-8", PAGE.encode())
            if path != "/sparql":
                raise HttpError(404, "not found: the endpoint is /sparql")
            params = self._params(urlsplit(self.path).query)
            if "update" in params:
                raise HttpError(405, "SPARQL Update needs POST")
            if "query" not in params:
                return self._service_description()
            self._dispatch(params)

        def _post(self) -> None:
            path = self._check()
            if path != "/sparql":
                raise HttpError(404, "not found: the endpoint is /sparql", close=True)
            body = self._body()
            params = self._params(urlsplit(self.path).query)
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if content_type in ("application/sparql-query", "application/sparql-update"):
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    raise HttpError(400, "the body is not UTF-8") from None
                return self._dispatch(params, ("query" if content_type.endswith("query") else "update", text))
            if content_type != "application/x-www-form-urlencoded":
                raise HttpError(
                    415,
                    f"Content-Type {content_type or '(none)'!r} is not accepted; use application/sparql-query, "
                    "application/sparql-update or application/x-www-form-urlencoded",
                )
            form = self._params(body.decode("latin-1"))
            for name, values in form.items():
                params.setdefault(name, []).extend(values)
            self._dispatch(params)

        def _options(self) -> None:
            self._check()
            extra = {"Allow": "GET, HEAD, POST, OPTIONS"}
            if settings.cors_allows(self.headers.get("Origin")):
                extra |= {
                    "Access-Control-Allow-Methods": "GET, POST",
                    "Access-Control-Allow-Headers": "Content-Type, Accept",
                    "Access-Control-Max-Age": "600",
                }
            self._send(204, "", b"", extra)

    return Handler


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # connections the kernel holds while every thread is busy (5 by default)
    verbose = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # a client that went away: not the server's failure
        problem = f"{type(exc).__name__}: {one_line(exc)}" if exc is not None else "unknown error"
        print(f"kg serve: error answering {client_address[0]}: {problem}", file=sys.stderr)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class SparqlServer:
    """The endpoint over `graph` (a kg store, a build output folder or an RDF file).

    Keyword options are those of `ServerSettings` (`port`, `timeout`, `max_rows`, `max_memory`,
    `workers`, `allow_update`, `cors`, `allow_federation`, `allow_hosts`, `max_body`,
    `request_timeout`).

    Example:
        >>> with SparqlServer(Path("out/"), port=0) as server:  # doctest: +SKIP
        ...     print(server.url)
        http://127.0.0.1:43117/sparql
    """

    def __init__(self, graph: Path, **options: Any) -> None:
        from kg.query import StoreLock, is_store
        from kg.store import load_store

        settings = ServerSettings(**options)
        if settings.allow_update and settings.workers != 1:  # one process may write the store
            settings = ServerSettings(**{**options, "workers": 1})
        self.settings = settings
        graph = Path(graph)
        if not graph.exists():
            raise InputError(f"{graph}: no such file or folder")
        self._tmp: str | None = None
        self._lock: StoreLock | None = None
        self.thread: threading.Thread | None = None
        self.httpd: _HTTPServer | None = None
        self.pool: WorkerPool | None = None
        try:
            if is_store(graph):  # held for as long as the server runs: no kg load changes it under the server
                self._lock = StoreLock(graph, exclusive=settings.allow_update)
                store_dir = graph
            else:  # a folder or file: serve it from a temporary copy the server owns, removed by close()
                self._tmp = tempfile.mkdtemp(prefix="kg-serve-")
                store_dir = Path(self._tmp) / "store"
                load_store([graph], store_dir)
            limits = Limits(settings.timeout, settings.max_memory)
            self.pool = WorkerPool(store_dir, settings.workers, limits, writable=settings.allow_update)
            try:
                self.httpd = _HTTPServer((settings.host, settings.port), make_handler(self.pool, settings))
            except OSError as exc:
                raise ConfigError(f"cannot listen on {settings.host}:{settings.port} ({exc.strerror})") from None
        except BaseException:
            self.close()
            raise

    @property
    def _server(self) -> _HTTPServer:
        if self.httpd is None:
            raise ConfigError("the server is closed")
        return self.httpd

    @property
    def url(self) -> str:
        host, port = cast(tuple[str, int], self._server.server_address)[:2]
        return f"http://{host}:{port}/sparql"

    def serve_forever(self) -> None:
        """Serve until Ctrl-C, SIGTERM or SIGHUP, each raising KeyboardInterrupt here, so that the
        caller's `close()` runs and the temporary copy of the graph goes with it."""
        handlers = {}
        if threading.current_thread() is threading.main_thread():
            for name in ("SIGINT", "SIGTERM", "SIGHUP"):  # SIGINT too: a shell starts background jobs with it ignored
                signum = getattr(signal, name, None)
                if signum is not None and not (
                    name == "SIGHUP" and signal.getsignal(signum) == signal.SIG_IGN
                ):  # nohup
                    handlers[signum] = signal.signal(signum, _interrupt)
        try:
            self._server.serve_forever()
        finally:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)

    def start(self) -> SparqlServer:
        self.thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def close(self) -> None:
        """Stop serving, end the workers, remove the temporary copy and release the store. Idempotent."""
        if self.httpd is not None:
            self.httpd.shutdown() if self.thread else None
            self.httpd.server_close()
            self.httpd = None
        if self.pool is not None:
            self.pool.close()
            self.pool = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> SparqlServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()
