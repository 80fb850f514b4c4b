"""SPARQL: the example queries, kg query, the on-disk store, the endpoint and kg push."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import DATA

from kg.cli import cli
from kg.query import QUERY_DIR, format_result, open_graph, read_query, run_query


def rows(graph, query_name, **bindings):
    result = run_query(open_graph(graph), read_query(query_name), bindings)
    return [tuple("" if t is None else t.value for t in row) for row in result.rows]


#: every example query, with rows the graph of data/ must give
EXPECTED = {
    "who_met_whom": ({"name": "Joe Biden"}, [("Joe Biden", "Yoon Suk Yeol", "Camp David", "2023-08-18")]),
    "who_wrote_what": (
        {},
        [
            ("AUKUS Leaders Meet in San Diego", "Tom Becker", "", "2023-03-13"),
            ("NATO Allies Gather in Vilnius", "Lena Fischer", "kg sample news", "2023-07-12"),
        ],
    ),
    "who_works_where": (
        {},
        [("Tom Becker", "University of Sydney", "Tom Becker is a lecturer at the University of Sydney.")],
    ),
    "roles": ({}, [("Fumio Kishida", "Prime Minister"), ("Jens Stoltenberg", "Secretary-General")]),
    "facts_about": (
        {"name": "Tom Becker"},
        [
            (
                "Tom Becker",
                "works_for",
                "University of Sydney",
                "Tom Becker is a lecturer at the University of Sydney.",
                "samples/aukus_announcement.md",
            )
        ],
    ),
    "documents_mentioning_both": (
        {"first": "Joe Biden", "second": "Fumio Kishida"},
        [
            ("Joe Biden", "Fumio Kishida", "brief-quad-2022", "Quad Leaders Meet in Tokyo"),
            ("Joe Biden", "Fumio Kishida", "samples/camp_david_summit.txt", "A Trilateral Moment at Camp David"),
        ],
    ),
    "most_connected": ({}, [("Joe Biden", "Person")]),
    "entities_by_type": ({}, [("Document", "5")]),
}


def test_sparql_every_example_query_has_an_expectation():
    assert {p.stem for p in QUERY_DIR.glob("*.rq")} == set(EXPECTED)
    for path in QUERY_DIR.glob("*.rq"):
        assert path.read_text().startswith("# "), f"{path.name} needs a comment saying what it answers"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sparql_example_query_on_sample_graph(sample_build, name):
    bindings, expected = EXPECTED[name]
    found = rows(sample_build, name, **bindings)
    for row in expected:
        assert any(got[: len(row)] == row for got in found), f"{name}: {row} not in {found[:10]}"
    if name == "most_connected":
        assert found[0][:2] == ("Joe Biden", "Person")


def test_sparql_seed_who_met_kishida_and_where(seed_build):
    found = rows(seed_build, "who_met_whom", name="Fumio Kishida")
    assert ("Fumio Kishida", "Joe Biden", "Akasaka Imperial Palace", "2022-05-23") in found


def test_sparql_seed_who_authored_the_commentary(seed_build):
    authors = {row[1] for row in rows(seed_build, "who_wrote_what")}
    assert authors == {"Jeffrey W. Hornung", "Zack Cooper"}


def test_sparql_query_kinds_and_formats(sample_build):
    store = open_graph(sample_build)
    select = run_query(store, "SELECT ?n WHERE { ?x a kg:Person ; rdfs:label ?n } ORDER BY ?n LIMIT 2")
    assert format_result(select, "csv").splitlines()[0] == "n"
    assert format_result(select, "tsv").splitlines()[1].startswith('"')
    assert json.loads(format_result(select, "json"))["head"]["vars"] == ["n"]
    assert "(2 rows)" in format_result(select, "table")
    assert format_result(run_query(store, "ASK { ?x a kg:Person }"), "json") == '{"head": {}, "boolean": true}'
    construct = run_query(store, "CONSTRUCT { ?x rdfs:label ?n } WHERE { ?x a kg:Role ; rdfs:label ?n }")
    assert "rdfs:label" in format_result(construct, "table")
    describe = run_query(store, "DESCRIBE <http://kg.example/id/person/biden-joe>")
    assert describe.kind == "graph" and describe.rows


def test_sparql_cli_query(sample_build, tmp_path):
    result = CliRunner().invoke(cli, ["query", str(sample_build), "roles", "-f", "table"])
    assert result.exit_code == 0 and "Prime Minister" in result.output
    (tmp_path / "q.rq").write_text("SELECT (COUNT(*) AS ?n) WHERE { ?x a kg:Document }")
    result = CliRunner().invoke(cli, ["query", str(sample_build / "graph.ttl"), str(tmp_path / "q.rq"), "-f", "csv"])
    assert result.output.splitlines() == ["n", "5"]


@pytest.mark.parametrize(
    "make,args,message",
    [
        (lambda t: None, ["query", "{t}/missing", "ASK {}"], "no such file or folder"),
        (
            lambda t: (t / "bad.ttl").write_text("@prefix x: <http://x/> .\nx:a x:b ;;; ."),
            ["query", "{t}/bad.ttl", "ASK {}"],
            "bad.ttl:2:",
        ),
        (lambda t: None, ["query", "{sample}", "SELECT ?x WHERE {\n ?x ?y }"], "malformed query at line 2, column"),
        (lambda t: None, ["query", "{sample}", "nothing.rq"], "no such query file"),
        (lambda t: None, ["query", "{sample}", "who_met"], "no example query 'who_met'; see kg query --list"),
        (
            lambda t: None,
            ["query", "{sample}", "INSERT DATA { <http://x/a> <http://x/b> 1 }"],
            "this is a SPARQL Update (INSERT), not a query",
        ),
        (
            lambda t: None,
            ["query", "{sample}", "PREFIX x: <http://x/>\ndelete where { ?s x:p ?o }"],
            "this is a SPARQL Update (DELETE)",
        ),
        (
            lambda t: None,
            ["query", "{sample}", "roles", "-f", "yaml"],
            "unknown format 'yaml'; use one of: csv, json, jsonld, nt, rdfxml, table, tsv, turtle, xml",
        ),
        (lambda t: None, ["query", "{sample}", "roles", "-f", "turtle"], "format 'turtle' is for graph results"),
        (lambda t: None, ["query", "{sample}"], "give GRAPH and QUERY (or --list"),
        (
            lambda t: None,
            [
                "query",
                "{sample}",
                "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                "--timeout",
                "1",
                "--max-memory",
                "0",
            ],
            "the query was stopped after 1 s (the limit set by --timeout)",
        ),
        (
            lambda t: None,
            [
                "query",
                "{sample}",
                "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i",
                "--max-memory",
                "200",
            ],
            "the query was stopped: it needed more than 200 MB (the limit set by --max-memory)",
        ),
        (lambda t: None, ["query", "{sample}", "ASK {}", "--bind", "oops"], "expected NAME=VALUE"),
        (lambda t: (t / "x.csv").write_text("a"), ["query", "{t}/x.csv", "ASK {}"], "unknown RDF file type .csv"),
    ],
)
def test_sparql_bad_input_is_one_line_error(sample_build, tmp_path, make, args, message):
    make(tmp_path)
    result = CliRunner().invoke(
        cli, [a.replace("{t}", str(tmp_path)).replace("{sample}", str(sample_build)) for a in args]
    )
    assert result.exit_code != 0 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if "rror" in line]
    assert len(errors) == 1 and message in errors[0], result.output


def test_sparql_cli_lists_the_example_queries():
    result = CliRunner().invoke(cli, ["query", "--list"])
    assert result.exit_code == 0
    listed = dict(line.split(None, 1) for line in result.output.splitlines())
    assert set(listed) == set(EXPECTED)
    assert listed["roles"] == (QUERY_DIR / "roles.rq").read_text().splitlines()[0].removeprefix("# ")


@pytest.mark.parametrize(
    "fmt,parse",
    [
        ("xml", lambda text: len(list(ox.parse_query_results(text, ox.QueryResultsFormat.XML)))),
        ("json", lambda text: len(list(ox.parse_query_results(text, ox.QueryResultsFormat.JSON)))),
        ("tsv", lambda text: len(list(ox.parse_query_results(text, ox.QueryResultsFormat.TSV)))),
    ],
)
def test_sparql_cli_select_formats_parse(sample_build, fmt, parse):
    result = CliRunner().invoke(cli, ["query", str(sample_build), "roles", "-f", fmt])
    assert result.exit_code == 0 and parse(result.output) == len(rows(sample_build, "roles")) > 3


@pytest.mark.parametrize(
    "fmt,rdflib_format", [("turtle", "turtle"), ("nt", "nt"), ("rdfxml", "xml"), ("jsonld", "json-ld")]
)
def test_sparql_cli_graph_formats_parse(sample_build, fmt, rdflib_format):
    import rdflib

    result = CliRunner().invoke(
        cli, ["query", str(sample_build), "CONSTRUCT WHERE { ?x a kg:Role ; rdfs:label ?n }", "-f", fmt]
    )
    assert result.exit_code == 0
    graph = rdflib.Graph().parse(data=result.output, format=rdflib_format)
    assert len(graph) == 2 * len(rows(sample_build, "SELECT ?x WHERE { ?x a kg:Role }"))


def test_sparql_store_load_is_incremental(sample_build, seed_build, tmp_path):
    store = tmp_path / "store"
    triples = len(open_graph(sample_build))
    first = CliRunner().invoke(cli, ["load", str(sample_build), "--store", str(store)])
    assert first.exit_code == 0 and first.output == f"{store}: {triples:,} triples added, {triples:,} in the store\n"
    again = CliRunner().invoke(cli, ["load", str(sample_build), "--store", str(store)])
    assert again.output == f"{store}: 0 triples added, {triples:,} in the store\n"
    more = CliRunner().invoke(cli, ["load", str(seed_build), "--store", str(store)])
    added, total = re.fullmatch(r".*: ([\d,]+) triples added, ([\d,]+) in the store\n", more.output).groups()
    assert int(total.replace(",", "")) == triples + int(added.replace(",", "")) and int(added.replace(",", "")) > 0
    result = CliRunner().invoke(
        cli, ["query", str(store), "SELECT (COUNT(?d) AS ?n) WHERE { ?d a kg:Document }", "-f", "csv"]
    )
    assert result.output.splitlines() == ["n", "6"]


def test_sparql_build_with_store(tmp_path):
    result = CliRunner().invoke(
        cli,
        [
            "build",
            str(DATA / "samples" / "camp_david_summit.txt"),
            "-o",
            str(tmp_path / "out"),
            "--store",
            str(tmp_path / "st"),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    assert rows(tmp_path / "st", "roles")


def test_sparql_store_locked_by_another_process(sample_build, tmp_path):
    store = tmp_path / "store"
    assert CliRunner().invoke(cli, ["load", str(sample_build), "--store", str(store)]).exit_code == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import pyoxigraph, time; s = pyoxigraph.Store({str(store)!r}); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = CliRunner().invoke(cli, ["load", str(sample_build), "--store", str(store)])
        assert result.exit_code != 0 and "locked by another process" in result.output
    finally:
        holder.kill()
        holder.wait()


def test_sparql_load_refuses_a_folder_that_is_no_store(tmp_path, sample_build):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "file.txt").write_text("x")
    result = CliRunner().invoke(cli, ["load", str(sample_build), "--store", str(tmp_path / "other")])
    assert result.exit_code != 0 and "is not a kg store" in result.output


def serve_in_subprocess(graph, tmp_path, *options):
    """`kg serve GRAPH --port 0` as a user starts it, with its own temporary folder; (process, url)."""
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", str(graph), "--port", "0", *options],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    seen = []
    for line in process.stderr:  # the line naming the endpoint comes once it listens
        seen.append(line)
        if line.startswith("SPARQL endpoint "):
            return process, line.split()[2]
    process.wait()
    pytest.fail(f"kg serve did not start: {''.join(seen)}")


def stop(process, signum=signal.SIGTERM):
    if process.poll() is None:
        process.send_signal(signum)
    try:
        return process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def count_documents(url):
    status, _, body = http(
        url + "?" + urllib.parse.urlencode({"query": "SELECT (COUNT(?d) AS ?n) WHERE { ?d a kg:Document }"}),
        headers={"Accept": "text/csv"},
    )
    assert status == 200, body
    return int(body.splitlines()[1])


def test_sparql_store_locked_while_served(sample_build, tmp_path):
    store = tmp_path / "store"
    assert CliRunner().invoke(cli, ["load", str(sample_build), "--store", str(store)]).exit_code == 0
    extra = tmp_path / "extra.nt"
    extra.write_text(
        "<http://kg.example/id/document/extra> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<http://kg.example/vocab#Document> .\n"
    )
    server, url = serve_in_subprocess(store, tmp_path)
    try:
        assert count_documents(url) == 5
        result = CliRunner().invoke(cli, ["load", str(extra), "--store", str(store)])
        assert result.exit_code != 0, result.output
        assert result.output.splitlines() == [
            f"Error: {store}: the store is locked by another process (a running kg serve or kg load)"
        ]
        assert count_documents(url) == 5  # nothing was loaded under the server
    finally:
        assert stop(server) == 0
    result = CliRunner().invoke(cli, ["load", str(extra), "--store", str(store)])  # the server gave the store back
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(
        cli, ["query", str(store), "SELECT (COUNT(?d) AS ?n) WHERE { ?d a kg:Document }", "-f", "csv"]
    )
    assert result.output.splitlines() == ["n", "6"]


def test_sparql_store_held_by_a_load_is_not_served(sample_build, tmp_path):
    from kg.errors import KGError
    from kg.query import StoreLock
    from kg.server import SparqlServer

    store = tmp_path / "store"
    assert CliRunner().invoke(cli, ["load", str(sample_build), "--store", str(store)]).exit_code == 0
    with StoreLock(store, exclusive=True):  # what kg load holds while it loads
        with pytest.raises(KGError, match="the store is locked by another process"):
            SparqlServer(store, port=0).close()
    with StoreLock(store, exclusive=False):  # what kg serve holds: a second server may read too
        with SparqlServer(store, port=0) as server:
            assert count_documents(server.url) == 5


@pytest.mark.parametrize("marker", ["", "{", "[]", '{"format": "kg-store", "loaded": 3}'])
def test_sparql_store_with_an_empty_or_broken_marker_loads(sample_build, tmp_path, marker):
    store = tmp_path / "store"
    assert CliRunner().invoke(cli, ["load", str(sample_build), "--store", str(store)]).exit_code == 0
    (store / "kg-store.json").write_text(marker)
    result = CliRunner().invoke(cli, ["load", str(sample_build), "--store", str(store)])
    assert result.exit_code == 0 and "Error" not in result.output, result.output
    record = json.loads((store / "kg-store.json").read_text())
    assert record == {"format": "kg-store", "loaded": [str((sample_build / "graph.nt").resolve())]}
    result = CliRunner().invoke(
        cli, ["query", str(store), "SELECT (COUNT(?d) AS ?n) WHERE { ?d a kg:Document }", "-f", "csv"]
    )
    assert result.output.splitlines() == ["n", "5"]
    assert not [p.name for p in store.iterdir() if p.name.endswith(".tmp")]  # written by rename, nothing left beside


def test_sparql_store_open_for_writing_removes_the_files_of_a_killed_load(sample_build, tmp_path):
    store = tmp_path / "store"
    assert CliRunner().invoke(cli, ["load", str(sample_build), "--store", str(store)]).exit_code == 0
    orphans = [store / "bulk-281474976710655123456789.sst", store / "bulk-7.sst", store / ".kg-store.json.x1y2.tmp"]
    for (
        orphan
    ) in orphans:  # what a load killed half-way leaves: Oxigraph's bulk files (often GBs), a marker being written
        orphan.write_bytes(b"\0" * 4096)
    kept = [store / "bulk-notes.sst", store / "notes.txt"]  # not of kg's or Oxigraph's naming: left alone
    for file in kept:
        file.write_text("mine")
    result = CliRunner().invoke(cli, ["load", str(sample_build), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert [p for p in orphans if p.exists()] == [] and all(p.read_text() == "mine" for p in kept)
    result = CliRunner().invoke(
        cli, ["query", str(store), "SELECT (COUNT(?d) AS ?n) WHERE { ?d a kg:Document }", "-f", "csv"]
    )
    assert result.output.splitlines() == ["n", "5"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sparql_serve_removes_its_copy_of_the_graph_when_stopped(sample_build, tmp_path, signum):
    server, url = serve_in_subprocess(sample_build, tmp_path)
    try:
        copies = list((tmp_path / "tmp").glob("kg-serve-*"))
        assert len(copies) == 1 and (copies[0] / "store" / "kg-store.json").is_file()
        assert count_documents(url) == 5
    finally:
        code = stop(server, signum)
    assert code == 0 and list((tmp_path / "tmp").iterdir()) == []


# ---- the endpoint


@pytest.fixture(scope="module")
def endpoint(sample_build):
    from kg.server import SparqlServer

    server = SparqlServer(sample_build, port=0, timeout=2, max_rows=3).start()
    yield server
    server.close()


def http(url, data=None, headers=None, method=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


def test_sparql_endpoint_answers_sparqlwrapper(endpoint):
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(endpoint.url)
    client.setQuery("PREFIX kg: <http://kg.example/vocab#> SELECT (COUNT(?x) AS ?n) WHERE { ?x a kg:Document }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["results"]["bindings"][0]["n"]["value"] == "5"


def test_sparql_endpoint_post_and_content_negotiation(endpoint):
    query = "SELECT ?n WHERE { ?x a kg:Document ; rdfs:label ?n } ORDER BY ?n"
    status, headers, body = http(
        endpoint.url,
        urllib.parse.urlencode({"query": query}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"},
    )
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert body.splitlines()[:2] == ["n", "A Trilateral Moment at Camp David"]
    assert headers["X-KG-Results-Truncated"] == "true"  # 5 documents, max_rows 3
    status, headers, body = http(endpoint.url, query.encode(), {"Content-Type": "application/sparql-query"})
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 3
    status, headers, body = http(
        endpoint.url + "?" + urllib.parse.urlencode({"query": "CONSTRUCT WHERE { ?x a kg:Role }"}),
        headers={"Accept": "application/n-triples"},
    )
    assert status == 200 and headers["Content-Type"] == "application/n-triples" and "Role" in body


def test_sparql_endpoint_refuses_update_and_bad_queries(endpoint):
    status, _, body = http(
        endpoint.url,
        b"update=INSERT+DATA+%7B+%3Ca%3Ab%3E+%3Ca%3Ac%3E+%3Ca%3Ad%3E+%7D",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 403 and "--allow-update" in body
    status, _, body = http(endpoint.url + "?" + urllib.parse.urlencode({"query": "SELECT ?x WHERE { ?x ?y }"}))
    assert status == 400 and "line 1, column" in body
    assert http(endpoint.url.replace("/sparql", "/"))[2].startswith("<!DOCTYPE html>")


def test_sparql_endpoint_stops_a_query_past_the_timeout(endpoint):
    started = time.monotonic()
    status, _, body = http(
        endpoint.url
        + "?"
        + urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"})
    )
    assert status == 503 and "stopped after 2 s" in body
    assert time.monotonic() - started < 15
    assert http(endpoint.url + "?" + urllib.parse.urlencode({"query": "ASK { ?x a kg:Person }"}))[0] == 200


def test_sparql_endpoint_allows_update_when_told(sample_build):
    from kg.server import SparqlServer

    with SparqlServer(sample_build, port=0, allow_update=True) as server:
        status, _, _ = http(
            server.url, b"INSERT DATA { <http://x/a> <http://x/b> 'c' }", {"Content-Type": "application/sparql-update"}
        )
        assert status == 204
        status, _, body = http(
            server.url + "?" + urllib.parse.urlencode({"query": "ASK { <http://x/a> <http://x/b> 'c' }"})
        )
        assert json.loads(body)["boolean"] is True


# ---- kg push against a real triple store server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def oxigraph_server(tmp_path):
    binary = shutil.which("oxigraph")
    if binary is None:  # in the test extra, so a missing server is a broken test set-up, not a skip
        pytest.fail("the oxigraph server is not installed: pip install -e '.[test]' installs it")
    port = free_port()
    process = subprocess.Popen(
        [binary, "serve", "--location", str(tmp_path / "ox"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=1)
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    yield url
    process.kill()
    process.wait()


def server_count(url: str, graph: bool = False) -> int:
    query = (
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        if graph
        else "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    )
    _, _, body = http(url + "/query?" + urllib.parse.urlencode({"query": query}), headers={"Accept": "text/csv"})
    return int(body.splitlines()[1])


def test_sparql_push_graph_store_protocol_and_update(sample_build, oxigraph_server):
    triples = len(open_graph(sample_build))
    result = CliRunner().invoke(
        cli, ["push", str(sample_build), "--endpoint", oxigraph_server + "/store", "--batch-size", "700"]
    )
    assert result.exit_code == 0, result.output
    assert server_count(oxigraph_server) == triples
    result = CliRunner().invoke(
        cli,
        [
            "push",
            str(sample_build),
            "--endpoint",
            oxigraph_server + "/update",
            "--protocol",
            "update",
            "--graph",
            "http://x/g",
        ],
    )
    assert result.exit_code == 0 and server_count(oxigraph_server, graph=True) == triples


def test_sparql_push_errors(sample_build, oxigraph_server):
    refused = CliRunner().invoke(cli, ["push", str(sample_build), "--endpoint", oxigraph_server + "/nothere"])
    assert refused.exit_code != 0 and "the server refused the data (404" in refused.output
    unreachable = CliRunner().invoke(
        cli, ["push", str(sample_build), "--endpoint", f"http://127.0.0.1:{free_port()}/store", "--retries", "1"]
    )
    assert (
        unreachable.exit_code != 0
        and "cannot reach the server" in unreachable.output
        and "after 2 attempts" in unreachable.output
    )


def test_sparql_query_command_stops_a_runaway_query_in_one_line(sample_build):
    """As a user runs it (a process with one thread: the worker is forked): exit 1, one line on stderr."""
    runaway = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
    done = subprocess.run(
        [sys.executable, "-m", "kg", "query", str(sample_build), runaway, "--max-memory", "200", "--timeout", "120"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "Error: the query was stopped: it needed more than 200 MB (the limit set by --max-memory)"
    ]
    done = subprocess.run(
        [sys.executable, "-m", "kg", "query", str(sample_build), "roles", "-f", "csv"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and "Fumio Kishida,Prime Minister" in done.stdout.splitlines()
