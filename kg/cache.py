"""The build cache: each document's DocumentResult on disk, so a rebuild annotates only what changed.

An entry is one JSON file (never pickle: a file read back is data, not code) named by the document's
key: the hash of its id, its content (text and metadata), and the build's fingerprint, which covers
kg's version and source, the spaCy model (name, version; a model folder's files) and spaCy's version,
every data file under `Settings.data_dir` and the extra alias and pattern files, and the settings
that change a result (the open layer, the relation extractors). Anything that changes one of these
changes the key, so a stale entry is never found; an entry that does not parse, or whose recorded key
or id is not the one asked for (a corrupt or foreign file), is ignored with a warning and the
document is annotated again.

Entries are written atomically (a temporary file in the same folder, then a rename), one per document
as soon as its result is made, so a build killed half-way leaves every finished document reusable.
The cache folder can be deleted at any time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import time
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from kg.documents import DocumentStream
from kg.export.files import pause
from kg.model import Document
from kg.stages import DocumentResult, Settings

FORMAT = 1  # the layout of an entry; part of every key


def default_cache_dir() -> Path:
    """`$KG_CACHE_DIR/build`, else `$XDG_CACHE_HOME/kg/build`, else `~/.cache/kg/build`
    (the encoders of kg train live beside it, in `encoders/`)."""
    base = os.environ.get("KG_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kg"
    return Path(base) / "build"


# --- the fingerprint of a build: what, besides the document, a result depends on ---------------------


def _hash_files(digest: Any, files: Iterable[Path], root: Path | None = None) -> None:
    for path in files:
        name = str(path.relative_to(root)) if root else str(path.resolve())
        digest.update(f"{len(name)}:{name}".encode("utf-8", "surrogateescape"))
        data = path.read_bytes()
        digest.update(f"{len(data)}:".encode())
        digest.update(data)


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def source_digest() -> str:
    """kg's version and the hash of its Python source: a changed rule is a changed result."""
    from kg.version import __version__

    digest = hashlib.sha256(f"kg {__version__}\n".encode())
    package = Path(__file__).resolve().parent
    _hash_files(digest, sorted(package.rglob("*.py")), package)
    return digest.hexdigest()


def model_digest(model: str) -> str:
    """The spaCy model's identity: for a package, its name and version; for a folder (a spaCy or
    kg train model), its meta.json and every file's name, size and modification time; and spaCy's version."""
    import importlib.metadata

    digest = hashlib.sha256()
    try:
        digest.update(f"spacy {importlib.metadata.version('spacy')}\n".encode())
    except importlib.metadata.PackageNotFoundError:
        pass
    path = Path(model)
    if path.exists():
        digest.update(f"path {path.resolve()}\n".encode())
        for file in _files_under(path) if path.is_dir() else [path]:
            stat = file.stat()
            digest.update(
                f"{file.relative_to(path) if path.is_dir() else file.name} {stat.st_size} {stat.st_mtime_ns}\n".encode()
            )
        meta = path / "meta.json"
        if meta.is_file():
            digest.update(meta.read_bytes())
            try:
                base = json.loads(meta.read_text(encoding="utf-8")).get("kg", {}).get("base_model")
            except (ValueError, AttributeError):
                base = None
            if isinstance(base, str) and base != model:
                digest.update(f"base {model_digest(base)}\n".encode())
        return digest.hexdigest()
    try:
        version = importlib.metadata.version(model)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        version = "?"
    digest.update(f"package {model} {version}\n".encode())
    return digest.hexdigest()


def fingerprint(settings: Settings) -> str:
    """The key part shared by every document of a build with these settings."""
    digest = hashlib.sha256(f"kg build cache {FORMAT}\n".encode())
    digest.update(f"source {source_digest()}\n".encode())
    digest.update(f"model {model_digest(str(settings.model))}\n".encode())
    data_dir = Path(settings.data_dir)
    _hash_files(digest, _files_under(data_dir), data_dir)
    digest.update(b"aliases\n")
    _hash_files(digest, [Path(p) for p in settings.aliases])
    digest.update(b"patterns\n")
    _hash_files(digest, [Path(p) for p in settings.patterns])
    digest.update(f"open_relations {bool(settings.open_relations)}\n".encode())
    digest.update(f"extractors {' '.join(settings.extractors)}\n".encode())
    return digest.hexdigest()


def document_key(document: Document, build_fingerprint: str) -> str:
    """The key of one document's entry: its id, its text and metadata, and the build's fingerprint."""
    digest = hashlib.sha256(build_fingerprint.encode())
    for part in (document.id, json.dumps(to_json(document.info), ensure_ascii=True, sort_keys=True), document.text):
        data = part.encode("utf-8", "surrogatepass")
        digest.update(f"\n{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


# --- kg.model dataclasses to JSON and back, by their type hints -------------------------------------

_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def to_json(value: Any) -> Any:
    """A dataclass as a list of its fields' values (in field order), tuples and sets as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [to_json(getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(to_json(v) for v in value)
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: to_json(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in the build cache")


def from_json(data: Any, hint: Any) -> Any:
    """The value of type `hint` that `to_json` wrote as `data`; TypeError/ValueError when it is not one."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return from_json(data, option)
            except (TypeError, ValueError) as exc:
                errors.append(exc)
        raise TypeError(f"{data!r} is none of {hint}")
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        fields = dataclasses.fields(hint)
        if not isinstance(data, list) or len(data) != len(fields):
            raise ValueError(f"{hint.__name__}: expected {len(fields)} fields")
        hints = _hints(hint)
        return hint(**{f.name: from_json(v, hints[f.name]) for f, v in zip(fields, data)})
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(data, list):
            raise TypeError(f"expected a list for {hint}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_json(v, args[0]) for v in data)
        if len(args) != len(data):
            raise ValueError(f"expected {len(args)} items for {hint}")
        return tuple(from_json(v, a) for v, a in zip(data, args))
    if origin in (frozenset, set):
        (arg,) = typing.get_args(hint)
        if not isinstance(data, list):
            raise TypeError(f"expected a list for {hint}")
        return origin(from_json(v, arg) for v in data)
    if origin is dict:
        key_type, value_type = typing.get_args(hint)
        if key_type is not str or not isinstance(data, dict):
            raise TypeError(f"expected an object for {hint}")
        return {k: from_json(v, value_type) for k, v in data.items()}
    if hint is Any:
        return data
    if hint is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise TypeError(f"expected a number, got {data!r}")
        return float(data)
    if hint in (str, int, bool):
        if type(data) is not hint:
            raise TypeError(f"expected {hint.__name__}, got {data!r}")
        return data
    raise TypeError(f"cannot read {hint} from the build cache")


# --- the cache ---------------------------------------------------------------------------------------


class BuildCache:
    """DocumentResults on disk under `folder`, for builds with one fingerprint.

    Example:
        >>> import tempfile
        >>> from kg.model import Document, DocumentInfo
        >>> document = Document("a.txt", "Ada Lovelace met Charles Babbage.", DocumentInfo("a.txt"))
        >>> cache = BuildCache(Path(tempfile.mkdtemp()) / "cache", "0" * 64)
        >>> cache.get(document) is None
        True
        >>> cache.put(document, DocumentResult(document.info, 5, (), ()))
        >>> cache.get(document).words, cache.hits
        (5, 1)
    """

    def __init__(self, folder: Path, build_fingerprint: str, on_warning: Callable[[str], None] | None = None) -> None:
        self.folder = Path(folder)
        self.fingerprint = build_fingerprint
        self.on_warning = on_warning or logging.getLogger("kg").warning
        self.hits = 0
        self.written = 0
        self._writable = True
        self._remove_stale_temporaries()

    def key(self, document: Document) -> str:
        return document_key(document, self.fingerprint)

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, document: Document, key: str | None = None) -> DocumentResult | None:
        """The cached DocumentResult of `document`, or None (not cached, or an entry not to trust)."""
        key = key or self.key(document)
        path = self.path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.on_warning(f"cache entry {path} ignored ({exc.strerror or exc})")
            return None
        try:
            entry = json.loads(raw)
            if not isinstance(entry, dict) or entry.get("format") != FORMAT:
                raise ValueError("not a kg build cache entry")
            if entry.get("key") != key or entry.get("id") != document.id:
                raise ValueError(f"it belongs to another document ({str(entry.get('id'))[:80]!r})")
            result = from_json(entry["result"], DocumentResult)
            if result.info.id != document.id:
                raise ValueError("its result is another document's")
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            problem = f"{exc.__class__.__name__}: {str(exc)[:200]}"
            self.on_warning(f"cache entry {path} for {document.id} ignored ({problem}); annotating it again")
            return None
        self.hits += 1
        return result

    def put(self, document: Document, result: DocumentResult, key: str | None = None) -> None:
        """Store `result` for `document`: written whole or not at all. A cache that cannot be written
        is reported once and the build goes on without it."""
        if not self._writable:
            return
        key = key or self.key(document)
        path = self.path(key)
        try:
            data = json.dumps(
                {"format": FORMAT, "key": key, "id": document.id, "result": to_json(result)},
                ensure_ascii=True,
                separators=(",", ":"),
            ).encode("ascii")
        except (TypeError, ValueError) as exc:  # a result kg cannot store yet: build on, without the cache
            self._writable = False
            self.on_warning(f"cannot store results in the build cache ({exc}); going on without it")
            return
        temporary = path.parent / f".{key}.{os.getpid()}.tmp"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(data)
            os.replace(temporary, path)
            self.written += 1
        except OSError as exc:
            self._writable = False
            self.on_warning(
                f"cannot write the build cache in {self.folder} ({exc.strerror or exc}); going on without it"
            )
            try:
                temporary.unlink()
            except OSError:
                pass

    def _remove_stale_temporaries(self) -> None:
        """Temporary files of writers killed half-way (older than a minute: a live writer's lasts milliseconds)."""
        if not self.folder.is_dir():
            return
        now = time.time()
        for temporary in self.folder.glob("*/.*.tmp"):
            try:
                if now - temporary.stat().st_mtime > 60:
                    temporary.unlink()
            except OSError:
                pass


def with_cache(
    documents: Iterable[Document],
    cache: BuildCache,
    process: Callable[[Iterable[Document]], Iterator[DocumentResult]],
) -> Iterator[DocumentResult]:
    """Each document's result in the documents' order: from the cache where it has one, else from
    `process` (called once, lazily, only when some document is not cached, with those documents in
    order), each new result stored as soon as it is made. A document `process` skips gives nothing."""
    on_skip = getattr(documents, "on_skip", None)
    iterator = iter(documents)
    first = None
    for document in iterator:  # up to the first miss: no pipeline at all
        key = cache.key(document)
        result = cache.get(document, key)
        if result is None:
            first = (document, key)
            break
        yield result
    if first is None:
        return
    # (id, key, cached result, None) or (id, key, None, document to annotate); None once handed on
    order: list[tuple[str, str, DocumentResult | None, Document | None] | None] = []
    position = [0]

    def misses() -> Iterator[Document]:
        document, key = first
        order.append((document.id, key, None, document))
        yield document
        for document in iterator:
            key = cache.key(document)
            result = cache.get(document, key)
            order.append((document.id, key, result, None if result is not None else document))
            if result is None:
                yield document

    stream = DocumentStream(misses(), on_skip)
    for result in process(stream):
        while position[0] < len(order):
            entry, order[position[0]] = order[position[0]], None  # done with it: let it go
            position[0] += 1
            if entry is None:
                continue
            doc_id, key, cached, annotated = entry
            if cached is not None:
                yield cached
            elif annotated is not None and doc_id == result.info.id:
                cache.put(annotated, result, key)
                pause(f"cached:{cache.written}")
                yield result
                break
            # else: a document the pipeline skipped (its reason went to on_skip)
        if position[0] > 4096:  # keep the list short
            del order[: position[0]]
            position[0] = 0
    for item in order[position[0] :]:
        if item is not None and item[2] is not None:
            yield item[2]
