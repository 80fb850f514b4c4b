"""Stage 1: find the documents under the given paths and load them.

Example:
    >>> from kg.documents import load_documents
    >>> docs = list(load_documents(["data/"]))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from kg.documents import readers
from kg.errors import DocumentLoadError
from kg.model import Document

READERS = {
    ".txt": readers.read_text,
    ".text": readers.read_text,
    ".md": readers.read_markdown,
    ".markdown": readers.read_markdown,
    ".html": readers.read_html,
    ".htm": readers.read_html,
    ".pdf": readers.read_pdf,
}
SUPPORTED = (*READERS, ".jsonl")

__all__ = ["load_documents", "find_sources", "read_file", "Skipped", "SUPPORTED"]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file (or a line of one) that was not loaded, and why."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


def find_sources(paths: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """Every file to read under `paths`, with the document id it gets (its path below the folder given).

    Raises DocumentLoadError for a path that does not exist or a folder with no supported file.
    """
    found: list[tuple[Path, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED and not _hidden(p, path))
            if not files:
                raise DocumentLoadError(str(path), f"no {', '.join(SUPPORTED)} files in this folder")
            found.extend((f, f.relative_to(path).as_posix()) for f in files)
        elif path.is_file():
            found.append((path, path.name))
        elif path.exists():
            raise DocumentLoadError(str(path), "not a regular file or folder")
        else:
            raise DocumentLoadError(str(path), "no such file or folder")
    return found


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def load_documents(
    paths: Iterable[str | Path], on_skip: Callable[[Skipped], None] | None = None
) -> Iterator[Document]:
    """Load every document under `paths`, lazily, in a stable order.

    A file that cannot be loaded is skipped and reported through `on_skip`; so is a document whose
    id repeats one already loaded.
    """
    report = on_skip or (lambda skipped: None)
    seen: set[str] = set()
    for path, doc_id in find_sources(paths):
        suffix = path.suffix.lower()
        try:
            if suffix == ".jsonl":
                docs: Iterable[Document] = readers.iter_jsonl(path, lambda where, why: report(Skipped(where, why)))
            elif suffix in READERS:
                docs = READERS[suffix](path, doc_id)
            else:
                report(Skipped(str(path), f"unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED)}"))
                continue
            for doc in docs:
                if doc.id in seen:
                    report(Skipped(doc.info.source, f"duplicate document id {doc.id!r}"))
                    continue
                seen.add(doc.id)
                yield doc
        except DocumentLoadError as exc:
            report(Skipped(exc.source, exc.problem))


def read_file(path: Path, doc_id: str) -> list[Document]:
    """The documents of one file, the first under `doc_id` (a JSONL file's lines keep their own ids).

    Raises DocumentLoadError for a file that cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return list(readers.iter_jsonl(path, lambda where, why: None))
    if suffix not in READERS:
        raise DocumentLoadError(str(path), f"unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED)}")
    return READERS[suffix](path, doc_id)
