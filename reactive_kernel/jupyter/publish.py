"""The messages the kernel publishes itself, and the request's last display
published without waking ipykernel's IO thread for it.

ipykernel hands every IOPub message to its IO thread and wakes the thread for
each one; for a cell that shows nothing, that wake-up costs more than the rest
of the cell's own display (the invisible anchor every cell gets).  The
display that ends a request is queued instead: the IO thread sends what is
queued, in order, whenever it next wakes, and ipykernel wakes it right after
the cell (it flushes the streams before the reply and publishes idle).

This leans on private members of ipykernel's ``IOPubThread`` (see
:mod:`.internals`); where they are not as expected, messages go out the
usual way.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import functools

from . import internals


def cell_tag(cell_id: str | None, role: str) -> dict:
    """The metadata every message about a cell that was not requested carries."""
    return {"reactive": {"cell_id": cell_id, "role": role}}


class QueuedIOPub:
    """A stand-in for the IOPub socket whose sends wait for the IO thread's next wake-up."""

    def __init__(self, socket):
        queue = internals.io_thread_queue(socket)
        self.supported = queue is not None
        self._thread, self._events, self._send = queue or (None, None, None)

    @property
    def available(self) -> bool:
        """Whether a send is queued (else the IO thread is gone: send directly)."""
        return self.supported and self._thread.is_alive()

    def send_multipart(self, parts, *args, **kwargs) -> None:
        self._events.append(functools.partial(self._send, parts, *args, **kwargs))


class Publisher:
    """Publishes on IOPub for the current request, after the cell's streams
    (the output router flushed them), without display_pub's extra flushes."""

    def __init__(self, kernel):
        self._kernel = kernel
        self.queued = QueuedIOPub(kernel.iopub_socket)

    def send(self, msg_type: str, content: dict, metadata: dict | None = None,
             queued: bool = False) -> None:
        """``queued``: at the IO thread's next wake-up."""
        kernel = self._kernel
        stream = self.queued if queued and self.queued.available else kernel.iopub_socket
        kernel.session.send(stream, msg_type, content, kernel.get_parent("shell"),
                            ident=internals.topic(kernel, msg_type), metadata=metadata)

    def tagged(self, msg_type: str, data: dict, metadata: dict, tag: dict,
               display: str | None = None) -> None:
        """A display carrying the reactive ``tag`` in its metadata (merged
        with what the display says there itself, such as a cut) and message
        metadata; ``display``: the display id it shows under (else none)."""
        transient = {"display_id": display} if display is not None else {}
        own = {key: {**metadata[key], **value} if isinstance(metadata.get(key), dict) else value
               for key, value in tag.items()}
        self.send(msg_type, {"data": data, "metadata": {**metadata, **own}, "transient": transient},
                  metadata=tag)
