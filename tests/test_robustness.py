"""Nothing lost, nothing half-written (issue 16, items 2-4): a corpus of bad input builds in one go,
a killed build leaves one complete output set, ids and IRIs are unique and stable."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner
from spacy.language import Language

from kg.cli import cli
from kg.documents import find_sources
from kg.export.files import MANIFEST, recover_output_dir

ROOT = Path(__file__).resolve().parent.parent
KG = rdflib.Namespace("http://kg.example/vocab#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")

GOOD = {  # document id -> a name the graph must hold
    "good.txt": "Fumio Kishida",
    "a/017.txt": "Anthony Albanese",
    "b/017.txt": "Narendra Modi",
    "utf16.txt": "Gordon Brown",
    "utf32.txt": "Angela Merkel",
    "control.txt": "Jacinda Ardern",
    "caf\\xe9.txt": "Emmanuel Macron",
    "meta-1": "Olaf Scholz",
}


@Language.component("kg_test_explode")
def _explode(doc):
    if "EXPLODE" in doc.text:
        raise RuntimeError("test component refuses this text")
    return doc


@pytest.fixture
def bad_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with one file of each kind of bad input beside good ones, and the expected reasons."""
    docs = tmp_path / "docs"
    (docs / "a").mkdir(parents=True)
    (docs / "b").mkdir()
    (docs / "good.txt").write_text("Fumio Kishida met Joe Biden in Tokyo.\n")
    (docs / "a" / "017.txt").write_text("Anthony Albanese met Joe Biden in Canberra.\n")
    (docs / "b" / "017.txt").write_text("Narendra Modi visited Washington.\n")
    (docs / "utf16.txt").write_bytes("Gordon Brown visited Canberra.\n".encode("utf-16"))  # with its BOM
    (docs / "utf32.txt").write_bytes("Angela Merkel visited Paris.\n".encode("utf-32"))
    filler = "The committee met again and again without a result.\n" * 200  # past the first 8 KB
    (docs / "control.txt").write_text(filler + "Jacinda\x01 Ardern met Joe\x00 Biden in Wellington.\x07\n")
    (docs / os.fsdecode(b"caf\xe9.txt")).write_text("Emmanuel Macron met Joe Biden in Paris.\n")
    lines = [
        {
            "id": "meta-1",
            "text": "Olaf Scholz met Joe Biden in Berlin.",
            "authors": 5,
            "venue": 7,
            "date": "not a date",
            "title": ["not", "a", "title"],
        },
        {
            "id": "meta-2",
            "text": "Rishi Sunak met Joe Biden in London.",
            "authors": ["Ada Lovelace", "Charles Babbage"],
            "venue": "The Review",
            "date": "2023-02-30",
        },
        {"id": ["a", "list"], "text": "An id that is a list."},
    ]
    (docs / "meta.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n{not json\n")
    (docs / "empty.txt").write_text("")
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02\x03binary")
    (docs / "latin1.txt").write_bytes("caf\u00e9 society".encode("latin-1"))
    (docs / "report.odt").write_bytes(b"PK\x03\x04")
    (docs / "explode.txt").write_text("EXPLODE: this text makes a test component fail.\n")
    (docs / "fails.txt").write_text("Boris Johnson met Joe Biden in London.\n")
    (docs / "loop").symlink_to(docs, target_is_directory=True)
    (docs / "dangling.txt").symlink_to(docs / "nowhere.txt")
    locked = docs / "locked"
    locked.mkdir()
    (locked / "secret.txt").write_text("Never read.")
    real_scandir = os.scandir

    def scandir(path=".", *args, **kwargs):  # root reads any folder: make this one unreadable for everyone
        if os.fspath(path) == os.fspath(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    import kg.annotation.pipeline
    from kg.build import DocumentPipeline

    make_nlp, result = kg.annotation.pipeline.make_nlp, DocumentPipeline.result

    def make_nlp_with_explode(*args, **kwargs):
        nlp = make_nlp(*args, **kwargs)
        nlp.add_pipe("kg_test_explode", last=True)
        return nlp

    def failing_result(self, spacy_doc, document):
        if document.id == "fails.txt":
            raise KeyError("a later stage failed on this document")
        return result(self, spacy_doc, document)

    monkeypatch.setattr(kg.annotation.pipeline, "make_nlp", make_nlp_with_explode)
    monkeypatch.setattr(DocumentPipeline, "result", failing_result)
    return docs


def test_bad_input_corpus_builds_in_one_go(bad_corpus, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(bad_corpus), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.exception is None and "Traceback" not in result.output
    graph = json.loads((out / "graph.json").read_text(encoding="utf-8"))
    assert sorted(d["id"] for d in graph["documents"]) == sorted([*GOOD, "meta-2"])
    labels = {e["label"] for e in graph["entities"]}
    assert set(GOOD.values()) <= labels
    report = json.loads((out / "report.json").read_text())
    reasons = {
        Path(s["source"].split(":")[0]).name
        + (":" + s["source"].rsplit(":", 1)[1] if ".jsonl:" in s["source"] else ""): s["reason"]
        for s in report["skipped"]
    }
    expected = {
        "empty.txt": "empty file",
        "binary.txt": "binary file",
        "latin1.txt": "not UTF-8",
        "report.odt": "unsupported file type .odt",
        "loop": "symbolic link loop",
        "dangling.txt": "broken symbolic link",
        "locked": "folder not read (Permission denied)",
        "explode.txt": "annotation failed (RuntimeError: test component refuses",
        "fails.txt": "extraction failed (KeyError",
        "meta.jsonl:3": '"id" must be a string',
        "meta.jsonl:4": "invalid JSON",
    }
    for name, reason in expected.items():
        assert reason in reasons.get(name, ""), (name, reasons)
    assert len(report["skipped"]) == len(expected)
    assert report["documents_read"] == len(GOOD) + 1
    # each skipped document is one line on the terminal, naming it (unsupported types: one summary line)
    lines = [line for line in result.output.splitlines() if line.startswith("kg: skipped")]
    assert len(lines) == len(expected) - 1 and any("explode.txt: annotation failed" in line for line in lines)
    assert "left out 1 file(s) of types kg does not read (.odt 1)" in result.output
    # control characters never reach the tables or split a name
    for name in ("nodes.csv", "edges.csv"):
        text = (out / name).read_text(encoding="utf-8")
        assert not any(ord(c) < 32 and c not in "\n\t" for c in text)
    assert "Jacinda Ardern" in (out / "nodes.csv").read_text(encoding="utf-8")


def test_bad_input_ids_and_iris(bad_corpus, tmp_path):
    """Documents with the same file name in two folders are two documents with IRIs of one encoding;
    metadata facts have IRIs of their own; a date that does not parse is not an xsd:date."""
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["build", str(bad_corpus), "-o", str(out), "-q"]).exit_code == 0
    rdf = rdflib.Graph().parse(out / "graph.ttl")
    documents = {str(s): str(o) for s, o in rdf.subject_objects(DCTERMS.identifier)}
    assert documents["http://kg.example/id/document/a%2F017.txt"] == "a/017.txt"
    assert documents["http://kg.example/id/document/b%2F017.txt"] == "b/017.txt"
    for evidence in set(rdf.subjects(KG.sentence, None)):
        assert len(list(rdf.objects(evidence, KG.sentence))) == 1, evidence
    for mention in set(rdf.objects(None, KG.mention)):
        assert len(list(rdf.subjects(KG.mention, mention))) == 1, mention
    by_name = {str(o): str(s) for s, o in rdf.subject_objects(KG.sentence) if str(o).startswith(("author:", "venue:"))}
    assert by_name["author: Ada Lovelace"].endswith("/evidence/meta-2/author/Ada%20Lovelace")
    assert by_name["venue: The Review"].endswith("/evidence/meta-2/venue/The%20Review")
    dates = {str(o): o.datatype for o in rdf.objects(None, DCTERMS.date)}
    assert dates == {"not a date": None, "2023-02-30": None}  # kept, as plain literals
    assert not [m for m in map(str, rdf.objects(None, KG.mention)) if m.endswith("/0-0")]


def test_ids_relative_to_the_common_root_and_stable(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "017.txt").write_text(f"Text of {folder}.")
    files = [tmp_path / "a" / "017.txt", tmp_path / "b" / "017.txt"]
    assert [doc_id for _, doc_id in find_sources(files)] == ["a/017.txt", "b/017.txt"]
    assert [doc_id for _, doc_id in find_sources(files)] == ["a/017.txt", "b/017.txt"]  # the same inputs, the same ids
    assert [doc_id for _, doc_id in find_sources([tmp_path / "a"])] == ["017.txt"]  # a folder is its own root
    assert [doc_id for _, doc_id in find_sources([files[0]])] == ["017.txt"]


def test_two_files_of_one_name_are_two_documents(tmp_path, nlp):
    from kg import build_graph

    for folder, name in (("a", "Anthony Albanese"), ("b", "Narendra Modi")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "017.txt").write_text(f"{name} met Joe Biden in Tokyo.")
    files = [tmp_path / "a" / "017.txt", tmp_path / "b" / "017.txt"]
    graph = build_graph(files)
    assert sorted(info.id for info in graph.documents.values()) == ["a/017.txt", "b/017.txt"]
    assert graph.report.skipped == []


def test_long_text_is_annotated_in_segments(tmp_path, nlp):
    """A 2,000,000-character text builds; entities past the first million characters are found, at
    offsets into the whole text. (Mostly white space, so it annotates in seconds.)"""
    from kg import build_graph

    paragraph = "Joe Biden met Fumio Kishida in Tokyo." + " " * 4000 + "\n\n"
    text = paragraph * (2_000_000 // len(paragraph) + 1) + "Gordon Brown visited Canberra.\n"
    assert len(text) >= 2_000_000 > 2 * nlp.max_length - 1
    (tmp_path / "long.txt").write_text(text)
    graph = build_graph([tmp_path / "long.txt"])
    assert graph.report.documents == 1 and graph.report.skipped == []
    mentions = [m for e in graph.entities.values() for m in e.mentions]
    assert all(text[m.start : m.end] == m.text for m in mentions)
    late = {m.text for m in mentions if m.start > 1_000_000}
    assert {"Joe Biden", "Fumio Kishida", "Gordon Brown"} <= late
    assert max(m.start for m in mentions) > 1_990_000


# --- a killed build --------------------------------------------------------------------------------


def _documents_of(out: Path) -> set[str]:
    """The documents each output file describes; they must all agree."""
    described = {
        "graph.json": {d["id"] for d in json.loads((out / "graph.json").read_text())["documents"]},
        "report.json": {str(json.loads((out / "report.json").read_text())["documents_read"])},
        "graph.ttl": {str(o) for o in rdflib.Graph().parse(out / "graph.ttl").objects(None, DCTERMS.identifier)},
    }
    with open(out / "nodes.csv", newline="") as handle:
        described["nodes.csv"] = {
            row["Id"].removeprefix("document/") for row in csv.DictReader(handle) if row["type"] == "Document"
        }
    for name in ("graph.gexf", "graph.graphml"):
        text = (out / name).read_text()
        described[name] = {doc for doc in described["graph.json"] if f'"document/{doc}"' in text}
    ids = described["graph.json"]
    assert described["report.json"] == {str(len(ids))}, described
    for name in ("graph.ttl", "nodes.csv", "graph.gexf", "graph.graphml"):
        assert described[name] == ids, (name, described)
    return ids


def _kg_build(docs: Path, out: Path, pause: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "KG_TEST_PAUSE": pause or ""}
    return subprocess.Popen(
        [sys.executable, "-m", "kg", "build", str(docs), "-o", str(out), "-q"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


KILL_POINTS = [  # (where the build is killed, the set the output folder then holds)
    ("written:graph.gexf", "old"),
    ("staged", "old"),
    ("swapped", "new"),
]


def test_killed_build_leaves_one_complete_set(tmp_path):
    """SIGKILL at several moments of a rebuild: between two files being written, with every file
    staged, just after the folders are swapped. The folder always holds one complete set (every file
    describing the same documents) and the user's file; the next build leaves no staging or temporary file."""
    old, new = tmp_path / "old", tmp_path / "new"
    sets = {"old": {"one.txt"}, "new": {"one.txt", "two.txt", "three.txt"}}
    for folder, names in ((old, sets["old"]), (new, sets["new"])):
        folder.mkdir()
        for name in names:
            (folder / name).write_text(f"Fumio Kishida met Joe Biden in Tokyo ({name}).")
    out = tmp_path / "out"
    first = _kg_build(old, out)
    assert first.wait(timeout=300) == 0, first.stderr.read()
    first.stderr.close()
    (out / "notes.md").write_text("the user's own file")
    (out / ".graph.gexf.x1y2.tmp").write_text("left by a kill of an older kg")

    for point, expected in KILL_POINTS:
        build = _kg_build(new, out, pause=point)
        try:
            for line in build.stderr:
                if line.startswith("kg-test-pause:"):
                    assert line.split(":", 1)[1].strip() == point
                    break
            else:
                pytest.fail(f"the build ended without pausing at {point}")
            build.send_signal(signal.SIGKILL)
        finally:
            build.kill()
            build.wait(timeout=60)
            build.stderr.close()
        assert _documents_of(out) == sets[expected], point  # one complete set, old or new
        assert (out / "notes.md").read_text() == "the user's own file"

    again = _kg_build(old, out)
    assert again.wait(timeout=300) == 0, again.stderr.read()
    again.stderr.close()
    assert _documents_of(out) == sets["old"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            MANIFEST,
            "edges.csv",
            "graph.gexf",
            "graph.graphml",
            "graph.json",
            "graph.ttl",
            "nodes.csv",
            "notes.md",
            "report.json",
        ]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new", "old", "out"]  # no staging folder left


def test_recovery_after_a_kill_between_two_renames(tmp_path):
    """Where folders cannot be exchanged in one step, a kill between the two renames leaves no output
    folder but a complete staging folder: the next build (recover_output_dir) puts it in place."""
    from kg.export import write_outputs
    from kg.model import Entity, KnowledgeGraph

    graph = KnowledgeGraph()
    graph.add_entity(Entity("place/tokyo", "Tokyo", "Place"))
    out = tmp_path / "out"
    write_outputs(graph, out)
    (out / "mine.txt").write_text("mine")
    staging = tmp_path / ".out.kg-staging-999999999-abc"
    write_outputs(graph, staging)  # a complete set, with its manifest
    os.link(out / "mine.txt", staging / "mine.txt")
    old = tmp_path / ".out.kg-staging-999999999-abc-old"
    os.rename(out, old)
    (old / ".kg-old").write_bytes(b"")
    recover_output_dir(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "mine.txt").read_text() == "mine" and (out / "graph.json").exists()
    assert not (out / ".kg-old").exists()


def test_failed_build_leaves_no_output_folder(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "empty.txt").write_text("")
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "docs"), "-o", str(tmp_path / "new" / "out")])
    assert result.exit_code != 0 and "nothing was built" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs"]


def test_build_never_deletes_what_kg_did_not_write(tmp_path):
    from kg.export import write_outputs
    from kg.model import Entity, KnowledgeGraph

    graph = KnowledgeGraph()
    graph.add_entity(Entity("place/tokyo", "Tokyo", "Place"))
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "graph.nt").write_text("the user's own graph.nt, not written by kg")
    (out / "sub" / "data.csv").write_text("a,b")
    (out / "link").symlink_to("sub")
    write_outputs(graph, out, ["ttl"])
    write_outputs(graph, out, ["ttl"])
    assert (out / "graph.nt").read_text() == "the user's own graph.nt, not written by kg"
    assert (out / "sub" / "data.csv").read_text() == "a,b" and os.readlink(out / "link") == "sub"
    write_outputs(graph, out, ["ttl", "nt"])  # now kg writes graph.nt ...
    write_outputs(graph, out, ["ttl"])  # ... and a later build without it removes kg's stale copy
    assert not (out / "graph.nt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
