"""What a run judges, step by step: whether a planned descendant must run,
and whether what a step bound is a change for its readers.

Split from :mod:`.run`, which walks the plan: these are the judgements it
asks for, over the bookkeeping :class:`.run.Run` keeps (what each step
changed, the fresh objects a rebuild took for old ones, the changes in
place ahead, the generator states a step started from).  Nothing here runs
or records a cell.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import itertools
import weakref
from typing import Any, AbstractSet

from .cell import Cell
from .digests import Digest, unheld
from .mutation import read_only
from .namespace import MISSING, same_object, weakly
from .planner import downstream
from .resources import RANDOM_PREFIX, fingerprint, is_resource
from .sameness import reproduced
from ..vocabulary import DESCENDANT, TARGET


class Verdicts:
    """The judgements of :class:`.run.Run` (its base): they read the run's
    state and the engine's graph, and note only what they judged (fresh
    objects taken, replays, cancellations a failure implies)."""

    def changed_reads(self, cell: Cell) -> set[str]:
        """Names ``cell`` reads whose provider changed them earlier in this
        run.  A generator left in the state the cell's last run started from
        is none (the draws before it replayed from the same seed)."""
        graph, changed = self.engine.graph, self._changed
        return {name for name in cell.names.reads
                if name in changed.get(graph.provider(cell.id, name), ())
                and not (name.startswith(RANDOM_PREFIX) and name in cell.seen and cell.seen[name] == fingerprint(name))}

    def _reads_a_change(self, cell: Cell) -> bool:
        """Whether a value ``cell`` reads changed.  A rebuilt value equal to
        the old one, counted changed only for the change in place ahead
        (``_ahead``: a reader's names may share the old object's memory), is
        no change for a reader that binds nothing."""
        reads = self.changed_reads(cell)
        if not reads or cell.names.writes:
            return bool(reads)
        graph = self.engine.graph
        return any(name not in self._ahead.get(graph.provider(cell.id, name), ()) for name in reads)

    @staticmethod
    def _states(cell: Cell) -> dict[str, Any]:
        """Fingerprints of the generator states ``cell`` reads, now."""
        return {name: fingerprint(name) for name in cell.names.reads if name.startswith(RANDOM_PREFIX)}

    def _started_alike(self, cell: Cell) -> set[str]:
        """The generator states the step just run started from as its last
        run did (``Cell.seen``): for a rebuild, no changed input.  (A
        descendant is not skipped on this: the draws after it would need the
        state its run leaves.)"""
        return {name for name, seen in self._seen.items() if cell.seen.get(name) == seen}

    def _reproduces(self, cell: Cell, name: str, old: weakref.ref | None) -> bool:
        """Whether a rebuild's (or a replay's) run, with unchanged code and
        inputs, left ``name`` with a value its other readers cannot tell from
        the one they read: a scalar, a module or a plain function (see
        ``_reproduced``); an object bound anew while nothing can reach the
        one it replaces (``old``, its last run's; a reader holding that one,
        ``M = df``, could tell them apart); or such an object changed in
        place again by the cell that changed it before (the same change of
        the same state).  Determinism is the spec's assumption: no content
        is compared, so Run All pays nothing for it."""
        namespace, rebuild = self.engine.namespace, cell.id in self._rebuilds
        if name in cell.names.mutations:
            fresh = self._fresh.get(name)
            if fresh is not None and self._changes_fresh(cell, name):
                self._fresh[name] = (cell.id, fresh[1])
                return True
            # bound anew and changed by the cell itself (``df = load(); df.columns = ...``)
            return rebuild and self._bound_anew(cell, name, old, own=True)
        if not rebuild:
            return False
        value = namespace.get(name, MISSING)
        if reproduced(value):
            return True
        if read_only(value) and not self._changed_in_place(name):
            return True  # nothing changes it: a reader cannot tell a new one from the old (no weakref needed)
        return self._bound_anew(cell, name, old)

    def _changed_in_place(self, name: str) -> bool:
        graph = self.engine.graph
        return any(name in graph.names[w].mutations for w in graph.writers_backwards(name) if w in graph.names)

    def _bound_anew(self, cell: Cell, name: str, old: weakref.ref | None, own: bool = False) -> bool:
        """Whether the rebuild bound ``name`` to a new object while its last
        run's object is gone or held only by the output history; ``own``:
        also the new object is held by nothing but the cell's names (not
        another cell's object it then changed).  Such an object is noted as
        fresh for the cells that change it after."""
        engine = self.engine
        namespace, history = engine.namespace, engine.history
        if old is None or name not in namespace or self._kept_from_before(name):
            return False
        if type(self._old.get(name)) is Digest and name in self._overwritten:
            return False  # its content was compared, and differs
        new = weakly(namespace[name])
        aside = list(itertools.chain(*(stash.values() for stash in (self._stash, self._hidden) if stash is not None)))
        if new is None or not unheld(old, namespace, history, kept=aside, dropped=self._dropped(cell)):
            return False
        if own and not unheld(new, namespace, history, own=cell.names.writes):
            return False
        self._fresh[name] = (cell.id, new)
        self._taken.add(name)
        return True

    def _kept_from_before(self, name: str) -> bool:
        """Whether ``name`` holds the very object it held before the step.
        The same ``id`` alone is not enough: the old object may have been
        freed and the new one allocated at its address (allocation order
        decided whether a rebuilt frame counted as new)."""
        before = self._before_step.get(name)
        return before is not None and same_object(self.engine.namespace[name], *before)

    def _dropped(self, cell: Cell) -> set[int]:
        """The ids of the values the run set aside that nothing puts back: the
        cell's own previous values of the names it binds again (not restored
        after the plan, nor put back for a skipped writer, nor hidden from
        the step only to come back after it)."""
        stash = self._stash
        if stash is None:
            return set()
        writes, skipped = cell.names.writes, self._skipped_values
        gone = {id(value) for name, value in stash.items()
                if name in writes and name not in self._restore and skipped.get(name, cell.id) == cell.id}
        return gone - {id(value) for value in self._hidden.values()} if self._hidden is not None else gone

    def _equal_ahead(self, cell: Cell) -> set[str]:
        """Names ``cell`` reads that their provider bound again equal and
        counted changed only for a change in place ahead (``_ahead``): a
        rebuild or a replay reading them, starting as its last run did,
        reproduces its values too.  When ``cell`` is itself that change, it
        repeats the same change of the same state (pydata-book ch12: ``model
        = LogisticRegression()`` rebuilt, then ``model.fit(...)`` from the
        same generator state): no change for the readers after it.  When it
        makes a value from them, that value counts the same way (changed
        ahead, no change for readers that bind nothing; pandas-cookbook ch4:
        ``bikes`` rebuilt, ``berri_bikes = bikes[...]`` rebuilt from it, an
        edit adding a column to ``berri_bikes``: the cells showing it need
        not rerun)."""
        graph = self.engine.graph
        return {name for name in cell.names.reads if name in self._ahead.get(graph.provider(cell.id, name), ())}

    def _changes_ahead(self, cell: Cell, changed: AbstractSet[str], anywhere: bool = False) -> bool:
        """Whether a step after ``cell`` (which changed ``changed``) that may
        run with new code or new inputs (the target, a cell stale for its own
        sake, a reader of a value changed or of such a step, transitively)
        changes in place an object it may reach from ``cell``'s values
        (it reads, through names, from ``cell`` or such a step).  A reader
        skipped because a new object counts as the old one may hold part of
        the old one (``s = df['a']`` shares its memory, not holding ``df``):
        a new change of the new object would show in Run All's ``s``, not in
        this one.  Replayed changes are the same in both.  ``anywhere``: a
        change in place of any object counts, reachable or not."""
        graph = self.engine.graph
        known = {**self._changed, cell.id: changed}  # steps that ran: what they changed
        may: set[str] = set()
        reach = {cell.id}  # no object passes through a file or a generator
        after = False
        for step in self._steps:
            cell_id = step.cell.id
            if cell_id == cell.id:
                after = True
                continue
            names = graph.names.get(cell_id)
            if not after or cell_id in self._passed:
                continue
            new = (step.role == TARGET or cell_id in self._lost or names is None
                   or cell_id in self._stale_before and cell_id not in self._needed and cell_id not in self._rebuilds
                   or any((p := graph.provider(cell_id, n)) in may or n in known.get(p, ()) for n in names.reads))
            if names is None or any(not is_resource(n) and graph.provider(cell_id, n) in reach for n in names.reads):
                reach.add(cell_id)
            if not new:
                continue
            may.add(cell_id)
            if (anywhere or cell_id in reach) and any(not is_resource(n) for n in step.cell.names.mutations):
                return True
        return False

    def _changes_fresh(self, cell: Cell, name: str) -> bool:
        """Whether ``cell`` changes in place, through ``name``, a fresh object
        it reads from the cell that last bound or changed it in this run."""
        fresh = self._fresh.get(name)
        return fresh is not None and fresh[0] == self.engine.graph.provider(cell.id, name) \
            and fresh[1]() is self.engine.namespace.get(name, MISSING)

    # -- the namespace around a step --------------------------------------------
    def _must_run(self, cell: Cell) -> bool:
        """Whether a descendant's result may differ: it is stale, or a cell
        that ran in this plan changed a value it reads (rebinding an import or
        a constant to the same value changes nothing)."""
        engine = self.engine
        if cell.id in self._lost or self._reads_a_change(cell):
            return True
        stale = cell.id in engine.stale
        if stale and cell.id not in self._needed:
            return True
        # it changes in place an object a rebuild bound anew: Run All's object
        # has the change, and cells of the plan may hold that object (its
        # unchanged replay is no change for its readers: ``_reproduces``)
        if any(self._changes_fresh(cell, n) for n in cell.names.mutations):
            self._replays.add(cell.id)
            return True
        if stale and self._needed_later(cell.id):
            # current before the plan (``_needed``) and nothing it reads
            # changed: it runs only to rebuild what a reader needs
            self._rebuilds.add(cell.id)
            return True
        # an earlier cell of the plan replaced a value this cell gives (also
        # with an equal one: the namespace held this cell's, not that one's),
        # unless that value was kept to come back in its place
        writes = cell.names.writes
        replaced = set().union(*(names & writes for names in (*self._changed.values(), *self._rebound.values())))
        return not all(self._comes_back(cell, name) for name in replaced)

    def _comes_back(self, cell: Cell, name: str) -> bool:
        """Whether the value of ``name`` the plan replaced is put back at its
        end for ``cell`` (skipped): it is the cell's own, kept; or a later
        writer's, kept, and no planned cell that reads the name from this
        one may run (a re-seeding cell between a rerun draw and the draws
        after it: they keep their values, the last one's state comes back)."""
        writer = self._skipped_values.get(name)
        if writer is None or not self._kept_for(writer, name):
            return False
        if writer == cell.id:
            return True
        graph = self.engine.graph
        if graph.pos.get(writer, -1) <= graph.pos[cell.id]:
            return False
        readers = {s.cell.id for s in self._steps
                   if name in s.cell.names.reads and graph.provider(s.cell.id, name) == cell.id}
        return not self._needed_later(cell.id, {}, readers)

    def _kept_for(self, cell_id: str, name: str) -> bool:
        """Whether the value of ``name`` the namespace held before the plan,
        ``cell_id``'s, was kept to come back should that cell be skipped."""
        stash = self._stash
        return self._skipped_values.get(name) == cell_id and stash is not None and stash.owner_of(name) == cell_id

    def _needed_later(self, provider: str, known: dict[str, bool] | None = None,
                      readers: AbstractSet[str] | None = None) -> bool:
        """Whether a planned reader that needs ``provider``'s value may run.
        Over the steps after it, in order, a step may run when it is not a
        descendant, is stale or lost, reads from a cell that ran or may run,
        or gives a name such a cell gives (``_must_run``'s reasons, each
        widened): a reader this finds idle is idle, so the provider's run
        would change nothing anyone reads.  ``readers``: those readers,
        when not the ones the plan found needing it."""
        graph, stale = self.engine.graph, self.engine.stale
        known = {} if known is None else known
        if provider in known:
            return known[provider]
        known[provider] = False  # a cycle of needs runs nothing
        readers = self._needed[provider] if readers is None else readers
        # a cell that ran changed what it changed (what it rebound to the
        # same value is no change for its readers, but is for a later writer
        # of the name); one that may run, anything
        ran = self._changed
        may: set[str] = set()
        gives = set().union(*ran.values(), *(self._rebound.get(c, ()) for c in ran))
        after = False
        for step in self._steps:
            cell_id = step.cell.id
            if cell_id == provider:
                after = True
                continue
            if not after or cell_id in self._cancelled or cell_id in self.blocked or cell_id in self._deferred:
                continue
            names = graph.names.get(cell_id)
            if step.role == DESCENDANT and names is not None and cell_id in stale and cell_id not in self._lost \
                    and self._would_fail_again(step.cell) \
                    and not any(graph.provider(cell_id, n) in may for n in names.reads):
                continue  # it would fail again: not rerun (``_fails_again``), whatever it gives
            runs = (step.role != DESCENDANT or names is None or cell_id in self._lost
                    or cell_id in stale and not self._would_fail_again(step.cell)
                    and (cell_id not in self._needed or self._needed_later(cell_id, known))
                    or any(p in may or n in ran.get(p, ()) for n in names.reads
                           for p in (graph.provider(cell_id, n),))
                    or any(n in gives and not self._kept_for(cell_id, n) for n in names.writes))
            if runs:
                if cell_id in readers:
                    known[provider] = True
                    return True
                may.add(cell_id)
                gives |= names.writes if names is not None else set()
        return False

    def _fails_again(self, cell: Cell) -> bool:
        """A failed descendant whose code and inputs are what they were when
        it failed (its providers ran in this plan, if at all, without
        changing what it reads) would fail again: it is not rerun, and its
        readers are cancelled naming it, as when it is a needed ancestor."""
        if not self._would_fail_again(cell):
            return False
        for reader in downstream(self.engine.graph, [cell.id]):
            self._cancelled.setdefault(reader, cell.id)
        return True

    def _would_fail_again(self, cell: Cell) -> bool:
        failed = cell.failed
        if failed is None or self.changed_reads(cell):
            return False
        engine = self.engine
        providers = {engine.graph.provider(cell.id, n) for n in cell.names.reads} - {None}
        if providers != failed.keys():
            return False
        return all(engine.cells[p].runs == runs or p in self._changed for p, runs in failed.items())
