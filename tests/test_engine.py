"""The engine against the semantics file: examples, stale tracking, clean and
keep reruns, errors, interruption, deletion, run-time writes, reports."""
from __future__ import annotations

import pytest

from reactive_kernel.analysis.names import is_graph_name
from reactive_kernel.core.engine import Engine
from reactive_kernel.present.messages import missing_name_message


def ran(report):
    return [(e["cell_id"], e["role"], e["status"]) for e in report.to_json()["ran"]]


def ran_ids(report):
    return [e["cell_id"] for e in report.to_json()["ran"]]


def user(engine):
    return {k: v for k, v in engine.namespace.items() if is_graph_name(k)}


def snapshot(engine):
    g = engine.graph
    return (
        dict(user(engine)),
        {(u, v): frozenset(d["names"]) for u, v, d in g.to_networkx().edges(data=True)},
        dict(g.names),
        dict(g.pos),
        {c: cell.code for c, cell in engine.cells.items()},
        sorted(engine.stale),
        dict(engine.owner),
    )


# -- the semantics file's examples ---------------------------------------------------
def test_example_edit_upstream_reruns_reader():
    e = Engine()
    e.run("c1", "x = 5")
    e.run("c2", "y = x + 1")
    assert e.namespace["y"] == 6
    r = e.run("c1", "x = 10")
    assert ran(r) == [("c1", "target", "ok"), ("c2", "descendant", "ok")]
    assert e.namespace["y"] == 11
    assert e.stale_cells() == []


def test_example_dropna_chain_not_applied_twice():
    e = Engine()
    e.namespace["load"] = lambda: [1, None, 2, None]
    e.namespace["dropna"] = lambda xs: [v for v in xs if v is not None]
    e.namespace["calls"] = []
    e.run("c1", "calls.append('load')\ndf = load()")
    e.run("c2", "df = dropna(df) + ['cleaned']")  # not idempotent: shows a double application
    e.run("c3", "n = len(df)")
    assert e.namespace["df"] == [1, 2, "cleaned"] and e.namespace["n"] == 3
    r = e.run("c2", "df = dropna(df) + ['cleaned']")
    assert ran(r) == [("c1", "ancestor", "ok"), ("c2", "target", "ok"), ("c3", "descendant", "ok")]
    assert e.namespace["df"] == [1, 2, "cleaned"]
    assert e.namespace["n"] == 3


def test_example_dropna_with_pandas():
    pd = pytest.importorskip("pandas")
    e = Engine()
    e.namespace["pd"] = pd
    e.run("c1", "df = pd.DataFrame({'a': [1, None, 3]})")
    e.run("c2", "df = df.dropna()")
    e.run("c3", "n = len(df)")
    r = e.run("c2", "df = df.dropna()")
    assert ran_ids(r) == ["c1", "c2", "c3"]
    assert e.namespace["n"] == 2


def test_example_rename_gives_name_error_downstream():
    e = Engine()
    e.run("c1", "a = 1")
    e.run("c2", "b = a * 2")
    assert e.namespace["b"] == 2
    r = e.run("c1", "w = 1")
    assert ran(r) == [("c1", "target", "ok"), ("c2", "descendant", "error")]
    assert "a" not in e.namespace
    assert "b" not in e.namespace  # c2 failed: its old binding must not pass for current
    assert e.namespace["w"] == 1
    assert "a" in r.to_json()["cleared"]
    assert e.stale_cells() == ["c2"]


def test_example_list_append_rerun():
    e = Engine()
    e.run("c1", "lst = [1]")
    e.run("c2", "lst.append(2)")
    e.run("c3", "n = len(lst)")
    r = e.run("c2", "lst.append(2)")
    assert ran(r) == [("c1", "ancestor", "ok"), ("c2", "target", "ok"), ("c3", "descendant", "ok")]
    assert e.namespace["lst"] == [1, 2]
    assert e.namespace["n"] == 2


def test_dict_item_assignment_rerun():
    e = Engine()
    e.run("c1", "d = {}")
    e.run("c2", "d['k'] = len(d)")
    e.run("c2", "d['k'] = len(d)")
    assert e.namespace["d"] == {"k": 0}


def test_x_plus_one_rerun_does_not_grow():
    e = Engine()
    e.run("c1", "x = 1")
    e.run("c2", "x = x + 1")
    e.run("c2", "x = x + 1")
    e.run("c2", "x = x + 1")
    assert e.namespace["x"] == 2


# -- plans ---------------------------------------------------------------------------------
def test_rerunning_last_cell_of_chain_runs_one_cell():
    e = Engine()
    e.run("c0", "v0 = 0")
    for i in range(1, 10):
        e.run(f"c{i}", f"v{i} = v{i - 1} + 1")
    r = e.run("c9", "v9 = v8 + 1")
    assert ran(r) == [("c9", "target", "ok")]
    assert e.namespace["v9"] == 9


def test_editing_first_cell_of_chain_runs_whole_chain_in_order():
    e = Engine()
    e.run("c0", "v0 = 0")
    for i in range(1, 10):
        e.run(f"c{i}", f"v{i} = v{i - 1} + 1")
    r = e.run("c0", "v0 = 100")
    assert ran_ids(r) == [f"c{i}" for i in range(10)]
    assert e.namespace["v9"] == 109


def test_clean_rerun_removes_renamed_names():
    e = Engine()
    e.run("c1", "x = 1\ny = 2")
    r = e.run("c1", "x = 1\nz = 3")
    assert "y" not in e.namespace
    assert user(e) == {"x": 1, "z": 3}
    assert "y" in r.to_json()["cleared"]


def test_earlier_writer_restored_when_later_writer_renames():
    e = Engine()
    e.run("c1", "x = 1")
    e.run("c2", "x = 2")
    e.run("c3", "y = x * 10")
    assert e.namespace["y"] == 20
    r = e.run("c2", "w = 2")
    assert e.namespace["x"] == 1
    assert e.namespace["y"] == 10
    assert ("c1", "ancestor", "ok") in ran(r)
    assert e.stale_cells() == []


def test_keep_mode_removes_nothing_and_reruns_no_ancestor():
    e = Engine()
    e.run("c1", "x = 1")
    e.run("c2", "x = x + 1\nold = 1")
    e.run("c3", "y = x * 10")
    assert e.namespace["x"] == 2
    r = e.run("c2", "x = x + 1", mode="keep")
    assert r.to_json()["mode"] == "keep"
    assert ran(r) == [("c2", "target", "ok"), ("c3", "descendant", "ok")]
    assert e.namespace["x"] == 3  # plain Jupyter: ran against the namespace as it is
    assert e.namespace["old"] == 1  # nothing removed
    assert e.namespace["y"] == 30
    # only the descendant's own previous binding was cleared (it reruns clean)
    assert r.to_json()["cleared"] == ["y"]


# -- errors and interruption -------------------------------------------------------
def test_error_keeps_cell_stale_and_cancels_downstream():
    e = Engine()
    e.run("c1", "x = 1")
    e.run("c2", "y = x + 1")
    e.run("c3", "z = y + 1")
    e.run("c4", "q = 7")
    r = e.run("c1", "x = 1\nraise ValueError('boom')")
    assert ran(r) == [
        ("c1", "target", "error"),
        ("c2", "descendant", "cancelled"),
        ("c3", "descendant", "cancelled"),
    ]
    assert r.to_json()["stale"] == ["c1", "c2", "c3"]
    assert e.stale_cells() == ["c1", "c2", "c3"]
    assert "y" not in e.namespace and "z" not in e.namespace
    assert {"y", "z"} <= set(r.to_json()["cleared"])
    assert e.namespace["q"] == 7
    # fixing the cell runs it and its cancelled descendants
    r = e.run("c1", "x = 2")
    assert ran(r) == [("c1", "target", "ok"), ("c2", "descendant", "ok"), ("c3", "descendant", "ok")]
    assert e.namespace["z"] == 4
    assert e.stale_cells() == []


def test_error_in_descendant_cancels_only_its_downstream():
    e = Engine()
    e.run("c1", "x = 1")
    e.run("c2", "y = 10 // (x - 1) if x != 1 else 0")
    e.run("c3", "z = y + 1")
    e.run("c4", "w = x + 1")
    r = e.run("c1", "x = 1.0\nx = 1")
    assert e.stale_cells() == []
    r = e.run("c2", "y = 10 // (x - 1)")
    assert ran(r) == [("c2", "target", "error"), ("c3", "descendant", "cancelled")]
    r = e.run("c1", "x = 2")
    assert ran(r) == [
        ("c1", "target", "ok"),
        ("c2", "descendant", "ok"),
        ("c3", "descendant", "ok"),
        ("c4", "descendant", "ok"),
    ]
    assert e.namespace["z"] == 11 and e.namespace["w"] == 3


def test_interrupted_step_cancels_rest_of_cascade():
    e = Engine()
    e.run("c1", "x = 1")
    e.run("c2", "y = x + 1")
    e.run("c3", "z = y + 1")
    e.run("c4", "w = x + 2")
    run = e.request("c1", "x = 5")
    statuses = {"c1": "ok", "c2": "interrupted"}
    executed = []
    for step in run:
        executed.append(step.cell.id)
        if step.cell.id == "c1":
            exec(step.cell.code, e.namespace)
        run.finish(step, statuses.get(step.cell.id, "ok"))
    assert executed == ["c1", "c2"]
    assert ran(run.report) == [
        ("c1", "target", "ok"),
        ("c2", "descendant", "interrupted"),
        ("c3", "descendant", "cancelled"),
        ("c4", "descendant", "cancelled"),
    ]
    assert e.stale_cells() == ["c2", "c3", "c4"]
    # interrupted is not failed: the next run that needs c2 runs it again
    assert "z" not in e.namespace and "w" not in e.namespace
    assert e.namespace["x"] == 5
    assert e.cells["c2"].failed is None
    again = e.run("c3", "z = y + 1")
    assert ran(again) == [("c2", "ancestor", "ok"), ("c3", "target", "ok")]
    assert e.namespace["z"] == 7


def test_keyboard_interrupt_in_exec_is_interruption():
    e = Engine()
    e.run("c1", "x = 1")
    e.run("c2", "y = x")
    e.run("c3", "z = x")
    r = e.run("c1", "x = 2\nraise KeyboardInterrupt")
    assert ran(r) == [("c1", "target", "interrupted"), ("c2", "descendant", "cancelled"),
                      ("c3", "descendant", "cancelled")]


def test_unfinished_step_is_an_error():
    e = Engine()
    run = e.request("c1", "x = 1")
    with pytest.raises(RuntimeError):
        for _ in run:
            pass


# -- deletion ------------------------------------------------------------------------------
def test_deletion_removes_names_and_reruns_readers():
    e = Engine()
    e.run("c1", "x = 1")
    e.run("c2", "y = x + 1")
    e.run("c3", "q = 0")
    e.forget(["c1"])
    assert "x" not in e.namespace
    r = e.run("c3", "q = 0")
    assert ("c2", "descendant", "error") in ran(r)
    assert "y" not in e.namespace
    assert "x" in r.to_json()["cleared"]
    assert "c1" not in e.cells and "c1" not in e.graph


def test_deletion_restores_earlier_writer():
    e = Engine()
    e.run("c1", "x = 1")
    e.run("c2", "x = 2")
    e.run("c3", "y = x * 10")
    e.forget(["c2"])
    r = e.run("c4", "z = 0")
    assert e.namespace["x"] == 1
    assert e.namespace["y"] == 10
    assert e.stale_cells() == []
    assert set(ran_ids(r)) == {"c1", "c3", "c4"}


def test_deletion_of_mutating_cell():
    e = Engine()
    e.run("c1", "lst = [1]")
    e.run("c2", "lst.append(2)")
    e.run("c3", "n = len(lst)")
    e.forget(["c2"])
    e.run("c4", "pass\nm = 0")
    assert e.namespace["lst"] == [1]
    assert e.namespace["n"] == 1


# -- out of order --------------------------------------------------------------------------
def test_cell_never_sees_a_later_cells_value():
    # version 2: the provider is strictly earlier; c2 was registered first, so
    # c1 is below it and c2 fails as Run All would, naming the later cell
    e = Engine(describe_missing=missing_name_message)
    e.run("c2", "y = x + 1")
    e.run("c1", "x = 1")
    assert e.stale_cells() == ["c2"] and "y" not in e.namespace
    r = e.run("c2", "y = x + 1")
    assert ran(r) == [("c2", "target", "error")]
    assert "defined only in a later cell" in str(e.last_error) and "x = 1" in str(e.last_error)
    assert "x" in e.namespace  # hidden while c2 ran, put back after

def test_reader_run_first_pulls_stale_provider():
    e = Engine()
    e.run("a", "x = 1")
    e.run("b", "y = x + 1")
    run = e.request("a", "x = 10")  # registered, never executed
    assert [s.cell.id for s in run.steps] == ["a", "b"]
    r = e.run("b", "y = x + 1")
    assert ran(r) == [("a", "ancestor", "ok"), ("b", "target", "ok")]
    assert e.namespace["y"] == 11


# -- run-time writes ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code, hidden",
    [
        ("exec('hidden = 1')", {"hidden"}),
        ("globals()['hidden'] = 1", {"hidden"}),
        ("from math import *", {"pi", "sqrt", "floor"}),
    ],
)
def test_runtime_writes_removed_on_clean_rerun(code, hidden):
    e = Engine()
    e.run("c1", code)
    assert hidden <= set(e.namespace)
    e.run("c1", "other = 1")
    assert not (hidden & set(e.namespace))
    assert e.namespace["other"] == 1


def test_runtime_write_has_readers():
    e = Engine()
    e.run("c1", "exec('hidden = 1')")
    e.run("c2", "y = hidden + 1")
    r = e.run("c1", "exec('hidden = 5')")
    assert ran_ids(r) == ["c1", "c2"]
    assert e.namespace["y"] == 6


# -- anonymous cells ------------------------------------------------------------------------------
def test_anonymous_cell_binding_nothing_is_not_kept():
    e = Engine()
    e.run("c1", "x = 1")
    r = e.run(None, "print(x)")
    assert r.to_json()["ran"][0]["status"] == "ok"
    assert list(e.cells) == ["c1"] and list(e.graph.pos) == ["c1"]


def test_anonymous_cell_binding_names_is_kept_and_reactive():
    e = Engine()
    e.run("c1", "x = 1")
    e.run(None, "y = x + 1")
    assert len(e.cells) == 2
    e.run("c1", "x = 2")
    assert e.namespace["y"] == 3


def test_two_anonymous_cells_are_two_cells():
    e = Engine()
    e.run(None, "x = 1")
    e.run(None, "x = 2")
    assert len(e.cells) == 2 and e.namespace["x"] == 2


# -- reports ----------------------------------------------------------------------------------
def test_report_roles_statuses_and_cleared():
    e = Engine()
    e.run("c1", "x = 1")
    e.run("c2", "x = x + 1\ny = x")
    e.run("c3", "z = y + 1")
    r = e.run("c2", "x = x + 1\nyy = x")
    j = r.to_json()
    assert j["cell_id"] == "c2" and j["mode"] == "clean"
    assert j["ran"] == [
        {"cell_id": "c1", "role": "ancestor", "status": "ok"},
        {"cell_id": "c2", "role": "target", "status": "ok"},
        {"cell_id": "c3", "role": "descendant", "status": "error"},
    ]
    assert "y" in j["cleared"]
    assert j["stale"] == ["c3"]
    assert j["error"] is None


def test_report_syntax_error_leaves_everything_untouched():
    e = Engine()
    e.run("c1", "x = 1")
    e.run("c2", "y = x + 1")
    before = snapshot(e)
    r = e.run("c1", "x = = 2")
    j = r.to_json()
    assert j["error"]["kind"] == "syntax"
    assert "SyntaxError" in j["error"]["message"]
    assert j["ran"] == []
    assert snapshot(e) == before
    assert e.cells["c1"].code == "x = 1"


def test_cells_reading_each_other_are_not_refused():
    # version 1 refused this as a cycle; version 2 has none: c1 reads b, which
    # only the later c2 binds, so c1 fails with NameError as in Run All
    e = Engine(describe_missing=missing_name_message)
    e.run("c1", "a = 1")
    e.run("c2", "b = a + 1")
    r = e.run("c1", "a = b + 1")
    j = r.to_json()
    assert j["error"] is None
    assert [(x["cell_id"], x["status"]) for x in j["ran"]] == [("c1", "error"), ("c2", "cancelled")]
    assert isinstance(e.last_error, NameError) and "later cell" in str(e.last_error)
    assert e.namespace.get("b") is None and "a" not in e.namespace

def test_report_json_cleared_sorted_unique():
    e = Engine()
    e.run("c1", "b = 1\na = 2")
    r = e.run("c1", "c = 3")
    assert r.to_json()["cleared"] == ["a", "b"]


def test_stale_cells_in_kernel_order_without_autorun():
    e = Engine(autorun=False)
    e.run("c1", "x = 1")
    e.run("c2", "y = x")
    e.run("c3", "z = y")
    r = e.run("c1", "x = 2")
    assert ran_ids(r) == ["c1"]
    assert e.stale_cells() == ["c2", "c3"]
    r = e.run("c3", "z = y")
    assert ran_ids(r) == ["c2", "c3"]
    assert e.namespace["z"] == 2


# -- regressions found by the property test (tests/test_properties.py) -------------------
def test_regression_edit_away_mutation_restores_earlier_writer():
    # An edit that drops a mutation must restore the value run-all gives: the
    # restore check looked at the cell's *new* names instead of its previous ones.
    e = Engine()
    e.run("c1", "lst = [0]")
    e.run("c2", "lst.append(0)")
    r = e.run("c2", "dct = {'k0': 0}")
    assert ran(r) == [("c1", "ancestor", "ok"), ("c2", "target", "ok")]
    assert e.namespace["lst"] == [0]


def test_regression_deletions_keep_graph_consistent():
    e = Engine()
    e.run("c1", "lst = [0]")
    e.run("c2", "lst.append(0)")
    e.run("c3", "lst.append(0)")
    e.forget(["c1"])
    e.run("c2", "lst.append(0)")
    e.forget(["c2"])
    e.run("c3", "lst.append(0)")  # NameError: lst is gone, as in run-all
    assert "c2" not in e.graph and e.graph.sequence() == ["c3"]
    assert "lst" not in e.namespace
    assert e.stale_cells() == ["c3"]

def test_regression_rename_of_mutated_binding_removes_it():
    # c1's list was mutated by c2 (which then owns lst); renaming it in c1
    # must still remove lst, so c2 fails instead of appending to a leftover.
    e = Engine()
    e.run("c1", "lst = [0]")
    e.run("c2", "lst.append(1)")
    r = e.run("c1", "w = [0]")
    assert "lst" not in e.namespace
    assert ran(r) == [("c1", "target", "ok"), ("c2", "descendant", "error")]
    assert "lst" in r.to_json()["cleared"]


def test_regression_rename_of_mutated_binding_restores_earlier_binder():
    e = Engine()
    e.run("c0", "lst = [9]")
    e.run("c1", "lst = [0]")
    e.run("c2", "lst.append(1)")
    e.run("c1", "w = [0]")
    assert e.namespace["lst"] == [9, 1]
    assert e.stale_cells() == []


def test_regression_former_reader_pulls_overwritten_provider():
    # c3 mutated the list after c2 did; editing c2 away makes c3 rerun, and
    # c3's provider (c1) must rerun first or c3 appends to an already-extended list.
    e = Engine()
    e.run("c1", "lst = [0]")
    e.run("c2", "lst.append(0)")
    e.run("c3", "lst.append(0)")
    r = e.run("c2", "dct = {'k0': 0}")
    assert e.namespace["lst"] == [0, 0]
    assert ran_ids(r) == ["c1", "c2", "c3"]
    assert e.stale_cells() == []


def test_regression_rerun_of_caller_rebinding_a_global_its_function_reads():
    # f reads b when called; c3 rebinds b with f(): a clean rerun of c3 removes
    # its b, so c1 must rerun first (as for `b = b + 1`), or f() raises NameError.
    e = Engine()
    e.run("c1", "b = 0")
    e.run("c2", "def f(v=0):\n    return v + b\n")
    e.run("c3", "b = f() + 1")
    r = e.run("c3", "b = f() + 1")
    assert ran(r) == [("c1", "ancestor", "ok"), ("c2", "descendant", "ok"), ("c3", "target", "ok")] or \
        ran_ids(r) == ["c1", "c3"]
    assert e.namespace["b"] == 1
    assert e.stale_cells() == []


def test_function_global_rebound_later_reruns_caller():
    # run-all: f() is called after c3 rebinds x, so y follows c3's x
    e = Engine()
    e.run("c1", "x = 1")
    e.run("c2", "def f():\n    return x * 10\n")
    e.run("c3", "x = 2")
    e.run("c4", "y = f()")
    assert e.namespace["y"] == 20
    r = e.run("c3", "x = 3")
    assert ("c4", "descendant", "ok") in ran(r)
    assert e.namespace["y"] == 30


def test_caller_follows_edit_of_function_body():
    e = Engine()
    e.run("c1", "x = 1\nz = 5")
    e.run("c2", "def f():\n    return x\n")
    e.run("c3", "y = f()")
    e.run("c2", "def f():\n    return z\n")
    assert e.namespace["y"] == 5
    r = e.run("c1", "x = 1\nz = 6")
    assert "c3" in ran_ids(r)
    assert e.namespace["y"] == 6


def test_regression_deleting_failed_later_writer_restores_earlier_writer():
    # c3 failed (its c was removed as outdated); deleting it must bring back
    # c1's c, as run-all of the remaining cells gives.
    e = Engine()
    e.run("c1", "c = 0")
    e.run("c2", "lst = [0]")
    e.run("c3", "c = len(lst)")
    e.run("c2", "a = 0")  # c3 now fails with NameError: lst
    assert "c" not in e.namespace and e.stale_cells() == ["c3"]
    e.forget(["c3"])
    e.run("c2", "a = 0")
    assert e.namespace["c"] == 0
    assert e.stale_cells() == []


def test_regression_editing_failed_later_writer_restores_earlier_writer():
    e = Engine()
    e.run("c1", "c = 0")
    e.run("c2", "lst = [0]")
    e.run("c3", "c = len(lst)")
    e.run("c2", "a = 0")  # c3 fails, its c is removed
    r = e.run("c3", "a = 0")  # c3 no longer writes c: c1's value comes back
    assert e.namespace["c"] == 0
    assert ("c1", "ancestor", "ok") in ran(r)
    assert e.stale_cells() == []


def test_effects_are_decided_with_the_value_the_name_holds():
    import math

    engine = Engine()
    engine.namespace["m"] = []
    engine.run("c1", "m.append(1)")
    assert engine.cells["c1"].names.mutations == {"m"}
    engine.namespace["m"] = math  # same text, but now a method call on a module
    engine.request("c1", "m.append(1)")
    assert engine.cells["c1"].names.mutations == frozenset()
    engine.namespace["m"] = "text"  # str: immutable
    engine.request("c1", "m.append(1)")
    assert engine.cells["c1"].names.mutations == frozenset()

def test_deferred_descendants_are_left_stale_for_their_own_requests():
    engine = Engine()
    engine.run("c1", "x = 1")
    engine.run("c2", "y = x + 1")
    engine.run("c3", "z = y + 1")
    engine.run("c4", "v = x * 3")
    run = engine.request("c1", "x = 5")
    run.queued = lambda: {"c2"}
    for step in run:
        run.finish(step, engine._exec(step))
    assert [e.cell_id for e in run.report.ran] == ["c1", "c4"]
    assert run.report.stale == ["c2", "c3"]
    assert engine.namespace["v"] == 15
    # the queued request then runs c2 and what follows it, once
    report = engine.run("c2", "y = x + 1")
    assert [e.cell_id for e in report.ran] == ["c2", "c3"]
    assert engine.namespace["z"] == 7 and engine.stale_cells() == []


def test_namespace_changes_rebinding_new_and_deleted_names():
    from reactive_kernel.core.namespace import Snapshot, namespace_changes

    value = object()
    before = {"a": 1, "b": value, "_i3": "x = 1", "c": [1]}
    same_order = dict(before, b=object(), d=4, _i4="y")  # rebind b, add d (and history)
    assert namespace_changes(Snapshot(before), same_order) == ({"b", "d"}, set())
    moved = {k: v for k, v in before.items() if k != "a"}
    moved["a"] = 1  # deleted and bound again: now last
    moved["e"] = 5
    del moved["c"]
    assert namespace_changes(Snapshot(before), moved) == ({"e"}, {"c"})
    assert namespace_changes(Snapshot(before), dict(before)) == (set(), set())


def test_a_run_does_not_keep_the_values_it_replaced_alive():
    # pandas warns about chained assignment while the frame a slice came from
    # is alive; ipykernel frees it when the name is rebound, so must we
    import gc
    import weakref

    class Value:
        pass

    e = Engine()
    e.namespace["Value"] = Value
    e.run("c1", "v = Value()")
    probe = weakref.ref(e.namespace["v"])
    e.namespace["probe"] = probe
    e.run("c2", "v = Value()\nalive = probe() is not None")
    gc.collect()
    assert e.namespace["alive"] is False


# -- early cutoff: readers of a value that did not change do not rerun ------------------
def test_rerunning_an_import_cell_reruns_no_reader():
    e = Engine()
    e.run("c1", "import math")
    e.run("c2", "r = math.sqrt(16)")
    e.run("c3", "s = math.floor(2.5)")
    r = e.run("c1", "import math")
    assert ran(r) == [("c1", "target", "ok")]
    assert e.stale_cells() == []


def test_constant_rebound_to_the_same_value_stops_the_cascade_there():
    e = Engine()
    e.run("c1", "x = 5")
    e.run("c2", "y = x + 1")
    e.run("c3", "z = [y]")
    assert ran(e.run("c1", "x = 5")) == [("c1", "target", "ok")]
    r = e.run("c1", "x = 6")
    assert ran_ids(r) == ["c1", "c2", "c3"] and e.namespace["z"] == [7]


def test_regression_cutoff_compares_with_the_cells_own_previous_value():
    # the namespace held a later cell's equal value, not c1's: c3 must follow c1
    e = Engine()
    for cell, code in [("c1", "c = 0"), ("c3", "a = c * 2"), ("c4", "c = 1")]:
        e.run(cell, code)
    r = e.run("c1", "c = 1")
    assert "c3" in ran_ids(r) and e.namespace["a"] == 2 and e.namespace["c"] == 1


def test_regression_cutoff_never_skips_a_cell_whose_value_a_reader_needs():
    e = Engine()
    e.namespace["np"] = pytest.importorskip("numpy")
    for cell, code in [("c0", "import numpy as np"), ("c1", "a = np.arange(2)"), ("c2", "a[0] = 0"),
                       ("c3", "np.add(a, 1, out=a)")]:
        e.run(cell, code)
    e.forget(["c2"])
    e.run("c0", "import numpy as np")
    assert e.namespace["a"].tolist() == [1, 2]


def test_regression_cutoff_never_skips_a_cell_whose_value_the_plan_replaced():
    e = Engine()
    for cell, code in [("c0", "import math"), ("c1", "a = [math.pi]"), ("c2", "a[0] = 1"),
                       ("c4", "a = [math.e]")]:
        e.run(cell, code)
    e.run("c0", "import math")
    import math
    assert e.namespace["a"] == [math.e]


def test_regression_restoring_an_earlier_writer_after_a_deletion_runs_it():
    e = Engine()
    for cell, code in [("c1", "b = 0"), ("c2", "a = b * 2"), ("c3", "a = 0")]:
        e.run(cell, code)
    e.forget(["c3"])
    e.run("c1", "b = 0")
    assert e.namespace["a"] == 0 and e.stale_cells() == []


def test_regression_a_binding_in_a_branch_that_did_not_run_is_not_claimed():
    # handson-ml3 04_training_linear_models: `try: from m import f / except
    # ImportError: from m import g; def f(...)` claimed g (bound by an earlier
    # cell), so a clean rerun removed g and readers reran the try cell
    e = Engine()
    e.run("c1", "import math\nfloor = math.floor")
    e.run("c2", "try:\n    from math import ceil\nexcept ImportError:\n    floor = None\n"
                "    def ceil(v):\n        return -floor(-v)\n")
    assert "floor" not in e.cells["c2"].bound
    assert e.owner["floor"] == "c1"
    r = e.run("c3", "y = ceil(2.5) + floor(2.5)")
    assert ran_ids(r) == ["c3"] and e.namespace["y"] == 5


def test_importing_again_the_same_module_owns_it_readers_do_not_rerun_the_import():
    e = Engine()
    e.run("c1", "import math")
    e.run("c2", "import math")
    e.run("c3", "r = math.sqrt(4)")
    assert e.owner["math"] == "c2"
    assert ran_ids(e.run("c3", "r = math.sqrt(4)")) == ["c3"]


def test_cells_not_run_yet_are_counted_below_the_requested_one():
    """What the requesting cell's summary says of the page's cells below it
    that never ran in this kernel; kept as it changes (a cell runs, one is
    deleted), not found by ordering every cell at every request."""
    from reactive_kernel.present.summary import unrun_below

    e = Engine()
    e.know_sources([("a", "a = 1"), ("b", "b = a + 1"), ("c", "c = b + 1"), ("d", "d = 4")])
    assert e.unrun_cells() == {"a", "b", "c", "d"}
    e.run("a", "a = 1")
    assert unrun_below("a", e) == 3
    e.run("c", "c = b + 1")  # runs b first: it needs its value
    assert e.unrun_cells() == {"d"}
    assert unrun_below("a", e) == 1 and unrun_below("d", e) == 0
    e.forget(["d"])
    assert e.unrun_cells() == set() and unrun_below("a", e) == 0

    def every_cell_ordered():
        raise AssertionError("every cell ordered at a request")

    e.graph.sequence = every_cell_ordered  # (found with bench_kernel --only session: O(cells) a request)
    e.know_sources([("f", "f = 6")])
    assert unrun_below("a", e) == 1


def _walk_to_last(run):
    """Run a plan's steps with ``exec``, the last one without finishing it."""
    walker = iter(run)
    for step in walker:
        exec(step.cell.code, run.engine.namespace)
        if step is run.steps[-1]:
            return step
        run.finish(step, "ok")


def test_a_walk_left_after_its_last_step_ends_when_it_is_finished_later():
    """The kernel records a plan's last step after the reply's outputs are
    flushed (``Run.nothing_follows``), then closes the walk: the same report
    and state as a walk run to its end."""
    engine = Engine({})
    engine.run("a", "x = 1")
    engine.run("b", "y = x + 1")
    run = engine.request("c", "z = 3")
    step = _walk_to_last(run)
    assert run.nothing_follows(step)
    run.finish(step, "ok")
    run.close()
    assert [(e.cell_id, e.status) for e in run.report.ran] == [("c", "ok")]
    assert run.report.stale == [] and engine.stale == set()
    assert engine.run("a", "x = 2").ran[1].cell_id == "b"  # the graph holds c's record too
    assert engine.namespace["y"] == 3 and engine.namespace["z"] == 3


def test_a_step_added_by_a_late_finish_is_left_stale_not_run():
    """A reader that finishing the last step adds (a name bound unseen) cannot
    run after the reply: it stays stale with its old values, as a deferred
    cell.  (The kernel does not leave such a step for later: a run that may
    bind unnamed names is snapshotted, and ``nothing_follows`` says no.)"""
    engine = Engine({})
    engine.run("a", "q0 = 0")
    engine.run("b", "seen = 1\nprint(q)")
    run = engine.request("a", "exec('q = 5')")
    step = _walk_to_last(run)
    assert not run.nothing_follows(step)
    run.finish(step, "ok")
    run.close()
    assert [e.cell_id for e in run.report.ran] == ["a"]
    assert run.report.stale == ["b"] and engine.namespace["seen"] == 1
    assert [e.cell_id for e in engine.run("b", "seen = 1\nprint(q)").ran] == ["b"]
    assert engine.stale == set()
