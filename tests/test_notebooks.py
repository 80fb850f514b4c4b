"""Every notebook runs top to bottom (so none can rot) on the bundled samples, and on the BBC subset
where ../shared is there; outputs are cleared in the repository."""

from __future__ import annotations

import pytest
from conftest import ROOT, SHARED

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_are_there():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_outputs_are_cleared(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_starts_from_a_question_and_names_the_folder(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    title = nb.cells[0].source.splitlines()[0]
    assert nb.cells[0].cell_type == "markdown" and title.startswith("# ") and "?" in title
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "FOLDER = None" in first_code.source
    assert any(c.cell_type == "markdown" and c.source.startswith("## What to distrust") for c in nb.cells)


def execute(path, monkeypatch, shared):
    """Run a notebook in a fresh kernel; `shared` is the ../shared folder it may use."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("KG_SHARED_DIR", str(shared))  # the kernel inherits it (and the tests' KG_CACHE_DIR)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors[0].get("evalue")
    return nb, outputs


def studied(outputs) -> str:
    return next(o["text"] for o in outputs if o.get("output_type") == "stream" and o["text"].startswith("Studying"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_the_samples(path, monkeypatch, tmp_path):
    nb, outputs = execute(path, monkeypatch, tmp_path / "no-shared")  # as in a user's clone: no ../shared
    assert studied(outputs).startswith("Studying the five bundled sample documents")
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook shows no picture"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_a_bbc_subset(path, monkeypatch):
    if not (SHARED / "data" / "bbc" / "politics").is_dir():
        pytest.skip("../shared/data/bbc is not here (a user's clone has none)")
    nb, outputs = execute(path, monkeypatch, SHARED)
    assert studied(outputs).startswith("Studying 40 BBC politics articles")
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook shows no picture"
