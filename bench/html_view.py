"""Load time and frame rate of the HTML view (kg export --format html) in headless Chromium.

Writes the view of a generated corpus graph of about --nodes nodes (tests/corpus_graph.py: documents,
people, organisations, places, roles and events with Zipf-like popularity), opens it in Debian's
Chromium over the DevTools pipe (tests/headless.py), and reports the medians of --runs loads:

- in_page_ms.ready: from navigation until the first frame is drawn (page loaded, data parsed, graph
  made, nodes placed by community), with its parts (parse, graph, firstFrame: since the script began);
- in_page_ms.layout: how long the ForceAtlas2 layout then takes to settle (it runs in fixed steps
  after the first frame, the page usable meanwhile; settled: since the page began to load);
- frames_per_second while the camera pans and zooms for --seconds seconds (sigma's afterRender
  events), and page_thread_ms_per_frame, the work of one frame on the page's thread (labels and
  WebGL calls, timed around sigma's render()).

Headless Chromium draws WebGL with its software renderer (SwiftShader) on the CPU, so the frames
per second measure that renderer on this machine; the page-thread time per frame is what the view
itself costs, with any GPU.

    python bench/html_view.py --nodes 5000
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from corpus_graph import corpus_graph  # noqa: E402
from headless import Browser, find_chromium  # noqa: E402

from kg.export.html import write_html  # noqa: E402

FRAMES = """new Promise((done) => {
  const r = kgView.renderer, camera = r.getCamera();
  let frames = 0, work = 0, renders = 0;
  r.on("afterRender", () => { frames += 1; });
  const start = performance.now(), seconds = %f;
  function step(now) {
    const t = (now - start) / 1000;
    const x = 0.5 + 0.2 * Math.sin(t * 2), y = 0.5 + 0.2 * Math.cos(t * 2);
    camera.setState({ x, y, ratio: 0.6 + 0.4 * Math.sin(t), angle: 0 });
    const before = performance.now();
    r.render();  // the frame's work on the page's thread: labels, WebGL calls
    work += performance.now() - before; renders += 1;
    if (t < seconds) requestAnimationFrame(step); else done({ frames, seconds: t, ms: work / renders });
  }
  requestAnimationFrame(step);
})"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=5000, help="about how many nodes (a quarter are documents)")
    parser.add_argument("--runs", type=int, default=3, help="page loads to take the median of")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to move the camera")
    args = parser.parse_args()
    binary = find_chromium()
    if binary is None:
        sys.exit("bench/html_view.py: Chromium is not installed (apt-get install chromium)")
    documents = args.nodes // 4
    graph = corpus_graph(documents, entities=args.nodes - documents)
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "view.html"
        started = time.perf_counter()
        write_html(graph, page)
        written = time.perf_counter() - started
        timings, fps, frame_ms = [], [], []
        for run in range(args.runs):
            with Browser(binary, Path(folder) / f"profile{run}") as browser:
                browser.open(page.as_uri())
                timings.append(browser.evaluate("kgView.settled"))
                result = browser.evaluate(FRAMES % args.seconds)
                fps.append(result["frames"] / result["seconds"])
                frame_ms.append(result["ms"])
                if browser.errors():
                    sys.exit(f"the page had errors: {browser.errors()}")
        shown = {"nodes": len(graph.entities) + len(graph.documents), "relations": len(graph.relations)}
        report = {
            "graph": shown,
            "html_bytes": page.stat().st_size,
            "write_html_s": round(written, 2),
            "in_page_ms": {
                k: round(statistics.median(t[k] for t in timings))
                for k in ("parse", "graph", "firstFrame", "ready", "layout", "settled")
            },
            "frames_per_second": round(statistics.median(fps), 1),
            "page_thread_ms_per_frame": round(statistics.median(frame_ms), 1),
            "runs": args.runs,
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
