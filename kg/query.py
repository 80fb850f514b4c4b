"""SPARQL over a built graph: a build output folder, an RDF file or an on-disk kg store.

Queries run on Oxigraph (pyoxigraph): in memory for folders and files, on disk (RocksDB) for a
store made by `kg load` or `kg build --store`. The kg prefixes are predeclared.

Example:
    >>> store = open_graph("out/")  # doctest: +SKIP
    >>> result = run_query(store, "SELECT ?name WHERE { ?p a kg:Person ; rdfs:label ?name }")  # doctest: +SKIP
    >>> print(format_result(result, "table"))  # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pyoxigraph as ox

try:
    import fcntl
except ImportError:  # not on Windows: there only RocksDB's own lock on writers applies
    fcntl = None  # type: ignore[assignment]

from kg.errors import KGError
from kg.export.vocab import DEFAULT_BASE, PREFIXES
from kg.resources import DEFAULT_DATA_DIR

QUERY_DIR = DEFAULT_DATA_DIR / "queries"
STORE_MARKER = "kg-store.json"
STORE_LOCK = "kg-store.lock"
_ORPHAN = re.compile(r"bulk-\d+\.sst")  # Oxigraph's bulk loader's files, moved into the database when a load completes
FILE_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG, ".jsonld": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML, ".n3": ox.RdfFormat.N3,
}
BUILD_FILES = ("graph.nt", "graph.ttl", "graph.trig", "graph.jsonld")
SELECT_FORMATS = ("table", "csv", "tsv", "json")
GRAPH_FORMATS = ("turtle", "nt", "jsonld")
_AT = re.compile(r"error at (\d+):(\d+): ?")
_FILE_AT = re.compile(r"(?:Parser )?error at line (\d+) column (\d+): ?|\s*\([^()]*, line \d+\)$")


class QueryError(KGError):
    """A query that cannot be parsed or run. The message names the line and column."""


@dataclass
class QueryResult:
    """What a query returned: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT, DESCRIBE)."""

    kind: str  # "select", "ask" or "graph"
    variables: list[str]
    rows: list[tuple[Any, ...]]  # pyoxigraph terms (None for unbound); for "graph", triples
    boolean: bool | None = None
    truncated: bool = False


def is_store(path: Path) -> bool:
    return (Path(path) / STORE_MARKER).exists()


def open_store(path: Path, read_only: bool = False) -> ox.Store:
    """Open an on-disk store; a store another process holds gives a one-line KGError.

    Opened for writing, the store is the only writer (RocksDB's lock), so the files of a bulk load
    that was killed half-way (`bulk-*.sst`, as large as the data) are removed.
    """
    try:
        store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
    except OSError as exc:
        reason = str(exc).splitlines()[0]
        if "lock" in reason.lower():
            raise KGError(_locked(path)) from None
        raise KGError(f"{path}: cannot open the store ({reason})") from None
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
                raise KGError(f"{self.path}: cannot lock the store ({exc.strerror})") from None
            try:  # a store this user may only read: a shared hold through a read-only handle
                fd = os.open(file, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return  # no lock file and no right to make one: this user cannot load into it either
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise KGError(_locked(self.path)) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the handle drops the lock
            self._fd = None

    def __enter__(self) -> "StoreLock":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def load_file(store: ox.Store, path: Path) -> None:
    """Load an RDF file into `store`; a syntax error names the file, line and column."""
    fmt = FILE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise KGError(f"{path}: unknown RDF file type {path.suffix or '(none)'}; use one of {', '.join(sorted(FILE_FORMATS))}")
    try:
        store.bulk_load(path=str(path), format=fmt)
    except SyntaxError as exc:
        message = str(exc).splitlines()[0]
        at = _FILE_AT.search(message)
        where = f":{at.group(1)}:{at.group(2)}" if at and at.group(1) else ""
        raise KGError(f"{path}{where}: not valid {path.suffix[1:]} ({_FILE_AT.sub('', message).strip()})") from None
    except (OSError, ValueError) as exc:
        raise KGError(f"{path}: cannot load ({str(exc).splitlines()[0]})") from None


def graph_file(folder: Path) -> Path | None:
    return next((folder / name for name in BUILD_FILES if (folder / name).exists()), None)


def open_graph(path: str | Path, read_only: bool = True) -> ox.Store:
    """The graph at `path` as a queryable store: a kg store, a build output folder or an RDF file."""
    path = Path(path)
    if not path.exists():
        raise KGError(f"{path}: no such file or folder")
    if path.is_dir() and is_store(path):
        return open_store(path, read_only=read_only)
    file = graph_file(path) if path.is_dir() else path
    if file is None:
        raise KGError(f"{path}: neither a kg store nor a build output folder (no {' or '.join(BUILD_FILES)})")
    store = ox.Store()
    load_file(store, file)
    return store


def read_query(text_or_path: str) -> str:
    """A query given inline, as a .rq file, or by the name of a query in data/queries/."""
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
    return text_or_path


def _literal(value: str) -> ox.Literal | ox.NamedNode:
    return ox.NamedNode(value[1:-1]) if value.startswith("<") and value.endswith(">") else ox.Literal(value)


def run_query(store: ox.Store, query: str, bindings: dict[str, str] | None = None, limit: int = 0) -> QueryResult:
    """Run a SPARQL query with the kg prefixes predeclared; `bindings` fix variables (VALUES-like).

    `limit` caps the rows kept (0: no cap); the result says whether it was cut.
    """
    substitutions = {ox.Variable(k): _literal(v) for k, v in (bindings or {}).items()}
    try:
        result = store.query(query, prefixes=PREFIXES, substitutions=substitutions or None)
    except SyntaxError as exc:
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
    kept = []
    for row in rows:
        if limit and len(kept) >= limit:
            return kept, True
        kept.append(row)
    return kept, False


def _short(term: Any, base: str = DEFAULT_BASE) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        iri = term.value
        if iri.startswith(base):
            return iri[len(base):]
        for prefix, ns in PREFIXES.items():
            if iri.startswith(ns) and re.fullmatch(r"[\w.-]*", iri[len(ns):]):
                return f"{prefix}:{iri[len(ns):]}"
        return f"<{iri}>"
    return str(term)


def format_result(result: QueryResult, fmt: str = "table") -> str:
    """Render a result: table, csv, tsv or json (SPARQL 1.1 results); graphs as turtle, nt or jsonld."""
    if result.kind == "graph":
        fmt = "turtle" if fmt in SELECT_FORMATS else fmt
        rdf = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}.get(fmt)
        if rdf is None:
            raise QueryError(f"unknown format {fmt!r} for a graph result; use one of {', '.join(GRAPH_FORMATS)}")
        triples = [ox.Triple(*row) for row in result.rows]
        return ox.serialize(triples, format=rdf, prefixes=PREFIXES if rdf != ox.RdfFormat.N_TRIPLES else None).decode()
    if fmt not in SELECT_FORMATS:
        raise QueryError(f"unknown format {fmt!r}; use one of {', '.join(SELECT_FORMATS)}")
    if result.kind == "ask":
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": result.boolean})
        return "true" if result.boolean else "false"
    if fmt == "json":
        return json.dumps(results_json(result), ensure_ascii=False)
    if fmt in ("csv", "tsv"):
        return _delimited(result, fmt)
    table = [[_short(v) for v in row] for row in result.rows]
    widths = [max([len(v)] + [len(r[n]) for r in table]) for n, v in enumerate(result.variables)]
    lines = ["  ".join(v.upper().ljust(w) for v, w in zip(result.variables, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    lines.append(f"({len(table)} row{'s' if len(table) != 1 else ''}{', cut at the limit' if result.truncated else ''})")
    return "\n".join(lines)


def _term_json(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def results_json(result: QueryResult) -> dict[str, Any]:
    """SPARQL 1.1 Query Results JSON."""
    bindings = [{v: _term_json(t) for v, t in zip(result.variables, row) if t is not None} for row in result.rows]
    return {"head": {"vars": result.variables}, "results": {"bindings": bindings}}


def _delimited(result: QueryResult, fmt: str) -> str:
    """SPARQL 1.1 CSV (plain values) or TSV (terms in N-Triples syntax) results."""
    import csv

    buffer = io.StringIO()
    if fmt == "csv":
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(result.variables)
        writer.writerows([["" if t is None else t.value for t in row] for row in result.rows])
    else:
        buffer.write("\t".join("?" + v for v in result.variables) + "\n")
        for row in result.rows:
            buffer.write("\t".join("" if t is None else str(t) for t in row) + "\n")
    return buffer.getvalue()


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
    return _short(term)
