"""Publishing a request's last display without waking ipykernel's IO thread for it.

ipykernel hands every IOPub message to its IO thread and wakes the thread for
each one; for a cell that shows nothing, that wake-up costs more than the rest
of the cell's own display (the invisible anchor every cell gets).  The
display that ends a request is queued instead: the IO thread sends what is
queued, in order, whenever it next wakes, and ipykernel wakes it right after
the cell (it flushes the streams before the reply and publishes idle).

This leans on two private members of ipykernel's ``IOPubThread`` (its event
queue and its send); where they are not as expected, messages go out the
usual way.
"""
from __future__ import annotations

import collections
import functools


class QueuedIOPub:
    """A stand-in for the IOPub socket whose sends wait for the IO thread's next wake-up."""

    def __init__(self, socket):
        thread = getattr(socket, "io_thread", None)
        self._thread = getattr(thread, "thread", None)
        self._events = getattr(thread, "_events", None)
        self._send = getattr(thread, "_really_send", None)
        self.supported = (isinstance(self._events, collections.deque) and callable(self._send)
                          and callable(getattr(self._thread, "is_alive", None)))

    @property
    def available(self) -> bool:
        """Whether a send is queued (else the IO thread is gone: send directly)."""
        return self.supported and self._thread.is_alive()

    def send_multipart(self, parts, *args, **kwargs) -> None:
        self._events.append(functools.partial(self._send, parts, *args, **kwargs))
