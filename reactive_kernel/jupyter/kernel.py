"""ReactiveKernel: ipykernel's IPython kernel with the reactive engine in front.

A thin adapter: it turns an execute_request into an engine request, has the
plan walked through IPython (:mod:`.execution`), each cell's outputs going to
that cell's own output area (:mod:`.router`; through the companion or
:mod:`.displays`).  Everything
else (completion, inspection, comms, history, debugging hooks) is
ipykernel's, untouched; the ipykernel internals it leans on are reached
through :mod:`.internals`.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import asyncio
import contextlib
import os
import time

from ipykernel.ipkernel import IPythonKernel
from traitlets import Bool, Enum, Int, Type

from .. import __version__
from ..analysis.directives import is_query, parse as parse_directives
from .cache import CellCache, run_body
from .companion import Companion
from ..core.engine import Engine
from ..core.order import find_notebook
from ..core.report import Report
from ..core.secrets import mask_log
from ..core.run import Run
from ..sql import SqlCells
from ..present.view import CellView
from ..vocabulary import ABORTED, CLEAN, INTERNAL, KEEP
from .displays import Displays
from .execution import Request, Walk, internal_error
from . import internals
from .interrupts import Interrupts
from .publish import Publisher
from .request import MetadataReader, WaitingRequests
from .router import OutputRouter
from .shell import ReactiveShell


class ReactiveKernel(IPythonKernel):
    shell_class = Type(ReactiveShell)
    implementation = "reactive_kernel"
    implementation_version = __version__
    banner = (
        f"reactive-kernel {__version__}: IPython with reactive reruns.\n"
        "Edit a cell and its dependents rerun; `%%cell NAME` names a cell so a later\n"
        "`%%cell NAME` replaces it; `%%keep` reruns a cell against the namespace as is.\n"
    )

    rerun_mode = Enum(
        [CLEAN, KEEP],
        default_value=CLEAN,
        config=True,
        help="How a cell runs again: 'clean' removes its previous writes first "
        "(run-all equivalence); 'keep' runs it against the namespace as it is.",
    )
    autorun = Bool(
        True,
        config=True,
        help="Rerun the cells downstream of a cell that ran. When False they are only marked stale.",
    )

    sql_drop_external = Bool(
        False,
        config=True,
        help="Let clean reruns drop tables a SQL cell created on an external database "
        "(the embedded DuckDB database always is; without this only `%%sql --drop` cells are).",
    )
    sql_display_rows = Int(20, config=True, help="Rows of a SQL result shown in the cell.")
    sql_fetch_rows = Int(
        0, config=True, help="At most this many rows of a SQL result fetched into its DataFrame (0: all)."
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        mask_log(self.log)  # however the kernel was started (not only ``python -m reactive_kernel``)
        self.sql = self._sql_cells()
        shell = self.shell
        self.engine = Engine(
            shell.user_ns,
            transform=shell.transform_cell,
            magics={"sql": self.sql.analyze},
            resources=self.sql,
            autorun=self.autorun,
            # IPython's display hook keeps _5, _ in the hidden namespace too,
            # and _, __, ___ as its own attributes
            history=(shell.user_ns_hidden, vars(shell.displayhook)),
        )
        #: interrupts reach the user's code, never the kernel's bookkeeping
        self.interrupts = Interrupts(self)
        self.router = OutputRouter(self.session)
        self.publisher = Publisher(self)
        self.displays = Displays(self.publisher)
        #: the execution count each cell showed when it last ran as requested
        self.prompts: dict[str, int] = self.displays.prompts
        self.metadata_reader = MetadataReader(self.log)
        #: execute requests received but not yet dispatched
        self.waiting = WaitingRequests(self.metadata_reader)
        internals.see_arrivals(self.session, self, lambda msg: self.waiting.arrived(msg))
        #: ids given by ``%%cell NAME``: readable, so notes show them
        self.cell_names: set[str] = set()
        self._report = None
        #: the code the pending report is about (without directive lines)
        self._report_code = ""
        #: the last request's report but for `%reactive` queries: what `%reactive` shows
        self.last_report: Report | None = None
        shell.register_magic_function(self._reactive_magic, "line", "reactive")
        #: the persistent cell cache: ``%%cache`` cells, ``%reactive cache``
        self.cache = CellCache(self.engine, self.log)
        shell.register_magic_function(lambda line, cell: run_body(shell, cell), "cell", "cache")
        #: the cells as a person reads them: label, prompt, one state
        self.view = CellView(self.engine, self.prompts, self.cell_names)
        #: the ``reactive`` comm: live page order and cell states for a frontend companion
        self.companion = Companion(self.engine, self.view, self.comm_manager, shell.events, self.log,
                                   on_open=self.use_notebook_file)
        #: ipykernel waits this long (``_execute_sleep``) between flushing a
        #: request's outputs and sending its reply, so that they reach the
        #: client first.  Here the request's bookkeeping that sends no output
        #: (:meth:`_record`) runs in that wait, which is never shorter for it
        #: (:meth:`finish_metadata`); ipykernel's own wait is left at zero.
        self.output_grace = self._execute_sleep
        self._execute_sleep = 0.0
        #: a request that ran cells owes the grace before its reply
        self._grace_owed = False
        #: the planned request whose recording waits for the grace: (walk, request, count, session)
        self._unrecorded: tuple | None = None
        #: the companion's side of the request, ended once it is recorded
        self._request_scope: contextlib.ExitStack | None = None

    def _sql_cells(self) -> SqlCells:
        sql = SqlCells(self.shell, drop_external=self.sql_drop_external)
        sql.display_rows = self.sql_display_rows
        sql.fetch_rows = self.sql_fetch_rows or None
        sql.register_magics()
        return sql

    def _reactive_magic(self, line: str = ""):
        """%reactive [why NAME_OR_CELL | graph [NAME_OR_CELL]]: what is stale, what ran and why.

        Its module (and what it draws with) loads at first use, not at kernel start."""
        from .magic import ReactiveMagics

        magics = ReactiveMagics(self.shell, self.view, lambda: self.last_report, self.log, self.cache)
        self.shell.register_magics(magics)  # replaces this stand-in
        return magics.reactive(line)

    # -- requests waiting behind the running one -----------------------------------
    def set_parent(self, ident, parent, channel="shell"):
        """Every shell message dispatched (run or aborted) passes here."""
        super().set_parent(ident, parent, channel)
        if channel == "shell":
            self.waiting.dispatched(parent)

    # -- one reply per request ------------------------------------------------
    async def execute_request(self, stream, ident, parent):
        """Interrupts are held for the whole request, ipykernel's own steps
        around ``do_execute`` included: one landing while the reply is made
        (the report of a long cascade takes a while) would otherwise end the
        handler without any reply.  The user's code still gets them
        (:meth:`Interrupts.allowed`); one that arrives after the last cell has
        nothing left to stop, as when it lands on an idle kernel."""
        with self.interrupts.held():
            await super().execute_request(stream, ident, parent)

    # -- the reply's metadata --------------------------------------------------
    def finish_metadata(self, parent, metadata, reply_content):
        """Every execute_reply says what happened, an aborted one included.
        Called by ipykernel right after it flushed the request's outputs: the
        request's recording runs now, within the output grace."""
        owed, self._grace_owed = self._grace_owed, False
        started = time.perf_counter()
        self._record()
        metadata = self._finish_metadata(parent, metadata, reply_content)
        if owed:
            left = self.output_grace - (time.perf_counter() - started)
            if left > 0:
                time.sleep(left)
        return metadata

    def _finish_metadata(self, parent, metadata, reply_content):
        metadata = super().finish_metadata(parent, metadata, reply_content)
        report, self._report = self._report, None
        if report is not None and not is_query(self._report_code):
            self.last_report = report
        if report is None and parent.get("header", {}).get("msg_type") == "execute_request":
            report = self._unplanned_report(parent, reply_content)
        state = self.companion.take_reply_state()
        if report is not None:
            try:
                metadata["reactive"] = report.to_json()
                if state is not None:
                    metadata["reactive"]["state"] = state
                    state = None
            except Exception:  # the reply goes out without it
                self.log.exception("reactive kernel: could not report request")
        if state is not None:
            self.companion.send_reply_state(state)  # it never goes unsent
        return metadata

    def _unplanned_report(self, parent, reply_content) -> Report:
        """The report of a request the engine never saw (silent, or aborted)."""
        request = self.metadata_reader.read(parent.get("metadata"))
        report = Report(cell_id=request.cell_id, mode=request.mode or self.rerun_mode,
                        order=self.engine.order_source(), stale=self.engine.stale_cells())
        if reply_content.get("status") == "aborted":
            report.error = {"kind": ABORTED, "message": "not run: an earlier request in the queue failed"}
        return report

    # -- execution -------------------------------------------------------------
    async def do_execute(self, code, silent, store_history=True, user_expressions=None,
                         allow_stdin=False, *, cell_meta=None, cell_id=None):
        """Prepare the request, plan it (or leave it to plain IPython), walk
        the plan, then report."""
        base = super().do_execute

        def ipython(code: str):
            return base(code, silent, store_history, user_expressions, allow_stdin,
                        cell_meta=cell_meta, cell_id=cell_id)

        self._record()  # (a request whose reply was never made)
        self.shell.forget_transform()
        self.shell.explain_missing = None
        try:
            if silent:
                with self.interrupts.allowed():
                    return await ipython(code)
            # the companion's request ends when it is recorded (interrupts
            # are held by execute_request)
            self._request_scope = scope = contextlib.ExitStack()
            scope.enter_context(self.companion.request())
            return await self._execute(code, cell_meta, ipython)
        finally:
            self._grace_owed = True

    async def _execute(self, code: str, cell_meta, ipython) -> dict:
        """The one place a request ends.  A bug of ours before anything ran
        leaves the cell to plain IPython; once the plan runs, :class:`Walk`
        ends it consistent with one reply whatever happens; what comes after
        (the view, the companion) may fail without costing the reply."""
        try:
            request = self._prepare(code, cell_meta)
            run = self._plan(request)
        except (Exception, KeyboardInterrupt, asyncio.CancelledError) as error:
            self.log.exception("reactive engine failed; running the cell as plain IPython")
            self._report = Report(cell_id=None, mode=self.rerun_mode, order=self.engine.order_source(),
                                  error=internal_error(error))
            request, run = None, None
        if run is None:
            with self.interrupts.allowed():
                reply = await ipython(request.code if request is not None else code)
            if self._report is not None and (self._report.error or {}).get("kind") == INTERNAL:
                try:  # what it changed is unknown to the engine: it and its readers go stale
                    target = request.target if request is not None else self.metadata_reader.read(cell_meta).cell_id
                    self.engine.ran_outside(target, request.code if request is not None else code)
                except Exception:
                    self.log.exception("reactive engine: could not mark a cell run as plain IPython stale")
            return reply
        walk = Walk(self, run, request, ipython)
        reply = await walk()
        self._report = run.report
        self._unrecorded = (walk, request, reply.get("execution_count"),
                            self.get_parent("shell").get("header", {}).get("session"))
        return reply

    def _record(self) -> None:
        """The last planned request's last step is recorded, and the view and
        the companions learn what the request did.  This sends no output to
        the cells, so it runs in the output grace (:meth:`finish_metadata`)."""
        unrecorded, self._unrecorded = self._unrecorded, None
        scope, self._request_scope = self._request_scope, None
        try:
            if unrecorded is not None:
                walk, request, count, session = unrecorded
                walk.finish()
                run = walk.run
                self.view.record(run, count)
                self.companion.finished(run, count, deleted=request.deleted, session=session)
        except (Exception, KeyboardInterrupt, asyncio.CancelledError):
            self.log.exception("reactive kernel: could not record request [%s]", unrecorded[2])
        finally:
            if scope is not None:
                scope.close()

    def _prepare(self, code: str, cell_meta) -> Request:
        """Apply the request's deletions and directives; what the engine is asked."""
        meta = self.metadata_reader.read(cell_meta)
        if meta.deleted:
            self.engine.forget(meta.deleted)
            self.displays.forget(meta.deleted)
        self.use_notebook_file()
        directives = parse_directives(code)
        self._report_code = directives.code
        if directives.cell_name:
            self.cell_names.add(directives.cell_name)
        target = directives.cell_name or meta.cell_id
        mode = KEEP if directives.keep or meta.mode == KEEP else self.rerun_mode
        if meta.has_cell_id:  # the frontend cleared the target's output area
            self.displays.cleared(target)
        return Request(target, directives.code, mode, meta.has_cell_id, bool(meta.deleted))

    def _plan(self, request: Request) -> Run | None:
        """The engine's plan; None leaves the cell to plain IPython (with the
        report saying why): a bug of ours must not cost the user the cell,
        and IPython shows why a cell does not parse."""
        try:
            run = self.engine.request(request.target, request.code, request.mode)
        except Exception as error:
            self.log.exception("reactive engine failed; running the cell as plain IPython")
            self._report = Report(cell_id=request.target, mode=request.mode,
                                  order=self.engine.order_source(), error=internal_error(error))
            return None
        if run.report.error is not None:
            self._report = run.report
            return None
        run.queued = lambda: self.waiting.cells() - {request.target}
        return run

    def use_notebook_file(self) -> None:
        """Tell the engine the session's notebook file: its page order, and
        its cells before they run.  VS Code's cell ids are not the file's, so
        there its cells cannot be known before they run."""
        self.engine.set_notebook(self._notebook_file(),
                                 register="__vsc_ipynb_file__" not in self.shell.user_ns)

    def _notebook_file(self) -> str | None:
        """The session's notebook file, when Jupyter Server or VS Code names it."""
        namespace = self.shell.user_ns
        session = namespace.get("__vsc_ipynb_file__") or namespace.get("__session__")
        return find_notebook(session, os.getcwd()) if session else None
