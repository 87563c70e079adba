"""ReactiveKernel: ipykernel's IPython kernel with the reactive engine in front.

A thin adapter: it turns an execute_request into an engine request, runs each
planned cell through IPython, and sends every cell's outputs to that cell's
own output area.  Everything else (completion, inspection, comms, history,
debugging hooks) is ipykernel's, untouched.
"""
from __future__ import annotations

import hmac
import json
import os
import sys
from contextlib import contextmanager

from ipykernel.ipkernel import IPythonKernel
from traitlets import Bool, Enum, Int, Type

from .. import __version__
from ..analysis.directives import is_query, parse as parse_directives
from .companion import Companion
from ..core.engine import Engine
from ..core.run import Run, Step
from ..vocabulary import ABORTED, CANCELLED, CLEAN, ERROR, INTERNAL, INTERRUPTED, KEEP, OK, TARGET
from ..core.order import find_notebook
from .publish import QueuedIOPub
from ..present.marks import cancelled_mark, rerun_mark, stale_mark
from ..present.messages import missing_name_message
from .outputs import Recording, anchor, display_id, labelled, with_mark
from ..core.report import Report
from .request import MetadataReader
from .shell import ReactiveShell
from ..sql import SqlCells
from ..present.summary import label, summarize
from ..present.view import CellView
from .widgets import OutputCapture, holding

#: the largest output kept to repeat under a stale mark (characters)
_BUNDLE_KEPT = 2_000_000

_OUTPUT_TYPES = frozenset(
    {"stream", "display_data", "execute_result", "error", "clear_output", "update_display_data"}
)


class OutputRouter:
    """Diverts the output messages of the cell being run into a Recording.

    It wraps the kernel session's ``send``, the one funnel that streams,
    displays, results and tracebacks all pass through, so nothing IPython or a
    library prints can slip into the wrong cell.
    """

    def __init__(self, session):
        self._send = session.send
        session.send = self.send
        self.recording: Recording | None = None
        self.held: frozenset = frozenset()
        #: whether any output of the current recording reached the frontend
        self.shown = False
        #: Output widgets capturing output: what they capture is theirs
        self.capture = OutputCapture()

    def send(self, stream, msg_or_type, content=None, *args, **kwargs):
        recording = self.recording
        if recording is not None:
            if isinstance(msg_or_type, dict):
                msg_type, body = msg_or_type["header"]["msg_type"], msg_or_type["content"]
            else:
                msg_type, body = msg_or_type, content or {}
            if msg_type in ("comm_msg", "comm_close"):
                self.capture.see(msg_type, body)
            elif self.capture:
                pass  # the frontend routes it into an Output widget
            elif msg_type == "update_display_data" and not recording.owns(
                body.get("transient", {}).get("display_id")
            ):
                pass  # updates a display of another cell (a handle kept in a variable)
            elif msg_type in _OUTPUT_TYPES:
                recording.add(msg_type, body)
                if msg_type in self.held:
                    return None
                self.shown = True
        try:
            return self._send(stream, msg_or_type, content, *args, **kwargs)
        except UnicodeEncodeError:  # lone surrogates: escape what the wire cannot carry
            if isinstance(msg_or_type, dict):
                msg_or_type = {**msg_or_type, "content": wire_safe(msg_or_type.get("content"))}
            return self._send(stream, msg_or_type, wire_safe(content), *args, **kwargs)

    @contextmanager
    def record(self, held=_OUTPUT_TYPES):
        """Record a cell's outputs; those of the ``held`` types are not sent."""
        _flush()
        recording = Recording()
        self.recording, self.held, self.shown = recording, frozenset(held), False
        self.capture.reset()
        try:
            yield recording
        finally:
            _flush()
            self.recording, self.held = None, frozenset()


def wire_safe(value):
    """``value`` with every string made encodable as UTF-8 (lone surrogates
    become ``\\udxxx`` escapes), for messages JSON cannot otherwise carry."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {wire_safe(k): wire_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire_safe(v) for v in value]
    return value


def _flush() -> None:
    """Push pending stream text through the session.

    ipykernel's OutStream.flush waits for a round trip to its IO thread, which
    costs more than a trivial cell; its ``_flush_pending`` flags say whether
    anything is waiting (unknown streams are always flushed).
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and (
            getattr(stream, "_flush_pending", True) or getattr(stream, "_subprocess_flush_pending", False)
        ):
            stream.flush()


def _status(error_name: str | None) -> str:
    """A run's outcome for the engine, from the name of what it raised."""
    if error_name is None:
        return OK
    return INTERRUPTED if error_name == "KeyboardInterrupt" else ERROR


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
        shell = self.shell
        self.sql = SqlCells(shell, drop_external=self.sql_drop_external)
        self.sql.display_rows = self.sql_display_rows
        self.sql.fetch_rows = self.sql_fetch_rows or None
        self.sql.register_magics()
        self.engine = Engine(
            shell.user_ns,
            transform=shell.transform_cell,
            magics={"sql": self.sql.analyze},
            resources=self.sql,
            autorun=self.autorun,
        )
        self.router = OutputRouter(self.session)
        self.queued_iopub = QueuedIOPub(self.iopub_socket)
        #: cells whose output area holds their display (so updates can reach it)
        self.displayed: set[str] = set()
        #: the execution count each cell showed when it last ran as requested
        self.prompts: dict[str, int] = {}
        #: each displayed cell's own output, unmarked, to mark it stale later
        #: (None: too large to keep)
        self.bundles: dict[str, tuple[dict, dict] | None] = {}
        #: displayed cells now showing a stale mark
        self.marked_stale: set[str] = set()
        self._count: int | None = None
        self._deleted = False
        #: execute requests received but not yet dispatched: msg_id -> cell id
        self.queued: dict[str, str] = {}
        #: ids given by ``%%cell NAME``: readable, so notes show them
        self.cell_names: set[str] = set()
        self.metadata_reader = MetadataReader(self.log)
        self._report = None
        #: the code the pending report is about (without directive lines)
        self._report_code = ""
        #: the last request's report but for `%reactive` queries: what `%reactive` shows
        self.last_report: Report | None = None
        shell.register_magic_function(self._reactive_magic, "line", "reactive")
        #: the cells as a person reads them: label, prompt, one state
        self.view = CellView(self.engine, self.prompts, self.cell_names)
        #: the ``reactive`` comm: live page order and cell states for a frontend companion
        self.companion = Companion(self.engine, self.view, self.comm_manager, shell.events, self.log,
                                   on_open=self.use_notebook_file)

    def _reactive_magic(self, line: str = ""):
        """%reactive [why NAME_OR_CELL | graph [NAME_OR_CELL]]: what is stale, what ran and why.

        Its module (and what it draws with) loads at first use, not at kernel start."""
        from .magic import ReactiveMagics

        magics = ReactiveMagics(self.shell, self.view, lambda: self.last_report, self.log)
        self.shell.register_magics(magics)  # replaces this stand-in
        return magics.reactive(line)

    # -- requests waiting behind the running one -----------------------------------
    async def shell_channel_thread_main(self, msg):
        """ipykernel's shell channel thread sees each request as it arrives,
        while an earlier one may still run: note the cells already queued.
        Only the header and metadata frames are read (ipykernel deserializes
        and checks the whole message next; one that fails is never dispatched,
        so its entry would stay: the signature is checked here too)."""
        try:
            _, frames = self.session.feed_identities(msg, copy=False)
            parts = [bytes(frame) for frame in frames[:5]]
            header = json.loads(parts[1])
            if header.get("msg_type") == "execute_request" and not header.get("subshell_id"):
                cell = self.metadata_reader.read(json.loads(parts[3])).cell_id
                if cell and (self.session.auth is None or hmac.compare_digest(
                        parts[0], self.session.sign(parts[1:5]))):
                    self.queued[header["msg_id"]] = cell
        except Exception:  # ipykernel reports bad messages itself
            pass
        await super().shell_channel_thread_main(msg)

    def set_parent(self, ident, parent, channel="shell"):
        """Every shell message dispatched (run or aborted) passes here."""
        super().set_parent(ident, parent, channel)
        if channel == "shell":
            self.queued.pop(parent.get("header", {}).get("msg_id"), None)

    # -- the reply's metadata --------------------------------------------------
    def finish_metadata(self, parent, metadata, reply_content):
        """Every execute_reply says what happened, an aborted one included."""
        metadata = super().finish_metadata(parent, metadata, reply_content)
        report, self._report = self._report, None
        if report is not None and not is_query(self._report_code):
            self.last_report = report
        if report is None and parent.get("header", {}).get("msg_type") == "execute_request":
            request = self.metadata_reader.read(parent.get("metadata"))
            report = Report(cell_id=request.cell_id, mode=request.mode or self.rerun_mode,
                            order=self.engine.order_source(), stale=self.engine.stale_cells())
            if reply_content.get("status") == "aborted":
                report.error = {"kind": ABORTED,
                                "message": "not run: an earlier request in the queue failed"}
        if report is not None:
            metadata["reactive"] = report.to_json()
        return metadata

    # -- execution -------------------------------------------------------------
    async def do_execute(
        self,
        code,
        silent,
        store_history=True,
        user_expressions=None,
        allow_stdin=False,
        *,
        cell_meta=None,
        cell_id=None,
    ):
        base = super().do_execute
        self.shell.forget_transform()
        self.shell.explain_missing = None
        if silent:
            return await base(code, silent, store_history, user_expressions, allow_stdin,
                              cell_meta=cell_meta, cell_id=cell_id)
        request = self.metadata_reader.read(cell_meta)
        deleted = request.deleted
        if deleted:
            self.engine.forget(deleted)
            self.displayed.difference_update(deleted)
            self.marked_stale.difference_update(deleted)
            for cell in deleted:
                self.prompts.pop(cell, None)
                self.bundles.pop(cell, None)
        self.use_notebook_file()
        directives = parse_directives(code)
        self._report_code = directives.code
        if directives.cell_name:
            self.cell_names.add(directives.cell_name)
        target = directives.cell_name or request.cell_id
        mode = KEEP if directives.keep or request.mode == KEEP else self.rerun_mode
        # Frontends that send cell ids (JupyterLab, Notebook 7, VS Code) clear
        # the cell's output area and honour display ids, so the target's
        # outputs are republished as its replaceable display.
        replaceable = request.has_cell_id
        if replaceable:
            self.displayed.discard(target)
        try:
            run = self.engine.request(target, directives.code, mode)
        except Exception as error:  # a bug of ours must not cost the user the cell
            self.log.exception("reactive engine failed; running the cell as plain IPython")
            self._report = Report(cell_id=target, mode=mode, order=self.engine.order_source(),
                                  error={"kind": INTERNAL, "message": f"{type(error).__name__}: {error}"})
            return await base(directives.code, silent, store_history, user_expressions,
                              allow_stdin, cell_meta=cell_meta, cell_id=cell_id)
        if run.report.error is not None:  # the cell does not parse: IPython shows why
            self._report = run.report
            return await base(directives.code, silent, store_history, user_expressions,
                              allow_stdin, cell_meta=cell_meta, cell_id=cell_id)

        reply = None
        run.queued = lambda: set(self.queued.values()) - {target}
        #: the request's execution count: what rerun marks say they ran for
        self._count = self.shell.execution_count
        self._deleted = bool(deleted)
        try:
            for step in run:
                self.shell.explain_missing = (
                    lambda name, running=step.cell.id: missing_name_message(self.engine, running, name))
                if step.role == TARGET:
                    reply = await self._run_target(
                        step, run, base, store_history, user_expressions, allow_stdin,
                        cell_meta, cell_id, replaceable and bool(step.cell.id),
                    )
                else:
                    await self._run_other(step, run)
        except Exception as error:  # a bug of ours: say so, keep the kernel serving
            self.log.exception("reactive engine failed during a run")
            run.report.error = {"kind": INTERNAL, "message": f"{type(error).__name__}: {error}"}
            if reply is None:
                reply = self._error_reply("InternalError", f"reactive-kernel failed: {error}")
        finally:
            self.shell.explain_missing = None
        if reply is None:  # an ancestor failed or the cascade was interrupted
            reply = self._cancelled_reply(run, replaceable)
        self._mark_cancelled(run)
        self._mark_stale(run)
        self._show_summary(run)
        self._report = run.report
        count = self.shell.execution_count - 1
        self.view.record(run, count)
        self.companion.finished(run, count)
        return reply

    async def _run_target(self, step: Step, run: Run, base, store_history, user_expressions,
                          allow_stdin, cell_meta, cell_id, replaceable: bool):
        # A result is a cell's last output: with a display of its own to come,
        # it is held back and goes out once, as that display.
        held = {"execute_result"} if replaceable else ()
        if step.cell.id:
            self.prompts[step.cell.id] = self.shell.execution_count
        with self.router.record(held) as recording:
            reply = await base(step.cell.code, False, store_history, user_expressions,
                               allow_stdin, cell_meta=cell_meta, cell_id=cell_id)
        run.finish(step, _status(None if reply["status"] == "ok" else reply.get("ename", "")))
        # Every cell with an id gets one display, so a later rerun can replace
        # its output in place; a cell that shows nothing gets an invisible one.
        if replaceable:
            display, shown = self._display_of(recording), self.router.shown
            if display is None:  # the live widget stays; reruns show below it
                display, shown = anchor(), False
            data, metadata = display
            if shown:
                self._send("clear_output", {"wait": True})
            content = {"data": data, "metadata": metadata,
                       "transient": {"display_id": display_id(step.cell.id)}}
            # when nothing runs after it, it may wait for the next wake-up
            self._send("display_data", content, queued=run.steps[-1] is step)
            self._own_display(step.cell.id, data, metadata)
        return reply

    @staticmethod
    def _display_of(recording: Recording) -> tuple[dict, dict] | None:
        """The one display showing all a cell recorded: an invisible anchor
        for nothing, an Output widget around widgets next to other output
        (None without ipywidgets' Output)."""
        if not recording:
            return anchor()
        data, metadata = recording.bundle()
        if recording.foldable:
            return data, metadata
        return holding(recording.parts, data.get("text/plain", ""))

    def _own_display(self, cell_id: str, data: dict, metadata: dict) -> None:
        self.displayed.add(cell_id)
        self.marked_stale.discard(cell_id)
        size = sum(len(v) for v in data.values() if isinstance(v, str))
        self.bundles[cell_id] = (data, metadata) if size <= _BUNDLE_KEPT else None

    async def _run_other(self, step: Step, run: Run) -> None:
        with self.router.record() as recording:
            result = await self._run_quietly(step)
        error = result.error_before_exec or result.error_in_exec
        run.finish(step, _status(None if error is None else type(error).__name__))
        tag = {"reactive": {"cell_id": step.cell.id, "role": step.role}}
        if step.cell.id in self.displayed:
            data, metadata = self._display_of(recording) or recording.bundle()
            self._own_display(step.cell.id, data, metadata)
            mark = rerun_mark(self.engine, run, step.cell, step.role, self._count, self._deleted)
            data, metadata = with_mark(data, metadata, mark)
            self._send("update_display_data", {
                "data": data, "metadata": {**metadata, **tag},
                "transient": {"display_id": display_id(step.cell.id)}}, metadata=tag)
        elif recording:
            data, metadata = labelled(self._label(step), recording.parts)
            self._send("display_data", {"data": data, "metadata": {**metadata, **tag},
                                        "transient": {}}, metadata=tag)

    async def _run_quietly(self, step: Step):
        """Run a cell that was not requested: no history, no new execution
        count.  Tracebacks name it by the prompt it showed when it last ran."""
        shell, code = self.shell, step.cell.code
        count = shell.execution_count
        shell.execution_count = self.prompts.get(step.cell.id, count)
        try:
            try:
                transformed = shell.transform_cell(code)
            except Exception:
                return shell.run_cell(code, store_history=False)
            if shell.should_run_async(code, transformed_cell=transformed, preprocessing_exc_tuple=None):
                return await shell.run_cell_async(
                    code, store_history=False, transformed_cell=transformed,
                    preprocessing_exc_tuple=None)
            return shell.run_cell(code, store_history=False)
        finally:
            shell.execution_count = count

    def _why_cancelled(self, run: Run, cell_id: str | None) -> str:
        failed = run.cause.get(cell_id) if cell_id else None
        if failed:
            return f"upstream cell {label(self.engine.cells.get(failed), self.cell_names)} failed"
        return "the run was interrupted"

    def _mark_cancelled(self, run: Run) -> None:
        """A cancelled cell's old output would pass for current: say it is not."""
        for entry in run.report.ran:
            if entry.status == CANCELLED and entry.role != TARGET and entry.cell_id in self.displayed:
                self._mark(entry.cell_id, cancelled_mark(self._why_cancelled(run, entry.cell_id)), entry.role)

    def _mark_stale(self, run: Run) -> None:
        """Cells left stale by this request (autorun off, a move, a deferred
        descendant whose own request is not queued) say so under their output."""
        ran = {e.cell_id for e in run.report.ran}
        waiting = set(self.queued.values())
        for cell_id in run.report.stale:
            if cell_id in self.displayed and cell_id not in ran | waiting | self.marked_stale:
                self._mark(cell_id, stale_mark(self._count), "stale")
                self.marked_stale.add(cell_id)

    def _mark(self, cell_id: str, mark: str, role: str) -> None:
        kept = self.bundles.get(cell_id)
        if kept is None and cell_id in self.bundles:
            return  # too large to repeat: the requesting cell's note tells
        data, metadata = with_mark(*(kept or ({}, {})), mark)
        tag = {"reactive": {"cell_id": cell_id, "role": role}}
        self._send("update_display_data", {"data": data, "metadata": {**metadata, **tag},
                                           "transient": {"display_id": display_id(cell_id)}},
                   metadata=tag)

    def _label(self, step: Step) -> str:
        return f"{label(step.cell, self.cell_names)} ({step.role})"

    def _show_summary(self, run: Run) -> None:
        text = summarize(run.report, self.engine, self.cell_names, deleted=self._deleted)
        if text is not None:
            data, metadata = text
            tag = {"reactive": {"summary": True}}
            self._send("display_data", {"data": data, "metadata": {**metadata, **tag},
                                        "transient": {}}, metadata=tag)

    def _error_reply(self, ename: str, evalue: str) -> dict:
        self.shell.execution_count += 1
        content = {"status": "error", "ename": ename, "evalue": evalue,
                   "traceback": [f"\x1b[0;31m{ename}: {evalue}\x1b[0m"]}
        self._publish_error(content)
        return {**content, "execution_count": self.shell.execution_count - 1,
                "user_expressions": {}, "payload": []}

    def _cancelled_reply(self, run: Run, replaceable: bool) -> dict:
        failed = run.cause.get(run.report.cell_id) if run.report.cell_id else None
        why = self._why_cancelled(run, run.report.cell_id)
        self.shell.execution_count += 1
        content = {
            "status": "error",
            "ename": "UpstreamError" if failed else "KeyboardInterrupt",
            "evalue": f"This cell did not run: {why}.",
            "traceback": [f"\x1b[0;31mThis cell did not run: {why}.\x1b[0m"],
        }
        if replaceable and run.report.cell_id:  # shown as the cell's display, so a later rerun replaces it
            data = {"text/plain": content["traceback"][0]}
            self._send("display_data", {"data": data, "metadata": {},
                                        "transient": {"display_id": display_id(run.report.cell_id)}})
            self._own_display(run.report.cell_id, data, {})
        else:
            self._publish_error(content)
        return {**content, "execution_count": self.shell.execution_count - 1,
                "user_expressions": {}, "payload": []}

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

    def _publish_error(self, content: dict) -> None:
        self._send("error", content)

    def _send(self, msg_type: str, content: dict, metadata: dict | None = None,
              queued: bool = False) -> None:
        """Publish on IOPub for the current request, after the cell's streams
        (the router flushed them), without display_pub's extra flushes.
        ``queued``: at the IO thread's next wake-up (see :mod:`.publish`)."""
        stream = self.queued_iopub if queued and self.queued_iopub.available else self.iopub_socket
        self.session.send(stream, msg_type, content, self.get_parent("shell"),
                          ident=self._topic(msg_type), metadata=metadata)
