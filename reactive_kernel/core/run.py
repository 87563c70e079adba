"""One request's run: its plan, executed step by step by the caller.

The engine plans; a :class:`Run` walks the plan.  Before each step it clears
the cell's previous writes (clean reruns), skips descendants whose inputs kept
their values, puts back values from providers outside the plan and hides
values only later cells bind; after each step (``finish``) it records what
the cell did and cancels what depended on a failure.  Later cells' values
overwritten by the plan go back when the walk ends.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from ..analysis.dynamic import reach
from .namespace import Snapshot, Stash, Watch
from .planner import downstream
from .report import Report, RunEntry
from ..vocabulary import CANCELLED, CLEAN, DESCENDANT, ERROR, INTERRUPTED, OK, TARGET, UPSTREAM

if TYPE_CHECKING:
    from .engine import Cell, Engine



@dataclass
class Step:
    cell: Cell
    role: str
    mode: str = CLEAN


class Run:
    """One request: its plan, executed step by step by the caller."""

    def __init__(self, engine: "Engine", target: str | None, mode: str, plan: list[Step],
                 blocked: Mapping[str, str] | None = None, restore: set[str] = frozenset(),
                 kept: set[str] = frozenset()):
        self.engine = engine
        self.report = Report(cell_id=target, mode=mode, order=engine.order_source())
        self._plan = plan
        #: cells that cannot run because a provider failed and nothing changed since
        self.blocked: dict[str, str] = dict(blocked or {})
        #: for each cancelled cell, the failed cell it waited for (None: interrupted)
        self.cause: dict[str, str | None] = {}
        self._restore = restore
        #: names whose pre-plan values the plan may need again (``restore``
        #: and values read from providers outside it); only these are held,
        #: so replaced objects are freed as in ipykernel
        self._kept = kept
        self._status: dict[str, str] = {}
        self._before: dict | None = None
        self._hidden: Stash | None = None
        self._cancelled: dict[str, str | None] = {}
        self._deferred: set[str] = set()
        #: for each cell run, the names whose values it changed
        self._changed: dict[str, set[str]] = {}
        self._old: dict[str, Any] = {}
        self._stopped = False
        #: cells with requests of their own already waiting (see ``defer``)
        self.queued: Callable[[], set[str]] | None = None

    @property
    def steps(self) -> list[Step]:
        return list(self._plan)

    def changed_reads(self, cell: Cell) -> set[str]:
        """Names ``cell`` reads whose provider changed them earlier in this run."""
        graph, changed = self.engine.graph, self._changed
        return {name for name in cell.names.reads
                if name in changed.get(graph.provider(cell.id, name), ())}

    def defer(self, cells) -> set[str]:
        """Leave descendants that have a request of their own already queued
        (JupyterLab's *Run All*) to that request, with what depends on them:
        each cell then runs once, not once per queued request above it.
        A cell is kept when an ancestor or the target depends on it."""
        graph = self.engine.graph
        followers = {s.cell.id for s in self._plan if s.role == DESCENDANT}
        others = {s.cell.id for s in self._plan} - followers
        for cell in followers & set(cells):
            later = downstream(graph, [cell])
            if not later & others:
                self._deferred |= ({cell} | later) & followers
        return set(self._deferred)

    def __iter__(self) -> Iterator[Step]:
        engine = self.engine
        waiting: set[str] = set()
        planned = {step.cell.id for step in self._plan}
        before = Stash(engine.namespace, self._kept, engine.owner, engine.binder)
        try:
            for step in self._plan:
                cell = step.cell
                if self.queued is not None and step.role == DESCENDANT:
                    now = self.queued()  # requests keep arriving while cells run
                    if now != waiting:
                        waiting = now
                        self.defer(now)
                if cell.id in self._deferred:
                    engine.stale.add(cell.id)
                    continue
                cause = self._cancelled.get(cell.id, self.blocked.get(cell.id))
                if self._stopped or cell.id in self._cancelled or cell.id in self.blocked:
                    self._cancel(step, None if self._stopped else cause)
                    continue
                if step.role == DESCENDANT and not self._must_run(cell):
                    continue  # nothing it reads changed: its result stands
                self._old = engine._comparable_values(cell)
                cleared = engine._clear(cell) if step.mode == CLEAN and cell.id else []
                self.report.cleared.extend(cleared)
                # the request decided the target's effects; decide again only
                # if the namespace changed since in a way they depend on
                if step.role != TARGET or self.report.ran or not cell.names.reads.isdisjoint(cleared):
                    engine._refresh(cell, running=True)
                before.put_back(engine._outside_values(cell, planned, before))
                self._hidden = Stash(engine.namespace, engine._later_names(cell))
                self._hidden.take()
                self._before = self._watch(cell)
                yield step
                if cell.id not in self._status:
                    raise RuntimeError(f"step {cell.id} was not finished")
        finally:
            self.report.restored.extend(before.put_back(self._restore))
            self.report.stale = engine.stale_cells()

    def finish(self, step: Step, status: str) -> None:
        """Record how ``step`` ended: ok, error or interrupted."""
        engine, cell = self.engine, step.cell
        self._status[cell.id] = status
        hidden, self._hidden = self._hidden, None
        # what depends on the cell as it was planned (a failed run may leave
        # bindings undone that its readers still wait for)
        waiting = downstream(engine.graph, [cell.id]) if status not in (OK, INTERRUPTED) and \
            cell.id in engine.graph else set()
        engine._record(cell, self._before or Snapshot({}), ok=status == OK, hidden=hidden)
        self._before = None
        self._changed[cell.id] = engine._changed_names(cell, self._old)
        if hidden is not None:
            hidden.put_back()
        self.report.ran.append(RunEntry(cell.id, step.role, OK if status == OK else ERROR))
        if status == INTERRUPTED:
            self._stopped = True
        for reader in waiting:
            self._cancelled.setdefault(reader, cell.id)

    def _watch(self, cell: Cell) -> Watch | Snapshot | None:
        """What the step's run may change, found at the cost of what the cell
        names; a whole-namespace snapshot only for code that can bind names
        it does not name (see :mod:`.namespace`)."""
        if not cell.id:
            return None  # an unkept cell: nothing is recorded
        engine = self.engine
        dynamic, global_writes = reach(cell.code, engine.transform, engine.namespace)
        if dynamic:
            return Snapshot(engine.namespace)
        return Watch(engine.namespace, itertools.chain(
            cell.names.writes, cell.static.writes, cell.dynamic, global_writes))

    def _must_run(self, cell: Cell) -> bool:
        """Whether a descendant's result may differ: it is stale, or a cell
        that ran in this plan changed a value it reads (rebinding an import or
        a constant to the same value changes nothing)."""
        engine = self.engine
        if cell.id in engine.stale or self.changed_reads(cell):
            return True
        # an earlier cell of the plan replaced a value this cell gives
        writes = cell.names.writes
        return any(not names.isdisjoint(writes) for names in self._changed.values())

    def _cancel(self, step: Step, cause: str | None) -> None:
        engine, cell = self.engine, step.cell
        self.report.cleared.extend(engine._clear(cell))
        engine.stale.add(cell.id)
        self.cause[cell.id] = cause
        self.report.ran.append(RunEntry(cell.id, step.role, CANCELLED))
        if step.role == TARGET:
            self.report.error = (
                {"kind": INTERRUPTED, "message": "the run was interrupted"} if cause is None else
                {"kind": UPSTREAM, "message": f"not run: upstream cell {cause} failed", "cell_id": cause})
        if cell.id in engine.graph:
            for reader in downstream(engine.graph, [cell.id]):
                self._cancelled.setdefault(reader, cause)
