"""Benchmark: kg train on the CoNLL04 train split, scored on its dev split with kg eval (strict:
entity spans and types right, and the relation label), with the training time and the published
figures for comparison.

    python bench/train_conll04.py                 # writes the model to bench/models/conll04 (git-ignored)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "conll04"
PUBLISHED = {"SpERT (2020)": 71.5, "Table-sequence (2020)": 73.6, "REBEL (2021)": 75.4, "ReLiK (2024)": 78.1}


def main() -> None:
    if not DATA.is_dir():
        sys.exit(f"{DATA}: no such folder (CoNLL04 lives in ../shared/data/conll04)")
    model = ROOT / "bench" / "models" / "conll04"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kg", "train", str(DATA / "train.jsonl"), "--dev", str(DATA / "dev.jsonl"), "-o", str(model)], check=True)
    seconds = time.perf_counter() - started
    out = subprocess.run([sys.executable, "-m", "kg", "eval", str(DATA / "dev.jsonl"), "--model", str(model), "--json"],
                         check=True, capture_output=True, text=True)
    scores = json.loads(out.stdout)["extraction"]
    entities, relations = scores["entities"], scores["relations"]
    print(f"CoNLL04 dev, strict ({scores['documents']} sentences); training took {seconds:.0f} s on this machine")
    print(f"entity F1 {100 * entities['micro']['f1']:.1f}   relation micro-F1 {100 * relations['micro']['f1']:.1f}"
          f" (P {100 * relations['micro']['precision']:.1f}, R {100 * relations['micro']['recall']:.1f})")
    for label, r in sorted(relations["labels"].items()):
        print(f"  {label:<12} P {100 * r['precision']:5.1f}  R {100 * r['recall']:5.1f}  F1 {100 * r['f1']:5.1f}")
    print("published relation micro-F1 (test split): " + ", ".join(f"{k} {v}" for k, v in PUBLISHED.items()) + "; SpERT entity F1 88.9")


if __name__ == "__main__":
    main()
