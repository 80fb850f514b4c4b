"""Benchmark: what the corpus-wide part of `kg build` holds in memory, stage by stage.

Builds from the build cache (filled first with `kg build PATH -o OUT --cache DIR` when it lacks some
document), so no spaCy model is loaded and what is measured is kg's own part: reading the cached
per-document results, the corpus-wide stages (resolution across documents, relations, events), and
each export file. For each stage it prints, from tracemalloc, the memory Python holds at its end
("live") and the highest it reached during it ("peak"), and the process's resident set size (RSS,
high-water mark so far, from /proc). With `--top N` it lists the source lines that hold the most at
the highest point of the whole run.

    python bench/memory_stages.py ../shared/data/bbc --cache /tmp/kgcache         # the whole build
    python bench/memory_stages.py CORPUS --cache DIR --top 15                      # and who holds it
    python bench/memory_stages.py CORPUS --cache DIR --no-trace                    # RSS only (faster)
    python bench/memory_stages.py CORPUS --cache DIR --fingerprint HEX            # entries of another kg source
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kg.model import KnowledgeGraph

MB = 1024 * 1024


def rss_high_water() -> float:
    """The process's highest resident set size so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Stages:
    """Runs named steps and prints what each held (tracemalloc) and the RSS high-water mark."""

    def __init__(self, trace: bool, top: int) -> None:
        self.trace, self.top = trace, top
        self.worst: tuple[float, tracemalloc.Snapshot | None, str] = (0.0, None, "")
        if trace:
            tracemalloc.start(1)
        print(f"{'stage':<40} {'s':>6} {'live MB':>8} {'peak MB':>8} {'RSS MB':>8}", flush=True)

    def run(self, name: str, step: Callable[[], object]) -> object:
        started = time.perf_counter()
        if self.trace:
            tracemalloc.reset_peak()
        value = step()
        seconds = time.perf_counter() - started
        live = peak = float("nan")
        if self.trace:
            current, high = tracemalloc.get_traced_memory()
            live, peak = current / MB, high / MB
            if self.top and live > self.worst[0]:
                self.worst = (live, tracemalloc.take_snapshot(), name)
        print(f"{name:<40} {seconds:6.1f} {live:8.1f} {peak:8.1f} {rss_high_water():8.0f}", flush=True)
        return value

    def report_top(self) -> None:
        live, snapshot, name = self.worst
        if snapshot is None:
            return
        print(f"\nmost memory held at the end of '{name}' ({live:.0f} MB), by source line:")
        stats = snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)]).statistics("lineno")
        for stat in stats[: self.top]:
            frame = stat.traceback[0]
            print(f"  {stat.size / MB:7.1f} MB {stat.count:9,d} blocks  {frame.filename}:{frame.lineno}")


def exports(stages: Stages, graph: KnowledgeGraph, out: Path) -> None:
    """Each file of kg build's set on its own, as write_outputs writes it, then the whole set."""
    from kg import export
    from kg.export.files import atomic_write, atomic_write_bytes
    from kg.export.gephi import gephi_graph

    if hasattr(export, "write_rdf"):  # the streaming writers
        stages.run("graph.ttl", partial(atomic_write, out / "graph.ttl", partial(export.write_rdf, graph, fmt="ttl")))
    else:  # a kg before them (to compare)
        stages.run("graph.ttl", lambda: atomic_write_bytes(out / "graph.ttl", export.serialize(graph, "ttl")))
    gephi = stages.run("networkx graph for Gephi", lambda: gephi_graph(graph, viz=True, dynamic=True))
    stages.run("graph.gexf", partial(export.write_gexf, graph, out / "graph.gexf", prepared=gephi))
    stages.run("graph.graphml", partial(export.write_graphml, graph, out / "graph.graphml", prepared=gephi))
    del gephi  # as write_outputs lets it go
    stages.run("nodes.csv, edges.csv", lambda: export.write_csv(graph, out))
    if hasattr(export, "write_json"):
        stages.run("graph.json", partial(atomic_write, out / "graph.json", partial(export.write_json, graph)))
    else:
        stages.run("graph.json", lambda: atomic_write_bytes(out / "graph.json", export.jsonio.dumps(graph)))
    stages.run("all files (write_outputs)", lambda: export.write_outputs(graph, out / "all"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="documents (files or folders), as for kg build")
    parser.add_argument("--cache", type=Path, required=True, help="build cache folder (filled first if needed)")
    parser.add_argument("--top", type=int, default=0, help="list the N source lines holding most (slower)")
    parser.add_argument(
        "--fingerprint",
        help="read the entries a build with this cache fingerprint wrote (kg.cache.fingerprint of another kg "
        "source: to measure a change to the corpus-wide stages or the exports without annotating again)",
    )
    parser.add_argument("--no-trace", action="store_true", help="RSS only, no tracemalloc")
    args = parser.parse_args()

    from kg.build import assemble_graph
    from kg.cache import BuildCache, fingerprint
    from kg.documents import load_documents
    from kg.resolution.names import NameRules
    from kg.stages import Settings

    settings = Settings()
    resources = settings.resources()
    rules = NameRules.from_resources(resources)
    cache = BuildCache(args.cache, args.fingerprint or fingerprint(settings))
    documents = list(load_documents(args.paths))
    missing = [d.id for d in documents if cache.get(d) is None]
    if len(missing) == len(documents):
        sys.exit(
            f"none of the {len(documents)} documents is in the cache {args.cache}; fill it first: "
            f"kg build {' '.join(map(str, args.paths))} -o OUT --cache {args.cache}"
        )
    if missing:  # a document the filling build skipped (its report says why), or one not built yet
        print(f"{len(missing)} of {len(documents)} documents are not in the cache, left out (e.g. {missing[0]})")
    del documents
    print(f"{rss_high_water():.0f} MB RSS after imports and loading the data files (no spaCy model)")
    stages = Stages(not args.no_trace, args.top)
    graph_box: list = []

    def build() -> None:
        results = (cache.get(d) for d in load_documents(args.paths))
        graph_box.append(assemble_graph((r for r in results if r is not None), resources, rules))

    stages.run("cached results -> graph (corpus-wide)", build)
    graph = graph_box[0]
    with tempfile.TemporaryDirectory() as name:
        exports(stages, graph, Path(name))
    mentions = sum(len(e.mentions) for e in graph.entities.values())
    evidence = sum(len(r.evidence) for r in graph.relations)
    summary = (
        f"graph: {len(graph.documents)} documents, {len(graph.entities)} entities, {mentions} mentions, "
        f"{len(graph.relations)} relations, {evidence} evidence sentences"
    )
    del graph, graph_box[:]
    stages.run("(graph freed)", lambda: None)

    def read_all() -> list:
        return [cache.get(d) for d in load_documents(args.paths)]

    stages.run("for comparison: all cached results held", read_all)
    print(summary)
    stages.report_top()


if __name__ == "__main__":
    main()
