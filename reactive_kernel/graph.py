"""The dependency graph: cells in kernel order and the edges their names imply.

Edges are derived per name from that name's writers and readers, so an edit
recomputes only the names the edited cell touches (before and after the edit),
never the whole notebook.
"""
from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
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


@dataclass
class _Snapshot:
    """What a registration may change, kept to undo it."""

    cell: str
    existed: bool
    seq: int | None
    names: Names | None
    writers: dict[str, list[tuple[int, str]]]
    readers: dict[str, set[str]]
    name_edges: dict[str, set[Edge]]


class DataflowGraph:
    def __init__(self) -> None:
        self.dag = nx.DiGraph()
        self._next_seq = itertools.count()
        self.seq: dict[str, int] = {}
        self.names: dict[str, Names] = {}
        self._writers: dict[str, list[tuple[int, str]]] = {}
        self._readers: dict[str, set[str]] = {}
        self._name_edges: dict[str, set[Edge]] = {}

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
        return self._provider(self._writers.get(name, []), self.seq[cell], cell)

    @staticmethod
    def _provider(writers: list[tuple[int, str]], seq: int, cell: str) -> str | None:
        i = bisect.bisect_left(writers, (seq, ""))
        if i > 0:
            return writers[i - 1][1]
        j = i + 1 if i < len(writers) and writers[i][1] == cell else i
        return writers[j][1] if j < len(writers) else None

    def providers(self, cell: str) -> dict[str, str | None]:
        return {name: self.provider(cell, name) for name in self.names[cell].reads}

    def last_writer(self, name: str, excluding: str | None = None) -> str | None:
        """The writer whose value run-all leaves in the namespace."""
        for _, cell in reversed(self._writers.get(name, [])):
            if cell != excluding:
                return cell
        return None

    def _edges_for(self, name: str) -> set[Edge]:
        writers = self._writers.get(name, [])
        if not writers:
            return set()
        edges: set[Edge] = set()
        position = {cell: i for i, (_, cell) in enumerate(writers)}
        for (_, a), (_, b) in zip(writers, writers[1:]):
            edges.add((a, b))  # write after write
        for reader in self._readers.get(name, ()):
            source = self._provider(writers, self.seq[reader], reader)
            if source is None:
                continue
            edges.add((source, reader))  # read after write
            after = position[source] + 1
            if after < len(writers) and writers[after][1] != reader:
                edges.add((reader, writers[after][1]))  # write after read
        return edges

    # -- mutation ------------------------------------------------------------
    def register(self, cell: str, names: Names) -> None:
        """Add or replace ``cell``; raise CycleError and change nothing on a cycle."""
        snapshot = self._snapshot(cell, names)
        try:
            added = self._set(cell, names, snapshot.seq)
            self._check_acyclic(added)
        except CycleError:
            self._restore(snapshot)
            raise

    def remove(self, cell: str) -> None:
        """Forget ``cell``. Providers move to other writers; a cycle that
        creates is broken by dropping the new edges (the cell is gone either way)."""
        if cell not in self.seq:
            return
        old = self.names.pop(cell)
        self._unindex(cell, old, self.seq.pop(cell))
        added = self._recompute(old.reads | old.writes)
        self.dag.remove_node(cell)
        added = {(u, v) for u, v in added if u != cell and v != cell}
        while True:
            try:
                self._check_acyclic(added)
                return
            except CycleError as error:
                # drop one new edge of the cycle from the DAG *and* from the
                # per-name edge index, so later recomputations stay consistent
                cycle = [(u, v) for u, v, _ in error.cycle]
                u, v = next((e for e in cycle if e in added), cycle[0])
                self._drop_edge(u, v)
                added.discard((u, v))

    def _drop_edge(self, u: str, v: str) -> None:
        for name in self.dag.edges[u, v]["names"]:
            edges = self._name_edges.get(name)
            if edges is not None:
                edges.discard((u, v))
                if not edges:
                    del self._name_edges[name]
        self.dag.remove_edge(u, v)

    def _snapshot(self, cell: str, names: Names) -> _Snapshot:
        old = self.names.get(cell)
        touched = names.reads | names.writes | (old.reads | old.writes if old else frozenset())
        return _Snapshot(
            cell=cell,
            existed=cell in self.seq,
            seq=self.seq.get(cell),
            names=old,
            writers={n: list(self._writers.get(n, [])) for n in touched},
            readers={n: set(self._readers.get(n, ())) for n in touched},
            name_edges={n: set(self._name_edges.get(n, ())) for n in touched},
        )

    def _set(self, cell: str, names: Names, seq: int | None) -> set[Edge]:
        old = self.names.get(cell)
        if seq is None:
            seq = next(self._next_seq)
            self.seq[cell] = seq
            self.dag.add_node(cell)
        if old is not None:
            self._unindex(cell, old, seq)
        self.names[cell] = names
        for name in names.writes:
            bisect.insort(self._writers.setdefault(name, []), (seq, cell))
        for name in names.reads:
            self._readers.setdefault(name, set()).add(cell)
        touched = names.reads | names.writes | (old.reads | old.writes if old else frozenset())
        return self._recompute(touched)

    def _unindex(self, cell: str, names: Names, seq: int) -> None:
        for name in names.writes:
            writers = self._writers[name]
            writers.pop(bisect.bisect_left(writers, (seq, cell)))
            if not writers:
                del self._writers[name]
        for name in names.reads:
            readers = self._readers[name]
            readers.discard(cell)
            if not readers:
                del self._readers[name]

    def _recompute(self, names: Iterable[str]) -> set[Edge]:
        """Re-derive the edges of ``names``; return the edges that are new."""
        added: set[Edge] = set()
        for name in names:
            old = self._name_edges.get(name, set())
            new = self._edges_for(name)
            for u, v in old - new:
                labels = self.dag.edges[u, v]["names"]
                labels.discard(name)
                if not labels:
                    self.dag.remove_edge(u, v)
            for u, v in new - old:
                if self.dag.has_edge(u, v):
                    self.dag.edges[u, v]["names"].add(name)
                else:
                    self.dag.add_edge(u, v, names={name})
                    added.add((u, v))
            if new:
                self._name_edges[name] = new
            else:
                self._name_edges.pop(name, None)
        return added

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

    def _restore(self, snap: _Snapshot) -> None:
        cell = snap.cell
        touched = set(snap.writers)
        # Undo the graph edges of every touched name, then reinstate the old indexes.
        for name in touched:
            for u, v in self._name_edges.get(name, set()):
                labels = self.dag.edges[u, v]["names"]
                labels.discard(name)
                if not labels:
                    self.dag.remove_edge(u, v)
        for name in touched:
            for store, saved in ((self._writers, snap.writers), (self._readers, snap.readers)):
                if saved[name]:
                    store[name] = saved[name]
                else:
                    store.pop(name, None)
            if snap.name_edges[name]:
                self._name_edges[name] = snap.name_edges[name]
            else:
                self._name_edges.pop(name, None)
            for u, v in snap.name_edges[name]:
                if self.dag.has_edge(u, v):
                    self.dag.edges[u, v]["names"].add(name)
                else:
                    self.dag.add_edge(u, v, names={name})
        if snap.existed:
            self.names[cell] = snap.names
        else:
            del self.seq[cell]
            self.names.pop(cell, None)
            self.dag.remove_node(cell)
