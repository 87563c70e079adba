"""What an execute_request asks of the engine, read defensively at the edge.

Frontends send ``metadata.cellId``, ``metadata.deletedCells`` and
``metadata.reactive``; anything malformed there is treated as absent (a
malformed id makes a cell without id, bad ``deletedCells`` are ignored whole,
never half-applied), logged once per kind, and never raises.

Requests waiting behind the running one are known by their cell ids, so a
cascade leaves a cell whose own request is queued to that request.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import logging
from typing import NamedTuple

from ..core.secrets import mask
from ..vocabulary import MODES, Mode


class RequestMeta(NamedTuple):
    cell_id: str | None = None
    deleted: tuple[str, ...] = ()
    #: "clean" or "keep" when the request asks for one
    mode: Mode | None = None
    #: whether the frontend sent a cell id (and so honours display ids)
    has_cell_id: bool = False


class MetadataReader:
    def __init__(self, log: logging.Logger | None = None):
        self.log = log or logging.getLogger(__name__)
        self._warned: set[str] = set()

    def read(self, metadata: object) -> RequestMeta:
        if not isinstance(metadata, dict):
            if metadata is not None:
                self._warn("metadata", metadata)
            return RequestMeta()
        cell_id = metadata.get("cellId")
        if cell_id is not None and not (isinstance(cell_id, str) and cell_id):
            self._warn("cellId", cell_id)
            cell_id = None
        deleted = metadata.get("deletedCells")
        if deleted is None:
            deleted = ()
        elif isinstance(deleted, list) and all(isinstance(c, str) for c in deleted):
            deleted = tuple(deleted)
        else:
            self._warn("deletedCells", deleted)
            deleted = ()
        options = metadata.get("reactive")
        mode = None
        if isinstance(options, dict) and options.get("mode") in MODES:
            mode = options["mode"]
        elif options is not None and not (isinstance(options, dict) and "mode" not in options):
            self._warn("reactive", options)
        return RequestMeta(cell_id, deleted, mode, has_cell_id=cell_id is not None)

    def _warn(self, key: str, value: object) -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        try:
            shown = mask(repr(value))[:80]  # masked whole: a cut URL would keep its password
        except Exception:
            shown = type(value).__name__
        self.log.warning("ignoring malformed execute_request metadata %s: %s", key, shown)


class WaitingRequests:
    """Execute requests received but not yet dispatched, as ipykernel's shell
    channel thread read them (:func:`.internals.see_arrivals`: signature
    checked, so a forged request is never seen).  Their cell ids are read
    from their metadata when a cascade asks which cells wait, which is rare
    next to requests arriving."""

    def __init__(self, reader: MetadataReader):
        self._reader = reader
        #: msg_id -> the request's metadata as it arrived
        self._waiting: dict[str, object] = {}
        #: msg_id -> its cell id (None: it has none), once read
        self._cells: dict[str, str | None] = {}

    def arrived(self, msg: dict) -> None:
        """A shell message, read as it arrives (perhaps while an earlier
        request runs)."""
        header = msg["header"]
        if header.get("msg_type") == "execute_request" and not header.get("subshell_id"):
            self._waiting[header["msg_id"]] = msg.get("metadata")

    def dispatched(self, parent: dict) -> None:
        """A shell message is handled (run or aborted): it waits no more."""
        msg_id = parent.get("header", {}).get("msg_id")
        self._waiting.pop(msg_id, None)
        self._cells.pop(msg_id, None)

    def cells(self) -> set[str]:
        """The cell ids of the requests waiting."""
        found = set()
        for msg_id, metadata in list(self._waiting.items()):  # (the other thread adds and removes)
            if msg_id not in self._cells:
                cell = self._reader.read(metadata).cell_id
                if msg_id in self._waiting:  # (not dispatched meanwhile)
                    self._cells[msg_id] = cell
            cell = self._cells.get(msg_id)
            if cell:
                found.add(cell)
        return found
