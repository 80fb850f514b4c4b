"""Stage 5: the one module that wires documents -> annotation -> resolution -> relations -> graph."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from kg.documents import Skipped, load_documents
from kg.model import (
    Document,
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
    open_relations: bool = True  # the subject-verb-object layer (layer "open")

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
        }


def build_graph(
    paths: Iterable[str | Path],
    settings: Settings | None = None,
    progress: Callable[[Document], None] | None = None,
) -> KnowledgeGraph:
    """Build the knowledge graph of the documents under `paths`.

    The build report is on the returned graph's `report` attribute.

    Example:
        >>> graph = build_graph(["data/"])  # doctest: +SKIP
        >>> graph.to_rdf().serialize(format="turtle")  # doctest: +SKIP
    """
    from kg.annotation.mentions import doc_mentions
    from kg.annotation.pipeline import make_nlp
    from kg.relations.events import add_meeting_events
    from kg.relations.metadata import metadata_relations
    from kg.relations import RelationExtractor
    from kg.resolution.names import NameRules
    from kg.resolution.resolver import Resolver
    from kg.training import is_trained_model

    settings = settings or Settings()
    started = time.perf_counter()
    resources = settings.resources()
    report = BuildReport(model=settings.model)
    learned, base_model = None, settings.model
    if is_trained_model(settings.model):  # a kg train model: its relations join the rules'
        from kg.relations.learned import LearnedExtractor

        learned = LearnedExtractor(Path(settings.model))
        base_model = learned.nlp.meta["kg"].get("base_model", DEFAULT_MODEL)
    nlp = make_nlp(resources, base_model)
    extractor = RelationExtractor(nlp, resources, settings.open_relations)
    resolver = Resolver(NameRules.from_resources(resources))
    graph = KnowledgeGraph(schema=dict(resources.relations))
    candidates: list[RelationMention] = []

    documents = load_documents(paths, on_skip=report.skipped.append)
    pairs: Iterator[tuple[str, Document]] = ((d.text, d) for d in documents)
    for spacy_doc, document in nlp.pipe(pairs, as_tuples=True, batch_size=settings.batch_size, n_process=settings.processes):
        meta_mentions, meta_relations = metadata_relations(document)
        headline = document.info.span_of("title")
        mentions = _merge_mentions(doc_mentions(spacy_doc, document.id, resources.entity_labels, headline), meta_mentions)
        found, made = extractor(spacy_doc, document.id, mentions)
        if learned is not None:
            known = {(m.start, m.end): m for m in [*mentions, *made]}
            more, more_made = learned(document.id, document.text, known)
            found, made = found + more, made + more_made
        resolver.add(document, [*mentions, *made])
        candidates += meta_relations + found
        graph.add_document(document.info)
        report.documents += 1
        report.words += len(document.text.split())
        if progress is not None:
            progress(document)

    for entity in resolver.entities().values():
        graph.add_entity(entity)
    _add_relations(graph, candidates, resolver.entity_of(), resources.relations, report)
    add_meeting_events(graph)
    report.entities = len(graph.entities)
    report.relations = len(graph.relations)
    report.entity_types = dict(Counter(e.type for e in graph.entities.values()))
    report.relation_types = dict(Counter(r.predicate for r in graph.relations))
    report.seconds = time.perf_counter() - started
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
) -> None:
    """Resolve each candidate's ends to nodes, keep what fits the schema's domain and range."""
    dropped: Counter[str] = Counter()
    for c in candidates:
        subject, object_ = _node(c.subject, entity_of), _node(c.object, entity_of)
        if subject is None or object_ is None:
            dropped["unresolved mention"] += 1
            continue
        if subject == object_:
            dropped["same entity at both ends"] += 1
            continue
        spec = schema.get(c.predicate)
        if spec is not None and c.layer == "schema":
            if graph.type_of(subject) not in spec.domain or graph.type_of(object_) not in spec.range:
                dropped[f"{c.predicate}: outside domain or range"] += 1
                continue
            if spec.symmetric and object_ < subject:
                subject, object_ = object_, subject
        graph.add_relation(Relation(subject, c.predicate, object_, c.confidence, c.extractor, (c.evidence,), c.layer))
    report.dropped_relations = dict(dropped)


def _node(mention: Mention, entity_of: dict[Mention, str]) -> str | None:
    if mention.type == "Document":
        return document_node(mention.doc_id)
    return entity_of.get(mention)


__all__ = ["build_graph", "Settings", "BuildReport"]
