"""The one line about what else a request ran, shown outside the cells' outputs."""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from ..core.engine import Engine
from .marks import label, names_text
from ..core.report import Report
from ..vocabulary import ANCESTOR, CANCELLED, DESCENDANT, ERROR, INTERRUPTED, OK

__all__ = ["label", "summarize"]

_MARK = {OK: "✓", ERROR: "✗ error", INTERRUPTED: "– interrupted", CANCELLED: "– cancelled"}


def summarize(report: Report, engine: Engine, names=frozenset(),
              deleted: bool = False) -> str | None:
    """None when there is nothing to tell beyond the cell's own output.
    ``deleted``: the request said cells were deleted (``deletedCells``)."""
    def cells(role: str) -> str:
        return ", ".join(f"{label(engine.cells.get(e.cell_id), names)} {_MARK[e.status]}"
                         for e in report.ran if e.role == role)

    ancestors, descendants = cells(ANCESTOR), cells(DESCENDANT)
    removed = sorted(n for n in set(report.cleared) if not engine.present(n))
    unrun = unrun_below(report.cell_id, engine)
    if not (ancestors or descendants or removed or unrun):
        return None
    pieces = []
    if deleted:
        pieces.append("after deleting a cell")
    if removed:
        pieces.append(f"removed {names_text(removed)}")
    if ancestors:
        pieces.append(f"ran first: {ancestors}")
    if descendants:
        pieces.append(f"reran: {descendants}")
    if unrun:
        # a newcomer who opened a saved notebook and ran one cell wonders why
        # nothing below changed: those cells have not run in this kernel
        pieces.append(f"{unrun} cell{'s' if unrun > 1 else ''} below not run in this kernel yet")
    return "↻ " + "; ".join(pieces)


def unrun_below(cell_id: str | None, engine: Engine) -> int:
    """Cells after ``cell_id`` known from the saved notebook or the page that
    have not run in this kernel: they never run as descendants."""
    pos = engine.graph.pos
    if cell_id not in engine.cells or cell_id not in pos:
        return 0
    at = pos[cell_id]
    return sum(1 for c in engine.unrun_cells() if pos.get(c, at) > at)
