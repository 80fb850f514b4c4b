"""The `kg` command group: turns kg's errors into one-line messages."""

from __future__ import annotations

from typing import Any

import click

from kg.errors import KGError
from kg.version import __version__


class KGGroup(click.Group):
    """Turns kg's errors (and any unexpected one) into a one-line message and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KGError as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:
            raise
        except KeyboardInterrupt:
            raise click.ClickException("interrupted") from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # a bug: still one line, the traceback only with KG_DEBUG=1
            import os

            if os.environ.get("KG_DEBUG"):
                raise
            raise click.ClickException(
                f"internal error: {exc.__class__.__name__}: {exc} (set KG_DEBUG=1 for the traceback)"
            ) from None


@click.group(cls=KGGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
def cli() -> None:
    """Build a knowledge graph of people, organisations, places, dates, events and concepts from
    documents, with every fact traceable to its sentence; export it to RDF, Gephi and CSV.

    Example: kg build data/ -o out/
    """
