"""Benchmark: a synthetic graph of 1,000,000 triples in kg's vocabulary, loaded into the on-disk
Oxigraph store and into rdflib's in-memory graph in one run; load time and three queries each
(a lookup by label, a two-hop join, an aggregation), with the ratios.

    python bench/sparql_store.py                  # 1,000,000 triples
    python bench/sparql_store.py --triples 200000
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

from kg.export.vocab import DEFAULT_BASE, PREFIXES

ID, KG = DEFAULT_BASE, PREFIXES["kg"]
RDF_TYPE, LABEL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2000/01/rdf-schema#label"
TYPES = ["Person", "Organization", "Place", "Role", "Event"]
RELATIONS = {
    "works_for": ("Person", "Organization"),
    "located_in": ("Organization", "Place"),
    "holds_role": ("Person", "Role"),
    "met_with": ("Person", "Person"),
    "met_at": ("Person", "Place"),
    "attendee": ("Event", "Person"),
}

QUERIES = {
    "lookup by label": 'SELECT ?x ?type WHERE { ?x rdfs:label "Person {target}" ; a ?type }',
    "two-hop join": 'SELECT ?place WHERE { ?p rdfs:label "Person {target}" ; kg:works_for ?org . '
    "?org kg:located_in ?place }",
    "aggregation": "SELECT ?org (COUNT(?p) AS ?staff) WHERE { ?p kg:works_for ?org } GROUP BY ?org ORDER BY "
    "DESC(?staff) ?org LIMIT 10",
}


def synthetic(triples: int, seed: int = 7) -> str:
    """N-Triples of a graph with kg's node types, labels, relations and statement provenance."""
    rng = random.Random(seed)
    per_type = max(10, triples // 40)
    lines: list[str] = []
    for type_ in TYPES:
        for n in range(per_type):
            node = f"<{ID}{type_.lower()}/{n}>"
            lines.append(f"{node} <{RDF_TYPE}> <{KG}{type_}> .")
            lines.append(f'{node} <{LABEL}> "{type_} {n}" .')
    statement = 0
    while len(lines) < triples:
        relation = rng.choice(list(RELATIONS))
        domain, range_ = RELATIONS[relation]
        s, o = f"<{ID}{domain.lower()}/{rng.randrange(per_type)}>", f"<{ID}{range_.lower()}/{rng.randrange(per_type)}>"
        st = f"<{ID}statement/{statement}>"
        statement += 1
        lines += [
            f"{s} <{KG}{relation}> {o} .",
            f'{st} <{KG}confidence> "0.8"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
            f"{st} <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> {s} .",
            f"{st} <http://www.w3.org/1999/02/22-rdf-syntax-ns#object> {o} .",
        ]
    return "\n".join(lines[:triples]) + "\n"


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per query (the median is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "graph.nt"
        data.write_text(synthetic(args.triples))
        store_dir = Path(tmp) / "store"
        oxi_load, store = timed(lambda: _load_store(data, store_dir))
        rdf_load, graph = timed(lambda: rdflib.Graph().parse(data, format="nt"))
        print(f"synthetic graph: {args.triples:,} triples (kg vocabulary)")
        print(f"{'':18} {'oxigraph store':>16} {'rdflib memory':>16} {'ratio':>8}")
        print(f"{'load':18} {oxi_load:15.2f}s {rdf_load:15.2f}s {rdf_load / oxi_load:7.1f}x")
        target = max(10, args.triples // 40) // 2  # a person who exists at any size
        for name, template in QUERIES.items():
            query = template.replace("{target}", str(target))
            prologue = "".join(f"PREFIX {p}: <{i}>\n" for p, i in PREFIXES.items())
            oxi, rows_a = timed(lambda query=query: list(store.query(query, prefixes=PREFIXES)), args.repeat)
            rdf, rows_b = timed(lambda text=prologue + query: list(graph.query(text)), max(1, args.repeat // 2))
            assert len(rows_a) == len(rows_b), (name, len(rows_a), len(rows_b))
            print(f"{name:18} {oxi * 1000:14.2f}ms {rdf * 1000:14.2f}ms {rdf / oxi:7.1f}x   ({len(rows_a)} rows)")


def _load_store(data: Path, store_dir: Path) -> ox.Store:
    store = ox.Store(str(store_dir))
    store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    return store


if __name__ == "__main__":
    main()
