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


# -- 2. a deliberately failing statement is not a write ---------------------------------
STR_CELLS = [("c1", "s = 'abc'"), ("c2", "s[0] = 'x'"), ("c3", "n = len(s)"), ("c4", "m = n * 2")]


def test_store_into_a_str_is_no_write_of_it():
    e = Engine()
    run_cells(e, STR_CELLS)
    assert e.graph.provider("c3", "s") == "c1"
    assert "s" not in e.cells["c2"].names.writes
    assert_run_all(e, STR_CELLS)


def test_editing_a_reader_does_not_rerun_the_failing_cell():
    e = Engine()
    run_cells(e, STR_CELLS)
    assert ran(e.run("c3", "n = len(s) + 1")) == ["c3", "c4"]
    assert e.namespace["m"] == 8
    assert_run_all(e, [*STR_CELLS[:2], ("c3", "n = len(s) + 1"), STR_CELLS[3]])


def test_failure_cancels_only_readers_of_what_it_would_have_produced():
    e = Engine()
    run_cells(e, STR_CELLS)
    report = e.run("c1", "s = 'abcd'")
    statuses = {entry["cell_id"]: entry["status"] for entry in report.to_json()["ran"]}
    assert statuses == {"c1": "ok", "c2": "error", "c3": "ok", "c4": "ok"}  # as Run All
    assert e.namespace["n"] == 4 and e.namespace["m"] == 8
    assert_run_all(e, [("c1", "s = 'abcd'"), *STR_CELLS[1:]])


def test_store_into_a_tuple_or_number_is_no_write_either():
    cells = [("c1", "t = (1, 2)\nk = 3"), ("c2", "t[0] = 5"), ("c3", "k.real = 1"),
             ("c4", "u = t + (k,)")]
    e = Engine()
    run_cells(e, cells)
    assert e.graph.providers("c4") == {"t": "c1", "k": "c1"}
    assert ran(e.run("c4", "u = t + (k, k)")) == ["c4"]
    assert_run_all(e, [*cells[:3], ("c4", "u = t + (k, k)")])


def test_store_into_a_str_subclass_still_counts():
    """A str subclass has a ``__dict__``: ``s.tag = 1`` works and changes it."""
    cells = [("c1", "class S(str):\n    pass\ns = S('abc')"), ("c2", "s.tag = 1"), ("c3", "t = s.tag")]
    e = Engine()
    run_cells(e, cells)
    assert e.graph.provider("c3", "s") == "c2"
    assert ran(e.run("c2", "s.tag = 1")) == ["c1", "c2", "c3"]


# -- 3. calling a method on a parameter is not a mutation when the method does not mutate --
def _calls(definition: str, setup: str, call: str, reader: str) -> tuple[Engine, list]:
    cells = [("c1", definition), ("c2", setup), ("c3", call), ("c4", reader)]
    e = Engine()
    run_cells(e, cells)
    return e, cells


def test_read_only_method_on_a_parameter_does_not_make_the_caller_a_mutator():
    for body in ("return list(cases.values())", "return sum(v for v in cases.values())",
                 "return {k: v for k, v in cases.items()}", "return max(cases, key=cases.get)",
                 "def inner():\n        return list(cases.values())\n    return inner()"):
        e, cells = _calls(f"def f(cases):\n    {body}", "d = {'a': 1}", "v = f(d)", "n = len(d)")
        assert e.cells["c3"].names.mutations == frozenset(), body
        assert ran(e.run("c3", "v = f(d)")) == ["c3"], body
        assert_run_all(e, cells)


def test_read_only_method_of_a_dict_view_or_proxy_on_a_parameter():
    e, cells = _calls("def f(cases):\n    return cases.copy()", "import types\nd = types.MappingProxyType({'a': 1})",
                      "v = f(d)", "n = len(d)")
    assert ran(e.run("c3", "v = f(d)")) == ["c3"]
    assert_run_all(e, cells)


def test_remove_mutates_the_list_not_the_removed_item():
    e, cells = _calls("def f(ll, a):\n    ll.remove(a)", "L = [1, 2]\nx = 2", "f(L, x)", "k = x + len(L)")
    assert e.cells["c3"].names.mutations == {"L"}
    e2, cells2 = _calls("def f(ll, a):\n    ll.remove(a)", "x = [2]\nL = [1, x]", "f(L, x)", "k = len(x)")
    assert e2.cells["c3"].names.mutations == {"L"}  # x is L's element, but remove does not change x
    assert_run_all(e, cells)


def test_mutating_method_on_a_parameter_still_counts():
    e, cells = _calls("def f(cases):\n    cases.pop('a')", "d = {'a': 1, 'b': 2}", "f(d)", "n = len(d)")
    assert ran(e.run("c3", "f(d)")) == ["c2", "c3", "c4"]
    assert e.namespace["n"] == 1
    assert_run_all(e, cells)


# -- 4. an ancestor rerun only to rebuild a gone input is not a change -----------------
def test_provider_rebuilding_an_overwritten_str_does_not_rerun_its_other_readers():
    cells = [("c1", "s = 'Hello'"), ("c2", "t = s + '?'"), ("c3", "u = s * 2"), ("c4", "s = s + '!'"),
             ("c5", "w = s")]
    e = Engine()
    run_cells(e, cells)
    report = e.run("c3", "u = s * 3")
    assert ran(report) == ["c1", "c3"]  # c2, c4 and c5 read values c1 reproduced
    assert report.to_json()["restored"] == ["s"]
    assert_run_all(e, [*cells[:2], ("c3", "u = s * 3"), *cells[3:]])


def test_rebuilding_an_unchanged_function_does_not_rerun_its_callers():
    solve = "def solve(x):\n    return x + 1"
    cells = [("c1", solve), ("c2", "a = solve(1)"), ("c3", "b = solve(2)"),
             ("c4", "def solve(x, k=10):\n    return x * k"), ("c5", "c = solve(3)")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("c2", "a = solve(5)")) == ["c1", "c2"]
    assert e.namespace["solve"](1) == 10  # c4's again
    assert_run_all(e, [cells[0], ("c2", "a = solve(5)"), *cells[2:]])


def test_a_rebuilt_provider_whose_input_changed_is_a_change():
    cells = [("c0", "k = 1"), ("c1", "s = 'a' * k"), ("c2", "t = s + '?'"), ("c3", "s = s + '!'"),
             ("c4", "u = s")]
    e = Engine()
    run_cells(e, cells)
    e.run("c0", "k = 2")  # c1, c2, c3, c4 rerun
    assert e.namespace["t"] == "aa?" and e.namespace["u"] == "aa!"
    assert ran(e.run("c4", "u = s + '.'")) == ["c4"]
    assert_run_all(e, [("c0", "k = 2"), *cells[1:4], ("c4", "u = s + '.'")])


def test_a_rebuilt_mutable_object_is_still_a_change_for_its_aliases():
    """A reader may hold the rebuilt cell's old object (``M = L``): a new
    list is not the same value for it, so readers rerun as before."""
    cells = [("c1", "L = [1]"), ("c2", "M = L"), ("c3", "L = L + [5]"), ("c4", "M.append(3)"),
             ("c5", "n = len(L) + len(M)")]
    e = Engine()
    run_cells(e, cells)
    e.run("c4", "M.append(3)")
    assert e.namespace["L"] == [1, 5] and e.namespace["M"] == [1, 3]
    assert_run_all(e, cells)
    cells = [("c1", "L = [1]"), ("c2", "M = L"), ("c3", "L.append(2)"), ("c4", "n = len(M)")]
    e = Engine()
    run_cells(e, cells)
    e.run("c3", "L.append(2)")
    assert e.namespace["L"] is e.namespace["M"]  # as in Run All
    assert_run_all(e, cells)


def test_a_cell_reading_a_skipped_overwriter_reads_its_value_not_the_rebuilt_one():
    cells = [("c1", "s = 'Hello'"), ("c2", "u = s * 2"), ("c3", "s = s + '!'"), ("c4", "w = s + u")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("c2", "u = s * 3")) == ["c1", "c2", "c4"]
    assert e.namespace["w"] == "Hello!HelloHelloHello" and e.namespace["s"] == "Hello!"
    assert_run_all(e, [cells[0], ("c2", "u = s * 3"), *cells[2:]])


def test_a_failed_cell_whose_inputs_did_not_change_is_not_rerun_as_a_descendant():
    cells = [("c1", "a = 1"), ("c2", "b = a + nope"), ("c3", "c = b"), ("c4", "d = a + 1")]
    e = Engine()
    run_cells(e, cells)
    report = e.run("c1", "a = 1")  # same value: nothing it gives changed
    assert ran(report) == ["c1", "c3"]
    assert report.to_json()["ran"][1] == {"cell_id": "c3", "role": "descendant", "status": "cancelled"}
    assert e.stale_cells() == ["c2", "c3"]
    report = e.run("c1", "a = 2")  # a changed: c2 runs (and fails) again, as in Run All
    assert ran(report) == ["c1", "c2", "c3", "c4"]
    assert e.namespace["d"] == 3
    e.run("nope", "nope = 0")  # a new cell at the end: c2 still fails in Run All
    assert "b" not in e.namespace


def test_a_parameter_rebound_to_a_copy_is_not_the_callers_object():
    for body in ("cases = dict(cases)\n    cases['z'] = 0", "cases = cases.copy()\n    cases.pop('a')",
                 "cases = {k: v for k, v in cases.items()}\n    cases.clear()",
                 "cases = copy.deepcopy(cases)\n    cases['a'] = 5"):
        e, cells = _calls(f"import copy\ndef f(cases):\n    {body}\n    return cases", "d = {'a': 1}", "v = f(d)", "n = len(d)")
        assert e.cells["c3"].names.mutations == frozenset(), body
        assert ran(e.run("c3", "v = f(d)")) == ["c3"], body
        assert_run_all(e, cells)


def test_a_parameter_rebound_to_what_may_be_the_same_object_still_counts():
    for body in ("cases = cases or {}\n    cases['z'] = 0", "cases = normal(cases)\n    cases['z'] = 0",
                 "if len(cases) > 5:\n        cases = dict(cases)\n    cases['z'] = 0",
                 "cases['z'] = 0\n    cases = dict(cases)"):
        e, cells = _calls(f"def normal(c):\n    return c\ndef f(cases):\n    {body}\n    return cases",
                          "d = {'a': 1}", "v = f(d)", "n = len(d)")
        assert e.cells["c3"].names.mutations == {"d"}, body
        assert e.namespace["n"] == 2
        assert_run_all(e, cells)


def test_a_target_reading_a_skipped_overwriter_reads_its_value():
    """Found by tests/test_properties.py: c1 reruns to rebuild ``a`` for c3
    (restored because the edited c5 no longer writes ``lst``); c4 is skipped,
    and the target c5 must read c4's ``a``, not c1's."""
    cells = [("c1", "a = 0"), ("c2", "dct = {'k0': 0}"), ("c3", "lst = [a] * 2"), ("c4", "a = a + 1"),
             ("c5", "lst.append(0)")]
    e = Engine()
    run_cells(e, cells)
    e.run("c5", "a = a + 0")
    assert e.namespace["a"] == 1 and e.namespace["lst"] == [0, 0]
    assert_run_all(e, [*cells[:4], ("c5", "a = a + 0")])
