"""Error text the user reads in a cell's own traceback, made from the engine's facts."""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from typing import TYPE_CHECKING

from .marks import first_line
from ..vocabulary import REGISTRATION

if TYPE_CHECKING:
    from ..core.engine import Engine


def missing_name_message(engine: "Engine", cell_id: str | None, name: str) -> str | None:
    """Why ``name`` is undefined for ``cell_id`` when only later cells bind
    it (None when that is not why): Run All would fail the same way."""
    later = engine.later_binder(cell_id, name)
    if later is None:
        return None
    message = (f"name '{name}' is defined only in a later cell (cell \"{first_line(engine.cells[later].code)}\"); "
               "move that cell above this one")
    if engine.order_source() == REGISTRATION:
        message += (" (the kernel knows only the order cells were first run: if that cell "
                    "is already above, save the notebook so the kernel can read the page order)")
    return message
