"""The run planner as a pure function: roles, blocked cells, autorun off,
and the inputs it must leave alone."""
from __future__ import annotations

import doctest
from types import SimpleNamespace

from reactive_kernel.core import planner
from reactive_kernel.core.graph import DataflowGraph
from reactive_kernel.vocabulary import ANCESTOR, CLEAN, DESCENDANT, KEEP, TARGET


def chain(*cells: tuple[str, str, str]) -> DataflowGraph:
    """A graph of (cell, names read, names written), one letter a name."""
    graph = DataflowGraph()
    for cell, reads, writes in cells:
        graph.place(cell)
        graph.register(cell, SimpleNamespace(reads=frozenset(reads), writes=frozenset(writes)))
    return graph


ABC = (("a", "", "x"), ("b", "x", "y"), ("c", "y", "z"))


def roles(plan):
    return [(step.cell, step.role, step.mode) for step in plan.steps]


def test_the_docstring_example_holds():
    assert doctest.testmod(planner).failed == 0


def test_a_stale_ancestor_runs_before_a_kept_target_and_descendants_follow():
    graph = chain(*ABC)
    plan = planner.plan(graph, "b", KEEP, stale={"a", "b"}, current=lambda p, n: p != "a")
    assert roles(plan) == [("b", TARGET, KEEP), ("c", DESCENDANT, CLEAN)]
    plan = planner.plan(graph, "b", CLEAN, stale={"a", "b"}, current=lambda p, n: p != "a")
    assert roles(plan) == [("a", ANCESTOR, CLEAN), ("b", TARGET, CLEAN), ("c", DESCENDANT, CLEAN)]


def test_a_provider_that_would_fail_again_blocks_its_reader():
    graph = chain(*ABC)
    # a's value is there although its run failed: b reads it, as under ipykernel
    plan = planner.plan(graph, "b", CLEAN, stale={"a", "b"}, current=lambda p, n: True,
                        failed=lambda c: c == "a", fails_again=lambda c: c == "a")
    assert not plan.blocked and [s.cell for s in plan.steps] == ["b", "c"]
    # its failed run left no value: b waits for a, which would fail again
    plan = planner.plan(graph, "b", CLEAN, stale={"a", "b"}, current=lambda p, n: p != "a",
                        failed=lambda c: c == "a", fails_again=lambda c: c == "a")
    assert dict(plan.blocked) == {"b": "a"}
    assert [s.cell for s in plan.steps] == ["b", "c"]


def test_without_autorun_descendants_only_become_stale():
    plan = planner.plan(chain(*ABC), "a", CLEAN, stale={"a"}, current=lambda p, n: True, autorun=False)
    assert roles(plan) == [("a", TARGET, CLEAN)]
    assert plan.stale == {"b", "c"}


def test_unrun_cells_are_never_descendants():
    plan = planner.plan(chain(*ABC), "a", CLEAN, stale={"a"}, current=lambda p, n: True,
                        unrun=lambda c: c == "b")
    assert [s.cell for s in plan.steps] == ["a"]


def test_the_plan_leaves_its_inputs_alone():
    stale = {"a"}
    plan = planner.plan(chain(*ABC), "c", CLEAN, stale=stale, current=lambda p, n: p != "b",
                        restore={"a"})
    assert stale == {"a"}
    assert plan.stale == {"b"}
    assert roles(plan)[0] == ("a", ANCESTOR, CLEAN)
