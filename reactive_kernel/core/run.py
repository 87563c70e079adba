"""One request's run: its plan, executed step by step by the caller.

The engine plans; a :class:`Run` walks the plan.  Before each step it clears
the cell's previous writes (clean reruns), skips descendants whose inputs kept
their values, puts back values from providers outside the plan and hides
values only later cells bind; after each step (``finish``) it records what
the cell did and cancels what depended on a failure.  Later cells' values
overwritten by the plan go back when the walk ends.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import itertools
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, MutableMapping, Protocol

from .cell import Cell
from .graph import DataflowGraph
from .ledger import SCALARS
from .namespace import MISSING, Snapshot, Stash, Watch
from .planner import downstream
from .report import Report, RunEntry
from ..vocabulary import CANCELLED, CLEAN, DESCENDANT, ERROR, INTERRUPTED, OK, TARGET, UPSTREAM

if TYPE_CHECKING:
    from ..analysis.dynamic import DynamicCode
    from .ledger import Ledger


class Engine(Protocol):
    """What a :class:`Run` asks of the engine that planned it (see
    :class:`.engine.Engine`): its state, and what to do around each step."""

    namespace: MutableMapping
    cells: Mapping[str, Cell]
    graph: DataflowGraph
    stale: set[str]
    ledger: Ledger
    dynamic: DynamicCode
    transform: Callable[[str], str]

    def order_source(self) -> str: ...
    def stale_cells(self) -> list[str]: ...
    def clear(self, cell: Cell) -> list[str]: ...
    def refresh(self, cell: Cell, running: bool = False) -> None: ...
    def record(self, cell: Cell, before: Snapshot | Watch, ok: bool, hidden: Stash | None = None,
               interrupted: bool = False) -> None: ...


def _comparable(value: Any) -> bool:
    return issubclass(type(value), types.ModuleType) or type(value) in SCALARS


def _same(old: Any, new: Any) -> bool:
    if old is new:
        return True
    return type(old) is type(new) and type(old) in SCALARS and old == new


def _reproduced(value: Any) -> bool:
    """Whether running unchanged code on unchanged inputs again gives a value
    its readers cannot tell from the one they read: a scalar, a module, or
    a plain function whose defaults are scalars (no closure, no attributes).
    A new mutable object is not: a reader may hold the old one (``M = L``),
    and an instance of a rebuilt class is not an instance of the new one."""
    if type(value) in SCALARS or issubclass(type(value), types.ModuleType):
        return True
    if type(value) is not types.FunctionType:
        return False
    try:
        defaults = (*(value.__defaults__ or ()), *(value.__kwdefaults__ or {}).values())
        return value.__closure__ is None and not value.__dict__ and all(type(d) in SCALARS for d in defaults)
    except Exception:
        return False


@dataclass
class Step:
    cell: Cell
    role: str
    mode: str = CLEAN


class Run:
    """One request: its plan, executed step by step by the caller."""

    def __init__(self, engine: Engine, target: str | None, mode: str, plan: list[Step],
                 blocked: Mapping[str, str] | None = None, restore: set[str] = frozenset(),
                 kept: set[str] = frozenset(), cleared: Iterable[str] = (),
                 rebuilds: Iterable[str] = (), skipped_values: Mapping[str, str] | None = None):
        self.engine = engine
        self.report = Report(cell_id=target, mode=mode, order=engine.order_source())
        #: names removed before the plan (a deleted cell's)
        self.report.cleared.extend(cleared)
        self._steps = plan
        #: cells that cannot run because a provider failed and nothing changed since
        self.blocked: dict[str, str] = dict(blocked or {})
        #: for each cancelled cell, the failed cell it waited for (None: interrupted)
        self.cause: dict[str, str | None] = {}
        self._restore = restore
        #: ancestors that were current, run only to rebuild an input that is
        #: gone: when nothing they read changed in this run, rerunning their
        #: unchanged code reproduces their values (see ``_reproduced``),
        #: which is no change for their other readers
        self._rebuilds = frozenset(rebuilds)
        #: names a rebuild rebinds, each with the planned descendant whose
        #: value Run All leaves: put back when that cell is skipped
        self._skipped_values = dict(skipped_values or {})
        #: descendants passed because nothing they read changed
        self._skipped: set[str] = set()
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
        #: the step being prepared or run, until it is finished
        self._current: Step | None = None
        self._walker: Iterator[Step] | None = None
        #: steps the walk passed without running them (skipped, cancelled, deferred)
        self._passed: set[str] = set()
        self._stash: Stash | None = None
        #: cells with requests of their own already waiting (see ``defer``)
        self.queued: Callable[[], set[str]] | None = None

    @property
    def steps(self) -> list[Step]:
        return list(self._steps)

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
        followers = {s.cell.id for s in self._steps if s.role == DESCENDANT}
        others = {s.cell.id for s in self._steps} - followers
        for cell in followers & set(cells):
            later = downstream(graph, [cell])
            if not later & others:
                self._deferred |= ({cell} | later) & followers
        return set(self._deferred)

    def __iter__(self) -> Iterator[Step]:
        self._walker = self._walk()
        return self._walker

    def _walk(self) -> Iterator[Step]:
        engine = self.engine
        waiting: set[str] = set()
        planned = {step.cell.id for step in self._steps}
        before = Stash(engine.namespace, self._kept, engine.ledger.owner, engine.ledger.binder)
        self._stash = before
        try:
            for step in self._steps:
                cell = step.cell
                if self.queued is not None and step.role == DESCENDANT:
                    now = self.queued()  # requests keep arriving while cells run
                    if now != waiting:
                        waiting = now
                        self.defer(now)
                self._current = step
                if not self._runs(step):
                    self._passed.add(cell.id)
                    continue
                self._prepare(step, planned, before)
                yield step
                if cell.id not in self._status:
                    raise RuntimeError(f"step {cell.id} was not finished")
            self._current = None
        finally:
            self._end()

    def _end(self) -> None:
        """Values the plan overwrote go back, once, and the report says what is stale."""
        if self._stash is not None:
            stash, self._stash = self._stash, None
            skipped = {n for n, writer in self._skipped_values.items() if writer in self._skipped}
            self.report.restored.extend(sorted(stash.put_back(set(self._restore) | skipped)))
        self.report.stale = self.engine.stale_cells()

    def abort(self, started: bool) -> None:
        """End a walk stopped outside a cell's code: an interrupt that landed
        in the caller's bookkeeping, or a bug.  ``started``: whether the
        current step's code may have begun (then it counts as interrupted;
        else as cancelled).  Every step not run is cancelled (stale, its old
        values removed), so no cell is current with an outdated input."""
        self._stopped = True
        step, self._current = self._current, None
        done = {entry.cell_id for entry in self.report.ran} | self._passed
        if step is not None and step.cell.id not in done:
            if started:
                self.finish(step, INTERRUPTED)
            else:
                hidden, self._hidden = self._hidden, None
                if hidden is not None:
                    hidden.put_back()
                self._before = None
                self._cancel(step, None)
            done.add(step.cell.id)
        for rest in self._steps:
            if rest.cell.id not in done and rest.cell.id not in self._deferred:
                try:
                    self._cancel(rest, None)
                except Exception:  # at least stale: the next run that needs it runs it
                    self.engine.stale.add(rest.cell.id)
        walker, self._walker = self._walker, None
        if walker is not None:
            walker.close()
        self._end()

    def _runs(self, step: Step) -> bool:
        """Whether the step runs: not deferred, cancelled or blocked, and for
        a descendant, something it depends on changed."""
        cell = step.cell
        if cell.id in self._deferred:
            self.engine.stale.add(cell.id)
            return False
        cause = self._cancelled.get(cell.id, self.blocked.get(cell.id))
        if self._stopped or cell.id in self._cancelled or cell.id in self.blocked:
            self._cancel(step, None if self._stopped else cause)
            return False
        # a descendant nothing it reads changed for: its result stands
        if step.role != DESCENDANT or self._must_run(cell) and not self._fails_again(cell):
            return True
        self._skipped.add(cell.id)
        return False

    def _prepare(self, step: Step, planned: set[str], before: Stash) -> None:
        """Set the namespace up for the step: the cell's previous writes go
        (clean), outside providers' values come back, later values hide."""
        engine, cell = self.engine, step.cell
        self._old = self._comparable_values(cell)
        cleared = engine.clear(cell) if step.mode == CLEAN and cell.id else []
        self.report.cleared.extend(cleared)
        # the request decided the target's effects; decide again only
        # if the namespace changed since in a way they depend on
        if step.role != TARGET or self.report.ran or not cell.names.reads.isdisjoint(cleared):
            engine.refresh(cell, running=True)
        before.put_back(self._outside_values(cell, planned, before))
        self._hidden = Stash(engine.namespace, self._later_names(cell))
        self._hidden.take()
        self._before = self._watch(cell)

    def finish(self, step: Step, status: str) -> None:
        """Record how ``step`` ended: ok, error or interrupted."""
        engine, cell = self.engine, step.cell
        self._status[cell.id] = status
        hidden, self._hidden = self._hidden, None
        # what depends on the cell as it was planned (a failed run may leave
        # bindings undone that its readers still wait for)
        waiting = downstream(engine.graph, [cell.id]) if status not in (OK, INTERRUPTED) and \
            cell.id in engine.graph else set()
        engine.record(cell, self._before or Snapshot({}), ok=status == OK, hidden=hidden,
                      interrupted=status == INTERRUPTED)
        self._before = None
        changed = self._changed_names(cell)
        if status == OK and cell.id in self._rebuilds and not self.changed_reads(cell):
            namespace = engine.namespace
            changed = {n for n in changed if n in cell.names.mutations
                       or not _reproduced(namespace.get(n, MISSING))}
        self._changed[cell.id] = changed
        if hidden is not None:
            hidden.put_back()
        self.report.ran.append(RunEntry(cell.id, step.role, status if status in (OK, INTERRUPTED) else ERROR))
        if status == INTERRUPTED:
            self._stopped = True
        for reader in waiting:
            self._cancelled.setdefault(reader, cell.id)

    # -- the namespace around a step --------------------------------------------
    def _comparable_values(self, cell: Cell) -> dict[str, Any]:
        """The values of the cell's writes that are safe to hold and compare
        (modules, numbers, strings, whatever an import binds): if a run gives
        the same again, readers need not rerun.  Mutable values always count as changed: holding them
        would keep them alive, and comparing their identity after they were
        freed could mistake a new object for the old one."""
        namespace, owner_of = self.engine.namespace, self.engine.ledger.owner_of
        imports = cell.static.imports  # the module keeps them alive anyway
        values = {n: namespace[n] for n in cell.names.writes
                  if owner_of(n) == cell.id and n in namespace and (n in imports or _comparable(namespace[n]))}
        # a later cell imported the very object again: it is still this cell's value
        for n, value in cell.imported.items():
            if namespace.get(n, MISSING) is value:
                values.setdefault(n, value)
        return values

    def _changed_names(self, cell: Cell) -> set[str]:
        """Names whose values the cell's run changed (mutations always)."""
        namespace, old = self.engine.namespace, self._old
        changed = set(cell.names.mutations)
        for name in cell.names.writes - cell.names.mutations:
            if name not in old or not _same(old[name], namespace.get(name, MISSING)):
                changed.add(name)
        return changed

    def _outside_values(self, cell: Cell, planned: set[str], before: Stash) -> list[str]:
        """Names the cell reads from a provider outside the plan whose value an
        earlier cell of the plan replaced: that provider's value goes back
        first (it was current before the plan, or the provider would be in it)."""
        graph = self.engine.graph
        names = []
        for name in cell.names.reads:
            if name not in before.names:
                continue
            provider = graph.provider(cell.id, name)
            outside = provider not in planned or provider in self._skipped  # its value stands
            if provider is not None and outside and before.owner_of(name) == provider:
                names.append(name)
        return names

    def _later_names(self, cell: Cell) -> set[str]:
        """Names the cell reads that only later cells bind: hidden while it
        runs, so it fails as in Run All instead of reading the future."""
        graph, namespace = self.engine.graph, self.engine.namespace
        if not cell.id or cell.id not in graph:
            return set()
        return {
            n for n in cell.names.reads
            if n in namespace and graph.provider(cell.id, n) is None and graph.later_writer(cell.id, n)
        }

    def _watch(self, cell: Cell) -> Watch | Snapshot | None:
        """What the step's run may change, found at the cost of what the cell
        names; a whole-namespace snapshot only for code that can bind names
        it does not name (see :mod:`.namespace`)."""
        if not cell.id:
            return None  # an unkept cell: nothing is recorded
        engine = self.engine
        dynamic, global_writes = engine.dynamic.reach(cell.code, engine.transform, engine.namespace)
        if dynamic:
            return Snapshot(engine.namespace)
        return Watch(engine.namespace, itertools.chain(
            cell.names.writes, cell.static.writes, cell.dynamic, global_writes),
            learned=cell.dynamic - cell.names.writes - cell.static.writes - set(global_writes))

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

    def _fails_again(self, cell: Cell) -> bool:
        """A failed descendant whose code and inputs are what they were when
        it failed (its providers ran in this plan, if at all, without
        changing what it reads) would fail again: it is not rerun, and its
        readers are cancelled naming it, as when it is a needed ancestor."""
        failed = cell.failed
        if failed is None or self.changed_reads(cell):
            return False
        engine = self.engine
        providers = {engine.graph.provider(cell.id, n) for n in cell.names.reads} - {None}
        if providers != failed.keys():
            return False
        if not all(engine.cells[p].runs == runs or p in self._changed for p, runs in failed.items()):
            return False
        for reader in downstream(engine.graph, [cell.id]):
            self._cancelled.setdefault(reader, cell.id)
        return True

    def _cancel(self, step: Step, cause: str | None) -> None:
        engine, cell = self.engine, step.cell
        self.report.cleared.extend(engine.clear(cell))
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
