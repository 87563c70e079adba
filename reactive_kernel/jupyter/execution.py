"""One planned request walked through IPython, each cell's outputs in its own display.

The engine plans which cells run and in what order; here each runs through
IPython: the requested one as ipykernel runs any cell (history, execution
count, reply), the others quietly, their new output updating the display
they own, marked with why they ran.  After the walk, cells the request left
cancelled or stale say so under their output, and a summary tells what the
cell's own output cannot.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from ..core.run import Run, Step
from ..present.marks import cancelled_mark, label, rerun_mark, stale_mark
from ..present.messages import missing_name_message
from ..present.summary import summarize
from ..vocabulary import CANCELLED, ERROR, INTERNAL, INTERRUPTED, OK, TARGET, Mode
from .displays import display_of
from .internals import take_execution_count
from .outputs import anchor, labelled


@dataclass
class Request:
    """An execute_request as the engine takes it."""

    target: str | None
    #: the cell's code without its directive lines
    code: str
    mode: Mode
    #: the frontend sent a cell id, so it clears the cell's output area and
    #: honours display ids: the target's outputs become its replaceable display
    replaceable: bool
    #: whether the request said cells were deleted
    deleted: bool


def status(error_name: str | None) -> str:
    """A run's outcome for the engine, from the name of what it raised."""
    if error_name is None:
        return OK
    return INTERRUPTED if error_name == "KeyboardInterrupt" else ERROR


def internal_error(error: Exception) -> dict:
    """A report's error for a bug of ours."""
    return {"kind": INTERNAL, "message": f"{type(error).__name__}: {error}"}


def cell_tag(cell_id: str | None, role: str) -> dict:
    return {"reactive": {"cell_id": cell_id, "role": role}}


def _red(text: str) -> str:
    return f"\x1b[0;31m{text}\x1b[0m"


class Walk:
    """Runs one request's plan; call it for the execute_reply, then :meth:`finish`.

    ``kernel``: the ReactiveKernel (not imported: it imports this module), for
    its shell, engine, router, displays, publisher, waiting requests, cell
    names and log."""

    def __init__(self, kernel, run: Run, request: Request,
                 ipython: Callable[[str], Awaitable[dict]]):
        self.kernel, self.run, self.request = kernel, run, request
        self.shell, self.engine, self.displays = kernel.shell, kernel.engine, kernel.displays
        #: runs the requested cell's code as ipykernel runs any cell
        self._ipython = ipython
        #: the request's execution count: what rerun marks say they ran for
        self.count = self.shell.execution_count

    async def __call__(self) -> dict:
        reply = None
        try:
            for step in self.run:
                self.shell.explain_missing = (
                    lambda name, running=step.cell.id: missing_name_message(self.engine, running, name))
                if step.role == TARGET:
                    reply = await self._target(step)
                else:
                    await self._other(step)
        except Exception as error:  # a bug of ours: say so, keep the kernel serving
            self.kernel.log.exception("reactive engine failed during a run")
            self.run.report.error = internal_error(error)
            if reply is None:
                reply = self._error_reply("InternalError", f"reactive-kernel failed: {error}")
        finally:
            self.shell.explain_missing = None
        if reply is None:  # an ancestor failed or the cascade was interrupted
            reply = self._cancelled_reply()
        return reply

    async def _target(self, step: Step) -> dict:
        cell_id = step.cell.id
        replaceable = self.request.replaceable and bool(cell_id)
        # A result is a cell's last output: with a display of its own to come,
        # it is held back and goes out once, as that display.
        held = {"execute_result"} if replaceable else ()
        if cell_id:
            self.displays.prompts[cell_id] = self.shell.execution_count
        router = self.kernel.router
        with router.record(held) as recording:
            reply = await self._ipython(step.cell.code)
        self.run.finish(step, status(None if reply["status"] == "ok" else reply.get("ename", "")))
        # Every cell with an id gets one display, so a later rerun can replace
        # its output in place; a cell that shows nothing gets an invisible one.
        if replaceable:
            display, shown = display_of(recording), router.shown
            if display is None:  # the live widget stays; reruns show below it
                display, shown = anchor(), False
            # when nothing runs after it, it may wait for the next wake-up
            self.displays.show(cell_id, display, shown, queued=self.run.steps[-1] is step)
        return reply

    async def _other(self, step: Step) -> None:
        cell = step.cell
        with self.kernel.router.record() as recording:
            result = await self.shell.run_unrequested(cell.code, self.displays.prompts.get(cell.id))
        error = result.error_before_exec or result.error_in_exec
        self.run.finish(step, status(None if error is None else type(error).__name__))
        if cell.id in self.displays:
            mark = rerun_mark(self.engine, self.run, cell, step.role, self.count, self.request.deleted)
            self.displays.update(cell.id, display_of(recording) or recording.bundle(), mark, step.role)
        elif recording:
            data, metadata = labelled(f"{label(cell, self.kernel.cell_names)} ({step.role})", recording.parts)
            self.kernel.publisher.tagged("display_data", data, metadata, cell_tag(cell.id, step.role))

    def _why_cancelled(self, cell_id: str | None) -> str:
        failed = self.run.cause.get(cell_id) if cell_id else None
        if failed:
            return f"upstream cell {label(self.engine.cells.get(failed), self.kernel.cell_names)} failed"
        return "the run was interrupted"

    def _error_reply(self, ename: str, evalue: str) -> dict:
        count = take_execution_count(self.shell)
        content = {"status": "error", "ename": ename, "evalue": evalue,
                   "traceback": [_red(f"{ename}: {evalue}")]}
        self.kernel.publisher.send("error", content)
        return {**content, "execution_count": count, "user_expressions": {}, "payload": []}

    def _cancelled_reply(self) -> dict:
        target = self.run.report.cell_id
        failed = self.run.cause.get(target) if target else None
        evalue = f"This cell did not run: {self._why_cancelled(target)}."
        count = take_execution_count(self.shell)
        content = {"status": "error", "ename": "UpstreamError" if failed else "KeyboardInterrupt",
                   "evalue": evalue, "traceback": [_red(evalue)]}
        if self.request.replaceable and target:  # shown as the cell's display, so a later rerun replaces it
            self.displays.show(target, ({"text/plain": content["traceback"][0]}, {}), replaces_output=False)
        else:
            self.kernel.publisher.send("error", content)
        return {**content, "execution_count": count, "user_expressions": {}, "payload": []}

    def finish(self) -> None:
        """Cancelled and stale cells say so under their output; the summary follows."""
        report = self.run.report
        for entry in report.ran:  # a cancelled cell's old output would pass for current
            if entry.status == CANCELLED and entry.role != TARGET and entry.cell_id in self.displays:
                self.displays.mark(entry.cell_id, cancelled_mark(self._why_cancelled(entry.cell_id)), entry.role)
        # left stale by this request: autorun off, a move, a deferred descendant
        # whose own request is not queued
        passed = {e.cell_id for e in report.ran} | self.kernel.waiting.cells()
        for cell_id in report.stale:
            if cell_id in self.displays and cell_id not in passed:
                self.displays.mark_stale(cell_id, stale_mark(self.count))
        text = summarize(report, self.engine, self.kernel.cell_names, deleted=self.request.deleted)
        if text is not None:
            self.kernel.publisher.tagged("display_data", *text, {"reactive": {"summary": True}})
