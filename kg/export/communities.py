"""Communities: groups of nodes more tied to one another than to the rest (Louvain, networkx).

Every node gets a community number; 0 is the largest community, 1 the next, and so on (ties by the
smallest node id), so the numbers read the same in GEXF, GraphML, CSV, RDF and the HTML view, and
the same graph always gets the same numbers (the Louvain run has a fixed seed). A node no relation
touches is a community of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import networkx as nx

from kg.model import KnowledgeGraph

#: Louvain's random seed: fixed, so a build gives byte-identical files every time
SEED = 42

#: the communities found while `computed_once` is active, by (graph, resolution, seed)
_found_once: list[dict[tuple[int, float, int], dict[str, int]]] = []


@contextmanager
def computed_once() -> Iterator[None]:
    """Within it, `communities` of one graph is computed once and given again (write_outputs: the
    RDF, GEXF, GraphML and CSV files all number the nodes' communities). The graph must not change
    meanwhile.

    Example:
        >>> from kg.model import KnowledgeGraph
        >>> g = KnowledgeGraph()
        >>> with computed_once():
        ...     communities(g) is communities(g)
        True
    """
    _found_once.append({})
    try:
        yield
    finally:
        _found_once.pop()


def communities(graph: KnowledgeGraph, resolution: float = 1.0, seed: int = SEED) -> dict[str, int]:
    """A community number for every node (documents included), numbered by size, largest first.

    The relations are taken as undirected ties weighted by their number of evidence sentences;
    parallel relations between two nodes add up.

    Args:
        graph: The graph.
        resolution: Louvain's resolution: above 1 gives smaller communities, below 1 larger ones.
        seed: The random seed of the Louvain run.

    Returns:
        The node id -> community number map, over every node of the graph.

    Example:
        >>> from kg.model import KnowledgeGraph, Entity
        >>> g = KnowledgeGraph()
        >>> g.add_entity(Entity("place/tokyo", "Tokyo", "Place"))
        >>> communities(g)
        {'place/tokyo': 0}
    """
    if _found_once:
        key = (id(graph), resolution, seed)
        found = _found_once[-1].get(key)
        if found is None:
            found = _found_once[-1][key] = _communities(graph, resolution, seed)
        return found
    return _communities(graph, resolution, seed)


def _communities(graph: KnowledgeGraph, resolution: float, seed: int) -> dict[str, int]:
    ties = nx.Graph()
    ties.add_nodes_from(sorted(graph.documents))
    ties.add_nodes_from(sorted(graph.entities))
    for r in graph.relations:
        if r.subject == r.object:
            continue
        weight = ties.get_edge_data(r.subject, r.object, {"weight": 0})["weight"] + len(r.evidence)
        ties.add_edge(r.subject, r.object, weight=weight)
    found = nx.community.louvain_communities(ties, weight="weight", resolution=resolution, seed=seed)
    ordered = sorted((sorted(group) for group in found), key=lambda members: (-len(members), members[0]))
    return {node: number for number, members in enumerate(ordered) for node in members}
