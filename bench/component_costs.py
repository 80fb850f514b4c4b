"""Where a build's time goes, per stage: each spaCy component, then kg's mentions, relation
extraction (patterns and titles) and in-document resolution, over BBC articles.

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
    from kg.annotation.mentions import doc_mentions
    from kg.build import DocumentPipeline, Settings
    from kg.documents import read_file
    from kg.resolution.resolver import resolve_document

    files = sorted(p for p in DATA.glob("*/*.txt"))[:: max(1, len(list(DATA.glob("*/*.txt"))) // args.limit)][: args.limit]
    documents = [d for f in files for d in read_file(f, f.relative_to(DATA).as_posix())]
    pipeline = DocumentPipeline(Settings())
    nlp, costs = pipeline.nlp, Counter()
    words = sum(len(d.text.split()) for d in documents)
    for document in documents:
        doc = nlp.make_doc(document.text)
        for name, component in nlp.pipeline:
            started = time.perf_counter()
            doc = component(doc)
            costs[f"spaCy {name}"] += time.perf_counter() - started
        started = time.perf_counter()
        mentions = doc_mentions(doc, document.id, pipeline.resources.entity_labels, document.info.span_of("title"), pipeline.resources.nominals)
        costs["kg mentions"] += time.perf_counter() - started
        started = time.perf_counter()
        found, made = pipeline.extractor(doc, document.id, mentions)
        costs["kg relations (patterns, titles)"] += time.perf_counter() - started
        started = time.perf_counter()
        titles = [(r.subject, r.object.text) for r in found if r.predicate == "holds_role" and r.subject.label != "NOMINAL"]
        resolve_document(document, [*mentions, *made], pipeline.rules, titles)
        costs["kg in-document resolution"] += time.perf_counter() - started
    total = sum(costs.values())
    print(f"{len(documents)} BBC articles, {words:,} words, per-document stage {total:.1f} s (one process, components one document at a time)")
    print(f"{'part':<36} {'seconds':>8} {'share':>7}")
    for name, seconds in costs.most_common():
        print(f"{name:<36} {seconds:>8.2f} {seconds / total:>7.1%}")


if __name__ == "__main__":
    main()
