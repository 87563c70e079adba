"""The kernel's side of the ``reactive`` comm (docs/companion.md).

A kernel speaks only through outputs: it cannot know where an unsaved cell
sits on the page, nor mark a cell stale in its prompt.  A frontend companion
can: it reports the live page order and draws what the kernel reports here,
each cell's state after every request, what a cell reads from and what reads
it, and the whole dependency graph.  With no companion connected nothing here
runs and the kernel behaves exactly as without it.

Costs must not grow with the comms open or with cells nobody runs: after a
request each comm is sent only what changed since what it last received
(:mod:`.cellstates`, worked out once for all comms), and a comm whose
frontend is gone (it never says so: a closed tab sends no ``comm_close``) is
found by asking (``ping``) and closed.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import threading
import time
from contextlib import contextmanager
from functools import partial
from logging import Logger
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..present.summary import summarize
from ..vocabulary import DELTAS, OUTPUTS, REPLIES
from .cellstates import CellStates

if TYPE_CHECKING:
    from ..core.engine import Engine
    from ..core.run import Run
    from ..present.view import CellView

TARGET_NAME = "reactive"
PROTOCOL_VERSION = 1
#: seconds a comm may stay silent before the kernel asks whether its frontend is there
QUIET = 300.0
#: seconds its frontend has to answer before the comm is closed as gone
GRACE = 60.0


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
        #: per comm id, what that companion announced it does itself (``OUTPUTS``, ``DELTAS``)
        self.capabilities: dict[str, frozenset[str]] = {}
        #: the cells' entries, and what changed from version to version
        self.states = CellStates(engine, view)
        #: per comm id, the version of the cells' entries it last received
        self.bases: dict[str, int] = {}
        #: per comm id, the client session that opened it: a request from that
        #: session is answered on its connection, where the reply can carry the state
        self.sessions: dict[str, str] = {}
        #: the state for the requesting client's companion, for the request's
        #: reply (``REPLIES``): ``{"comm_id", "message"}``, taken by :meth:`take_reply_state`
        self.reply_state: dict | None = None
        #: per comm id, when the kernel last heard from it (``clock``), and
        #: when it was asked whether it is still there, if it has not answered
        self.heard: dict[str, float] = {}
        self.pinged: dict[str, float] = {}
        self.quiet, self.grace, self.clock = QUIET, GRACE, time.monotonic
        self._next_check = 0.0
        #: what arrived while a cell was running (a cell with a top-level
        #: ``await`` lets comm messages through), applied between requests in
        #: arrival order: ``(kind, payload)`` with kind ``order`` (None gives
        #: the order back to the file), ``sources``, ``deleted`` or ``tags``
        #: (None gives the tags back to the file)
        self.pending: list[tuple[str, Any]] = []
        self.executing = False
        #: a request is under way (:meth:`request`): page changes wait for its end
        self.busy = False
        #: ipykernel 7 dispatches a comm message on its shell-channel thread
        #: while another shell message is being handled, so page changes can
        #: arrive on another thread: they and a request's start take turns
        self.lock = threading.RLock()
        #: the plain-text line about what else the last request ran, or None
        self.summary: str | None = None
        #: the last request, ``(count, cell id)``: the full state asked for
        #: after a gap names it, as the state it replaces would have
        self.last_request: tuple[int | None, str | None] = (None, None)
        comm_manager.register_target(TARGET_NAME, self._open)
        events.register("pre_run_cell", self._cell_starts)
        events.register("post_run_cell", self._cell_ends)

    # -- the kernel's hook ----------------------------------------------------
    @contextmanager
    def request(self) -> Iterator[None]:
        """Around one execute request.  A page change that arrived before it
        is applied before it is planned (a comm handler on another thread
        holds the lock until it is done); one that arrives while it runs is
        applied when it ends, never under a running plan."""
        with self.lock:
            self.busy = True
        try:
            yield
        finally:
            with self.lock:
                self.busy = False
                pending, self.pending = self.pending, []
                try:
                    for kind, payload in pending:
                        self._apply(kind, payload)
                except Exception:
                    self.log.exception("reactive companion: could not apply a page change")

    def finished(self, run: "Run", count: int | None, deleted: bool = False, session: str | None = None) -> None:
        """Request ``[count]`` finished (the view recorded it): apply what
        waited for it and tell the companions what changed.  ``deleted``: the
        request named deleted cells; ``session``: the client session that sent
        it.  A bug here is logged, never shown in the user's cell."""
        with self.lock:
            self._finished(run, count, deleted, session)

    def take_reply_state(self) -> dict | None:
        """The state the request's reply carries to its client's companion (once)."""
        state, self.reply_state = self.reply_state, None
        return state

    def send_reply_state(self, state: dict) -> None:
        """The reply could not carry ``state``: it goes as a comm message after all."""
        comm = self.comms.get(state["comm_id"])
        if comm is not None:
            comm.send(state["message"])

    def _finished(self, run: "Run", count: int | None, deleted: bool, session: str | None = None) -> None:
        try:
            self.summary = summarize(run.report, self.engine, self.view.names, deleted=deleted) \
                if self.comms else None
            self.last_request = (count, run.report.cell_id)
            pending, self.pending = self.pending, []
            for kind, payload in pending:
                self._apply(kind, payload)
            if self.comms:
                self.states.touch(e.cell_id for e in run.report.ran)
                if run.report.cell_id:
                    self.states.touch([run.report.cell_id])
                if deleted:
                    self.states.restructure()
                self.states.update()
                self._send_states(count, run.report.cell_id, session)
                self._check_alive()
        except Exception:
            self.log.exception("reactive companion: could not report the request")

    # -- messages to the companions ---------------------------------------------
    def state(self, count: int | None = None, target: str | None = None) -> dict:
        """Every known cell's state, as the companion draws it (every entry
        recomputed: this is the answer that puts a companion right)."""
        self.states.update(everything=True)
        return self._message(count, target, {"cells": self.states.full()})

    def _message(self, count: int | None, target: str | None, body: dict, base: int | None = None) -> dict:
        """A ``state`` message around ``body`` (``cells``, and for a delta
        ``removed`` and perhaps ``sequence``).  ``version`` names the state it
        gives, a delta's ``base`` the state it applies to: a reply and a comm
        message travel on different channels and may arrive out of order,
        and a companion that sees a gap asks for everything."""
        message: dict[str, Any] = {"type": "state", "version": self.states.version}
        if base is not None:
            message.update(delta=True, base=base)
        message.update({"request": {"count": count, "cell_id": target},
                        "order": self.engine.order_source(), **body, "summary": self.summary})
        return message

    def _state_for(self, comm_id: str, count: int | None = None, target: str | None = None,
                   shared: dict | None = None) -> dict:
        """The state message for one comm: what changed since the version it
        last received if it merges deltas, else (or when it is too far
        behind) everything.  ``shared``: the messages already built, by that
        version (None: everything), for the comms at the same one."""
        shared = {} if shared is None else shared
        states = self.states
        base = self.bases.get(comm_id) if DELTAS in self.capabilities.get(comm_id, ()) else None
        if base not in shared:
            delta = None if base is None else states.delta(base)
            shared[base] = self._message(count, target, delta, base=base) if delta is not None else \
                self._message(count, target, {"cells": states.full()})
        self.bases[comm_id] = states.version
        return shared[base]

    def _send_states(self, count: int | None, target: str | None, session: str | None = None) -> None:
        """After a request: each comm what changed since what it last
        received, one message built per version the comms are at.  The
        requesting client's companion, if it reads replies, gets it in the
        request's reply instead: the one message a companion needs per
        request is then none (the per-request cost issue 19 measures)."""
        shared: dict = {}
        self.reply_state = None
        for comm_id, comm in list(self.comms.items()):
            message = self._state_for(comm_id, count, target, shared)
            if self.reply_state is None and session and self.sessions.get(comm_id) == session \
                    and REPLIES in self.capabilities.get(comm_id, ()):
                self.reply_state = {"comm_id": comm_id, "message": message}
            else:
                comm.send(message)
        self.states.forget_before(self.states.version)

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
        self.states.update(everything=True)
        state = self.states.entries
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
                     outputs: list[dict], display_ids: list[str | None] | None = None) -> None:
        """A cell that ran for another request, its nbformat v4 outputs, to
        the companions that write them into the cell (only those).
        ``display_ids``: per output, the user display id it was shown under
        (None: none), sent when there is one, so a later update reaches it."""
        data = {"type": "outputs", "cell_id": cell_id, "role": role,
                "execution_count": execution_count, "outputs": outputs}
        if display_ids and any(display_ids):
            data["display_ids"] = list(display_ids)
        for comm_id, comm in list(self.comms.items()):
            if OUTPUTS in self.capabilities.get(comm_id, ()):
                comm.send(data)

    # -- is the frontend still there? ----------------------------------------------
    def _check_alive(self) -> None:
        """Ask comms silent for ``quiet`` seconds whether their frontend is
        there (``ping``); close those that stayed silent ``grace`` seconds
        since.  Jupyter comms have no heartbeat and a frontend that goes away
        (a reloaded or closed tab) sends no ``comm_close``; a companion
        answers at once, and one that did not is sent nothing more (a
        companion still there opens a new comm).  At most every few seconds,
        at the end of a request, where the cost of a dead comm is paid."""
        now = self.clock()
        if now < self._next_check:
            return
        self._next_check = now + min(self.quiet, self.grace) / 2
        for comm_id, comm in list(self.comms.items()):
            asked = self.pinged.get(comm_id)
            if asked is not None:
                if now - asked >= self.grace:
                    self._expire(comm)
            elif now - self.heard.get(comm_id, now) >= self.quiet:
                self.pinged[comm_id] = now
                comm.send({"type": "ping"})

    def _expire(self, comm) -> None:
        """The frontend of ``comm`` is gone: forget it and close it (a
        ``comm_close`` a frontend still there takes as: open a new comm)."""
        self.log.info("reactive companion: comm %s silent since it was asked; closing it", comm.comm_id)
        self._closed(comm)
        try:
            comm.close()
        except Exception:
            self.log.debug("reactive companion: closing comm %s failed", comm.comm_id, exc_info=True)

    # -- messages from the companions -------------------------------------------
    def _open(self, comm, message: dict) -> None:
        with self.lock:
            self._opened(comm, message)

    def _opened(self, comm, message: dict) -> None:
        self.comms[comm.comm_id] = comm
        session = message.get("header", {}).get("session")
        if isinstance(session, str) and session:
            self.sessions[comm.comm_id] = session
        self.heard[comm.comm_id] = self.clock()
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
        self.bases[comm.comm_id] = self.states.version

    def _closed(self, comm) -> None:
        with self.lock:
            self._forget_comm(comm)

    def _forget_comm(self, comm) -> None:
        for table in (self.comms, self.capabilities, self.bases, self.sessions, self.heard, self.pinged):
            table.pop(comm.comm_id, None)
        self.view.reasons = bool(self.comms)
        if not self.comms:  # nobody reports the page any more: the file decides again
            self._apply_or_defer("order", None)
            self._apply_or_defer("tags", None)

    def _receive(self, comm, message: dict) -> None:
        with self.lock:
            self._received(comm, message)

    def _received(self, comm, message: dict) -> None:
        if comm.comm_id in self.comms:  # it is there: no need to ask
            self.heard[comm.comm_id] = self.clock()
            self.pinged.pop(comm.comm_id, None)
        data = message.get("content", {}).get("data")
        reply_id = data.get("id") if isinstance(data, dict) else None
        try:
            reply = self._answer(comm, data)
        except ProtocolError as error:
            reply = {"type": "error", "message": str(error)}
        if reply is not None:
            if reply_id is not None:
                reply = {**reply, "id": reply_id}
            comm.send(reply)

    def _answer(self, comm, data: Any) -> dict | None:
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise ProtocolError("a reactive comm message is an object with a string 'type'")
        kind = data["type"]
        if kind in _CHANGES:
            if not self._apply_or_defer(kind, _CHANGES[kind](data.get("cells"))) or kind == "tags":
                return None  # tags change what the cache does, not a cell's state
            self.states.update()
            return self._state_for(comm.comm_id)
        if kind == "related":
            cell_id = data.get("cell_id")
            if not isinstance(cell_id, str):
                raise ProtocolError("'related' needs 'cell_id', a string")
            return self.related(cell_id)
        if kind == "graph":
            return self.graph()
        if kind == "state":
            # asked after a gap: in place of the request's own state, which
            # would have named the request (its lines on the page)
            state = self.state(*self.last_request)
            self.bases[comm.comm_id] = self.states.version
            return state
        if kind == "pong":  # the answer to ``ping``: hearing it was the point
            return None
        raise ProtocolError(f"unknown message type {kind!r} "
                            "(known: order, sources, deleted, tags, related, graph, state, pong)")

    def _apply_or_defer(self, kind: str, payload: Any) -> bool:
        """Apply a change of the page now, or, while a cell runs, when its
        request ends (never under a running plan); True when applied now."""
        if self.executing or self.busy:
            self.pending.append((kind, payload))
            return False
        self._apply(kind, payload)
        return True

    def _apply(self, kind: str, payload: Any) -> None:
        """Apply a change of the page; the cells it names may have changed."""
        if kind == "order":
            self.engine.set_page_order(payload)
        elif kind == "sources":
            self.engine.know_sources(payload)
            self.states.touch(cell_id for cell_id, _ in payload)
        elif kind == "tags":  # they opt cells into the cache (``%reactive cache``)
            self.engine.set_page_tags(payload)
        else:  # deleted: the names go now, the readers go stale
            self.engine.forget(payload)
            self.states.touch(payload)
            self.states.restructure()

    # -- is a cell running? --------------------------------------------------------
    def _cell_starts(self, info=None) -> None:
        """Also: the requested cell may change even when its request ends
        without :meth:`finished` (refused, or run as plain IPython)."""
        self.executing = True
        cell_id = getattr(info, "cell_id", None)
        if cell_id and self.comms:
            self.states.touch([cell_id])

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


def _tags(cells: Any) -> dict[str, list[str]]:
    """{id: tags} (an empty list: the cell has none), all checked before any applies."""
    if not isinstance(cells, dict) or not all(
            isinstance(cell_id, str) and cell_id and isinstance(tags, list) and all(isinstance(t, str) for t in tags)
            for cell_id, tags in cells.items()):
        raise ProtocolError("'tags' needs 'cells', an object {cell id: list of tags (strings)}")
    return {cell_id: list(tags) for cell_id, tags in cells.items()}


#: the messages that change what the kernel knows of the page: each reads its 'cells'
_CHANGES: dict[str, Callable[[Any], Any]] = {"order": partial(_cell_ids, "order"), "sources": _sources,
                                             "deleted": partial(_cell_ids, "deleted"), "tags": _tags}
