"""Issue 21, "Reruns nobody needs": what is not a change does not rerun.

Each test runs the smallest cell sequence, reruns or edits one cell, checks
which cells ran, and compares every value with a fresh Run All of the same
cells (spec 2.1, "What is not a change").
"""
from __future__ import annotations

from reactive_kernel.core.engine import Engine


def ran(report) -> list[str]:
    return [entry["cell_id"] for entry in report.to_json()["ran"]]


def run_cells(engine: Engine, cells: list[tuple[str, str]]) -> None:
    for cell_id, code in cells:
        engine.run(cell_id, code)


def run_all(cells: list[tuple[str, str]]) -> dict:
    """The namespace a fresh Restart & Run All of ``cells`` leaves."""
    fresh = Engine()
    run_cells(fresh, cells)
    return fresh.namespace


def user_values(namespace) -> dict:
    return {k: v for k, v in namespace.items() if not k.startswith("__")}


def assert_run_all(engine: Engine, cells: list[tuple[str, str]]) -> None:
    assert engine.stale_cells() == [] or all(engine.cells[c].failed is not None for c in engine.stale_cells())
    expected = user_values(run_all(cells))
    got = user_values(engine.namespace)
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        assert type(got[name]) is type(value), name
        if isinstance(value, (int, float, str, list, dict, tuple)):
            assert got[name] == value, name


# -- 1. re-importing the same object is not a change ----------------------------------
def test_from_import_rerun_unchanged_does_not_rerun_its_readers():
    cells = [("c1", "from math import sqrt"), ("c2", "a = sqrt(4)")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("c1", "from math import sqrt")) == ["c1"]  # as `import math` already
    assert_run_all(e, cells)


def test_from_import_of_another_object_is_a_change():
    cells = [("c1", "from math import sqrt"), ("c2", "a = sqrt(4)")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("c1", "from math import floor as sqrt")) == ["c1", "c2"]
    assert e.namespace["a"] == 4
    assert_run_all(e, [("c1", "from math import floor as sqrt"), cells[1]])


def test_later_reimport_does_not_overwrite_an_earlier_import():
    cells = [("c1", "import numpy as np"), ("c2", "a = np.zeros(2)"), ("c3", "b = np.ones(2)"),
             ("c4", "import numpy as np"), ("c5", "c = np.ones(3)")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("c2", "a = np.zeros(2)")) == ["c2"]
    assert ran(e.run("c2", "a = np.zeros(3)")) == ["c2"]
    assert_run_all(e, [cells[0], ("c2", "a = np.zeros(3)"), *cells[2:]])


def test_later_import_of_another_module_under_the_name_still_overwrites():
    cells = [("c1", "import math as m"), ("c2", "a = m.floor(2.5)"), ("c3", "import cmath as m"),
             ("c4", "z = m.sqrt(-1)")]
    e = Engine()
    run_cells(e, cells)
    report = e.run("c2", "a = m.floor(2.5)")
    assert ran(report) == ["c1", "c2"]  # c3's cmath is not math: c1 runs first
    assert report.to_json()["restored"] == ["m"]
    assert_run_all(e, cells)


def test_rerunning_an_import_a_later_cell_repeats_reruns_nothing_else():
    cells = [("c1", "from math import sqrt"), ("c2", "a = sqrt(4)"), ("c3", "from math import sqrt"),
             ("c4", "b = sqrt(9)")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("c1", "from math import sqrt")) == ["c1"]
    assert ran(e.run("c3", "from math import sqrt")) == ["c3"]
    assert_run_all(e, cells)
