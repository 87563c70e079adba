"""The dependency graph: cells in notebook order and the edges their names imply.

A name's provider for a reader is the nearest writer strictly before it in
notebook order; a data edge runs from provider to reader.  Every edge points
forward, so there is no cycle to refuse.  Edges are not stored: per name the
writers and readers are kept sorted by position, and a cell's providers or
readers are a few binary searches away, so an edit costs the same in a
20-cell and a 2,000-cell notebook.  :meth:`DataflowGraph.to_networkx` gives
the whole graph for display and inspection.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import bisect
import itertools
from typing import TYPE_CHECKING, Iterable, Iterator, Protocol

if TYPE_CHECKING:  # imported when asked for: it costs more than the whole kernel start
    import networkx as nx

_NOWHERE = float("inf")


class CellNames(Protocol):
    reads: frozenset
    writes: frozenset


class DataflowGraph:
    def __init__(self) -> None:
        #: notebook position of each cell (sparse, increasing along the page)
        self.pos: dict[str, float] = {}
        self.names: dict[str, CellNames] = {}
        self._writers: dict[str, list[tuple[float, str]]] = {}
        self._readers: dict[str, list[tuple[float, str]]] = {}
        #: counts changes of the set of written names (see :meth:`written`)
        self.written_version = 0
        self._next = itertools.count()

    def __contains__(self, cell: str) -> bool:
        return cell in self.pos

    def __len__(self) -> int:
        return len(self.pos)

    def order(self, cells: Iterable[str]) -> list[str]:
        """Cells sorted by notebook order."""
        return sorted(cells, key=self.pos.__getitem__)

    def sequence(self) -> list[str]:
        return self.order(self.pos)

    # -- placing cells ---------------------------------------------------------
    def place(self, cell: str) -> None:
        """Give a new cell the last position."""
        if cell not in self.pos:
            self.pos[cell] = float(next(self._next))

    def reorder(self, sequence: list[str]) -> None:
        """Adopt a new notebook order (every placed cell, each once)."""
        self.pos = {cell: float(i) for i, cell in enumerate(sequence)}
        self._next = itertools.count(len(sequence))
        for store in (self._writers, self._readers):
            for name, entries in store.items():
                entries[:] = sorted((self.pos[c], c) for _, c in entries)

    # -- names --------------------------------------------------------------------
    def written(self) -> Iterable[str]:
        """Every name some cell writes (a read-only view); ``written_version``
        changes whenever a name gains its first writer or loses its last."""
        return self._writers.keys()

    def register(self, cell: str, names: CellNames) -> None:
        """Add or replace ``cell``'s reads and writes (the cell must be placed)."""
        old = self.names.get(cell)
        item = (self.pos[cell], cell)
        for store, was, now in (
            (self._writers, old.writes if old else frozenset(), names.writes),
            (self._readers, old.reads if old else frozenset(), names.reads),
        ):
            for name in was - now:
                if _discard(store, name, item) and store is self._writers:
                    self.written_version += 1
            for name in now - was:
                if name not in store and store is self._writers:
                    self.written_version += 1
                bisect.insort(store.setdefault(name, []), item)
        self.names[cell] = names

    def remove(self, cell: str) -> None:
        old = self.names.pop(cell, None)
        if old is not None:
            item = (self.pos[cell], cell)
            for name in old.writes:
                if _discard(self._writers, name, item):
                    self.written_version += 1
            for name in old.reads:
                _discard(self._readers, name, item)
        self.pos.pop(cell, None)

    # -- queries ------------------------------------------------------------------
    def writers(self, name: str) -> list[str]:
        return [cell for _, cell in self._writers.get(name, ())]

    def writers_backwards(self, name: str) -> Iterator[str]:
        """Writers of ``name`` from the last: a name many cells write (a
        console session's ``x``) costs only as many steps as are taken."""
        return (cell for _, cell in reversed(self._writers.get(name, ())))

    def provider(self, cell: str, name: str) -> str | None:
        """Nearest writer of ``name`` strictly before ``cell``."""
        writers = self._writers.get(name)
        if not writers:
            return None
        i = bisect.bisect_left(writers, (self.pos[cell], ""))
        return writers[i - 1][1] if i > 0 else None

    def later_writer(self, cell: str, name: str) -> str | None:
        """Nearest writer of ``name`` strictly after ``cell``'s position."""
        writers = self._writers.get(name)
        if not writers:
            return None
        i = bisect.bisect_right(writers, (self.pos[cell], "\U0010ffff"))
        return writers[i][1] if i < len(writers) else None

    def last_writer(self, name: str, excluding: str | None = None) -> str | None:
        """The writer whose value Run All leaves in the namespace."""
        return next((cell for cell in self.writers_backwards(name) if cell != excluding), None)

    def providers(self, cell: str) -> dict[str, str | None]:
        return {name: self.provider(cell, name) for name in self.names[cell].reads}

    def readers(self, cell: str) -> set[str]:
        """Cells that read a value ``cell`` writes (its data successors)."""
        found: set[str] = set()
        here = self.pos[cell]
        for name in self.names[cell].writes:
            readers = self._readers.get(name)
            if not readers:
                continue
            following = self.later_writer(cell, name)
            end = self.pos[following] if following is not None else _NOWHERE
            i = bisect.bisect_right(readers, (here, "\U0010ffff"))
            for position, reader in readers[i:]:
                if position > end:
                    break
                found.add(reader)
        return found

    def to_networkx(self) -> "nx.DiGraph":
        """Data edges provider -> reader, labelled with the names they carry."""
        import networkx as nx

        graph = nx.DiGraph()
        for cell in self.sequence():
            graph.add_node(cell, position=self.pos[cell])
        for cell in self.pos:
            if cell not in self.names:
                continue
            for name, provider in self.providers(cell).items():
                if provider is None:
                    continue
                if graph.has_edge(provider, cell):
                    graph.edges[provider, cell]["names"].add(name)
                else:
                    graph.add_edge(provider, cell, names={name})
        return graph


def _discard(store: dict, name: str, item: tuple[float, str]) -> bool:
    """Remove ``item`` from ``name``'s entries; whether ``name`` left the store."""
    entries = store.get(name)
    if not entries:
        return False
    i = bisect.bisect_left(entries, item)
    if i < len(entries) and entries[i] == item:
        entries.pop(i)
    if not entries:
        del store[name]
        return True
    return False
