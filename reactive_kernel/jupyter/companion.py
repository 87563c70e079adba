"""The kernel's side of the ``reactive`` comm (docs/companion.md).

A kernel speaks only through outputs: it cannot know where an unsaved cell
sits on the page, nor mark a cell stale in its prompt.  A frontend companion
can: it reports the live page order and draws what the kernel reports here,
each cell's state after every request, what a cell reads from and what reads
it, and the whole dependency graph.  With no companion connected nothing here
runs and the kernel behaves exactly as without it.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from dataclasses import asdict
from functools import partial
from logging import Logger
from typing import TYPE_CHECKING, Any, Callable

from ..present.summary import summarize

if TYPE_CHECKING:
    from ..core.engine import Engine
    from ..core.run import Run
    from ..present.view import CellView

TARGET_NAME = "reactive"
PROTOCOL_VERSION = 1
#: the capability of a companion that writes rerun cells' outputs into their cells itself
OUTPUTS = "outputs"


class ProtocolError(ValueError):
    """A companion message this kernel cannot act on: answered, never applied in part."""


class Companion:
    """Registers the ``reactive`` comm target and serves every companion
    that opens a comm to it (one per notebook view, per collaborator)."""

    def __init__(self, engine: "Engine", view: "CellView", comm_manager, events, log: Logger,
                 on_open: Callable[[], None]):
        """``events``: the shell's (a cell runs between pre_run_cell and
        post_run_cell); ``on_open``: tells the engine the session's notebook
        file, so a companion sees its cells before they run."""
        self.engine = engine
        self.view = view
        self.log = log
        self.on_open = on_open
        self.comms: dict[str, Any] = {}
        #: per comm id, what that companion announced it does itself (``OUTPUTS``)
        self.capabilities: dict[str, frozenset[str]] = {}
        #: what arrived while a cell was running (a cell with a top-level
        #: ``await`` lets comm messages through), applied between requests in
        #: arrival order: ``(kind, payload)`` with kind ``order`` (None gives
        #: the order back to the file), ``sources`` or ``deleted``
        self.pending: list[tuple[str, Any]] = []
        self.executing = False
        #: the plain-text line about what else the last request ran, or None
        self.summary: str | None = None
        comm_manager.register_target(TARGET_NAME, self._open)
        events.register("pre_run_cell", self._cell_starts)
        events.register("post_run_cell", self._cell_ends)

    # -- the kernel's hook ----------------------------------------------------
    def finished(self, run: "Run", count: int | None, deleted: bool = False) -> None:
        """Request ``[count]`` finished (the view recorded it): apply what
        waited for it and tell the companions.  ``deleted``: the request
        named deleted cells.  A bug here is logged, never shown in the user's cell."""
        try:
            self.summary = summarize(run.report, self.engine, self.view.names, deleted=deleted) \
                if self.comms else None
            pending, self.pending = self.pending, []
            for kind, payload in pending:
                self._apply(kind, payload)
            if self.comms:
                self.broadcast(self.state(count, run.report.cell_id))
        except Exception:
            self.log.exception("reactive companion: could not report the request")

    # -- messages to the companions ---------------------------------------------
    def state(self, count: int | None = None, target: str | None = None) -> dict:
        """Every known cell's state, as the companion draws it."""
        view = self.view
        cells = {}
        for cell_id in view.cells():
            entry: dict[str, Any] = {"state": view.state(cell_id), "label": view.label(cell_id),
                                     "prompt": view.prompt(cell_id)}
            last = view.last.get(cell_id)
            if last is not None:
                entry.update({k: v for k, v in asdict(last).items() if v is not None})
            cells[cell_id] = entry
        return {"type": "state", "request": {"count": count, "cell_id": target},
                "order": self.engine.order_source(), "cells": cells, "summary": self.summary}

    def related(self, cell_id: str) -> dict:
        """The cells ``cell_id`` reads from and those that read it, in notebook order."""
        engine = self.engine
        order = engine.graph.order
        known = cell_id in engine.graph
        return {"type": "related", "cell_id": cell_id, "known": known,
                "upstream": order(engine.upstream(cell_id)) if known else [],
                "downstream": order(engine.downstream(cell_id)) if known else []}

    def graph(self) -> dict:
        """Cells as nodes (in notebook order) and data edges labelled with names."""
        engine, graph = self.engine, self.engine.graph
        state = self.state()["cells"]
        nodes = [{"id": c, **{k: state[c][k] for k in ("label", "state", "prompt")}}
                 for c in graph.sequence() if c in state]
        edges: dict[tuple[str, str], set[str]] = {}
        for node in nodes:
            reader = node["id"]
            if reader not in graph.names:
                continue
            for name, provider in graph.providers(reader).items():
                if provider is not None and provider in state:
                    edges.setdefault((provider, reader), set()).add(name)
        return {"type": "graph", "order": engine.order_source(), "nodes": nodes,
                "edges": [{"source": s, "target": t, "names": sorted(names)}
                          for (s, t), names in edges.items()]}

    def broadcast(self, data: dict) -> None:
        for comm in list(self.comms.values()):
            comm.send(data)

    @property
    def writes_outputs(self) -> bool:
        """A companion that writes rerun cells' outputs itself is open: the
        kernel then sends those outputs to it rather than into the requesting cell."""
        return any(OUTPUTS in capabilities for capabilities in self.capabilities.values())

    def running(self, cell_id: str, role: str, count: int | None, target: str | None) -> None:
        """``cell_id`` is about to run for request ``[count]`` (for ``target``):
        progress during a cascade; the request's ``state`` clears it."""
        self.broadcast({"type": "running", "cell_id": cell_id, "role": role,
                        "request": {"count": count, "cell_id": target}})

    def send_outputs(self, cell_id: str, role: str, execution_count: int | None,
                     outputs: list[dict]) -> None:
        """A cell that ran for another request, its nbformat v4 outputs, to
        the companions that write them into the cell (only those)."""
        data = {"type": "outputs", "cell_id": cell_id, "role": role,
                "execution_count": execution_count, "outputs": outputs}
        for comm_id, comm in list(self.comms.items()):
            if OUTPUTS in self.capabilities.get(comm_id, ()):
                comm.send(data)

    # -- messages from the companions -------------------------------------------
    def _open(self, comm, message: dict) -> None:
        self.comms[comm.comm_id] = comm
        self.view.reasons = True
        comm.on_msg(lambda msg, comm=comm: self._receive(comm, msg))
        comm.on_close(lambda msg, comm=comm: self._closed(comm))
        data = message.get("content", {}).get("data") or {}
        try:
            capabilities = _capabilities(data)
            if "order" in data:
                self._apply_or_defer("order", _cell_ids("order", data["order"]))
            self.capabilities[comm.comm_id] = capabilities
        except ProtocolError as error:
            comm.send({"type": "error", "message": str(error)})
        comm.send({"type": "hello", "version": PROTOCOL_VERSION})
        # the saved notebook's cells, known before any request (after a restart)
        self.on_open()
        self.engine.sync_notebook()
        comm.send(self.state())

    def _closed(self, comm) -> None:
        self.comms.pop(comm.comm_id, None)
        self.capabilities.pop(comm.comm_id, None)
        self.view.reasons = bool(self.comms)
        if not self.comms:  # nobody reports the page any more: the file decides again
            self._apply_or_defer("order", None)

    def _receive(self, comm, message: dict) -> None:
        data = message.get("content", {}).get("data")
        reply_id = data.get("id") if isinstance(data, dict) else None
        try:
            reply = self._answer(data)
        except ProtocolError as error:
            reply = {"type": "error", "message": str(error)}
        if reply is not None:
            if reply_id is not None:
                reply["id"] = reply_id
            comm.send(reply)

    def _answer(self, data: Any) -> dict | None:
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise ProtocolError("a reactive comm message is an object with a string 'type'")
        kind = data["type"]
        if kind in _CHANGES:
            return self.state() if self._apply_or_defer(kind, _CHANGES[kind](data.get("cells"))) else None
        if kind == "related":
            cell_id = data.get("cell_id")
            if not isinstance(cell_id, str):
                raise ProtocolError("'related' needs 'cell_id', a string")
            return self.related(cell_id)
        if kind == "graph":
            return self.graph()
        if kind == "state":
            return self.state()
        raise ProtocolError(f"unknown message type {kind!r} "
                            "(known: order, sources, deleted, related, graph, state)")

    def _apply_or_defer(self, kind: str, payload: Any) -> bool:
        """Apply a change of the page now, or, while a cell runs, when its
        request ends (never under a running plan); True when applied now."""
        if self.executing:
            self.pending.append((kind, payload))
            return False
        self._apply(kind, payload)
        return True

    def _apply(self, kind: str, payload: Any) -> None:
        if kind == "order":
            self.engine.set_page_order(payload)
        elif kind == "sources":
            self.engine.know_sources(payload)
        else:  # deleted: the names go now, the readers go stale
            self.engine.forget(payload)

    # -- is a cell running? --------------------------------------------------------
    def _cell_starts(self, info=None) -> None:
        self.executing = True

    def _cell_ends(self, result=None) -> None:
        self.executing = False



def _capabilities(data: dict) -> frozenset[str]:
    """What a companion announced at open (none when it said nothing)."""
    announced = data.get("capabilities", [])
    if not isinstance(announced, list) or not all(isinstance(c, str) for c in announced):
        raise ProtocolError("'capabilities' is a list of strings")
    return frozenset(announced)


def _cell_ids(kind: str, cells: Any) -> list[str]:
    if not isinstance(cells, list) or not all(isinstance(c, str) and c for c in cells):
        raise ProtocolError(f"'{kind}' needs 'cells', a list of cell ids (non-empty strings)")
    return list(cells)


def _sources(cells: Any) -> list[tuple[str, str]]:
    """(id, code) pairs, all checked before any applies."""
    if not isinstance(cells, list) or not all(
            isinstance(c, dict) and isinstance(c.get("id"), str) and c["id"] and isinstance(c.get("source"), str)
            for c in cells):
        raise ProtocolError("'sources' needs 'cells', a list of {'id': non-empty string, 'source': string}")
    return [(c["id"], c["source"]) for c in cells]


#: the messages that change what the kernel knows of the page: each reads its 'cells'
_CHANGES: dict[str, Callable[[Any], Any]] = {"order": partial(_cell_ids, "order"), "sources": _sources,
                                             "deleted": partial(_cell_ids, "deleted")}
