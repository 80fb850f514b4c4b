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


def one_line(exc: BaseException, empty: str = "no message") -> str:
    """An exception's message on one line of at most 200 characters (`empty` if it has none)."""
    text = " ".join(str(exc).split()) or empty
    return text if len(text) <= 200 else text[:199] + "…"
