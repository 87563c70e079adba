"""Figures for issue 19 on the corpus: is the notebook a frontend saves after
reactive edits what plain ipykernel saves after Restart & Run All?

Runs the harness of tests/test_saved_corpus.py (tests/support/saved_corpus.py)
on the same selection (``SAVED_CORPUS`` unset: the CI sample of
``SAVED_CORPUS_N`` notebooks; ``all``; globs) with ``SAVED_CORPUS_EDITS``
edits each, with the scripted companion and without one, and prints per
frontend: notebooks, edits, cells compared, cells identical by the issue's
rule (companion: output types and text; none: text), notebooks fully
identical, and the differences by kind with one example each.

    SAVED_CORPUS_N=24 python benchmarks/saved_report.py [--json saved.json] [--only companion|none]

Measured (24 notebooks, 3 edits each, 869 cells; 534 s): 857 cells identical,
2 different (pydata-book ch08: draws from the seeded generator after a cell
that warned), 9 nondeterministic, 1 cancelled; 23/24 notebooks identical,
counts increasing 24/24; the same without a companion (text).
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import corpus  # noqa: E402
from tests.support import saved_corpus  # noqa: E402


def print_figures(results: list[saved_corpus.Result], companion: bool) -> None:
    mine = [r for r in results if r.companion == companion]
    if not mine:
        return
    cells = [c for r in mine for c in r.cells]
    verdicts = collections.Counter(c.verdict for c in cells)
    rule = "output types + text" if companion else "text"
    print(f"\n== {'with the scripted companion' if companion else 'without a companion'} ==")
    print(f"notebooks: {len(mine)}   edits: {sum(len(r.edits) for r in mine)}   cells compared: {len(cells)}")
    print(f"cells identical to Restart & Run All ({rule}): {verdicts['identical']}/{len(cells)}"
          f"   different: {verdicts['different']}")
    print(f"  not compared: nondeterministic (two plain runs differ) {verdicts['nondeterministic']}, "
          f"cancelled by the last plan that reached them (an upstream cell failed; keep their old outputs) "
          f"{verdicts['cancelled']}")
    print(f"notebooks fully identical (cells not compared aside"
          f"{', counts increasing' if companion else ''}): {sum(r.identical for r in mine)}/{len(mine)}")
    if companion:
        checked = [r for r in mine if r.counts_increase is not None]
        print(f"last request's cells numbered increasing down the page: "
              f"{sum(r.counts_increase for r in checked)}/{len(checked)}")
    failed = [r for r in mine if r.failure]
    for r in failed:
        print(f"  not finished: {r.notebook}: {r.failure}")
    kinds: dict[str, list[tuple[str, saved_corpus.Cell]]] = {}
    for r in mine:
        for c in r.differences():
            kinds.setdefault(c.kind, []).append((r.notebook, c))
    if kinds:
        print("differences by kind (cells / notebooks), one example each:")
    for kind, found in sorted(kinds.items(), key=lambda k: -len(k[1])):
        name, c = found[0]
        print(f"  {kind}: {len(found)} / {len({n for n, _ in found})}")
        print(f"    e.g. {name} cell {c.index} ({c.id})")
        print(f"      expected {saved_corpus.short(c.expected)}")
        print(f"      got      {saved_corpus.short(c.got)}")
    for r in mine:
        if r.counts_increase is False:
            print(f"  counts not increasing: {r.notebook} (last request ran {r.last_ran})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", help="write per-notebook results here")
    parser.add_argument("--only", choices=["companion", "none"])
    args = parser.parse_args()
    entries = saved_corpus.sample(corpus.manifest())
    if not entries:
        sys.exit(f"no corpus notebooks at {corpus.CORPUS}")
    frontends = {"companion": [True], "none": [False]}.get(args.only, [True, False])
    start = time.perf_counter()
    results: list[saved_corpus.Result] = []
    for i, entry in enumerate(entries, 1):
        run = saved_corpus.SavedRun(entry)
        for companion in frontends:
            t = time.perf_counter()
            try:
                result = run.result(companion)
            except Exception as e:  # a harness failure is a figure too, not the end of the report
                result = saved_corpus.Result(entry["name"], companion, [], failure=f"{type(e).__name__}: {e}")
                traceback.print_exc()
            results.append(result)
            print(f"[{i}/{len(entries)}] {entry['name']} ({'companion' if companion else 'none'}): "
                  f"{'identical' if result.identical else f'{len(result.differences())} cells differ'}"
                  f"{' (' + result.failure + ')' if result.failure else ''} in {time.perf_counter() - t:.0f} s",
                  flush=True)
    wall = time.perf_counter() - start
    print(f"\nsample: SAVED_CORPUS={saved_corpus.SPEC or '(default)'} SAVED_CORPUS_N={saved_corpus.SAMPLE} "
          f"SAVED_CORPUS_EDITS={saved_corpus.EDITS}   wall: {wall:.0f} s")
    for companion in (True, False):
        print_figures(results, companion)
    if args.json:
        Path(args.json).write_text(json.dumps([r.as_dict() for r in results], indent=1, default=str))


if __name__ == "__main__":
    main()
