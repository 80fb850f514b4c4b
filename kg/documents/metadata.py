"""Document metadata found in the text itself: title, date, byline, genre and original venue.

Commentary and news saved as plain text usually open with a header block: a title line, perhaps a
genre word and a date line, a byline ("By A and B") and a line saying where the piece first
appeared. Each field is returned with its character span, so facts built on it keep provenance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dateutil import parser as date_parser

HEADER_LINES = 25  # metadata is looked for only in the first lines of a document
_BYLINE = re.compile(r"^\s*(?:written\s+)?by\s+(?P<names>[A-Z][^\n]{2,200}?)\s*$", re.IGNORECASE)
_VENUE = re.compile(
    r"(?:originally|first)\s+(?:appeared|published|ran)\s+(?:on|in|at)\s+(?:the\s+website\s+of\s+)?"
    r"(?P<venue>[A-Z][\w&'’.\- ]*?[\w.])(?=\s+on\s+(?:[A-Z][a-z]+\.?\s+\d|\d)|\s+in\s+\d|\s*[.,;]\s|\s*[.,;]?$)"
)
_NAME_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
_KEEP_PERIOD = re.compile(r"(?:\b[A-Z]|\bJr|\bSr)\.$")
_NAME = re.compile(r"^[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*){0,4}$")
_DATE_LINE = re.compile(
    r"^\s*(?:(?:published|updated|posted)\s*:?\s*)?"
    r"(?P<date>(?:\d{4}-\d{2}-\d{2})|(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+\d{4})|(?:\d{1,2}\s+[A-Z][a-z]{2,8}\.?\s+\d{4}))\s*$"
)
_GENRES = {
    "commentary",
    "analysis",
    "opinion",
    "editorial",
    "op-ed",
    "report",
    "news",
    "blog post",
    "article",
    "essay",
    "interview",
    "review",
    "brief",
    "research brief",
    "feature",
}


@dataclass(frozen=True, slots=True)
class Found:
    value: str
    start: int
    end: int


def parse_date(text: str) -> str | None:
    """ISO date (YYYY-MM-DD) of a date written out in a line, or None.

    >>> parse_date("Aug 2, 2024")
    '2024-08-02'
    """
    try:
        return date_parser.parse(text).date().isoformat()
    except (ValueError, OverflowError):
        return None


def _lines(text: str, limit: int = HEADER_LINES) -> list[tuple[int, str]]:
    out, offset = [], 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            out.append((offset, line.rstrip("\r\n")))
            if len(out) >= limit:
                break
        offset += len(line)
    return out


def split_names(names: str) -> list[str]:
    """Split a byline's names: "A, B and C" -> ["A", "B", "C"].

    >>> split_names("Jeffrey W. Hornung and Zack Cooper")
    ['Jeffrey W. Hornung', 'Zack Cooper']
    """
    parts = [p.strip(" ,;") for p in _NAME_SPLIT.split(names)]
    return [p[:-1] if p.endswith(".") and not _KEEP_PERIOD.search(p) else p for p in parts if p.strip(".")]


def find_title(text: str) -> Found | None:
    """The first non-empty line, if it reads like a title (short, no sentence-final full stop)."""
    lines = _lines(text, 1)
    if not lines:
        return None
    start, line = lines[0]
    title = line.strip().lstrip("#").strip()
    if not title or len(title) > 200 or title.endswith((".", ":", ";")) or _BYLINE.match(title):
        return None
    begin = start + line.index(title)
    return Found(title, begin, begin + len(title))


def find_date(text: str) -> Found | None:
    """The first header line that is nothing but a date."""
    for start, line in _lines(text):
        match = _DATE_LINE.match(line)
        if match and (iso := parse_date(match.group("date"))):
            return Found(iso, start + match.start("date"), start + match.end("date"))
    return None


def find_authors(text: str) -> list[Found]:
    """Names of a byline line ("By Jeffrey W. Hornung and Zack Cooper"), each with its span."""
    for start, line in _lines(text):
        match = _BYLINE.match(line)
        if not match:
            continue
        names_start = start + match.start("names")
        found, cursor = [], 0
        segment = match.group("names")
        for name in split_names(segment):
            if not _NAME.match(name):
                return []
            at = segment.find(name, cursor)
            found.append(Found(name, names_start + at, names_start + at + len(name)))
            cursor = at + len(name)
        return found
    return []


def find_venue(text: str) -> Found | None:
    """Where the piece originally appeared ("This commentary originally appeared on X on DATE.")."""
    match = _VENUE.search(text[:20000])
    if not match:
        return None
    return Found(
        match.group("venue").rstrip("."),
        match.start("venue"),
        match.start("venue") + len(match.group("venue").rstrip(".")),
    )


def find_genre(text: str) -> Found | None:
    for start, line in _lines(text, 4)[1:]:
        if line.strip().lower() in _GENRES:
            begin = start + line.index(line.strip())
            return Found(line.strip().lower(), begin, begin + len(line.strip()))
    return None
