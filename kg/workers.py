"""Queries in worker processes, bounded in time and in memory.

Oxigraph cannot interrupt a running query, and a query's memory (an ORDER BY over a cross
product) grows until the machine swaps. So a query runs in a process of its own that owns the
store: its address space is capped (RLIMIT_AS: what the opened store took plus `max_memory`),
so a runaway allocation ends that process alone, and a query past the timeout is ended by
killing it. A fresh worker then takes over. `kg serve` keeps a pool of them (`--workers`), so a
crash or a slow query never takes the other queries with it; `kg query` runs one.

Example:
    >>> request = Request("query", "ASK { ?s ?p ?o }", fmt="json")  # doctest: +SKIP
    >>> reply = run_bounded(Path("out/"), request, timeout=60)  # doctest: +SKIP
    >>> reply.status, reply.body  # doctest: +SKIP
    (200, b'{"head": {}, "boolean": true}')
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg import errors

MB = 1 << 20
TEXT = "text/plain; charset=utf-8"
START_SECONDS = 120  # a worker opening a large store on a busy machine


@dataclass
class Request:
    """One query or update for a worker. `fmt` names a result format; without it, `accept` (an
    HTTP Accept header) chooses one. `default_graphs`/`named_graphs` are the protocol's dataset."""

    kind: str  # "query" or "update"
    text: str
    fmt: str | None = None
    accept: str | None = None
    bindings: dict[str, str] = field(default_factory=dict)
    limit: int = 0
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)


@dataclass
class Reply:
    """A worker's answer, in HTTP terms: 200 with a body, 204 for an update, 400 for a bad query,
    406 when no acceptable format carries the result, 503 past a limit, 500 on a failure."""

    status: int
    body: bytes
    content_type: str = TEXT
    truncated: bool = False

    @property
    def message(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class Limits:
    """Seconds and megabytes (0: no memory cap) a query may take."""

    timeout: float = 30.0
    max_memory: int = 2048

    def timeout_message(self) -> str:
        return f"the query was stopped after {self.timeout:g} s (the limit set by --timeout)"

    def memory_message(self) -> str:
        return f"the query was stopped: it needed more than {self.max_memory:,} MB (the limit set by --max-memory)"


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _cap_memory(max_memory: int) -> None:
    """Cap this process's address space at what it holds now plus `max_memory` MB."""
    import resource

    if max_memory and os.path.exists("/proc/self/status"):
        limit = _address_space() + max_memory * MB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _main(graph: str, writable: bool, max_memory: int, conn: Any) -> None:
    """The worker process: open the graph, cap the memory, answer requests until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from kg.query import is_store, open_graph, open_store

    try:
        path = Path(graph)
        store = open_store(path, read_only=not writable) if is_store(path) else open_graph(path)
        store.query("ASK { ?s ?p ?o }")  # what a first query loads is part of the baseline
        _cap_memory(max_memory)
    except errors.KGError as exc:
        conn.send(("failed", type(exc).__name__, str(exc)))
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # Rust's "memory allocation failed" lines: the parent reports the stop in one line
    conn.send(("ready", "", ""))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = answer(store, request)
        except MemoryError:
            conn.send(Reply(503, b"memory"))
            return  # a fresh worker, not one whose heap is in pieces
        conn.send(reply)


def answer(store: Any, request: Request) -> Reply:
    """Run `request` on `store` and render the result (in the worker)."""
    from kg import registry
    from kg.export.vocab import PREFIXES
    from kg.protocol import negotiate
    from kg.query import run_query
    from kg.sparql_scan import scan

    try:
        if request.kind == "update":
            store.update(request.text, prefixes=PREFIXES)
            store.flush()
            return Reply(204, b"")
        result = run_query(
            store, request.text, request.bindings, request.limit, request.default_graphs, request.named_graphs
        )
        if request.fmt:
            from kg.results import format_result

            body, content_type = (
                format_result(result, request.fmt),
                registry.get(registry.result_formats, request.fmt, "format").content_type,
            )
        else:
            chosen = negotiate(request.accept, result.kind)
            if chosen is None:
                from kg.results import formats_for

                offered = ", ".join(m for f in formats_for(result.kind) for m in f.media_types)
                kind = {"graph": "a graph", "ask": "an ASK"}.get(result.kind, "a SELECT")
                return Reply(
                    406,
                    f"no acceptable format for {kind} result (Accept: {request.accept}); "
                    f"use one of: {offered}".encode(),
                )
            body, content_type = chosen.write(result), chosen.content_type
        return Reply(200, body.encode("utf-8"), content_type, result.truncated)
    except errors.KGError as exc:
        return Reply(400, errors.one_line(exc).encode())
    except SyntaxError as exc:  # an update's syntax
        return Reply(400, f"malformed update: {errors.one_line(exc)}".encode())
    except (OSError, ValueError, RuntimeError) as exc:
        if scan(request.text).remotes:  # never echo what another server answered (it may hold secrets)
            return Reply(502, b"a SERVICE or LOAD call to another server failed; its answer is not shown")
        return Reply(500, f"query failed: {errors.one_line(exc)}".encode())


class Worker:
    """One worker process and the pipe to it."""

    def __init__(self, graph: Path, limits: Limits, writable: bool = False, start: str = "spawn") -> None:
        self.graph, self.limits, self.writable = Path(graph), limits, writable
        context = mp.get_context(start)
        self.conn, theirs = context.Pipe()
        self.process = context.Process(  # type: ignore[attr-defined]
            target=_main, args=(str(graph), writable, limits.max_memory, theirs), daemon=True
        )
        self.process.start()
        theirs.close()

    def wait_ready(self, seconds: float | None = START_SECONDS) -> None:
        """Wait until the worker has opened the graph (at most `seconds`; None: as long as loading
        takes, the worker's end being seen as the pipe's); raise its error (a KGError) if it could not."""
        try:
            if not self.conn.poll(seconds):
                raise EOFError
            status, kind, message = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            raise errors.StoreError(f"{self.graph}: the query worker did not start") from None
        if status != "ready":
            self.kill()
            raise getattr(errors, kind, errors.KGError)(message)

    def ask(self, request: Request) -> tuple[Reply, bool]:
        """The worker's reply and whether the worker is still usable (False: it was stopped)."""
        try:
            self.conn.send(request)
            if self.conn.poll(self.limits.timeout):
                reply = self.conn.recv()
                if reply.status == 503 and reply.body == b"memory":
                    self.kill()
                    return Reply(503, self.limits.memory_message().encode()), False
                return reply, True
            self.kill()
            return Reply(503, self.limits.timeout_message().encode()), False
        except (EOFError, OSError):
            self.process.join(5)
            code = self.process.exitcode
            self.kill()
            if code in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGKILL) and self.limits.max_memory:
                return Reply(503, self.limits.memory_message().encode()), False
            return Reply(
                500, f"the query worker stopped (exit code {code}); the query was not answered".encode()
            ), False

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def run_bounded(graph: Path, request: Request, limits: Limits) -> Reply:
    """Run one request on `graph` in a worker of its own, within `limits`.

    Raises the worker's KGError when the graph cannot be opened. A process with no other thread
    (the kg command) forks the worker, which then needs no second import of kg (about a second).
    """
    forkable = "fork" in mp.get_all_start_methods() and threading.active_count() == 1
    worker = Worker(graph, limits, start="fork" if forkable else "spawn")
    try:
        worker.wait_ready(None)  # a large RDF file takes its time to load; the limits bound the query
        return worker.ask(request)[0]
    finally:
        worker.kill()


class WorkerPool:
    """`size` workers over one store; a request takes an idle one, and a stopped one is replaced
    in the background. Requests wait for a worker at most `limits.timeout` seconds."""

    def __init__(self, graph: Path, size: int, limits: Limits, writable: bool = False) -> None:
        self.graph, self.limits, self.writable = Path(graph), limits, writable
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.size = size
        self.closed = False
        self._all: set[Worker] = set()
        self._lock = threading.Lock()
        started = [Worker(graph, limits, writable) for _ in range(size)]
        try:
            for worker in started:
                worker.wait_ready()
        except BaseException:
            for worker in started:
                worker.kill()
            raise
        for worker in started:
            self._all.add(worker)
            self.idle.put(worker)

    def ask(self, request: Request) -> Reply:
        try:
            worker = self.idle.get(timeout=self.limits.timeout)
        except queue.Empty:
            return Reply(
                503,
                f"all {self.size} query workers stayed busy for {self.limits.timeout:g} s; try again later".encode(),
            )
        reply, usable = worker.ask(request)
        if usable:
            self.idle.put(worker)
        else:
            with self._lock:
                self._all.discard(worker)
            threading.Thread(target=self._replace, daemon=True).start()
        return reply

    def _replace(self) -> None:
        if self.closed:
            return
        worker = Worker(self.graph, self.limits, self.writable)
        try:
            worker.wait_ready()
        except errors.KGError:
            return  # the store went away; the pool answers with the workers it has left
        with self._lock:
            if self.closed:
                worker.kill()
                return
            self._all.add(worker)
        self.idle.put(worker)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.kill()
