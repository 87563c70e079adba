"""Issue 21: a name that a cell's new run no longer binds is a change for its
readers (spec 2.1, "What is not a change", last sentence), when the binding
was dynamic (``globals()[...]``), a star import or a branch not taken: the
name goes, and its readers rerun and fail as in Run All.
"""
from __future__ import annotations

import pytest

from reactive_kernel.core.engine import Engine
from tests.test_needless_reruns import assert_run_all, ran, run_cells

CASES = {
    "dynamic binding renamed": (
        [("c1", 'globals()["dyn"] = 1'), ("c2", "t = dyn")],
        ("c1", 'globals()["dyn2"] = 5')),
    "star import narrowed": (
        [("c1", "from math import *"), ("c2", "t = sqrt(4)")],
        ("c1", "from math import pi")),
    "branch no longer taken": (
        [("c0", "cond = True"), ("c1", "if cond:\n    pp = 1\nelse:\n    qq = 2"), ("c2", "t2 = pp")],
        ("c0", "cond = False")),
    "exec binding renamed": (
        [("c1", 'exec("aa = 3")'), ("c2", "t = aa + 1")],
        ("c1", 'exec("bb = 3")')),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_binding_gone_makes_its_reader_rerun_and_fail(case):
    cells, (edited, code) = CASES[case]
    e = Engine()
    run_cells(e, cells)
    reader = cells[-1][0]
    report = e.run(edited, code)
    assert reader in ran(report)
    assert "t" not in e.namespace and "t2" not in e.namespace
    assert e.stale_cells() == [reader]  # it failed: NameError, as in Run All
    now = [(c, code if c == edited else src) for c, src in cells]
    fresh = Engine()
    run_cells(fresh, now)
    assert {k for k in e.namespace if not k.startswith("__")} == {k for k in fresh.namespace if not k.startswith("__")}


def test_a_binding_still_made_is_no_change():
    cells = [("c0", "cond = True"), ("c1", "if cond:\n    pp = 1\nelse:\n    qq = 2"), ("c2", "t2 = pp")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("c0", "cond = 1")) == ["c0", "c1"]  # pp = 1 again: an equal scalar
    assert_run_all(e, [("c0", "cond = 1"), *cells[1:]])


def test_branch_taken_again_brings_the_reader_back():
    cells = [("c0", "cond = True"), ("c1", "if cond:\n    pp = 1\nelse:\n    qq = 2"), ("c2", "t2 = pp")]
    e = Engine()
    run_cells(e, cells)
    e.run("c0", "cond = False")
    report = e.run("c0", "cond = True")
    assert ran(report) == ["c0", "c1", "c2"]
    assert e.namespace["t2"] == 1 and e.stale_cells() == []


@pytest.mark.parametrize("cell", [
    "if flag:\n    x = 2\ny = x + 1",
    "for i in range(n):\n    x = i\ny = x + 1",
    "try:\n    x = 1 / n\nexcept ZeroDivisionError:\n    pass\ny = x + 1",
])
def test_a_name_the_cell_binds_on_some_paths_reads_the_earlier_value_on_the_others(cell):
    """The branch, loop or ``try`` that did not bind ``x`` leaves the
    earlier cell's ``x``: editing that cell reruns this one (it used to keep
    a ``y`` Run All never gives; README, "Known limits", until this)."""
    cells = [("c1", "x = 1"), ("c0", "flag = False\nn = 0"), ("c2", cell)]
    e = Engine()
    run_cells(e, cells)
    assert e.namespace["y"] == 2
    assert ran(e.run("c1", "x = 10")) == ["c1", "c2"]
    assert e.namespace["y"] == 11
    assert_run_all(e, [("c1", "x = 10"), *cells[1:]])
