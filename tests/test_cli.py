"""The command line: help for every command, a real build, and one-line errors with non-zero exits."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import DATA, ROOT

from kg.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def one_line_error(result) -> str:
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    return errors[0]


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_cli_every_command_has_help_and_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"kg {command}" in (ROOT / "README.md").read_text(), f"kg {command} is not in the README"


def test_cli_top_level_help_and_version():
    assert "build" in run("--help").output
    assert run("--version").output.startswith("kg, version")


def test_cli_python_dash_m_works():
    out = subprocess.run([sys.executable, "-m", "kg", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "build" in out.stdout


def test_cli_build_sample_data(sample_build):
    names = {p.name for p in sample_build.iterdir()}
    assert {"graph.ttl", "graph.nt", "graph.jsonld", "graph.trig", "graph.gexf", "graph.graphml",
            "nodes.csv", "edges.csv", "graph.json", "report.json"} <= names
    report = json.loads((sample_build / "report.json").read_text())
    assert report["documents_read"] == 5  # data/ also holds kg's data files: listed as not read, nothing else
    assert report["skipped"] and all(s["reason"].startswith("unsupported file type") and "/samples/" not in s["source"] for s in report["skipped"])
    assert report["entities"] > 20 and report["relations"] > 20
    assert not [p for p in sample_build.iterdir() if p.name.endswith(".tmp")]


def test_cli_build_prints_a_summary(tmp_path):
    result = run("build", str(DATA / "samples" / "camp_david_summit.txt"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "Read 1 document(s)" in result.output and "Entities:" in result.output and "Relations:" in result.output


def test_cli_entities_and_explain(sample_build):
    result = run("entities", str(sample_build), "--type", "Person")
    assert result.exit_code == 0 and "Joe Biden" in result.output and "Tokyo" not in result.output
    rows = [json.loads(line) for line in run("entities", str(sample_build), "--json").output.splitlines()]
    assert {"id", "label", "type", "mentions", "documents", "aliases"} <= set(rows[0])
    explained = run("explain", str(sample_build), "Biden")
    assert explained.exit_code == 0 and "Joe Biden (Person, person/biden-joe)" in explained.output
    assert "joined by" in explained.output


@pytest.mark.parametrize("make,args,message", [
    (lambda t: None, ["build", "{t}/missing", "-o", "{t}/out"], "no such file or folder"),
    (lambda t: (t / "empty").mkdir(), ["build", "{t}/empty", "-o", "{t}/out"], "no .txt"),
    (lambda t: (t / "f.txt").write_bytes(b"\x00\x01"), ["build", "{t}/f.txt", "-o", "{t}/out"], "no document could be read"),
    (lambda t: (t / "e.txt").write_text(""), ["build", "{t}/e.txt", "-o", "{t}/out"], "no document could be read"),
    (lambda t: ((t / "a.txt").write_text("Text."), (t / "blocker").write_text("x")), ["build", "{t}/a.txt", "-o", "{t}/blocker/out"], "not writable"),
    (lambda t: (t / "a.txt").write_text("Text."), ["build", "{t}/a.txt", "-o", "{t}/out", "--model", "no_such_model"], "cannot load the spaCy model 'no_such_model'"),
    (lambda t: ((t / "a.txt").write_text("Text."), (t / "al.csv").write_text("wrong,header\n")), ["build", "{t}/a.txt", "-o", "{t}/out", "--aliases", "{t}/al.csv"], "header must be alias,canonical,type"),
    (lambda t: ((t / "a.txt").write_text("Text."), (t / "al.csv").write_text("alias,canonical,type\nX,Y,Animal\n")), ["build", "{t}/a.txt", "-o", "{t}/out", "--aliases", "{t}/al.csv"], "al.csv:2: unknown type 'Animal'"),
    (lambda t: None, ["build", "{t}", "-o", "{t}/out", "--format", "rdfxml"], "Invalid value for '-f' / '--format'"),
    (lambda t: None, ["entities", "{t}"], "no kg graph here"),
    (lambda t: (t / "graph.json").write_text("{not json"), ["entities", "{t}"], "not valid JSON"),
    (lambda t: None, ["explain", "{t}", "Nobody"], "no kg graph here"),
])
def test_cli_bad_input_is_one_line_error(tmp_path, make, args, message):
    make(tmp_path)
    result = run(*(a.format(t=tmp_path) for a in args))
    line = one_line_error(result)
    assert message in line
    assert not (tmp_path / "out" / "graph.ttl").exists()


def test_cli_skipped_files_are_reported_and_counted(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "good.txt").write_text("Fumio Kishida met Joe Biden in Tokyo.")
    (tmp_path / "docs" / "bad.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")  # (a bare UTF-32 BOM is an empty text now)
    result = run("build", str(tmp_path / "docs"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert "skipped" in result.output and "bad.txt: binary file" in result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["skipped"] == [{"source": str(tmp_path / "docs" / "bad.txt"), "reason": "binary file, not text"}]


def test_cli_explain_unknown_entity(sample_build):
    assert "no entity named 'Nobody At All'" in one_line_error(run("explain", str(sample_build), "Nobody At All"))


def test_cli_build_with_two_processes_gives_the_same_graph(tmp_path):
    one = run("build", str(DATA / "samples"), "-o", str(tmp_path / "one"), "-q")
    two = run("build", str(DATA / "samples"), "-o", str(tmp_path / "two"), "-q", "--processes", "2")
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    assert (tmp_path / "one" / "graph.json").read_bytes() == (tmp_path / "two" / "graph.json").read_bytes()
