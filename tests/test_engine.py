"""The Dask engine on a real local cluster (worker processes on 127.0.0.1, started and stopped here):
the same graph as a single-process build, the same results the cache stores, and a worker that dies
mid-build retried (or one clear line when it keeps dying)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kg.cli import cli

distributed = pytest.importorskip("distributed", reason="the dask extra (pip install -e '.[dask]') is not installed")


def kg(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, make_corpus):
    root = tmp_path_factory.mktemp("engine")
    docs = make_corpus(root / "docs")
    result = kg("build", str(docs), "-o", str(root / "single"), "--no-cache", "-q")
    assert result.exit_code == 0, result.output
    return docs, root / "single"


@pytest.fixture
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield cluster


def test_dask_cluster_builds_the_same_graph_and_results_as_the_cache(corpus, cluster, tmp_path, same_graph):
    docs, single = corpus
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    result = kg(
        "build",
        str(docs),
        "-o",
        str(tmp_path / "dask"),
        "--engine",
        "dask",
        "--scheduler",
        cluster.scheduler_address,
        "--cache",
        str(tmp_path / "cache"),
        "--batch-size",
        "3",
    )
    assert result.exit_code == 0, result.output
    assert same_graph(single, tmp_path / "dask")
    with distributed.Client(cluster) as client:  # the work was done on the workers, each loading one pipeline
        processed = client.run(lambda: sorted(__import__("kg.engines").engines._PIPELINES))
    assert len(processed) == 2 and all(len(tokens) <= 1 for tokens in processed.values()), processed
    assert sum(len(tokens) for tokens in processed.values()) >= 1, processed
    # what the workers sent back is what the cache stores: a local rebuild takes every document from it
    result = kg("build", str(docs), "-o", str(tmp_path / "local"), "--cache", str(tmp_path / "cache"))
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "local" / "report.json").read_text())
    assert report["documents_from_cache"] == report["documents_read"]
    assert same_graph(single, tmp_path / "local")


def test_a_worker_that_dies_is_retried_and_the_build_completes(corpus, tmp_path, monkeypatch, same_graph):
    docs, single = corpus
    marker = tmp_path / "died"
    monkeypatch.setenv("KG_TEST_WORKER_EXIT", f"extra/02.txt|{marker}")  # the local cluster's workers inherit it
    result = kg(
        "build",
        str(docs),
        "-o",
        str(tmp_path / "dask"),
        "--engine",
        "dask",
        "--processes",
        "2",
        "--no-cache",
        "--batch-size",
        "2",
        "-q",
    )
    assert result.exit_code == 0, result.output
    assert marker.exists()  # a worker did die with that batch
    assert same_graph(single, tmp_path / "dask")


def test_a_batch_that_kills_every_worker_stops_the_build_with_one_line(corpus, tmp_path, monkeypatch):
    docs, _ = corpus
    monkeypatch.setenv("KG_TEST_WORKER_EXIT", "extra/02.txt|always")
    result = kg(
        "build",
        str(docs),
        "-o",
        str(tmp_path / "dask"),
        "--engine",
        "dask",
        "--processes",
        "2",
        "--no-cache",
        "--batch-size",
        "2",
        "-q",
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "kept losing its worker" in lines[0], result.output
    assert "extra/" in lines[0] and not (tmp_path / "dask").exists()


def test_unreachable_scheduler_is_one_line(corpus, tmp_path):
    docs, _ = corpus
    result = kg(
        "build",
        str(docs),
        "-o",
        str(tmp_path / "x"),
        "--engine",
        "dask",
        "--scheduler",
        "tcp://127.0.0.1:9",
        "--no-cache",
        "-q",
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in lines[0], result.output
