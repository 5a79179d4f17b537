"""What a student feels when moving a slider: key press to repainted figure, in JupyterLab.

Run with ``make bench-ui``. Starts JupyterLab on 127.0.0.1 (as Binder would, with the chapters
opened as notebooks), opens every chapter with sliders in headless Chromium, runs all its
cells, then presses the arrow keys on each slider (right, left, right, ...; ``--moves`` per
slider, the figure left to settle between presses) and times each press from the key event to
the paint of the new figure. Prints each chapter's median and writes ``benchmarks/ui.json``,
which the reproducibility page of the book shows. A benchmark, not a test: the times depend on
the machine and its load.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import lab  # noqa: E402

TARGET_MS = 100.0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("chapters", nargs="*", default=list(lab.WIDGET_CHAPTERS))
    ap.add_argument("--moves", type=int, default=6, help="key presses per slider")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "ui.json"))
    args = ap.parse_args(argv)
    results = {}
    with lab.jupyterlab() as (base, token), lab.browser() as page:
        for name in args.chapters:
            chapter = lab.Chapter(page, base, token, name)
            chapter.run_all()
            errors = chapter.errors()
            if errors:
                raise SystemExit(f"{name}: the chapter did not run cleanly:\n" + errors[0])
            handles = chapter.sliders()
            times = []
            for i in range(handles.count()):
                chapter.move(handles.nth(i), "ArrowRight")  # first move: warm-up, not counted
                chapter.move(handles.nth(i), "ArrowLeft")
                for k in range(args.moves):
                    ms = chapter.move(handles.nth(i), ("ArrowRight", "ArrowLeft")[k % 2])
                    if ms is None:
                        raise SystemExit(f"{name}: slider {i} did not redraw its figure.")
                    times.append(ms)
            results[name] = {"sliders": handles.count(), "moves": len(times),
                             "median_ms": round(statistics.median(times), 1),
                             "max_ms": round(max(times), 1)}
            print(f"{name:13s} {handles.count()} sliders, {len(times):2d} moves: median "
                  f"{results[name]['median_ms']:6.1f} ms, max {results[name]['max_ms']:6.1f} ms",
                  flush=True)
    report = {"date": datetime.date.today().isoformat(), "machine": platform.machine(),
              "cpus": os.cpu_count(), "target_ms": TARGET_MS, "chapters": results}
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    slow = [n for n, r in results.items() if r["median_ms"] > TARGET_MS]
    print(f"written to {args.out}; " + (f"median above {TARGET_MS:.0f} ms: {slow}" if slow
                                        else f"every median at or below {TARGET_MS:.0f} ms"))


if __name__ == "__main__":
    main()
