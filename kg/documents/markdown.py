"""Markdown documents: YAML front matter read by a YAML parser, the text by a Markdown parser.

Example:
    >>> fields, body = front_matter("---\\ntitle: T\\nauthors:\\n  - A. Person\\n  - B. Person\\n---\\nText.")
    >>> fields["authors"], body
    (['A. Person', 'B. Person'], 'Text.')
"""

from __future__ import annotations

import datetime
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from kg import registry
from kg.documents import metadata as meta
from kg.documents.readers import decode, display_path, info_from_text, read_bytes
from kg.errors import DocumentLoadError
from kg.model import Document

# "---" on the first line, the YAML, then "---" (or YAML's "...") on a line of its own
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?:(?P<yaml>.*?)\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+$")
FIELDS = ("title", "date", "venue", "genre", "url")


class FrontMatterError(ValueError):
    """The front matter is not YAML, or not a mapping of fields."""


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The fields of a YAML front matter block and the text after it; ({}, text) without one.

    `authors` (or `author`) is always a list of names: a YAML list, a list of {name: ...} objects, or
    one string of names ("A and B"). Dates are ISO text. Raises FrontMatterError for a block that is
    not YAML or not a mapping.

    Example:
        >>> front_matter("---\\ndate: 2023-03-13\\nauthor: A and B\\n---\\nBody")
        ({'date': '2023-03-13', 'authors': ['A', 'B']}, 'Body')
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    import yaml

    try:
        data = yaml.safe_load(match.group("yaml") or "") or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 2}: " if mark is not None else ""  # + the opening "---", 1-based
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FrontMatterError(f"front matter is not valid YAML ({where}{problem})") from None
    if not isinstance(data, dict):
        raise FrontMatterError(
            f"front matter is a YAML {type(data).__name__}, not a mapping of fields (title: ..., authors: ...)"
        )
    lowered = {str(k).strip().lower(): v for k, v in data.items()}
    fields: dict[str, Any] = {}
    for key in FIELDS:
        value = _scalar(lowered.get(key) if key != "venue" else lowered.get("venue", lowered.get("publisher")))
        if value is not None:
            fields[key] = value
    if "url" in fields and not _URL.match(fields["url"]):
        del fields["url"]  # an IRI in the RDF: a URL only
    authors = _names(lowered["authors"] if "authors" in lowered else lowered.get("author"))
    if authors:
        fields["authors"] = authors
    return fields, text[match.end() :]


def _scalar(value: Any) -> str | None:
    """A field's text: strings and numbers as written, dates as ISO; lists, mappings and booleans are none."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return (value.date() if isinstance(value, datetime.datetime) else value).isoformat()
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return " ".join(value.split()) or None
    return None


def _names(value: Any) -> list[str]:
    """Author names from a YAML list (of names or of {name: ...}), or a string of names (a number is
    written out, as JSONL metadata's is)."""
    if isinstance(value, str):
        return [n for n in meta.split_names(" ".join(value.split())) if n]
    items = value if isinstance(value, list) else [value]
    names = (_scalar(item.get("name")) if isinstance(item, dict) else _scalar(item) for item in items)
    return [n for n in names if n]


@lru_cache(maxsize=1)
def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def markdown_to_text(markdown: str) -> str:
    """Plain text of Markdown, read by a CommonMark parser: one paragraph per block (heading,
    paragraph, list item, code block, table row), link texts kept, images and HTML left out.

    >>> markdown_to_text("# Title\\n\\nSee [the **report**](http://x).\\n\\n- one\\n- *two*")
    'Title\\n\\nSee the report.\\n\\none\\n\\ntwo'
    """
    blocks: list[str] = []
    row: list[str] | None = None
    for token in _parser().parse(markdown):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append("; ".join(cell for cell in row if cell))
            row = None
        elif token.type == "inline":
            text = _inline_text(token.children or [])
            if row is not None:
                row.append(" ".join(text.split()))
            else:
                blocks.append(text)
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content)
    return "\n\n".join(b.strip() for b in blocks if b.strip())


def _inline_text(children: list[Any]) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


@registry.readers.register(".md")
@registry.readers.register(".markdown")
def read_markdown(path: Path, doc_id: str) -> list[Document]:
    """A Markdown file: YAML front matter (title, date, author/authors, venue, genre, url) for its
    metadata, else the header lines of its text."""
    try:
        fields, body = front_matter(decode(path, read_bytes(path)))
    except FrontMatterError as exc:
        raise DocumentLoadError(display_path(path), str(exc)) from None
    text = markdown_to_text(body)
    if not text:
        raise DocumentLoadError(display_path(path), "no text after the front matter")
    return [Document(doc_id, text, info_from_text(doc_id, display_path(path), text, **fields))]
