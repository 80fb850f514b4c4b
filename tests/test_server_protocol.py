"""The pure parts of kg serve, with property tests: the Accept parser and content negotiation,
the SPARQL scanner that finds SERVICE and LOAD, the result writers (read back by pyoxigraph's
parsers), and the Host and Origin checks."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg import registry
from kg.errors import UnknownNameError
from kg.protocol import host_allowed, negotiate, parse_accept, same_origin
from kg.results import QueryResult, formats_for, write_json, write_tsv, write_xml
from kg.sparql_scan import scan, unescape

MEDIA = [m for kind in ("select", "graph") for f in formats_for(kind) for m in f.media_types]


@settings(deadline=None)  # a busy machine is no failure
@given(st.text())
def test_protocol_parse_accept_takes_any_text(header):
    for media_range in parse_accept(header):
        assert 0.0 <= media_range.q <= 1.0 and media_range.type and media_range.subtype
        assert media_range.type == media_range.type.lower()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(MEDIA + ["image/png", "text/*", "application/*", "*/*"]), st.integers(0, 1000)),
        min_size=1,
        max_size=6,
        unique_by=lambda e: e[0],
    ),
    st.sampled_from(["select", "ask", "graph"]),
)
def test_protocol_negotiate_picks_the_best_q(entries, kind):
    header = ", ".join(f"{media};q={q / 1000:g}" for media, q in entries)
    chosen = negotiate(header, kind)
    ranges = parse_accept(header)

    def q_of(media):  # the most specific range that matches decides
        matched = [(r.matches(media), r.q) for r in ranges if r.matches(media)]
        return max(matched)[1] if matched else 0.0

    best = max(q_of(m) for f in formats_for(kind) for m in f.media_types)
    if best == 0:
        assert chosen is None
    else:
        assert chosen is not None and kind in chosen.kinds
        assert max(q_of(m) for m in chosen.media_types) == best


@pytest.mark.parametrize(
    "header,kind,expected",
    [
        ("application/sparql-results+xml", "select", "xml"),
        ("application/sparql-results+xml, */*;q=0.1", "graph", "turtle"),
        ("text/*", "graph", "turtle"),
        ("text/*", "select", "csv"),
        ("application/*", "select", "json"),
        (
            "text/csv;q=0.1, text/*;q=0.9",
            "select",
            "tsv",
        ),  # text/csv is named with a low q: the wildcard does not lift it
        ("image/png", "select", None),
        ("text/csv;q=0", "select", None),
        ("text/csv;q=abc", "select", None),
        (None, "select", "json"),
        ("", "graph", "turtle"),
    ],
)
def test_protocol_negotiate_cases(header, kind, expected):
    chosen = negotiate(header, kind)
    assert (chosen.name if chosen else None) == expected


def test_protocol_unknown_format_lists_the_known():
    with pytest.raises(
        UnknownNameError, match="unknown format 'x'; use one of: csv, json, jsonld, nt, rdfxml, table, tsv, turtle, xml"
    ):
        registry.get(registry.result_formats, "x", "format")


KEYWORD_SPELLINGS = st.lists(st.booleans(), min_size=7, max_size=7)
GAPS = st.sampled_from([" ", "\n", "\t", "  # a comment\n", " SILENT ", " silent\n"])


def spell(word: str, upper: list[bool], escaped: list[bool]) -> str:
    """`word` in mixed case, some letters written as \\u escapes."""
    out = ""
    for letter, up, escape in zip(word, upper, escaped):
        letter = letter.upper() if up else letter.lower()
        out += f"\\u{ord(letter):04X}" if escape else letter
    return out


@settings(deadline=None)  # a busy machine is no failure
@given(KEYWORD_SPELLINGS, KEYWORD_SPELLINGS, GAPS, st.sampled_from(["example.org", "127.0.0.1", "localhost"]))
def test_scan_finds_service_however_written(upper, escaped, gap, host):
    service = spell("SERVICE", upper, escaped)
    query = f"SELECT * WHERE {{ ?s ?p ?o . {service}{gap}<http://{host}:8890/sparql> {{ ?s ?p ?o }} }}"
    assert scan(query).remote_hosts() == [host]


@settings(deadline=None)  # a busy machine is no failure
@given(st.lists(st.booleans(), min_size=4, max_size=4), st.lists(st.booleans(), min_size=4, max_size=4))
def test_scan_finds_load_however_written(upper, escaped):
    update = f"{spell('LOAD', upper, escaped)} <http://internal.example/secret.ttl> INTO GRAPH <http://x/g>"
    found = scan(update)
    assert found.is_update and found.remote_hosts() == ["internal.example"]


@pytest.mark.parametrize(
    "text,hosts",
    [
        ('SELECT * WHERE { ?s ?p "SERVICE <http://a.example/> { }" }', []),
        ("SELECT * WHERE { ?s ?p ?o } # SERVICE <http://a.example/> { }", []),
        ("SELECT ?service WHERE { ?service ?load ?o }", []),
        ("PREFIX ex: <http://a.example/> SELECT * WHERE { ex:service ex:load ?o }", []),
        ("SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }", [None]),
        ("PREFIX ex: <http://b.example/x/> SELECT * WHERE { SERVICE ex:sparql { ?s ?p ?o } }", ["b.example"]),
        ("SELECT * WHERE { SERVICE undeclared:sparql { ?s ?p ?o } }", [None]),
        ("SELECT * WHERE { SERVICE <ftp://c.example/> { ?s ?p ?o } }", [None]),
        ("SELECT * WHERE { FILTER(?a<?b) SERVICE <http://d.example/> { ?s ?p ?o } }", ["d.example"]),
        ("SELECT * WHERE { ?s ?p '''a\n'SERVICE' <http://e.example/>''' }", []),
    ],
)
def test_scan_cases(text, hosts):
    assert scan(text).remote_hosts() == hosts


@settings(deadline=None)  # a busy machine is no failure
@given(st.text())
def test_scan_takes_any_text(text):
    found = scan(text)
    assert all(remote.keyword in ("SERVICE", "LOAD") for remote in found.remotes)


@settings(deadline=None)  # a busy machine is no failure
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=5))
def test_scan_unescape_undoes_codepoint_escapes(text):
    escaped = "".join(f"\\U{ord(c):08X}" for c in text)
    assert unescape(escaped) == text


@pytest.mark.parametrize(
    "form,text",
    [
        ("SELECT", "PREFIX a: <http://a/> SELECT * { ?s ?p ?o }"),
        ("ASK", "ask {}"),
        ("CONSTRUCT", "BASE <http://a/> CONSTRUCT WHERE { ?s ?p ?o }"),
        ("INSERT", "INSERT DATA { <http://a/> <http://b/> 1 }"),
        ("DELETE", "# c\ndelete where { ?s ?p ?o }"),
        ("CLEAR", "CLEAR ALL"),
        ("WITH", "WITH <http://g/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"),
    ],
)
def test_scan_form(form, text):
    assert scan(text).form == form


TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("<>&'\"\t\n"), max_size=30)
TERMS = st.one_of(
    st.none(),
    TEXT.map(ox.Literal),
    st.tuples(TEXT, st.sampled_from(["en", "de-CH", "fr"])).map(lambda t: ox.Literal(t[0], language=t[1])),
    st.integers().map(lambda n: ox.Literal(str(n), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))),
    st.sampled_from(["http://kg.example/id/a", "http://x.example/?a=1&b='2'", "urn:x:é"]).map(ox.NamedNode),
    st.sampled_from(["b1", "node2"]).map(ox.BlankNode),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TERMS, TERMS), max_size=5))
def test_results_xml_json_tsv_read_back_by_pyoxigraph(rows):
    result = QueryResult("select", ["a", "b"], rows)
    for write, fmt in [
        (write_xml, ox.QueryResultsFormat.XML),
        (write_json, ox.QueryResultsFormat.JSON),
        (write_tsv, ox.QueryResultsFormat.TSV),
    ]:
        if write is write_tsv and any(
            isinstance(t, ox.Literal) and ("\t" in t.value or "\n" in t.value) for row in rows for t in row
        ):
            continue  # TSV writes terms in N-Triples, which escapes these; pyoxigraph's reader is checked on the rest
        back = [tuple(solution[v] for v in ("a", "b")) for solution in ox.parse_query_results(write(result), fmt)]
        assert back == rows, write.__name__


@pytest.mark.parametrize("boolean", [True, False])
def test_results_ask_read_back(boolean):
    result = QueryResult("ask", [], [], boolean)
    assert bool(ox.parse_query_results(write_xml(result), ox.QueryResultsFormat.XML)) is boolean
    assert bool(ox.parse_query_results(write_json(result), ox.QueryResultsFormat.JSON)) is boolean


@pytest.mark.parametrize(
    "host,bound,allowed,ok",
    [
        ("127.0.0.1:7878", "127.0.0.1", (), True),
        ("localhost", "127.0.0.1", (), True),
        ("[::1]:7878", "127.0.0.1", (), True),
        ("10.0.0.5", "0.0.0.0", (), True),
        ("evil.example", "127.0.0.1", (), False),
        ("localhost.evil.example", "127.0.0.1", (), False),
        ("kg.lan:80", "0.0.0.0", ("kg.lan",), True),
        ("kg.lan", "0.0.0.0", (), False),
        ("server.example", "server.example", (), True),
        ("localhost", "server.example", (), False),
    ],
)
def test_protocol_host_allowed(host, bound, allowed, ok):
    assert host_allowed(host, bound, allowed) is ok


@pytest.mark.parametrize(
    "origin,host,same",
    [
        ("http://127.0.0.1:7878", "127.0.0.1:7878", True),
        ("http://127.0.0.1:7878", "127.0.0.1:7879", False),
        ("http://evil.example", "127.0.0.1:7878", False),
        ("null", "127.0.0.1:7878", False),
    ],
)
def test_protocol_same_origin(origin, host, same):
    assert same_origin(origin, host) is same
