"""What a SPARQL request is before it runs: query or update, and which remote servers it would call.

A small lexer, not a parser: it reads the text as Oxigraph will (codepoint escapes such as
`\\u0053ERVICE` undone first, then comments, strings and IRIs skipped as tokens), so a `SERVICE`
or `LOAD` keyword cannot hide from it. `kg serve` refuses a request that calls a server not in
its `--allow-federation` list; `kg query` names an update it was given instead of failing to
parse it as a query.

Example:
    >>> scan("SELECT * WHERE { SERVICE <http://dbpedia.org/sparql> { ?s ?p ?o } }").remote_hosts()
    ['dbpedia.org']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_FORMS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(
    r"""(?P<space>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                 |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00B7-\U0010FFFF]+)
    | (?P<pname>(?:[^\W\d_][\w.\-\u00B7-\U0010FFFF]*)?:(?:[\w:%.\-\\\u00B7-\U0010FFFF])*|_:[\w.\-]+)
    | (?P<word>[^\W\d_]\w*)
    | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)


@dataclass
class Remote:
    """A call to another server: `keyword` SERVICE or LOAD, `target` its IRI (None for a variable)."""

    keyword: str
    target: str | None

    @property
    def host(self) -> str | None:
        if self.target is None:
            return None
        parts = urlsplit(self.target)
        return (parts.hostname or "").lower() if parts.scheme in ("http", "https") else None


@dataclass
class Scan:
    """The request's form (SELECT, ASK, CONSTRUCT, DESCRIBE, or an update keyword) and remote calls."""

    form: str | None
    remotes: list[Remote] = field(default_factory=list)

    @property
    def is_update(self) -> bool:
        return self.form in UPDATE_FORMS

    def remote_hosts(self) -> list[str | None]:
        return [remote.host for remote in self.remotes]


def unescape(text: str) -> str:
    """SPARQL's codepoint escapes (\\uXXXX, \\UXXXXXXXX), which apply to the whole text before parsing."""

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)

    return _ESCAPE.sub(char, text)


def tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) of every token but spaces and comments, after `unescape`."""
    return [
        (m.lastgroup or "", m.group())
        for m in _TOKEN.finditer(unescape(text))
        if m.lastgroup not in ("space", "comment")
    ]


def scan(text: str) -> Scan:
    """The form of a query or update and the SERVICE and LOAD targets it names.

    Example:
        >>> scan("PREFIX ex: <http://example.org/> INSERT DATA { ex:a ex:b ex:c }").form
        'INSERT'
    """
    found = tokens(text)
    prefixes: dict[str, str] = {}
    form = None
    for n, (kind, value) in enumerate(found):
        if kind != "word":
            continue
        keyword = value.upper()
        if keyword == "PREFIX" and n + 2 < len(found) and found[n + 1][0] == "pname" and found[n + 2][0] == "iri":
            prefixes[found[n + 1][1].rstrip(":")] = found[n + 2][1][1:-1]
        elif form is None and keyword in QUERY_FORMS + UPDATE_FORMS:
            form = keyword
    result = Scan(form)
    for n, (kind, value) in enumerate(found):
        if kind == "word" and value.upper() in ("SERVICE", "LOAD"):
            following = [t for t in found[n + 1 : n + 3] if not (t[0] == "word" and t[1].upper() == "SILENT")]
            result.remotes.append(Remote(value.upper(), _target(following[0] if following else None, prefixes)))
    return result


def _target(token: tuple[str, str] | None, prefixes: dict[str, str]) -> str | None:
    if token is None:
        return None
    kind, value = token
    if kind == "iri":
        return value[1:-1]
    if kind == "pname" and not value.startswith("_:"):
        prefix, _, local = value.partition(":")
        return prefixes[prefix] + local if prefix in prefixes else None
    return None
