"""The saved notebook is the truth (issue 19), on real notebooks nobody here
wrote: tests/test_saved_notebook.py's comparison at corpus scale.

For each notebook of a deterministic sample of ../shared/corpus, Run All in
the reactive kernel cell by cell, as JupyterLab runs it, then seeded edits
(reruns of unchanged cells, a numeric literal plus one, as tests/corpus.py's
random actions), each followed by the kernel's cascade.  The notebook the
frontend then holds (the file it saves) is compared with what plain
ipykernel saves after Restart & Run All of the edited sources
(tests/support/saved_corpus.py says how text is normalised and how
nondeterministic cells are told apart):

* ``test_with_a_companion``: the scripted companion (CompanionNotebook):
  per code cell the same output types and text, and the cells the last
  request ran numbered increasing down the page;
* ``test_without_a_companion``: no companion (FrontendNotebook): per code
  cell the same text (the README's documented differences are all in the
  output kinds and counts).

Selection (``SAVED_CORPUS``): unset, ``SAVED_CORPUS_N`` notebooks (default 7, one per folder:
taking turns over the corpus folders, each folder's cheapest notebook of at
most 6 s with 3 code cells or more, about 1.5 minutes on 2 cores); ``all``;
or globs as ``CORPUS`` takes them (tests/test_corpus.py).
``SAVED_CORPUS_EDITS`` edits per notebook (default 3).  Marked ``corpus``.
Figures: benchmarks/saved_report.py.
"""
from __future__ import annotations

import pytest

from tests import corpus
from tests.support import saved_corpus

ENTRIES = saved_corpus.sample(corpus.manifest())

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not ENTRIES, reason=f"no corpus notebooks at {corpus.CORPUS}"),
]


@pytest.fixture(scope="module", params=ENTRIES, ids=[e["name"] for e in ENTRIES])
def run(request):
    """The edits and plain Restart & Run Alls of one notebook, shared by both tests."""
    return saved_corpus.SavedRun(request.param)


@pytest.mark.timeout(900)
def test_with_a_companion(run):
    result = run.result(companion=True)
    assert result.identical, saved_corpus.describe(result)


@pytest.mark.timeout(900)
def test_without_a_companion(run):
    result = run.result(companion=False)
    assert result.identical, saved_corpus.describe(result)


@pytest.mark.parametrize("code, arbitrary", [
    ("np.empty((2,3))", True), ("x = numpy.empty_like(a)\nx", True), ("torch.empty(3)", True),
    ("np.zeros((2,3))", False), ("is_empty(x)", False), ("df.empty", False), ("mynp.empty(3)", False)])
def test_a_cell_showing_uninitialized_memory_is_not_compared(code, arbitrary):
    """Its values are whatever memory held: two fresh Restart & Run Alls show
    the same (they allocate alike), a session after edits does not
    (handson-ml3 tools_numpy, cell 24, seen with ``SAVED_CORPUS_N=16``)."""
    assert bool(saved_corpus.ARBITRARY_BY_DESIGN.search(code)) is arbitrary
