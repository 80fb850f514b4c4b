"""Registries of named parts, as spaCy keeps them: readers, exporters, RDF formats, SPARQL result
formats and relation extractors. A part registers under a name with a decorator; a third-party
package adds its own through an entry point (group ``kg_<registry>``, e.g. ``kg_readers``) with no
change to kg. The CLI's choices, the README's tables and the "unknown name" errors come from here.

Example (a package of one's own):

    from kg import registry

    @registry.exporters.register("my-format")
    def write_my_format(graph, path): ...
"""

from __future__ import annotations

from typing import Any

import catalogue

from kg.errors import UnknownNameError

readers = catalogue.create("kg", "readers", entry_points=True)
exporters = catalogue.create("kg", "exporters", entry_points=True)
rdf_formats = catalogue.create("kg", "rdf_formats", entry_points=True)
result_formats = catalogue.create("kg", "result_formats", entry_points=True)
relation_extractors = catalogue.create("kg", "relation_extractors", entry_points=True)


def names(registry: catalogue.Registry) -> list[str]:
    """The registered names, entry points included, sorted."""
    return sorted(registry.get_all())


def get(registry: catalogue.Registry, name: str, what: str = "name") -> Any:
    """The part registered as `name`; an UnknownNameError that lists the valid names otherwise.

    Example:
        >>> get(exporters, "no-such-format", "format")
        Traceback (most recent call last):
        ...
        kg.errors.UnknownNameError: unknown format 'no-such-format'; use one of: ...
    """
    try:
        return registry.get(name)
    except catalogue.RegistryError:
        raise UnknownNameError(f"unknown {what} {name!r}; use one of: {', '.join(names(registry))}") from None
