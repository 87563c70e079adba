"""Real third-party notebooks (../shared/corpus): Run All and random reruns and
edits, the reactive kernel against plain ipykernel over the Jupyter protocol.

Each notebook runs in a scratch copy of its folder, one execute_request per
code cell with ``metadata.cellId``, outputs kept per cell like a frontend
(tests/corpus.py).

* ``test_run_all``: a reactive Run All matches a plain one cell by cell
  (status, error names, stream text and text/plain after normalising
  addresses, timings, progress bars, dates); nothing is refused; no cell that
  plain runs fails here; each cell runs exactly once.  The one allowed
  difference: a cell plain fails on may be reported cancelled because an
  upstream cell failed.
* ``test_random_actions``: after a reactive Run All, seeded actions (rerun an
  unchanged cell, add 1 to a numeric literal of a cell and run it).  When
  nothing is stale (but cells that also fail in plain), the namespace
  fingerprint must equal a fresh plain Run All of the current codes, except
  names that differ between two plain Run Alls (non-deterministic cells).
  Rerunning an unchanged cell runs no descendant that reads nothing from the
  plan (``engine.readers``), and a cell whose writes no cell reads, which
  needs no ancestor (it changes nothing it reads; no later cell rebinds or
  may change what it reads), runs alone.

Selection (``CORPUS`` environment variable):

* unset: a deterministic selection sized for CI (about 25 minutes on 2 cores).
  It takes every notebook with cells that raise on purpose whose MANIFEST
  ``seconds_plain`` is at most 12 s, then the cheapest notebook of each source
  folder, then more notebooks round-robin over the folders, cheapest first,
  while the sum of ``seconds_plain`` stays within ``CORPUS_BUDGET`` (default
  150 s; the tests cost about 6x that: plain and reactive Run Alls, a second
  plain Run All, one per edit, the actions);
* ``CORPUS=all``: all 159 notebooks;
* ``CORPUS=<glob>[,<glob>...]``: notebooks whose path under ``notebooks/``
  matches, e.g. ``CORPUS='pandas-cookbook/*,networkx/*'``.

Other knobs: ``CORPUS_ACTIONS`` (random actions per notebook, default 4),
``CORPUS_CELL_TIMEOUT`` (seconds, default 120; a cell over it is
interrupted), ``CORPUS_REACTIVE=python3`` (plain ipykernel on both sides, to
check the harness itself), ``CORPUS_DIR``.  All tests are marked ``corpus``:
``pytest -m "not corpus"`` leaves them out.
"""
from __future__ import annotations

import pytest

from tests import corpus

ENTRIES = corpus.select(corpus.manifest())
IDS = [e["name"] for e in ENTRIES]

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not ENTRIES, reason=f"no corpus notebooks at {corpus.CORPUS}"),
]


def pretty(diffs: list[dict]) -> str:
    return "\n".join(f"cell {d['index']} ({d['id']}): {d['kind']}: "
                     f"{ {k: v for k, v in d.items() if k not in ('kind', 'index', 'id')} }"
                     for d in diffs)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_run_all(entry):
    cells = corpus.code_cells(entry)
    plain = corpus.plain_run_all(entry, cells)
    with corpus.Frontend(corpus.REACTIVE, entry) as front:
        reactive = corpus.run_all(front, cells)
    diffs, _ = corpus.compare_run_all(plain, reactive)
    assert not diffs, pretty(diffs)


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_random_actions(entry):
    result = corpus.random_actions(entry)
    problems = []
    for a in result["actions"]:
        where = f"{a['action']} cell {a['cell']}"
        if a.get("dead"):
            problems.append(f"{where}: the kernel died")
        if a.get("differs"):
            problems.append(f"{where}: namespace differs from a fresh plain Run All: {a['differs']}")
        if a["action"] == "rerun" and a["readers"] == [] and a["status"] == "ok" \
                and a["needs_only_itself"] and a["ran"] != 1:
            problems.append(f"{where}: nobody reads it and it needs no ancestor, yet ran {a['roles']}")
        if a.get("unexplained"):
            problems.append(f"{where}: descendants that read nothing that ran: {a['unexplained']}")
    assert not problems, "\n".join(problems)
