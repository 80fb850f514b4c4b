"""A corpus-sized graph made directly from kg.model's dataclasses, in a second, for the view's tests and
bench/html_view.py: documents with titles and dates, people, organisations, places, roles and events
of Zipf-like popularity (a few hubs, a long tail, some nodes with no relation), typed relations with
an evidence sentence each, and a few open-layer relations. Deterministic for a given seed.
"""

from __future__ import annotations

import random

from kg.model import DocumentInfo, Entity, Evidence, KnowledgeGraph, Mention, Relation, document_node

_FIRST = [
    "Ada",
    "Ben",
    "Chiara",
    "Dmitri",
    "Elif",
    "Fumio",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Luis",
    "Mei",
    "Nadia",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoltan",
]
_LAST = [
    "Abe",
    "Banerjee",
    "Costa",
    "Duarte",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kato",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Sato",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zhang",
]
_PARTS = ["North", "Atlantic", "Pacific", "Central", "United", "Federal", "Eastern", "Coastal", "Royal", "National"]
_ORGS = ["Ministry of Defence", "Institute", "Bank", "Council", "Agency", "University", "Foundation", "Alliance"]
_PLACES = ["Harbour", "Valley", "City", "Province", "Island", "Bay", "Heights", "Port"]
_ROLES = ["Prime Minister", "Foreign Minister", "Ambassador", "Chief Executive", "Secretary General", "Governor"]
_EVENTS = ["Summit", "Conference", "Dialogue", "Forum", "Talks"]
#: relation -> (subject type, object type, verb of the evidence sentence)
_RELATIONS = {
    "met_with": ("Person", "Person", "met"),
    "works_for": ("Person", "Organization", "works for"),
    "holds_role": ("Person", "Role", "serves as"),
    "located_in": ("Organization", "Place", "is based in"),
    "met_at": ("Person", "Place", "met officials in"),
    "attendee": ("Event", "Person", "was attended by"),
    "location": ("Event", "Place", "took place in"),
}


def _names(kind: str, count: int, rng: random.Random) -> list[tuple[str, frozenset[str]]]:
    out, seen = [], set()
    while len(out) < count:
        if kind == "Person":
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            name, aliases = (
                f"{first} {last} {rng.choice(_LAST)}" if len(seen) > 600 else f"{first} {last}",
                frozenset({last}),
            )
        elif kind == "Organization":
            name, aliases = f"{rng.choice(_PARTS)} {rng.choice(_LAST)} {rng.choice(_ORGS)}", frozenset()
        elif kind == "Place":
            name, aliases = f"{rng.choice(_LAST)} {rng.choice(_PLACES)}", frozenset()
        elif kind == "Role":
            name, aliases = f"{rng.choice(_ROLES)} of {rng.choice(_LAST)}", frozenset()
        else:
            name, aliases = f"{rng.choice(_PARTS)} {rng.choice(_LAST)} {rng.choice(_EVENTS)}", frozenset()
        if name in seen:  # the combinations run out for large graphs: number the rest
            name = f"{name} {len(out) + 2}"
        if name not in seen:
            seen.add(name)
            out.append((name, aliases))
    return out


def corpus_graph(documents: int = 300, entities: int | None = None, seed: int = 7) -> KnowledgeGraph:
    """A graph of `documents` documents and about `entities` entities (3 per document by default).

    Example:
        >>> g = corpus_graph(10)
        >>> len(g.documents), len(g.entities) > 0, len(g.relations) > 0
        (10, True, True)
    """
    rng = random.Random(seed)
    total = entities if entities is not None else 3 * documents
    shares = {"Person": 0.45, "Organization": 0.2, "Place": 0.15, "Role": 0.1, "Event": 0.1}
    graph = KnowledgeGraph()
    pools: dict[str, list[str]] = {}
    for kind, share in shares.items():
        pools[kind] = []
        for name, aliases in _names(kind, max(2, int(total * share)), rng):
            node = f"{kind.lower()}/{name.lower().replace(' ', '-')}"
            graph.add_entity(Entity(node, name, kind, aliases))
            pools[kind].append(node)
    weights = {kind: [1.0 / (rank + 1) ** 0.9 for rank in range(len(pool))] for kind, pool in pools.items()}
    for d in range(documents):
        doc_id = f"news/{d:05d}.txt"
        date = f"20{20 + d % 5}-{1 + d % 12:02d}-{1 + d % 28:02d}"
        graph.add_document(
            DocumentInfo(doc_id, doc_id, f"Report {d}: talks in {rng.choice(_LAST)} {rng.choice(_PLACES)}", date)
        )
        offset = 0
        for _ in range(rng.randint(2, 6)):
            predicate = rng.choice(list(_RELATIONS))
            subject_type, object_type, verb = _RELATIONS[predicate]
            subject = rng.choices(pools[subject_type], weights[subject_type])[0]
            obj = rng.choices(pools[object_type], weights[object_type])[0]
            if subject == obj:
                continue
            sentence = f"{graph.entities[subject].label} {verb} {graph.entities[obj].label}."
            evidence = Evidence(doc_id, sentence, offset, offset + len(sentence))
            for node in (subject, obj):
                old = graph.entities[node]
                graph.add_entity(
                    Entity(
                        node,
                        old.label,
                        old.type,
                        mentions=(
                            Mention(
                                doc_id,
                                offset,
                                offset + len(old.label),
                                old.label,
                                old.type,
                                "",
                                offset,
                                offset + len(sentence),
                            ),
                        ),
                    )
                )
            layer = "open" if rng.random() < 0.08 else "schema"
            graph.add_relation(
                Relation(
                    subject,
                    predicate if layer == "schema" else verb.split()[0],
                    obj,
                    round(0.6 + 0.4 * rng.random(), 2),
                    f"pattern:{predicate}",
                    (evidence,),
                    layer=layer,
                )
            )
            offset += len(sentence) + 1
        author = rng.choices(pools["Person"], weights["Person"])[0]
        graph.add_relation(
            Relation(
                document_node(doc_id),
                "authored_by",
                author,
                1.0,
                "metadata",
                (Evidence(doc_id, f"By {graph.entities[author].label}", 0, 0),),
            )
        )
    return graph
