"""Word documents (.docx), read with python-docx: the body's paragraphs and tables in order, and the
title, author and creation date of the document's properties.

Example:
    >>> from pathlib import Path
    >>> [doc] = read_docx(Path("brief.docx"), "brief.docx")  # doctest: +SKIP
    >>> doc.info.authors  # doctest: +SKIP
    ('Jane Doe', 'John Roe')
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kg import registry
from kg.documents import metadata as meta
from kg.documents.readers import clean_text, display_path, info_from_text, read_bytes
from kg.errors import DocumentLoadError, one_line
from kg.model import Document

# python-docx's own template fills these in; a file made from it says nothing about its real author
_TEMPLATE_AUTHOR = "python-docx"
_TEMPLATE_CREATED = datetime.datetime(2013, 12, 23, 23, 15, tzinfo=datetime.UTC)


@registry.readers.register(".docx")
def read_docx(path: Path, doc_id: str) -> list[Document]:
    """A Word document: paragraphs and table rows (cells joined by "; "), one paragraph each."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    data = read_bytes(path)
    if not data.startswith(b"PK"):
        raise DocumentLoadError(
            display_path(path), "not a .docx file (no ZIP package; an old .doc or an encrypted file?)"
        )
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(_blocks(document))
        properties = document.core_properties
        title, author, created = properties.title, properties.author, properties.created
    except (
        PackageNotFoundError,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        SyntaxError,
    ) as exc:  # SyntaxError: lxml's XML errors
        raise DocumentLoadError(
            display_path(path), f"not a readable .docx file ({exc.__class__.__name__}: {one_line(exc, empty='')})"
        ) from None
    text = clean_text("\n\n".join(b.strip() for b in blocks if b.strip()))
    if not text.strip():
        raise DocumentLoadError(display_path(path), "no text in the document")
    known: dict[str, Any] = {"title": (title or "").strip() or None, "authors": authors_of(author)}
    if created is not None and created.replace(tzinfo=created.tzinfo or datetime.UTC) != _TEMPLATE_CREATED:
        known["date"] = created.date().isoformat()
    return [Document(doc_id, text, info_from_text(doc_id, display_path(path), text, **known))]


def authors_of(author: str | None) -> list[str]:
    """The names of a document's author property ("Jane Doe; John Roe", "A and B").

    >>> authors_of("Jane Doe; John Roe and Ann Example")
    ['Jane Doe', 'John Roe', 'Ann Example']
    """
    if not author or author.strip() == _TEMPLATE_AUTHOR:
        return []
    return [name for part in author.split(";") for name in meta.split_names(" ".join(part.split())) if name]


def _blocks(document: Any) -> Iterator[str]:
    from docx.table import Table

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells: list[Any] = []
                for cell in row.cells:  # a merged cell is listed once per grid column it spans
                    if not any(cell._tc is seen._tc for seen in cells):
                        cells.append(cell)
                yield "; ".join(" ".join(c.text.split()) for c in cells if c.text.strip())
        else:
            yield item.text
