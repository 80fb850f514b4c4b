"""The persistent embedded store: an on-disk Oxigraph (RocksDB) database of one or more builds.

Loading is incremental: RDF is a set of triples, so loading a second build adds what is new and
loading the same build twice changes nothing. A load holds the store alone (`StoreLock`): it is
refused while a `kg serve` or another `kg load` holds it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, NamedTuple

from kg.errors import InputError, StoreError
from kg.export.files import atomic_write_bytes
from kg.query import STORE_MARKER, StoreLock, graph_file, is_store, load_file, open_store

_MARKER_TMP = re.compile(re.escape(f".{STORE_MARKER}.") + r".+\.tmp")  # atomic_write's temporary names


class LoadCounts(NamedTuple):
    """Triples a load added, and the triples the store holds after it."""

    added: int
    total: int


def load_store(sources: list[Path], store_dir: Path) -> int:
    """Load build output folders or RDF files into the store at `store_dir` (created if needed).

    Returns the number of triples the store holds afterwards.

    Example:
        >>> load_store([Path("out/")], Path("kg-store/"))  # doctest: +SKIP
        10234
    """
    return load_counted(sources, store_dir).total


def load_counted(sources: list[Path], store_dir: Path) -> LoadCounts:
    """`load_store`, returning the triples added as well as the total.

    Example:
        >>> load_counted([Path("out/")], Path("kg-store/"))  # doctest: +SKIP
        LoadCounts(added=0, total=10234)
    """
    store_dir = Path(store_dir)
    if store_dir.exists() and not store_dir.is_dir():
        raise StoreError(f"{store_dir}: exists and is not a folder")
    if store_dir.exists() and any(store_dir.iterdir()) and not is_store(store_dir):
        raise StoreError(f"{store_dir}: exists and is not a kg store; give an empty or new folder")
    files = []
    for source in map(Path, sources):
        if not source.exists():
            raise InputError(f"{source}: no such file or folder")
        file = graph_file(source) if source.is_dir() else source
        if file is None:
            raise InputError(f"{source}: not a build output folder (no graph.nt or graph.ttl)")
        files.append(file)
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{store_dir}: cannot create the store folder ({exc.strerror})") from None
    with StoreLock(store_dir, exclusive=True):
        for leftover in store_dir.iterdir():  # a marker write killed half-way (the marker itself is whole)
            if _MARKER_TMP.fullmatch(leftover.name):
                leftover.unlink(missing_ok=True)
        store = open_store(store_dir)  # removes the files of a load killed half-way
        try:
            record = read_marker(store_dir)
            if record is None:  # new, or a marker left empty or broken: the folder is a kg store from now on
                record = {"format": "kg-store", "loaded": []}
                write_marker(store_dir, record)
            before = len(store)
            for file in files:
                load_file(store, file)
            store.flush()
            record["loaded"] = sorted(set(record["loaded"]) | {str(f.resolve()) for f in files})
            write_marker(store_dir, record)
            total = len(store)
            return LoadCounts(total - before, total)
        finally:
            del store  # closes the database before the lock is released


def read_marker(store_dir: Path) -> dict[str, Any] | None:
    """The store's kg-store.json (what was loaded into it), or None when it is missing, empty or broken."""
    try:
        record = json.loads((Path(store_dir) / STORE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        not isinstance(record, dict)
        or not isinstance(record.get("loaded"), list)
        or not all(isinstance(x, str) for x in record["loaded"])
    ):
        return None
    return record


def write_marker(store_dir: Path, record: dict[str, Any]) -> None:
    """Write kg-store.json whole or not at all (a temporary file renamed into place)."""
    atomic_write_bytes(Path(store_dir) / STORE_MARKER, json.dumps(record, indent=1).encode("utf-8"))
