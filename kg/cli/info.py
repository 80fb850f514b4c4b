"""`kg info`: what is installed and where kg looks, as `spacy info` tells it for spaCy."""

from __future__ import annotations

import importlib.metadata as metadata
import json
import platform
import re
import sys
from pathlib import Path
from typing import Any

import click

from kg.cli.group import cli
from kg.resources import DEFAULT_MODEL


def version_of(distribution: str) -> str | None:
    """The installed version of a distribution (by its name with "-" or "_"), or None."""
    for name in (distribution, distribution.replace("_", "-"), distribution.replace("-", "_")):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def model_status(model: str) -> dict[str, Any]:
    """Whether the spaCy pipeline `model` (a package name or a folder) is there, and how to get it."""
    from kg.resources import model_install_hint

    folder = Path(model)
    if folder.is_dir():
        installed, version = (folder / "config.cfg").is_file(), None
    else:
        version = version_of(model)
        installed = version is not None
    status: dict[str, Any] = {"name": model, "installed": installed, "version": version}
    if not installed:
        status["hint"] = model_install_hint(model)
    return status


def optional_parts() -> dict[str, dict[str, Any]]:
    """kg's extras (from its own package metadata): each one's packages, their versions, what is missing."""
    parts: dict[str, dict[str, Any]] = {}
    for requirement in metadata.requires("kg") or []:
        extra = re.search(r"extra\s*==\s*['\"]([\w-]+)['\"]", requirement)
        if not extra:
            continue
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)  # type: ignore[union-attr]
        part = parts.setdefault(extra.group(1), {"installed": True, "packages": {}, "missing": []})
        version = version_of(name)
        part["packages"][name] = version
        if version is None:
            part["installed"] = False
            part["missing"].append(name)
    return dict(sorted(parts.items()))


def collect(model: str) -> dict[str, Any]:
    """Everything `kg info` prints, as a dictionary (its --json)."""
    import kg.version
    from kg.cache import default_cache_dir
    from kg.documents import readers_by_suffix
    from kg.resources import DEFAULT_DATA_DIR

    cache = default_cache_dir()
    return {
        "kg": kg.version.__version__,
        "location": str(Path(kg.version.__file__).resolve().parent),
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "spacy": version_of("spacy"),
        "model": model_status(model),
        "spacy_pipelines": sorted(e.name for e in metadata.entry_points(group="spacy_models")),
        "data_folder": str(DEFAULT_DATA_DIR),
        "cache_folder": {"path": str(cache), "exists": cache.is_dir()},
        "store": {"backend": "Oxigraph (pyoxigraph)", "version": version_of("pyoxigraph")},
        "readers": list(readers_by_suffix()),
        "optional_parts": optional_parts(),
    }


def _text(info: dict[str, Any]) -> list[str]:
    model = info["model"]
    model_line = f"{model['name']} {model['version'] or ''}".rstrip() + (
        " (installed)" if model["installed"] else f" (not installed: {model['hint']})"
    )
    cache = info["cache_folder"]
    lines = [
        f"kg {info['kg']}",
        f"  location        {info['location']}",
        f"  Python          {info['python']}",
        f"  platform        {info['platform']}",
        f"  spaCy           {info['spacy']}",
        f"  model           {model_line}",
        f"  spaCy pipelines {', '.join(info['spacy_pipelines']) or '(none installed)'}",
        f"  data folder     {info['data_folder']}",
        f"  cache folder    {cache['path']}" + ("" if cache["exists"] else " (not made yet)"),
        f"  store           {info['store']['backend']} {info['store']['version']}",
        f"  readers         {', '.join(info['readers'])}",
        "  optional parts",
    ]
    for name, part in info["optional_parts"].items():
        if part["installed"]:
            lines.append(f"    {name:<13} installed ({', '.join(f'{p} {v}' for p, v in part['packages'].items())})")
        else:
            lines.append(f"    {name:<13} not installed (no {', '.join(part['missing'])}): pip install 'kg[{name}]'")
    return lines


@cli.command()
@click.option(
    "--model",
    default=DEFAULT_MODEL,
    show_default=True,
    help="The spaCy pipeline to check (a package name or a folder).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
def info(model: str, as_json: bool) -> None:
    """Show kg's, spaCy's and Python's versions, the spaCy model and whether it is installed, the data
    and cache folders, the store, the readers and the optional parts installed.

    Example: kg info --model en_core_web_md
    """
    found = collect(model)
    if as_json:
        click.echo(json.dumps(found, indent=2))
    else:
        click.echo("\n".join(_text(found)))
