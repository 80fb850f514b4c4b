"""Stage 5: the one module that wires documents -> annotation -> resolution -> relations -> graph."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from kg.documents import Skipped, load_documents, log_skip
from kg.errors import one_line
from kg.model import (
    Assignment,
    Document,
    DocumentInfo,
    KnowledgeGraph,
    Mention,
    Relation,
    RelationMention,
    RelationType,
    document_node,
)
from kg.resources import DEFAULT_DATA_DIR, DEFAULT_MODEL, Resources, load_resources


@dataclass(frozen=True)
class Settings:
    """Everything a build can be told. The defaults build with the shipped data files.

    Example:
        >>> Settings(model="en_core_web_md").model
        'en_core_web_md'
    """

    model: str = DEFAULT_MODEL
    data_dir: Path = DEFAULT_DATA_DIR
    aliases: tuple[Path, ...] = ()  # alias CSV files added to data/aliases.csv
    patterns: tuple[Path, ...] = ()  # pattern files added to data/patterns/*.json
    batch_size: int = 32
    processes: int = 1
    open_relations: bool = False  # the subject-verb-object layer (layer "open"), opt-in: see README
    engine: str = "local"  # where the per-document stages run: "local" or "dask" (see kg.engines)
    scheduler: str | None = None  # the Dask scheduler's address; None starts a local cluster

    def resources(self) -> Resources:
        return load_resources(Path(self.data_dir), tuple(map(Path, self.aliases)), tuple(map(Path, self.patterns)))


@dataclass
class BuildReport:
    """What a build read, skipped and produced."""

    documents: int = 0
    words: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    entities: int = 0
    relations: int = 0
    entity_types: dict[str, int] = field(default_factory=dict)
    relation_types: dict[str, int] = field(default_factory=dict)
    dropped_relations: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    model: str = ""
    cached: int = 0  # documents whose per-document results came from the build cache

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents_read": self.documents,
            "words": self.words,
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "entities": self.entities,
            "relations": self.relations,
            "entity_types": dict(sorted(self.entity_types.items())),
            "relation_types": dict(sorted(self.relation_types.items())),
            "dropped_relations": dict(sorted(self.dropped_relations.items())),
            "seconds": round(self.seconds, 3),
            "model": self.model,
            "documents_from_cache": self.cached,
        }


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """What the per-document stages (annotation, in-document resolution, relation candidates) make of
    one document: all that the corpus-wide stages need, and what a cache or a worker hands back."""

    info: DocumentInfo
    words: int
    assignments: tuple[Assignment, ...]  # each resolved mention with its cluster key in the document
    candidates: tuple[RelationMention, ...]  # relations between mentions, not yet between nodes


class DocumentPipeline:
    """The per-document stages, loaded once: spaCy annotation, mentions, in-document resolution and
    relation candidates (rules, and a kg train model's predictions when `settings.model` is one).

    Example:
        >>> pipeline = DocumentPipeline(Settings())  # doctest: +SKIP
        >>> [r.info.id for r in pipeline.process(load_documents(["data/"]))]  # doctest: +SKIP
    """

    def __init__(self, settings: Settings, resources: Resources | None = None) -> None:
        from kg.annotation.pipeline import make_nlp
        from kg.relations import RelationExtractor
        from kg.resolution.names import NameRules
        from kg.trained_model import is_trained_model

        self.settings = settings
        self.resources = resources if resources is not None else settings.resources()
        self.learned, base_model = None, settings.model
        if is_trained_model(settings.model):  # a kg train model: its relations join the rules'
            from kg.relations.learned import LearnedExtractor

            self.learned = LearnedExtractor(Path(settings.model))
            base_model = self.learned.nlp.meta["kg"].get("base_model", DEFAULT_MODEL)
        self.nlp = make_nlp(self.resources, base_model)
        self.extractor = RelationExtractor(self.nlp, self.resources, settings.open_relations)
        self.rules = NameRules.from_resources(self.resources)

    def process(self, documents: Iterable[Document]) -> Iterator[DocumentResult]:
        """Each document's result, in order; spaCy annotates in batches (and processes, if set).

        A document that fails (in annotation or a later stage) is skipped with its reason, reported
        through the stream's `on_skip` (see load_documents) or else logged, and the others go on.
        A text longer than `nlp.max_length` is annotated in segments joined into one Doc.
        """
        from kg.documents import Skipped
        from kg.documents.batches import annotate

        on_skip = getattr(documents, "on_skip", None) or log_skip

        def skip(document: Document, stage: str, exc: BaseException) -> None:
            on_skip(Skipped(document.info.source or document.id, f"{stage} failed ({exc.__class__.__name__}: {one_line(exc)})"))

        settings = self.settings
        annotated = annotate(self.nlp, documents, lambda document, exc: skip(document, "annotation", exc),
                             batch_size=settings.batch_size, n_process=settings.processes)
        for document, spacy_doc in annotated:
            try:
                result = self.result(spacy_doc, document)
            except Exception as exc:  # noqa: BLE001 - one document's failure: skip it, go on
                skip(document, "extraction", exc)
                continue
            yield result

    def result(self, spacy_doc: Any, document: Document) -> DocumentResult:
        """The result of one document annotated as `spacy_doc`."""
        from kg.annotation.mentions import doc_mentions
        from kg.relations.metadata import metadata_relations
        from kg.resolution.resolver import resolve_document

        meta_mentions, meta_relations = metadata_relations(document)
        headline = document.info.span_of("title")
        found_mentions = doc_mentions(spacy_doc, document.id, self.resources.entity_labels, headline, self.resources.nominals)
        mentions = _merge_mentions(found_mentions, meta_mentions)
        found, made = self.extractor(spacy_doc, document.id, mentions)
        if self.learned is not None:
            known = {(m.start, m.end): m for m in [*mentions, *made]}
            more, more_made = self.learned(document.id, document.text, known)
            found, made = found + more, made + more_made
        titles = [(r.subject, r.object.text) for r in found if r.predicate == "holds_role" and r.subject.label != "NOMINAL"]
        assignments = resolve_document(document, [*mentions, *made], self.rules, titles)
        return DocumentResult(document.info, len(document.text.split()), tuple(assignments), tuple(meta_relations + found))




def build_graph(
    paths: Iterable[str | Path],
    settings: Settings | None = None,
    progress: Callable[[DocumentInfo], None] | None = None,
    cache: Any = None,
) -> KnowledgeGraph:
    """Build the knowledge graph of the documents under `paths`.

    The build report is on the returned graph's `report` attribute. `cache` (a folder, or a
    kg.cache.BuildCache) keeps each document's results, so the next build annotates only new and
    changed documents; None builds without one.

    Example:
        >>> graph = build_graph(["data/"])  # doctest: +SKIP
        >>> graph.to_rdf().serialize(format="turtle")  # doctest: +SKIP
    """
    skipped: list[Skipped] = []
    graph = build_documents(load_documents(paths, on_skip=skipped.append), settings, progress, cache)
    graph.report.skipped = skipped
    return graph


def build_documents(
    documents: Iterable[Document],
    settings: Settings | None = None,
    progress: Callable[[DocumentInfo], None] | None = None,
    cache: Any = None,
) -> KnowledgeGraph:
    """Build the knowledge graph of loaded documents (see `build_graph`).

    Each document's results come from the cache or from the engine (this process, or a cluster), in
    the documents' order either way, so the graph is the same as a clean single-process build's."""
    from kg.cache import BuildCache, fingerprint, with_cache
    from kg.engines import make_engine
    from kg.resolution.names import NameRules

    settings = settings or Settings()
    started = time.perf_counter()
    resources = settings.resources()
    rules = NameRules.from_resources(resources)
    store = None
    if cache is not None:
        store = cache if isinstance(cache, BuildCache) else BuildCache(Path(cache), fingerprint(settings))
    engines: list[Any] = []

    def process(stream: Iterable[Document]) -> Iterator[DocumentResult]:  # the engine starts at the first document to annotate
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
    graph.report.model = settings.model
    graph.report.cached = store.hits if store is not None else 0
    graph.report.seconds = time.perf_counter() - started
    return graph


def assemble_graph(results: Iterable[DocumentResult], resources: Resources, rules: Any) -> KnowledgeGraph:
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


def _merge_mentions(found: list[Mention], metadata: list[Mention]) -> list[Mention]:
    """Metadata mentions (byline authors, venue) replace annotator mentions of the same span."""
    spans = {(m.start, m.end) for m in metadata if m.end > m.start}
    return sorted([m for m in found if (m.start, m.end) not in spans] + metadata, key=lambda m: (m.start, m.end))


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
            if spec.not_between and all(_is_kind(graph, n, kinds.get(spec.not_between, frozenset())) for n in (subject, object_)):
                dropped[f"{c.predicate}: both ends a {spec.not_between}"] += 1
                continue
            if spec.symmetric and object_ < subject:
                subject, object_ = object_, subject
        graph.add_relation(Relation(subject, c.predicate, object_, c.confidence, c.extractor, (c.evidence,), c.layer, c.status))
    dropped["said more precisely by another relation"] += graph.drop_subsumed()
    report.dropped_relations = {k: v for k, v in dropped.items() if v}


def _is_kind(graph: KnowledgeGraph, node: str, names: frozenset[str]) -> bool:
    entity = graph.entities.get(node)
    return entity is not None and (entity.label.lower() in names or any(a.lower() in names for a in entity.aliases))


def _node(mention: Mention, entity_of: dict[Mention, str]) -> str | None:
    if mention.type == "Document":
        return document_node(mention.doc_id)
    return entity_of.get(mention)


__all__ = ["build_graph", "build_documents", "assemble_graph", "DocumentPipeline", "DocumentResult", "Settings", "BuildReport"]
