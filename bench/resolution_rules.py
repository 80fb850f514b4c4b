"""Each in-document resolution rule's effect on news_dev (alias groups, facts) and on Re-DocRED dev
(B-cubed and MUC over the gold mentions): the whole rule set, then each rule switched off.

Run: python bench/resolution_rules.py   (needs ../shared/data; about a minute per rule)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
RULES = (
    "one type",
    "acronym",
    "other name",
    "partial name",
    "shorter name",
    "organisation's first word",
    "title used alone",
    "description",
    "description by name",
    "office of the one untitled person",
    "subject continues",
    "pronoun",
    "pronoun gender",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", nargs="*", default=list(RULES), help="rules to switch off one at a time")
    args = parser.parse_args()
    from kg.build import DocumentPipeline, Settings, assemble_graph
    from kg.documents import read_file
    from kg.evaluate import load_gold, load_mapping, score_resolution
    from kg.evaluate_facts import load_facts, score_facts, spacy_phrase_words

    if not (DATA / "news_dev").is_dir() or not (DATA / "redocred").is_dir():
        sys.exit(f"bench: {DATA} has no news_dev or redocred")
    facts = load_facts(DATA / "news_dev")
    redocred = load_gold(DATA / "redocred" / "dev.jsonl")
    mapping = load_mapping(None, redocred)
    pipeline = DocumentPipeline(Settings())
    documents = [d for doc, path in sorted(facts.files.items()) for d in read_file(path, doc)]
    annotated = list(zip(pipeline.nlp.pipe(d.text for d in documents), documents))
    words = spacy_phrase_words(pipeline.nlp)
    base_rules = pipeline.rules
    print(
        f"{'rules':<26} {'news_dev not split':>18} {'joined':>7} {'recall':>7} {'precision':>9}"
        f" {'ReDocRED B3-F1':>15} {'MUC-F1':>7}"
    )
    for off in [None, *args.rules]:
        rules = dataclasses.replace(base_rules, off=frozenset({off} if off else ()))
        pipeline.rules = rules
        graph = assemble_graph((pipeline.result(doc, d) for doc, d in annotated), pipeline.resources, rules)
        scores = score_facts(facts, graph, words).as_dict()
        res = score_resolution(redocred, mapping, rules)["kg"]
        groups = scores["alias_groups"]
        name = "all rules" if off is None else f"without {off}"
        print(
            f"{name:<26} {groups['not_split_ratio']:>18.3f} {groups.get('joined', 0):>7d} {scores['recall']:>7.3f} "
            f"{scores['precision']['strict']:>9.3f} {res['b_cubed']['f1']:>15.4f} {res['muc']['f1']:>7.4f}"
        )


if __name__ == "__main__":
    main()
