"""The cell cache's write cost on the corpus (issue 22: "the cost of writing
entries during a normal Run All (<= 5% on the corpus)").

For each notebook of the selection, Run All in the reactive kernel twice,
each in a fresh kernel with an empty cache directory of its own: once with
``%reactive cache off`` and once with ``%reactive cache auto 0`` (every cell
that completes is stored where the policy allows).  The two runs of a
notebook follow each other, in alternating order from one notebook to the
next, so load that drifts over the run falls on both.  Only the Run All is
timed (execute_request sent to idle after the last cell), not the kernel's
start.  Prints the ratio auto 0 / off: of the sums, and the median, min and
max over notebooks, plus what was stored.

    python benchmarks/bench_cache_corpus.py                  # the corpus CI selection (tests/test_corpus.py)
    CORPUS='pydata-book' python benchmarks/bench_cache_corpus.py --repeats 2 --json out.json

``--threshold T`` runs the auto mode with that threshold instead of 0:
``--threshold 1`` is ``%reactive cache auto`` as shipped (cells of 1 s or
more stored), the write cost a user who turns the mode on pays.

``--warm`` does, untimed and in both modes, what a kernel's first cache key
may pay once per process (importing the storage, and
``importlib.metadata.packages_distributions()``, about 0.4 s, now needed
only for a namespace package's version): what remains is the cost of the
keys and the writes themselves.

The machine's load average is printed before and after: on a shared machine
the per-notebook ratios of sub-second notebooks are noise, the ratio of the
sums much less so.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import corpus  # noqa: E402


def stored(root: Path) -> tuple[int, int]:
    """(entries, bytes) in a cache directory."""
    folder = root / "entries" / "entries"
    files = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    return len(files), sum(p.stat().st_size for p in files)


#: what the first key of a process pays once (see --warm)
WARM = "import reactive_kernel.cache\nfrom reactive_kernel.core import keys as _keys\n_keys._distributions()"


def run_all(entry: dict, cells: list[corpus.Cell], mode: str, warm: bool = False, threshold: float = 0) -> dict:
    """Run All in a fresh reactive kernel with the cache ``off`` or ``auto`` (with ``threshold``)."""
    front = corpus.Frontend(corpus.REACTIVE, entry, cache=True)  # auto 0, saved notebook file
    try:
        if mode == "off":
            front.silent("%reactive cache off")
        elif threshold:
            front.silent(f"%reactive cache auto {threshold:g}")
        if warm:
            front.silent(WARM)
        result = corpus.run_all(front, cells)
        count, size = stored(front.cache_root)
        return {"seconds": result.seconds, "entries": count, "bytes": size,
                "failed": sorted(c["index"] for c in result.cells if c["status"] != "ok")}
    finally:
        front.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="pairs of runs per notebook")
    parser.add_argument("--json", help="write per-notebook figures here")
    parser.add_argument("--threshold", type=float, default=0,
                        help="the auto mode's threshold in seconds (0: every cell; 1: as shipped)")
    parser.add_argument("--warm", action="store_true",
                        help="pay the first key's once-per-process costs before timing, in both modes")
    args = parser.parse_args()
    entries = corpus.select(corpus.manifest())
    if not entries:
        sys.exit(f"no corpus notebooks at {corpus.CORPUS}")
    load_before, start = os.getloadavg(), time.perf_counter()
    rows = []
    for i, entry in enumerate(entries):
        cells = corpus.code_cells(entry)
        runs = {"off": [], "auto": []}
        for r in range(args.repeats):
            order = ("off", "auto") if (i + r) % 2 == 0 else ("auto", "off")
            for mode in order:
                runs[mode].append(run_all(entry, cells, mode, args.warm, args.threshold))
        off = statistics.median(x["seconds"] for x in runs["off"])
        auto = statistics.median(x["seconds"] for x in runs["auto"])
        row = {"notebook": entry["name"], "cells": len(cells), "off": round(off, 3), "auto": round(auto, 3),
               "ratio": round(auto / off, 3) if off else None, "entries": runs["auto"][-1]["entries"],
               "bytes": runs["auto"][-1]["bytes"],
               "same_failures": all(x["failed"] == runs["off"][0]["failed"] for x in runs["off"] + runs["auto"])}
        rows.append(row)
        print(f"[{i + 1}/{len(entries)}] {entry['name']}: off {off:.2f} s, auto {args.threshold:g} {auto:.2f} s, "
              f"{row['ratio']}x, {row['entries']} entries, {row['bytes'] / 1e6:.1f} MB", file=sys.stderr, flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=1))
    load_after = os.getloadavg()
    summary = corpus.ratio_summary([(r["auto"], r["off"]) for r in rows])
    ratios = sorted(r["ratio"] for r in rows if r["ratio"])
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    print(f"notebooks: {len(rows)}, code cells: {sum(r['cells'] for r in rows)}, pairs per notebook: "
          f"{args.repeats}{', warm' if args.warm else ''}, wall {time.perf_counter() - start:.0f} s")
    print(f"Run All, cache auto {args.threshold:g} / cache off: sums {summary['sum_reactive']} s / "
          f"{summary['sum_plain']} s = {summary['ratio_of_sums']}x; per notebook median {summary['median_ratio']}x "
          f"(quartiles {quartiles[0]:.3f}-{quartiles[2]:.3f}, min {summary['min_ratio']}x, "
          f"max {summary['max_ratio']}x)")
    print(f"stored: {sum(r['entries'] for r in rows)} entries, {sum(r['bytes'] for r in rows) / 1e6:.1f} MB; "
          f"same failing cells in both modes: {sum(r['same_failures'] for r in rows)}/{len(rows)}")
    print(f"load average (1, 5, 15 min) before {tuple(round(x, 2) for x in load_before)}, "
          f"after {tuple(round(x, 2) for x in load_after)}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
