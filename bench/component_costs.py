"""Where a build's time goes, per stage: each spaCy component, then kg's mentions, each relation
extractor of the default settings and in-document resolution, over BBC articles.

Run: python bench/component_costs.py [--limit 300]
Prints seconds and the share of the whole per-document stage for each part.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "bbc"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="articles (in sorted order over the categories)")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"bench: {DATA} is not here")
    from kg import registry
    from kg.annotation.mentions import doc_mentions
    from kg.build import DocumentPipeline, Settings
    from kg.documents import read_file
    from kg.relations import Extraction, ExtractorContext
    from kg.resolution.resolver import resolve_document

    files = sorted(p for p in DATA.glob("*/*.txt"))[:: max(1, len(list(DATA.glob("*/*.txt"))) // args.limit)][
        : args.limit
    ]
    documents = [d for f in files for d in read_file(f, f.relative_to(DATA).as_posix())]
    settings = Settings()
    pipeline = DocumentPipeline(settings)
    nlp, costs = pipeline.nlp, Counter()
    context = ExtractorContext(nlp, pipeline.resources, settings.model, settings.open_relations)
    made_extractors = (
        (name, registry.get(registry.relation_extractors, name)(context)) for name in settings.extractors
    )
    extractors = [(name, extractor) for name, extractor in made_extractors if extractor is not None]
    words = sum(len(d.text.split()) for d in documents)
    for document in documents:
        doc = nlp.make_doc(document.text)
        for name, component in nlp.pipeline:
            started = time.perf_counter()
            doc = component(doc)
            costs[f"spaCy {name}"] += time.perf_counter() - started
        started = time.perf_counter()
        mentions = doc_mentions(
            doc,
            document.id,
            pipeline.resources.entity_labels,
            document.info.span_of("title"),
            pipeline.resources.nominals,
            pipeline.resources.nominals_by_name,
        )
        costs["kg mentions"] += time.perf_counter() - started
        extraction = Extraction(document, doc, mentions)
        for name, extractor in extractors:
            started = time.perf_counter()
            extraction.found += extractor(extraction)
            costs[f"kg relations: {name}"] += time.perf_counter() - started
        started = time.perf_counter()
        found = extraction.found
        titles = [
            (r.subject, r.object.text) for r in found if r.predicate == "holds_role" and r.subject.label != "NOMINAL"
        ]
        resolve_document(document, [*extraction.mentions, *extraction.made.values()], pipeline.rules, titles)
        costs["kg in-document resolution"] += time.perf_counter() - started
    total = sum(costs.values())
    print(
        f"{len(documents)} BBC articles, {words:,} words, per-document stage {total:.1f} s"
        " (one process, components one document at a time)"
    )
    print(f"{'part':<36} {'seconds':>8} {'share':>7}")
    for name, seconds in costs.most_common():
        print(f"{name:<36} {seconds:>8.2f} {seconds / total:>7.1%}")


if __name__ == "__main__":
    main()
