"""graph.json: the whole graph model, so later commands (kg entities, kg explain, kg query) reload it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from kg.errors import InputError
from kg.model import (
    DocumentInfo,
    Entity,
    Evidence,
    KnowledgeGraph,
    Mention,
    Relation,
    RelationType,
)

FORMAT_VERSION = 1


def graph_to_dict(graph: KnowledgeGraph) -> dict[str, Any]:
    """A JSON-safe dictionary with sorted keys and lists, identical for identical graphs."""
    return {
        "format": "kg-graph",
        "version": FORMAT_VERSION,
        "schema": _schema_dict(graph),
        "documents": list(_documents(graph)),
        "entities": list(_entities(graph)),
        "relations": list(_relations(graph)),
    }


def _schema_dict(graph: KnowledgeGraph) -> dict[str, Any]:
    return {name: asdict(spec) for name, spec in sorted(graph.schema.items())}


def _documents(graph: KnowledgeGraph) -> Iterator[dict[str, Any]]:
    return (asdict(info) for _, info in sorted(graph.documents.items()))


def _entities(graph: KnowledgeGraph) -> Iterator[dict[str, Any]]:
    return (
        {**asdict(e), "aliases": sorted(e.aliases), "merges": [list(m) for m in e.merges]}
        for _, e in sorted(graph.entities.items())
    )


def _relations(graph: KnowledgeGraph) -> Iterator[dict[str, Any]]:
    return (asdict(r) for r in sorted(graph.relations, key=lambda r: r.key))


def graph_from_dict(data: dict[str, Any]) -> KnowledgeGraph:
    if data.get("format") != "kg-graph":
        raise InputError("not a kg graph.json file")
    graph = KnowledgeGraph()
    for name, spec in data["schema"].items():
        graph.schema[name] = RelationType(
            spec["name"],
            tuple(spec["domain"]),
            tuple(spec["range"]),
            spec["symmetric"],
            spec["description"],
            spec["example"],
            tuple(tuple(m) for m in spec["mappings"]),
            tuple(spec.get("subsumed_by", ())),
            spec.get("not_between", ""),
        )
    for d in data["documents"]:
        graph.add_document(
            DocumentInfo(**{**d, "authors": tuple(d["authors"]), "spans": tuple(tuple(s) for s in d["spans"])})
        )
    for e in data["entities"]:
        graph.add_entity(
            Entity(
                e["id"],
                e["label"],
                e["type"],
                frozenset(e["aliases"]),
                tuple(Mention(**m) for m in e["mentions"]),
                tuple(tuple(m) for m in e["merges"]),
            )
        )
    for r in data["relations"]:
        graph.add_relation(Relation(**{**r, "evidence": tuple(Evidence(**e) for e in r["evidence"])}))
    return graph


def dumps(graph: KnowledgeGraph) -> bytes:
    """graph.json's bytes: `graph_to_dict` as compact JSON in UTF-8 (already in a fixed order)."""
    return b"".join(_chunks(graph))


def write_json(graph: KnowledgeGraph, file: IO[bytes]) -> None:
    """Write graph.json to a binary file: the bytes of `dumps`, one item at a time, so that no
    dictionary of the whole graph nor a copy of the file is held in memory.

    Example:
        >>> import io
        >>> out = io.BytesIO()
        >>> write_json(KnowledgeGraph(), out)
        >>> out.getvalue() == dumps(KnowledgeGraph())
        True
    """
    for chunk in _chunks(graph):
        file.write(chunk)


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _chunks(graph: KnowledgeGraph, size: int = 512) -> Iterator[bytes]:
    """The text of json.dumps(graph_to_dict(graph), ensure_ascii=False, separators=(",", ":")) in
    UTF-8, in pieces of up to `size` list items."""
    head = {"format": "kg-graph", "version": FORMAT_VERSION, "schema": _schema_dict(graph)}
    yield _encode(head)[:-1].encode("utf-8")  # without its closing brace: the lists follow
    for name, items in (
        ("documents", _documents(graph)),
        ("entities", _entities(graph)),
        ("relations", _relations(graph)),
    ):
        yield f",{_encode(name)}:[".encode()
        batch: list[str] = []
        first = True
        for item in items:
            batch.append(_encode(item))
            if len(batch) == size:
                yield (("" if first else ",") + ",".join(batch)).encode("utf-8")
                batch, first = [], False
        if batch:
            yield (("" if first else ",") + ",".join(batch)).encode("utf-8")
        yield b"]"
    yield b"}"


def load_graph(path: Path) -> KnowledgeGraph:
    """Read graph.json, or the graph.json of a build output folder."""
    path = Path(path)
    file = path / "graph.json" if path.is_dir() else path
    if not file.exists():
        raise InputError(f"{path}: no kg graph here (expected a build output folder with graph.json)")
    try:
        return graph_from_dict(json.loads(file.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: not valid JSON ({exc})") from None
    except (KeyError, TypeError) as exc:
        raise InputError(f"{file}: not a kg graph.json file (missing or wrong field {exc})") from None
