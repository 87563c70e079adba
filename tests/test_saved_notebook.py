"""The saved notebook is the truth (issue 19): after edits and reruns, the
notebook a frontend saves equals what plain ipykernel saves after Restart &
Run All of the same cells.

With a scripted outputs-capable companion (tests/support/companion_client.py):
per cell the same output types, text and order, and the cells the last
request ran numbered increasing down the page (a cell it did not need to run
keeps the count of its last run).  Without a companion (VS Code, nbclient): the same text per
cell, with only the differences the README documents (one display per cell in
place of the cell's outputs, an invisible display for a silent cell, old
execution counts on rerun cells).
"""
from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from tests.support.client import KernelSession
from tests.support.companion_client import CompanionNotebook, counts_increase, saved_outputs
from tests.support.notebooks import FrontendNotebook, execute, is_anchor_output, normalize, output_text

#: name: (initial cells, then what the person does: (cell, new source or None))
SEQUENCES = {
    "edit upstream": (
        ["x = 5", "y = x + 1\ny", "print('y is', y)"],
        [(0, "x = 10")]),
    "rerun an increment": (
        ["x = 1", "x = x + 1\nx", "x * 10"],
        [(1, None), (1, None)]),
    "rerun an append": (
        ["lst = [1]", "lst.append(2)\nlst", "len(lst)"],
        [(1, None), (0, "lst = [0]")]),
    "a reader fails after a rename": (
        ["a = 1", "b = a * 2\nb", "c = 3\nc"],
        [(0, "w = 1")]),
    "a cell that raises on purpose": (
        ["x = 1", "raise ValueError('boom')", "y = x + 1\ny"],
        [(0, "x = 2")]),
    "print, result and display": (
        ["n = 2",
         "from IPython.display import HTML\nprint('n is', n)\ndisplay(HTML(f'<b>{n}</b>'))\nn * 100",
         "import sys\nprint('to stderr', file=sys.stderr)\nprint('to stdout')\nn"],
        [(0, "n = 3")]),
    "an ancestor reruns first": (
        ["data = [3, 1, 2]", "data = sorted(data)\ndata", "print(data[0])"],
        [(1, None)]),
    # the five below were found by tests/test_saved_corpus.py and its probes;
    # each comment says what went wrong before its fix
    # a logging call counts as a mutation of the logger (the effects table
    # does not know logging.Logger), so its cell reruns first and adds a second
    # handler to the process-wide logger: the line shows twice
    "a log line after its logger's cell": (
        ["import logging\nlog = logging.getLogger('demo')\nlog.addHandler(logging.StreamHandler())",
         "log.warning('hello')"],
        [(1, None)]),
    # a rerun cell that looks at the namespace as a whole (globals(), dir(),
    # %who) sees names only later cells bind: the stash hides only the names
    # it reads
    "a rerun cell does not see a later cell's names": (
        ["x = 1", "y = x\nprint('z' in globals())", "z = 3"],
        [(0, "x = 2")]),
    # found on the corpus (pydata-book ch08, tests/test_saved_corpus.py): after
    # a cell that warned, a cell drawing from the seeded global generator is
    # rerun without the seeding cell first, so it draws the next numbers
    # (without the warning the seeding cell reruns first)
    "a draw after a cell that warned": (
        ["import numpy as np, warnings\nnp.random.seed(0)\nwarnings.warn('x')", "long = [1]",
         "long.append(np.random.rand())\nlong"],
        [(2, None)]),
    # found on the corpus (pydata-book ch06, ``store["obj1"]``): a one-line
    # cell starting with a name that is also a line magic (time, store, ...)
    # is read as that magic (automagic) when the companion's sources are
    # analysed before the name exists, and never as a reader of it: it is not
    # rerun (without a companion it is)
    "a variable named like a line magic": (
        ["time = [1]", "time[0]"],
        [(0, "time = [2]")]),
    # the corpus's shape (pydata-book: max_rows set in the first cell, put
    # back in the last): a cell rerun after Run All shows its result with the
    # display options a later cell set, Restart & Run All with those set
    # above it (a known limit, see LIMITS)
    "display options a later cell sets": (
        ["import pandas as pd\npd.options.display.max_rows = 4", "n = 5", "pd.Series(range(n))",
         "pd.options.display.max_rows = 60"],
        [(1, "n = 6")]),
}
#: sequences that show a known limit (README, "Known limits"): they must keep failing
LIMITS = {
    "display options a later cell sets": "library settings (pandas' display options) are not graph "
                                         "resources: a rerun cell sees the values the last cell left",
}


def cases(names):
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=LIMITS[n])) if n in LIMITS else n
            for n in names]


#: user display ids across cells: ipykernel's behaviour needs the companion
#: (without one a cell's display replaces the user's, see README)
DISPLAY_IDS = {
    "display id across cells": (
        ["h = display('first', display_id=True)", "h.update('second')"],
        [(0, "h = display('again', display_id=True)")]),
    # a display created while its cell reruns for another, updated by a cell
    # rerun after it in the same cascade, then by a later request
    "display id made in a rerun cell": (
        ["x = 1", "h = display(f'first {x}', display_id=True)", "h.update(f'second {x}')"],
        [(0, "x = 2")]),
    "display id made in a rerun cell, updated later": (
        ["x = 1", "h = display(f'first {x}', display_id=True)", "h.update(f'second {x}')"],
        [(0, "x = 2"), (2, "h.update(f'third {x}')")]),
    # showing an id again updates every output showing it (ipykernel and
    # JupyterLab), rerun cells and the requested one alike
    "one display id shown by two rerun cells": (
        ["x = 1", "a = display(f'a {x}', display_id='shared')", "b = display(f'b {x}', display_id='shared')"],
        [(0, "x = 2")]),
    "one display id shown twice by a rerun cell": (
        ["x = 1", "a = display(f'a {x}', display_id='twice')\nb = display(f'b {x}', display_id='twice')"],
        [(0, "x = 2")]),
    "a display id the requested cell shows, shown again by a rerun cell": (
        ["x = 1", "b = display(f'b {x}', display_id='shared')"],
        [(0, "x = 2\ntop = display('top', display_id='shared')")]),
}


def notebook(sources: list[str]):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s, id=f"c{i}")
                                           for i, s in enumerate(sources)])


def play(front: FrontendNotebook, steps) -> None:
    for execution in front.run_all():
        assert execution.reply["metadata"]["reactive"]["error"] is None
    for index, source in steps:
        front.run(f"c{index}", source)


def restart_and_run_all(nb):
    """What plain ipykernel saves after Restart & Run All of ``nb``'s sources."""
    fresh = notebook([c.source for c in nb.cells])
    return execute(fresh, "python3", allow_errors=True)


@pytest.fixture
def session():
    with KernelSession("reactive") as s:
        yield s


@pytest.mark.parametrize("name", cases([*SEQUENCES, *DISPLAY_IDS]))
def test_with_a_companion_the_saved_notebook_is_restart_and_run_all(session, name):
    sources, steps = {**SEQUENCES, **DISPLAY_IDS}[name]
    front = CompanionNotebook(notebook(sources), session, stop_on_error=False)
    play(front, steps)
    expected = restart_and_run_all(front.nb)
    assert saved_outputs(front.nb) == saved_outputs(expected)
    ran = {e["cell_id"] for e in front.executions[-1].reactive["ran"]}
    assert counts_increase(front.nb, ran), [c.execution_count for c in front.nb.cells]
    # a result shows Out[n] with its own cell's count, as a run of that cell saves it
    results = [(c.execution_count, o["execution_count"]) for c in front.nb.cells
               for o in c.outputs if o["output_type"] == "execute_result"]
    assert all(cell == out for cell, out in results), results
    nbformat.validate(front.nb)


def test_rerun_cells_get_new_counts_after_the_target_and_ancestors_before(session):
    front = CompanionNotebook(notebook(["data = [3, 1, 2]", "data = sorted(data)\ndata", "print(data[0])"]),
                              session)
    play(front, [])
    rerun = front.run("c1")
    count = rerun.reply["content"]["execution_count"]
    written = {w["cell_id"]: w for w in front.written}
    assert written["c0"]["role"] == "ancestor" and written["c0"]["execution_count"] == count - 1
    assert written["c2"]["role"] == "descendant" and written["c2"]["execution_count"] == count + 1
    assert front.cell("c2").outputs[0]["output_type"] == "stream"
    # the requested cell is ipykernel's: its result with Out[n], no display of ours
    assert [m["msg_type"] for m in rerun.of_type("execute_result", "display_data", "clear_output")] == [
        "execute_result"]
    assert rerun.of_type("execute_result")[0]["content"]["execution_count"] == count


def visible_text(nb) -> list[str]:
    """Per code cell the text of what it shows, line breaks between outputs aside."""
    return [" ".join(normalize("\n".join(output_text(o) for o in c.outputs if not is_anchor_output(o))).split())
            for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("name", cases(SEQUENCES))
def test_without_a_companion_only_the_documented_differences_remain(session, name):
    sources, steps = SEQUENCES[name]
    front = FrontendNotebook(notebook(sources), session, stop_on_error=False)
    play(front, steps)
    expected = restart_and_run_all(front.nb)
    assert visible_text(front.nb) == visible_text(expected)


def test_nbval_passes_on_a_notebook_saved_after_reactive_edits(session, tmp_path):
    sources, steps = SEQUENCES["print, result and display"]
    front = CompanionNotebook(notebook(sources), session)
    play(front, steps)
    path = tmp_path / "edited.ipynb"
    nbformat.write(front.nb, path)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
         "--nbval-kernel-name", "reactive", str(path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "3 passed" in done.stdout
