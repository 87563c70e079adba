"""An interrupt stops the user's code, never the kernel's own bookkeeping.

SIGINT raises ``KeyboardInterrupt`` wherever Python happens to be.  Inside a
cell that is what the user asked for; inside the kernel's code between two
cells of a plan it would skip what keeps the notebook consistent (cancel what
did not run, mark it stale, remove its outdated values) and the reply.  So
while a request's bookkeeping runs, SIGINT is *held*: it stops the plan before
the next cell starts.  While a cell's code runs, the handler ipykernel would
have is in place; for a cell with a top-level ``await`` that is ipykernel's
own, which cancels the cell's task (a ``KeyboardInterrupt`` in the event loop
would end the kernel).

Signal handlers can only be set from the main thread; elsewhere (a subshell)
nothing is held, as ipykernel does there.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import _signal  # signal.signal without its enum conversions (an exception per call): 4 calls a request
import asyncio
import signal
import threading
from contextlib import contextmanager
from typing import Awaitable, Iterator, TypeVar

from .internals import cancel_on_sigint

T = TypeVar("T")
_SIGINT = int(signal.SIGINT)


class Interrupts:
    """The SIGINT handler around one request (``held``) and its cells (``allowed``)."""

    def __init__(self, kernel):
        self.kernel = kernel
        #: an interrupt arrived while the kernel's code ran
        self.pending = False
        #: the handler to put back for the user's code; None when not holding
        self._theirs = None

    @contextmanager
    def held(self) -> Iterator[None]:
        """Around a request: interrupts wait while the kernel's code runs."""
        if self._theirs is not None or threading.current_thread() is not threading.main_thread():
            yield
            return
        self.pending = False
        self._theirs = _signal.signal(_SIGINT, self._hold)
        try:
            yield
        finally:
            _signal.signal(_SIGINT, self._theirs)
            self._theirs = None

    def _hold(self, signum, frame) -> None:
        self.pending = True

    def take(self) -> bool:
        """Whether an interrupt is waiting (and forget it): the plan stops here."""
        pending, self.pending = self.pending, False
        return pending

    @contextmanager
    def allowed(self) -> Iterator[None]:
        """Around a cell's code: interrupts reach it as they would under ipykernel."""
        theirs = self._theirs
        if theirs is None:
            yield
            return
        _signal.signal(_SIGINT, theirs)
        try:
            yield
        finally:
            _signal.signal(_SIGINT, self._hold)

    async def run_async(self, coroutine: Awaitable[T]) -> T:
        """Run a cell with a top-level ``await``: an interrupt cancels its task
        (the cell shows ``CancelledError``), as ipykernel does for a requested cell."""
        future = asyncio.ensure_future(coroutine)
        with self.allowed(), cancel_on_sigint(self.kernel, future):
            return await future
