"""Real third-party notebooks (../shared/corpus): Run All and random reruns and
edits, the reactive kernel against plain ipykernel over the Jupyter protocol.

Each notebook runs in a scratch copy of its folder, one execute_request per
code cell with ``metadata.cellId``, outputs kept per cell like a frontend
(tests/corpus.py).

* ``test_run_all``: a reactive Run All matches a plain one cell by cell
  (status, error names, stream text and text/plain after normalising
  addresses, timings, progress bars, dates; outputs that differ between two
  plain Run Alls are not compared); nothing is refused; no cell that
  plain runs fails here; each cell runs exactly once.  The one allowed
  difference: a cell plain fails on may be reported cancelled because an
  upstream cell failed.
* ``test_random_actions``: after a reactive Run All, seeded actions (rerun an
  unchanged cell, add 1 to a numeric literal of a cell and run it).  When
  nothing is stale (but cells that also fail in plain), the namespace
  fingerprint must equal a fresh plain Run All of the current codes, except
  names that differ between two plain Run Alls (non-deterministic cells),
  names computed from a rerun of a cell drawing from a global random
  generator (``np.random.*``, ``random.*``: outside the spec's promise), and
  names bound by stale cells the kernel cancelled (plain ran them up to their
  error; the kernel removes their bindings on purpose), and the values (not
  the presence) of names a stale failing cell binds.
  Rerunning an unchanged cell runs no descendant that reads nothing from the
  plan (``engine.readers``), and a cell whose writes no cell reads, which
  needs no ancestor (it changes nothing it reads; no later cell rebinds or
  may change what it reads), runs alone.

Selection (``CORPUS`` environment variable):

* unset: a deterministic selection sized for CI (about 18-20 minutes on
  2 cores, within a 25-minute budget).  From MANIFEST.json it takes
  1. every notebook with cells that raise on purpose whose ``seconds_plain``
     is at most 12 s (all 17 learn-python3 exercises, pydata-book ch02, ch03,
     ch05, ch06, ch07, pandas-cookbook quick tour and ch9, statsmodels
     postestimation_poisson, handson-ml3 tools_matplotlib);
  2. the cheapest notebook of every source folder;
  3. then the cheapest remaining notebooks of at most 6 s, taking turns over
     the folders (each folder's cheapest, then each folder's second
     cheapest, ...), while the sum of ``seconds_plain`` stays within
     ``CORPUS_BUDGET`` (default 150 s).
  That is 72 notebooks from all 7 folders.  A notebook costs about 7x its
  ``seconds_plain`` plus ~10 s: two plain Run Alls (the second finds
  non-deterministic cells), a reactive one, a plain one per edit, the actions.
* ``CORPUS=all``: all 159 notebooks (about 90 minutes);
* ``CORPUS=<glob>[,<glob>...]``: notebooks whose path under ``notebooks/``
  matches a glob or starts with it as a folder, e.g.
  ``CORPUS='pandas-cookbook,networkx/*,pydata-book/ch0?.ipynb'``.

No notebook or cell is skipped: the README's offline caveat (pydata-book ch06
cell 64 calls ``requests.get``) does not apply here, DNS fails at once.  A cell
running over the per-cell timeout is interrupted and recorded as ``timeout``.

Other knobs: ``CORPUS_ACTIONS`` (random actions per notebook, default 4),
``CORPUS_CELL_TIMEOUT`` (seconds, default 120), ``CORPUS_REACTIVE=python3``
(plain ipykernel on both sides, to check the harness itself: test_run_all must
pass; test_random_actions then fails by nature, ipykernel reruns nothing),
``CORPUS_DIR``,
``CORPUS_RESULTS=<file>`` (append per-notebook details as JSON lines, for
``benchmarks/corpus_report.py --from``).  All tests are marked ``corpus``:
``pytest -m "not corpus"`` leaves them out.

Cache mode (issue 22: "the corpus harness runs with the cache on as a second
mode"): ``test_run_all_cached`` and ``test_random_actions_cached`` run the
same checks with the reactive kernel's cell cache in auto mode, threshold 0
(every cell stored where the policy allows, and served in any role), a cache
directory, signing key and saved notebook file per notebook; the random
actions include a restart (save, restart, run a random cell, whose ancestors
are served, then Run All; that Run All's outputs must match a fresh plain
one, and the namespace a fresh plain Run All, as after every action), and
the restart must serve cells.  Selection: ``CACHE_CORPUS`` (5 notebooks,
about 3 minutes on 2 cores), or ``CORPUS_CACHE=<glob>[,...]``.
"""
from __future__ import annotations

import json
import os

import pytest

from tests import corpus

ENTRIES = corpus.select(corpus.manifest())
IDS = [e["name"] for e in ENTRIES]
#: the cache mode's CI selection: cells raising on purpose, pandas frames, notebook classes
#: (pickled by value), many small cells, numpy views and loop variables (tools_numpy found both)
CACHE_CORPUS = "pydata-book/ch02.ipynb,pandas-cookbook/chapter4_groupby_and_aggregate.ipynb," \
               "learn-python3/beginner/notebooks/11_classes.ipynb,statsmodels/stats_rankcompare.ipynb," \
               "handson-ml3/tools_numpy.ipynb"
CACHE_ENTRIES = corpus.select(corpus.manifest(), os.environ.get("CORPUS_CACHE") or CACHE_CORPUS)

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not ENTRIES, reason=f"no corpus notebooks at {corpus.CORPUS}"),
]


def pretty(diffs: list[dict]) -> str:
    return "\n".join(f"cell {d['index']} ({d['id']}): {d['kind']}: "
                     f"{str({k: v for k, v in d.items() if k not in ('kind', 'index', 'id')})[:300]}"
                     for d in diffs)


def _notebook(request, cache: bool):
    run = corpus.NotebookRun(request.param, cache=cache)
    run.random = None
    yield run
    if os.environ.get("CORPUS_RESULTS"):  # for benchmarks/corpus_report.py --from
        with open(os.environ["CORPUS_RESULTS"], "a") as f:
            f.write(json.dumps(run.details(run.random), default=str) + "\n")
    run.close()


@pytest.fixture(scope="module", params=ENTRIES, ids=IDS)
def notebook(request):
    """Plain Run All and a reactive kernel after Run All, shared by both tests of
    a notebook (pytest runs them one after the other)."""
    yield from _notebook(request, cache=False)


@pytest.fixture(scope="module", params=CACHE_ENTRIES, ids=[e["name"] for e in CACHE_ENTRIES])
def cached_notebook(request):
    """As ``notebook``, the reactive kernel with the cell cache in auto mode, threshold 0."""
    yield from _notebook(request, cache=True)


@pytest.mark.timeout(900)
def test_run_all(notebook):
    diffs, _ = notebook.compare()
    assert not diffs, pretty(diffs)


@pytest.mark.timeout(1200)
def test_random_actions(notebook):
    problems = action_problems(notebook)
    assert not problems, "\n".join(problems)


@pytest.mark.timeout(900)
def test_run_all_cached(cached_notebook):
    diffs, _ = cached_notebook.compare()
    assert not diffs, pretty(diffs)


@pytest.mark.timeout(1200)
def test_random_actions_cached(cached_notebook):
    problems = action_problems(cached_notebook)
    restarts = [a for a in cached_notebook.random["actions"] if a["action"] == "restart"]
    assert restarts, "no restart among the actions"
    for a in restarts:
        if a.get("output_differences"):
            problems.append(f"restart (cell {a['cell']}), then the cells it did not run: outputs differ "
                            "from a fresh plain Run All:\n" + pretty(a["output_differences"]))
        if not a["served"] + a["served_run_all"]:
            problems.append(f"restart (cell {a['cell']}, then Run All): nothing was served from the cache")
    assert not problems, "\n".join(problems)


def action_problems(notebook) -> list[str]:
    result = notebook.random = notebook.random_actions()
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
    return problems
