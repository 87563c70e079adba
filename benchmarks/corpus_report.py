"""Figures for the third-party notebook corpus: the reactive kernel next to plain ipykernel.

Runs the harness of tests/test_corpus.py (tests/corpus.py) on the same
selection (``CORPUS`` unset: the CI selection; ``CORPUS=all``; ``CORPUS=<glob>``)
and prints: notebooks, code cells, Run All differences by kind, refusals,
cells run more than once, cascade sizes of random reruns and edits,
namespace equivalence K/N, and reactive vs plain Run All time.

    python benchmarks/corpus_report.py [--json report.json] [--no-actions]
    CORPUS_RESULTS=r.jsonl python -m pytest -m corpus; python benchmarks/corpus_report.py --from r.jsonl
    python benchmarks/corpus_report.py --from report.json   # figures again from a --json file

Issue 21's figures follow: reruns of an unchanged cell that ran one cell and
their spread, the worst with why each cell ran (from the engine's graph) and
the root cause of every cell the spec does not ask for; edits whose cascade
is minimal (see ``corpus.explain_plan`` for both definitions).
"""
from __future__ import annotations

import argparse
import collections
import json
import re
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
    if acts:
        print_issue21(details)
    t = corpus.ratio_summary([(d["seconds_reactive"], d["seconds_plain"]) for d in details])
    if t:
        print(f"Run All time, reactive vs plain: sums {t['sum_reactive']} s / {t['sum_plain']} s "
              f"= {t['ratio_of_sums']}x; per notebook median {t['median_ratio']}x "
              f"(min {t['min_ratio']}x, max {t['max_ratio']}x)")


#: buckets of the number of cells a rerun ran (issue 21's closing note)
SPREAD = [("1", 1, 1), ("2", 2, 2), ("3-5", 3, 5), ("6-9", 6, 9), (">=10", 10, 10 ** 9)]


def spread(sizes: list[int]) -> str:
    parts = [f"0: {sum(n == 0 for n in sizes)}"] if any(n == 0 for n in sizes) else []
    parts += [f"{b}: {sum(lo <= n <= hi for n in sizes)}" for b, lo, hi in SPREAD]
    return "  ".join(parts)


_CODES: dict[str, dict[int, str]] = {}


def cell_code(notebook: str, index: int | None) -> str:
    """A corpus cell's code by notebook name and cell index ('' when unknown)."""
    if notebook not in _CODES:
        entry = next((e for e in corpus.manifest() if e["name"] == notebook), None)
        _CODES[notebook] = {c.index: c.code for c in corpus.code_cells(entry)} if entry else {}
    return _CODES[notebook].get(index, "")


def imports_of(code: str) -> set[str]:
    """Names a cell's import statements bind (magic and shell lines left out)."""
    plain = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in code.split("\n"))
    return corpus.imported_names([corpus.Cell(0, "", plain)])


_READ = re.compile(r"^(?P<name>\w+) from cell (?P<cell>\d+): (?P<why>.*)$")


def root_causes(notebook: str, action: dict) -> collections.Counter:
    """The spurious cells of a plan by root cause: a re-import, a rebuilt
    ancestor's unchanged value, a name rebound to an equal scalar, a change
    in place that left the value as it was, each read from a cell that had to
    run.  A cell that only reads from another spurious cell follows it and is
    not counted again."""
    why = action.get("why") or []
    needed = {w["cell"] for w in why if w["by_spec"]}
    causes = collections.Counter()
    for w in why:
        if not w["executed"] or w["by_spec"]:
            continue
        found = None
        for part in w["cause"].split("; "):
            m = _READ.match(part)
            if w["role"] == "ancestor" and "re-imported" in part:
                found = "re-import (an ancestor rebuilt for a re-import)"
            if not m or int(m["cell"]) not in needed:
                continue
            text = m["why"]
            if "re-import" in text or ("equal" in text and m["name"] in imports_of(cell_code(notebook, int(m["cell"])))):
                found = found or "re-import"
            elif "rebuilt ancestor" in text:
                found = found or "a rebuilt ancestor's unchanged value"
            elif "equal value" in text or "equal scalar" in text:
                found = found or "rebound to an equal scalar"
            elif "changed in place" in text:
                found = found or "a change in place that changed nothing"
        causes[found or "follows a spurious cell"] += 1
    return causes


def spec_cells(action: dict, by: str = "by_spec") -> int:
    """How many cells the spec (``by_spec``), or a kernel comparing every
    value (``by_value``), asks a plan to execute (the cells it ran when the
    plan's links are unknown)."""
    why = action.get("why")
    if why is None:
        return action.get("executed", action["ran"])
    return sum(1 for w in why if w["executed"] and w[by])


def verdict(notebook: str, action: dict) -> str:
    """The cause of a plan's extra cells in words: needed (the spec asks for
    every cell), or the spurious cells by root cause."""
    if action.get("why") is None:
        return "unknown (no plan links)"
    causes = root_causes(notebook, action)
    if not causes:
        return "needed by the spec" + ("" if not action.get("excess") else " (some values unchanged)")
    return "spurious: " + ", ".join(f"{k} ({n})" for k, n in causes.most_common())


def print_issue21(details: list[dict], worst: int = 10) -> None:
    """Issue 21's figures: unchanged reruns that ran one cell, their spread and
    worst cases with why each cell ran; edits whose cascade is minimal."""
    acts = [(d["notebook"], a) for d in details for a in d.get("random", {}).get("actions", [])
            if a["action"] in ("rerun", "edit") and not a.get("dead")]
    reruns = [(nb, a) for nb, a in acts if a["action"] == "rerun"]
    sizes = [a.get("executed", a["ran"]) for _, a in reruns]
    if sizes:
        print(f"\nreruns of an unchanged cell that ran exactly one cell: {sum(n == 1 for n in sizes)}/{len(sizes)}"
              f" = {100 * sum(n == 1 for n in sizes) / len(sizes):.0f}%  (cells executed, cancelled ones left out)")
        print(f"  cells run: {spread(sizes)}")
        judged = [a for _, a in reruns if a.get("why") is not None]
        print(f"  every cell needed by the spec: {sum(not a['spurious'] for a in judged)}/{len(judged)};"
              f" minimal by value: {sum(not a['excess'] for a in judged)}/{len(judged)}")
        ceiling = sum(spec_cells(a) == 1 for _, a in reruns)
        by_value = sum(spec_cells(a, "by_value") == 1 for _, a in reruns)
        print(f"  the spec's ceiling for this share: reruns in which the spec asks for one cell: "
              f"{ceiling}/{len(reruns)} = {100 * ceiling / len(reruns):.0f}%; in which a kernel comparing "
              f"every value would run one: {by_value}/{len(reruns)} = {100 * by_value / len(reruns):.0f}%")
        causes = collections.Counter(verdict(nb, a) for nb, a in reruns
                                     if a.get("why") is not None and a.get("executed", a["ran"]) > 1)
        total = sum((root_causes(nb, a) for nb, a in reruns if a.get("why") is not None), collections.Counter())
        print("  spurious cells by root cause: " + (", ".join(f"{k}: {n}" for k, n in total.most_common()) or "none"))
        print("  causes of reruns that ran more than one cell:")
        for cause, n in causes.most_common():
            print(f"    {n:4}  {cause}")
        print(f"  the {worst} worst:")
        for nb, a in sorted(reruns, key=lambda x: -x[1].get("executed", x[1]["ran"]))[:worst]:
            print(f"    {nb} cell {a['cell']}: {a.get('executed', a['ran'])} cells run; {verdict(nb, a)}")
            for w in a.get("why") or []:
                flag = "" if w["by_spec"] else "  [SPURIOUS]" if w["executed"] else "  [cancelled]"
                print(f"      {w['role']:<10} cell {w['cell']} {w['status']:<9} {w['cause'][:300]}{flag}")
    edits = [a for _, a in acts if a["action"] == "edit"]
    judged = [a for a in edits if a.get("why") is not None]
    if judged:
        print(f"\nedits whose cascade is minimal by value (every cell run is the target, reads a name whose "
              f"value the action changed, replays a change of an object rebound, or rebuilds a gone input "
              f"of such a cell): {sum(not a['excess'] for a in judged)}/{len(judged)}"
              f" = {100 * sum(not a['excess'] for a in judged) / len(judged):.0f}%")
        print(f"  edits whose every cell is needed by the spec (re-imports, equal scalars, rebuilt ancestors' "
              f"unchanged values excluded): {sum(not a['spurious'] for a in judged)}/{len(judged)}")
        total = sum((root_causes(nb, a) for nb, a in acts if a["action"] == "edit" and a.get("why") is not None),
                    collections.Counter())
        print("  spurious cells by root cause: " + (", ".join(f"{k}: {n}" for k, n in total.most_common()) or "none"))
        print(f"  cells run: {spread([a.get('executed', a['ran']) for a in edits])};"
              f" excess cells in all: {sum(len(a['excess']) for a in judged)}")
        for a in sorted(judged, key=lambda a: -len(a["excess"]))[:5]:
            if a["excess"]:
                nb = next(nb for nb, b in acts if b is a)
                print(f"    {nb} edit cell {a['cell']}: ran {a.get('executed')}, excess {a['excess']}; {verdict(nb, a)}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write per-notebook details here")
    parser.add_argument("--no-actions", action="store_true", help="Run All only")
    parser.add_argument("--from", dest="source", metavar="JSONL",
                        help="print figures from the CORPUS_RESULTS file of a pytest run (or a --json "
                             "file of an earlier report) instead of running")
    args = parser.parse_args()
    if args.source:
        text = Path(args.source).read_text()
        details = json.loads(text) if text.lstrip().startswith("[") else \
            [json.loads(line) for line in text.splitlines() if line.strip()]
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
