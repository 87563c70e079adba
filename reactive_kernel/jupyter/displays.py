"""Each cell's one replaceable display, for frontends without an
outputs-capable companion.

The engine knows cells; only the kernel knows what their output areas show:
which cells own a display a later rerun can update, and the prompt each
showed.  A display shows the cell's own output, unchanged: why a cell reran
travels in the messages' ``metadata.reactive`` only.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from typing import Iterable

from .outputs import Recording, anchor, display_id
from .publish import Publisher, cell_tag
from .widgets import holding


def display_of(recording: Recording) -> tuple[dict, dict] | None:
    """The one display showing all a cell recorded: an invisible anchor for
    nothing, an Output widget around widgets next to other output (None
    without ipywidgets' Output)."""
    if not recording:
        return anchor()
    data, metadata = recording.bundle()
    if recording.foldable:
        return data, metadata
    return holding(recording.parts, data.get("text/plain", ""))


class Displays:
    def __init__(self, publisher: Publisher):
        self._publisher = publisher
        #: cells whose output area holds their display (so updates can reach it)
        self.owned: set[str] = set()
        #: the execution count each cell showed when it last ran
        self.prompts: dict[str, int] = {}

    def __contains__(self, cell_id: str) -> bool:
        return cell_id in self.owned

    def forget(self, cells: Iterable[str]) -> None:
        """Deleted cells show nothing any more."""
        for cell in cells:
            self.owned.discard(cell)
            self.prompts.pop(cell, None)

    def cleared(self, cell_id: str | None) -> None:
        """The frontend cleared the requested cell's output area."""
        self.owned.discard(cell_id)

    def show(self, cell_id: str, display: tuple[dict, dict], replaces_output: bool,
             queued: bool = False) -> None:
        """Publish a cell's display in its own output area (replacing what it
        showed of this run); ``queued``: at the IO thread's next wake-up."""
        data, metadata = display
        if replaces_output:
            self._publisher.send("clear_output", {"wait": True})
        content = {"data": data, "metadata": metadata, "transient": {"display_id": display_id(cell_id)}}
        self._publisher.send("display_data", content, queued=queued)
        self.owned.add(cell_id)

    def update(self, cell_id: str, display: tuple[dict, dict], role: str) -> None:
        """A cell run for another shows its new output in place, as it is."""
        data, metadata = display
        self._publisher.tagged("update_display_data", data, metadata, cell_tag(cell_id, role), display_id(cell_id))
