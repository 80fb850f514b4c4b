"""The build: documents -> per-document stages (annotation, relation extraction, in-document
resolution; kg.stages) -> corpus-wide stages (resolution across documents, relations between
entities checked against the schema, meeting events) -> one KnowledgeGraph with its BuildReport.

The per-document stages run through an engine (kg.engines: this process, or a Dask cluster) and
their results are kept in the build cache (kg.cache); the exports (kg.export) take the graph.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from kg.documents import load_documents
from kg.model import (
    Document,
    DocumentInfo,
    KnowledgeGraph,
    Mention,
    Relation,
    RelationMention,
    RelationType,
    document_node,
)
from kg.report import BuildReport, Skipped
from kg.resolution.names import NameRules
from kg.resources import Resources
from kg.stages import DocumentPipeline, DocumentResult, Settings

if TYPE_CHECKING:
    from kg.cache import BuildCache
    from kg.engines import Engine


def build_graph(
    paths: Iterable[str | Path],
    settings: Settings | None = None,
    progress: Callable[[DocumentInfo], None] | None = None,
    cache: BuildCache | Path | str | None = None,
) -> KnowledgeGraph:
    """Build the knowledge graph of the documents under `paths`.

    The build report is on the returned graph's `report` attribute. `cache` (a folder, or a
    kg.cache.BuildCache) keeps each document's results, so the next build annotates only new and
    changed documents; None builds without one.

    Example:
        >>> from kg.resources import DEFAULT_DATA_DIR
        >>> graph = build_graph([DEFAULT_DATA_DIR / "samples"])
        >>> graph.report.documents, graph.report.skipped
        (5, [])
        >>> [e.label for e in graph.find("Joe Biden")]
        ['Joe Biden']
    """
    skipped: list[Skipped] = []
    graph = build_documents(load_documents(paths, on_skip=skipped.append), settings, progress, cache)
    _report(graph).skipped = skipped
    return graph


def build_documents(
    documents: Iterable[Document],
    settings: Settings | None = None,
    progress: Callable[[DocumentInfo], None] | None = None,
    cache: BuildCache | Path | str | None = None,
) -> KnowledgeGraph:
    """Build the knowledge graph of loaded documents (see `build_graph`).

    Each document's results come from the cache or from the engine (this process, or a cluster), in
    the documents' order either way, so the graph is the same as a clean single-process build's."""
    from kg.cache import BuildCache, fingerprint, with_cache
    from kg.engines import make_engine

    settings = settings or Settings()
    started = time.perf_counter()
    resources = settings.resources()
    rules = NameRules.from_resources(resources)
    store = None
    if cache is not None:
        store = cache if isinstance(cache, BuildCache) else BuildCache(Path(cache), fingerprint(settings))
    engines: list[Engine] = []

    def process(
        stream: Iterable[Document],
    ) -> Iterator[DocumentResult]:  # the engine starts at the first document to annotate
        if not engines:
            engines.append(make_engine(settings, resources))
        return engines[0].process(stream)

    try:
        stream = with_cache(documents, store, process) if store is not None else process(documents)

        def results() -> Iterator[DocumentResult]:
            for result in stream:
                if progress is not None:
                    progress(result.info)
                yield result

        graph = assemble_graph(results(), resources, rules)
    finally:
        for engine in engines:
            engine.close()
    report = _report(graph)
    report.model = settings.model
    report.cached = store.hits if store is not None else 0
    report.seconds = time.perf_counter() - started
    return graph


def _report(graph: KnowledgeGraph) -> BuildReport:
    assert graph.report is not None, "assemble_graph gives every graph its report"
    return graph.report


def assemble_graph(results: Iterable[DocumentResult], resources: Resources, rules: NameRules) -> KnowledgeGraph:
    """The corpus-wide stages: clusters merged across documents into entities, relation candidates
    turned into edges between them (checked against the schema), meeting events."""
    from kg.relations.events import add_meeting_events
    from kg.resolution.resolver import Resolver

    report = BuildReport()
    resolver = Resolver(rules)
    graph = KnowledgeGraph(schema=dict(resources.relations))
    candidates: list[RelationMention] = []
    for result in results:
        resolver.add(result.assignments)
        candidates += result.candidates
        graph.add_document(result.info)
        report.documents += 1
        report.words += result.words
    for entity in resolver.entities().values():
        graph.add_entity(entity)
    _add_relations(graph, candidates, resolver.entity_of(), resources.relations, report, resources.kinds)
    add_meeting_events(graph)
    graph.drop_unrelated(("Role", "Concept"))
    report.entities = len(graph.entities)
    report.relations = len(graph.relations)
    report.entity_types = dict(Counter(e.type for e in graph.entities.values()))
    report.relation_types = dict(Counter(r.predicate for r in graph.relations))
    graph.report = report
    return graph


def _add_relations(
    graph: KnowledgeGraph,
    candidates: list[RelationMention],
    entity_of: dict[Mention, str],
    schema: dict[str, RelationType],
    report: BuildReport,
    kinds: dict[str, frozenset[str]] | None = None,
) -> None:
    """Resolve each candidate's ends to nodes, keep what fits the schema's domain and range (and
    its `not_between` kind: `kinds` names the entities of each kind)."""
    kinds = kinds or {}
    dropped: Counter[str] = Counter()
    for c in candidates:
        subject, object_ = _node(c.subject, entity_of), _node(c.object, entity_of)
        if subject is None or object_ is None:
            dropped["unresolved mention"] += 1
            continue
        if subject == object_:
            dropped["same entity at both ends"] += 1
            continue
        if c.modality:
            dropped[f"{c.modality} statement"] += 1
            continue
        spec = schema.get(c.predicate)
        if spec is not None and c.layer == "schema":
            if graph.type_of(subject) not in spec.domain or graph.type_of(object_) not in spec.range:
                dropped[f"{c.predicate}: outside domain or range"] += 1
                continue
            if spec.not_between and all(
                _is_kind(graph, n, kinds.get(spec.not_between, frozenset())) for n in (subject, object_)
            ):
                dropped[f"{c.predicate}: both ends a {spec.not_between}"] += 1
                continue
            if spec.symmetric and object_ < subject:
                subject, object_ = object_, subject
        graph.add_relation(
            Relation(subject, c.predicate, object_, c.confidence, c.extractor, (c.evidence,), c.layer, c.status)
        )
    dropped["said more precisely by another relation"] += graph.drop_subsumed()
    report.dropped_relations = {k: v for k, v in dropped.items() if v}


def _is_kind(graph: KnowledgeGraph, node: str, names: frozenset[str]) -> bool:
    entity = graph.entities.get(node)
    return entity is not None and (entity.label.lower() in names or any(a.lower() in names for a in entity.aliases))


def _node(mention: Mention, entity_of: dict[Mention, str]) -> str | None:
    if mention.type == "Document":
        return document_node(mention.doc_id)
    return entity_of.get(mention)


__all__ = [
    "build_graph",
    "build_documents",
    "assemble_graph",
    "DocumentPipeline",
    "DocumentResult",
    "Settings",
    "BuildReport",
]
