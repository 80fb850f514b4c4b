"""The build cache: a rebuild annotates only new and changed documents and gives, byte for byte, the
graph of a clean build; corrupt and foreign entries are ignored with a warning; a build killed during
annotation leaves the cache usable."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS_EXTRA, DATA, ROOT

from kg.cli import cli


def build(docs: Path, out: Path, *options: str):
    result = CliRunner().invoke(cli, ["build", str(docs), "-o", str(out), *options])
    assert result.exit_code == 0, result.output
    return result, json.loads((out / "report.json").read_text())


def test_rebuild_annotates_only_what_changed_and_equals_a_clean_build(tmp_path, make_corpus, same_graph):
    docs, cache = make_corpus(tmp_path / "docs"), tmp_path / "cache"
    first, report = build(docs, tmp_path / "first", "--cache", str(cache))
    documents = report["documents_read"]
    assert documents > 12 and report["documents_from_cache"] == 0
    assert "; 0 from the cache" in first.output
    entries = list(cache.rglob("*.json"))
    assert len(entries) == documents  # one entry per document

    again, report = build(docs, tmp_path / "again", "--cache", str(cache))
    assert report["documents_from_cache"] == documents and f"; {documents} from the cache" in again.output
    assert same_graph(tmp_path / "first", tmp_path / "again")

    before = (tmp_path / "first" / "graph.json").read_text()
    assert "Ursula von der Leyen" in before and "Emmanuel Macron" in before and "extra/05.txt" in before
    # change one document, add one, delete one: only two are annotated, the deleted one's facts are gone
    changed = docs / "extra" / "03.txt"
    changed.write_text(
        "The chief executive of Toyota, Akio Toyoda, met Keir Starmer in Manchester.\n", encoding="utf-8"
    )
    (docs / "extra" / "99.txt").write_text("Giorgia Meloni met Joe Biden in Rome.\n", encoding="utf-8")
    (docs / "extra" / "05.txt").unlink()
    _, report = build(docs, tmp_path / "incremental", "--cache", str(cache))
    assert report["documents_read"] == documents and report["documents_from_cache"] == documents - 2
    _, clean = build(docs, tmp_path / "clean", "--no-cache")
    assert clean["documents_from_cache"] == 0
    assert same_graph(tmp_path / "incremental", tmp_path / "clean")
    after = (tmp_path / "incremental" / "graph.json").read_text()
    assert "Keir Starmer" in after and "Giorgia Meloni" in after and "extra/99.txt" in after
    assert "Emmanuel Macron" not in after and "extra/05.txt" not in after  # the deleted document's facts are gone
    assert "Ursula von der Leyen" not in after  # and the changed document's old ones


def test_documents_before_and_after_misses_keep_their_order(tmp_path, make_corpus, same_graph):
    """Cached and new results interleaved (a miss first, last and in the middle) give the clean graph."""
    docs, cache = make_corpus(tmp_path / "docs", copies=1), tmp_path / "cache"
    build(docs, tmp_path / "first", "--cache", str(cache))
    for name in ("extra/00.txt", "extra/05.txt", "set0/camp_david_summit.txt"):
        path = docs / name
        path.write_text(
            path.read_text(encoding="utf-8") + "\nLater, Joe Biden met Fumio Kishida in Hiroshima.\n", encoding="utf-8"
        )
    _, report = build(docs, tmp_path / "incremental", "--cache", str(cache), "--batch-size", "2")
    assert report["documents_from_cache"] == report["documents_read"] - 3
    build(docs, tmp_path / "clean", "--no-cache")
    assert same_graph(tmp_path / "incremental", tmp_path / "clean")


def test_corrupt_and_foreign_entries_are_ignored_with_a_warning(tmp_path, make_corpus, same_graph):
    docs, cache = make_corpus(tmp_path / "docs", copies=1), tmp_path / "cache"
    _, report = build(docs, tmp_path / "first", "--cache", str(cache))
    entries = sorted(cache.rglob("*.json"))
    truncated, foreign, garbage, wrong_type = entries[:4]
    truncated.write_bytes(truncated.read_bytes()[: len(truncated.read_bytes()) // 2])
    foreign.write_bytes(entries[5].read_bytes())  # another document's entry under this one's name
    garbage.write_bytes(b"\x80\x81 not json")
    entry = json.loads(wrong_type.read_text())
    entry["result"][1] = "many"  # the word count is no number: not a result to trust
    wrong_type.write_text(json.dumps(entry))
    result, again = build(docs, tmp_path / "again", "--cache", str(cache))
    warnings = [line for line in result.output.splitlines() if line.startswith("kg: cache entry") and "ignored" in line]
    assert len(warnings) == 4, result.output
    assert again["documents_from_cache"] == report["documents_read"] - 4
    assert same_graph(tmp_path / "first", tmp_path / "again")
    _, third = build(docs, tmp_path / "third", "--cache", str(cache))  # the bad entries were written anew
    assert third["documents_from_cache"] == report["documents_read"]


def test_key_covers_data_files_model_and_options(tmp_path, make_corpus):
    from kg.build import Settings
    from kg.cache import fingerprint

    base = fingerprint(Settings())
    assert base == fingerprint(Settings(processes=2, batch_size=7))  # throughput options do not change results
    aliases = tmp_path / "aliases.csv"
    aliases.write_text("alias,canonical,type\nJB,Joe Biden,Person\n")
    with_aliases = fingerprint(Settings(aliases=(aliases,)))
    assert with_aliases != base
    aliases.write_text("alias,canonical,type\nJoe,Joe Biden,Person\n")
    assert fingerprint(Settings(aliases=(aliases,))) not in (base, with_aliases)
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    assert fingerprint(Settings(data_dir=data)) == base  # the same contents elsewhere
    (data / "designators.csv").write_text((data / "designators.csv").read_text() + "zaibatsu\n")
    assert fingerprint(Settings(data_dir=data)) != base
    assert fingerprint(Settings(open_relations=True)) != base
    assert fingerprint(Settings(model="en_core_web_md")) != base

    docs, cache = make_corpus(tmp_path / "docs", copies=1), tmp_path / "cache"
    build(docs, tmp_path / "first", "--cache", str(cache))
    _, report = build(docs, tmp_path / "second", "--cache", str(cache), "--aliases", str(aliases))
    assert report["documents_from_cache"] == 0


def test_default_folder_and_no_cache(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "one.txt").write_text(CORPUS_EXTRA[0])
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "kgcache"))
    build(docs, tmp_path / "none", "--no-cache")
    assert not (tmp_path / "kgcache").exists()
    build(docs, tmp_path / "out")
    assert len(list((tmp_path / "kgcache" / "build").rglob("*.json"))) == 1
    _, report = build(docs, tmp_path / "out")
    assert report["documents_from_cache"] == 1


def test_results_round_trip_through_json(tmp_path):
    from kg.build import DocumentPipeline, DocumentResult, Settings
    from kg.cache import from_json, to_json
    from kg.documents import load_documents

    results = list(DocumentPipeline(Settings()).process(load_documents([DATA / "samples"])))
    assert results and any(r.candidates for r in results) and any(r.info.authors for r in results)
    for result in results:
        back = from_json(json.loads(json.dumps(to_json(result))), DocumentResult)
        assert back == result and repr(back) == repr(result)


def _kg_build(docs: Path, out: Path, cache: Path, pause: str = "") -> subprocess.Popen:
    env = {**os.environ, "KG_TEST_PAUSE": pause}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kg",
            "build",
            str(docs),
            "-o",
            str(out),
            "-q",
            "--cache",
            str(cache),
            "--batch-size",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_build_leaves_the_cache_usable(tmp_path, make_corpus, same_graph):
    """kill -9 during annotation (after five documents are cached, the others still in spaCy): the
    next build reuses the five, annotates the rest and gives the clean build's graph."""
    docs, cache = make_corpus(tmp_path / "docs"), tmp_path / "cache"
    build_ = _kg_build(docs, tmp_path / "killed", cache, pause="cached:5")
    try:
        for line in build_.stderr:
            if line.startswith("kg-test-pause:"):
                break
        else:
            pytest.fail("the build ended without pausing after five documents")
        build_.send_signal(signal.SIGKILL)
        assert build_.wait(timeout=60) == -signal.SIGKILL
    finally:
        build_.kill()
        build_.wait(timeout=60)
        build_.stderr.close()
    assert not (tmp_path / "killed").exists()
    assert len(list(cache.rglob("*.json"))) == 5
    stale = next(cache.rglob("*.json")).parent / ".0123.4567.tmp"  # what a write cut short leaves
    stale.write_text('{"format": 1, "key"')
    os.utime(stale, (time.time() - 3600, time.time() - 3600))

    again = _kg_build(docs, tmp_path / "again", cache)
    assert again.wait(timeout=300) == 0, again.stderr.read()
    again.stderr.close()
    report = json.loads((tmp_path / "again" / "report.json").read_text())
    assert report["documents_from_cache"] == 5 and report["documents_read"] > 12
    assert not stale.exists()
    build(docs, tmp_path / "clean", "--no-cache")
    assert same_graph(tmp_path / "again", tmp_path / "clean")
