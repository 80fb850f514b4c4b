"""Relation extraction with the real model: each relation and syntactic form, positive and negative."""

from __future__ import annotations

import pytest

from kg.errors import ConfigError
from kg.export import to_rdf
from kg.resources import load_patterns


@pytest.mark.parametrize(
    "text,expected",
    [
        # met_with: coordination, photo-caption present tense, "met with", nominal forms, passive
        ("Fumio Kishida and Joe Biden met in Tokyo on Monday.", ("Fumio Kishida", "met_with", "Joe Biden")),
        (
            "Japanese Prime Minister Fumio Kishida and U.S. President Joe Biden meet at the Akasaka Palace.",
            ("Fumio Kishida", "met_with", "Joe Biden"),
        ),
        ("Antony Blinken met with Wang Yi in Beijing.", ("Antony Blinken", "met_with", "Wang Yi")),
        ("Emmanuel Macron met Olaf Scholz in Berlin.", ("Emmanuel Macron", "met_with", "Olaf Scholz")),
        (
            "The meeting between Narendra Modi and Xi Jinping lasted an hour.",
            ("Narendra Modi", "met_with", "Xi Jinping"),
        ),
        (
            "The April summit between Joe Biden and Fumio Kishida set the task.",
            ("Joe Biden", "met_with", "Fumio Kishida"),
        ),
        ("Rishi Sunak held talks with Giorgia Meloni in Rome.", ("Rishi Sunak", "met_with", "Giorgia Meloni")),
        # met_at: coordination gives both parties the place
        (
            "Anthony Albanese and Rishi Sunak met at Naval Base Point Loma.",
            ("Rishi Sunak", "met_at", "Naval Base Point Loma"),
        ),
        (
            "Anthony Albanese and Rishi Sunak met at Naval Base Point Loma.",
            ("Anthony Albanese", "met_at", "Naval Base Point Loma"),
        ),
        # hosted: active and passive
        (
            "Tokyo hosted the U.S.-Japan Security Consultative Committee.",
            ("Tokyo", "hosted", "U.S.-Japan Security Consultative Committee"),
        ),
        ("The NATO summit was hosted by Lithuania.", ("Lithuania", "hosted", "NATO summit")),
        # located_in: prepositional and comma forms
        ("They met at the Akasaka Imperial Palace in Tokyo.", ("Akasaka Imperial Palace", "located_in", "Tokyo")),
        ("The talks took place in Tokyo, Japan, last week.", ("Tokyo", "located_in", "Japan")),
        ("Samsung Electronics is headquartered in Suwon.", ("Samsung Electronics", "located_in", "Suwon")),
        # holds_role: title before name, apposition, copula, functional roles
        ("Prime Minister Fumio Kishida spoke.", ("Fumio Kishida", "holds_role", "Prime Minister")),
        ("Olaf Scholz, the Chancellor, spoke.", ("Olaf Scholz", "holds_role", "Chancellor")),
        (
            "Japan's Self-Defense Forces served as the alliance's defensive shield.",
            ("Self-Defense Forces", "holds_role", "shield"),
        ),
        # works_for: copula with coordination, apposition, verbs, passive
        (
            "Zack Cooper is a senior fellow at the American Enterprise Institute and a lecturer at Princeton "
            "University.",
            ("Zack Cooper", "works_for", "Princeton University"),
        ),
        (
            "Zack Cooper is a senior fellow at the American Enterprise Institute and a lecturer at Princeton "
            "University.",
            ("Zack Cooper", "works_for", "American Enterprise Institute"),
        ),
        (
            "Zack Cooper, a senior fellow at the American Enterprise Institute, wrote the report.",
            ("Zack Cooper", "works_for", "American Enterprise Institute"),
        ),
        ("Maria Lopez joined Google in 2019.", ("Maria Lopez", "works_for", "Google")),
        ("Maria Lopez works for the World Bank.", ("Maria Lopez", "works_for", "World Bank")),
        ("Maria Lopez was hired by Microsoft last year.", ("Maria Lopez", "works_for", "Microsoft")),
        # member_of, leader_of, part_of
        ("Sweden is a member of NATO.", ("Sweden", "member_of", "NATO")),
        ("Jens Stoltenberg, the head of NATO, spoke.", ("Jens Stoltenberg", "leader_of", "NATO")),
        (
            "Jeffrey Hornung works at the RAND National Security Research Division of RAND.",
            ("RAND National Security Research Division", "part_of", "RAND"),
        ),
        # criticised
        ("Senator Elizabeth Warren criticised Amazon.", ("Elizabeth Warren", "criticised", "Amazon")),
    ],
)
def test_relations_pattern_finds(extract, text, expected):
    found = extract(text)
    assert expected in found, found


@pytest.mark.parametrize(
    "text,forbidden",
    [
        ("Zack Cooper criticised the American Enterprise Institute.", "works_for"),
        ("Fumio Kishida criticised Joe Biden.", "met_with"),
        ("Fumio Kishida and Joe Biden were both mentioned in the report.", "met_with"),
        ("Fumio Kishida spoke in Tokyo while Joe Biden spoke in Washington.", "met_with"),
        ("NATO Secretary General Jens Stoltenberg met with Volodymyr Zelenskyy.", None),
        ("France, Germany, and Italy signed the deal.", "located_in"),
        ("Maria Lopez visited Google.", "works_for"),
    ],
)
def test_relations_pattern_does_not_find(extract, text, forbidden):
    found = extract(text)
    if forbidden is None:  # the organisation in a title is no party to the meeting
        assert not any(p == "met_with" and "NATO" in (s, o) for s, p, o in found), found
    else:
        assert not any(p == forbidden for _, p, _ in found), found


def test_relations_pronoun_subject_resolved_in_graph(build_texts):
    graph = build_texts(
        {"p.txt": "Jeffrey Hornung wrote the report. He is also an adjunct professor at Georgetown University."}
    )
    edges = {(graph.label_of(r.subject), r.predicate, graph.label_of(r.object)) for r in graph.relations}
    assert ("Jeffrey Hornung", "works_for", "Georgetown University") in edges


def test_relations_relative_clause(build_texts):
    graph = build_texts({"r.txt": "The report was written by Maria Lopez, who is a professor at Yale University."})
    edges = {(graph.label_of(r.subject), r.predicate, graph.label_of(r.object)) for r in graph.relations}
    assert ("Maria Lopez", "works_for", "Yale University") in edges


def test_relations_duplicates_merge_with_all_evidence(build_texts):
    graph = build_texts(
        {"a.txt": "Fumio Kishida met Joe Biden in Tokyo.\n\nLater, Joe Biden met Fumio Kishida in Hiroshima."}
    )
    [met] = [r for r in graph.relations if r.predicate == "met_with"]
    assert len(met.evidence) == 2
    assert {e.sentence for e in met.evidence} == {
        "Fumio Kishida met Joe Biden in Tokyo.",
        "Later, Joe Biden met Fumio Kishida in Hiroshima.",
    }


def test_relations_evidence_offsets_point_at_the_sentence(build_texts):
    text = "Some preamble here.\n\nZack Cooper is a senior fellow at the American Enterprise Institute."
    graph = build_texts({"a.txt": text})
    [rel] = [r for r in graph.relations if r.predicate == "works_for"]
    evidence = rel.evidence[0]
    assert text[evidence.start : evidence.end] == evidence.sentence == text.split("\n\n")[1]
    assert rel.extractor == "titles:predicate" and 0 < rel.confidence <= 1


def test_relations_user_pattern_file_adds_a_relation(build_texts, tmp_path):
    import json

    from kg.build import Settings

    patterns = tmp_path / "mine.json"
    patterns.write_text(
        json.dumps(
            {
                "patterns": [
                    {
                        "id": "mine.praised",
                        "relation": "criticised",
                        "kind": "dependency",
                        "confidence": 0.5,
                        "pattern": [
                            {"RIGHT_ID": "v", "RIGHT_ATTRS": {"LEMMA": "scold"}},
                            {"LEFT_ID": "v", "REL_OP": ">", "RIGHT_ID": "s", "RIGHT_ATTRS": {"DEP": "nsubj"}},
                            {"LEFT_ID": "v", "REL_OP": ">", "RIGHT_ID": "o", "RIGHT_ATTRS": {"DEP": "dobj"}},
                        ],
                        "subject": "s",
                        "object": "o",
                    }
                ]
            }
        )
    )
    graph = build_texts({"a.txt": "Maria Lopez scolded John Smith."}, settings=Settings(patterns=(patterns,)))
    [rel] = [r for r in graph.relations if r.predicate == "criticised"]
    assert rel.extractor == "pattern:mine.praised"


@pytest.mark.parametrize(
    "content,problem",
    [
        (
            '{"patterns": [{"id": "x", "relation": "nope", "pattern": [{"RIGHT_ID": "a", "RIGHT_ATTRS": {}}], '
            '"subject": "a", "object": "a"}]}',
            "unknown relation 'nope'",
        ),
        (
            '{"patterns": [{"id": "x", "relation": "met_with", "pattern": [{"RIGHT_ID": "a", "RIGHT_ATTRS": {}}], '
            '"subject": "a", "object": "b"}]}',
            "subject/object must name pattern nodes",
        ),
        ('{"patterns": [{"id": "x", "relation": "met_with", "kind": "regex"}]}', "unknown kind 'regex'"),
        ('{"patterns": [', "invalid JSON"),
    ],
)
def test_relations_bad_pattern_file_is_one_error(tmp_path, resources, content, problem):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=problem) as info:
        load_patterns(path, resources.relations)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_relations_open_layer_links_entities_and_concepts(build_texts):
    from kg.build import Settings

    graph = build_texts(
        {
            "o.txt": "The Japan Self-Defense Forces pursue deeper integration with allies. "
            "Tokyo criticised the plan. The new doctrine changed command structures. "
            "Tokyo will not abandon the treaty. Japan should revise its constitution."
        },
        settings=Settings(open_relations=True),
    )
    open_edges = {
        (graph.label_of(r.subject), r.predicate, graph.label_of(r.object)) for r in graph.relations if r.layer == "open"
    }
    assert ("Japan Self-Defense Forces", "pursue", "integration") in open_edges
    assert ("doctrine", "change", "command structures") in open_edges
    assert not {p for _, p, _ in open_edges} & {"abandon", "revise"}  # negated, hypothetical
    concept = next(e for e in graph.entities.values() if e.label == "integration")
    assert concept.type == "Concept"
    assert all(r.confidence <= 0.5 and r.extractor == "open:svo" for r in graph.relations if r.layer == "open")
    # the open layer repeats nothing the schema says about the same pair in the same sentence
    typed = {(r.subject, r.object) for r in graph.relations if r.layer == "schema"}
    assert not any((r.subject, r.object) in typed for r in graph.relations if r.layer == "open")


def test_relations_open_layer_is_opt_in(build_texts):
    graph = build_texts({"o.txt": "The Japan Self-Defense Forces pursue deeper integration."})
    assert not any(r.layer == "open" for r in graph.relations)


def test_relations_open_layer_in_rdf_is_marked(build_texts):
    from kg.build import Settings

    graph = build_texts(
        {"o.txt": "The Japan Self-Defense Forces pursue deeper integration."}, settings=Settings(open_relations=True)
    )
    rows = list(
        to_rdf(graph).query("""PREFIX kg: <http://kg.example/vocab#> PREFIX kgo: <http://kg.example/open#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?st WHERE { ?s kgo:pursue ?o . ?st a kg:OpenRelation ; rdf:predicate kgo:pursue . }""")
    )
    assert len(rows) == 1


def test_relations_pattern_subject_not_names_a_known_kind(tmp_path):
    import json

    from kg.resources import load_resources

    path = tmp_path / "mine.json"
    path.write_text(
        json.dumps(
            {
                "patterns": [
                    {
                        "id": "mine.in",
                        "relation": "located_in",
                        "kind": "token",
                        "pattern": [{"ENT_TYPE": "GPE"}, {"LOWER": "in"}, {"ENT_TYPE": "GPE"}],
                        "subject": 0,
                        "object": 2,
                        "subject_not": "planet",
                    }
                ]
            }
        )
    )
    with pytest.raises(ConfigError, match="unknown subject_not 'planet'; use one of country") as info:
        load_resources(extra_patterns=(path,))
    assert str(path) in str(info.value) and "\n" not in str(info.value)
