"""Readers for each supported file format, registered by suffix in `kg.registry.readers`.

A reader takes a path and the document id it gets, and returns (or yields) Documents; it raises
DocumentLoadError when the file cannot be read, and may yield a Skipped for a part of the file it
could not read (a malformed JSONL line). A package of one's own adds a suffix the same way, or
through the entry point group ``kg_readers``:

    from kg import registry

    @registry.readers.register(".rtf")
    def read_rtf(path, doc_id):
        return [Document(doc_id, text, DocumentInfo(doc_id, str(path)))]
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kg import registry
from kg.documents import metadata as meta
from kg.errors import DocumentLoadError
from kg.model import Document, DocumentInfo
from kg.report import Skipped

MAX_BYTES = 1024 * 1024 * 1024  # 1 GiB: a long text is annotated in segments, so only memory limits it
SNIFF_BYTES = 8192  # a NUL byte here (outside UTF-16/32) means a binary file

_BOMS = (  # UTF-32 first: its little-endian BOM begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# C0 and C1 control characters but tab and newline, DEL, and the BOM/zero-width no-break space
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufeff]")
_BREAKS = re.compile("\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def display_path(path: str | Path) -> str:
    """The path as printable text: bytes of a file name that is not UTF-8 are shown as `\\xNN`."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DocumentLoadError(display_path(path), f"cannot read ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise DocumentLoadError(display_path(path), f"too large (over {MAX_BYTES // 2**20} MiB)")
    return data


def clean_text(text: str) -> str:
    """Text with line breaks made "\\n" and control characters removed (they would split names and
    reach the CSV files).

    >>> clean_text("Gordon\\x01 Brown\\r\\nsaid\\x00.\\x0cNext")
    'Gordon Brown\\nsaid.\\nNext'
    """
    return _CONTROL.sub("", _BREAKS.sub("\n", text))


def decode(path: Path, data: bytes, clean: bool = True) -> str:
    """The text of a file: UTF-8, or UTF-16/32 with a byte order mark; binary and undecodable content
    is refused. Control characters are removed (see clean_text)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DocumentLoadError(
                    display_path(path),
                    f"not {encoding.upper().removesuffix('-SIG')} text despite its byte order mark ({exc.reason} at "
                    f"offset {exc.start})",
                ) from None
            if "\x00" in text[:SNIFF_BYTES]:  # binary data that happens to open with a byte order mark
                raise DocumentLoadError(display_path(path), "binary file, not text")
            break
    else:
        if b"\x00" in data[:SNIFF_BYTES]:
            raise DocumentLoadError(display_path(path), "binary file, not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DocumentLoadError(
                display_path(path), f"not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})"
            ) from None
    text = clean_text(text) if clean else text
    if not text.strip():
        raise DocumentLoadError(display_path(path), "empty file")
    return text


def info_from_text(doc_id: str, source: str, text: str, **known: Any) -> DocumentInfo:
    """Metadata given by the file format (`known`) completed with what the text header says."""
    spans: list[tuple[str, int, int]] = []

    def pick(name: str, found: meta.Found | None) -> str | None:
        if known.get(name):
            value = str(known[name])
            if name == "title" and (at := text.find(value, 0, 1000)) >= 0:  # the page's own heading
                spans.append(("title", at, at + len(value)))
            return value
        if found is None:
            return None
        spans.append((name, found.start, found.end))
        return found.value

    title = pick("title", meta.find_title(text))
    date = pick("date", meta.find_date(text))
    if date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        date = meta.parse_date(date) or date
    venue = pick("venue", meta.find_venue(text))
    genre = pick("genre", meta.find_genre(text))
    authors = tuple(known.get("authors") or ())
    if not authors:
        found = meta.find_authors(text)
        authors = tuple(f.value for f in found)
        spans.extend(("author", f.start, f.end) for f in found)
    return DocumentInfo(doc_id, source, title, date, authors, venue, genre, known.get("url"), tuple(spans))


@registry.readers.register(".txt")
@registry.readers.register(".text")
def read_text(path: Path, doc_id: str) -> list[Document]:
    """A plain text file; its metadata from the header lines (title, date, byline, venue)."""
    text = decode(path, read_bytes(path))
    return [Document(doc_id, text, info_from_text(doc_id, display_path(path), text))]


_BLOCK_TAGS = [
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "figcaption",
    "figure",
    "header",
    "dd",
    "dt",
]
_DROP_TAGS = ["script", "style", "noscript", "nav", "footer", "aside", "form", "template", "svg", "iframe"]


def _meta(soup: Any, *keys: str) -> list[str]:
    values = []
    for key in keys:
        for tag in soup.find_all("meta", attrs={"property": key}) + soup.find_all("meta", attrs={"name": key}):
            if tag.get("content", "").strip():
                values.append(tag["content"].strip())
    return values


def html_to_text(soup: Any) -> str:
    """Readable text of a parsed page: the <article> or <main> if there is one, one paragraph per block."""
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    for br in root.find_all("br"):
        br.replace_with("\n")
    for block in root.find_all(_BLOCK_TAGS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    text = root.get_text()
    paragraphs = (re.sub(r"[ \t\u00a0]+", " ", p).strip() for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


@registry.readers.register(".html")
@registry.readers.register(".htm")
def read_html(path: Path, doc_id: str) -> list[Document]:
    """A web page: the <article> or <main> text; its metadata from the meta tags."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode(path, read_bytes(path)), "html.parser")
    titles: list[str | None] = [*_meta(soup, "og:title", "dc.title", "citation_title")]
    title = (titles or [soup.title.get_text(strip=True) if soup.title else None])[0]
    dates: list[str | None] = [
        *_meta(soup, "article:published_time", "date", "dc.date", "citation_publication_date", "pubdate")
    ]
    date = (dates or [None])[0]
    if date is None and (time := soup.find("time")) is not None:
        date = str(time.get("datetime") or time.get_text(strip=True))
    authors = _meta(soup, "author", "article:author", "dc.creator", "citation_author")
    venues: list[str | None] = [*_meta(soup, "og:site_name", "citation_journal_title")]
    venue = (venues or [None])[0]
    urls: list[str | None] = [*_meta(soup, "og:url")]
    url = (urls or [None])[0]
    text = html_to_text(soup)
    if not text:
        raise DocumentLoadError(display_path(path), "no text in the page")
    known = {
        "title": title,
        "date": meta.parse_date(date) if date else None,
        "authors": authors,
        "venue": venue,
        "url": url,
    }
    return [Document(doc_id, text, info_from_text(doc_id, display_path(path), text, **known))]


@registry.readers.register(".pdf")
def read_pdf(path: Path, doc_id: str) -> list[Document]:
    """A PDF's text layer; its metadata from the PDF's Title, Author and CreationDate."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    data = read_bytes(path)
    if not data.startswith(b"%PDF"):
        raise DocumentLoadError(display_path(path), "not a PDF file (no %PDF header)")
    try:
        import io

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentLoadError(display_path(path), "encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        info: Any = reader.metadata or {}
    except PyPdfError as exc:
        raise DocumentLoadError(display_path(path), f"not a readable PDF ({exc})") from None
    except (ValueError, KeyError, TypeError) as exc:  # pypdf raises these on some damaged files
        raise DocumentLoadError(display_path(path), f"damaged PDF ({exc.__class__.__name__}: {exc})") from None
    text = clean_text("\n\n".join(p.strip() for p in pages if p.strip()))
    if not text.strip():
        raise DocumentLoadError(display_path(path), "no extractable text (a scanned PDF needs OCR first)")
    author = str(info.get("/Author") or "").strip()
    known = {
        "title": str(info.get("/Title") or "").strip() or None,
        "authors": meta.split_names(author) if author else [],
        "date": meta.parse_date(str(info["/CreationDate"])[2:10])
        if str(info.get("/CreationDate", "")).startswith("D:")
        else None,
    }
    return [Document(doc_id, text, info_from_text(doc_id, display_path(path), text, **known))]


@registry.readers.register(".jsonl")
def read_jsonl(path: Path, doc_id: str = "") -> Iterator[Document | Skipped]:
    """Documents of a JSONL file: one {"id", "text", optional metadata} object per line, each under
    its own id (`doc_id` is not used).

    A malformed line is yielded as a Skipped naming the line and skipped; a file with no valid line
    at all is one DocumentLoadError, not one Skipped per line.
    """
    text = decode(path, read_bytes(path), clean=False)  # JSON strings may hold U+2028: split on "\n" only
    bad: list[Skipped] = []
    good = 0
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{display_path(path)}:{lineno}"
        record, problem = _jsonl_record(line)
        if record is None:
            bad.append(Skipped(where, problem))
            continue
        good += 1
        yield from bad
        bad.clear()
        yield _jsonl_document(record, where)
    if not good:
        first = f"; line {bad[0].source.rsplit(':', 1)[1]}: {bad[0].reason}" if bad else ""
        raise DocumentLoadError(display_path(path), f"no valid document line ({len(bad)} bad{first})")
    yield from bad


def _jsonl_record(line: str) -> tuple[dict[str, Any] | None, str]:
    """A JSONL line's document object, or None and why the line is none."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(record, dict) or not isinstance(record.get("text"), str) or "id" not in record:
        return None, 'expected an object with "id" and "text"'
    if not isinstance(record["id"], (str, int)) or isinstance(record["id"], bool) or not str(record["id"]).strip():
        return None, f'"id" must be a string or a whole number, not {json.dumps(record["id"])[:40]}'
    if not clean_text(record["text"]).strip():
        return None, "empty text"
    return record, ""


def _scalar(value: Any) -> str | None:
    """A metadata field's text: strings as they are, numbers written out; lists, objects, booleans
    and nulls are not a title, date or venue, and are left out."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        value = " ".join(clean_text(value).split())
        return value or None
    return None


def _names(value: Any) -> list[str]:
    """Authors given as one name, a list of names, or (leniently) numbers; anything else is ignored."""
    values = value if isinstance(value, list) else [value]
    return [name for name in map(_scalar, values) if name]


def _jsonl_document(record: dict[str, Any], where: str) -> Document:
    metadata = {**record["metadata"], **record} if isinstance(record.get("metadata"), dict) else record
    authors = metadata.get("authors") or metadata.get("author") or []
    known: dict[str, Any] = {key: _scalar(metadata.get(key)) for key in ("title", "date", "venue", "genre", "url")}
    known["authors"] = _names(authors)
    if known["url"] is not None and not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+$", known["url"]):
        known["url"] = None  # an IRI in the RDF: a URL only
    doc_id = str(record["id"]).strip()
    text = clean_text(record["text"])
    return Document(doc_id, text, info_from_text(doc_id, where, text, **known))
