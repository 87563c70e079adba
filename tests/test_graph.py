"""The dependency graph (semantics version 2): providers strictly earlier in
notebook order, data edges provider -> reader, no cycles by construction."""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings, strategies as st

from reactive_kernel.core.graph import DataflowGraph


@dataclass(frozen=True)
class N:
    reads: frozenset = frozenset()
    writes: frozenset = frozenset()


def S(*names):
    return frozenset(names)


def build(*cells):
    """cells: (id, reads, writes) in notebook order."""
    g = DataflowGraph()
    for cell, reads, writes in cells:
        g.place(cell)
        g.register(cell, N(S(*reads), S(*writes)))
    return g


def edges(g):
    return {(u, v): frozenset(d["names"]) for u, v, d in g.to_networkx().edges(data=True)}


def test_provider_is_nearest_earlier_writer():
    g = build(("a", "", "x"), ("b", "", "x"), ("c", "x", ""))
    assert g.provider("c", "x") == "b"


def test_no_provider_when_only_later_cells_write():
    g = build(("r", "x", ""), ("w", "", "x"))
    assert g.provider("r", "x") is None
    assert g.later_writer("r", "x") == "w"
    assert edges(g) == {}


def test_self_read_uses_earlier_writer_not_itself():
    g = build(("a", "", "x"), ("b", "x", "x"))
    assert g.provider("b", "x") == "a"
    assert g.readers("a") == {"b"}


def test_readers_stop_at_the_next_writer_but_include_it_when_it_reads():
    g = build(("a", "", "x"), ("b", "x", ""), ("c", "x", "x"), ("d", "x", ""))
    assert g.readers("a") == {"b", "c"}
    assert g.readers("c") == {"d"}


def test_rebinding_without_reading_is_no_edge():
    # version 1 chained writers with write-after-write edges; version 2 has none
    g = build(("a", "", "Z"), ("b", "Z", ""), ("c", "", "Z"), ("d", "Z", ""))
    assert edges(g) == {("a", "b"): S("Z"), ("c", "d"): S("Z")}


def test_edit_keeps_place_and_moves_providers():
    g = build(("a", "", "x"), ("b", "", "y"), ("c", "x", ""))
    g.register("b", N(S(), S("x")))
    assert g.sequence() == ["a", "b", "c"]
    assert g.provider("c", "x") == "b"


def test_reorder_changes_providers():
    g = build(("a", "", "x"), ("b", "", "x"), ("c", "x", ""))
    g.reorder(["b", "c", "a"])
    assert g.provider("c", "x") == "b"
    g.reorder(["c", "a", "b"])
    assert g.provider("c", "x") is None


def test_remove_drops_cell():
    g = build(("a", "", "x"), ("b", "", "x"), ("c", "x", ""))
    g.remove("b")
    assert g.provider("c", "x") == "a" and g.sequence() == ["a", "c"]
    g.remove("nope")


def test_last_writer():
    g = build(("a", "", "x"), ("b", "", "x"), ("c", "x", ""))
    assert g.last_writer("x") == "b"
    assert g.last_writer("x", excluding="b") == "a"
    assert g.last_writer("y") is None


NAMES = ["x", "y", "z"]
cell_names = st.tuples(st.frozensets(st.sampled_from(NAMES)), st.frozensets(st.sampled_from(NAMES)))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("register"), st.integers(0, 5), cell_names),
        st.tuples(st.just("remove"), st.integers(0, 5), st.none()),
        st.tuples(st.just("shuffle"), st.randoms(use_true_random=False), st.none()),
    ),
    max_size=25,
)


@settings(max_examples=400, deadline=None)
@given(operations)
def test_queries_equal_definitions_derived_from_scratch(ops):
    g = DataflowGraph()
    for op, arg, names in ops:
        cell = f"c{arg}" if op != "shuffle" else None
        if op == "register":
            g.place(cell)
            g.register(cell, N(*names))
        elif op == "remove":
            g.remove(cell)
        else:
            sequence = g.sequence()
            arg.shuffle(sequence)
            g.reorder(sequence)
        order = g.sequence()
        for i, reader in enumerate(order):
            for name in g.names[reader].reads:
                earlier = [c for c in order[:i] if name in g.names[c].writes]
                assert g.provider(reader, name) == (earlier[-1] if earlier else None)
        for writer in order:
            expected = {r for r in order for n in g.names[r].reads if g.provider(r, n) == writer}
            assert g.readers(writer) == expected


def test_writers_backwards_and_last_writer_follow_page_order():
    g = build(("a", "", "x"), ("b", "", "y"), ("c", "", "x"), ("d", "", "x"))
    assert list(g.writers_backwards("x")) == ["d", "c", "a"]
    assert list(g.writers_backwards("nothing")) == []
    assert g.last_writer("x") == "d"
    assert g.last_writer("x", excluding="d") == "c"
    g.reorder(["d", "c", "b", "a"])
    assert list(g.writers_backwards("x")) == ["a", "c", "d"]
