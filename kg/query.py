"""SPARQL over a built graph: a build output folder, an RDF file or an on-disk kg store.

Queries run on Oxigraph (pyoxigraph): in memory for folders and files, on disk (RocksDB) for a
store made by `kg load` or `kg build --store`. The kg prefixes are predeclared. The formats
results are written in are in `kg.results` (the `result_formats` registry); `kg.workers` runs a
query in a process of its own, bounded in time and memory.

Example:
    >>> store = open_graph("out/")  # doctest: +SKIP
    >>> result = run_query(store, "SELECT ?name WHERE { ?p a kg:Person ; rdfs:label ?name }")  # doctest: +SKIP
    >>> print(format_result(result, "table"))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

try:
    import fcntl
except ImportError:  # not on Windows: there only RocksDB's own lock on writers applies
    fcntl = None  # type: ignore[assignment]

from kg.errors import InputError, QueryError, StoreError
from kg.export.vocab import PREFIXES
from kg.resources import DEFAULT_DATA_DIR
from kg.results import QueryResult, format_result, results_json, short
from kg.sparql_scan import scan

__all__ = [
    "QueryError",
    "QueryResult",
    "format_result",
    "results_json",
    "open_graph",
    "read_query",
    "run_query",
    "sparql",
]

QUERY_DIR = DEFAULT_DATA_DIR / "queries"
STORE_MARKER = "kg-store.json"
STORE_LOCK = "kg-store.lock"
_ORPHAN = re.compile(r"bulk-\d+\.sst")  # Oxigraph's bulk loader's files, moved into the database when a load completes
FILE_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".n3": ox.RdfFormat.N3,
}
BUILD_FILES = ("graph.nt", "graph.ttl", "graph.trig", "graph.jsonld")
_AT = re.compile(r"error at (\d+):(\d+): ?")
_FILE_AT = re.compile(r"(?:Parser )?error at line (\d+) column (\d+): ?|\s*\([^()]*, line \d+\)$")


def is_store(path: Path) -> bool:
    return (Path(path) / STORE_MARKER).exists()


def open_store(path: Path, read_only: bool = False) -> ox.Store:
    """Open an on-disk store; a store another process holds gives a one-line StoreError.

    Opened for writing, the store is the only writer (RocksDB's lock), so the files of a bulk load
    that was killed half-way (`bulk-*.sst`, as large as the data) are removed.
    """
    try:
        store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
    except OSError as exc:
        reason = str(exc).splitlines()[0]
        if "lock" in reason.lower():
            raise StoreError(_locked(path)) from None
        raise StoreError(f"{path}: cannot open the store ({reason})") from None
    if not read_only:
        for orphan in Path(path).iterdir():
            if _ORPHAN.fullmatch(orphan.name) and orphan.is_file():
                orphan.unlink(missing_ok=True)
    return store


def _locked(path: Path) -> str:
    return f"{path}: the store is locked by another process (a running kg serve or kg load)"


class StoreLock:
    """kg's hold on a store folder, kept until `release()` or the end of the process (flock).

    Shared for a reader that must not see the store change under it (kg serve), exclusive for a
    writer (kg load, kg build --store, kg serve --allow-update): a writer is refused while anyone
    holds the store, and a reader while a writer does, with `Error: DIR: the store is locked by
    another process`. Oxigraph's read-only opening takes no lock of its own, so without this a
    load went through under a running server, which kept answering the old graph.

    Example:
        >>> with StoreLock(Path("kg-store/"), exclusive=True):  # doctest: +SKIP
        ...     store = open_store(Path("kg-store/"))
    """

    def __init__(self, path: Path, exclusive: bool) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        if fcntl is None:
            return
        file = self.path / STORE_LOCK
        try:
            fd = os.open(file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            if exclusive or not self.path.is_dir():
                raise StoreError(f"{self.path}: cannot lock the store ({exc.strerror})") from None
            try:  # a store this user may only read: a shared hold through a read-only handle
                fd = os.open(file, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return  # no lock file and no right to make one: this user cannot load into it either
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreError(_locked(self.path)) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the handle drops the lock
            self._fd = None

    def __enter__(self) -> StoreLock:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def load_file(store: ox.Store, path: Path) -> None:
    """Load an RDF file into `store`; a syntax error names the file, line and column."""
    fmt = FILE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unknown RDF file type {path.suffix or '(none)'}; use one of {', '.join(sorted(FILE_FORMATS))}"
        )
    try:
        store.bulk_load(path=str(path), format=fmt)
    except SyntaxError as exc:
        message = str(exc).splitlines()[0]
        at = _FILE_AT.search(message)
        where = f":{at.group(1)}:{at.group(2)}" if at and at.group(1) else ""
        raise InputError(f"{path}{where}: not valid {path.suffix[1:]} ({_FILE_AT.sub('', message).strip()})") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot load ({str(exc).splitlines()[0]})") from None


def graph_file(folder: Path) -> Path | None:
    return next((folder / name for name in BUILD_FILES if (folder / name).exists()), None)


def open_graph(path: str | Path, read_only: bool = True) -> ox.Store:
    """The graph at `path` as a queryable store: a kg store, a build output folder or an RDF file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir() and is_store(path):
        return open_store(path, read_only=read_only)
    file = graph_file(path) if path.is_dir() else path
    if file is None:
        raise InputError(f"{path}: neither a kg store nor a build output folder (no {' or '.join(BUILD_FILES)})")
    store = ox.Store()
    load_file(store, file)
    return store


def examples() -> list[tuple[str, str]]:
    """The example queries in data/queries/: (name, the first line of its leading comment).

    Example:
        >>> ("roles", "Which person or organisation holds which role (titles and functional roles).") in examples()
        True
    """
    found = []
    for path in sorted(QUERY_DIR.glob("*.rq")):
        first = path.read_text(encoding="utf-8").splitlines()[:1]
        found.append((path.stem, first[0].lstrip("#").strip() if first and first[0].startswith("#") else ""))
    return found


def read_query(text_or_path: str) -> str:
    """A query given inline, as a .rq file, or by the name of a query in data/queries/.

    A single word that names no example is an error (no query is one word long).
    """
    candidate = Path(text_or_path)
    if text_or_path.endswith(".rq"):
        if not candidate.exists() and (QUERY_DIR / candidate.name).exists():
            candidate = QUERY_DIR / candidate.name
        try:
            return candidate.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise QueryError(f"{candidate}: no such query file (the examples are in data/queries/)") from None
    if re.fullmatch(r"[\w-]+", text_or_path) and (QUERY_DIR / f"{text_or_path}.rq").exists():
        return (QUERY_DIR / f"{text_or_path}.rq").read_text(encoding="utf-8")
    if re.fullmatch(r"[\w-]+", text_or_path.strip()):
        raise QueryError(f"no example query {text_or_path.strip()!r}; see kg query --list")
    return text_or_path


def _literal(value: str) -> ox.Literal | ox.NamedNode:
    return ox.NamedNode(value[1:-1]) if value.startswith("<") and value.endswith(">") else ox.Literal(value)


def run_query(
    store: ox.Store,
    query: str,
    bindings: dict[str, str] | None = None,
    limit: int = 0,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> QueryResult:
    """Run a SPARQL query with the kg prefixes predeclared; `bindings` fix variables (VALUES-like).

    `limit` caps the rows kept (0: no cap); the result says whether it was cut. `default_graphs`
    and `named_graphs` (IRIs) set the dataset, as the protocol's default-graph-uri and
    named-graph-uri do. An update (INSERT, DELETE ...) is a QueryError that says so.
    """
    substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
        ox.Variable(k): _literal(v) for k, v in (bindings or {}).items()
    }
    dataset: dict[str, Any] = {}
    try:
        if default_graphs:
            dataset["default_graph"] = [ox.NamedNode(iri) for iri in default_graphs]
        if named_graphs:
            dataset["named_graphs"] = [ox.NamedNode(iri) for iri in named_graphs]
    except ValueError as exc:
        raise QueryError(f"not a valid graph IRI ({exc})") from None
    try:
        result = store.query(query, prefixes=PREFIXES, substitutions=substitutions or None, **dataset)
    except SyntaxError as exc:
        form = scan(query).form
        if form is not None and scan(query).is_update:
            raise QueryError(
                f"this is a SPARQL Update ({form}), not a query; kg query and a read-only kg serve run queries only"
            ) from None
        message = str(exc).splitlines()[0]
        at = _AT.search(message)
        where = f" at line {at.group(1)}, column {at.group(2)}" if at else ""
        raise QueryError(f"malformed query{where}: {_AT.sub('', message)}") from None
    except OSError as exc:
        raise QueryError(f"query failed: {str(exc).splitlines()[0]}") from None
    if isinstance(result, ox.QueryBoolean):
        return QueryResult("ask", [], [], bool(result))
    if isinstance(result, ox.QuerySolutions):
        variables = [v.value for v in result.variables]
        rows, truncated = _take((tuple(s[v] for v in variables) for s in result), limit)
        return QueryResult("select", variables, rows, truncated=truncated)
    rows, truncated = _take(((t.subject, t.predicate, t.object) for t in result), limit)
    return QueryResult("graph", ["subject", "predicate", "object"], rows, truncated=truncated)


def _take(rows: Iterator[tuple[Any, ...]], limit: int) -> tuple[list[tuple[Any, ...]], bool]:
    """The first `limit` rows (all with 0), and whether there were more."""
    kept: list[tuple[Any, ...]] = []
    for row in rows:
        if limit and len(kept) >= limit:
            return kept, True
        kept.append(row)
    return kept, False


def sparql(graph: Any, query: str, **bindings: str) -> list[dict[str, Any]]:
    """Rows of a SELECT as dictionaries of plain Python values (for pandas); ASK gives [{"answer": bool}].

    `graph` is a KnowledgeGraph or the path of a build folder, RDF file or store; `query` is the
    text, a .rq file or the name of an example query; `bindings` fix variables.

    Example:
        >>> rows = sparql(graph, "who_met_whom", name="Joe Biden")  # doctest: +SKIP
        >>> pandas.DataFrame(rows)  # doctest: +SKIP
    """
    if hasattr(graph, "entities"):  # a KnowledgeGraph: load its triples into an in-memory store
        from kg.export.rdf import serialize

        store = ox.Store()
        store.load(serialize(graph, "nt"), format=ox.RdfFormat.N_TRIPLES)
    else:
        store = open_graph(graph)
    result = run_query(store, read_query(query), bindings)
    if result.kind == "ask":
        return [{"answer": result.boolean}]
    return [{v: _python(t) for v, t in zip(result.variables, row)} for row in result.rows]


def _python(term: Any) -> Any:
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value.rsplit("#", 1)[-1] if term.datatype else ""
        if datatype in ("integer", "int", "long"):
            return int(term.value)
        if datatype in ("decimal", "double", "float"):
            return float(term.value)
        return term.value
    return short(term)
