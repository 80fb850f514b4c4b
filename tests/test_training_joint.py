"""kg train --encoder (kg.training.joint, networks, loops): the joint transformer extractor, on the
tiny BERT of conftest, so the real loading and training code runs without a download."""

from __future__ import annotations

import json
import re

import pytest
import spacy
from click.testing import CliRunner

from kg.cli import cli
from kg.training.decoding import readings


def well_formed(doc):
    """The joint extractor ran: entities with the data's labels, relations between them with the data's
    relation labels and allowed type pairs. Returns how many relations it found."""
    assert doc.ents and {e.label_ for e in doc.ents} <= {"Peop", "Org", "Loc", "Other"}
    spans = {(e.start_char, e.end_char): e.label_ for e in doc.ents}
    found = doc.user_data["kg_relations"]
    allowed = {("Org", "Loc", "OrgBased_In"), ("Peop", "Loc", "Live_In"), ("Peop", "Org", "Work_For")}
    for h1, h2, t1, t2, label, score in found:
        assert (spans[(h1, h2)], spans[(t1, t2)], label) in allowed and 0 <= score <= 1
    return len(found)


def train_joint(tmp_path, tiny, encoder, name, options=()):
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
            "--encoder",
            str(encoder),
            "--max-epochs",
            "2",
            "-q",
            "--mapping",
            "data/eval/conll04.json",
            *options,
        ],
    )
    assert result.exit_code == 0, result.output
    return tmp_path / name


def test_joint_training_tiny_model_loads_and_predicts(tmp_path, tiny, tiny_encoder):
    model = train_joint(tmp_path, tiny, tiny_encoder, "j")
    nlp = spacy.load(model)  # the factory is found through kg's spacy_factories entry point
    assert "kg_joint_extractor" in nlp.pipe_names
    nlp.get_pipe("kg_joint_extractor").threshold = 0.0  # the tiny model's scores are low; every allowed pair is kept
    docs = list(nlp.pipe(["Anna White works for Initech in Tokyo .", "Mary Jones lives in Boston . " * 80]))
    assert all([well_formed(doc) for doc in docs]), "a text without relations"
    meta = json.loads((model / "meta.json").read_text())["kg"]
    assert meta["encoder"] == str(tiny_encoder) and set(meta["relation_labels"]) == {
        "Work_For",
        "Live_In",
        "OrgBased_In",
    }
    assert json.loads((model / "train_config.json").read_text())["encoder"] == str(tiny_encoder)
    assert not list(tmp_path.glob(".j-*"))  # the staging folder is gone


def test_joint_model_without_options_has_the_bio_tagger_alone(tmp_path, tiny, tiny_encoder):
    model = train_joint(tmp_path, tiny, tiny_encoder, "j")
    cfg = json.loads((model / "kg_joint_extractor" / "cfg.json").read_text())
    assert cfg["entity_decoder"] == "bio" and cfg["max_span"] == 0 and cfg["relation_decoder"] == "pooled"
    assert not any(
        row["stage"] == "entity decoder" for row in json.loads((model / "training.json").read_text())["history"]
    )
    assert not (model / "kg_joint_extractor" / "relations.safetensors").exists()


def test_joint_training_same_seed_same_scores(tmp_path, tiny, tiny_encoder):
    first, second = (train_joint(tmp_path, tiny, tiny_encoder, n) for n in "ab")
    dev = lambda m: json.loads((m / "training.json").read_text())  # noqa: E731
    assert dev(first) == dev(second)


def test_joint_model_used_by_build_next_to_the_rules(tmp_path, tiny, tiny_encoder, build_edges):
    model = train_joint(tmp_path, tiny, tiny_encoder, "j")
    config = model / "config.cfg"  # the tiny model's scores are low: keep every allowed pair, so its edges must show
    config.write_text(
        re.sub(r"(\[components\.kg_joint_extractor\][^\[]*?threshold = )[0-9.]+", r"\g<1>0.0", config.read_text())
    )
    edges = build_edges(tmp_path, model)
    assert any(x.startswith("pattern:met_with") for x in edges)
    learned = edges.get("model:j", [])
    assert learned and {row["relation"] for row in learned} <= {"work_for", "live_in", "orgbased_in"}, sorted(edges)


def test_joint_model_keeps_the_better_entity_decoder_and_both_work(tmp_path, tiny, tiny_encoder):
    model = train_joint(tmp_path, tiny, tiny_encoder, "j", options=["--span-entities"])
    cfg_file = model / "kg_joint_extractor" / "cfg.json"
    cfg = json.loads(cfg_file.read_text())
    assert 1 <= cfg["max_span"] <= 20 and cfg["shapes"] == 10
    history = json.loads((model / "training.json").read_text())["history"]
    tried = {row["decoder"]: row["dev_relation_f1"] for row in history if row["stage"] == "entity decoder"}
    assert set(tried) == {"spans", "bio"} and tried[cfg["entity_decoder"]] == max(tried.values())
    for decoder in ("spans", "bio"):  # both heads are saved; either decodes
        cfg_file.write_text(json.dumps({**cfg, "entity_decoder": decoder}))
        nlp = spacy.load(model)
        nlp.get_pipe("kg_joint_extractor").threshold = 0.0
        assert well_formed(nlp("Anna White works for Initech in Tokyo."))


def test_joint_model_with_marked_relations_saves_loads_and_reads(tmp_path, tiny, tiny_encoder, monkeypatch):
    from kg.training import joint, loops

    choose = loops.choose_decoder

    def keep_marked(run, extractor, key, decoders, known):  # the tiny model cannot tell the decoders apart
        return choose(run, extractor, key, ("marked",) if key == "relation_decoder" else decoders, known)

    monkeypatch.setattr(loops, "choose_decoder", keep_marked)
    model = train_joint(
        tmp_path, tiny, tiny_encoder, "j", options=["--marked-relations", "--reader-epochs", "1", "--span-entities"]
    )
    part = model / "kg_joint_extractor"
    assert (
        json.loads((part / "cfg.json").read_text())["relation_decoder"] == "marked"
        and (part / "relations.safetensors").is_file()
    )
    stages = [row["stage"] for row in json.loads((model / "training.json").read_text())["history"]]
    # entities are decided first: the reader stops early on relations between the entities the model will decode
    assert "joint, marked relations" in stages and stages.index("entity decoder") < stages.index(
        "joint, marked relations"
    )
    nlp = spacy.load(model)
    extractor = nlp.get_pipe("kg_joint_extractor")
    assert extractor.reader is not None
    entities = [(0, 2, "Peop"), (4, 5, "Org"), (6, 7, "Loc")]  # "Anna White", "Initech", "Tokyo"
    monkeypatch.setattr(extractor, "entities", lambda scores, i, part: entities)
    read = []
    monkeypatch.setattr(
        joint, "readings", lambda entities, pairs, words: read.append(pairs) or readings(entities, pairs, words)
    )
    extractor.threshold = 0.0  # every allowed pair comes out, scored by the reader
    doc = nlp("Anna White works for Initech in Tokyo .")
    assert read == [[(0, 1), (0, 2), (1, 2)]]
    found = doc.user_data["kg_relations"]
    assert sorted((h1, t1, label) for h1, _, t1, _, label, _ in found) == [
        (0, 21, "Work_For"),
        (0, 32, "Live_In"),
        (21, 32, "OrgBased_In"),
    ]
    assert all(0 <= score <= 1 for *_, score in found)


def test_encoder_twice_is_one_error(tmp_path, tiny, tiny_encoder):
    result = CliRunner().invoke(
        cli,
        [
            "train",
            str(tiny[0]),
            "--dev",
            str(tiny[1]),
            "-o",
            str(tmp_path / "m"),
            "--encoder",
            str(tiny_encoder),
            "--encoder",
            str(tiny_encoder),
        ],
    )
    assert result.exit_code != 0 and "--encoder: give one encoder" in result.output and not (tmp_path / "m").exists()


def test_unknown_encoder_is_one_error(tmp_path, tiny):
    result = CliRunner().invoke(
        cli, ["train", str(tiny[0]), "--dev", str(tiny[1]), "-o", str(tmp_path / "m"), "--encoder", "no-such-encoder"]
    )
    assert result.exit_code != 0 and "no-such-encoder: unknown encoder" in result.output
    assert not (tmp_path / "m").exists()


def test_encoder_folder_without_config_is_one_error(tmp_path, tiny):
    (tmp_path / "enc").mkdir()
    result = CliRunner().invoke(
        cli,
        ["train", str(tiny[0]), "--dev", str(tiny[1]), "-o", str(tmp_path / "m"), "--encoder", str(tmp_path / "enc")],
    )
    assert result.exit_code != 0 and "not a transformer folder (no config.json)" in result.output


def test_encoder_without_torch_says_what_to_install(tmp_path, tiny, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    result = CliRunner().invoke(
        cli, ["train", str(tiny[0]), "--dev", str(tiny[1]), "-o", str(tmp_path / "m"), "--encoder", "all-MiniLM-L6-v2"]
    )
    assert result.exit_code != 0 and "--encoder needs torch: pip install -e '.[transformer]'" in result.output


@pytest.mark.parametrize(
    "change,problem",
    [
        ({"members": 2}, "saved with --encoder twice or --pair-attention, which kg no longer has; retrain it"),
        ({"pair_width": 256}, "saved with --encoder twice or --pair-attention, which kg no longer has; retrain it"),
        ({"entity_labels": None}, "not a kg_joint_extractor configuration"),
    ],
)
def test_joint_model_kg_cannot_read_is_one_error_naming_its_cfg(tmp_path, tiny, tiny_encoder, change, problem):
    from kg.errors import ModelError

    model = train_joint(tmp_path, tiny, tiny_encoder, "j")
    cfg_file = model / "kg_joint_extractor" / "cfg.json"
    cfg = {**json.loads(cfg_file.read_text()), **change}
    cfg_file.write_text(json.dumps({k: v for k, v in cfg.items() if v is not None}))
    with pytest.raises(ModelError, match=re.escape(f"{cfg_file}: {problem}")):
        spacy.load(model)


def test_joint_model_of_an_older_kg_without_the_newer_keys_loads_and_predicts(tmp_path, tiny, tiny_encoder):
    model = train_joint(tmp_path, tiny, tiny_encoder, "j")
    cfg_file = model / "kg_joint_extractor" / "cfg.json"
    cfg = json.loads(cfg_file.read_text())
    kept = (
        "entity_labels",
        "relation_labels",
        "hint_labels",
        "tensor_width",
        "entity_decoder",
        "shapes",
        "signatures",
        "hidden_width",
        "dropout",
    )  # the keys a model of one member without options had
    cfg_file.write_text(json.dumps({**{k: cfg[k] for k in kept}, "members": 1, "bio_path": "viterbi"}))
    nlp = spacy.load(model)
    nlp.get_pipe("kg_joint_extractor").threshold = 0.0
    assert well_formed(nlp("Anna White works for Initech in Tokyo ."))
