"""The reactive engine: cells, stale tracking, clean reruns and run plans.

It owns no execution machinery.  ``Engine.request`` registers a cell and
returns a :class:`Run`; the caller iterates over its steps, executes each
step's code however it likes (IPython inside the kernel, plain ``exec`` in
tests) and reports the outcome with ``Run.finish``.  That keeps the engine free
of Jupyter and lets the kernel run cells asynchronously.
"""
from __future__ import annotations

import itertools
import operator
import types
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, MutableMapping, Protocol

from .analysis import CellSyntaxError, MagicAnalyzer, Names, analyze, is_graph_name
from .graph import CycleError, DataflowGraph
from .planner import downstream, needed_ancestors, run_order
from .report import Report, RunEntry

CLEAN, KEEP = "clean", "keep"
ANCESTOR, TARGET, DESCENDANT = "ancestor", "target", "descendant"
OK, ERROR, CANCELLED, INTERRUPTED = "ok", "error", "cancelled", "interrupted"
_MISSING = object()
_ANALYSES_KEPT = 512


def python_body_magics() -> dict[str, MagicAnalyzer]:
    """Cell magics whose body is Python run in the user namespace."""

    def body(line: str, cell: str | None) -> Names:
        return analyze(cell or line) if (cell or line).strip() else Names()

    def capture(line: str, cell: str | None) -> Names:
        inner = body("", cell)
        target = line.split()[0] if line.split() and line.split()[0].isidentifier() else None
        return Names(inner.reads, inner.writes | ({target} if target else set()), inner.mutations)

    return {"time": body, "capture": capture}


class Resources(Protocol):
    """Graph names that live outside the Python namespace (SQL tables).

    Such names are not identifiers (``table:default:users``); the engine asks
    this object whether one exists and to remove one on a clean rerun.
    """

    def exists(self, name: str) -> bool: ...

    def remove(self, name: str) -> bool:
        """Remove the resource; False when it must be left alone."""
        ...


@dataclass
class Cell:
    id: str
    code: str
    names: Names
    anonymous: bool = False
    #: names whose binding the cell's last run created or changed: what a
    #: clean rerun removes (when the namespace still holds the cell's value)
    bound: set[str] = field(default_factory=set)
    #: the names static analysis found, before calls were followed
    base: Names | None = None


@dataclass
class Step:
    cell: Cell
    role: str
    mode: str = CLEAN


class Run:
    """One request: its plan, executed step by step by the caller."""

    def __init__(self, engine: "Engine", target: str | None, mode: str, plan: list[Step]):
        self.engine = engine
        self.report = Report(cell_id=target, mode=mode)
        self._plan = plan
        self._status: dict[str, str] = {}
        self._before: dict | None = None
        self._cancelled: set[str] = set()
        self._deferred: set[str] = set()
        self._stopped = False
        #: cells with requests of their own already waiting (see ``defer``)
        self.queued: Callable[[], set[str]] | None = None

    @property
    def steps(self) -> list[Step]:
        return list(self._plan)

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
            if self._stopped or cell.id in self._cancelled:
                engine._cancel(cell, self.report)
                self.report.ran.append(RunEntry(cell.id, step.role, CANCELLED))
                continue
            if step.mode == CLEAN:
                self.report.cleared.extend(engine._clear(cell))
            self._before = dict(engine.namespace)
            yield step
            if cell.id not in self._status:
                raise RuntimeError(f"step {cell.id} was not finished")
        self.report.stale = engine.stale_cells()

    def finish(self, step: Step, status: str) -> None:
        """Record how ``step`` ended: ok, error or interrupted."""
        engine, cell = self.engine, step.cell
        self._status[cell.id] = status
        engine._record(cell, self._before or {}, ok=status == OK)
        self._before = None
        self.report.ran.append(RunEntry(cell.id, step.role, OK if status == OK else ERROR))
        if status == INTERRUPTED:
            self._stopped = True
        elif status != OK and cell.id in engine.graph:
            self._cancelled |= downstream(engine.graph, [cell.id])


class Engine:
    """Reactive state of one notebook's namespace."""

    def __init__(
        self,
        namespace: MutableMapping | None = None,
        *,
        transform: Callable[[str], str] = lambda code: code,
        magics: Mapping[str, MagicAnalyzer] | None = None,
        resources: Resources | None = None,
        autorun: bool = True,
    ):
        self.namespace = namespace if namespace is not None else {}
        self.transform = transform
        self.magics = {**python_body_magics(), **(magics or {})}
        self.resources = resources
        self.autorun = autorun
        self.graph = DataflowGraph()
        self.cells: dict[str, Cell] = {}
        self.stale: set[str] = set()
        #: which cell's run put the namespace's current value of a name there
        self.owner: dict[str, str] = {}
        #: which cell's run bound the object a name holds (mutations, which
        #: take ownership, do not change it): a clean rerun or deletion of
        #: that cell removes the name even after other cells mutated it
        self.binder: dict[str, str] = {}
        self._analyses: dict[str, tuple[Names, tuple]] = {}
        self._anonymous = itertools.count(1)
        self._pending_ancestors: set[str] = set()
        self._pending_descendants: set[str] = set()
        self._pending_cleared: list[str] = []

    # -- queries -----------------------------------------------------------
    def analyze(self, code: str) -> Names:
        """Names of ``code``, from a small cache: a cell run again unchanged
        (or the same line typed again in a console) is not parsed again.  The
        one namespace fact analysis uses, which names hold modules, is
        rechecked on every hit."""
        namespace = self.namespace
        cached = self._analyses.get(code)
        if cached is not None:
            names, modules = cached
            if all(isinstance(namespace.get(n), types.ModuleType) == m for n, m in modules):
                return names
        consulted: dict[str, bool] = {}

        def is_module(name: str) -> bool:
            consulted[name] = isinstance(namespace.get(name), types.ModuleType)
            return consulted[name]

        names = analyze(self.transform(code), magics=self.magics, is_module=is_module)
        if len(self._analyses) >= _ANALYSES_KEPT:
            del self._analyses[next(iter(self._analyses))]
        self._analyses[code] = (names, tuple(consulted.items()))
        return names

    def stale_cells(self) -> list[str]:
        return self.graph.order(self.stale)

    def present(self, name: str) -> bool:
        if name.isidentifier():
            return name in self.namespace
        return self.resources.exists(name) if self.resources else True

    def _remove(self, name: str) -> bool:
        if name.isidentifier():
            return self.namespace.pop(name, _MISSING) is not _MISSING
        return bool(self.resources and self.resources.remove(name))

    def _needs_rerun(self, provider: str, name: str) -> bool:
        if provider in self.stale or self.owner.get(name) != provider:
            return True
        return not self.present(name)

    # -- requests ----------------------------------------------------------
    def request(self, cell_id: str | None, code: str, mode: str = CLEAN) -> Run:
        """Register ``code`` as cell ``cell_id`` (None: a new anonymous cell)
        and plan its run.  A refused cell (syntax error, cycle) yields a Run
        with no steps whose report carries the error; nothing else changes."""
        try:
            names = self.analyze(code)
        except CellSyntaxError as error:
            return self._refused(cell_id, mode, "syntax", f"SyntaxError: {error}")
        if cell_id is None:
            if not names.writes:  # binds nothing: run it, keep nothing
                run = self._plan(None, mode, [])
                run._plan.append(Step(Cell("", code, names, anonymous=True), TARGET, KEEP))
                return run
            cell_id = f"anonymous-{next(self._anonymous)}"
        previous = self.cells.get(cell_id)
        previous_mutations = previous.names.mutations if previous else frozenset()
        previous_writes = previous.names.writes if previous else frozenset()
        former_successors = set(self.graph.dag.succ[cell_id]) if previous else set()
        try:
            self.graph.register(cell_id, names)
        except CycleError as error:
            return self._refused(cell_id, mode, "cycle", _cycle_message(error))
        base = names
        names = self._follow_calls(cell_id, base)
        if names is not base:
            try:
                self.graph.register(cell_id, names)
            except CycleError:  # graph is back to the static registration
                names = base
        cell = previous or Cell(cell_id, code, names, anonymous=cell_id.startswith("anonymous-"))
        cell.code, cell.names, cell.base = code, names, base
        self.cells[cell_id] = cell
        self.stale.add(cell_id)
        restore: set[str] = set()
        if previous is not None and mode == CLEAN:
            for name in (previous.bound | previous_mutations | previous_writes) - names.writes:
                writer = self.graph.last_writer(name, excluding=cell_id)
                if writer is None:
                    continue
                # the cell's value goes, or the namespace lacks the value the
                # remaining last writer gives (a failed run removed it)
                if self._holds(previous, name) or self.owner.get(name) != writer or not self.present(name):
                    restore.add(writer)
        return self._plan(cell_id, mode, [], restore=restore, followers=former_successors)

    def _follow_calls(self, cell_id: str, names: Names) -> Names:
        """``names`` plus the deferred reads of the functions it may call.

        A function body reads globals when it is called, not when it is
        defined: a cell that reads ``f`` (provided by a cell whose functions
        read ``x``) reads ``x`` too, from its own position in kernel order.
        Without this, rerunning ``b = f()`` (where f reads b) or editing a
        later writer of ``x`` would leave the caller's value outdated.
        """
        graph = self.graph
        extra: set[str] = set()
        seen = set(names.reads)
        stack = list(names.reads)
        while stack:
            provider = graph.provider(cell_id, stack.pop())
            if provider is None or provider == cell_id:
                continue
            for name in graph.names[provider].deferred:
                if name not in seen:
                    seen.add(name)
                    stack.append(name)
                    extra.add(name)
        if not extra:
            return names
        return Names(names.reads | extra, names.writes, names.mutations, names.deferred)

    def forget(self, cell_ids) -> None:
        """Delete cells: their names go, earlier writers restore theirs, and
        their readers rerun with the next request's plan."""
        doomed = {c for c in cell_ids if c in self.cells}
        for cell_id in self.graph.order(doomed):
            cell = self.cells.pop(cell_id)
            self._pending_descendants |= set(self.graph.dag.succ[cell_id])
            self.graph.remove(cell_id)
            self.stale.discard(cell_id)
            for name in cell.bound | cell.names.writes:
                if self._holds(cell, name):
                    self.owner.pop(name, None)
                    if name in cell.bound and self._remove(name):
                        self._pending_cleared.append(name)
                # restore the remaining last writer's value when the namespace
                # does not hold it (also when the deleted cell's failed run had
                # already removed the name)
                writer = self.graph.last_writer(name)
                if writer is not None and (
                    self.owner.get(name) != writer or not self.present(name)
                ):
                    self._pending_ancestors.add(writer)
        self._pending_descendants -= doomed
        self._pending_ancestors -= doomed

    def _refused(self, cell_id: str | None, mode: str, kind: str, message: str) -> Run:
        run = Run(self, cell_id, mode, [])
        run.report.error = {"kind": kind, "message": message}
        run.report.stale = self.stale_cells()
        return run

    def _plan(
        self,
        target: str | None,
        mode: str,
        steps: list[Step],
        restore: set[str] = frozenset(),
        followers: set[str] = frozenset(),
    ) -> Run:
        graph = self.graph
        cells = self.cells  # filter by membership: never copy all cells (O(notebook))
        restore = {c for c in (*restore, *self._pending_ancestors) if c in cells}
        followers = {c for c in (*followers, *self._pending_descendants) if c in cells}
        cleared = self._pending_cleared
        self._pending_ancestors, self._pending_descendants, self._pending_cleared = set(), set(), []
        roots = set(restore)
        if target is not None and mode == CLEAN:
            roots.add(target)
        ancestors = needed_ancestors(graph, roots, self._needs_rerun) | restore
        ancestors.discard(target)
        starts = ancestors | ({target} if target else set())
        if self.autorun:
            starts |= followers
            below = downstream(graph, starts)
            # every cell that runs must read current values: a cell pulled in
            # as a descendant may read a provider outside the plan whose value
            # was overwritten (e.g. by a mutation); that provider runs too
            checked: set[str] = roots | ({target} if target else set())  # keep: no ancestor
            while True:
                planned = starts | below
                fresh = planned - checked
                checked |= fresh
                extra = needed_ancestors(
                    graph, fresh, lambda p, n: p not in planned and self._needs_rerun(p, n)
                ) - planned
                if not extra:
                    break
                ancestors |= extra
                starts |= extra
                below = downstream(graph, starts)
        else:  # without autorun, cells that would follow only become stale
            below = set()
            self.stale |= (followers | downstream(graph, starts | followers)) - starts
        cells = starts | below
        after_target = downstream(graph, [target]) if target else set()
        for cell_id in run_order(graph, cells):
            if cell_id == target:
                role = TARGET
            elif cell_id in ancestors and cell_id not in after_target | followers:
                role = ANCESTOR
            else:
                role = DESCENDANT
            step_mode = mode if cell_id == target else CLEAN
            steps.append(Step(self.cells[cell_id], role, step_mode))
        run = Run(self, target, mode, steps)
        run.report.cleared.extend(cleared)
        return run

    # -- namespace hygiene (called by Run) -----------------------------------
    def _clear(self, cell: Cell) -> list[str]:
        """Remove the names the cell's previous run bound, where the
        namespace still holds that run's value."""
        removed = []
        for name in sorted(cell.bound):
            if self._holds(cell, name):
                self.owner.pop(name, None)
                if self._remove(name):
                    removed.append(name)
        cell.bound = set()
        return removed

    def _holds(self, cell: Cell, name: str) -> bool:
        """Whether the namespace's value of ``name`` comes from ``cell``'s
        last run: it wrote it last, or bound the object later cells mutated."""
        if self.owner.get(name) == cell.id:
            return True
        return name in cell.bound and self.binder.get(name) == cell.id

    def _record(self, cell: Cell, before: dict, ok: bool) -> None:
        if not cell.id:
            return  # an unkept cell: nothing to own or remove later
        namespace = self.namespace
        changed, deleted = namespace_changes(before, namespace)
        bindings = cell.names.bindings
        cell.bound = changed | {n for n in cell.bound if self.owner.get(n) == cell.id}
        present = self.present
        if ok:
            cell.bound |= {n for n in bindings if present(n)}
            owned = cell.bound | deleted | {n for n in cell.names.writes if present(n)}
            self.stale.discard(cell.id)
        else:
            owned = changed | deleted | {n for n in cell.names.mutations if present(n)}
            self.stale.add(cell.id)
        cell.bound = {n for n in cell.bound if present(n)}
        for name in owned:
            self.owner[name] = cell.id
        for name in changed | (cell.bound if ok else set()):
            self.binder[name] = cell.id
        extra = changed - cell.names.writes
        if cell.id in self.graph:
            names = cell.names
            base = cell.base or names
            dynamic = self._follow_calls(
                cell.id, Names(base.reads, names.writes | extra, names.mutations, names.deferred)
            )
            if dynamic == names:
                return
            try:
                self.graph.register(cell.id, dynamic)
                cell.names = dynamic
            except CycleError:
                pass

    def _cancel(self, cell: Cell, report: Report) -> None:
        report.cleared.extend(self._clear(cell))
        self.stale.add(cell.id)

    # -- convenience for in-process use --------------------------------------
    def run(self, cell_id: str | None, code: str, mode: str = CLEAN, execute=None) -> Report:
        """Request and execute a cell synchronously with ``exec``."""
        execute = execute or self._exec
        run = self.request(cell_id, code, mode)
        for step in run:
            run.finish(step, execute(step))
        return run.report

    def _exec(self, step: Step) -> str:
        try:
            exec(compile(self.transform(step.cell.code), f"<cell {step.cell.id}>", "exec"), self.namespace)
        except KeyboardInterrupt:
            return INTERRUPTED
        except Exception:
            return ERROR
        return OK


def namespace_changes(before: dict, after: Mapping) -> tuple[set[str], set[str]]:
    """Graph names a run bound anew (new, or holding another object) and
    names it deleted.

    Dicts keep insertion order and rebinding keeps a key's place, so unless
    a name was deleted the old keys are a prefix of the new ones and the
    comparison runs in C; IPython's namespace grows with every execution
    (``_i42``), which would make a Python loop the cost of every step.
    """
    keys = list(after)
    old = list(before)
    if keys[: len(old)] == old:
        same = map(operator.is_not, after.values(), before.values())
        changed = list(itertools.compress(keys, same)) + keys[len(old):]
        deleted: list[str] = []
    else:
        changed = [k for k, v in after.items() if before.get(k, _MISSING) is not v]
        deleted = [k for k in old if k not in after]
    return set(filter(is_graph_name, changed)), set(filter(is_graph_name, deleted))


def _cycle_message(error: CycleError) -> str:
    steps = [f"{u} → {v} (via {', '.join(names)})" for u, v, names in error.cycle]
    return "This cell would create a dependency cycle: " + "; ".join(steps)
