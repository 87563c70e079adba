"""Each cell's one replaceable display, as far as the frontend shows it.

The engine knows cells; only the kernel knows what their output areas show:
which cells own a display a later rerun can update, the prompt each showed,
the output each display holds (to repeat it under a stale mark), and which
now show a stale mark.
"""
from __future__ import annotations

from typing import Iterable

from .outputs import Recording, anchor, display_id, with_mark
from .publish import Publisher
from .widgets import holding
from ..vocabulary import STALE

#: the largest output kept to repeat under a stale mark (characters)
BUNDLE_KEPT = 2_000_000


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


def _tag(cell_id: str, role: str) -> dict:
    return {"reactive": {"cell_id": cell_id, "role": role}}


class Displays:
    def __init__(self, publisher: Publisher):
        self._publisher = publisher
        #: cells whose output area holds their display (so updates can reach it)
        self.owned: set[str] = set()
        #: the execution count each cell showed when it last ran as requested
        self.prompts: dict[str, int] = {}
        #: each displayed cell's own output, unmarked, to mark it stale later
        #: (None: too large to keep)
        self.bundles: dict[str, tuple[dict, dict] | None] = {}
        #: displayed cells now showing a stale mark
        self.marked_stale: set[str] = set()

    def __contains__(self, cell_id: str) -> bool:
        return cell_id in self.owned

    def forget(self, cells: Iterable[str]) -> None:
        """Deleted cells show nothing any more."""
        for cell in cells:
            self.owned.discard(cell)
            self.marked_stale.discard(cell)
            self.prompts.pop(cell, None)
            self.bundles.pop(cell, None)

    def cleared(self, cell_id: str | None) -> None:
        """The frontend cleared the requested cell's output area."""
        self.owned.discard(cell_id)

    def own(self, cell_id: str, data: dict, metadata: dict) -> None:
        self.owned.add(cell_id)
        self.marked_stale.discard(cell_id)
        size = sum(len(v) for v in data.values() if isinstance(v, str))
        self.bundles[cell_id] = (data, metadata) if size <= BUNDLE_KEPT else None

    def show(self, cell_id: str, display: tuple[dict, dict], replaces_output: bool,
             queued: bool = False) -> None:
        """Publish a cell's display in its own output area (replacing what it
        showed of this run); ``queued``: at the IO thread's next wake-up."""
        data, metadata = display
        if replaces_output:
            self._publisher.send("clear_output", {"wait": True})
        content = {"data": data, "metadata": metadata, "transient": {"display_id": display_id(cell_id)}}
        self._publisher.send("display_data", content, queued=queued)
        self.own(cell_id, data, metadata)

    def update(self, cell_id: str, display: tuple[dict, dict], mark: str, role: str) -> None:
        """A cell run for another shows its new output, marked, in place."""
        self.own(cell_id, *display)
        data, metadata = with_mark(*display, mark)
        self._publisher.tagged("update_display_data", data, metadata, _tag(cell_id, role), display_id(cell_id))

    def mark(self, cell_id: str, mark: str, role: str) -> None:
        """Repeat a cell's kept output with a note under it."""
        kept = self.bundles.get(cell_id)
        if kept is None and cell_id in self.bundles:
            return  # too large to repeat: the requesting cell's note tells
        data, metadata = with_mark(*(kept or ({}, {})), mark)
        self._publisher.tagged("update_display_data", data, metadata, _tag(cell_id, role), display_id(cell_id))

    def mark_stale(self, cell_id: str, mark: str) -> None:
        """Mark a displayed cell stale, once."""
        if cell_id in self.owned and cell_id not in self.marked_stale:
            self.mark(cell_id, mark, STALE)
            self.marked_stale.add(cell_id)
