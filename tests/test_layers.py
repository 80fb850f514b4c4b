"""Imports flow one way: every module of kg sits in a layer, and imports only from its own layer and
the layers below it. No exemptions: an import inside a function or under TYPE_CHECKING counts too.
ARCHITECTURE.md explains the layers; a new module goes into LAYERS where its imports put it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kg"

#: lowest first; a layer is a module or a package (with everything under it)
LAYERS = (
    "kg.errors",  # the exceptions
    "kg.version",
    "kg.registry",  # named parts (readers, exporters, formats, extractors), catalogue and entry points
    "kg.report",  # what a build read, skipped and produced
    "kg.model",  # the graph model: the vocabulary every stage shares
    "kg.dates",
    "kg.text",  # name normalisation shared by relations and resolution
    "kg.trained_model",  # is this folder a kg train model (reads meta.json only)
    "kg.resources",  # the editable data files, validated
    "kg.gold",  # gold data and strict scores
    "kg.documents",  # stage 1: files to Documents
    "kg.annotation",  # stage 2: spaCy pipeline, mentions
    "kg.training",  # the trainable relation components a learned extractor loads
    "kg.relations",  # stage 3: relation candidates between mentions
    "kg.resolution",  # stage 4: mentions to entities (reads the titles relations found)
    "kg.evaluate",
    "kg.evaluate_facts",
    "kg.export",  # functions of the graph: RDF, networkx, JSON, Gephi, tables, pictures
    "kg.stages",  # the per-document stages and the build's Settings
    "kg.cache",
    "kg.engines",
    "kg.build",  # documents to graph: per-document stages, then the corpus-wide ones
    "kg.results",
    "kg.sparql_scan",
    "kg.protocol",
    "kg.query",
    "kg.workers",  # queries in worker processes, bounded in time and memory
    "kg.store",
    "kg.server",
    "kg.push",
    "kg.validate",  # SHACL checks of a written graph
    "kg.cli",
    "kg.__main__",
    "kg",  # the package's public API (kg/__init__.py)
)

#: libraries a layer never imports, so that it loads without them
NO_LIBRARIES = {
    "kg.errors": ("spacy", "rdflib", "networkx", "torch", "thinc"),
    "kg.registry": ("spacy", "rdflib", "networkx", "torch", "thinc"),
    "kg.report": ("spacy", "rdflib", "networkx", "torch", "thinc"),
    "kg.model": ("spacy", "rdflib", "networkx", "torch", "thinc"),
    "kg.trained_model": ("spacy", "torch", "thinc"),
    "kg.documents": ("spacy", "rdflib", "networkx", "torch"),
    "kg.resolution": ("spacy", "rdflib", "networkx", "torch"),
    "kg.export": ("spacy", "torch", "thinc"),
}

MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(path: Path) -> set[str]:
    """Every module the file at `path` imports (see imports_in)."""
    module = module_name(path)
    return imports_in(
        path.read_text(encoding="utf-8"), module if path.name == "__init__.py" else module.rpartition(".")[0]
    )


def imports_in(source: str, package: str) -> set[str]:
    """Every module `source` (a module of `package`) imports, wherever the import stands (in a
    function, under TYPE_CHECKING); `from kg import registry` is kg.registry."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..model import y
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                names.add(f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base)
    return names


def layer_of(module: str) -> int | None:
    """The index in LAYERS of the most specific layer holding `module` ("kg" holds only itself)."""
    best = None
    for index, layer in enumerate(LAYERS):
        if module == layer or (layer != "kg" and module.startswith(layer + ".")):
            if best is None or len(layer) > len(LAYERS[best]):
                best = index
    return best


def test_layers_every_module_has_a_layer():
    missing = [module_name(p) for p in MODULES if layer_of(module_name(p)) is None]
    assert not missing, f"add these modules to LAYERS in tests/test_layers.py (and ARCHITECTURE.md): {missing}"


def upward(module: str, imports: set[str]) -> list[str]:
    """The imports of `module` from a layer above its own (or from a kg module in no layer)."""
    own = layer_of(module)
    assert own is not None, f"{module} is in no layer"
    found = []
    for name in sorted(imports):
        if name == "kg" or name.startswith("kg."):
            layer = layer_of(name)
            if layer is None or layer > own:
                found.append(name)
    return found


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_layers_imports_flow_down(path):
    module = module_name(path)
    bad = upward(module, imports_of(path))
    assert not bad, f"{module} (layer {LAYERS[layer_of(module) or 0]}) imports from layers above it: {bad}"
    for prefix, libraries in NO_LIBRARIES.items():
        if module == prefix or module.startswith(prefix + "."):
            found = sorted(n for n in imports_of(path) for lib in libraries if n == lib or n.startswith(lib + "."))
            assert not found, f"{module} imports {found}"


def test_layers_catch_upward_imports_wherever_they_stand():
    """The check itself: an upward import in a function, under TYPE_CHECKING, relative, or of the
    package's root is caught; one from a lower layer is not."""
    source = """
from typing import TYPE_CHECKING
from kg.errors import KGError
from kg import registry
from . import dates
if TYPE_CHECKING:
    from kg.build import BuildReport
def to_rdf(graph):
    from kg.export.rdf import to_rdf
    import kg
"""
    imports = imports_in(source, "kg")
    assert {"kg.errors", "kg.registry", "kg.dates", "kg.build", "kg.export.rdf", "kg"} <= imports
    assert upward("kg.resources", imports) == ["kg", "kg.build", "kg.export.rdf"]
    assert upward("kg.cli.group", imports) == ["kg"]
    assert layer_of("kg.relations.patterns") == LAYERS.index("kg.relations")
    assert layer_of("kg.evaluate_facts") == LAYERS.index("kg.evaluate_facts")
    assert layer_of("kg.nothing_here") is None


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
