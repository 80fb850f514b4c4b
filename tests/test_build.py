"""kg.build and kg.stages: the build's settings (checked at the boundary) and the relation extractors
it runs, chosen by name from kg.registry.relation_extractors."""

from __future__ import annotations

import catalogue
import pytest

from kg import registry
from kg.build import Settings
from kg.errors import ConfigError, UnknownNameError
from kg.export import load_graph
from kg.model import RelationMention
from kg.relations import DEFAULT_EXTRACTORS, Extraction, ExtractorContext

TEXT = "Fumio Kishida met Joe Biden in Tokyo."
REGISTERED = "gatherings, learned, metadata, open, patterns, titles"  # kg's own extractors, by name
BYLINE = "A Summit\nBy Ada Lovelace\n\nFumio Kishida met Joe Biden in Tokyo.\n"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"engine": "spark"}, "unknown engine 'spark'; use one of: local, dask"),
        ({"batch_size": -3}, "batch_size must be a whole number of at least 1, not -3"),
        ({"batch_size": 0}, "batch_size must be a whole number of at least 1, not 0"),
        ({"processes": 0}, "processes must be a whole number of at least 1, not 0"),
        ({"processes": 2.5}, "processes must be a whole number of at least 1, not 2.5"),
        ({"scheduler": "tcp://10.0.0.5:8786"}, "a scheduler (tcp://10.0.0.5:8786) needs engine 'dask', not 'local'"),
        ({"model": ""}, "model must name a spaCy pipeline or a model folder"),
        ({"extractors": "patterns"}, "extractors must be a sequence of extractor names"),
    ],
)
def test_build_settings_refuse_what_kg_cannot_use(options, message):
    with pytest.raises(ConfigError) as caught:
        Settings(**options)
    assert message in str(caught.value)


def test_build_settings_unknown_extractor_lists_the_known_ones():
    with pytest.raises(
        UnknownNameError,
        match=rf"unknown relation extractor 'pattern'; use one of: {REGISTERED}$",
    ):
        Settings(extractors=("metadata", "pattern"))


def test_build_settings_default_extractors_run_in_order():
    assert (
        Settings().extractors
        == DEFAULT_EXTRACTORS
        == ("metadata", "patterns", "titles", "gatherings", "open", "learned")
    )
    assert Settings(extractors=["patterns"]).extractors == ("patterns",)  # any sequence, kept as a tuple


def test_build_extractors_change_the_cache_key():
    from kg.cache import fingerprint

    assert fingerprint(Settings()) != fingerprint(Settings(extractors=("metadata", "patterns")))


def test_build_runs_only_the_extractors_its_settings_name(build_texts):
    files = {"summit.txt": BYLINE}
    every = build_texts(files)
    only_metadata = build_texts(files, settings=Settings(extractors=("metadata",)))
    no_metadata = build_texts(files, settings=Settings(extractors=("patterns", "titles")))
    assert {"authored_by", "met_with", "met_at"} <= {r.predicate for r in every.relations}
    assert {r.predicate for r in only_metadata.relations} == {"authored_by"}
    assert {r.extractor for r in only_metadata.relations} == {"metadata"}
    assert "authored_by" not in {r.predicate for r in no_metadata.relations}
    assert {"met_with", "met_at"} <= {r.predicate for r in no_metadata.relations}


def test_build_open_layer_runs_only_when_asked(build_texts):
    files = {"o.txt": "The Japan Self-Defense Forces pursue deeper integration."}
    assert not [r for r in build_texts(files).relations if r.layer == "open"]
    assert [r for r in build_texts(files, settings=Settings(open_relations=True)).relations if r.layer == "open"]


@pytest.fixture
def shouting_extractor():
    """An extractor of one's own, registered by name as a package would (here by decorator; a package
    uses the entry point group kg_relation_extractors): every Person "shouted_at" the next one."""
    name = "test-shouting"

    @registry.relation_extractors.register(name)
    def make(context: ExtractorContext):
        assert context.nlp is not None and context.resources.relations

        def run(extraction: Extraction) -> list[RelationMention]:
            people = [m for m in extraction.mentions if m.type == "Person"]
            found = extraction.found  # what the extractors before it found
            return [
                RelationMention(a, "met_with", b, 0.5, f"{name} after {len(found)}", extraction_evidence(extraction, a))
                for a, b in zip(people, people[1:])
            ]

        return run

    yield name
    catalogue._remove(("kg", "relation_extractors", name))


def extraction_evidence(extraction: Extraction, mention):
    from kg.model import Evidence

    return Evidence(
        extraction.document.id,
        extraction.document.text[mention.sent_start : mention.sent_end],
        mention.sent_start,
        mention.sent_end,
    )


def test_build_runs_an_extractor_registered_by_name(build_texts, shouting_extractor):
    graph = build_texts({"a.txt": TEXT}, settings=Settings(extractors=(shouting_extractor,)))
    [relation] = [
        r for r in graph.relations if r.predicate == "met_with"
    ]  # (the meeting event's attendees follow from it)
    assert (relation.subject, relation.predicate, relation.object) == (
        "person/biden-joe",
        "met_with",
        "person/fumio-kishida",
    )
    assert relation.extractor == f"{shouting_extractor} after 0"
    assert shouting_extractor in registry.names(registry.relation_extractors)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layout": "fa2"}, "unknown layout 'fa2'; use one of: spring, forceatlas2"),
        ({"rdf_formats": ("ttl", "xml")}, "unknown RDF format 'xml'; use one of: jsonld, nt, trig, ttl"),
    ],
)
def test_build_outputs_refuse_unknown_choices_before_writing(tiny_graph, tmp_path, options, message):
    from kg.export import write_outputs

    with pytest.raises(ConfigError) as caught:
        write_outputs(tiny_graph, tmp_path / "out", **options)
    assert message in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_build_cli_runs_the_extractors_named(tmp_path):
    import csv

    from click.testing import CliRunner

    from kg.cli import cli

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "summit.txt").write_text(BYLINE, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "docs"), "-o", str(out), "-q", "--extractor", "metadata"])
    assert result.exit_code == 0, result.output
    with open(out / "edges.csv", encoding="utf-8", newline="") as rows:
        assert {row["relation"] for row in csv.DictReader(rows)} == {"authored_by"}
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "docs"), "-o", str(out), "--extractor", "pattern"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: unknown relation extractor 'pattern'; use one of: {REGISTERED}"
    ]


def test_build_runs_an_extractor_of_another_package_through_its_entry_point(tmp_path):
    """A package of one's own, installed (here: on PYTHONPATH with its dist-info), adds an extractor
    that `kg build --extractor` runs, with no change to kg."""
    import os
    import subprocess
    import sys

    site = tmp_path / "site"
    (site / "kg_shout-0.1.dist-info").mkdir(parents=True)
    (site / "kg_shout-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: kg-shout\nVersion: 0.1\n")
    (site / "kg_shout-0.1.dist-info" / "entry_points.txt").write_text(
        "[kg_relation_extractors]\nshout = kg_shout:make\n"
    )
    (site / "kg_shout.py").write_text(
        "from kg.model import Evidence, RelationMention\n"
        "def make(context):\n"
        "    def run(extraction):\n"
        "        people = [m for m in extraction.mentions if m.type == 'Person']\n"
        "        text = extraction.document.text\n"
        "        def evidence(m):\n"
        "            return Evidence(extraction.document.id, text[m.sent_start:m.sent_end], m.sent_start, m.sent_end)\n"
        "        pairs = zip(people, people[1:])\n"
        "        return [RelationMention(a, 'met_with', b, 0.5, 'shout', evidence(a)) for a, b in pairs]\n"
        "    return run\n"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Fumio Kishida and Joe Biden spoke.", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])}
    command = [sys.executable, "-m", "kg", "build", str(tmp_path / "docs"), "-o", str(tmp_path / "out"), "-q"]
    subprocess.run([*command, "--extractor", "shout"], env=env, check=True, timeout=300, capture_output=True)
    edges = [(r.subject, r.predicate, r.object, r.extractor) for r in load_graph(tmp_path / "out").relations]
    assert ("person/biden-joe", "met_with", "person/fumio-kishida", "shout") in edges
    assert {extractor for *_, extractor in edges} <= {"shout", "events:meeting"}
    assert "shout" not in registry.names(registry.relation_extractors)  # this process has no such package


def test_build_docs_name_the_default_extractors_in_order():
    """README, ARCHITECTURE.md and kg build --help say which extractors run by default: the same list."""
    from pathlib import Path

    from click.testing import CliRunner

    from kg.cli import cli

    listed = ", ".join(DEFAULT_EXTRACTORS)
    root = Path(__file__).resolve().parent.parent
    for text in (
        (root / "README.md").read_text(),
        (root / "ARCHITECTURE.md").read_text(),
        CliRunner().invoke(cli, ["build", "--help"]).output,
    ):
        assert listed in " ".join(text.split())
