"""Data flows one way: a stage imports only the model, errors and the stages to its left."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kg"
# module prefix -> imports it must never make
FORBIDDEN = {
    "kg.model": ("spacy", "rdflib", "networkx", "kg.documents", "kg.annotation", "kg.resolution", "kg.relations", "kg.build", "kg.cli"),
    "kg.errors": ("spacy", "rdflib", "networkx", "kg."),
    "kg.documents": ("spacy", "rdflib", "networkx", "kg.annotation", "kg.resolution", "kg.relations", "kg.build", "kg.export"),
    "kg.annotation": ("rdflib", "networkx", "kg.resolution", "kg.relations", "kg.build", "kg.export"),
    "kg.resolution": ("spacy", "rdflib", "networkx", "kg.relations", "kg.build", "kg.export"),
    "kg.relations": ("rdflib", "networkx", "kg.build", "kg.export"),
    "kg.export": ("spacy", "kg.annotation", "kg.resolution", "kg.relations", "kg.build"),
}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_layers_imports_flow_one_way(path):
    module = "kg." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
    for prefix, forbidden in FORBIDDEN.items():
        if module == prefix or module.startswith(prefix + "."):
            bad = {name for name in imports_of(path) for f in forbidden if name == f.rstrip(".") or name.startswith(f if f.endswith(".") else f + ".")}
            assert not bad, f"{module} imports {sorted(bad)}"


def test_packaging_lists_every_package_and_ships_the_data():
    """pyproject lists packages by hand (data/ ships as kg.data): a new package must be added there."""
    import tomllib

    root = PACKAGE.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(root).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found | {"kg.data"} == set(config["packages"])
    globs = config["package-data"]["kg.data"]
    data = {p for p in (root / "data").rglob("*") if p.is_file()}
    shipped = {p for pattern in globs for p in (root / "data").glob(pattern) if p.is_file()}
    assert data == shipped, sorted(str(p) for p in data - shipped)
