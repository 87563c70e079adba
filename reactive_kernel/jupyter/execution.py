"""One planned request walked through IPython, each cell's outputs in its own cell.

The engine plans which cells run and in what order; here each runs through
IPython: the requested one as ipykernel runs any cell (history, execution
count, reply), the others quietly, their outputs recorded and delivered to
their own cells, as they are: with an outputs-capable companion as nbformat
outputs under a new execution count each (so counts increase down the page),
otherwise as an update of the display the cell owns.  A step may be
served from the cell cache instead of run (:mod:`.cache`), its saved outputs
shown the same way, and a step that ran may be stored.  Why a cell ran, or is
stale or cancelled, never goes into an output: it travels in the messages'
``metadata.reactive``, the reply's report and the companion's state.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import asyncio
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Awaitable, Callable

from ..core.run import Run, Step
from ..present.marks import label
from ..present.messages import missing_name_message
from ..vocabulary import ANCESTOR, ERROR, INTERNAL, INTERRUPTED, OK, TARGET, Mode
from .displays import display_of
from .internals import take_execution_count
from .cache import recording_of
from .outputs import Recording, anchor, labelled, nbformat_outputs, user_display_ids
from .publish import cell_tag


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


#: what a cell raises when the user interrupts it (a task with a top-level
#: ``await`` is cancelled)
_STOPPED = {"KeyboardInterrupt", "CancelledError"}


def status(error_name: str | None) -> str:
    """A run's outcome for the engine, from the name of what it raised."""
    if error_name is None:
        return OK
    return INTERRUPTED if error_name in _STOPPED else ERROR


def internal_error(error: Exception) -> dict:
    """A report's error for a bug of ours."""
    return {"kind": INTERNAL, "message": f"{type(error).__name__}: {error}"}


def _red(text: str) -> str:
    return f"\x1b[0;31m{text}\x1b[0m"


class Walk:
    """Runs one request's plan; call it for the execute_reply.

    ``kernel``: the ReactiveKernel (not imported: it imports this module), for
    its shell, engine, router, displays, publisher, companion, cell names and
    log."""

    def __init__(self, kernel, run: Run, request: Request,
                 ipython: Callable[[str], Awaitable[dict]]):
        self.kernel, self.run, self.request = kernel, run, request
        self.shell, self.engine, self.displays = kernel.shell, kernel.engine, kernel.displays
        #: runs the requested cell's code as ipykernel runs any cell
        self._ipython = ipython
        #: a companion writes other cells' outputs into them: the requested
        #: cell is left exactly as ipykernel shows it
        self.companion_writes = request.replaceable and kernel.companion.writes_outputs
        #: the requested cell's outputs become its replaceable display
        self.in_place = request.replaceable and not self.companion_writes
        #: whether the current step's code may have begun
        self._started = False
        #: the request's execution count (ancestors take theirs first when a
        #: companion writes outputs)
        self.count = self.shell.execution_count + (self._ancestors() if self.companion_writes else 0)
        #: the kernel's cell cache: it serves steps (``Run.loader``) and stores what ran
        self.cache = kernel.cache
        #: the reply of a requested cell served from the cache
        self._served_reply: dict | None = None
        #: the last step, run but not yet recorded (:meth:`finish`)
        self._unfinished: tuple | None = None
        if self.cache.wanted(run):
            run.loader = self._serve

    def _ancestors(self) -> int:
        return sum(1 for step in self.run.steps if step.role == ANCESTOR)

    async def __call__(self) -> dict:
        """The reply, whatever happens: an interrupt that lands in the
        kernel's code (held until the next cell would start, or caught here)
        or a bug of ours ends the run consistent (:meth:`Run.abort`), then
        the request gets its one reply."""
        reply = None
        interrupts = self.kernel.interrupts
        try:
            for step in self.run:
                if interrupts.take():
                    raise KeyboardInterrupt
                self.shell.explain_missing = (
                    lambda name, running=step.cell.id: missing_name_message(self.engine, running, name))
                if self.run.names_moved:
                    self.shell.forget_transform(self.run.names_moved)
                if step.role == TARGET:
                    reply = await self._target(step)
                    if self._unfinished is not None:
                        break  # the walk ends in :meth:`finish`
                else:
                    await self._other(step)
                self._started = False
        except (KeyboardInterrupt, asyncio.CancelledError):
            self._abort()
        except Exception as error:  # a bug of ours: say so, keep the kernel serving
            self.kernel.log.exception("reactive engine failed during a run")
            self._abort()
            self.run.report.error = internal_error(error)
            if reply is None:
                reply = self._error_reply("InternalError", f"reactive-kernel failed: {error}")
        except BaseException:  # the kernel is shutting down: leave the namespace consistent
            self._abort()
            raise
        finally:
            self.shell.explain_missing = None
        if reply is None:
            reply = self._served_reply
        if reply is None:  # an ancestor failed or the cascade was interrupted
            reply = self._cancelled_reply()
        return reply

    def _abort(self) -> None:
        """End the run consistent; if even that fails (a second interrupt, a
        bug), the reply still goes out and the log says why."""
        unfinished, self._unfinished = self._unfinished, None
        if unfinished is not None:  # its code ran to its end: recorded as it ended
            try:
                self._record_step(*unfinished)
            except BaseException:
                self.kernel.log.exception("reactive engine could not record a run")
        try:
            self.run.abort(started=self._started)
        except BaseException:
            self.kernel.log.exception("reactive engine could not end an interrupted run")

    async def _target(self, step: Step) -> dict:
        cell_id = step.cell.id
        if cell_id:
            self.displays.prompts[cell_id] = self.shell.execution_count
        # A result is a cell's last output: with a display of its own to come,
        # it is held back and goes out once, as that display.
        in_place = self.in_place and bool(cell_id)
        router = self.kernel.router
        stored = self.cache.records(step.cell)
        with router.record({"execute_result"} if in_place else ()) if in_place or stored \
                else nullcontext() as recording:
            self._started = True
            started = time.perf_counter()
            with self.kernel.interrupts.allowed():
                reply = await self._ipython(step.cell.code)
            seconds = time.perf_counter() - started
        outcome = status(None if reply["status"] == "ok" else reply.get("ename", ""))
        # recorded later when nothing can follow it (:meth:`finish`): its
        # display, an output, goes out first all the same
        ran = (step, outcome, recording, seconds, reply.get("execution_count"))
        if self.run.nothing_follows(step):
            self._unfinished = ran
        else:
            self._record_step(*ran)
        if in_place:
            # Every cell with an id gets one display, so a later rerun can replace
            # its output in place; a cell that shows nothing gets an invisible one.
            display, shown = display_of(recording), router.shown
            if display is None:  # the live widget stays; reruns show below it
                display, shown = anchor(), False
            # when nothing runs after it, it may wait for the next wake-up
            self.displays.show(cell_id, display, shown, queued=self.run.steps[-1] is step)
        return reply

    def finish(self) -> None:
        """Record the last step, when the walk left it (it sends no output,
        so the kernel does this while ipykernel waits for the cell's outputs
        to reach the client), and end the walk."""
        unfinished, self._unfinished = self._unfinished, None
        if unfinished is None:
            return
        try:
            self._record_step(*unfinished)
            self.run.close()
        except BaseException as error:  # as in the walk: end it consistent, say so
            self.kernel.log.exception("reactive engine failed recording a run")
            self._abort()
            if not isinstance(error, (KeyboardInterrupt, asyncio.CancelledError)):
                self.run.report.error = internal_error(error)

    def _record_step(self, step: Step, outcome: str, recording: Recording | None, seconds: float,
                     count: int | None) -> None:
        """The requested cell's run, to the engine and, if its policy says so, the cache."""
        self.run.finish(step, outcome)
        self._store(step, outcome, recording, seconds, count)

    async def _other(self, step: Step) -> None:
        """A cell run for the request: with a companion writing outputs it
        takes a new execution count, else it names the prompt it showed."""
        cell = step.cell
        prompt = self._prompt(step)
        interrupts = self.kernel.interrupts
        with self.kernel.router.record() as recording:
            self._started = True
            started = time.perf_counter()
            running = self.shell.run_unrequested(cell.code, prompt)
            if self.shell.awaits(cell.code):
                result = await interrupts.run_async(running)
            else:
                with interrupts.allowed():
                    result = await running
            seconds = time.perf_counter() - started
        error = result.error_before_exec or result.error_in_exec
        outcome = status(None if error is None else type(error).__name__)
        self.run.finish(step, outcome)
        self._deliver(step, recording, prompt)
        self._store(step, outcome, recording, seconds, prompt)

    def _prompt(self, step: Step) -> int | None:
        """The count a cell run for the request shows: with a companion writing
        outputs a new one, else the one it showed; the companion hears it runs."""
        cell = step.cell
        if self.companion_writes:
            prompt = take_execution_count(self.shell)
            self.displays.prompts[cell.id] = prompt
        else:
            prompt = self.displays.prompts.get(cell.id)
        if cell.id:
            self.kernel.companion.running(cell.id, step.role, self.count, self.run.report.cell_id)
        return prompt

    # -- the cell cache ----------------------------------------------------------
    def _serve(self, step: Step, key: str) -> bool:
        """``Run.loader``: the step's values from the cache, its saved outputs
        shown as a run's would be (the requested cell's as the request's own)."""
        entry = self.cache.load(self.run, step, key)
        if entry is None:
            return False
        try:
            recording = recording_of(entry.outputs)
            if step.role == TARGET:
                self._served_reply = self._served_target(step, recording)
            else:
                self._deliver(step, recording, self._prompt(step))
        except Exception:  # the values are in; showing the outputs must not undo that
            self.kernel.log.exception("reactive cache: could not show a served cell's outputs")
        return True

    def _served_target(self, step: Step, recording: Recording) -> dict:
        """The requested cell served from the cache: its outputs go out as a
        run's (one replaceable display where the kernel makes one), with the
        count ipykernel would have given it, and an ok reply."""
        cell_id, shell = step.cell.id, self.shell
        count = take_execution_count(shell)
        try:
            shell.history_manager.store_inputs(count, step.cell.code)
        except Exception:  # history is a convenience
            pass
        if cell_id:
            self.displays.prompts[cell_id] = count
        if self.in_place and cell_id:
            self.displays.show(cell_id, display_of(recording) or anchor(), False,
                               queued=self.run.steps[-1] is step)
        else:
            publish = self.kernel.publisher.send
            for part in recording.parts:
                if part[0] == "stream":
                    publish("stream", {"name": part[1], "text": part[2]})
                elif part[0] == "error":
                    publish("error", {"ename": part[1], "evalue": part[3], "traceback": part[2]})
                elif part[4] is not None:
                    publish("execute_result", {"execution_count": count, "data": part[1], "metadata": part[2]})
                else:
                    publish("display_data", {"data": part[1], "metadata": part[2], "transient": {}})
        return {"status": "ok", "execution_count": count, "user_expressions": {}, "payload": []}

    def _store(self, step: Step, outcome: str, recording: Recording | None, seconds: float,
               count: int | None) -> None:
        """A step that ran, to the cache if its policy says so."""
        if not self.cache.records(step.cell):
            # what the cache last did for it is past: ``%reactive cache why`` says the policy
            self.cache.notes.pop(step.cell.id, None)
            return
        try:
            outputs = nbformat_outputs(recording.parts, count) if recording is not None else []
            self.cache.save(self.run, step, outcome == OK, recording, seconds, outputs)
        except Exception:  # the cache must never cost the run
            self.kernel.log.exception("reactive cache: could not store a cell")

    def _deliver(self, step: Step, recording: Recording, count: int | None) -> None:
        """A cell's outputs of a run for another cell, to that cell's own
        output area (a frontend without cell ids: the requesting cell's)."""
        cell, role = step.cell, step.role
        if self.companion_writes and cell.id:
            if self.run.queued is not None and cell.id in self.run.queued():
                return  # the user ran it too: the frontend cleared it for its own request's outputs
            parts = recording.parts
            self.kernel.companion.send_outputs(cell.id, role, count, nbformat_outputs(parts, count),
                                               user_display_ids(parts))
            self._announce_displays(step, parts)
        elif cell.id in self.displays:
            self.displays.update(cell.id, display_of(recording) or recording.bundle(), role)
        elif recording:
            data, metadata = labelled(f"{label(cell, self.kernel.cell_names)} ({role})", recording.parts)
            self.kernel.publisher.tagged("display_data", data, metadata, cell_tag(cell.id, role))

    def _announce_displays(self, step: Step, parts: list[tuple]) -> None:
        """Under ipykernel a display shown under a display id also updates
        every output showing that id (frontends treat it as an update there):
        a recorded one goes out as that update, after the companion has the
        cell's outputs, so other cells (and this one) show what it shows now."""
        tag = cell_tag(step.cell.id, step.role)
        for part in parts:
            if part[0] == "data" and part[3]:
                content = {"data": part[1], "metadata": part[2], "transient": {"display_id": part[3]}}
                self.kernel.publisher.send("update_display_data", content, metadata=tag)

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
        if self.in_place and target:  # shown as the cell's display, so a later rerun replaces it
            self.displays.show(target, ({"text/plain": content["traceback"][0]}, {}), replaces_output=False)
        else:
            self.kernel.publisher.send("error", content)
        return {**content, "execution_count": count, "user_expressions": {}, "payload": []}
