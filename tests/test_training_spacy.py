"""kg train without an encoder (kg.training.loops, component, saving): a tiny training run gives a
model that loads and predicts, the same seed gives the same scores, kg build uses the model, the
output folder is checked before training, bad training data is one error naming the line."""

from __future__ import annotations

import json

import pytest
import spacy
from click.testing import CliRunner

from kg.cli import cli

MODEL_PREDICATES = {"work_for", "live_in", "orgbased_in"}


def train(tmp_path, tiny, name, *options):
    train_file, dev_file = tiny
    result = CliRunner().invoke(
        cli,
        [
            "train",
            str(train_file),
            "--dev",
            str(dev_file),
            "-o",
            str(tmp_path / name),
            "--max-epochs",
            "2",
            "--ner-epochs",
            "1",
            "-q",
            "--mapping",
            "data/eval/conll04.json",
            *options,
        ],
    )
    assert result.exit_code == 0, result.output
    return tmp_path / name, result.output


def dev_scores(model):
    return json.loads((model / "training.json").read_text())["dev"]


def test_training_tiny_model_loads_and_predicts(tmp_path, tiny):
    model, output = train(tmp_path, tiny, "m")
    assert "dev entity F1" in output and "relation micro-F1" in output
    nlp = spacy.load(model)  # the component is found through kg's spacy_factories entry point
    assert "kg_relation_extractor" in nlp.pipe_names
    doc = nlp("John Smith works for Acme Corp .")
    spans = {(e.start_char, e.end_char) for e in doc.ents}
    found = doc.user_data["kg_relations"]
    assert found, "the trained classifier found no relation in a training sentence"
    for h1, h2, t1, t2, label, score in found:  # between the pipeline's own entities, with the data's labels
        assert {(h1, h2), (t1, t2)} <= spans and label in {"Work_For", "Live_In", "OrgBased_In"} and 0.5 <= score <= 1
    meta = json.loads((model / "meta.json").read_text())["kg"]
    assert set(meta["relation_labels"]) == {"Work_For", "Live_In", "OrgBased_In"} and meta["config_version"] == 1
    assert meta["entity_types"]["Peop"] == "Person" and meta["dev_scores"] == dev_scores(model)


def test_training_same_seed_same_scores_and_another_seed_is_used(tmp_path, tiny):
    first, second = train(tmp_path, tiny, "a")[0], train(tmp_path, tiny, "b")[0]
    assert dev_scores(first) == dev_scores(second)
    third = train(tmp_path, tiny, "c", "--seed", "5")[0]
    assert json.loads((third / "train_config.json").read_text())["seed"] == 5


def test_training_saves_its_configuration_and_config_trains_the_same_model_again(tmp_path, tiny):
    model, _ = train(tmp_path, tiny, "m", "--max-epochs", "3", "--patience", "2")
    saved = json.loads((model / "train_config.json").read_text())
    assert (
        saved["max_epochs"] == 3 and saved["patience"] == 2 and saved["version"] == 1 and saved["entity_types"]["Org"]
    )
    result = CliRunner().invoke(
        cli,
        [
            "train",
            str(tiny[0]),
            "--dev",
            str(tiny[1]),
            "-o",
            str(tmp_path / "again"),
            "-q",
            "--config",
            str(model / "train_config.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "again" / "train_config.json").read_text()) == saved
    assert json.loads((tmp_path / "again" / "training.json").read_text()) == json.loads(
        (model / "training.json").read_text()
    )


def test_options_given_override_the_config_file(tmp_path, tiny):
    (tmp_path / "c.json").write_text(json.dumps({"max_epochs": 1, "ner_epochs": 1, "seed": 3}))
    result = CliRunner().invoke(
        cli,
        [
            "train",
            str(tiny[0]),
            "--dev",
            str(tiny[1]),
            "-o",
            str(tmp_path / "m"),
            "-q",
            "--config",
            str(tmp_path / "c.json"),
            "--seed",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "m" / "train_config.json").read_text())
    assert (saved["max_epochs"], saved["seed"], saved["patience"]) == (1, 4, 6)


@pytest.mark.parametrize(
    "content,problem",
    [
        ('{"max_epoch": 3}', "unknown setting 'max_epoch'; use one of: "),
        ('{"max_epochs": "3"}', "max_epochs = '3' is not of type int"),
        ('{"dropout": true}', "dropout = True is not of type float"),
        ('{"version": 2}', "configuration version 2; this kg reads version 1"),
        ("[1]", "not a JSON object of settings"),
        ('{"seed": 1', "invalid JSON"),
    ],
)
def test_bad_config_file_is_one_error_naming_it(tmp_path, tiny, content, problem):
    (tmp_path / "c.json").write_text(content)
    result = CliRunner().invoke(
        cli,
        ["train", str(tiny[0]), "--dev", str(tiny[1]), "-o", str(tmp_path / "m"), "--config", str(tmp_path / "c.json")],
    )
    errors = [x for x in result.output.splitlines() if x.startswith("Error:")]
    assert result.exit_code != 0 and len(errors) == 1 and f"c.json: {problem}" in errors[0], result.output
    assert not (tmp_path / "m").exists()


def test_missing_config_file_is_one_error(tmp_path, tiny):
    result = CliRunner().invoke(
        cli,
        [
            "train",
            str(tiny[0]),
            "--dev",
            str(tiny[1]),
            "-o",
            str(tmp_path / "m"),
            "--config",
            str(tmp_path / "none.json"),
        ],
    )
    assert result.exit_code != 0 and "none.json: cannot read the configuration" in result.output


def test_training_model_used_by_build_next_to_the_rules(tmp_path, tiny, build_edges):
    model, _ = train(tmp_path, tiny, "m")
    edges = build_edges(tmp_path, model)
    assert any(x.startswith("pattern:met_with") for x in edges)  # the rules still run with the base model
    learned = edges.get("model:m", [])  # and the model's own relations are in the graph
    assert learned and {row["relation"] for row in learned} <= MODEL_PREDICATES, sorted(edges)


def test_training_refuses_a_folder_it_did_not_write_and_keeps_its_contents(tmp_path, tiny):
    foreign = tmp_path / "photos"
    (foreign / "2023").mkdir(parents=True)
    (foreign / "2023" / "a.jpg").write_bytes(b"\xff\xd8 not a model")
    (foreign / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["train", str(tiny[0]), "--dev", str(tiny[1]), "-o", str(foreign), "-q"])
    errors = [x for x in result.output.splitlines() if x.startswith("Error:")]
    assert (
        result.exit_code != 0 and len(errors) == 1 and f"{foreign}: is not empty and holds no kg model" in errors[0]
    ), result.output
    assert sorted(str(p.relative_to(foreign)) for p in foreign.rglob("*")) == ["2023", "2023/a.jpg", "notes.txt"]
    assert (foreign / "notes.txt").read_text() == "keep me" and (
        foreign / "2023" / "a.jpg"
    ).read_bytes() == b"\xff\xd8 not a model"
    assert [p.name for p in tmp_path.iterdir()] == ["photos"]  # no staging folder beside it either


@pytest.mark.parametrize(
    "where,output,what",
    [
        ("work", ".", "the working directory or a folder above it"),
        ("work", "..", "the working directory or a folder above it"),
        ("work/sub", "../..", "the working directory or a folder above it"),
        ("work", "HOME", "not empty and holds no kg model"),  # as any folder of files kg did not write
    ],
)
def test_training_refuses_the_working_directory_home_and_parents(tmp_path, tiny, monkeypatch, where, output, what):
    home, cwd = tmp_path / "home", tmp_path / where
    for folder in (home, cwd):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "mine.txt").write_text("keep me")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    output = str(home) if output == "HOME" else output
    result = CliRunner().invoke(cli, ["train", str(tiny[0]), "--dev", str(tiny[1]), "-o", output, "-q"])
    assert result.exit_code != 0 and f"Error: {output}: is {what}" in result.output, result.output
    for folder in (home, cwd):
        assert (folder / "mine.txt").read_text() == "keep me"
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == sorted(
        {"home", "home/mine.txt", where, f"{where}/mine.txt"} | ({"work"} if where == "work/sub" else set())
    )


def test_training_refuses_a_file_and_a_symbolic_link(tmp_path, tiny):
    (tmp_path / "file").write_text("x")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for name, problem in (("file", "Directory '{}' is a file"), ("link", "{}: is a symbolic link")):
        result = CliRunner().invoke(
            cli, ["train", str(tiny[0]), "--dev", str(tiny[1]), "-o", str(tmp_path / name), "-q"]
        )
        assert result.exit_code != 0 and problem.format(tmp_path / name) in result.output, result.output
    assert (tmp_path / "file").read_text() == "x" and not any((tmp_path / "real").iterdir())


def test_training_replaces_its_own_model_and_an_empty_folder(tmp_path, tiny):
    (tmp_path / "m").mkdir()  # an empty folder is taken
    model, _ = train(tmp_path, tiny, "m")
    (model / "stale.txt").write_text("from the first run")
    again, _ = train(tmp_path, tiny, "m")  # a model kg train saved is replaced whole
    assert again == model and not (model / "stale.txt").exists() and (model / "training.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # staging and the old model are gone


@pytest.mark.parametrize(
    "line,problem",
    [
        (
            '{"id": 1, "text": "Ann", "entities": [{"start": 0, "end": 3, "label": "Peop"}], '
            '"relations": [{"head": 0, "tail": 7, "label": "Kill"}]}',
            ":2: relation end 7",
        ),
        (
            '{"id": 1, "text": "Ann", "entities": [{"start": 0, "end": 30, "label": "Peop"}]}',
            ":2: entity offsets 0-30 outside the text",
        ),
    ],
)
def test_training_bad_data_is_one_error_naming_the_line(tmp_path, tiny, line, problem):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(tiny[0].read_text().splitlines()[0] + "\n" + line + "\n")
    result = CliRunner().invoke(cli, ["train", str(bad), "--dev", str(tiny[1]), "-o", str(tmp_path / "m")])
    errors = [x for x in result.output.splitlines() if x.startswith("Error:")]
    assert result.exit_code != 0 and len(errors) == 1 and problem in errors[0]


def test_training_empty_file_and_a_file_without_entities_are_errors(tmp_path, tiny):
    (tmp_path / "empty.jsonl").write_text("")
    result = CliRunner().invoke(
        cli, ["train", str(tmp_path / "empty.jsonl"), "--dev", str(tiny[1]), "-o", str(tmp_path / "m")]
    )
    assert result.exit_code != 0 and "empty.jsonl: no gold documents" in result.output
    (tmp_path / "bare.jsonl").write_text('{"id": 1, "text": "Ann", "entities": []}\n')
    result = CliRunner().invoke(
        cli,
        [
            "train",
            str(tmp_path / "bare.jsonl"),
            "--dev",
            str(tiny[1]),
            "-o",
            str(tmp_path / "m"),
            "--mapping",
            "data/eval/conll04.json",
        ],
    )
    assert result.exit_code != 0 and "bare.jsonl: no entities to learn from" in result.output
    assert not (tmp_path / "m").exists()
