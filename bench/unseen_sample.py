"""Build a sample of BBC articles that are not in news_dev, for reading kg's output by hand.

Draws 25 articles (7 politics, 7 business, 6 tech, 5 entertainment) with a fixed seed from
../shared/data/bbc, leaving out news_dev's 30 and every file in bbc/duplicates.tsv, links them
into a folder, builds them with default settings, and prints the typed edges with their evidence
sentences, one per line, ready to be judged (correct / wrong) by the rules of news_dev's README.
The README's figures for this sample (typed-edge precision, recall on 8 of the articles) were
judged by hand from this output.

Run: python bench/unseen_sample.py [--seed 2026] [--out /tmp/unseen]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
PER_CATEGORY = (("politics", 7), ("business", 7), ("tech", 6), ("entertainment", 5))
TYPED = {
    "holds_role",
    "leader_of",
    "works_for",
    "member_of",
    "met_with",
    "met_at",
    "located_in",
    "announced",
    "criticised",
    "part_of",
}


def sample(seed: int) -> list[str]:
    bbc = DATA / "bbc"
    dev = {
        json.loads(line)["doc"] for line in (DATA / "news_dev" / "facts.jsonl").read_text().splitlines() if line.strip()
    }
    duplicates = {name for line in (bbc / "duplicates.tsv").read_text().splitlines() for name in line.split()}
    rng = random.Random(seed)
    chosen = []
    for category, n in PER_CATEGORY:
        files = sorted(f.name for f in (bbc / category).glob("*.txt"))
        candidates = [f for f in files if f"{category}/{f}" not in dev and f"{category}/{f}" not in duplicates]
        chosen += [f"{category}/{f}" for f in sorted(rng.sample(candidates, n))]
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=Path("/tmp/unseen"))
    args = parser.parse_args()
    if not (DATA / "bbc").is_dir():
        sys.exit(f"bench: {DATA / 'bbc'} is not here")
    docs = args.out / "docs"
    for name in sample(args.seed):
        target = docs / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.symlink_to(DATA / "bbc" / name)
    subprocess.run(
        [sys.executable, "-m", "kg", "build", str(docs), "-o", str(args.out / "graph"), "-q", "--no-cache"], check=True
    )
    labels = {r["Id"]: r["Label"] for r in csv.DictReader((args.out / "graph" / "nodes.csv").open(encoding="utf-8"))}
    for row in csv.DictReader((args.out / "graph" / "edges.csv").open(encoding="utf-8")):
        if row["layer"] == "schema" and row["relation"] in TYPED:
            print(
                "\t".join(
                    [
                        row["document"],
                        labels.get(row["Source"], row["Source"]),
                        row["relation"],
                        labels.get(row["Target"], row["Target"]),
                        row["status"],
                        row["evidence"],
                    ]
                )
            )


if __name__ == "__main__":
    main()
