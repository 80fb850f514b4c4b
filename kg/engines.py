"""Where the per-document stages run: in this process (`local`, with `--processes N` spaCy worker
processes), or on a Dask cluster (`dask`), whose workers each load the pipeline once and hand back
the same DocumentResults the build cache stores. The corpus-wide stages always run in the caller.

Dask distributed is the engine because it installs from PyPI as pure Python (no JVM, no 100 MB
wheel), runs a whole cluster on one machine with no network, and is what kg's users already run next
to pandas in their notebooks; its scheduler retries the tasks of a worker that dies.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from kg.documents import log_skip
from kg.errors import ConfigError, KGError, RemoteError, one_line
from kg.model import Document
from kg.resources import Resources
from kg.stages import ENGINES, DocumentPipeline, DocumentResult, Settings

__all__ = ["ENGINES", "Engine", "EngineError", "LocalEngine", "DaskEngine", "make_engine"]


class EngineError(RemoteError):
    """The engine could not run the build (no scheduler, workers lost too often, a worker failing)."""


class Engine(Protocol):
    """Where the per-document stages run: results in the documents' order, then `close`."""

    def process(self, documents: Iterable[Document]) -> Iterator[DocumentResult]: ...

    def close(self) -> None: ...


def _spare_the_collector() -> None:
    """The model's and the data files' objects live as long as the build: gc.freeze() keeps the
    collector from scanning them again and again (about 3% of a build's time otherwise)."""
    import gc

    gc.freeze()


class LocalEngine:
    """The pipeline on this machine; the spaCy model is loaded at the first document to annotate.

    With `processes` > 1 (and where processes can be forked), the whole per-document stage runs in
    that many worker processes forked once the pipeline is loaded (the model's memory shared copy on
    write), each annotating and extracting batches of documents and sending back only their results:
    no spaCy Doc crosses a process boundary, and the extraction after annotation runs in parallel
    too. At most two batches per worker are out at once, results come back in the documents' order.
    """

    def __init__(self, settings: Settings, resources: Resources) -> None:
        self.settings, self.resources = settings, resources
        self.pipeline: DocumentPipeline | None = None

    def process(self, documents: Iterable[Document]) -> Iterator[DocumentResult]:
        import multiprocessing

        forked = self.settings.processes > 1 and "fork" in multiprocessing.get_all_start_methods()
        if self.pipeline is None:
            settings = dataclasses.replace(self.settings, processes=1) if forked else self.settings
            self.pipeline = DocumentPipeline(settings, self.resources)
            _spare_the_collector()
        if not forked:
            return self.pipeline.process(documents)
        return self._forked(documents)

    def _forked(self, documents: Iterable[Document]) -> Iterator[DocumentResult]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        global _FORKED
        on_skip: Callable[[Any], None] = getattr(documents, "on_skip", None) or log_skip
        workers = self.settings.processes
        _FORKED = self.pipeline  # what the forked workers find
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:

            def collect(future: Any, batch: list[Document]) -> tuple[list[Any], list[Any]]:
                try:
                    return future.result()
                except BrokenProcessPool:
                    raise EngineError(
                        f"a worker process died while annotating a batch of {len(batch)} document(s) from {batch[0].id}"
                        " (out of memory?); the build stopped"
                    ) from None

            yield from _in_order(
                documents,
                self.settings.batch_size,
                2 * workers,
                lambda batch: pool.submit(_run_forked, batch),
                collect,
                on_skip,
            )

    def close(self) -> None:
        self.pipeline = None


_FORKED: Any = None  # the pipeline a forked worker inherits


def _in_order(
    documents: Iterable[Document],
    batch_size: int,
    window: int,
    submit: Callable[[list[Document]], Any],
    collect: Callable[[Any, list[Document]], tuple[list[Any], list[Any]]],
    on_skip: Callable[[Any], None],
) -> Iterator[DocumentResult]:
    """Ship `documents` in batches (`submit` returns a future), at most `window` batches in flight,
    and yield each batch's results in document order (`collect` waits for a future: results and the
    documents skipped, which go to `on_skip`). Both engines batch this way."""
    pending: deque[tuple[Any, list[Document]]] = deque()

    def take() -> Iterator[DocumentResult]:
        future, batch = pending.popleft()
        results, skipped = collect(future, batch)
        for skip in skipped:
            on_skip(skip)
        yield from results

    batch: list[Document] = []
    for document in documents:
        batch.append(document)
        if len(batch) >= batch_size:
            pending.append((submit(batch), batch))
            batch = []
            if len(pending) >= window:
                yield from take()
    if batch:
        pending.append((submit(batch), batch))
    while pending:
        yield from take()


def _run_forked(documents: list[Document]) -> tuple[list[Any], list[Any]]:
    from kg.documents import DocumentStream

    skipped: list[Any] = []
    results = list(_FORKED.process(DocumentStream(iter(documents), skipped.append)))
    return results, skipped


# --- Dask ----------------------------------------------------------------------------------------------

_PIPELINES: dict[str, Any] = {}  # on a worker: the pipeline of the build it last served, by token


def run_batch(
    token: str, settings: Settings, resources: Resources, documents: list[Document]
) -> tuple[list[Any], list[Any]]:
    """On a worker: the results of a batch of documents and the documents skipped (with reasons).
    The pipeline (spaCy model and all) is loaded once per worker process and build settings. The
    resources (the client's data files, 150 KB) come with each batch, not scattered once: a batch
    retried on a worker started after another died finds them all the same."""
    from kg.documents import DocumentStream

    _test_worker_exit(documents)
    pipeline = _PIPELINES.get(token)
    if pipeline is None:
        _PIPELINES.clear()
        pipeline = _PIPELINES[token] = DocumentPipeline(settings, resources)
        _spare_the_collector()
    skipped: list[Any] = []
    results = list(pipeline.process(DocumentStream(iter(documents), skipped.append)))
    return results, skipped


def _test_worker_exit(documents: list[Document]) -> None:
    """Tests: KG_TEST_WORKER_EXIT="<document id>|<marker file>" ends the worker process that gets
    that document, once (the marker file says it happened), or every time with "always"."""
    spec = os.environ.get("KG_TEST_WORKER_EXIT")
    if not spec:
        return
    doc_id, _, marker = spec.partition("|")
    if any(d.id == doc_id for d in documents):
        if marker != "always":
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
        os._exit(1)


class DaskEngine:
    """Batches of documents shipped to Dask workers, results taken back in the documents' order.

    `scheduler` is the address of a running scheduler (tcp://HOST:8786); without one a local cluster
    of `workers` processes starts on 127.0.0.1 and stops with the engine. At most `window` batches are
    out at once, so memory stays bounded whatever the corpus size.
    """

    def __init__(
        self,
        settings: Settings,
        resources: Resources,
        scheduler: str | None = None,
        workers: int | None = None,
        batch_documents: int | None = None,
    ) -> None:
        try:
            import distributed
        except ImportError:
            raise EngineError("--engine dask needs Dask distributed: pip install 'kg[dask]'") from None
        self._distributed = distributed
        self.settings = dataclasses.replace(settings, processes=1, engine="local", scheduler=None)
        self.resources = resources
        self.scheduler = scheduler
        self.batch_documents = batch_documents or settings.batch_size
        self.cluster: Any = None
        self.client: Any = None
        quiet = logging.ERROR
        for name in (
            "distributed",
            "distributed.client",
            "distributed.scheduler",
            "distributed.nanny",
            "distributed.worker",
        ):
            logging.getLogger(name).setLevel(quiet)
        try:
            if scheduler:
                self.client = distributed.Client(scheduler, timeout="20s")
            else:
                n = workers or os.cpu_count() or 1
                self.cluster = distributed.LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=quiet,
                )
                self.client = distributed.Client(self.cluster)
        except (OSError, TimeoutError) as exc:
            self.close()
            where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
            raise EngineError(f"cannot reach {where} ({exc.__class__.__name__}: {one_line(exc)})") from None
        threads = sum(self.client.nthreads().values()) or 1
        self.window = max(4, 2 * threads)
        self.token = _token(self.settings, resources)

    def process(self, documents: Iterable[Document]) -> Iterator[DocumentResult]:
        distributed = self._distributed
        on_skip: Callable[[Any], None] = getattr(documents, "on_skip", None) or log_skip

        def submit(batch: list[Document]) -> Any:
            return self.client.submit(
                run_batch, self.token, self.settings, self.resources, batch, pure=False, retries=2
            )

        def collect(future: Any, batch: list[Document]) -> tuple[list[Any], list[Any]]:
            try:
                return future.result()
            except distributed.client.FutureCancelledError as exc:
                raise EngineError(
                    f"the Dask cluster cancelled a batch of documents ({one_line(exc)}); the build stopped"
                ) from None
            except KGError:
                raise
            except Exception as exc:  # noqa: BLE001 - the task's own error (or KilledWorker): one line
                what = (
                    "kept losing its worker"
                    if exc.__class__.__name__ == "KilledWorker"
                    else f"failed on a worker ({exc.__class__.__name__}: {one_line(exc)})"
                )
                raise EngineError(
                    f"a batch of {len(batch)} document(s) from {batch[0].id} {what}, after retries; the build stopped"
                ) from None

        yield from _in_order(documents, self.batch_documents, self.window, submit, collect, on_skip)

    def close(self) -> None:
        client, cluster = getattr(self, "client", None), self.cluster
        self.client = self.cluster = None
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing: nothing left to save
                pass
        if cluster is not None:
            try:
                cluster.close()
            except Exception:  # noqa: BLE001
                pass


def make_engine(settings: Settings, resources: Resources) -> Engine:
    """The engine `settings.engine` names (one of ENGINES; Settings checks it)."""
    if settings.engine == "local":
        return LocalEngine(settings, resources)
    if settings.engine == "dask":
        return DaskEngine(
            settings, resources, settings.scheduler, settings.processes if settings.processes > 1 else None
        )
    raise ConfigError(f"unknown engine {settings.engine!r}; use one of: {', '.join(ENGINES)}")


def _token(settings: Settings, resources: Resources) -> str:
    import pickle

    return hashlib.sha256(repr(settings).encode() + pickle.dumps(resources)).hexdigest()[:32]
