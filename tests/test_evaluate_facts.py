"""kg eval on a folder of hand-read facts: loading, matching rules, scores, misses, the command."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import SHARED

from kg.cli import cli
from kg.errors import ConfigError, DocumentLoadError
from kg.evaluate_facts import Fact, FactsGold, load_facts, plain_phrase_words, score_facts
from kg.model import Entity, Evidence, KnowledgeGraph, Mention, Relation


def fact(subject, relation, object_, subject_type="Person", object_type="Organization", doc="a.txt", **aliases):
    return Fact(
        doc,
        subject,
        subject_type,
        relation,
        object_,
        object_type,
        "",
        tuple((k.replace("_", " "), tuple(v)) for k, v in aliases.items()),
    )


def graph_of(doc: str, nodes: dict[str, tuple[str, list[str]]], edges: list[tuple[str, str, str]]) -> KnowledgeGraph:
    """A graph whose nodes have these (type, surface forms in `doc`) and these edges stated in `doc`."""
    g = KnowledgeGraph()
    for node, (type_, forms) in nodes.items():
        mentions = tuple(Mention(doc, n, n + len(f), f, type_) for n, f in enumerate(forms))
        g.add_entity(Entity(node, forms[0], type_, mentions=mentions))
    for s, p, o in edges:
        g.add_relation(Relation(s, p, o, evidence=(Evidence(doc, "A sentence.", 0, 11),)))
    return g


def gold_of(facts, groups=None) -> FactsGold:
    return FactsGold(None, list(facts), {"a.txt": groups or {}}, {"a.txt": None})


def test_facts_entity_ends_match_names_and_aliases_ignoring_case_and_the():
    g = graph_of(
        "a.txt",
        {"p": ("Person", ["Mr Straw"]), "o": ("Organization", ["the Foreign Office"])},
        [("p", "works_for", "o")],
    )
    facts = [fact("Jack Straw", "works_for", "Foreign Office", Jack_Straw=["Mr Straw"])]
    scores = score_facts(gold_of(facts), g, plain_phrase_words)
    assert scores.found["works_for"] == 1 and scores.strict == 1
    # without the alias, the same edge matches nothing: a miss and an unmatched edge
    scores = score_facts(gold_of([fact("Jack Straw", "works_for", "Foreign Office")]), g, plain_phrase_words)
    assert scores.found["works_for"] == 0 and scores.strict == 0
    assert scores.misses[0][1] == "no node for the subject"
    assert scores.unmatched_edges == [("a.txt", "Mr Straw", "works_for", "the Foreign Office")]


def test_facts_role_objects_match_by_containment_either_way_and_not_otherwise():
    g = graph_of(
        "a.txt",
        {"p": ("Person", ["Alan Greenspan"]), "r": ("Role", ["Federal Reserve chairman"]), "q": ("Role", ["governor"])},
        [("p", "holds_role", "r"), ("p", "holds_role", "q")],
    )
    facts = [fact("Alan Greenspan", "holds_role", "chairman", object_type="Role")]
    scores = score_facts(gold_of(facts), g, plain_phrase_words)
    assert scores.found["holds_role"] == 1 and (scores.edges, scores.strict) == (2, 1)


def test_facts_policy_objects_match_on_the_head_word():
    g = graph_of(
        "a.txt",
        {"o": ("Organization", ["BA"]), "c": ("Concept", ["a fuel surcharge"]), "d": ("Concept", ["a number"])},
        [("o", "announced", "c"), ("o", "announced", "d")],
    )
    facts = [fact("BA", "announced", "surcharge for passengers", "Organization", "Policy")]
    scores = score_facts(gold_of(facts), g, plain_phrase_words)
    assert scores.found["announced"] == 1 and scores.strict == 1


def test_facts_met_with_is_symmetric_and_other_relations_are_directed():
    g = graph_of(
        "a.txt",
        {"a": ("Person", ["Ann Lee"]), "b": ("Person", ["Bo Li"])},
        [("b", "met_with", "a"), ("b", "works_for", "a")],
    )
    facts = [
        fact("Ann Lee", "met_with", "Bo Li", object_type="Person"),
        fact("Ann Lee", "works_for", "Bo Li", object_type="Person"),
    ]
    scores = score_facts(gold_of(facts), g, plain_phrase_words)
    assert scores.found == {"met_with": 1, "works_for": 0}
    assert scores.misses[0][1] == "edge in the other direction (works_for)"
    g = graph_of("a.txt", {"a": ("Person", ["Ann Lee"]), "b": ("Person", ["Bo Li"])}, [])
    assert score_facts(gold_of(facts), g, plain_phrase_words).misses[0][1] == "nodes but no edge"


def test_facts_lenient_precision_accepts_works_for_where_the_gold_says_leader_of():
    g = graph_of("a.txt", {"p": ("Person", ["Ann Lee"]), "o": ("Organization", ["Acme"])}, [("p", "works_for", "o")])
    facts = [fact("Ann Lee", "leader_of", "Acme"), fact("Bo Li", "works_for", "Acme")]
    scores = score_facts(gold_of(facts), g, plain_phrase_words)
    assert (scores.edges, scores.strict, scores.lenient) == (1, 0, 1)
    assert scores.misses[0][1] == "edge of another relation (works_for)"


def test_facts_alias_groups_joined_split_and_merged():
    g = graph_of(
        "a.txt",
        {
            "p": ("Person", ["Jack Straw", "Mr Straw"]),
            "r": ("Role", ["foreign secretary"]),
            "q": ("Person", ["Straw"]),
            "x": ("Organization", ["UK", "Britain"]),
        },
        [],
    )
    groups = {
        "Jack Straw": ("Mr Straw",),
        "Gibraltar": ("the Rock",),
        "Straw group": ("the foreign secretary", "Jack Straw", "Straw"),
        "United Kingdom": ("UK",),
        "Britain": (),
    }
    scores = score_facts(FactsGold(None, [], {"a.txt": groups}, {"a.txt": None}), g, plain_phrase_words)
    counts = scores.groups
    assert counts["groups"] == 5 and counts["found"] == 4  # Gibraltar has no node
    # the Role node r does not count: "Straw group" is split only between the persons p and q
    assert counts["not split"] == 3 and counts["joined"] == 2 and counts["split"] == 1
    assert counts["nodes merging two groups"] == 2  # p holds two groups, x holds two


def write_folder(tmp_path, facts: list[dict], docs: dict[str, str], entities: dict | None = None):
    folder = tmp_path / "gold"
    folder.mkdir()
    (folder / "facts.jsonl").write_text("".join(json.dumps(f) + "\n" for f in facts), encoding="utf-8")
    if entities is not None:
        (folder / "entities.json").write_text(json.dumps(entities), encoding="utf-8")
    texts = tmp_path / "texts"
    for name, text in docs.items():
        (texts / name).parent.mkdir(parents=True, exist_ok=True)
        (texts / name).write_text(text, encoding="utf-8")
    return folder


def test_facts_load_finds_documents_beside_the_folder_and_names_bad_lines(tmp_path):
    row = {
        "doc": "news/1.txt",
        "subject": "A",
        "subject_type": "Person",
        "relation": "met_with",
        "object": "B",
        "object_type": "Person",
    }
    folder = write_folder(tmp_path, [row], {"news/1.txt": "A met B."})
    gold = load_facts(folder)
    assert gold.files == {"news/1.txt": tmp_path / "texts" / "news" / "1.txt"}
    (folder / "facts.jsonl").write_text(json.dumps(row) + "\n{bad\n")
    with pytest.raises(ConfigError, match=r"facts.jsonl:2: invalid JSON"):
        load_facts(folder)
    (folder / "facts.jsonl").write_text(json.dumps({**row, "doc": "news/2.txt"}) + "\n")
    with pytest.raises(DocumentLoadError, match=r"'news/2.txt' is not in"):
        load_facts(folder)
    (folder / "facts.jsonl").write_text(json.dumps({"doc": "news/1.txt"}) + "\n")
    with pytest.raises(ConfigError, match=r"facts.jsonl:1: not a fact \(KeyError"):
        load_facts(folder)


def test_facts_eval_command_builds_the_documents_and_reports(tmp_path):
    text = (
        "Acme names new chief\n\nAcme chief executive Jane Doe met Bill Roe in Paris on Monday. "
        "Ms Doe said the talks went well.\n"
    )
    facts = [
        {
            "doc": "news/1.txt",
            "subject": "Jane Doe",
            "subject_type": "Person",
            "relation": "met_with",
            "object": "Bill Roe",
            "object_type": "Person",
            "evidence": "...",
            "aliases": {"Jane Doe": ["Ms Doe"]},
        },
        {
            "doc": "news/1.txt",
            "subject": "Jane Doe",
            "subject_type": "Person",
            "relation": "part_of",
            "object": "Mars",
            "object_type": "Organization",
            "evidence": "...",
        },
    ]
    folder = write_folder(
        tmp_path, facts, {"news/1.txt": text}, {"news/1.txt": {"one_node_each": {"Jane Doe": ["Ms Doe"]}}}
    )
    result = CliRunner().invoke(cli, ["eval", str(folder), "--json", "--misses"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["documents"] == 1 and scores["facts"] == 2
    assert scores["relations"]["met_with"] == {"found": 1, "facts": 1, "recall": 1.0}
    assert scores["misses"] == [
        {
            "doc": "news/1.txt",
            "subject": "Jane Doe",
            "relation": "part_of",
            "object": "Mars",
            "why": "no node for the object",
        }
    ]
    assert scores["alias_groups"]["joined"] == 1
    result = CliRunner().invoke(cli, ["eval", str(folder), "--misses"])
    assert "recall 0.500 (1/2)" in result.output and "Jane Doe -part_of-> Mars: no node for the object" in result.output


@pytest.mark.skipif(not (SHARED / "data" / "news_dev").exists(), reason="../shared/data is not here")
def test_facts_eval_reads_news_dev():
    gold = load_facts(SHARED / "data" / "news_dev")
    assert len(gold.facts) == 454 and len(gold.files) == 30
    assert sum(len(g) for g in gold.groups.values()) == 115
