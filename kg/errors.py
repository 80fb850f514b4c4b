"""Errors raised by kg. Every one subclasses KGError, so callers can catch them all."""

from __future__ import annotations


class KGError(Exception):
    """Base class of every error kg raises on purpose."""


class ConfigError(KGError):
    """A setting, data file (aliases, patterns, schema) or option is invalid."""


class DocumentLoadError(KGError):
    """A document could not be read. The message names the file and the problem."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class GraphIntegrityError(KGError):
    """A relation points at a node the graph does not hold."""


class ExportError(KGError):
    """An output could not be written."""


class InputError(KGError):
    """An input other than a document (a gold file, a facts folder, a query file, a graph folder) is unusable."""


class StoreError(KGError):
    """The on-disk triple store could not be opened, read or written."""


class RemoteError(KGError):
    """A remote server (a SPARQL endpoint, a Dask scheduler) refused, failed or could not be reached."""


class QueryError(KGError):
    """A SPARQL query is malformed, unknown, too costly or timed out."""


class ModelError(KGError):
    """A spaCy pipeline or a kg model is missing, unloadable or of the wrong kind."""


class UnknownNameError(ConfigError):
    """A name (format, reader, exporter, extractor) that no registry holds; the message lists the valid ones."""


def one_line(exc: BaseException, empty: str = "no message") -> str:
    """An exception's message on one line of at most 200 characters (`empty` if it has none)."""
    text = " ".join(str(exc).split()) or empty
    return text if len(text) <= 200 else text[:199] + "…"
