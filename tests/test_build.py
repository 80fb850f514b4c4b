"""kg.build and kg.stages: the build's settings (checked at the boundary) and the relation extractors
it runs, chosen by name from kg.registry.relation_extractors."""

from __future__ import annotations

import catalogue
import pytest

from kg import registry
from kg.build import Settings
from kg.errors import ConfigError, UnknownNameError
from kg.model import RelationMention
from kg.relations import DEFAULT_EXTRACTORS, Extraction, ExtractorContext

TEXT = "Fumio Kishida met Joe Biden in Tokyo."
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
        match=r"unknown relation extractor 'pattern'; use one of: gatherings, learned, metadata, open, patterns, titles",
    ):
        Settings(extractors=("metadata", "pattern"))


def test_build_settings_default_extractors_run_in_order():
    assert Settings().extractors == DEFAULT_EXTRACTORS == ("metadata", "patterns", "titles", "gatherings", "open", "learned")
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
        "Error: unknown relation extractor 'pattern'; use one of: learned, metadata, open, patterns, titles"
    ]
