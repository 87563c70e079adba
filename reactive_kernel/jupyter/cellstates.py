"""Each cell's entry in the companion's ``state``, kept up to date without
rebuilding it for every cell (docs/companion.md, "Deltas").

Building every cell's entry after every request costs O(cells), and sending
it to every comm O(cells × comms).  A request can only change the cells it
planned, the cells whose staleness changed and, when cells were added,
removed or moved, the cell list itself; a page change (``sources``,
``deleted``) the cells it names.  So the entries are kept here and only
those cells are recomputed; each change that touched an entry is a new
*version*.  A comm that last received version ``v`` is sent the cells
changed since ``v``, built once for every comm at ``v``.

What it reads: the view (state, label, prompt, what the last request did),
the engine's stale set, the graph's positions and the saved file's stamp.
When the file was reread or on request (``everything``), every entry is
recomputed, as the engine's own work is then O(cells) too.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from ..core.engine import Engine
    from ..present.view import CellView


@dataclass(frozen=True)
class Change:
    """What one version changed."""

    version: int
    #: cells whose entry changed, appeared or went
    cells: frozenset[str]
    #: cells that went
    removed: frozenset[str]
    #: the known cells' order changed otherwise than by appending new cells
    reordered: bool


class CellStates:
    """The entries, their version, and the changes of the last versions."""

    #: versions kept for comms that are behind; one further behind gets everything
    KEPT = 64

    def __init__(self, engine: "Engine", view: "CellView"):
        self.engine = engine
        self.view = view
        #: every known cell's entry, in notebook order
        self.entries: dict[str, dict[str, Any]] = {}
        self.version = 0
        self._log: deque[Change] = deque()
        #: cells a page change or a request named since the last update
        self._touched: set[str] = set()
        #: cells may have been added or removed without changing the counts
        self._restructured = False
        #: computed at least once (until then an update recomputes everything)
        self._fresh = False
        #: what the last update saw: the stale set, the graph's positions (a
        #: reorder replaces the dict), the counts, the saved file's stamp
        self._stale: set[str] = set()
        self._pos: dict | None = None
        self._pos_len = self._cells_len = 0
        self._file: tuple = (None, None)
        #: for tests: after each update, compare with every entry recomputed
        self.verify = False
        self.mismatches: list[str] = []

    # -- what may have changed -------------------------------------------------------
    def touch(self, cells: Iterable[str]) -> None:
        """These cells may have changed (a request planned them, a page change named them)."""
        self._touched.update(cells)

    def restructure(self) -> None:
        """Cells may have been added and removed (deletions): compare the cell lists."""
        self._restructured = True

    def entry(self, cell_id: str) -> dict[str, Any]:
        """One cell as the companion draws it."""
        view = self.view
        entry: dict[str, Any] = {"state": view.state(cell_id), "label": view.label(cell_id),
                                 "prompt": view.prompt(cell_id)}
        last = view.last.get(cell_id)
        if last is not None:
            entry.update({k: v for k, v in vars(last).items() if v is not None})
        return entry

    # -- bringing the entries up to date -------------------------------------------------
    def update(self, everything: bool = False) -> int:
        """Recompute the entries that may have changed; the current version."""
        engine = self.engine
        cells, pos, file = engine.cells, engine.graph.pos, engine.notebook
        # a reread replaces the file's list of cells (held here, so never reused)
        stamp = (file.path, file.cells if file.path else None)
        everything = everything or not self._fresh or stamp[0] != self._file[0] or stamp[1] is not self._file[1]
        touched, self._touched = self._touched, set()
        stale = engine.stale
        touched |= stale ^ self._stale  # cells that went stale or came back
        self._stale = set(stale)
        if everything or pos is not self._pos:
            change = self._rebuild(touched, everything)
        else:
            change = self._patch(touched, cells, pos)
        self._fresh, self._restructured, self._file = True, False, stamp
        self._pos, self._pos_len, self._cells_len = pos, len(pos), len(cells)
        if change is not None:
            self.version += 1
            self._log.append(Change(self.version, *change))
            while len(self._log) > self.KEPT:
                self._log.popleft()
        if self.verify:
            self._check()
        return self.version

    def _rebuild(self, touched: set[str], everything: bool):
        """After a reorder or a reread file: the list anew (O(cells), as the
        engine's reorder), the entries of the touched (or every) cell."""
        old = self.entries
        sequence = self.view.cells()
        known = set(sequence)
        removed = old.keys() - known
        survivors = [c for c in old if c in known]
        appended = [c for c in sequence if c not in old]
        reordered = survivors + appended != sequence
        changed = set(removed)
        entries = {}
        for cell_id in sequence:
            if everything or cell_id in touched or cell_id not in old:
                entry = self.entry(cell_id)
                if old.get(cell_id) != entry:
                    changed.add(cell_id)
            else:
                entry = old[cell_id]
            entries[cell_id] = entry
        self.entries = entries
        if changed or reordered:
            return frozenset(changed), frozenset(removed), reordered
        return None

    def _patch(self, touched: set[str], cells: dict, pos: dict):
        """No reorder: new cells were placed last, so they go at the end."""
        entries = self.entries
        removed: set[str] = set()
        if (self._restructured or len(pos) != self._pos_len or len(cells) != self._cells_len
                or any((c in entries) != (c in pos and c in cells and not cells[c].anonymous) for c in touched)):
            present = pos.keys() & cells.keys()
            removed = entries.keys() - present
            for cell_id in removed:
                del entries[cell_id]
            added = sorted((c for c in present - entries.keys() if not cells[c].anonymous), key=pos.__getitem__)
            for cell_id in added:
                entries[cell_id] = {}
            touched.update(added)
        changed = set(removed)
        for cell_id in touched:
            if cell_id in entries:
                entry = self.entry(cell_id)
                if entries[cell_id] != entry:
                    entries[cell_id] = entry
                    changed.add(cell_id)
        return (frozenset(changed), frozenset(removed), False) if changed else None

    def _check(self) -> None:
        """Every entry recomputed, as :meth:`update` should have left them."""
        expected = {c: self.entry(c) for c in self.view.cells()}
        if expected != self.entries or list(expected) != list(self.entries):
            wrong = sorted(c for c in expected.keys() | self.entries.keys()
                           if expected.get(c) != self.entries.get(c))
            self.mismatches.append(f"version {self.version}: {wrong or 'order'}")

    # -- what to send ---------------------------------------------------------------------
    def full(self) -> dict[str, dict[str, Any]]:
        """Every cell's entry, in notebook order (copies: callers may change them)."""
        return {c: dict(e) for c, e in self.entries.items()}

    def delta(self, base: int) -> dict[str, Any] | None:
        """What changed since version ``base``: ``cells`` (entries, in notebook
        order), ``removed`` and, when the order changed, ``sequence``; None
        when ``base`` is too old to tell (send everything)."""
        if base == self.version:
            return {"cells": {}, "removed": []}
        if base > self.version or not self._log or self._log[0].version > base + 1:
            return None
        changed: set[str] = set()
        removed: set[str] = set()
        reordered = False
        for change in reversed(self._log):
            if change.version <= base:
                break
            changed |= change.cells
            removed |= change.removed
            reordered |= change.reordered
        entries = self.entries
        # a cell removed and added again since sits at the end now
        reordered |= not removed.isdisjoint(entries)
        pos = self.engine.graph.pos
        present = sorted((c for c in changed if c in entries), key=lambda c: pos.get(c, float("inf")))
        delta: dict[str, Any] = {"cells": {c: entries[c] for c in present},
                                 "removed": sorted(c for c in changed if c not in entries)}
        if reordered:
            delta["sequence"] = list(entries)
        return delta

    def forget_before(self, version: int) -> None:
        """No comm is behind ``version`` any more: its changes are not needed."""
        log = self._log
        while log and log[0].version <= version:
            log.popleft()
