"""The per-document stages and the settings of a build: annotation, mentions, relation extraction
and in-document resolution, in that order, for one document at a time.

Relation extraction runs before resolution: it works between mentions, and resolution reads the
titles it finds ("Prime Minister Kishida ... the prime minister"). What a document gives (its
DocumentResult) is all the corpus-wide stages of kg.build need, and what the build cache (kg.cache)
stores and an engine's worker (kg.engines) hands back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kg.documents import Skipped, log_skip
from kg.errors import ConfigError, one_line
from kg.model import Assignment, Document, DocumentInfo, RelationMention
from kg.resources import DEFAULT_DATA_DIR, DEFAULT_MODEL, Resources, load_resources
from kg.trained_model import trained_meta

if TYPE_CHECKING:
    from spacy.tokens import Doc

#: Where the per-document stages can run (kg.engines): this machine, or a Dask cluster
ENGINES = ("local", "dask")


def _default_extractors() -> tuple[str, ...]:
    from kg.relations import DEFAULT_EXTRACTORS

    return DEFAULT_EXTRACTORS


@dataclass(frozen=True)
class Settings:
    """Everything a build can be told. The defaults build with the shipped data files.

    Every option is checked here: a value kg cannot use is a ConfigError that names it (and, for a
    choice, the valid ones), never replaced by a default.

    Example:
        >>> Settings(model="en_core_web_md").model
        'en_core_web_md'
        >>> Settings(engine="spark")
        Traceback (most recent call last):
        ...
        kg.errors.ConfigError: unknown engine 'spark'; use one of: local, dask
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
    #: the relation extractors to run, in order, by their names in kg.registry.relation_extractors
    extractors: tuple[str, ...] = dataclasses.field(default_factory=_default_extractors)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ConfigError(f"unknown engine {self.engine!r}; use one of: {', '.join(ENGINES)}")
        if self.scheduler and self.engine != "dask":
            raise ConfigError(f"a scheduler ({self.scheduler}) needs engine 'dask', not {self.engine!r}")
        for name in ("batch_size", "processes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a whole number of at least 1, not {value!r}")
        if not isinstance(self.model, str) or not self.model:
            raise ConfigError(f"model must name a spaCy pipeline or a model folder, not {self.model!r}")
        if isinstance(self.extractors, str) or not all(isinstance(n, str) for n in self.extractors):
            raise ConfigError(f"extractors must be a sequence of extractor names, not {self.extractors!r}")
        object.__setattr__(self, "extractors", tuple(self.extractors))
        from kg import registry
        from kg.relations import DEFAULT_EXTRACTORS  # noqa: F401  (registers kg's own extractors)

        for name in self.extractors:
            registry.get(registry.relation_extractors, name, "relation extractor")

    def resources(self) -> Resources:
        return load_resources(Path(self.data_dir), tuple(map(Path, self.aliases)), tuple(map(Path, self.patterns)))


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """What the per-document stages (annotation, relation candidates, in-document resolution) make
    of one document: all that the corpus-wide stages need, and what a cache or a worker hands back."""

    info: DocumentInfo
    words: int
    assignments: tuple[Assignment, ...]  # each resolved mention with its cluster key in the document
    candidates: tuple[RelationMention, ...]  # relations between mentions, not yet between nodes


class DocumentPipeline:
    """The per-document stages, loaded once: spaCy annotation, mentions, the relation extractors of
    `settings.extractors` and in-document resolution.

    Example:
        >>> pipeline = DocumentPipeline(Settings())
        >>> text = "Fumio Kishida met Joe Biden in Tokyo."
        >>> [result] = pipeline.process([Document("a.txt", text, DocumentInfo("a.txt"))])
        >>> sorted(f"{c.subject.text} {c.predicate} {c.object.text}" for c in result.candidates)
        ['Fumio Kishida met_at Tokyo', 'Fumio Kishida met_with Joe Biden', 'Joe Biden met_at Tokyo']
        >>> sorted(a.key for a in result.assignments)
        ['Document|a.txt', 'Person|biden joe', 'Person|fumio kishida', 'Place|tokyo']
    """

    def __init__(self, settings: Settings, resources: Resources | None = None) -> None:
        from kg.annotation.pipeline import make_nlp
        from kg.relations import ExtractorContext, make_extractors
        from kg.resolution.names import NameRules

        self.settings = settings
        self.resources = resources if resources is not None else settings.resources()
        meta = trained_meta(settings.model)  # a kg train model annotates with the pipeline it was trained on
        base_model = settings.model if meta is None else meta.get("base_model", DEFAULT_MODEL)
        self.nlp = make_nlp(self.resources, base_model)
        context = ExtractorContext(self.nlp, self.resources, settings.model, settings.open_relations)
        self.extractors = make_extractors(settings.extractors, context)
        self.rules = NameRules.from_resources(self.resources)

    def process(self, documents: Iterable[Document]) -> Iterator[DocumentResult]:
        """Each document's result, in order; spaCy annotates in batches (and processes, if set).

        A document that fails (in annotation or a later stage) is skipped with its reason, reported
        through the stream's `on_skip` (see load_documents) or else logged, and the others go on.
        A text longer than `nlp.max_length` is annotated in segments joined into one Doc.
        """
        from kg.documents.batches import annotate

        on_skip = getattr(documents, "on_skip", None) or log_skip

        def skip(document: Document, stage: str, exc: BaseException) -> None:
            on_skip(
                Skipped(
                    document.info.source or document.id, f"{stage} failed ({exc.__class__.__name__}: {one_line(exc)})"
                )
            )

        settings = self.settings
        annotated = annotate(
            self.nlp,
            documents,
            lambda document, exc: skip(document, "annotation", exc),
            batch_size=settings.batch_size,
            n_process=settings.processes,
        )
        for document, spacy_doc in annotated:
            try:
                result = self.result(spacy_doc, document)
            except Exception as exc:  # noqa: BLE001 - one document's failure: skip it, go on
                skip(document, "extraction", exc)
                continue
            yield result

    def result(self, spacy_doc: Doc, document: Document) -> DocumentResult:
        """The result of one document annotated as `spacy_doc`."""
        from kg.annotation.mentions import doc_mentions
        from kg.relations import Extraction, extract
        from kg.resolution.resolver import resolve_document

        headline = document.info.span_of("title")
        mentions = doc_mentions(
            spacy_doc,
            document.id,
            self.resources.entity_labels,
            headline,
            self.resources.nominals,
            self.resources.nominals_by_name,
        )
        extraction = extract(self.extractors, Extraction(document, spacy_doc, mentions))
        titles = [
            (r.subject, r.object.text)
            for r in extraction.found
            if r.predicate == "holds_role" and r.subject.label != "NOMINAL"
        ]
        mentions = [*extraction.mentions, *extraction.made.values()]
        assignments = resolve_document(document, mentions, self.rules, titles)
        return DocumentResult(document.info, len(document.text.split()), tuple(assignments), tuple(extraction.found))


__all__ = ["ENGINES", "Settings", "DocumentResult", "DocumentPipeline"]
