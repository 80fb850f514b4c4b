"""kg.trained_model: whether a folder is a kg model, read from its meta.json without importing spaCy's
training code, thinc or torch; and kg.evaluate and kg.training do not import each other."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kg.errors import ConfigError
from kg.trained_model import check_output, is_trained_model, replace_model, trained_meta

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "thinc", "spacy", "transformers", "kg.training")


def test_importing_kg_build_and_asking_about_a_model_imports_no_training_code(tmp_path):
    (tmp_path / "meta.json").write_text(json.dumps({"kg": {"base_model": "x"}}))
    code = (
        "import sys, kg.build, kg.trained_model, kg.evaluate\n"
        f"assert kg.trained_model.is_trained_model({str(tmp_path)!r})\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m.startswith('kg.training')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout


def test_trained_meta_reads_the_kg_section_and_nothing_else(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "meta.json").write_text(json.dumps({"name": "x", "kg": {"base_model": "en"}}))
    assert trained_meta(tmp_path / "m") == {"base_model": "en"} and is_trained_model(tmp_path / "m")
    for name, meta in (("spacy", '{"name": "x"}'), ("list", "[1]"), ("bad", "{"), ("odd", '{"kg": 3}')):
        (tmp_path / name).mkdir()
        (tmp_path / name / "meta.json").write_text(meta)
        assert trained_meta(tmp_path / name) is None and not is_trained_model(tmp_path / name)
    assert not is_trained_model(tmp_path / "none") and not is_trained_model("en_core_web_sm")


def test_evaluate_and_training_do_not_import_each_other():
    def imports(path: Path) -> set[str]:
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        return found

    assert not {m for m in imports(ROOT / "kg" / "evaluate.py") if m.startswith("kg.training")}
    assert not {m for p in (ROOT / "kg" / "training").glob("*.py") for m in imports(p) if m.startswith("kg.evaluate")}


def saved_model(folder: Path, text: str = "new") -> None:
    folder.mkdir(exist_ok=True)
    (folder / "meta.json").write_text(json.dumps({"kg": {}}))
    (folder / "weights").write_text(text)


def test_replace_model_keeps_the_old_model_when_writing_or_swapping_fails(tmp_path, monkeypatch):
    model = tmp_path / "m"
    saved_model(model, "old")

    def broken(folder: Path) -> None:
        (folder / "weights").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_model(model, broken)
    real_replace = os.replace

    def failing_swap(src, dst):  # moving the old model aside works, moving the new one in fails
        if Path(src).name.startswith(".m-") and not str(src).endswith("-old"):
            raise OSError("cross-device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_swap)
    with pytest.raises(OSError, match="cross-device"):
        replace_model(model, saved_model)
    assert (model / "weights").read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["m"]


def test_replace_model_swaps_in_the_new_model_whole(tmp_path):
    model = tmp_path / "m"
    saved_model(model, "old")
    (model / "stale").write_text("x")
    replace_model(model, saved_model)
    assert (
        sorted(p.name for p in model.iterdir()) == ["meta.json", "weights"] and (model / "weights").read_text() == "new"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_check_output_names_each_folder_it_refuses(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "file")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_text("x")
    monkeypatch.chdir(tmp_path / "photos")
    for output, problem in (
        (tmp_path / "file", "is not a folder"),
        (tmp_path / "link", "is a symbolic link"),
        (tmp_path / "photos", "is the working directory or a folder above it"),
        (tmp_path, "is the working directory or a folder above it"),
    ):
        with pytest.raises(ConfigError, match=f"^{re.escape(str(output))}: {problem}"):
            check_output(output)
    monkeypatch.chdir("/")
    with pytest.raises(ConfigError, match="photos: is not empty and holds no kg model"):
        check_output(tmp_path / "photos")
    assert check_output(tmp_path / "new") == tmp_path / "new" and not (tmp_path / "new").exists()
