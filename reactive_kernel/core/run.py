"""One request's run: its plan, executed step by step by the caller.

The engine plans; a :class:`Run` walks the plan (what it judges on the way,
whether a descendant must run and what a step changed, is
:mod:`.verdicts`).  Before each step it clears
the cell's previous writes (clean reruns), skips descendants whose inputs kept
their values, puts back values from providers outside the plan and hides
values only later cells bind; after each step (``finish``) it records what
the cell did and cancels what depended on a failure.  Later cells' values
overwritten by the plan go back when the walk ends.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import itertools
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Iterable, Iterator, Mapping, MutableMapping, Protocol

from ..analysis.calls import reads_every_name
from .cell import Cell
from .digests import Digest
from .graph import DataflowGraph
from .keys import InputKeys
from .namespace import Snapshot, Stash, Watch, weakly
from .sameness import changed_names, comparable_values, note_overwritten
from .planner import downstream
from .resources import FILE_PREFIX, Aside, Saved
from .report import Report, RunEntry
from .verdicts import Verdicts
from ..vocabulary import CANCELLED, CLEAN, DESCENDANT, ERROR, INTERRUPTED, OK, TARGET, UPSTREAM

if TYPE_CHECKING:
    from ..analysis.dynamic import DynamicCode
    from .ledger import Ledger


class Engine(Protocol):
    """What a :class:`Run` asks of the engine that planned it (see
    :class:`.engine.Engine`): its state, and what to do around each step."""

    namespace: MutableMapping
    history: tuple[Mapping, ...]
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


@dataclass
class Step:
    cell: Cell
    role: str
    mode: str = CLEAN


class Run(Verdicts):
    """One request: its plan, executed step by step by the caller."""

    def __init__(self, engine: Engine, target: str | None, mode: str, plan: list[Step],
                 blocked: Mapping[str, str] | None = None, restore: set[str] = frozenset(),
                 kept: set[str] = frozenset(), cleared: Iterable[str] = (),
                 rebuilds: Iterable[str] = (), skipped_values: Mapping[str, str] | None = None,
                 needed: Mapping[str, AbstractSet[str]] | None = None):
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
        #: cells that were current, run only to rebuild an input that is
        #: gone: ancestors planned so, and cells after the target a planned
        #: reader needs while nothing they read changed (added as the walk
        #: reaches them).  Rerunning their unchanged code reproduces their
        #: values (see ``_reproduced``), which is no change for their other readers
        self._rebuilds = set(rebuilds)
        #: names a rebuild (or an earlier planned cell) rebinds, each with the
        #: planned descendant whose value Run All leaves: put back when that
        #: cell is skipped
        self._skipped_values = dict(skipped_values or {})
        #: descendants passed because nothing they read changed
        self._skipped: set[str] = set()
        #: objects a rebuild bound anew in this run that count as its old
        #: ones (nothing can reach those), by name: the cell that last bound
        #: or changed the object, and a weak reference to it
        self._fresh: dict[str, tuple[str, weakref.ref]] = {}
        #: descendants run only to replay their change of such an object:
        #: Run All's object has it, and the plan's cells may hold that object
        self._replays: set[str] = set()
        #: the value of each name a rebuild writes, before its step: its
        #: ``id`` and a weak reference (an id alone may be a new object's,
        #: the old one freed), None where the type takes none
        self._before_step: dict[str, tuple[int, weakref.ref | None]] = {}
        #: names the finishing step's rebuild took as fresh, not yet confirmed
        self._taken: set[str] = set()
        #: names of the finishing step compared by the digest of a later cell's overwrite
        self._overwritten: set[str] = set()
        #: for each rebuild, names counted changed only because a new change
        #: in place lies ahead (``_changes_ahead``): equal to the old value
        self._ahead: dict[str, set[str]] = {}
        #: fresh objects (``_fresh``) set aside while such a step lay ahead
        self._fresh_ahead: dict[str, tuple[str, weakref.ref]] = {}
        #: cells stale when the plan was made (their code or inputs changed)
        self._stale_before = frozenset(engine.stale)
        #: cells stale only because planned readers need a value of theirs the
        #: namespace lacks, with those readers: they run only if one may
        self._needed = dict(needed or {})
        #: names whose pre-plan values the plan may need again (``restore``
        #: and values read from providers outside it); only these are held,
        #: so replaced objects are freed as in ipykernel
        self._kept = kept
        self._status: dict[str, str] = {}
        self._before: dict | None = None
        self._hidden: Stash | None = None
        self.names_moved: frozenset[str] = frozenset()
        #: the generator states the step about to run starts from (``Cell.seen``)
        self._seen: dict[str, Any] = {}
        self._cancelled: dict[str, str | None] = {}
        self._deferred: set[str] = set()
        #: for each cell run, the names whose values it changed
        self._changed: dict[str, set[str]] = {}
        #: for each cell run, the names it bound (changed or not)
        self._rebound: dict[str, set[str]] = {}
        #: cells that read a name whose provider's run in this plan no longer
        #: bound it (a branch not taken, a dynamic or star binding gone): a
        #: change for them, though the graph no longer links them
        self._lost: set[str] = set()
        self._old: dict[str, Any] = {}
        #: what the step's cell bound before its run, and who read it from it
        self._readers_before: dict[str, set[str]] = {}
        self._stopped = False
        #: the step being prepared or run, until it is finished
        self._current: Step | None = None
        self._walker: Iterator[Step] | None = None
        #: steps the walk passed without running them (skipped, cancelled, deferred)
        self._passed: set[str] = set()
        self._stash: Stash | None = None
        self._saved = Saved(())
        self._aside = Aside(())
        #: cells with requests of their own already waiting (see ``defer``)
        self.queued: Callable[[], set[str]] | None = None
        #: a cache, set by the caller: ``loader(step, key)`` puts the step's
        #: values in the namespace instead of its run and returns True, or
        #: leaves everything as it is and returns False (see ``core.keys``)
        self.loader: Callable[[Step, str], bool] | None = None
        #: the input key of each step prepared while a loader is set
        self.keys: dict[str, str] = {}

    @property
    def steps(self) -> list[Step]:
        return list(self._steps)

    @property
    def rebuilds(self) -> frozenset:
        """Cells that were current, run only to rebuild a gone input."""
        return frozenset(self._rebuilds)

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

    def nothing_follows(self, step: Step) -> bool:
        """Whether no step can follow ``step`` whatever its run bound: it is
        the plan's last, no cell reads from it, and its run could bind only
        names its code names (code that can bind others is snapshotted whole,
        and a reader of what it bound joins the plan: :meth:`_join`)."""
        return self._steps[-1] is step and not self.engine.readers(step.cell.id) \
            and not isinstance(self._before, Snapshot)

    def close(self) -> None:
        """End a walk its caller left after its last step, which it finished
        later (the kernel records it while ipykernel waits for outputs).
        Steps that finishing it added (readers of a name it bound unseen,
        see :meth:`_join`) are not run now: they stay stale, as deferred ones."""
        walker, self._walker = self._walker, None
        if walker is None:
            return
        done = {entry.cell_id for entry in self.report.ran}
        self._deferred |= {s.cell.id for s in self._steps if s.cell.id not in done}
        for step in walker:
            raise RuntimeError(f"step {step.cell.id} came after the walk was closed")

    def _walk(self) -> Iterator[Step]:
        engine = self.engine
        waiting: set[str] = set()
        planned = {step.cell.id for step in self._steps}
        before = Stash(engine.namespace, self._kept, engine.ledger.owner, engine.ledger.binder)
        self._stash = before
        self._saved = Saved(self._kept)
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
                if self.loader is not None and self._load(step):
                    continue
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
            self._saved.put_back(set(self._restore) | skipped)
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
                self._aside.put_back()
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
        if cell.id in self._needed:  # no reader needs it after all: it was current
            self.engine.stale.discard(cell.id)
        return False

    def _prepare(self, step: Step, planned: set[str], before: Stash) -> None:
        """Set the namespace up for the step: the cell's previous writes go
        (clean), outside providers' values come back, later values hide."""
        engine, cell = self.engine, step.cell
        namespace, owner_of = engine.namespace, engine.ledger.owner_of
        self._old = comparable_values(cell, namespace, owner_of)
        self._before_step = {n: (id(namespace[n]), weakly(namespace[n])) for n in cell.names.writes
                             if n in namespace} if cell.id in self._rebuilds else {}
        note_overwritten(cell, namespace, owner_of, engine.cells)
        self._readers_before = self._readers_of_bindings(cell)
        cleared = engine.clear(cell) if step.mode == CLEAN and cell.id else []
        self.report.cleared.extend(cleared)
        # the request decided the target's effects; decide again only
        # if the namespace changed since in a way they depend on
        if step.role != TARGET or self.report.ran or not cell.names.reads.isdisjoint(cleared):
            engine.refresh(cell, running=True)
        outside = self._outside_values(cell, planned, before)
        before.put_back(outside)
        self._saved.put_back(outside)
        later = self._later_names(cell)
        #: names that left the namespace or came back for this step: IPython
        #: reads ``pwd`` as a magic only while no variable has the name
        self.names_moved = frozenset(cleared).union(outside, later)
        self._hidden = Stash(engine.namespace, later)
        self._hidden.take()
        self._aside = Aside(later - cell.names.writes)  # a file it rewrites or deletes is its own
        self._aside.take()
        self._seen = self._states(cell)
        self._before = self._watch(cell)

    def _load(self, step: Step) -> bool:
        """The step's values from the cache, when it has them for its key:
        recorded as a run of the cell that completed."""
        cell = step.cell
        if not cell.id:
            return False
        key = InputKeys(self.engine.graph, self.engine.cells, self.engine.transform).key(cell.id)
        if key is None:
            return False
        self.keys[cell.id] = key
        try:
            loaded = self.loader(step, key)
        except Exception:  # a cache must never cost a run: the cell runs
            loaded = False
        if not loaded:
            return False
        self.finish(step, OK)
        self.report.ran[-1].cached = True
        return True

    def finish(self, step: Step, status: str) -> None:
        """Record how ``step`` ended: ok, error or interrupted."""
        engine, cell = self.engine, step.cell
        self._status[cell.id] = status
        held, cell.held = cell.held, {}
        hidden, self._hidden = self._hidden, None
        self._aside.put_back()
        # what depends on the cell as it was planned (a failed run may leave
        # bindings undone that its readers still wait for)
        waiting = downstream(engine.graph, [cell.id]) if status not in (OK, INTERRUPTED) and \
            cell.id in engine.graph else set()
        engine.record(cell, self._before or Snapshot({}), ok=status == OK, hidden=hidden,
                      interrupted=status == INTERRUPTED)
        self._before = None
        if status == OK:
            namespace = engine.namespace
            cell.held = {n: ref for n in cell.bound if (ref := weakly(namespace.get(n))) is not None}
        # digests of values a later cell replaced; the others are of its own
        overwritten = self._overwritten = set(cell.digests)
        changed = changed_names(cell, self._old, engine.namespace, engine.history)
        present = engine.present
        for name, readers in self._readers_before.items():
            if not present(name):
                changed.add(name)
                self._lost |= readers
        self._readers_before = {}
        if status == OK and (cell.id in self._rebuilds or cell.id in self._replays):
            repeated = self._equal_ahead(cell)
            if not self.changed_reads(cell) - self._started_alike(cell) - repeated:
                for name in repeated & self._fresh_ahead.keys():
                    self._fresh.setdefault(name, self._fresh_ahead.pop(name))
                changed = {n for n in changed if not self._reproduces(cell, n, held.get(n))}
        cell.seen = self._seen if status == OK else {}
        # new objects taken for old ones (fresh, or a digest matched): not
        # while a new change in place lies ahead (see ``_changes_ahead``)
        digested = {n for n in cell.names.writes if type(self._old.get(n)) is Digest} - changed
        # a value the namespace still held, matched by content: its new object
        # may share memory with another the plan then changes in place
        # (``s = df['a']``), which no name shows; any change in place ahead counts
        own = digested - overwritten
        if own and self._changes_ahead(cell, changed, anywhere=True):
            changed |= own
            digested -= own
        taken, self._taken = self._taken, set()
        if (taken or digested) and self._changes_ahead(cell, changed):
            self._ahead[cell.id] = (taken | digested) - changed
            changed |= taken | digested
            for name in taken:
                fresh = self._fresh.pop(name, None)
                if fresh is not None:
                    self._fresh_ahead[name] = fresh
            for name in digested:
                cell.digests.pop(name, None)
        self._changed[cell.id] = changed
        # (a rebuilt ancestor's are put back for a skipped writer: ``_skipped_values``)
        self._rebound[cell.id] = (cell.bound - cell.names.mutations) if status == OK \
            and cell.id not in self._rebuilds else set()
        if status == OK and changed:
            self._join(cell, changed)
        if hidden is not None:
            hidden.put_back()
        self.report.ran.append(RunEntry(cell.id, step.role, status if status in (OK, INTERRUPTED) else ERROR))
        if status == INTERRUPTED:
            self._stopped = True
        for reader in waiting:
            self._cancelled.setdefault(reader, cell.id)

    def _join(self, cell: Cell, changed: set[str]) -> None:
        """Readers of what the cell changed that the plan lacks join it, in
        notebook order: the run bound a name its last run had not (a branch
        taken again, a dynamic binding back), so the graph planned without
        that edge."""
        engine = self.engine
        graph = engine.graph
        if not getattr(engine, "autorun", True) or cell.id not in graph:
            return
        planned = {s.cell.id for s in self._steps}
        joining = [r for r in graph.readers(cell.id) - planned
                   if not engine.cells[r].unrun and any(
                       n in changed and graph.provider(r, n) == cell.id for n in graph.names[r].reads)]
        if not joining:
            return
        at = next(i for i, s in enumerate(self._steps) if s.cell.id == cell.id) + 1
        for reader in graph.order(joining):
            while at < len(self._steps) and graph.pos.get(self._steps[at].cell.id, float("inf")) < graph.pos[reader]:
                at += 1
            self._steps.insert(at, Step(engine.cells[reader], DESCENDANT))
            self._lost.add(reader)

    def _readers_of_bindings(self, cell: Cell) -> dict[str, set[str]]:
        """For each name the cell's last run bound, the cells reading it from
        the cell now: if the new run leaves it unbound, they must learn so."""
        graph = self.engine.graph
        if not cell.id or cell.id not in graph or not cell.bound:
            return {}
        readers = graph.readers(cell.id)
        found: dict[str, set[str]] = {}
        for name in cell.bound:
            who = {r for r in readers if name in graph.names[r].reads and graph.provider(r, name) == cell.id}
            if who:
                found[name] = who
        return found

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
        # a cell that looks at every name (``globals()``, ``%who``) reads them all
        reads = list(namespace) if reads_every_name(cell.static.calls) else cell.names.reads
        return {
            n for n in reads
            if (n in namespace or n.startswith(FILE_PREFIX)) and graph.provider(cell.id, n) is None
            and graph.later_writer(cell.id, n)
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
