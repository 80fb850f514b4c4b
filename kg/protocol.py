"""The SPARQL 1.1 Protocol's pure parts: content negotiation, the service description, and the
checks of Host and Origin that keep other web pages out of a local endpoint.

Example:
    >>> negotiate("text/csv;q=0.5, application/sparql-results+xml", "select").name
    'xml'
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

import pyoxigraph as ox

from kg.results import ResultFormat, formats_for

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LOOPBACK_NAMES = ("localhost",)


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header: `type/subtype` (either may be `*`) and its q-value."""

    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> int:
        """How precisely this range matches `media_type`: 3 exactly, 2 by type/*, 1 by */*, 0 not."""
        kind, _, sub = media_type.lower().partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type != kind:
            return 0
        return 2 if self.subtype == "*" else 3 if self.subtype == sub else 0


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed entries are left out (RFC 9110 section 12.5.1).

    Example:
        >>> parse_accept("text/*;q=0.3, text/csv")
        [MediaRange(type='text', subtype='*', q=0.3), MediaRange(type='text', subtype='csv', q=1.0)]
    """
    ranges = []
    for entry in (header or "").split(","):
        media, *params = [part.strip() for part in entry.split(";")]
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub or (kind == "*" and sub != "*") or any(c.isspace() for c in media):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            ranges.append(MediaRange(kind, sub, q))
    return ranges


def negotiate(accept: str | None, kind: str) -> ResultFormat | None:
    """The format for a result of `kind` ("select", "ask", "graph") that the Accept header likes
    best: each media type takes the q of the most specific range that matches it; ties go to
    kg's order (JSON, then XML, for solutions; Turtle for graphs). No header: kg's first format.
    None when nothing acceptable carries the result (the caller answers 406).
    """
    offers = [(fmt, media) for fmt in formats_for(kind) for media in fmt.media_types]
    ranges = parse_accept(accept)
    if not (accept or "").strip():
        return offers[0][0] if offers else None
    best, chosen = 0.0, None
    for fmt, media in offers:
        matched = [(r.matches(media), r.q) for r in ranges if r.matches(media)]
        q = max(matched)[1] if matched else 0.0  # the most specific range decides
        if q > best:
            best, chosen = q, fmt
    return chosen


def service_description(endpoint: str, update: bool, federation: bool) -> list[ox.Triple]:
    """A SPARQL 1.1 Service Description of the endpoint, as triples.

    Example:
        >>> description = service_description("http://127.0.0.1/sparql", False, False)
        >>> any(t.object == ox.NamedNode(SD + "SPARQL11Query") for t in description)
        True
    """
    service, dataset, graph = ox.NamedNode(endpoint), ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
    a = ox.NamedNode(RDF_TYPE)

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    triples = [
        ox.Triple(service, a, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, a, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), graph),
        ox.Triple(graph, a, sd("Graph")),
    ]
    if update:
        triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    if federation:
        triples.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    standards = {fmt.standard for kind in ("select", "graph") for fmt in formats_for(kind) if fmt.standard}
    triples += [ox.Triple(service, sd("resultFormat"), ox.NamedNode(iri)) for iri in sorted(standards)]
    return triples


def host_name(host_header: str) -> str:
    """The name in a Host header, without the port and the brackets of an IPv6 address."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host_header: str, bound: str, allowed: tuple[str, ...] = ()) -> bool:
    """Whether a request's Host names this server, so that no page of another site reaches it by
    DNS rebinding (a name of the attacker's that resolves to 127.0.0.1). An address is always
    safe (rebinding needs a name); names are: `localhost` on a loopback server, the bound name,
    and those given with --allow-host.

    Example:
        >>> host_allowed("localhost:7878", "127.0.0.1"), host_allowed("evil.example:7878", "127.0.0.1")
        (True, False)
    """
    name = host_name(host_header)
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    names = {n.lower() for n in allowed} | {bound.lower()}
    if _is_loopback(bound) or bound in ("", "0.0.0.0", "::"):
        names |= set(LOOPBACK_NAMES)
    return name in names


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() in LOOPBACK_NAMES


def same_origin(origin: str, host_header: str) -> bool:
    """Whether an Origin header names the server the request came to (its page at /)."""
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host_header.strip().lower()
