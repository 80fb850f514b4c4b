"""kg eval: the metrics on known cases, gold-file checking, and the command on real data."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import SHARED
from hypothesis import given
from hypothesis import strategies as st

from kg.cli import cli
from kg.errors import ConfigError
from kg.evaluate import PRF, b_cubed, load_gold, muc


def test_evaluate_b_cubed_and_muc_known_values():
    gold = [{0, 1, 2}, {3}]
    assert b_cubed(gold, gold) == (1.0, 1.0, 1.0)
    p, r, f = b_cubed(gold, [{0, 1}, {2}, {3}])
    assert p == 1.0 and r == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    p, r, f = b_cubed(gold, [{0, 1, 2, 3}])
    assert r == 1.0 and p == pytest.approx((3 / 4 * 3 + 1 / 4) / 4)
    assert muc(gold, [{0, 1, 2, 3}]) == (pytest.approx(2 / 3), 1.0, pytest.approx(0.8))
    assert muc(gold, [{0}, {1}, {2}, {3}])[1] == 0.0


@given(st.lists(st.integers(0, 4), min_size=1, max_size=12), st.lists(st.integers(0, 4), min_size=12, max_size=12))
def test_evaluate_metrics_are_bounded_and_perfect_on_identity(gold_labels, pred_labels):
    def clusters(labels):
        out = {}
        for n, c in enumerate(labels):
            out.setdefault(c, set()).add(n)
        return list(out.values())

    gold, pred = clusters(gold_labels), clusters(pred_labels[: len(gold_labels)])
    for p, r, f in (b_cubed(gold, pred), muc(gold, pred)):
        assert 0 <= p <= 1 and 0 <= r <= 1 and 0 <= f <= 1
    assert b_cubed(gold, gold) == (1.0, 1.0, 1.0)


def test_evaluate_prf():
    score = PRF(tp=3, fp=1, fn=2)
    assert (score.precision, score.recall) == (0.75, 0.6)
    assert score.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)


def write(tmp_path, lines):
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    "line,problem",
    [
        ('{"id": 1, "text": "abc", "entities": [{"start": 0, "end": 9, "label": "Peop"}]}', "outside the text"),
        (
            '{"id": 1, "text": "abc", "entities": [{"start": 0, "end": 1, "label": "Peop"}], '
            '"relations": [{"head": 0, "tail": 5, "label": "Kill"}]}',
            "neither an entity index nor a cluster",
        ),
        ('{"id": 1, "text": "abc"}', "not a gold document"),
        ('{"id": 1, "text": ', "invalid JSON"),
    ],
)
def test_evaluate_bad_gold_line_is_named(tmp_path, line, problem):
    path = write(tmp_path, ['{"id": 0, "text": "ok", "entities": []}', line])
    with pytest.raises(ConfigError, match=problem) as info:
        load_gold(path)
    assert f"{path}:2" in str(info.value)


def test_evaluate_cli_on_a_hand_made_gold_file(tmp_path):
    text = "Zack Cooper is a senior fellow at the American Enterprise Institute ."
    gold = {
        "id": "s1",
        "text": text,
        "entities": [
            {"start": 0, "end": 11, "label": "Peop", "cluster": None},
            {"start": 38, "end": 67, "label": "Org", "cluster": None},
        ],
        "relations": [{"head": 0, "tail": 1, "label": "Work_For"}],
    }
    path = write(tmp_path, [json.dumps(gold)])
    result = CliRunner().invoke(cli, ["eval", str(path), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)["extraction"]
    assert scores["relations"]["labels"]["Work_For"]["tp"] == 1
    assert scores["entities"]["labels"]["Peop"]["tp"] == 1


def test_evaluate_cli_errors(tmp_path):
    result = CliRunner().invoke(cli, ["eval", str(tmp_path / "missing.jsonl")])
    assert result.exit_code != 0 and "no such file" in result.output
    path = write(tmp_path, ['{"id": 1, "text": "abc", "entities": [{"start": 0, "end": 1, "label": "Weird"}]}'])
    result = CliRunner().invoke(cli, ["eval", str(path)])
    assert result.exit_code != 0 and "pass --mapping FILE" in result.output


@pytest.mark.skipif(not (SHARED / "data" / "redocred").exists(), reason="../shared/data is not here")
def test_evaluate_resolution_beats_exact_text_on_redocred():
    result = CliRunner().invoke(
        cli, ["eval", str(SHARED / "data" / "redocred" / "dev.jsonl"), "--task", "resolution", "--json"]
    )
    scores = json.loads(result.output)["resolution"]
    assert scores["mentions"] == 13154
    assert scores["kg"]["b_cubed"]["f1"] > scores["exact_normalised_text"]["b_cubed"]["f1"] + 0.01
    assert scores["kg"]["muc"]["f1"] > scores["exact_normalised_text"]["muc"]["f1"]


@pytest.mark.skipif(not (SHARED / "data" / "conll04").exists(), reason="../shared/data is not here")
def test_evaluate_extraction_on_conll04_slice():
    result = CliRunner().invoke(
        cli, ["eval", str(SHARED / "data" / "conll04" / "dev.jsonl"), "--limit", "60", "--json"]
    )
    scores = json.loads(result.output)["extraction"]
    assert scores["documents"] == 60
    assert scores["entities"]["micro"]["f1"] > 0.5
    assert scores["relations"]["micro"]["precision"] > 0.3
