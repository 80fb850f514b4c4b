"""Stage 3: relation extraction, between mentions and before entity resolution (which reads the
titles it finds). Each extractor is registered by name in `kg.registry.relation_extractors`; a build
runs those its `Settings.extractors` lists, in that order, over one parsed document at a time:

- ``metadata``: authored_by and published_in from the document's metadata; its mentions (the
  document, its authors and venue) replace the annotator's of the same span, so it runs first
- ``patterns``: the schema's dependency and token patterns (data/patterns/*.json)
- ``titles``: holds_role and the organisation relations of titles ("Japanese Prime Minister Kishida")
- ``gatherings``: met_at between the people an article says take part in the gathering it is about
  and that gathering and its place, where the clause names neither (data/gatherings.json)
- ``open``: the open subject-verb-object layer, when `Settings.open_relations` is set; it adds only
  what the relations found before it do not say
- ``learned``: the relations of a kg train model, when `Settings.model` is one

A factory takes the ExtractorContext and returns the extractor, or None when the settings leave it
nothing to do; an extractor takes the document's Extraction and returns the relations it found. A
package adds its own through the entry point group ``kg_relation_extractors``.

Example:
    >>> from kg import registry
    >>> registry.names(registry.relation_extractors)
    ['gatherings', 'learned', 'metadata', 'open', 'patterns', 'titles']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from kg import registry
from kg.model import Document, DocumentInfo, Mention, RelationMention
from kg.relations.open import open_relations
from kg.relations.patterns import PatternExtractor
from kg.relations.spans import token_index
from kg.relations.titles import TitleRules, title_relations
from kg.resources import Resources
from kg.trained_model import is_trained_model

__all__ = [
    "DEFAULT_EXTRACTORS",
    "Extraction",
    "Extractor",
    "ExtractorContext",
    "RelationExtractor",
    "extract",
    "make_extractors",
]

#: The extractors a build runs, in order (`kg.build.Settings.extractors`)
DEFAULT_EXTRACTORS = ("metadata", "patterns", "titles", "gatherings", "open", "learned")


@dataclass(frozen=True)
class ExtractorContext:
    """What an extractor's factory is given: the loaded pipeline, the data files and the settings
    that choose what runs."""

    nlp: Language
    resources: Resources
    model: str = ""  # the build's model: a kg train model folder gives the "learned" extractor its model
    open_relations: bool = False  # whether the open layer is wanted


@dataclass
class Extraction:
    """One parsed document on its way through the extractors: what each reads and adds to.

    `mentions` are the annotator's (and, once ``metadata`` ran, the metadata's), by offset; `made`
    holds the mentions the extractors made themselves (noun phrases, a model's entities); `found`
    the relations found so far, in extractor order.
    """

    document: Document
    doc: Doc
    mentions: list[Mention]
    made: dict[tuple[int, int], Mention] = field(default_factory=dict)
    found: list[RelationMention] = field(default_factory=list)
    _at: list[Mention | None] | None = field(default=None, repr=False)

    @property
    def at(self) -> list[Mention | None]:
        """The mention each token belongs to (see kg.relations.spans.token_index)."""
        if self._at is None:
            self._at = token_index(self.doc, self.mentions)
        return self._at

    def add_mentions(self, mentions: Iterable[Mention]) -> None:
        """Add mentions; each replaces an annotator's mention of the same (non-empty) span."""
        added = list(mentions)
        spans = {(m.start, m.end) for m in added if m.end > m.start}
        kept = [m for m in self.mentions if (m.start, m.end) not in spans]
        self.mentions = sorted(kept + added, key=lambda m: (m.start, m.end))
        self._at = None


Extractor = Callable[[Extraction], list[RelationMention]]


def make_extractors(names: Iterable[str], context: ExtractorContext) -> list[Extractor]:
    """The extractors registered under `names`, in that order, leaving out those with nothing to do.

    An unknown name is an UnknownNameError that lists the registered ones.
    """
    made = (registry.get(registry.relation_extractors, name, "relation extractor")(context) for name in names)
    return [extractor for extractor in made if extractor is not None]


def extract(extractors: Sequence[Extractor], extraction: Extraction) -> Extraction:
    """Run `extractors` in order over one document; returns `extraction`, its `found` filled."""
    for extractor in extractors:
        extraction.found += extractor(extraction)
    return extraction


@registry.relation_extractors.register("metadata")
def make_metadata_extractor(context: ExtractorContext) -> Extractor:
    from kg.relations.metadata import metadata_relations

    def run(extraction: Extraction) -> list[RelationMention]:
        mentions, relations = metadata_relations(extraction.document)
        extraction.add_mentions(mentions)
        return relations

    return run


@registry.relation_extractors.register("patterns")
def make_pattern_extractor(context: ExtractorContext) -> Extractor:
    resources = context.resources
    patterns = PatternExtractor(
        context.nlp,
        resources.patterns,
        resources.relations,
        resources.kinds,
        resources.parties,
        resources.organisation_words,
        (w.lower() for w in resources.roles.get("organisation_units", ())),
    )

    def run(extraction: Extraction) -> list[RelationMention]:
        return patterns.extract(
            extraction.doc, extraction.document.id, extraction.mentions, extraction.at, extraction.made
        )

    return run


@registry.relation_extractors.register("titles")
def make_title_extractor(context: ExtractorContext) -> Extractor:
    from kg.annotation.titles import RoleLexicon

    resources = context.resources
    rules = TitleRules(RoleLexicon.from_json(resources.roles), frozenset(p.lower() for p in resources.parties))

    def run(extraction: Extraction) -> list[RelationMention]:
        return title_relations(
            extraction.doc, extraction.document.id, extraction.mentions, extraction.at, rules, extraction.made
        )

    return run


@registry.relation_extractors.register("gatherings")
def make_gathering_extractor(context: ExtractorContext) -> Extractor | None:
    if not context.resources.gatherings:
        return None
    from kg.relations.gatherings import GatheringRules, gathering_relations

    rules = GatheringRules.from_json(context.resources.gatherings)

    def run(extraction: Extraction) -> list[RelationMention]:
        return gathering_relations(extraction.doc, extraction.document.id, extraction.at, extraction.made, rules)

    return run


@registry.relation_extractors.register("open")
def make_open_extractor(context: ExtractorContext) -> Extractor | None:
    rules = context.resources.open_rules
    if not context.open_relations or rules is None:
        return None

    def run(extraction: Extraction) -> list[RelationMention]:
        said = {(r.evidence.start, frozenset((r.subject, r.object))) for r in extraction.found}
        found = open_relations(extraction.doc, extraction.document.id, extraction.at, extraction.made, rules)
        return [r for r in found if (r.evidence.start, frozenset((r.subject, r.object))) not in said]

    return run


@registry.relation_extractors.register("learned")
def make_learned_extractor(context: ExtractorContext) -> Extractor | None:
    if not context.model or not is_trained_model(context.model):
        return None
    from kg.relations.learned import LearnedExtractor

    model = LearnedExtractor(Path(context.model))

    def run(extraction: Extraction) -> list[RelationMention]:
        known = {(m.start, m.end): m for m in [*extraction.mentions, *extraction.made.values()]}
        found, made = model(extraction.document.id, extraction.document.text, known)
        for mention in made:
            extraction.made[(mention.start, mention.end)] = mention
        return found

    return run


class RelationExtractor:
    """The rule extractors (patterns, titles and, if `open_layer`, the open layer) over a parsed
    text whose mentions are known, for callers outside a build (kg eval, tests).

    Example:
        >>> from kg.annotation.mentions import doc_mentions
        >>> from kg.annotation.pipeline import make_nlp
        >>> from kg.resources import load_resources
        >>> resources = load_resources()
        >>> nlp = make_nlp(resources)
        >>> doc = nlp("Fumio Kishida met Joe Biden in Tokyo.")
        >>> mentions = doc_mentions(doc, "doc-1", resources.entity_labels, None, resources.nominals)
        >>> relations, noun_phrases = RelationExtractor(nlp, resources)(doc, "doc-1", mentions)
        >>> sorted(f"{r.subject.text} {r.predicate} {r.object.text}" for r in relations)
        ['Fumio Kishida met_at Tokyo', 'Fumio Kishida met_with Joe Biden', 'Joe Biden met_at Tokyo']
    """

    def __init__(self, nlp: Language, resources: Resources, open_layer: bool = True) -> None:
        self.extractors = make_extractors(
            ("patterns", "titles", "gatherings", "open"), ExtractorContext(nlp, resources, open_relations=open_layer)
        )

    def __call__(
        self, doc: Doc, doc_id: str, mentions: Sequence[Mention]
    ) -> tuple[list[RelationMention], list[Mention]]:
        document = Document(doc_id, doc.text, DocumentInfo(doc_id))
        extraction = extract(self.extractors, Extraction(document, doc, list(mentions)))
        return extraction.found, list(extraction.made.values())
