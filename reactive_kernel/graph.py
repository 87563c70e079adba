"""The dependency graph: cells in kernel order and the edges their names imply.

Edges are derived per name from that name's writers and readers.  An edit
re-derives only the edges of the cells next to the edited one, for the names
whose role in it changed: the cost does not grow with the notebook.
"""
from __future__ import annotations

import bisect
import itertools
import operator
from typing import Iterable

import networkx as nx

from .analysis import Names

Edge = tuple[str, str]


class CycleError(Exception):
    """A registration would make the graph cyclic; nothing was changed."""

    def __init__(self, cycle: list[tuple[str, str, tuple[str, ...]]]):
        self.cycle = cycle
        steps = "; ".join(f"{u} -> {v} via {', '.join(names)}" for u, v, names in cycle)
        super().__init__(f"dependency cycle: {steps}")


_FIRST = operator.itemgetter(0)
_BEFORE_ALL, _AFTER_ALL = float("-inf"), float("inf")


class DataflowGraph:
    def __init__(self) -> None:
        self.dag = nx.DiGraph()
        self._next_seq = itertools.count()
        self.seq: dict[str, int] = {}
        self.names: dict[str, Names] = {}
        #: per name, its writers and readers as (seq, cell), in kernel order
        self._writers: dict[str, list[tuple[int, str]]] = {}
        self._readers: dict[str, list[tuple[int, str]]] = {}
        #: changes made by the registration under way, to undo a refused one
        self._journal: list[tuple] | None = None

    def __contains__(self, cell: str) -> bool:
        return cell in self.seq

    def __len__(self) -> int:
        return len(self.seq)

    def order(self, cells: Iterable[str]) -> list[str]:
        """Cells sorted by kernel order."""
        return sorted(cells, key=self.seq.__getitem__)

    # -- names and providers ----------------------------------------------
    def writers(self, name: str) -> list[str]:
        return [cell for _, cell in self._writers.get(name, ())]

    def provider(self, cell: str, name: str) -> str | None:
        """Nearest writer of ``name`` before ``cell``, else nearest after."""
        writers = self._writers.get(name, [])
        k = _provider_index(writers, self.seq[cell], cell)
        return None if k is None else writers[k][1]

    def providers(self, cell: str) -> dict[str, str | None]:
        return {name: self.provider(cell, name) for name in self.names[cell].reads}

    def last_writer(self, name: str, excluding: str | None = None) -> str | None:
        """The writer whose value run-all leaves in the namespace."""
        for _, cell in reversed(self._writers.get(name, [])):
            if cell != excluding:
                return cell
        return None

    # -- registration ----------------------------------------------------------
    def register(self, cell: str, names: Names) -> None:
        """Add or replace ``cell``; raise CycleError and change nothing on a cycle."""
        old = self.names.get(cell)
        existed = cell in self.seq
        if not existed:
            self.seq[cell] = next(self._next_seq)
            self.dag.add_node(cell)
        self._journal = []
        try:
            added = self._update(cell, old, names)
            self._check_acyclic(added)
        except CycleError:
            self._undo()
            if not existed:
                del self.seq[cell]
                self.dag.remove_node(cell)
            raise
        finally:
            self._journal = None
        self.names[cell] = names

    def remove(self, cell: str) -> None:
        """Forget ``cell``. Providers move to other writers; a cycle that
        creates is broken by dropping new edges (the cell is gone either way)."""
        if cell not in self.seq:
            return
        added = self._update(cell, self.names.pop(cell), Names())
        del self.seq[cell]
        self.dag.remove_node(cell)
        added = {(u, v) for u, v in added if self.dag.has_edge(u, v)}
        while True:
            try:
                self._check_acyclic(added)
                return
            except CycleError as error:
                cycle = [(u, v) for u, v, _ in error.cycle]
                u, v = next((e for e in cycle if e in added), cycle[0])
                self.dag.remove_edge(u, v)
                added.discard((u, v))

    def _update(self, cell: str, old: Names | None, new: Names) -> set[Edge]:
        """Move ``cell`` from ``old`` to ``new`` names; return the new edges.

        Per name, only the edges of the cells around ``cell`` can change (see
        ``_window``); they are derived before and after and the difference
        applied, so the cost does not grow with the notebook.
        """
        old = old or Names()
        seq, item = self.seq[cell], (self.seq[cell], cell)
        added: set[Edge] = set()
        for name in old.reads | old.writes | new.reads | new.writes:
            changes = [
                (store, was, now)
                for store, was, now in (
                    (self._writers, name in old.writes, name in new.writes),
                    (self._readers, name in old.reads, name in new.reads),
                )
                if was != now
            ]
            if not changes:
                continue
            window = self._window(name, seq)
            before = self._edges_in(name, *window)
            for store, was, _ in changes:
                self._index(store, name, item, add=not was)
            after = self._edges_in(name, *window)
            for u, v in before - after:
                self._unlabel(name, u, v)
            for u, v in after - before:
                if self._label(name, u, v):
                    added.add((u, v))
        return added

    def _window(self, name: str, seq: int) -> tuple[float, float, float]:
        """(lo, p, q) for a change of the cell at ``seq`` to ``name``.

        p and q are the nearest other writers before and after it.  Only the
        writers p..q and the readers after lo up to q can gain or lose edges:
        their provider, or the writer after their provider, may change.  lo is
        p, unless p is the first writer (readers before it read it too).
        """
        writers = self._writers.get(name, [])
        i = bisect.bisect_left(writers, seq, key=_FIRST)
        j = i + 1 if i < len(writers) and writers[i][0] == seq else i
        p = writers[i - 1][0] if i > 0 else _BEFORE_ALL
        q = writers[j][0] if j < len(writers) else _AFTER_ALL
        return (p if i > 1 else _BEFORE_ALL), p, q

    def _edges_in(self, name: str, lo: float, p: float, q: float) -> set[Edge]:
        writers = self._writers.get(name, [])
        edges: set[Edge] = set()
        a = bisect.bisect_left(writers, p, key=_FIRST)
        b = bisect.bisect_right(writers, q, key=_FIRST)
        for (_, x), (_, y) in zip(writers[a:b], writers[a + 1:b]):
            edges.add((x, y))  # write after write
        readers = self._readers.get(name, [])
        ra = bisect.bisect_right(readers, lo, key=_FIRST)
        rb = bisect.bisect_right(readers, q, key=_FIRST)
        for seq, reader in readers[ra:rb]:
            k = _provider_index(writers, seq, reader)
            if k is None:
                continue
            edges.add((writers[k][1], reader))  # read after write
            if k + 1 < len(writers) and writers[k + 1][1] != reader:
                edges.add((reader, writers[k + 1][1]))  # write after read
        return edges

    # -- journaled primitives ------------------------------------------------
    def _index(self, store: dict, name: str, item: tuple[int, str], add: bool) -> None:
        entries = store.setdefault(name, [])
        if add:
            bisect.insort(entries, item)
        else:
            entries.pop(bisect.bisect_left(entries, item))
        if not entries:
            del store[name]
        if self._journal is not None:
            self._journal.append(("index", store, name, item, add))

    def _label(self, name: str, u: str, v: str) -> bool:
        """Add ``name`` to edge u -> v; True when the edge is new."""
        created = not self.dag.has_edge(u, v)
        if created:
            self.dag.add_edge(u, v, names={name})
        elif name in self.dag.edges[u, v]["names"]:
            return False
        else:
            self.dag.edges[u, v]["names"].add(name)
        if self._journal is not None:
            self._journal.append(("label", name, u, v))
        return created

    def _unlabel(self, name: str, u: str, v: str) -> None:
        if not self.dag.has_edge(u, v):
            return  # dropped to break a cycle a deletion left behind
        labels = self.dag.edges[u, v]["names"]
        if name not in labels:
            return
        labels.discard(name)
        if not labels:
            self.dag.remove_edge(u, v)
        if self._journal is not None:
            self._journal.append(("unlabel", name, u, v))

    def _undo(self) -> None:
        journal, self._journal = self._journal or [], None
        for op, *args in reversed(journal):
            if op == "index":
                store, name, item, add = args
                self._index(store, name, item, add=not add)
            elif op == "label":
                self._unlabel(*args)
            else:
                self._label(*args)

    def _check_acyclic(self, added: set[Edge]) -> None:
        """Any new cycle runs through a new edge, so search from those only."""
        if not added:
            return
        try:
            cycle = nx.find_cycle(self.dag, source=[u for u, _ in added])
        except nx.NetworkXNoCycle:
            return
        raise CycleError(
            [(u, v, tuple(sorted(self.dag.edges[u, v]["names"]))) for u, v in cycle]
        )


def _provider_index(writers: list[tuple[int, str]], seq: int, cell: str) -> int | None:
    """Index in ``writers`` of the provider of a reader at ``seq``."""
    i = bisect.bisect_left(writers, seq, key=_FIRST)
    if i > 0:
        return i - 1
    j = i + 1 if i < len(writers) and writers[i][1] == cell else i
    return j if j < len(writers) else None
