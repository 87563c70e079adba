"""The kernel's side of the ``reactive`` comm (docs/companion.md).

A kernel speaks only through outputs: it cannot know where an unsaved cell
sits on the page, nor mark a cell stale in its prompt.  A frontend companion
can: it reports the live page order and draws what the kernel reports here,
each cell's state after every request, what a cell reads from and what reads
it, and the whole dependency graph.  With no companion connected nothing here
runs and the kernel behaves exactly as without it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..present.marks import label, rerun_mark
from ..vocabulary import CANCELLED, ERROR, FAILED, FAILED_UPSTREAM, RAN, RERAN, STALE, TARGET, UNRUN, CellState

if TYPE_CHECKING:
    from .kernel import ReactiveKernel
    from ..core.run import Run

TARGET_NAME = "reactive"
PROTOCOL_VERSION = 1


class ProtocolError(ValueError):
    """A companion message this kernel cannot act on: answered, never applied in part."""


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


class Companion:
    """Registers the ``reactive`` comm target and serves every companion
    that opens a comm to it (one per notebook view, per collaborator)."""

    def __init__(self, kernel: "ReactiveKernel"):
        self.kernel = kernel
        self.engine = kernel.engine
        self.comms: dict[str, Any] = {}
        self.last: dict[str, LastRun] = {}
        #: a page order that arrived while a cell was running (a cell with a
        #: top-level ``await`` lets comm messages through), applied between
        #: requests: ``(order,)``, where an order of None gives it back to the file
        self.pending: tuple[list[str] | None] | None = None
        self.executing = False
        kernel.comm_manager.register_target(TARGET_NAME, self._open)
        events = kernel.shell.events
        events.register("pre_run_cell", self._cell_starts)
        events.register("post_run_cell", self._cell_ends)

    # -- the kernel's hook ----------------------------------------------------
    def finished(self, run: "Run") -> None:
        """A request finished: remember what it did with each cell, apply a
        page order that waited for it, and tell the companions.  A bug here
        is logged, never shown in the user's cell."""
        try:
            self._finished(run)
        except Exception:
            self.kernel.log.exception("reactive companion: could not report the request")

    def _finished(self, run: "Run") -> None:
        count = self.kernel.shell.execution_count - 1
        report = run.report
        for entry in report.ran:
            if not entry.cell_id:
                continue
            cell = self.engine.cells.get(entry.cell_id)
            why = None
            if self.comms and entry.role != TARGET and entry.status != CANCELLED and cell is not None:
                why = rerun_mark(self.engine, run, cell, entry.role, count)
            self.last[entry.cell_id] = LastRun(
                count, report.cell_id, entry.role, entry.status,
                run.cause.get(entry.cell_id) if entry.status == CANCELLED else None, why)
        if self.pending is not None:
            self.engine.set_page_order(self.pending[0])
            self.pending = None
        if self.comms:
            self.broadcast(self.state(count, report.cell_id))

    # -- messages to the companions ---------------------------------------------
    def state(self, count: int | None = None, target: str | None = None) -> dict:
        """Every known cell's state, as the companion draws it."""
        engine = self.engine
        stale = set(engine.stale_cells())
        cells = {}
        for cell_id in engine.graph.sequence():
            cell = engine.cells.get(cell_id)
            if cell is None or cell.anonymous:
                continue
            last = self.last.get(cell_id)
            entry: dict[str, Any] = {"state": _state(cell_id in stale, last, cell.unrun),
                                     "label": label(cell, self.kernel.cell_names),
                                     "prompt": self.kernel.prompts.get(cell_id)}
            if last is not None:
                entry.update({k: v for k, v in asdict(last).items() if v is not None})
            cells[cell_id] = entry
        for gone in set(self.last) - set(engine.cells):  # deleted cells
            del self.last[gone]
        return {"type": "state", "request": {"count": count, "cell_id": target},
                "order": engine.order_source(), "cells": cells}

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

    # -- messages from the companions -------------------------------------------
    def _open(self, comm, message: dict) -> None:
        self.comms[comm.comm_id] = comm
        comm.on_msg(lambda msg, comm=comm: self._receive(comm, msg))
        comm.on_close(lambda msg, comm=comm: self._closed(comm))
        data = message.get("content", {}).get("data") or {}
        try:
            if "order" in data:
                self._set_order(data["order"])
        except ProtocolError as error:
            comm.send({"type": "error", "message": str(error)})
        comm.send({"type": "hello", "version": PROTOCOL_VERSION})
        # the saved notebook's cells, known before any request (after a restart)
        self.kernel.use_notebook_file()
        self.engine.sync_notebook()
        comm.send(self.state())

    def _closed(self, comm) -> None:
        self.comms.pop(comm.comm_id, None)
        if not self.comms:  # nobody reports the page any more: the file decides again
            self._apply(None)

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
        if kind == "order":
            if self._set_order(data.get("cells")):
                return self.state()
            return None
        if kind == "related":
            cell_id = data.get("cell_id")
            if not isinstance(cell_id, str):
                raise ProtocolError("'related' needs 'cell_id', a string")
            return self.related(cell_id)
        if kind == "graph":
            return self.graph()
        if kind == "state":
            return self.state()
        raise ProtocolError(f"unknown message type {kind!r} (known: order, related, graph, state)")

    def _set_order(self, cells: Any) -> bool:
        """Adopt the page order; True when it took effect now (not deferred)."""
        if not isinstance(cells, list) or not all(isinstance(c, str) and c for c in cells):
            raise ProtocolError("'order' needs 'cells', a list of cell ids (non-empty strings)")
        return self._apply(list(cells))

    def _apply(self, order: list[str] | None) -> bool:
        """Set the page order now, or, while a cell runs, when its request ends."""
        if self.executing:
            self.pending = (order,)
            return False
        self.pending = None
        self.engine.set_page_order(order)
        return True

    # -- is a cell running? --------------------------------------------------------
    def _cell_starts(self, info=None) -> None:
        self.executing = True

    def _cell_ends(self, result=None) -> None:
        self.executing = False


def _state(stale: bool, last: LastRun | None, unrun: bool) -> CellState:
    """One word for a cell: what its prompt badge shows."""
    if last is not None and last.status == CANCELLED and stale:
        return FAILED_UPSTREAM if last.upstream else CANCELLED
    if last is not None and last.status == ERROR:  # a failed cell stays stale until it runs
        return FAILED
    if stale:
        return UNRUN if unrun and last is None else STALE
    if last is None:
        return UNRUN if unrun else RAN
    return RAN if last.role == TARGET else RERAN
