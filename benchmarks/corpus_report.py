"""Figures for the third-party notebook corpus: the reactive kernel next to plain ipykernel.

Runs the harness of tests/test_corpus.py (tests/corpus.py) on the same
selection (``CORPUS`` unset: the CI selection; ``CORPUS=all``; ``CORPUS=<glob>``)
and prints: notebooks, code cells, Run All differences by kind, refusals,
cells run more than once, cascade sizes of random reruns and edits,
namespace equivalence K/N, and reactive vs plain Run All time.

    python benchmarks/corpus_report.py [--json report.json] [--no-actions]
    CORPUS_RESULTS=r.jsonl python -m pytest -m corpus; python benchmarks/corpus_report.py --from r.jsonl
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import corpus  # noqa: E402


def run_notebook(entry: dict, actions: bool) -> dict:
    run = corpus.NotebookRun(entry)
    try:
        return run.details(run.random_actions() if actions else None)
    finally:
        run.close()


def print_figures(details: list[dict], wall: float) -> None:
    n_cells = sum(d["code_cells"] for d in details)
    kinds = collections.Counter(x["kind"] for d in details for x in d["differences"])
    nb_kinds = collections.Counter(k for d in details for k in {x["kind"] for x in d["differences"]})
    print(f"notebooks: {len(details)}   code cells: {n_cells}" + (f"   wall: {wall:.0f} s" if wall == wall else ""))
    clean = sum(not d["differences"] for d in details)
    print(f"Run All identical to ipykernel (after normalising): {clean}/{len(details)} notebooks")
    print("Run All differences by kind (cells / notebooks):")
    for kind, n in kinds.most_common():
        print(f"  {kind:40} {n:5} / {nb_kinds[kind]}")
    print(f"  allowed (cancelled, upstream failed)     {sum(d['allowed']['cancelled_upstream'] for d in details):5}")
    print(f"  allowed (same text, folded into one display) "
          f"{sum(d['allowed'].get('folded_same_text', 0) for d in details):5}")
    print(f"refusals (cycle): {sum(d['refusals'] for d in details)}")
    print(f"cells run more than once in a Run All: {sum(len(d['ran_more_than_once']) for d in details)}")
    acts = [a for d in details for a in d.get("random", {}).get("actions", [])]
    if acts:
        for kind in ("rerun", "edit"):
            sizes = [a["ran"] for a in acts if a["action"] == kind]
            h = corpus.histogram(sizes)
            print(f"cascade size (len of ran), {kind} ({len(sizes)} actions): "
                  + "  ".join(f"{b}: {n}" for b, n in h.items()))
        compared = [a for a in acts if a["compared"]]
        same = [a for a in compared if not a.get("differs")]
        print(f"namespace equivalent to a fresh plain Run All: {len(same)}/{len(compared)} compared states "
              f"({len(acts) - len(compared)} of {len(acts)} not compared: stale cells or a dead kernel)")
        lone = [a for a in acts if a["action"] == "rerun" and a["readers"] == [] and a["needs_only_itself"]
                and a["status"] == "ok"]
        print(f"reruns of a cell nobody reads that needs no ancestor, ran alone: "
              f"{sum(a['ran'] == 1 for a in lone)}/{len(lone)}")
        print(f"reruns with descendants that read nothing from the plan: "
              f"{sum(bool(a.get('unexplained')) for a in acts)}")
    t = corpus.ratio_summary([(d["seconds_reactive"], d["seconds_plain"]) for d in details])
    if t:
        print(f"Run All time, reactive vs plain: sums {t['sum_reactive']} s / {t['sum_plain']} s "
              f"= {t['ratio_of_sums']}x; per notebook median {t['median_ratio']}x "
              f"(min {t['min_ratio']}x, max {t['max_ratio']}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write per-notebook details here")
    parser.add_argument("--no-actions", action="store_true", help="Run All only")
    parser.add_argument("--from", dest="source", metavar="JSONL",
                        help="print figures from the CORPUS_RESULTS file of a pytest run instead of running")
    args = parser.parse_args()
    if args.source:
        lines = Path(args.source).read_text().splitlines()
        details = [json.loads(line) for line in lines if line.strip()]
        if args.json:
            Path(args.json).write_text(json.dumps(details, indent=1, default=str))
        print_figures(details, float("nan"))
        return
    entries = corpus.select(corpus.manifest())
    if not entries:
        sys.exit(f"no corpus notebooks at {corpus.CORPUS}")
    details, start = [], time.perf_counter()
    for i, entry in enumerate(entries, 1):
        t = time.perf_counter()
        try:
            details.append(run_notebook(entry, not args.no_actions))
        except Exception as e:  # keep going: one broken notebook must not hide the others
            details.append({"notebook": entry["name"], "code_cells": 0, "seconds_plain": 0,
                            "seconds_reactive": 0, "differences": [{"kind": f"harness error: {e!r}"[:120],
                                                                    "index": None, "id": None}],
                            "allowed": {"cancelled_upstream": 0, "folded_same_text": 0}, "refusals": 0, "ran_more_than_once": []})
        d = details[-1]
        print(f"[{i}/{len(entries)}] {entry['name']}: {len(d['differences'])} differences, "
              f"{time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(details, indent=1, default=str))
    print_figures(details, time.perf_counter() - start)


if __name__ == "__main__":
    main()
