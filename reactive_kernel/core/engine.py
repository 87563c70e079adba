"""The reactive engine: cells, stale tracking, clean reruns and run plans.

It owns no execution machinery.  ``Engine.request`` registers a cell and
returns a :class:`Run`; the caller iterates over its steps, executes each
step's code however it likes (IPython inside the kernel, plain ``exec`` in
tests) and reports the outcome with ``Run.finish``.  That keeps the engine free
of Jupyter and lets the kernel run cells asynchronously.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import itertools
from typing import Callable, Iterable, Mapping, MutableMapping, Protocol

from ..analysis.cells import CellSyntaxError, MagicAnalyzer, Names, analyze, python_body_magics
from ..analysis.dynamic import DynamicCode, resets
from .cell import Cell
from .decisions import Decisions
from .values import is_immutable, is_value
from .graph import DataflowGraph
from .ledger import Ledger
from .namespace import MISSING, Snapshot, Stash, Watch
from .order import SAVED_CELL_ANALYSED, NotebookOrder
from .report import Report
from . import resources
from . import planner
from .planner import downstream, upstream
from .run import Run, Step
from ..vocabulary import ANCESTOR, CLEAN, DESCENDANT, ERROR, INTERRUPTED, KEEP, OK, SYNTAX, TARGET

_ANALYSES_KEPT = 512


def _small(value) -> bool:
    """A value safe to compare (:func:`.values.is_value`: a number, a path,
    a small tuple of such) and cheap to keep: its strings are short."""
    return is_value(value) and _short(value)


def _short(value) -> bool:
    kind = type(value)
    if kind is tuple or kind is frozenset:
        return all(_short(v) for v in value)
    return kind is not str and kind is not bytes or len(value) <= 256


class Resources(Protocol):
    """Graph names that live outside the Python namespace (SQL tables).

    Such names are not identifiers (``table:default:users``); the engine asks
    this object whether one exists and to remove one on a clean rerun.
    """

    def exists(self, name: str) -> bool: ...

    def remove(self, name: str) -> bool:
        """Remove the resource; False when it must be left alone."""
        ...


class Engine:
    """Reactive state of one notebook's namespace: a coordinator.

    It keeps the cells, the stale set and the order; the graph knows who
    reads whom, the :class:`.Ledger` who made each value, :func:`.planner.plan`
    what a request runs, and a :class:`Run` walks the plan.
    """

    def __init__(
        self,
        namespace: MutableMapping | None = None,
        *,
        transform: Callable[[str], str] = lambda code: code,
        magics: Mapping[str, MagicAnalyzer] | None = None,
        resources: Resources | None = None,
        autorun: bool = True,
        describe_missing: Callable[["Engine", str | None, str], str | None] | None = None,
        history: tuple[Mapping, ...] = (),
    ):
        self.namespace = namespace if namespace is not None else {}
        self.transform = transform
        self.magics = {**python_body_magics(), **(magics or {})}
        self.resources = resources
        self.autorun = autorun
        #: the text of a NameError for a name only later cells bind (see
        #: ``present.messages``), for the in-process executor
        self.describe_missing = describe_missing
        #: mappings besides the namespace that hold the output history's names
        #: (IPython's hidden namespace): see :mod:`.digests`
        self.history = history
        self.graph = DataflowGraph()
        self.cells: dict[str, Cell] = {}
        #: how many cells were deleted so far: who keeps something per cell
        #: looks for gone ones only when it moved
        self.forgotten = 0
        self.stale: set[str] = set()
        self.ledger = Ledger(self.namespace, self.cells)
        #: code found to write names it does not name (see :mod:`.dynamic`)
        self.dynamic = DynamicCode()
        #: each cell's effective reads and writes, and the cells judged again
        #: when a seed or the notebook's files moved
        self.decisions = Decisions(self.graph, self.cells, self.namespace, self.ledger)
        self.seeds = self.decisions.seeds
        self._order = NotebookOrder()
        self.notebook = self._order.file
        self._analyses: dict[str, Names] = {}
        self._anonymous = itertools.count(1)
        # what ``forget`` leaves to the next plan
        self._pending_ancestors: set[str] = set()
        self._pending_descendants: set[str] = set()
        self._pending_cleared: list[str] = []
        #: cells whose code a frontend reported from the page: the saved file's
        #: code never replaces theirs
        self._live: set[str] = set()
        #: per cell that ran and took page code not run yet, the cells that
        #: read it at its last run: they rerun when it runs (a rename loses them)
        self._edit_readers: dict[str, set[str]] = {}
        #: cells known before they ran (``Cell.unrun``), among others that have
        #: run or are gone since (see :meth:`unrun_cells`)
        self._unrun: set[str] = set()

    # the ledger's tables, read by presentation and tests
    owner = property(lambda self: self.ledger.owner)
    binder = property(lambda self: self.ledger.binder)
    objects = property(lambda self: self.ledger.objects)
    holders = property(lambda self: self.ledger.holders)

    # -- queries -----------------------------------------------------------
    def analyze(self, code: str) -> Names:
        """Names of ``code``, from a small cache: a cell run again unchanged
        (or the same line typed again in a console) is not parsed again.
        Kept by the transformed text: IPython reads ``time[0]`` as the
        ``%time`` magic only while no name ``time`` exists."""
        try:
            transformed = self.transform(code)
        except Exception as error:  # IPython's transformer (its prefilter asks user objects)
            raise CellSyntaxError(error) from None
        names = self._analyses.get(transformed)
        if names is None:
            names = analyze(transformed, magics=self.magics)
            if len(self._analyses) >= _ANALYSES_KEPT:
                del self._analyses[next(iter(self._analyses))]
            self._analyses[transformed] = names
        return names

    def unrun_cells(self) -> set[str]:
        """Cells known from the notebook file or the page that have not run in
        this kernel, at the cost of how many there were (asked at every
        request: not a look at every cell)."""
        cells, unrun = self.cells, self._unrun
        unrun.difference_update([c for c in unrun if c not in cells or not cells[c].unrun])
        return set(unrun)

    def stale_cells(self) -> list[str]:
        return self.graph.order(c for c in self.stale if c in self.graph)

    def readers(self, cell_id: str) -> set[str]:
        """Cells that read a value ``cell_id`` writes."""
        return self.graph.readers(cell_id) if cell_id in self.graph else set()

    def upstream(self, cell_id: str) -> set[str]:
        """Cells whose values ``cell_id`` reads, directly or through others."""
        return upstream(self.graph, [cell_id]) if cell_id in self.graph else set()

    def downstream(self, cell_id: str) -> set[str]:
        """Cells that read what ``cell_id`` writes, directly or through others."""
        return downstream(self.graph, [cell_id]) if cell_id in self.graph else set()

    def order_source(self) -> str:
        return self._order.source()

    def present(self, name: str) -> bool:
        if name.isidentifier():
            return name in self.namespace
        if resources.is_resource(name):
            return resources.exists(name)
        return self.resources.exists(name) if self.resources else True

    def _remove(self, name: str) -> bool:
        if name.isidentifier():
            return self.namespace.pop(name, MISSING) is not MISSING
        if resources.is_resource(name):
            return False  # a file or a generator's state is never the kernel's to remove
        return bool(self.resources and self.resources.remove(name))

    def later_binder(self, cell_id: str | None, name: str) -> str | None:
        """The later cell that binds ``name`` when no cell before ``cell_id``
        does: why the name is undefined there, as in Run All."""
        if not cell_id or cell_id not in self.graph or self.graph.provider(cell_id, name) is not None:
            return None
        return self.graph.later_writer(cell_id, name)

    # -- notebook order ------------------------------------------------------
    def set_notebook(self, path: str | None, register: bool = False) -> None:
        """The session's notebook file (or None): its saved page order is the
        notebook order from now on, reread whenever the file changes.  With
        ``register`` (the file's cell ids are the frontend's), its code cells
        are known before they run: after a restart, running a cell runs the
        ancestors it needs."""
        self._order.path, self._order.register = path, register

    def set_page_order(self, cell_ids: list[str] | None) -> None:
        """The live page order a frontend reports (None: no longer known).
        It is the notebook order until then, unsaved cells included."""
        if self._order.set_page(cell_ids):
            self._sync_order(force=True)

    def set_page_tags(self, tags: dict[str, list[str]] | None) -> None:
        """Cells' tags as a frontend reports them (None: forget them all); they win over the file's."""
        self._order.set_page_tags(tags)

    def cell_tags(self, cell_id: str) -> frozenset[str]:
        """The cell's tags (``metadata.tags``): the page's, else the saved file's."""
        return self._order.tags(cell_id)

    def sync_notebook(self) -> None:
        """Reread the notebook file if it changed (order, registered cells)."""
        self._sync_order()

    def _sync_order(self, force: bool = False) -> None:
        changed = self._order.refresh()
        if changed and self._order.register:
            self._register_file_cells()
        if not (changed or force) or not self.graph.pos:
            return
        current = self.graph.sequence()
        wanted = self._order.wanted(current, lambda c: self.cells[c].code if c in self.cells else None)
        if wanted != current:
            self._reorder(wanted)

    def _reorder(self, wanted: list[str]) -> None:
        """Adopt a new notebook order; cells whose providers changed, and new
        last writers of a name (Run All ends with their value), go stale."""
        graph = self.graph
        before = {c: graph.providers(c) for c in graph.sequence() if c in graph.names}
        graph.reorder(wanted)
        self.seeds.mark_moved()  # which draws a seed reaches may differ
        for cell, providers in before.items():
            now = graph.providers(cell)
            if now != providers:
                self.stale.add(cell)
                # a change in place of another object now: who holds the old one runs again
                moved = {n for n in graph.names[cell].mutations if now.get(n) != providers.get(n)
                         and providers.get(n) is not None}
                if moved:
                    self._pending_ancestors |= self._holders_changed_by(moved, graph.pos[cell])
        for name, owner in list(self.ledger.owner.items()):
            last = graph.last_writer(name)
            if last is not None and last != owner:
                self.stale.add(last)

    def _register_file_cells(self) -> None:
        """Know the file's code cells without running them.  A cell not run
        yet takes the file's code; one that ran keeps the code it ran, and
        one whose code came from the page keeps that."""
        for cell_id, code in self.notebook.cells:
            cell = self.cells.get(cell_id)
            if cell_id in self._live or cell is not None and (not cell.unrun or cell.code == code):
                continue
            self._take_code(cell_id, code)

    def know_sources(self, sources: Iterable[tuple[str, str]]) -> None:
        """The code of cells as the page shows it (unsaved edits included),
        (id, code) pairs: what the kernel runs from now on.  A cell not run
        yet takes it, unrun and stale; a cell that ran and shows other code
        takes it as an edit not yet run: stale, its old values kept until it
        runs.  It wins over the saved file's code from now on."""
        placed = False
        for cell_id, code in sources:
            self._live.add(cell_id)
            known = self.cells.get(cell_id)
            if len(code) > SAVED_CELL_ANALYSED and (known is None or known.unrun):
                # as for the saved file: a long cell nobody ran is analysed when it runs
                if known is not None:
                    self.forget([cell_id])
                continue
            if known is None or known.code != code:
                taken = self._take_code(cell_id, code)
                placed |= known is None and taken is not None
        if placed and self._order.known():
            self._sync_order(force=True)

    def _take_code(self, cell_id: str, code: str) -> Cell | None:
        """Register ``code`` as the cell's without running it: the cell and the
        readers whose provider changes go stale.  Code that does not parse
        is not registered (it fails when run; nothing can need it before),
        but a cell that ran takes it and goes stale, so it fails when run."""
        cell = self.cells.get(cell_id)
        try:
            static = self.analyze(code)
        except CellSyntaxError:
            if cell is not None and cell.unrun:
                self.forget([cell_id])
            elif cell is not None:
                cell.code, cell.failed = code, None
                self.stale.add(cell_id)
            return None
        graph = self.graph
        followers = graph.readers(cell_id) if cell_id in graph.names else set()
        before = {reader: graph.providers(reader) for reader in followers}
        if cell is None:
            cell = self._new_cell(Cell(cell_id, code, static, unrun=True))
            self._unrun.add(cell_id)
        if not cell.unrun:
            self._edit_readers.setdefault(cell_id, set()).update(followers)
        cell.code, cell.static, cell.failed = code, static, None
        self.stale.add(cell_id)
        self.refresh(cell, running=True)
        for reader in followers | graph.readers(cell_id):
            if before.get(reader) != graph.providers(reader):
                self.stale.add(reader)
        return cell

    def _new_cell(self, cell: Cell) -> Cell:
        self.cells[cell.id] = cell
        self.graph.place(cell.id)
        return cell

    # -- requests ----------------------------------------------------------
    def request(self, cell_id: str | None, code: str, mode: str = CLEAN) -> Run:
        """Register ``code`` as cell ``cell_id`` (None: a new anonymous cell)
        and plan its run.  A refused cell (syntax error) yields a Run with no
        steps whose report carries the error; nothing else changes."""
        try:
            static = self.analyze(code)
        except CellSyntaxError as error:
            return self._refused(cell_id, mode, SYNTAX, f"SyntaxError: {error}")
        self._sync_order()
        if cell_id is None:
            if not static.writes:  # binds nothing: run it, keep nothing
                return self._plan(None, mode, unkept=Step(Cell("", code, static, anonymous=True), TARGET, KEEP))
            cell_id = f"anonymous-{next(self._anonymous)}"
        previous = self.cells.get(cell_id)
        followers = self.graph.readers(cell_id) if previous is not None else set()
        followers |= self._edit_readers.pop(cell_id, set())
        # a cell known only from the file never wrote anything
        previous_writes = set(previous.bound | previous.names.writes) if previous and not previous.unrun else set()
        previous_mutations = set(previous.names.mutations) if previous and not previous.unrun else set()
        cell = self._register(cell_id, code, static)
        unseeded, moved = self.decisions.judge_draws_again()
        self.stale |= moved | self.decisions.judge_listings_again()
        self.stale.add(cell_id)
        # readers that gained or lost this cell as provider read another value
        # now (draws its seed no longer reaches read nothing reproducible)
        self.stale |= (followers ^ self.graph.readers(cell_id)) - unseeded
        restore = self._writers_to_restore(cell, previous_writes) if previous is not None and mode == CLEAN else set()
        if mode == CLEAN:
            restore |= self._changes_moved(cell_id, previous_mutations, followers)
        return self._plan(cell_id, mode, restore=restore, followers=followers)

    def _register(self, cell_id: str, code: str, static: Names) -> Cell:
        cell = self.cells.get(cell_id)
        if cell is None:
            cell = self._new_cell(Cell(cell_id, code, static, anonymous=cell_id.startswith("anonymous-")))
            if self._order.known():
                self._sync_order(force=True)
        elif cell.code != code:
            cell.failed = None
        cell.code, cell.static = code, static
        self.refresh(cell, running=True)
        return cell

    def _writers_to_restore(self, cell: Cell, previous_writes: set[str]) -> set[str]:
        """Earlier writers of names the edited cell no longer writes: its
        value goes, or the namespace lacks the value the earlier writer gives
        (a failed run removed it)."""
        restore = set()
        for name in previous_writes - cell.names.writes:
            writer = self.graph.provider(cell.id, name)
            if writer is not None and (self.ledger.holds(cell, name) or self.ledger.owner_of(name) != writer
                                       or not self.present(name)):
                restore.add(writer)
        return restore

    def refresh(self, cell: Cell, running: bool = False) -> None:
        """Decide the cell's effects against the namespace as it is now (see :mod:`.decisions`)."""
        self.decisions.refresh(cell, running)

    def ran_outside(self, cell_id: str | None, code: str) -> None:
        """The cell ran without a plan (a fault of ours sent it to plain
        IPython): what it changed is unknown, so it and every cell below it
        in the graph are stale, and its code is what runs next time."""
        if not cell_id:
            return
        try:
            self.know_sources([(cell_id, code)])
        except Exception:  # the engine is what failed: stale is still sound
            pass
        self.stale.add(cell_id)
        if cell_id in self.graph:
            self.stale |= downstream(self.graph, [cell_id])

    def forget(self, cell_ids: Iterable[str]) -> None:
        """Delete cells: their names go, earlier writers restore theirs, and
        their readers rerun with the next request's plan."""
        doomed = {c for c in cell_ids if c in self.cells}
        self._live.difference_update(cell_ids)
        for cell_id in cell_ids:
            self._edit_readers.pop(cell_id, None)
        for cell_id in self.graph.order(doomed):
            self._forget(self.cells.pop(cell_id))
        self.forgotten += len(doomed)
        self._pending_descendants -= doomed
        self._pending_ancestors -= doomed

    def _forget(self, cell: Cell) -> None:
        graph, ledger = self.graph, self.ledger
        readers = graph.readers(cell.id)
        self.stale |= readers
        # a cell known only from the file changed nothing: only its readers' providers change
        if not cell.unrun:
            self._pending_descendants |= readers
        earlier = {} if cell.unrun else {name: graph.provider(cell.id, name) for name in cell.bound | cell.names.writes}
        position = graph.pos.get(cell.id, float("inf"))
        graph.remove(cell.id)
        self.decisions.forget(cell.id)
        self.stale.discard(cell.id)
        for name, writer in earlier.items():
            if ledger.holds(cell, name):
                ledger.release(name)
                if name in cell.bound and self._remove(name):
                    self._pending_cleared.append(name)
            # restore the earlier writer's value when the namespace does not
            # hold it (also when the deleted cell's failed run had removed it)
            if writer is not None and graph.last_writer(name) == writer and (
                    ledger.owner_of(name) != writer or not self.present(name)):
                self._pending_ancestors.add(writer)
        self._pending_ancestors |= self._holders_changed_by(
            {n for n in cell.names.mutations if earlier.get(n) is not None}, position)

    def _changes_moved(self, cell_id: str, previous_mutations: set[str], followers: set[str]) -> set[str]:
        """After a cell is registered: the holders (:meth:`_holders_changed_by`)
        of objects changed in place by a change that moved away: one its new
        code no longer makes, or one of a reader that now takes the name from
        this cell (inserted or edited above it) instead of an earlier one."""
        graph = self.graph
        holders = set()
        dropped = {n for n in previous_mutations - self.cells[cell_id].names.mutations
                   if graph.provider(cell_id, n) is not None}
        if dropped:
            holders |= self._holders_changed_by(dropped, graph.pos[cell_id])
        for reader in graph.readers(cell_id) - followers:
            moved = {n for n in graph.names[reader].mutations if graph.provider(reader, n) == cell_id}
            if moved:
                holders |= self._holders_changed_by(moved, graph.pos[reader]) - {cell_id}
        return holders

    def _holders_changed_by(self, changed: set[str], position: float) -> set[str]:
        """Cells above a cell (at ``position``) that no longer changes in
        place the objects of ``changed`` (it was deleted, or edited not to)
        that may hold such an object: they touch one of the names (``M = L``
        before ``L.extend``, ``for part in parts`` before another loop over
        ``parts``) and still own a mutable binding.  Run All without the
        change gives them the unchanged object: they run again, on rebuilt
        inputs."""
        changed = {n for n in changed if not resources.is_resource(n)}
        if not changed:
            return set()
        graph, owner_of, namespace = self.graph, self.ledger.owner_of, self.namespace
        return {c for c, names in graph.names.items()
                if c in self.cells and graph.pos[c] < position and not changed.isdisjoint(names.reads | names.writes)
                and any(owner_of(n) == c and not is_immutable(namespace.get(n)) for n in self.cells[c].bound)}

    def _refused(self, cell_id: str | None, mode: str, kind: str, message: str) -> Run:
        run = Run(self, cell_id, mode, [])
        run.report.error = {"kind": kind, "message": message}
        run.report.stale = self.stale_cells()
        return run

    def _plan(self, target: str | None, mode: str, restore: Iterable[str] = (),
              followers: Iterable[str] = (), unkept: Step | None = None) -> Run:
        """Plan with what ``forget`` left pending, mark what the plan makes
        stale, and hand the steps to a :class:`Run`."""
        cells = self.cells
        restore = {c for c in (*restore, *self._pending_ancestors) if c in cells}
        followers = {c for c in (*followers, *self._pending_descendants) if c in cells and not cells[c].unrun}
        cleared = self._pending_cleared
        self._pending_ancestors, self._pending_descendants, self._pending_cleared = set(), set(), []
        plan = planner.plan(
            self.graph, target, mode, stale=self.stale, current=self._current,
            failed=lambda c: cells[c].failed is not None, fails_again=self._fails_again,
            unrun=lambda c: cells[c].unrun, restore=restore, followers=followers, autorun=self.autorun)
        # ancestors current before the plan, run only because an input of
        # the plan is gone: same code, same inputs, so the same values
        rebuilds = {s.cell for s in plan.steps if s.role == ANCESTOR and s.cell not in self.stale
                    and s.cell not in restore and cells[s.cell].failed is None and not cells[s.cell].unrun}
        # names such an ancestor rebinds: their values before the plan are
        # kept, for a later writer the plan skips (its readers read its value,
        # and it comes back at the end when Run All leaves it)
        graph = self.graph
        rebound = {n for c in rebuilds for n in graph.names[c].writes}
        skipped_values = {n: graph.last_writer(n) for n in rebound}
        # likewise the values of a planned descendant that an earlier planned
        # cell rebinds: when nothing it reads changed, it is skipped and its
        # value comes back instead of it running again
        rebound_later = self._rebound_later(plan.steps)
        rebound |= rebound_later.keys()
        skipped_values.update(rebound_later)
        self.stale |= plan.stale
        steps = [Step(cells[s.cell], s.role, s.mode) for s in plan.steps] + ([unkept] if unkept else [])
        return Run(self, target, mode, steps, plan.blocked, plan.later, plan.kept | rebound,
                   cleared=cleared, rebuilds=rebuilds, skipped_values=skipped_values, needed=plan.needed)

    def _rebound_later(self, steps) -> dict[str, str]:
        """Names a planned descendant binds last in the notebook, whose value
        the namespace holds now, that an earlier planned cell binds too: by
        name, that descendant."""
        graph, owner = self.graph, self.ledger.owner
        earlier: set[str] = set()
        found: dict[str, str] = {}
        for step in steps:
            names = graph.names[step.cell]
            binds = names.writes - names.mutations
            if step.role == DESCENDANT:
                for name in binds & earlier:
                    if graph.last_writer(name) == step.cell and owner.get(name) == step.cell:
                        found[name] = step.cell
            earlier |= binds
        return found

    def _current(self, provider: str, name: str) -> bool:
        """Whether the namespace holds ``provider``'s value of ``name`` (or its deletion)."""
        if self.ledger.owner.get(name) != provider:
            # rebound since to the very object its import bound (a later
            # ``import numpy as np``): its value is still there
            imported = self.cells[provider].imported
            return name in imported and self.namespace.get(name, MISSING) is imported[name]
        return self.present(name) or name in self.cells[provider].deleted

    def _fails_again(self, cell_id: str) -> bool:
        cell = self.cells[cell_id]
        return cell.failed is not None and cell.failed == self._inputs(cell)

    def _inputs(self, cell: Cell) -> dict:
        providers = {self.graph.provider(cell.id, n) for n in cell.names.reads} - {None}
        return {p: self.cells[p].runs for p in providers}

    # -- what a Run asks and tells ------------------------------------------
    def clear(self, cell: Cell) -> list[str]:
        """Remove the names the cell's previous run bound, where the
        namespace still holds that run's value; return those removed."""
        removed = []
        for name in sorted(cell.bound):
            if self.ledger.holds(cell, name):
                self.ledger.release(name)
                if name in cell.foreign:  # not its binding: it stays, nobody's
                    continue
                if self._remove(name):
                    removed.append(name)
        cell.bound = set()
        return removed

    def record(self, cell: Cell, before: Snapshot | Watch, ok: bool, hidden: Stash | None = None,
               interrupted: bool = False) -> None:
        """After a step: what the cell's run bound, deleted and mutated is
        its own from now on.  ``before`` was taken before the run; ``hidden``
        holds later cells' values set aside while it ran (not its own).
        ``interrupted``: stopped by the user, so stale but not failed: the
        next run that needs it runs it again."""
        if not cell.id:
            return  # an unkept cell: nothing to own or remove later
        changed, deleted = before.changes(self.namespace, self.ledger.known_names)
        # only names of the namespace: files, generators and tables are not
        # in it, so a whole-namespace look would find them all "deleted"
        changed = {n for n in changed if n.isidentifier()}
        deleted = {n for n in deleted if n.isidentifier()}
        if deleted and resets(cell.code, self.transform):
            deleted = self._reset_away(deleted)
        if before.surprised:  # it wrote names it does not name after all
            self.dynamic.learn(cell.code)
        if hidden is not None:
            changed -= hidden.names - cell.names.writes
        named = set(changed)
        # files written and generators seeded: made by the run (or, gone, deleted);
        # decided again now, as its imports may have just bound the callees
        # (and its names the objects its effects change)
        if cell.static.calls or cell.static.effects:
            self.refresh(cell, running=True)
        for name in cell.names.writes - cell.names.mutations:
            if resources.is_resource(name):
                (changed if self.present(name) else deleted).add(name)
        self.ledger.take(cell.id, self._settle(cell, changed, deleted, ok, interrupted))
        self.ledger.bind(cell.id, changed | (cell.bound if ok else set()))
        self.ledger.remember_objects(cell.id, changed)
        names = cell.names
        cell.foreign = frozenset(named - before.named) if before.named is not None else frozenset()
        cell.dynamic = frozenset((changed | deleted) - (names.writes - cell.dynamic))
        cell.skipped = frozenset(names.writes - names.mutations - cell.static.definite - changed - deleted)
        self.refresh(cell)

    def _reset_away(self, deleted: set[str]) -> set[str]:
        """Names ``%reset`` removed are gone, not the resetting cell's value
        (a ``del`` is): no cell holds them now, and the cells that gave them
        are stale, so a reader's provider runs again before it, as when the
        kernel removes a deleted cell's names."""
        for name in deleted:
            owner = self.ledger.owner_of(name)
            if owner in self.cells:
                self.stale.add(owner)
            self.ledger.release(name)
        return set()

    def _settle(self, cell: Cell, changed: set[str], deleted: set[str], ok: bool,
                interrupted: bool = False) -> set[str]:
        """Update the cell after its run; return the names it now owns.  A
        failed run stays stale and remembers its providers' versions (it
        fails again until they change); an interrupted one is only stale."""
        present = self.present
        cell.bound = changed | {n for n in cell.bound if self.ledger.owner_of(n) == cell.id}
        cell.deleted = deleted
        cell.runs += 1
        cell.unrun = False
        mutated = {n for n in cell.names.mutations if present(n)}
        if ok:
            # a binding that may not have happened (in an if, a loop, an
            # except) is the cell's only if the run changed the name
            cell.bound |= {n for n in cell.static.definite if present(n)}
            owned = cell.bound | deleted | mutated
            self.stale.discard(cell.id)
            cell.failed = None
        else:
            owned = changed | deleted | mutated
            self.stale.add(cell.id)
            cell.failed = None if interrupted else self._inputs(cell)
        cell.bound = {n for n in cell.bound if present(n)}
        namespace = self.namespace
        cell.imported = {n: namespace[n] for n in cell.static.imports & cell.bound} if ok else {}
        cell.scalars = {n: namespace[n] for n in cell.bound if n in namespace and _small(namespace[n])} if ok else {}
        return owned

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
        except NameError as error:
            describe = self.describe_missing
            message = describe and describe(self, step.cell.id, getattr(error, "name", None) or "")
            if message:
                error.args = (message,)
            self.last_error = error
            return ERROR
        except Exception as error:
            self.last_error = error
            return ERROR
        return OK
