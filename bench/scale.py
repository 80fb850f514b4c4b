"""Benchmark: kg build at scale, whole processes, one table.

Rows: a clean build that fills an empty cache; a rebuild with nothing changed; a rebuild after
changing one document; after adding one; clean builds (no cache) with 1 and 2 processes and with the
Dask engine's local cluster (2 workers); and the corpus copied under 2 and 4 prefixes (1x is the
1-process row). Columns: wall time, documents (from the cache), words/s, peak memory of the largest
process (/usr/bin/time -v). It also checks that the incremental build's graph.json equals, byte for
byte, that of the clean build of the same corpus.

    python bench/scale.py                   # the BBC corpus, ../shared/data/bbc (2,225 articles)
    python bench/scale.py --quick           # 200 articles, 1x and 2x: a few minutes
    python bench/scale.py --limit 500 --scales 1 2 4
    python bench/scale.py --limit 1000 --scales 1 2 4 --memory-only   # the clean builds at each scale only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BBC = ROOT.parent / "shared" / "data" / "bbc"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_overhead import spread  # noqa: E402 - the same article order as the overhead bench


def kg_build(docs: Path, out: Path, *options: str) -> dict:
    command = [sys.executable, "-m", "kg", "build", str(docs), "-o", str(out), "-q", *options]
    timed = ["/usr/bin/time", "-v", *command] if Path("/usr/bin/time").exists() else command
    started = time.perf_counter()
    # each build with its own string-hash seed (Python's default): the byte-for-byte comparison of the
    # incremental and the clean build checks that the graph does not depend on it either
    done = subprocess.run(timed, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"kg build failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    peak = float("nan")
    for line in done.stderr.splitlines():
        if "Maximum resident set size" in line:
            peak = int(line.split()[-1]) / 1024
    report = json.loads((out / "report.json").read_text())
    return {
        "seconds": seconds,
        "peak": peak,
        "documents": report["documents_read"],
        "words": report["words"],
        "cached": report.get("documents_from_cache", 0),
    }


def cache_rows(corpus: Path, tmp: Path, row: Callable[[str, dict], None]) -> None:
    """The rows of the build cache: a clean build filling it, rebuilds with nothing changed, after
    changing one document, after adding one (the corpus folder is changed in place)."""
    env_cache = ["--cache", str(tmp / "cache")]
    row("clean build, empty cache", kg_build(corpus.parent, tmp / "clean", *env_cache))
    row("rebuild, nothing changed", kg_build(corpus.parent, tmp / "same", *env_cache))
    documents = sorted(corpus.iterdir())
    changed = documents[len(documents) // 2]
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\nLater, Tony Blair met Gordon Brown in London.\n", encoding="utf-8"
    )
    row("rebuild, one document changed", kg_build(corpus.parent, tmp / "changed", *env_cache))
    (corpus / "zz_added.txt").write_text("Gordon Brown met Tony Blair in Edinburgh on Friday.\n", encoding="utf-8")
    row("rebuild, one document added", kg_build(corpus.parent, tmp / "added", *env_cache))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=BBC, help="folder of .txt files (default ../shared/data/bbc)")
    parser.add_argument("--limit", type=int, default=0, help="number of files, 0 for all (default)")
    parser.add_argument(
        "--scales", type=int, nargs="+", default=[1, 2, 4], help="corpus copies to build (default 1 2 4)"
    )
    parser.add_argument("--quick", action="store_true", help="200 files, scales 1 and 2")
    parser.add_argument("--no-engine", action="store_true", help="leave out the Dask local cluster row")
    parser.add_argument(
        "--memory-only", action="store_true", help="only the 1-process clean builds at each scale (peak memory)"
    )
    args = parser.parse_args()
    if args.quick:
        args.limit, args.scales = args.limit or 200, [s for s in args.scales if s <= 2]
    if not args.corpus.is_dir():
        sys.exit(f"{args.corpus}: no such folder (the BBC corpus lives in ../shared/data/bbc)")
    files = spread(sorted(args.corpus.rglob("*.txt")))
    files = files[: args.limit] if args.limit else files
    rows: list[tuple[str, dict]] = []

    def row(name: str, figures: dict) -> None:
        rows.append((name, figures))
        print(f"  {name}: {figures['seconds']:.1f} s", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = tmp / "corpus" / "c0"  # a real copy: one document is changed, one added
        corpus.mkdir(parents=True)
        for n, f in enumerate(files):
            shutil.copyfile(f, corpus / f"{n:05d}_{f.parent.name}_{f.name}")
        scales: dict[int, dict] = {}
        if not args.memory_only:
            cache_rows(corpus, tmp, row)
        one = scales[1] = kg_build(corpus.parent, tmp / "scale1", "--no-cache")
        identical = (
            args.memory_only
            or (tmp / "added" / "graph.json").read_bytes() == (tmp / "scale1" / "graph.json").read_bytes()
        )
        row("clean, no cache, 1 process (1x)", one)
        if not args.memory_only:
            row("clean, no cache, 2 processes", kg_build(corpus.parent, tmp / "two", "--no-cache", "--processes", "2"))
        if not args.no_engine and not args.memory_only:
            row(
                "clean, no cache, dask local cluster (2 workers)",
                kg_build(corpus.parent, tmp / "dask", "--no-cache", "--engine", "dask", "--processes", "2"),
            )
        for scale in sorted(s for s in args.scales if s > 1):
            for k in range(1, scale):  # the same corpus under more prefixes (copies: kg reads a file linked twice once)
                copy = tmp / "corpus" / f"c{k}"
                if not copy.exists():
                    shutil.copytree(corpus, copy)
            scales[scale] = kg_build(tmp / "corpus", tmp / f"scale{scale}", "--no-cache")
            row(f"clean, no cache, 1 process ({scale}x)", scales[scale])
    print(f"kg build at scale: {len(files)} base files ({args.corpus}); {os.cpu_count()} cores, shared with other jobs")
    print(f"{'run':<50} {'wall s':>8} {'docs':>6} {'cached':>6} {'words/s':>9} {'peak MB':>8}")
    for name, f in rows:
        print(
            f"{name:<50} {f['seconds']:8.1f} {f['documents']:6d} {f['cached']:6d} {f['words'] / f['seconds']:9,.0f} "
            f"{f['peak']:8.0f}"
        )
    if not args.memory_only:
        clean = rows[0][1]["seconds"]
        changed_s = rows[2][1]["seconds"]
        print(f"rebuild after one change: {changed_s / clean:.1%} of the clean build's time (goal <= 10%)")
        print(f"incremental graph.json equals the clean build's byte for byte: {'yes' if identical else 'NO'}")
    for scale in sorted(scales):
        if scale > 1:
            print(f"peak memory at {scale}x / 1x: {scales[scale]['peak'] / one['peak']:.2f}  (goal at 4x <= 1.3)")
    if not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
