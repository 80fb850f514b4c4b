"""The pieces kg.training.loops is made of: early stopping, the choice of decoders, the relation
component's batches (kg.training.component), the configuration and the joint network's widths."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError

import pytest
import spacy
from spacy.training import Example

from kg.errors import ConfigError
from kg.training.component import GOLD
from kg.training.config import JointSpec, TrainConfig
from kg.training.loops import Run, choose_decoder, early_stopping


def scores(f1: float) -> dict:
    return {"relations": {"micro": {"f1": f1}}, "entities": {"micro": {"f1": 0.5}}}


def test_early_stopping_keeps_the_best_epoch_and_stops_after_patience():
    f1s, state, restored, rows = iter([0.2, 0.5, 0.4, 0.5, 0.3, 0.9]), {"epoch": 0}, [], []
    run = Run(TrainConfig(patience=3), lambda: scores(next(f1s)), rows.append)

    def run_epoch():
        state["epoch"] += 1
        return 10.0 / state["epoch"]

    best, dev = early_stopping(run, "s", 10, run_epoch, lambda: state["epoch"], restored.append)
    assert best == 2 and dev == scores(0.5) and restored == [2]  # 0.5 again at epoch 4 is not better
    assert [row["epoch"] for row in run.history] == [1, 2, 3, 4, 5]  # stopped 3 epochs after the best
    assert rows == run.history  # each epoch's row went to progress as it ended
    assert run.history[0] == {"stage": "s", "epoch": 1, "loss": 10.0, "dev_relation_f1": 0.2, "dev_entity_f1": 0.5}


def test_early_stopping_runs_at_most_max_epochs():
    run = Run(TrainConfig(patience=5), iter([scores(0.1), scores(0.2), scores(0.3)]).__next__, lambda row: None)
    best, _ = early_stopping(run, "s", 3, lambda: 1.0, lambda: None, lambda state: None)
    assert len(run.history) == 3 and best == 3


class Extractor:  # what choose_decoder needs of kg_joint_extractor
    def __init__(self) -> None:
        self.spec = JointSpec(["Peop"], ["Kill"], [["Peop", "Peop", "Kill"]], [], 0, 8, 0.1, relation_decoder="marked")


def test_decoder_choice_keeps_the_better_and_records_every_decoder():
    extractor, progress = Extractor(), []
    f1 = {"marked": 0.5, "pooled": 0.6, "both": 0.6}
    run = Run(TrainConfig(), lambda: scores(f1[extractor.spec.relation_decoder]), progress.append)
    best = choose_decoder(run, extractor, "relation_decoder", ("pooled", "marked", "both"), {})
    assert best == scores(0.6) and extractor.spec.relation_decoder == "pooled"  # the first of equals
    assert [(row["stage"], row["decoder"], row["dev_relation_f1"]) for row in run.history] == [
        ("relation decoder", "pooled", 0.6),
        ("relation decoder", "marked", 0.5),
        ("relation decoder", "both", 0.6),
    ]
    assert progress == []  # no epoch: nothing to show


def test_decoder_choice_takes_known_scores_without_scoring_them_again():
    extractor, scored = Extractor(), []

    def evaluate():
        scored.append(extractor.spec.entity_decoder)
        return scores(0.4)

    run = Run(TrainConfig(), evaluate, lambda row: None)
    best = choose_decoder(run, extractor, "entity_decoder", ("spans", "bio"), {"spans": scores(0.6)})
    assert scored == ["bio"] and best == scores(0.6) and extractor.spec.entity_decoder == "spans"


def test_relation_batches_train_on_gold_entities_without_changing_the_examples():
    from kg.training import component  # noqa: F401  (registers kg_relation_extractor)

    nlp = spacy.blank("en")
    rel = nlp.add_pipe("kg_relation_extractor")
    predicted, reference = nlp("Ann met Bob in Rome ."), nlp("Ann met Bob in Rome .")
    predicted.ents = [predicted.char_span(15, 19, "Loc")]  # what the model found: not the gold
    reference.ents = [reference.char_span(0, 3, "Peop"), reference.char_span(8, 11, "Peop")]
    reference.user_data[GOLD] = [(0, 3, 8, 11, ["Meet"])]
    example = Example(predicted, reference)
    rel.initialize(lambda: iter([example]), nlp=nlp)
    features, truth = rel._batch([example])
    assert features.shape[0] == 2 and truth.tolist() == [[1.0], [0.0]]  # the two gold entities' pairs, Ann -> Bob first
    assert [(e.text, e.label_) for e in example.predicted.ents] == [
        ("Rome", "Loc")
    ]  # the example keeps its own entities
    empty = Example(nlp("Nothing here ."), nlp("Nothing here ."))
    features, truth = rel._batch([empty])  # no pairs: zero rows of the full width (no token vectors: 96 zeros each)
    assert features.shape == (0, 3 * 96 + 2 * 1 + 8 + 1) and truth.shape == (0, 1)


def test_config_round_trips_through_its_file_and_is_frozen(tmp_path):
    config = TrainConfig(seed=3, encoder="enc", entity_types={"Peop": "Person", "Other": None}, dropout=0.3)
    config.save(tmp_path)
    assert TrainConfig.load(tmp_path / "train_config.json") == config
    assert json.loads((tmp_path / "train_config.json").read_text())["tag_loss_weight"] == 10.0
    assert TrainConfig.from_dict({"dropout": 1}).dropout == 1.0  # an int where a float goes
    with pytest.raises(FrozenInstanceError):
        config.seed = 4  # type: ignore[misc]


@pytest.mark.parametrize(
    "data,problem",
    [
        ({"entity_types": {"Peop": 3}}, "entity_types = {'Peop': 3} is not of type dict[str, str | None]"),
        ({"encoder": 3}, "encoder = 3 is not of type str | None"),
        ({"seed": 1.5}, "seed = 1.5 is not of type int"),
        ({"span_entities": 1}, "span_entities = 1 is not of type bool"),
        ({"dropout": True}, "dropout = True is not of type float"),
        ({"seed": "3"}, "seed = '3' is not of type int"),
    ],
)
def test_config_values_of_the_wrong_type_are_named(data, problem):
    with pytest.raises(
        ConfigError, match=f"^here: {problem}$".replace("[", r"\[").replace("|", r"\|").replace("{", r"\{")
    ):
        TrainConfig.from_dict(data, "here")


def test_joint_widths_are_computed_from_the_spec():
    spec = JointSpec(["Peop", "Loc"], ["Live_In"], [["Peop", "Loc", "Live_In"]], ["PERSON"], 96, 512, 0.1)
    assert spec.word_width(768) == 768 + 16 + 16 + 96
    assert spec.pair_width(768) == 3 * (768 + 16 + 16 + 96) + 2 * 32 + 16 + 768
    assert spec.tags == ["O", "B-Peop", "I-Peop", "B-Loc", "I-Loc"]


def test_joint_network_layers_have_the_spec_widths():
    import transformers

    from kg.training.networks import JointNetwork

    encoder = transformers.BertModel(
        transformers.BertConfig(
            vocab_size=10, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16
        )
    )
    spec = JointSpec(["Peop", "Loc"], ["Live_In"], [["Peop", "Loc", "Live_In"]], ["PERSON"], 4, 12, 0.1, max_span=3)
    network = JointNetwork(encoder, spec)
    assert network.tagger[0].in_features == spec.word_width(8) and network.tagger[-1].out_features == 5
    assert network.relations[0].in_features == spec.pair_width(8) and network.relations[-1].out_features == 1
    assert network.spans[0].in_features == spec.word_width(8) + 32 + 8 and network.width.num_embeddings == 3
