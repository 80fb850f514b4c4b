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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The docstring examples of kg/ run as doctests (pyproject: --doctest-modules). A docstring whose
    every example is marked +SKIP (it needs a running server, a store on disk or a trained model) is
    an illustration, not a test: it is deselected, and pytest says how many, rather than reported as
    a skip, so that a skip still means only that ../shared is absent."""
    import doctest

    from _pytest.doctest import DoctestItem

    def illustration(item: pytest.Item) -> bool:
        examples = item.dtest.examples if isinstance(item, DoctestItem) and item.dtest is not None else []
        return bool(examples) and all(example.options.get(doctest.SKIP) for example in examples)

    left_out = [item for item in items if illustration(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not illustration(item)]


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
            pytest.fail(
                f"golden file {path} is missing: run python -m pytest --update-golden to write it, and review it "
                "before committing"
            )
        return path

    return check


@pytest.fixture
def tiny_graph():
    """A graph written out by hand: two people who met in a city, one document, parallel edges."""
    from kg.model import DocumentInfo, Entity, Evidence, KnowledgeGraph, Mention, Relation, RelationType

    g = KnowledgeGraph(
        schema={
            "met_with": RelationType(
                "met_with", ("Person",), ("Person",), symmetric=True, description="Two parties met."
            ),
            "met_at": RelationType(
                "met_at", ("Person",), ("Place",), mappings=(("rdfs:subPropertyOf", "schema:location"),)
            ),
            "criticised": RelationType("criticised", ("Person",), ("Person",)),
            "authored_by": RelationType("authored_by", ("Document",), ("Person",)),
        }
    )
    text = "Ada Lovelace met Charles Babbage in London. Lovelace criticised Babbage."
    g.add_document(DocumentInfo("d1", "d1.txt", "A Meeting", "1833-06-05", ("Ada Lovelace",), spans=(("title", 0, 9),)))
    ada = (
        Mention("d1", 0, 12, "Ada Lovelace", "Person", "PERSON", 0, 43),
        Mention("d1", 44, 52, "Lovelace", "Person", "PERSON", 44, 72),
    )
    g.add_entity(
        Entity(
            "person/ada-lovelace", "Ada Lovelace", "Person", frozenset({"Lovelace"}), ada, (("surname", "Lovelace"),)
        )
    )
    g.add_entity(
        Entity(
            "person/babbage-charles",
            "Charles Babbage",
            "Person",
            frozenset({"Babbage"}),
            (Mention("d1", 17, 32, "Charles Babbage", "Person", "PERSON", 0, 43),),
        )
    )
    g.add_entity(
        Entity("place/london", "London", "Place", mentions=(Mention("d1", 36, 42, "London", "Place", "GPE", 0, 43),))
    )
    first, second = Evidence("d1", text[:43], 0, 43), Evidence("d1", text[44:], 44, 72)
    g.add_relation(
        Relation(
            "person/ada-lovelace", "met_with", "person/babbage-charles", 0.9, "pattern:met_with.direct_object", (first,)
        )
    )
    g.add_relation(
        Relation(
            "person/ada-lovelace", "criticised", "person/babbage-charles", 0.7, "pattern:criticised.verb", (second,)
        )
    )
    g.add_relation(Relation("person/ada-lovelace", "met_at", "place/london", 0.85, "pattern:met_at.subject", (first,)))
    g.add_relation(
        Relation(
            "document/d1",
            "authored_by",
            "person/ada-lovelace",
            1.0,
            "metadata",
            (Evidence("d1", "author: Ada Lovelace", 0, 0),),
        )
    )
    return g


CORPUS_EXTRA = [  # documents of our own, so the corpus has more than the samples' five
    "Fumio Kishida met Joe Biden in Tokyo on Monday. Kishida said the talks were useful.",
    "Anthony Albanese visited Washington, where he met Joe Biden. Albanese praised the alliance.",
    "Narendra Modi spoke with Yoon Suk Yeol in Seoul. Modi later flew to Tokyo to meet Fumio Kishida.",
    "The chief executive of Toyota, Akio Toyoda, met Ursula von der Leyen in Brussels.",
    "Jens Stoltenberg, the NATO Secretary General, hosted Olaf Scholz in Brussels.",
    "Emmanuel Macron met Joe Biden in Paris. Macron and Biden discussed Ukraine.",
]


@pytest.fixture(scope="session")
def make_corpus():
    """make_corpus(folder, copies=2) -> folder: the samples under `copies` prefixes and the documents
    of CORPUS_EXTRA, so that cross-document resolution is at work (the cache and engine tests)."""

    def make(folder: Path, copies: int = 2) -> Path:
        for n in range(copies):
            shutil.copytree(DATA / "samples", folder / f"set{n}")
        for n, text in enumerate(CORPUS_EXTRA):
            (folder / "extra").mkdir(parents=True, exist_ok=True)
            (folder / "extra" / f"{n:02d}.txt").write_text(text + "\n", encoding="utf-8")
        return folder

    return make


@pytest.fixture(scope="session")
def same_graph():
    """same_graph(a, b): whether two build output folders hold byte-identical graph.json and graph.ttl."""

    def same(a: Path, b: Path) -> bool:
        return all((a / name).read_bytes() == (b / name).read_bytes() for name in ("graph.json", "graph.ttl"))

    return same


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
    result = CliRunner().invoke(
        cli, ["build", str(DATA), "-o", str(out), "-q", "-f", "ttl", "-f", "nt", "-f", "jsonld", "-f", "trig"]
    )
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


# kg train: tiny gold data and a tiny BERT (random weights, a vocabulary of the sentences' words), so
# the real training code runs in seconds without a download (tests/test_training_*.py)

TRAIN_SENTENCES = [
    ("John Smith works for Acme Corp .", [(0, 10, "Peop"), (21, 30, "Org")], [(0, 1, "Work_For")]),
    ("Mary Jones lives in Boston .", [(0, 10, "Peop"), (20, 26, "Loc")], [(0, 1, "Live_In")]),
    ("Acme Corp is based in Denver .", [(0, 9, "Org"), (22, 28, "Loc")], [(0, 1, "OrgBased_In")]),
    (
        "Peter Brown , a lawyer for Globex , lives in Austin .",
        [(0, 11, "Peop"), (27, 33, "Org"), (45, 51, "Loc")],
        [(0, 1, "Work_For"), (0, 2, "Live_In")],
    ),
]


def write_gold(path: Path, sentences: list) -> Path:
    """A gold JSONL file of (text, [(start, end, label)], [(head, tail, label)]) sentences."""
    import json

    path.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"t{n}",
                    "text": text,
                    "entities": [{"start": s, "end": e, "label": lab, "cluster": None} for s, e, lab in ents],
                    "relations": [{"head": h, "tail": t, "label": lab} for h, t, lab in rels],
                }
            )
            + "\n"
            for n, (text, ents, rels) in enumerate(sentences)
        )
    )
    return path


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """(train file, dev file) of TRAIN_SENTENCES."""
    folder = tmp_path_factory.mktemp("train")
    return write_gold(folder / "train.jsonl", TRAIN_SENTENCES * 3), write_gold(folder / "dev.jsonl", TRAIN_SENTENCES)


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    import torch  # with transformers, installed by the README's test line: no skip
    import transformers

    folder = tmp_path_factory.mktemp("encoder")
    words = sorted(
        {w.lower() for text, _, _ in TRAIN_SENTENCES for w in text.split()} | {"anna", "white", "initech", "tokyo"}
    )
    (folder / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    transformers.BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True).save_pretrained(folder)
    config = transformers.BertConfig(
        vocab_size=5 + len(words),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def build_edges():
    """build_edges(folder, model) -> {extractor: [edges.csv rows]} of `kg build --model model` of a
    text with a meeting (found by the rules) and three of the tiny data's relations."""
    import csv

    from click.testing import CliRunner

    from kg.cli import cli

    text = (
        "Fumio Kishida met Joe Biden in Tokyo. John Smith works for Acme Corp . "
        "Peter Brown , a lawyer for Globex , lives in Austin ."
    )

    def run(folder: Path, model: Path) -> dict[str, list[dict[str, str]]]:
        (folder / "docs").mkdir()
        (folder / "docs" / "a.txt").write_text(text)
        result = CliRunner().invoke(
            cli, ["build", str(folder / "docs"), "-o", str(folder / "out"), "--model", str(model), "-q"]
        )
        assert result.exit_code == 0, result.output
        edges: dict[str, list[dict[str, str]]] = {}
        with open(folder / "out" / "edges.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                edges.setdefault(row["extractor"], []).append(row)
        return edges

    return run
