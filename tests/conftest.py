"""The one conftest: shared fixtures. The spaCy model loads once per session."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seed"
DATA = ROOT / "data"


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Builds run by the tests keep their cache (and unpacked encoders) in a folder of their own,
    never in the user's ~/.cache/kg."""
    import os

    old = os.environ.get("KG_CACHE_DIR")
    os.environ["KG_CACHE_DIR"] = str(tmp_path_factory.mktemp("kg-cache"))
    yield
    if old is None:
        os.environ.pop("KG_CACHE_DIR", None)
    else:
        os.environ["KG_CACHE_DIR"] = old


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite the golden files from the current output.")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def golden(update_golden):
    """golden(path, current bytes) -> path: with --update-golden the file is (re)written from the
    current output; without, a missing golden file fails the test (a plain run never creates one)."""

    def check(path: Path, current: bytes) -> Path:
        if update_golden:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(current)
        elif not path.is_file():
            pytest.fail(f"golden file {path} is missing: run python -m pytest --update-golden to write it, and review it before committing")
        return path

    return check


@pytest.fixture(scope="session")
def resources():
    from kg.resources import load_resources

    return load_resources()


@pytest.fixture(scope="session")
def nlp(resources):
    from kg.annotation.pipeline import make_nlp

    return make_nlp(resources)


@pytest.fixture(scope="session")
def extract(nlp, resources):
    """Relations a text states, as (subject text, predicate, object text) triples of mentions."""
    from kg.annotation.mentions import doc_mentions
    from kg.relations import RelationExtractor

    extractor = RelationExtractor(nlp, resources, open_layer=False)

    def run(text: str) -> set[tuple[str, str, str]]:
        doc = nlp(text)
        found, _ = extractor(doc, "t", doc_mentions(doc, "t", resources.entity_labels, None, resources.nominals))
        return {(r.subject.text, r.predicate, r.object.text) for r in found if not r.modality}

    return run


@pytest.fixture(scope="session")
def build_texts(tmp_path_factory, nlp):
    """Build a graph from {file name: text} written to a fresh folder."""
    from kg import build_graph

    def run(files: dict[str, str], **settings):
        folder = tmp_path_factory.mktemp("docs")
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        return build_graph([folder], **settings)

    return run


@pytest.fixture(scope="session")
def seed_file() -> Path:
    path = SEED / "alliance_commentary.txt"
    if not path.exists():
        pytest.skip("../shared/seed is not here (a user's clone has none)")
    return path


@pytest.fixture(scope="session")
def seed_build(seed_file, tmp_path_factory):
    """The seed document built with default settings through the CLI, as a user would."""
    from click.testing import CliRunner

    from kg.cli import cli

    out = tmp_path_factory.mktemp("seed-out")
    result = CliRunner().invoke(cli, ["build", str(seed_file), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def seed_rdf(seed_build):
    import rdflib

    return rdflib.Graph().parse(seed_build / "graph.ttl")


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """The bundled data/ built through the CLI."""
    from click.testing import CliRunner

    from kg.cli import cli

    out = tmp_path_factory.mktemp("sample-out")
    result = CliRunner().invoke(cli, ["build", str(DATA), "-o", str(out), "-q", "-f", "ttl", "-f", "nt", "-f", "jsonld", "-f", "trig"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def gexf_reader():
    """The independent GEXF parser (graphology-gexf under node), installed by .ci/run."""
    script = ROOT / "tests" / "js" / "read_gexf.js"
    if shutil.which("node") is None or not (script.parent / "node_modules" / "graphology-gexf").exists():
        pytest.skip("node and tests/js/node_modules are needed (npm ci --prefix tests/js)")

    def run(path: Path) -> dict:
        import json

        out = subprocess.run(["node", str(script), str(path)], capture_output=True, text=True, check=True, timeout=60)
        return json.loads(out.stdout)

    return run
