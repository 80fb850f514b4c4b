"""The `kg` command line: a thin layer over the library, one module per group of commands."""

from __future__ import annotations

import sys

from kg.cli import browse, build, evaluate, info, sparql, train, validate, views  # noqa: F401  (they register their commands)
from kg.cli.group import cli

__all__ = ["cli", "main"]


def main() -> None:
    try:
        cli(prog_name="kg")
    except BrokenPipeError:  # output piped into head and the like
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
