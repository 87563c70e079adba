"""The reactive engine: cells, stale tracking, clean reruns and run plans.

It owns no execution machinery.  ``Engine.request`` registers a cell and
returns a :class:`Run`; the caller iterates over its steps, executes each
step's code however it likes (IPython inside the kernel, plain ``exec`` in
tests) and reports the outcome with ``Run.finish``.  That keeps the engine free
of Jupyter and lets the kernel run cells asynchronously.
"""
from __future__ import annotations

import itertools
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, MutableMapping, Protocol

from ..analysis.cells import CellSyntaxError, MagicAnalyzer, Names, Summary, analyze
from .effects import Resolved, contained, is_immutable, reachable, resolve
from .graph import DataflowGraph
from ..analysis.dynamic import learn_dynamic
from .namespace import MISSING, Snapshot, Stash, Watch
from .order import NotebookFile, page_order
from .planner import downstream, later_values, needed_ancestors, outside_values, upstream
from .report import Report
from .run import Run, Step
from ..vocabulary import ANCESTOR, CLEAN, DESCENDANT, ERROR, INTERRUPTED, KEEP, NOTEBOOK, OK, PAGE, REGISTRATION, SYNTAX, TARGET

_ANALYSES_KEPT = 512
_OBJECTS_KEPT = 200_000


_SCALARS = (int, float, complex, str, bytes, bool, type(None))


def _comparable(value: Any) -> bool:
    return issubclass(type(value), types.ModuleType) or type(value) in _SCALARS


def _same(old: Any, new: Any) -> bool:
    if old is new:
        return True
    return type(old) is type(new) and type(old) in _SCALARS and old == new


def python_body_magics() -> dict[str, MagicAnalyzer]:
    """Cell magics whose body is Python run in the user namespace."""

    def body(line: str, cell: str | None) -> Names:
        return analyze(cell or line) if (cell or line).strip() else Names()

    def capture(line: str, cell: str | None) -> Names:
        inner = body("", cell)
        target = line.split()[0] if line.split() and line.split()[0].isidentifier() else None
        return Names(inner.reads, inner.writes | ({target} if target else set()), inner.mutations,
                     inner.effects, inner.functions)

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
    #: what analysis found in the code
    static: Names
    #: reads and writes with calls followed and effects decided
    names: Resolved = field(default_factory=lambda: Resolved(frozenset(), frozenset(), frozenset()))
    anonymous: bool = False
    #: names whose binding the cell's last run created or changed: what a
    #: clean rerun removes (when the namespace still holds the cell's value)
    bound: set[str] = field(default_factory=set)
    #: names its last run deleted: their absence is its value
    deleted: set[str] = field(default_factory=set)
    #: names its last run bound that analysis did not see (exec, globals())
    dynamic: frozenset = frozenset()
    #: bindings its last run did not make (a branch not taken): not its writes
    skipped: frozenset = frozenset()
    #: completed runs, a version its readers' failures are measured against
    runs: int = 0
    #: after a failure, the versions of its providers then: while they and
    #: the code stay the same, rerunning it for a reader would fail again
    failed: dict | None = None
    #: known from the notebook file but not run in this session (after a
    #: restart): an ancestor to run when a cell needs it, never a descendant
    unrun: bool = False


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
        describe_missing: Callable[["Engine", str | None, str], str | None] | None = None,
    ):
        self.namespace = namespace if namespace is not None else {}
        self.transform = transform
        self.magics = {**python_body_magics(), **(magics or {})}
        self.resources = resources
        self.autorun = autorun
        #: the text of a NameError for a name only later cells bind (see
        #: ``present.messages``), for the in-process executor
        self.describe_missing = describe_missing
        self.graph = DataflowGraph()
        self.cells: dict[str, Cell] = {}
        self.stale: set[str] = set()
        #: which cell's run put the namespace's current value of a name there
        self.owner: dict[str, str] = {}
        #: which cell's run bound the object a name holds (mutations, which
        #: take ownership, do not change it): a clean rerun or deletion of
        #: that cell removes the name even after other cells mutated it
        self.binder: dict[str, str] = {}
        #: id(object) -> (cell, name) that first bound it: aliases share it
        self.objects: dict[int, tuple[str, str]] = {}
        #: id(object) -> names whose values held it (a few levels deep) when bound
        self.holders: dict[int, set[str]] = {}
        self.notebook = NotebookFile()
        self._notebook_path: str | None = None
        #: whether the file's cell ids are the requests' ids, so its cells can
        #: be registered before they run
        self._register_file = False
        #: the live page order a frontend reported (the companion), if any
        self._page: list[str] | None = None
        self._analyses: dict[str, Names] = {}
        self._anonymous = itertools.count(1)
        self._pending_ancestors: set[str] = set()
        self._pending_descendants: set[str] = set()
        self._pending_cleared: list[str] = []

    # -- queries -----------------------------------------------------------
    def analyze(self, code: str) -> Names:
        """Names of ``code``, from a small cache: a cell run again unchanged
        (or the same line typed again in a console) is not parsed again."""
        names = self._analyses.get(code)
        if names is None:
            try:
                transformed = self.transform(code)
            except (SyntaxError, MemoryError, RecursionError) as error:  # IPython's transformer
                raise CellSyntaxError(error) from None
            names = analyze(transformed, magics=self.magics)
            if len(self._analyses) >= _ANALYSES_KEPT:
                del self._analyses[next(iter(self._analyses))]
            self._analyses[code] = names
        return names

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
        if self._page is not None:
            return PAGE
        return NOTEBOOK if self.notebook.path else REGISTRATION

    def present(self, name: str) -> bool:
        if name.isidentifier():
            return name in self.namespace
        return self.resources.exists(name) if self.resources else True

    def _remove(self, name: str) -> bool:
        if name.isidentifier():
            return self.namespace.pop(name, MISSING) is not MISSING
        return bool(self.resources and self.resources.remove(name))

    def _needs_rerun(self, provider: str, name: str) -> bool:
        """Whether ``provider``'s value of ``name`` is not what the namespace holds."""
        cell = self.cells[provider]
        if self.owner.get(name) != provider:
            return True
        if provider in self.stale and cell.failed is None:
            return True
        # a failed cell's run left this value (it failed after binding it):
        # readers use it, as under ipykernel
        return not self.present(name) and name not in cell.deleted

    def _blocked(self, provider: str) -> bool:
        cell = self.cells[provider]
        return provider in self.stale and cell.failed is not None and cell.failed == self._inputs(cell)

    def _inputs(self, cell: Cell) -> dict:
        providers = {self.graph.provider(cell.id, n) for n in cell.names.reads} - {None}
        return {p: self.cells[p].runs for p in providers}

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
        self._notebook_path = path
        self._register_file = register

    def set_page_order(self, cell_ids: list[str] | None) -> None:
        """The live page order a frontend reports (None: no longer known).
        It is the notebook order until then, unsaved cells included."""
        page = [c for c in dict.fromkeys(cell_ids)] if cell_ids is not None else None
        if page == self._page:
            return
        self._page = page
        self._sync_order(force=True)

    def sync_notebook(self) -> None:
        """Reread the notebook file if it changed (order, registered cells)."""
        self._sync_order()

    def _sync_order(self, force: bool = False) -> None:
        changed = self.notebook.refresh(self._notebook_path)
        if changed and self._register_file:
            self._register_file_cells()
        if not (changed or force) or not self.graph.pos:
            return
        current = self.graph.sequence()
        if self._page is not None:
            wanted = page_order(current, {}, [(c, "") for c in self._page], by_code=False)
        elif self.notebook.path:
            codes = {c: self.cells[c].code for c in current if c in self.cells}
            wanted = page_order(current, codes, self.notebook.cells)
        else:
            return
        if wanted == current:
            return
        graph = self.graph
        before = {c: graph.providers(c) for c in current if c in graph.names}
        graph.reorder(wanted)
        for cell, providers in before.items():
            if graph.providers(cell) != providers:
                self.stale.add(cell)
        # a cell that became a name's last writer: Run All ends with its value
        for name, owner in list(self.owner.items()):
            last = graph.last_writer(name)
            if last is not None and last != owner:
                self.stale.add(last)

    def _register_file_cells(self) -> None:
        """Know the file's code cells without running them.  A cell not run
        yet takes the file's code; one that ran keeps the code it ran."""
        for cell_id, code in self.notebook.cells:
            cell = self.cells.get(cell_id)
            if cell is not None and (not cell.unrun or cell.code == code):
                continue
            try:
                static = self.analyze(code)
            except CellSyntaxError:
                continue  # it fails when run; nothing can need it before
            if cell is None:
                cell = Cell(cell_id, code, static, unrun=True)
                self.cells[cell_id] = cell
                self.graph.place(cell_id)
            cell.code, cell.static = code, static
            self.stale.add(cell_id)
            self._refresh(cell, running=True)

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
                run = self._plan(None, mode)
                run._plan.append(Step(Cell("", code, static, anonymous=True), TARGET, KEEP))
                return run
            cell_id = f"anonymous-{next(self._anonymous)}"
        previous = self.cells.get(cell_id)
        graph = self.graph
        followers: set[str] = set()
        previous_writes: set[str] = set()
        if previous is not None:
            followers = graph.readers(cell_id)
            # a cell known only from the file never wrote anything
            previous_writes = set() if previous.unrun else set(previous.bound | previous.names.writes)
            if previous.code != code:
                previous.failed = None
            cell = previous
        else:
            cell = Cell(cell_id, code, static, anonymous=cell_id.startswith("anonymous-"))
            self.cells[cell_id] = cell
            graph.place(cell_id)
            if self.notebook.path or self._page is not None:
                self._sync_order(force=True)
        cell.code, cell.static = code, static
        self._refresh(cell, running=True)
        self.stale.add(cell_id)
        # readers that gained or lost this cell as provider read another value now
        self.stale |= followers ^ graph.readers(cell_id)
        restore: set[str] = set()
        if previous is not None and mode == CLEAN:
            for name in previous_writes - cell.names.writes:
                writer = graph.provider(cell_id, name)
                if writer is None:
                    continue
                # the cell's value goes, or the namespace lacks the value the
                # earlier writer gives (a failed run removed it)
                if self._holds(previous, name) or self.owner.get(name) != writer or not self.present(name):
                    restore.add(writer)
        return self._plan(cell_id, mode, restore=restore, followers=followers)

    def _summary(self, cell_id: str, name: str) -> Summary | None:
        provider = self.graph.provider(cell_id, name)
        return self.cells[provider].static.functions.get(name) if provider else None

    def _aliases(self, value: Any) -> list[str]:
        """Names bound (by the cell that made it) to ``value`` or to what it
        holds, and names of containers that hold ``value``."""
        names = []
        for item in contained(value):
            entry = self.objects.get(id(item))
            if entry is not None and self._still_holds(entry[1], item):
                names.append(entry[1])
        for holder in self.holders.get(id(value), ()):
            if any(x is value for x in reachable(self.namespace.get(holder, None))):
                names.append(holder)
        return names

    def _still_holds(self, name: str, item: Any) -> bool:
        value = self.namespace.get(name, MISSING)
        return value is item or any(x is item for x in contained(value))

    def _refresh(self, cell: Cell, running: bool = False) -> None:
        """Decide the cell's effects against the namespace as it is now.

        Its writes are what analysis finds plus what its last run bound
        dynamically; bindings its last run skipped (a branch not taken) are
        left out, unless it is about to run, when any of them may happen."""
        if not cell.id or cell.id not in self.graph:
            return
        names = resolve(cell.static, self.namespace, lambda n: self._summary(cell.id, n), self._aliases)
        writes = names.writes | cell.dynamic
        if not running:
            writes -= cell.skipped
        if writes != names.writes:
            names = Resolved(names.reads, writes, names.mutations)
        if names != cell.names or cell.id not in self.graph.names:
            cell.names = names
            self.graph.register(cell.id, names)

    def forget(self, cell_ids) -> None:
        """Delete cells: their names go, earlier writers restore theirs, and
        their readers rerun with the next request's plan."""
        doomed = {c for c in cell_ids if c in self.cells}
        graph = self.graph
        for cell_id in graph.order(doomed):
            cell = self.cells.pop(cell_id)
            readers = graph.readers(cell_id)
            if cell.unrun:  # it changed nothing: only its readers' providers change
                self.stale |= readers
                graph.remove(cell_id)
                self.stale.discard(cell_id)
                continue
            self._pending_descendants |= readers
            self.stale |= readers
            earlier = {name: graph.provider(cell_id, name) for name in cell.bound | cell.names.writes}
            graph.remove(cell_id)
            self.stale.discard(cell_id)
            for name, writer in earlier.items():
                if self._holds(cell, name):
                    self.owner.pop(name, None)
                    if name in cell.bound and self._remove(name):
                        self._pending_cleared.append(name)
                # restore the earlier writer's value when the namespace does
                # not hold it (also when the deleted cell's failed run had
                # already removed the name)
                last = graph.last_writer(name)
                if writer is not None and last == writer and (
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

    def _plan(self, target: str | None, mode: str, restore: set[str] = frozenset(),
              followers: set[str] = frozenset()) -> Run:
        graph, cells = self.graph, self.cells
        restore = {c for c in (*restore, *self._pending_ancestors) if c in cells}
        # a cell not run in this session shows nothing to update: it runs
        # only when a cell needs it (or is requested)
        followers = {c for c in (*followers, *self._pending_descendants) if c in cells and not cells[c].unrun}

        def unrun(cell_id: str) -> bool:
            return cells[cell_id].unrun and cell_id != target
        cleared = self._pending_cleared
        self._pending_ancestors, self._pending_descendants, self._pending_cleared = set(), set(), []
        self.stale |= restore  # their values are gone: they must run
        roots = set(restore)
        if target is not None and mode == CLEAN:
            roots.add(target)
        ancestors, blocked = needed_ancestors(graph, roots, self._needs_rerun, self._blocked)
        ancestors |= restore
        ancestors.discard(target)
        starts = ancestors | ({target} if target else set())
        if self.autorun:
            starts |= followers
            below = downstream(graph, starts, unrun)
            # every cell that runs must read current values: a cell pulled in
            # as a descendant may read a provider outside the plan whose value
            # was overwritten (e.g. by a mutation); that provider runs too
            checked: set[str] = set(roots) | ({target} if target else set())
            while True:
                planned = starts | below
                fresh = planned - checked
                checked |= fresh
                extra, more_blocked = needed_ancestors(
                    graph, fresh, lambda p, n: p not in planned and self._needs_rerun(p, n), self._blocked)
                for cell, provider in more_blocked.items():
                    blocked.setdefault(cell, provider)
                extra -= planned
                if not extra:
                    break
                ancestors |= extra
                starts |= extra
                below = downstream(graph, starts, unrun)
        else:  # without autorun, cells that would follow only become stale
            below = set()
            self.stale |= (followers | downstream(graph, starts | followers)) - starts
        planned = starts | below
        # a planned cell whose value a planned reader needs and the namespace
        # lacks must run, even if nothing it reads changes
        for reader in planned:
            for name in graph.names[reader].reads:
                provider = graph.provider(reader, name)
                if provider in planned and provider not in self.stale and self._needs_rerun(provider, name):
                    self.stale.add(provider)
        after_target = downstream(graph, [target]) if target else set()
        steps = []
        for cell_id in graph.order(planned):
            if cell_id == target:
                role = TARGET
            elif cell_id in ancestors and cell_id not in after_target | followers:
                role = ANCESTOR
            else:
                role = DESCENDANT
            steps.append(Step(cells[cell_id], role, mode if cell_id == target else CLEAN))
        later = later_values(graph, planned, unrun)
        run = Run(self, target, mode, steps, blocked, later, later | outside_values(graph, planned))
        run.report.cleared.extend(cleared)
        return run

    # -- namespace hygiene (called by Run) -----------------------------------
    def _later_names(self, cell: Cell) -> set[str]:
        """Names the cell reads that only later cells bind: hidden while it
        runs, so it fails as in Run All instead of reading the future."""
        if not cell.id or cell.id not in self.graph:
            return set()
        graph, namespace = self.graph, self.namespace
        return {
            n for n in cell.names.reads
            if n in namespace and graph.provider(cell.id, n) is None and graph.later_writer(cell.id, n)
        }

    def _comparable_values(self, cell: Cell) -> dict[str, Any]:
        """The values of the cell's writes that are safe to hold and compare
        (modules, numbers, strings): if a run gives the same again, readers
        need not rerun.  Mutable values always count as changed: holding them
        would keep them alive, and comparing their identity after they were
        freed could mistake a new object for the old one."""
        namespace, owner = self.namespace, self.owner
        return {n: namespace[n] for n in cell.names.writes
                if owner.get(n) == cell.id and n in namespace and _comparable(namespace[n])}

    def _changed_names(self, cell: Cell, old: dict[str, Any]) -> set[str]:
        namespace = self.namespace
        changed = set(cell.names.mutations)
        for name in cell.names.writes - cell.names.mutations:
            if name not in old or not _same(old[name], namespace.get(name, MISSING)):
                changed.add(name)
        return changed

    def _outside_values(self, cell: Cell, planned: set[str], before: Stash) -> list[str]:
        """Names the cell reads from a provider outside the plan whose value an
        earlier cell of the plan replaced: that provider's value goes back
        first (it was current before the plan, or the provider would be in it)."""
        graph = self.graph
        names = []
        for name in cell.names.reads:
            if name not in before.names:
                continue
            provider = graph.provider(cell.id, name)
            if provider is not None and provider not in planned and before.owner_of(name) == provider:
                names.append(name)
        return names

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

    def _known_names(self) -> list[str]:
        """Names the engine believes cells' runs left bound."""
        cells = self.cells
        return [n for n, c in self.owner.items() if c not in cells or n not in cells[c].deleted]

    def _record(self, cell: Cell, before: Snapshot | Watch, ok: bool, hidden: Stash | None = None) -> None:
        if not cell.id:
            return  # an unkept cell: nothing to own or remove later
        namespace = self.namespace
        changed, deleted = before.changes(namespace, self._known_names)
        if before.surprised:  # it wrote names it does not name after all
            learn_dynamic(cell.code)
        if hidden is not None:  # a hidden later value is not the cell's to own
            changed -= hidden.names - cell.names.writes
        present = self.present
        cell.bound = changed | {n for n in cell.bound if self.owner.get(n) == cell.id}
        cell.deleted = deleted
        cell.runs += 1
        cell.unrun = False
        if ok:
            # a binding that may not have happened (in an if, a loop, an
            # except) is the cell's only if the run changed the name
            cell.bound |= {n for n in cell.static.definite if present(n)}
            owned = cell.bound | deleted | {n for n in cell.names.mutations if present(n)}
            self.stale.discard(cell.id)
            cell.failed = None
        else:
            owned = changed | deleted | {n for n in cell.names.mutations if present(n)}
            self.stale.add(cell.id)
            cell.failed = self._inputs(cell)
        cell.bound = {n for n in cell.bound if present(n)}
        for name in owned:
            self.owner[name] = cell.id
        for name in changed | (cell.bound if ok else set()):
            self.binder[name] = cell.id
        self._remember_objects(cell.id, changed)
        names = cell.names
        cell.dynamic = frozenset((changed | deleted) - (names.writes - cell.dynamic))
        cell.skipped = frozenset(names.writes - names.mutations - cell.static.definite - changed - deleted)
        self._refresh(cell)

    def _remember_objects(self, cell_id: str, names) -> None:
        """Note which cell made each mutable object (by identity), the objects
        its containers hold included, so a mutation through an alias
        (``M = L``, ``v = d['k']``, a numpy view) reaches the cell that made it."""
        objects = self.objects
        if len(objects) > _OBJECTS_KEPT:
            self.objects = objects = {
                k: v for k, v in objects.items() if v[0] in self.cells and self._holds_id(v[1], k)}
        holders = self.holders
        if len(holders) > _OBJECTS_KEPT:
            holders.clear()
        for name in sorted(names):  # sorted: which alias is noted first must not depend on hashing
            if not name.isidentifier():
                continue
            value = self.namespace.get(name, None)
            if type(value) in _SCALARS:
                continue  # holds nothing, and nothing can mutate it
            for item in reachable(value):
                holders.setdefault(id(item), set()).add(name)
            for item in contained(value):
                if is_immutable(item):
                    continue
                entry = objects.get(id(item))
                if entry is None or entry[0] not in self.cells or not self._still_holds(entry[1], item):
                    objects[id(item)] = (cell_id, name)

    def _holds_id(self, name: str, key: int) -> bool:
        return any(id(x) == key for x in contained(self.namespace.get(name, None)))

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
