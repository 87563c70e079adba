"""What a person reads about a cell that ran, or did not, for another one.

One line: for which request (that request's execution count) and why (what
changed that it reads).  Shown by the companion and ``%reactive``, never in a
cell's output.  Cells are named by what they define, as a person thinks of
them, not by opaque ids.  Labels and names are masked here
(:func:`reactive_kernel.core.secrets.mask`): a cell's first line may hold a
connection string, and every text a person reads of a cell starts here.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from typing import TYPE_CHECKING, Iterable

from ..core.secrets import mask
from ..vocabulary import ANCESTOR

if TYPE_CHECKING:  # the engine's types, for reading only
    from ..core.engine import Cell, Engine
    from ..core.run import Run

#: names shown before the rest are counted (``a, b, c +4``)
SHOWN_NAMES = 3


def names_text(names: Iterable[str]) -> str:
    """``a, b, c +2``: graph names as a person reads them (tables by name)."""
    shown = sorted({_readable(n) for n in names})
    rest = len(shown) - SHOWN_NAMES
    text = mask(", ".join(shown[:SHOWN_NAMES]))  # a file name may be a URL with a password
    return f"{text} +{rest}" if rest > 0 else text


def _readable(name: str) -> str:
    if name.startswith("table:"):
        return "table " + name.rsplit(":", 1)[-1]
    return name


def label(cell: "Cell | None", names=frozenset()) -> str:
    """How a person recognises a cell: its ``%%cell`` name, else what it
    defines (``x, y``), else what it changes, else its first line of code
    (credentials masked)."""
    if cell is None:
        return "?"
    if cell.id in names:
        return mask(cell.id)
    resolved = cell.names if cell.names.writes or cell.names.reads else cell.static
    defined = resolved.writes - resolved.mutations
    if defined:
        return names_text(defined)
    if resolved.mutations:
        return "changes " + names_text(resolved.mutations)
    return first_line(cell.code)


def first_line(code: str, width: int = 40) -> str:
    """A cell's first line of code, credentials masked (before shortening,
    which would cut a URL's password off its '@'), shortened to ``width`` characters."""
    first = mask(next((line.strip() for line in code.splitlines() if line.strip()), ""))
    return first if len(first) <= width else first[:width - 1] + "…"


def rerun_mark(engine: "Engine", run: "Run", cell: "Cell", role: str, count: int | None,
               deleted: bool = False) -> str:
    """One line under a cell that ran for request ``[count]``."""
    when = f"[{count}]" if count is not None else "this request"
    if role == ANCESTOR:
        needs = _needed_names(engine, run, cell)
        why = f", which needs {names_text(needs)}" if needs else ""
        return f"↻ ran before {when}{why}"
    reads = run.changed_reads(cell)
    if reads:
        return f"↻ reran for {when}: {names_text(reads)} changed"
    if deleted:
        return f"↻ reran for {when}: a cell it read from was deleted"
    return f"↻ reran for {when}"


def _needed_names(engine: "Engine", run: "Run", cell: "Cell") -> set[str]:
    """What later cells of the plan read from ``cell``."""
    graph = engine.graph
    needed = set()
    for step in run.steps:
        other = step.cell
        if other.id == cell.id or not other.id or other.id not in graph:
            continue
        for name in other.names.reads:
            if graph.provider(other.id, name) == cell.id:
                needed.add(name)
    return needed
