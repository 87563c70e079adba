"""Memory of the reactive kernel next to plain ipykernel, on the corpus's real notebooks.

Each notebook runs in both kernels, one after the other, as a frontend runs
it (tests/corpus.py's Frontend: one request per code cell, with its cell id):

- Run All, then the kernel process's resident memory (``VmRSS``) and its
  peak (``VmHWM``), from /proc;
- every cell run once more, top to bottom (what a person does who reruns
  cells to look again; the reactive kernel may rerun readers too), then the
  same two figures.

The reactive kernel is also asked what its engine keeps of the notebook's
values beyond what the namespace holds: the overwritten lists, dicts and
sets its digests hold (see reactive_kernel/core/digests.py), with their
pickled size.

Reported per notebook and as ratios reactive / plain (median, range, and the
sum over notebooks).  Memory figures of a CPython process are coarse (freed
memory stays in the allocator's arenas), so only ratios over many notebooks
mean much; nothing here asserts.

    python benchmarks/bench_memory.py [--corpus GLOB[,GLOB]] [--budget SECONDS] [--json out.json]

Without ``--corpus``, the selection of tests/test_corpus.py (``CORPUS``
unset) within ``--budget`` seconds of plain Run All (default 150).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import corpus  # noqa: E402

#: asked of the reactive kernel (a silent request: never registered)
HELD = """
import pickle as _p
from reactive_kernel.core.digests import _Held as _H
_e = get_ipython().kernel.engine
_h = [d.held.value for c in _e.cells.values() for d in c.digests.values() if type(d.held) is _H]
print(len(_h), sum(len(_p.dumps(v, protocol=5)) for v in _h))
del _p, _H, _e, _h
"""


def memory(front: corpus.Frontend) -> dict[str, float]:
    """The kernel process's resident and peak resident memory, in MB."""
    found = {}
    with open(f"/proc/{front.km.provisioner.process.pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    return {"rss": found["VmRSS"], "peak": found["VmHWM"]}


def measure(kernel: str, entry: dict) -> dict:
    cells = corpus.code_cells(entry)
    with corpus.Frontend(kernel, entry) as front:
        start = time.perf_counter()
        for cell in cells:
            front.run(cell.id, cell.code)
        after_run_all = memory(front)
        for cell in cells:
            front.run(cell.id, cell.code)
        after_reruns = memory(front)
        result = {"run_all": after_run_all, "reruns": after_reruns,
                  "seconds": round(time.perf_counter() - start, 1), "dead": front.dead}
        if kernel == corpus.REACTIVE and not front.dead:
            shown = front.silent(HELD).split()
            result["held"] = {"lists": int(shown[0]), "pickled_bytes": int(shown[1])} if len(shown) == 2 else None
    return result


def ratios(rows: list[dict], phase: str, key: str) -> str:
    pairs = [(r["plain"][phase][key], r["reactive"][phase][key]) for r in rows]
    each = [b / a for a, b in pairs]
    summed = sum(b for _, b in pairs) / sum(a for a, _ in pairs)
    return f"median {statistics.median(each):.3f}x  range {min(each):.3f}-{max(each):.3f}  summed {summed:.3f}x"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=None, help="notebook globs (default: the test selection)")
    parser.add_argument("--budget", type=float, default=150.0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    entries = corpus.select(corpus.manifest(), args.corpus, budget=args.budget)
    rows = []
    for entry in entries:
        row = {"name": entry["name"], "plain": measure(corpus.PLAIN, entry),
               "reactive": measure(corpus.REACTIVE, entry)}
        if row["plain"]["dead"] or row["reactive"]["dead"]:
            print(f"{entry['name']}: a kernel died; left out", flush=True)
            continue
        rows.append(row)
        p, r = row["plain"], row["reactive"]
        print(f"{entry['name']:55} Run All {p['run_all']['rss']:7.1f} -> {r['run_all']['rss']:7.1f} MB   "
              f"reruns {p['reruns']['rss']:7.1f} -> {r['reruns']['rss']:7.1f} MB   "
              f"peak {p['reruns']['peak']:7.1f} -> {r['reruns']['peak']:7.1f} MB   held {r.get('held')}",
              flush=True)
    if not rows:
        print("no notebook measured")
        return
    print(f"\n{len(rows)} notebooks, reactive / plain:")
    for phase, label in (("run_all", "after Run All"), ("reruns", "after every cell again")):
        print(f"  resident, {label:24} {ratios(rows, phase, 'rss')}")
        print(f"  peak,     {label:24} {ratios(rows, phase, 'peak')}")
    held = [r["reactive"].get("held") or {"lists": 0, "pickled_bytes": 0} for r in rows]
    print(f"  overwritten lists/dicts/sets digests hold: {sum(h['lists'] for h in held)} in all, "
          f"{sum(h['pickled_bytes'] for h in held) / 1e6:.2f} MB pickled; "
          f"most in one notebook {max(h['pickled_bytes'] for h in held) / 1e6:.2f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
