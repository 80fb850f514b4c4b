"""kg serve: the SPARQL 1.1 Protocol (formats, content negotiation, service description, dataset)
and its safety (CORS, Host, updates from other origins, SERVICE and LOAD, body limits, bounded
queries). Every server binds 127.0.0.1 and is stopped by its test."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from xml.dom.minidom import Document

import pyoxigraph as ox
import pytest
import rdflib
import rdflib.compare

from kg.server import SparqlServer

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
ROLES = "SELECT ?x ?name WHERE { ?x a kg:Role ; rdfs:label ?name } ORDER BY ?name"
RUNAWAY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"


@pytest.fixture(scope="module")
def server(sample_build):
    with SparqlServer(
        sample_build, port=0, timeout=20, max_memory=300, workers=2, cors=("http://allowed.example",), request_timeout=2
    ) as running:
        yield running


@pytest.fixture(scope="module")
def updatable(sample_build):
    with SparqlServer(sample_build, port=0, allow_update=True, cors=("http://allowed.example",)) as running:
        yield running


def http(url, data=None, headers=None, method=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


def get(server, query, **headers):
    return http(server.url + "?" + urllib.parse.urlencode({"query": query}), headers=headers)


def ask(server, query):
    status, _, body = get(server, query, Accept="application/sparql-results+json")
    assert status == 200, body
    return json.loads(body)["boolean"]


def raw(server, request: bytes, wait: float = 30) -> bytes:
    """Send bytes on a fresh connection; what comes back until the server closes or `wait` passes."""
    host, port = server.httpd.server_address[:2]
    with socket.create_connection((host, port), timeout=wait) as conn:
        conn.sendall(request)
        received = b""
        try:
            while chunk := conn.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionError):
            pass
        return received


# ---- the protocol


def test_server_sparqlwrapper_defaults_select_gives_a_dom(server):
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(server.url)
    client.setQuery(ROLES)  # the kg prefixes are predeclared
    result = client.query()
    assert result.info()["content-type"].startswith("application/sparql-results+xml")
    dom = result.convert()
    assert isinstance(dom, Document)
    names = [
        b.getElementsByTagName("literal")[0].firstChild.data
        for b in dom.getElementsByTagName("binding")
        if b.getAttribute("name") == "name"
    ]
    assert "Prime Minister" in names and names == sorted(names)


def test_server_sparqlwrapper_defaults_construct_gives_an_rdflib_graph(server):
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(server.url)
    client.setQuery(
        "PREFIX kg: <http://kg.example/vocab#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "CONSTRUCT { ?x rdfs:label ?n } WHERE { ?x a kg:Role ; rdfs:label ?n }"
    )
    graph = client.query().convert()
    assert isinstance(graph, rdflib.Graph)
    assert (None, rdflib.RDFS.label, rdflib.Literal("Prime Minister")) in graph


@pytest.mark.parametrize(
    "accept,expected",
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.2, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("text/*;q=0.5, application/json;q=0.4", "text/csv"),
        ("image/png, */*;q=0.1", "application/sparql-results+json"),
        ("", "application/sparql-results+json"),
    ],
)
def test_server_select_content_negotiation(server, accept, expected):
    status, headers, body = get(server, ROLES, Accept=accept)
    assert status == 200 and headers["Content-Type"].split(";")[0] == expected, body
    assert headers["Vary"].startswith("Accept")
    if expected.endswith("xml"):
        rows = list(ox.parse_query_results(body, ox.QueryResultsFormat.XML))
    elif expected.endswith("json"):
        rows = list(ox.parse_query_results(body, ox.QueryResultsFormat.JSON))
    elif expected == "text/tab-separated-values":
        rows = list(ox.parse_query_results(body, ox.QueryResultsFormat.TSV))
    else:
        rows = body.splitlines()[1:]
    assert len(rows) == len(get(server, ROLES, Accept="text/csv")[2].splitlines()) - 1 > 3


@pytest.mark.parametrize(
    "accept,expected,rdflib_format",
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/ld+json;q=0.5, application/rdf+xml", "application/rdf+xml", "xml"),
        ("*/*", "text/turtle", "turtle"),
    ],
)
def test_server_graph_results_in_every_rdf_format(server, accept, expected, rdflib_format):
    status, headers, body = get(
        server, "CONSTRUCT { ?x rdfs:label ?n } WHERE { ?x a kg:Role ; rdfs:label ?n }", Accept=accept
    )
    assert status == 200 and headers["Content-Type"].split(";")[0] == expected
    graph = rdflib.Graph().parse(data=body, format=rdflib_format)
    turtle = rdflib.Graph().parse(
        data=get(server, "CONSTRUCT { ?x rdfs:label ?n } WHERE { ?x a kg:Role ; rdfs:label ?n }", Accept="text/turtle")[
            2
        ],
        format="turtle",
    )
    assert len(graph) > 3 and rdflib.compare.isomorphic(graph, turtle)


def test_server_ask_in_xml_and_csv(server):
    status, _, body = get(server, "ASK { ?x a kg:Person }", Accept="application/sparql-results+xml")
    assert status == 200 and bool(ox.parse_query_results(body, ox.QueryResultsFormat.XML)) is True
    assert get(server, "ASK { ?x a kg:Nothing }", Accept="text/csv")[2].splitlines() == ["_askResult", "false"]


@pytest.mark.parametrize("accept", ["image/png", "text/html", "application/sparql-results+json;q=0"])
def test_server_unacceptable_type_is_406(server, accept):
    status, headers, body = get(server, ROLES, Accept=accept)
    assert status == 406 and "application/sparql-results+xml" in body
    assert headers["Vary"].startswith("Accept")


def test_server_graph_result_not_in_a_solutions_format_is_406(server):
    status, _, body = get(server, "CONSTRUCT WHERE { ?x a kg:Role }", Accept="application/sparql-results+json")
    assert status == 406 and "no acceptable format for a graph result" in body and "text/turtle" in body


@pytest.mark.parametrize(
    "accept,rdflib_format", [(None, "turtle"), ("application/rdf+xml", "xml"), ("application/n-triples", "nt")]
)
def test_server_service_description(server, accept, rdflib_format):
    status, headers, body = http(server.url, headers={"Accept": accept} if accept else {})
    assert status == 200, body
    graph = rdflib.Graph().parse(data=body, format=rdflib_format)
    service = rdflib.URIRef(server.url)
    assert (service, rdflib.RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in graph  # read-only
    formats = set(graph.objects(service, SD.resultFormat))
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_XML") in formats
    assert rdflib.URIRef("http://www.w3.org/ns/formats/RDF_XML") in formats
    assert graph.value(graph.value(service, SD.defaultDataset), SD.defaultGraph) is not None


def test_server_service_description_says_update_when_allowed(updatable):
    graph = rdflib.Graph().parse(data=http(updatable.url)[2], format="turtle")
    assert (rdflib.URIRef(updatable.url), SD.supportedLanguage, SD.SPARQL11Update) in graph


def test_server_dataset_parameters(server):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    plain = int(get(server, count, Accept="text/csv")[2].splitlines()[1])
    assert plain > 100
    url = (
        server.url
        + "?"
        + urllib.parse.urlencode({"query": count, "default-graph-uri": "http://kg.example/no-such-graph"})
    )
    assert http(url, headers={"Accept": "text/csv"})[2].splitlines()[1] == "0"  # honoured: that graph is empty
    named = (
        server.url
        + "?"
        + urllib.parse.urlencode(
            {"query": "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": "http://kg.example/g"}
        )
    )
    assert http(named, headers={"Accept": "text/csv"})[2].splitlines() == ["g"]
    status, _, body = http(
        server.url + "?" + urllib.parse.urlencode({"query": count, "default-graph-uri": "not an iri"})
    )
    assert status == 400 and "not a valid graph IRI" in body
    status, _, body = http(server.url + "?" + urllib.parse.urlencode({"query": count, "using-graph-uri": "http://x/g"}))
    assert status == 400 and "belongs to an update" in body


def test_server_query_by_post_forms_and_bad_requests(server):
    form = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"}
    status, _, body = http(server.url, urllib.parse.urlencode({"query": "ASK { ?x a kg:Person }"}).encode(), form)
    assert (status, body.splitlines()) == (200, ["_askResult", "true"])
    status, _, body = http(server.url, b"query=ASK+%7B%7D&query=ASK+%7B%7D", form)
    assert status == 400 and "more than one query" in body
    status, _, body = http(server.url, b"\xff\xfe", {"Content-Type": "application/sparql-query"})
    assert status == 400 and "not UTF-8" in body
    status, _, body = http(server.url, b"query=ASK+%7B%7D", {"Content-Type": "text/plain"})
    assert status == 415
    status, _, body = get(server, "INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }")
    assert status == 400 and "SPARQL Update (INSERT), not a query" in body


# ---- safety


def test_server_cross_origin_read_gets_no_cors_header(server):
    status, headers, _ = get(server, ROLES, Origin="http://evil.example")
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = http(
        server.url, method="OPTIONS", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in headers and "Access-Control-Allow-Methods" not in headers
    _, headers, _ = get(server, ROLES, Origin="http://allowed.example")  # --cors http://allowed.example
    assert headers["Access-Control-Allow-Origin"] == "http://allowed.example" and "Origin" in headers["Vary"]


def test_server_default_has_no_cors_at_all(sample_build):
    with SparqlServer(sample_build, port=0, workers=1) as server:
        _, headers, _ = get(server, "ASK {}", Origin="http://allowed.example")
        assert "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize("host", ["evil.example", "evil.example:7878", "attacker.localhost"])
def test_server_refuses_a_foreign_host_header(server, host):
    status, _, body = get(server, "ASK {}", Host=host)
    assert status == 400 and "not this server's name" in body


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "LOCALHOST:80"])
def test_server_takes_its_own_names(server, host):
    assert get(server, "ASK {}", Host=host)[0] == 200


def test_server_cross_origin_form_update_is_refused(updatable):
    insert = urllib.parse.urlencode({"update": "INSERT DATA { <http://x/evil> <http://x/b> 'c' }"}).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = http(updatable.url, insert, {**form, "Origin": "http://evil.example"})
    assert status == 403 and "another origin" in body
    status, _, _ = http(
        updatable.url,
        b"INSERT DATA { <http://x/evil> <http://x/b> 'c' }",
        {"Content-Type": "application/sparql-update", "Origin": "http://evil.example"},
    )
    assert status == 403
    assert http(updatable.url, insert, {"Content-Type": "text/plain"})[0] == 415  # a simple request a page may send
    assert ask(updatable, "ASK { <http://x/evil> ?p ?o }") is False
    host = urllib.parse.urlsplit(updatable.url).netloc
    assert (
        http(updatable.url, insert, {**form, "Origin": f"http://{host}"})[0] == 204
    )  # the query page of the server itself
    assert ask(updatable, "ASK { <http://x/evil> ?p ?o }") is True
    status, _, _ = http(
        updatable.url,
        b"INSERT DATA { <http://x/ok> <http://x/b> 'c' }",
        {"Content-Type": "application/sparql-update", "Origin": "http://allowed.example"},
    )
    assert status == 204 and ask(updatable, "ASK { <http://x/ok> ?p ?o }") is True
    status, _, body = http(
        updatable.url + "?using-graph-uri=http%3A%2F%2Fx%2Fg",
        b"INSERT DATA { <http://x/a> <http://x/b> 'c' }",
        {"Content-Type": "application/sparql-update"},
    )
    assert status == 400 and "using-graph-uri is not supported" in body


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { service silent <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "PREFIX r: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE r:sparql { ?s ?p ?o } }",
        "SELECT * WHERE { VALUES ?e { <http://127.0.0.1:9/sparql> } SERVICE ?e { ?s ?p ?o } }",
        "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    ],
)
def test_server_refuses_service_by_default(server, query):
    status, _, body = get(server, query)
    assert status == 403 and "is refused" in body and "--allow-federation" in body


def test_server_refuses_load_by_default(updatable):
    status, _, body = http(
        updatable.url, b"LOAD <http://127.0.0.1:9/data.ttl>", {"Content-Type": "application/sparql-update"}
    )
    assert status == 403 and "LOAD <http://127.0.0.1:9/data.ttl> is refused" in body


def test_server_federation_only_to_listed_hosts(sample_build, server):
    remote = server.url.replace("127.0.0.1", "localhost")  # the module's server, under a name of its own
    with SparqlServer(sample_build, port=0, workers=1, allow_federation=("localhost",)) as federating:
        query = (
            f"SELECT ?name WHERE {{ SERVICE <{remote}> {{ ?x a <http://kg.example/vocab#Role> ; "
            "<http://www.w3.org/2000/01/rdf-schema#label> ?name } }"
        )
        status, _, body = get(federating, query, Accept="text/csv")
        assert status == 200 and "Prime Minister" in body.splitlines()
        status, _, body = get(federating, query.replace("localhost", "127.0.0.1"), Accept="text/csv")
        assert status == 403 and "--allow-federation 127.0.0.1" in body
        status, _, body = get(
            federating, query.replace("/sparql", "/private"), Accept="text/csv"
        )  # an allowed host that fails
        assert (
            status == 502 and "not shown" in body and "/sparql" not in body
        )  # its answer (a 404 page here) is not relayed
        assert get(federating, "ASK { ?x a kg:Person }")[0] == 200


def test_server_caps_the_request_body_with_413(server):
    """100 MB announced and streamed from one 1 MB buffer: the answer comes before the body is read."""
    host, port = server.httpd.server_address[:2]
    chunk, sent = b"x" * (1 << 20), 0
    with socket.create_connection((host, port), timeout=30) as conn:
        conn.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 104857600\r\n\r\n"
        )
        while sent < 100 * len(chunk) and not select.select([conn], [], [], 0)[0]:
            try:
                conn.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"--max-body" in answer and sent < 100 * len(chunk)
    assert get(server, "ASK {}")[0] == 200


@pytest.mark.parametrize("length", ["abc", "-5", "1e3"])
def test_server_malformed_content_length_is_400(server, length):
    answer = raw(
        server,
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: " + length.encode() + b"\r\n\r\nASK {}",
    )
    assert answer.startswith(b"HTTP/1.1 400") and b"not a number of bytes" in answer


def test_server_drops_a_client_that_sends_less_than_it_announced(server, capfd):
    started = time.monotonic()
    answer = raw(
        server,
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 500\r\n\r\nASK {}",
        wait=60,
    )
    assert answer == b"" and time.monotonic() - started < 30  # closed after request_timeout (2 s), not held
    assert get(server, "ASK {}")[0] == 200
    assert "Traceback" not in capfd.readouterr().err


def test_server_quiet_when_clients_go_away(server, capfd):
    host, port = server.httpd.server_address[:2]
    for request in [
        b"GET /sparql?query=" + urllib.parse.quote(RUNAWAY).encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nASK",
        b"GET /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    ]:
        conn = socket.create_connection((host, port))
        conn.sendall(request)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # close with a reset
        conn.close()
    time.sleep(3)
    assert get(server, "ASK {}")[0] == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error" not in err, err


def test_server_stops_a_runaway_query_and_answers_the_others(server):
    """ORDER BY over a cross product (6 GB in 12 s before): stopped by --max-memory (300 MB here) or
    the timeout; the queries sent meanwhile and the next one are answered."""
    outcome = {}
    runaway = threading.Thread(target=lambda: outcome.update(result=get(server, RUNAWAY)))
    started = time.monotonic()
    runaway.start()
    neighbours = [get(server, "ASK { ?x a kg:Person }")[0] for _ in range(3)]
    runaway.join(120)
    status, _, body = outcome["result"]
    assert status == 503 and ("--max-memory" in body or "--timeout" in body), body
    assert time.monotonic() - started < 60
    assert neighbours == [200, 200, 200]
    assert ask(server, "ASK { ?x a kg:Person }") is True


def test_server_timeout_without_a_memory_cap(sample_build):
    with SparqlServer(sample_build, port=0, workers=1, timeout=2, max_memory=0) as server:
        status, _, body = get(server, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
        assert status == 503 and "stopped after 2 s" in body
        assert ask(server, "ASK { ?x a kg:Person }") is True


def test_server_answers_queries_at_once(server):
    """16 clients at once, none refused (the listen backlog was 5, one query at a time)."""
    results = []

    def client():
        results.extend(get(server, ROLES, Accept="text/csv")[0] for _ in range(5))

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == [200] * 80


def test_server_cli_options_reach_the_server(sample_build, tmp_path):
    from test_sparql import serve_in_subprocess, stop

    process, url = serve_in_subprocess(
        sample_build,
        tmp_path,
        "--max-body",
        "1",
        "--workers",
        "1",
        "--cors",
        "http://a.example",
        "--max-memory",
        "200",
        "--timeout",
        "20",
    )
    try:
        status, _, body = http(url, b"ASK {}" + b" " * (2 << 20), {"Content-Type": "application/sparql-query"})
        assert status == 413 and "1,048,576 bytes" in body
        _, headers, _ = http(url + "?query=ASK%7B%7D", headers={"Origin": "http://a.example"})
        assert headers["Access-Control-Allow-Origin"] == "http://a.example"
        status, _, body = http(url + "?" + urllib.parse.urlencode({"query": RUNAWAY}))
        assert status == 503 and "200 MB" in body
    finally:
        assert stop(process) == 0


@pytest.mark.parametrize(
    "request_bytes,status,message",
    [
        (
            b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n\r\n",
            b"411",
            b"needs a Content-Length",
        ),
        (
            b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nASK{}\r\n0\r\n\r\n",
            b"411",
            b"chunked body",
        ),
        (b"POST /other HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", b"404", b"the endpoint is /sparql"),
        (b"GET /sparql?update=CLEAR+ALL HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"405", b"needs POST"),
        (b"GET /sparql?query=ASK%7B%7D&update=CLEAR+ALL HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"405", b"needs POST"),
        (b"GET /sparql?query= HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"400", b"no query"),
        (b"GET /sparql?query=%FF HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"400", b"not valid percent-encoded UTF-8"),
        (
            b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
            b"application/x-www-form-urlencoded\r\nContent-Length: 24\r\n\r\nquery=ASK%7B%7D&update=X",
            b"400",
            b"either a query or an update",
        ),
        (
            b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 200000000\r\nExpect: 100-continue\r\n\r\n",
            b"413",
            b"--max-body",
        ),
    ],
)
def test_server_bad_requests(server, request_bytes, status, message):
    answer = raw(
        server,
        request_bytes
        if b"Connection" in request_bytes
        else request_bytes.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1),
    )
    assert answer.startswith(b"HTTP/1.1 " + status) and message in answer, answer[:300]


def test_server_update_errors(updatable):
    status, _, body = http(
        updatable.url, b"INSERT DATA { <http://x/a> }", {"Content-Type": "application/sparql-update"}
    )
    assert status == 400 and body.startswith("malformed update")
    status, _, body = http(updatable.url, b"", {"Content-Type": "application/sparql-update"})
    assert status == 400 and "no query" in body


def test_server_port_in_use_is_one_line(sample_build, server):
    from kg.errors import ConfigError

    port = server.httpd.server_address[1]
    with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port} "):
        SparqlServer(sample_build, port=port, workers=1)


def test_server_missing_graph(tmp_path):
    from kg.errors import InputError

    with pytest.raises(InputError, match="no such file or folder"):
        SparqlServer(tmp_path / "nothing", port=0)
