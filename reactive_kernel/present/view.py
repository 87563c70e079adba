"""The notebook's cells as a person knows them: label, prompt and one state.

A cell's state rests on several facts (the engine's stale set, a failed run,
a cell known only from the saved file, what the latest request did with it);
this view is the one place that turns them into one word of
:mod:`reactive_kernel.vocabulary`.  ``%reactive``, its drawing and the
companion all read cells here, so they never disagree.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, AbstractSet, Iterable, Mapping

from ..analysis.directives import is_query
from ..vocabulary import (CANCELLED, ERROR, FAILED, FAILED_UPSTREAM, INTERRUPTED, RAN, RERAN, STALE, TARGET,
                          UNRUN, CellState)
from .marks import label, rerun_mark

if TYPE_CHECKING:  # the engine's types, for reading only
    from ..core.engine import Cell, Engine
    from ..core.run import Run

#: states whose result is current: nothing to warn about
CURRENT_STATES: AbstractSet[CellState] = frozenset({RAN, RERAN})


class UnknownCell(LookupError):
    """Nothing in the notebook answers to what the person typed."""


@dataclass
class LastRun:
    """What the latest request that planned a cell did with it."""

    #: the execution count of that request
    count: int | None
    #: the cell that request was for
    by: str | None
    role: str
    status: str
    #: for a cancelled cell, the failed cell it waited for (None: interrupted)
    upstream: str | None = None
    #: one line on why it ran, for cells run for another
    why: str | None = None


class CellView:
    """Reads the engine, the prompts cells showed and the ``%%cell`` names
    (mappings the kernel keeps updating); remembers only what each request
    did with its cells (:meth:`record`)."""

    def __init__(self, engine: "Engine", prompts: Mapping[str, int] | None = None,
                 names: Iterable[str] = frozenset()):
        self.engine = engine
        self.prompts = prompts if prompts is not None else {}
        self.names = names
        #: per cell, what the latest request that planned it did with it
        self.last: dict[str, LastRun] = {}
        #: keep a line on why each cell ran for another (only a companion shows
        #: it, so it is worked out only while one listens)
        self.reasons = False
        #: the engine's count of deleted cells when gone ones were last dropped
        self._forgotten = engine.forgotten

    def record(self, run: "Run", count: int | None) -> None:
        """Remember what request ``[count]`` did with each cell it planned."""
        report = run.report
        for entry in report.ran:
            if not entry.cell_id:
                continue
            cell = self.engine.cells.get(entry.cell_id)
            why = None
            if self.reasons and entry.role != TARGET and entry.status != CANCELLED and cell is not None:
                why = rerun_mark(self.engine, run, cell, entry.role, count)
            upstream = run.cause.get(entry.cell_id) if entry.status == CANCELLED else None
            self.last[entry.cell_id] = LastRun(count, report.cell_id, entry.role, entry.status, upstream, why)
        if self.engine.forgotten != self._forgotten:  # cells were deleted (a scan per request cost O(cells))
            self._forgotten = self.engine.forgotten
            for gone in set(self.last) - set(self.engine.cells):
                del self.last[gone]

    # -- one cell ----------------------------------------------------------------
    def label(self, cell_id: str) -> str:
        cell = self.engine.cells.get(cell_id)
        if cell is None:
            return "(deleted cell)" if cell_id else "(this request's code)"
        return label(cell, self.names)

    def prompt(self, cell_id: str) -> int | None:
        """The execution count the cell showed when it last ran as requested."""
        return self.prompts.get(cell_id)

    def prompt_text(self, cell_id: str) -> str:
        """The prompt as Jupyter prints it: ``[3]``, or ``[ ]`` for none."""
        count = self.prompt(cell_id)
        return f"[{count}]" if count is not None else "[ ]"

    def state(self, cell_id: str) -> CellState:
        """The one word for a cell: what its badge and ``%reactive`` show."""
        stale = cell_id in self.engine.stale
        last = self.last.get(cell_id)
        if last is None:
            return _unrecorded(self.engine.cells.get(cell_id), stale)
        if last.status == CANCELLED and stale:
            return FAILED_UPSTREAM if last.upstream else CANCELLED
        if last.status == INTERRUPTED and stale:
            return CANCELLED
        if last.status == ERROR:  # a failed cell stays stale until it runs
            return FAILED
        if stale:
            return STALE
        return RAN if last.role == TARGET else RERAN

    # -- the cells ----------------------------------------------------------------
    def cells(self) -> list[str]:
        """Known cells in notebook order, code run without a cell id left out."""
        cells = self.engine.cells
        return [c for c in self.engine.graph.sequence() if c in cells and not cells[c].anonymous]

    def shown(self) -> list[str]:
        """Known cells in notebook order, ``%reactive`` queries left out."""
        cells = self.engine.cells
        return [c for c in self.engine.graph.sequence() if c in cells and not is_query(cells[c].code)]

    def find(self, query: str) -> str:
        """The cell a person means by ``query``: a cell id or ``%%cell`` name,
        a prompt number (``[3]`` or ``3``) or a name the cell binds."""
        engine, query = self.engine, query.strip()
        if query in engine.cells:
            return query
        number = re.fullmatch(r"\[?\s*(\d+)\s*\]?", query)
        if number:
            count = int(number.group(1))
            for cell_id, shown in self.prompts.items():
                if shown == count and cell_id in engine.cells:
                    return cell_id
            raise UnknownCell(f"no cell shows the prompt [{count}] (prompts are the numbers cells "
                              "showed when they last ran as requested)")
        provider = engine.graph.last_writer(query)
        if provider is not None and provider in engine.cells:
            return provider
        raise UnknownCell(f"no cell or variable named {query!r}: name a variable a cell binds, "
                          "a %%cell name, a cell id, or a prompt number like [3]")


def _unrecorded(cell: "Cell | None", stale: bool) -> CellState:
    """The state of a cell no request recorded here planned: known from the
    saved notebook, or run before anyone recorded (in-process use)."""
    if cell is not None and cell.unrun:
        return UNRUN
    if not stale:
        return RAN
    return FAILED if cell is not None and cell.failed is not None else STALE
