"""After a restart the kernel knows the saved notebook's cells without running
them (issue 9, "run what it needs after a restart"): running a cell runs
exactly the stale ancestors it needs, while Run All still runs each cell once."""
from __future__ import annotations

import os

from reactive_kernel.core.engine import Engine
from tests.support.notebook_file import write_notebook

CHAIN = [("c1", "a = 1"), ("c2", "b = a + 1"), ("c3", "c = b * 10"), ("c4", "d = c - 1"),
         ("c5", "e = d * 2")]


def ran(report):
    return [(e.cell_id, e.role, e.status) for e in report.ran]


def engine_for(path, cells) -> Engine:
    write_notebook(path, cells)
    engine = Engine()
    engine.set_notebook(str(path), register=True)
    return engine


def test_running_the_last_cell_of_a_saved_chain_runs_the_chain(tmp_path):
    e = engine_for(tmp_path / "nb.ipynb", CHAIN)
    report = e.run("c5", "e = d * 2")
    assert ran(report) == [("c1", "ancestor", "ok"), ("c2", "ancestor", "ok"), ("c3", "ancestor", "ok"),
                           ("c4", "ancestor", "ok"), ("c5", "target", "ok")]
    assert e.namespace["e"] == 38 and e.stale_cells() == []


def test_run_all_after_a_restart_runs_each_cell_once(tmp_path):
    e = engine_for(tmp_path / "nb.ipynb", CHAIN)
    for cell_id, code in CHAIN:
        assert ran(e.run(cell_id, code)) == [(cell_id, "target", "ok")]
    assert e.namespace["e"] == 38


def test_registered_cells_are_stale_but_only_needed_ones_run(tmp_path):
    cells = [("c1", "a = 1"), ("c2", "unrelated = 5"), ("c3", "b = a + 1")]
    e = engine_for(tmp_path / "nb.ipynb", cells)
    assert ran(e.run("c3", "b = a + 1")) == [("c1", "ancestor", "ok"), ("c3", "target", "ok")]
    assert e.stale_cells() == ["c2"] and "unrelated" not in e.namespace
    # an unrun cell is not a descendant: editing its provider leaves it alone
    cells = [("c1", "a = 1"), ("c2", "b = a + 1"), ("c3", "c = b * 10")]
    e = engine_for(tmp_path / "nb2.ipynb", cells)
    assert ran(e.run("c1", "a = 1")) == [("c1", "target", "ok")]
    assert "b" not in e.namespace


def test_the_requests_code_wins_over_the_saved_code(tmp_path):
    e = engine_for(tmp_path / "nb.ipynb", CHAIN[:3])
    report = e.run("c3", "c = b * 100")
    assert [entry[0] for entry in ran(report)] == ["c1", "c2", "c3"]
    assert e.namespace["c"] == 200
    # an edited ancestor not saved yet: its request's code is what ran and stays
    e.run("c2", "b = a + 5")
    assert e.namespace["c"] == 600 and e.cells["c2"].code == "b = a + 5"


def test_cells_saved_later_are_registered_when_the_file_changes(tmp_path):
    path = tmp_path / "nb.ipynb"
    e = engine_for(path, CHAIN[:2])
    e.run("c1", "a = 1")
    write_notebook(path, [*CHAIN[:2], ("c9", "z = b + a")])
    report = e.run("c9", "z = b + a")
    assert [entry[0] for entry in ran(report)] == ["c2", "c9"]
    assert e.namespace["z"] == 3
    # an unrun cell's saved code follows the file
    write_notebook(path, [("c1", "a = 1"), ("c2", "b = a + 1"), ("c9", "z = b + a"), ("c10", "w = 7")])
    e.sync_notebook()
    write_notebook(path, [("c1", "a = 1"), ("c2", "b = a + 1"), ("c9", "z = b + a"), ("c10", "w = 8")])
    e.run("c11", "v = w")
    assert e.namespace["v"] == 8


def test_deleting_a_cell_that_never_ran_runs_nothing(tmp_path):
    e = engine_for(tmp_path / "nb.ipynb", CHAIN)
    e.run("c1", "a = 1")
    e.forget(["c2"])
    report = e.run("c1", "a = 1")
    assert ran(report) == [("c1", "target", "ok")]
    assert "c2" not in e.cells and "b" not in e.namespace


def test_a_saved_cell_that_does_not_parse_is_not_registered(tmp_path):
    e = engine_for(tmp_path / "nb.ipynb", [("c1", "a = = 1"), ("c2", "b = a")])
    report = e.run("c2", "b = a")
    assert ran(report) == [("c2", "target", "error")]
    assert "c1" not in e.cells


def test_without_registration_the_file_gives_only_the_order(tmp_path):
    path = tmp_path / "nb.ipynb"
    write_notebook(path, CHAIN)
    e = Engine()
    e.set_notebook(str(path))  # VS Code: the file's ids are not the requests'
    assert ran(e.run("c5", "e = d * 2")) == [("c5", "target", "error")]


def test_kernel_registers_the_session_notebook_at_start_and_after_a_restart(tmp_path):
    """Through the real kernel, as JupyterLab starts it (JPY_SESSION_NAME)."""
    from tests.support.client import KernelSession

    path = tmp_path / "chain.ipynb"
    write_notebook(path, CHAIN)
    env = {**os.environ, "JPY_SESSION_NAME": str(path)}
    with KernelSession(env=env, cwd=str(tmp_path)) as kernel:
        for _ in range(2):
            result = kernel.execute("e = d * 2", "c5")
            assert result.status == "ok"
            assert [(e["cell_id"], e["role"]) for e in result.reactive["ran"]] == [
                ("c1", "ancestor"), ("c2", "ancestor"), ("c3", "ancestor"), ("c4", "ancestor"),
                ("c5", "target")]
            assert kernel.value("e") == "38"
            kernel.manager.restart_kernel(now=True)
            kernel.client.wait_for_ready(timeout=60)


def test_a_later_cell_not_run_yet_has_no_value_to_put_back(tmp_path):
    """Run All after a restart, cell by cell: ``lst.append`` below ``lst = []``
    is a later writer of ``lst``, but until it runs there is no value of its
    to keep, so running ``lst = []`` must leave ``lst`` bound (found by the
    JupyterLab Run All test: the first cell's names vanished, so the next
    request reran it)."""
    cells = [("c1", "import sys\nlst = []"), ("c2", "lst.append(1)"), ("c3", "n = len(lst)")]
    e = engine_for(tmp_path / "nb.ipynb", cells)
    for cell_id, code in cells:
        assert ran(e.run(cell_id, code)) == [(cell_id, "target", "ok")]
    assert e.namespace["lst"] == [1] and e.namespace["n"] == 1
