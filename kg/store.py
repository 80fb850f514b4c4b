"""The persistent embedded store: an on-disk Oxigraph (RocksDB) database of one or more builds.

Loading is incremental: RDF is a set of triples, so loading a second build adds what is new and
loading the same build twice changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from kg.errors import KGError
from kg.query import STORE_MARKER, graph_file, is_store, load_file, open_store


def load_store(sources: list[Path], store_dir: Path) -> int:
    """Load build output folders or RDF files into the store at `store_dir` (created if needed).

    Returns the number of triples the store holds afterwards.

    Example:
        >>> load_store([Path("out/")], Path("kg-store/"))  # doctest: +SKIP
        10234
    """
    store_dir = Path(store_dir)
    if store_dir.exists() and any(store_dir.iterdir()) and not is_store(store_dir):
        raise KGError(f"{store_dir}: exists and is not a kg store; give an empty or new folder")
    files = []
    for source in map(Path, sources):
        if not source.exists():
            raise KGError(f"{source}: no such file or folder")
        file = graph_file(source) if source.is_dir() else source
        if file is None:
            raise KGError(f"{source}: not a build output folder (no graph.nt or graph.ttl)")
        files.append(file)
    store_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(store_dir)
    try:
        for file in files:
            load_file(store, file)
        store.flush()
        marker = store_dir / STORE_MARKER
        loaded = json.loads(marker.read_text()) if marker.exists() else {"format": "kg-store", "loaded": []}
        loaded["loaded"] = sorted(set(loaded["loaded"]) | {str(f.resolve()) for f in files})
        marker.write_text(json.dumps(loaded, indent=1))
        return len(store)
    finally:
        del store
