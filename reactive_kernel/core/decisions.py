"""Each cell's effective reads and writes, decided against the namespace now.

Analysis gives what a cell's code names; :func:`.effects.resolve` decides
which candidates change objects, :mod:`.resources` which files and
generators its calls touch.  Some decisions depend on other cells, not on the
cell itself: a draw reads the generator only when a seeding cell is above
it, a directory listing reads the files other cells write into it.  Those
cells are judged again, without running, when a seed or the notebook's set
of written files moves.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from typing import Iterable, Mapping

from ..analysis.calls import bind_arguments
from ..analysis.names import Summary
from . import resources
from .cell import Cell
from .effects import Resolved, resolve
from .graph import DataflowGraph
from .ledger import Ledger
from .namespace import MISSING
from .resources import Seeds
from .values import defined_here, kind_of


#: the methods calling a class runs
_CONSTRUCTORS = ("__new__", "__init__", "__post_init__")


class Decisions:
    """The engine's cells' effects, kept current in the graph."""

    def __init__(self, graph: DataflowGraph, cells: Mapping[str, Cell], namespace: Mapping, ledger: Ledger):
        self.graph, self.cells, self.namespace, self.ledger = graph, cells, namespace, ledger
        #: cells that seed a global random generator
        self.seeds = Seeds()
        #: cells that list a directory or a pattern: judged again when a
        #: cell writes a file the notebook did not write before
        self._listings: set[str] = set()
        self._files_written: frozenset = frozenset()
        self._written_version = -1

    def forget(self, cell_id: str) -> None:
        self.seeds.forget(cell_id)
        self._listings.discard(cell_id)

    def judge_draws_again(self) -> tuple[set[str], set[str]]:
        """After a seeding cell came, went or moved: the draws from its
        generator judged again.  A draw a seed now reaches reads from it (and
        is stale); one no seed reaches is no edge.  Returns the draws left
        unseeded, whose old values are as good as any Run All draws, and
        those that became stale."""
        moved = self.seeds.moved()
        if not moved:
            return set(), set()
        graph, left, stale = self.graph, set(), set()
        for cell in [c for c in self.cells.values() if not c.unrun and c.id in graph.names
                     and (moved & c.unseeded or any(n in moved for n in graph.names[c.id].reads))]:
            unseeded = cell.unseeded
            moved_providers = self._judge_again(cell)
            if cell.unseeded - unseeded:
                left.add(cell.id)
            elif moved_providers:
                stale.add(cell.id)
        self.seeds.moved()  # the draws' own judgements moved nothing
        return left, stale

    def judge_listings_again(self) -> set[str]:
        """After the notebook's written files changed: the cells listing a
        directory or a pattern judged again, so that a cell writing a new
        file into it is read by them.  Returns those that became stale."""
        graph, stale = self.graph, set()
        if not self._listings or graph.written_version == self._written_version:
            return stale  # (no name gained its first writer or lost its last: no file did)
        self._written_version = graph.written_version
        files = frozenset(n for n in graph.written() if n.startswith(resources.FILE_PREFIX))
        if files == self._files_written:
            return stale
        self._files_written = files
        for cell_id in list(self._listings):
            cell = self.cells.get(cell_id)
            if cell is None or cell.unrun or cell_id not in graph.names:
                self._listings.discard(cell_id)
            elif self._judge_again(cell):
                stale.add(cell_id)
        return stale

    def _judge_again(self, cell: Cell) -> bool:
        """Refresh a cell other than the requested one; whether its providers changed."""
        providers = self.graph.providers(cell.id)
        self.refresh(cell)
        return self.graph.providers(cell.id) != providers

    def _summary(self, cell_id: str, name: str) -> Summary | None:
        """The summary from the cell that binds ``name`` above ``cell_id``,
        past the cells that only changed it (``Registry.items.append(x)``)."""
        provider = self.graph.provider(cell_id, name)
        while provider is not None and name in self.cells[provider].names.mutations:
            provider = self.graph.provider(provider, name)
        return self.cells[provider].static.functions.get(name) if provider else None

    def refresh(self, cell: Cell, running: bool = False) -> None:
        """Decide the cell's effects against the namespace as it is now, and
        register them with the graph.

        Its writes are what analysis finds plus what its last run bound
        dynamically; bindings its last run skipped (a branch not taken) are
        left out, unless it is about to run, when any of them may happen."""
        if not cell.id or cell.id not in self.graph:
            return
        names = resolve(cell.static, self.namespace, lambda n: self._summary(cell.id, n), self.ledger.aliases,
                        self.ledger.makers)
        touches = resources.decide(self._calls(cell, names.reads), self.namespace)
        pos = self.graph.pos
        touches, cell.unseeded = self.seeds.judge(
            cell.id, touches, lambda c: c in self.cells and pos.get(c, pos[cell.id]) < pos[cell.id])
        if touches is not resources.NOTHING:
            reads = touches.reads
            looked = resources.listings(reads)
            if looked:  # a listing shows the files the notebook writes into it
                reads = reads.union(*(resources.listed(d, self.graph.written()) for d in looked))
                self._listings.add(cell.id)
            else:
                self._listings.discard(cell.id)
            names = Resolved(names.reads | reads, names.writes | touches.writes,
                             names.mutations | touches.mutations)
        writes = names.writes | cell.dynamic
        if not running:
            writes -= cell.skipped
        if writes != names.writes:
            names = Resolved(names.reads, writes, names.mutations)
        if names != cell.names or cell.id not in self.graph.names:
            cell.names = names
            self.graph.register(cell.id, names)

    def _calls(self, cell: Cell, reads: Iterable[str]) -> tuple:
        """The cell's own calls, then those of the notebook functions and
        methods it calls (and they call), each from the cell that defines it
        there.  A function's call on its parameter takes the caller's
        argument where the caller gives a literal or a name (``log('a.txt',
        s)`` makes ``open(path, 'a')`` an append to ``a.txt``).  A notebook
        class called runs its ``__init__``; ``m.draw()`` on an instance (or
        ``M.draw()``) runs ``draw``, found along the class's bases."""
        calls = list(cell.static.calls)
        own = cell.static.function_calls
        todo = [(c.callee[0], self._where(c.callee[0], cell.id, own), c.args) for c in cell.static.calls
                if c.callee and len(c.callee) == 1 and (c.callee[0] in own or c.callee[0] in reads)]
        todo += [(n, self.graph.provider(cell.id, n), ()) for n in sorted(set(reads) - own.keys())]
        todo += self._methods(cell.static.calls, cell.id, own)
        seen = set()
        while todo:
            name, provider, given = todo.pop()
            if provider is None or (name, provider, given) in seen or provider not in self.cells:
                continue
            seen.add((name, provider, given))
            static = self.cells[provider].static
            found = static.function_calls.get(name)
            if not found:
                continue
            summary = static.functions.get(name)
            if summary is not None:
                found = bind_arguments(found, summary.params, summary.positional, given)
            calls.extend(found)
            todo += [(c.callee[0], self._where(c.callee[0], provider, static.function_calls), c.args)
                     for c in found if c.callee and len(c.callee) == 1]
            owner = name.partition(".")[0] if "." in name else None
            todo += self._methods(found, provider, static.function_calls, owner)
        return tuple(calls)

    def _where(self, name: str, at: str, functions: Mapping) -> str | None:
        """The cell whose definition of ``name`` a call at cell ``at`` runs."""
        return at if name in functions else self.graph.provider(at, name)

    def _methods(self, calls: Iterable, at: str, functions: Mapping,
                 owner: str | None = None) -> list[tuple[str, str | None, tuple]]:
        """The notebook methods ``calls`` (made at cell ``at``) run, as
        ``Class.method`` with the cell defining that class; ``owner``: the
        class whose method made them (its ``self.m()`` runs its ``m``)."""
        namespace, found = self.namespace, []
        for call in calls:
            callee = call.callee
            receiver = call.receiver
            if callee is None and receiver is not None and receiver[0] == "new" and len(receiver[1]) == 1:
                callee = (*receiver[1], call.method)  # ``Logger().add(s)``: a method of what ``Logger`` makes
            if not callee or len(callee) > 2:
                continue
            head = owner if callee[0] == "self" and owner and len(callee) == 2 else callee[0]
            value = namespace.get(head, MISSING)
            klass = value if kind_of(value, type) else type(value)
            # a class called, or made in place (``Logger().add``), is the
            # class ``head`` names; a method call's receiver may be an instance
            if (call.callee is None or len(callee) == 1) and klass is not value:
                continue
            if not defined_here(klass, namespace):
                continue  # (a library's class derives from no notebook class)
            methods = _CONSTRUCTORS if call.callee is not None and len(callee) == 1 else (callee[1],)
            try:  # a hostile metaclass may raise: its methods are not followed
                classes = [k.__name__ for k in klass.__mro__ if defined_here(k, namespace)]
            except Exception:
                continue
            for method in methods:
                for class_name in classes:
                    key = f"{class_name}.{method}"
                    where = at if key in functions else self.graph.provider(at, class_name)
                    if where is not None and where in self.cells and key in self.cells[where].static.function_calls:
                        found.append((key, where, ()))
                        break
        return found
