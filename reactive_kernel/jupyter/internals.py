"""Every private member of ipykernel and jupyter_client this kernel relies on.

The kernel reaches them only through this module, each with why it must.
:data:`RELIED_ON` lists them as data; ``tests/test_internals.py`` checks each
against the installed packages and names the one that went missing.  Where a
member is gone at run time the kernel falls back to the public way (slower,
never wrong), except the view of arriving requests, which only loses the knowledge of
which cells are queued.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import collections
import threading
from contextlib import contextmanager, nullcontext

#: (owner, member, why the kernel needs it); the owner is a class path
RELIED_ON = (
    ("jupyter_client.session.Session", "send",
     "the one funnel all output passes: wrapped to divert a cell's outputs"),
    ("jupyter_client.session.Session", "deserialize",
     "ipykernel's shell channel thread reads each shell message's header and metadata with it,"
     " its signature checked, as the message arrives: wrapped to note waiting requests"),
    ("ipykernel.iostream.BackgroundSocket", "io_thread",
     "the IOPub socket's IO thread, whose queue a request's last display joins"),
    ("ipykernel.iostream.IOPubThread", "thread",
     "a display is queued only while the IO thread lives"),
    ("ipykernel.iostream.IOPubThread", "_events",
     "the IO thread's queue, run at its next wake-up"),
    ("ipykernel.iostream.IOPubThread", "_really_send",
     "what the IO thread calls to send a queued message"),
    ("ipykernel.iostream.OutStream", "_flush_pending",
     "whether stdout/stderr hold text: a flush waits a round trip to the IO thread"),
    ("ipykernel.iostream.OutStream", "_subprocess_flush_pending",
     "the same, for text a subprocess wrote"),
    ("ipykernel.kernelbase.Kernel", "_topic",
     "the IOPub topic of a message the kernel publishes itself"),
    ("ipykernel.kernelbase.Kernel", "shell_channel_thread",
     "the thread that reads each shell message as it arrives, while an earlier one still runs"),
    ("ipykernel.kernelbase.Kernel", "set_parent",
     "every dispatched shell message (run or aborted) passes it"),
    ("ipykernel.kernelbase.Kernel", "finish_metadata",
     "every execute_reply's metadata, an aborted one's included"),
    ("ipykernel.ipkernel.IPythonKernel", "_cancel_on_sigint",
     "an interrupt cancels the task of a cell with a top-level await that runs for another cell"),
)


def wrap_send(session, send):
    """Route every message the session sends through ``send``; returns the
    session's own send, which ``send`` calls on."""
    own = session.send
    session.send = send
    return own


def see_arrivals(session, kernel, see) -> None:
    """Call ``see`` with each shell message as it arrives, read and its
    signature checked.  ipykernel's shell channel thread reads every shell
    message's header and metadata (``deserialize`` without the content) to
    route it before the main thread sees it: the message is seen there, at
    no cost of its own.  A message that does not read is never seen."""
    own = session.deserialize

    def deserialize(*args, **kwargs):
        msg = own(*args, **kwargs)
        if threading.current_thread() is getattr(kernel, "shell_channel_thread", None):
            try:
                see(msg)
            except Exception:  # noting a waiting request never costs the request
                pass
        return msg

    session.deserialize = deserialize


def cancel_on_sigint(kernel, future):
    """ipykernel's SIGINT handler for an awaited cell: it cancels the task
    instead of raising in the event loop.  Without it, an interrupt reaches
    the cell only between awaits (never worse than no handler)."""
    method = getattr(kernel, "_cancel_on_sigint", None)
    return method(future) if method is not None else nullcontext()


def topic(kernel, msg_type: str) -> bytes:
    """The IOPub topic ipykernel gives a message of this type."""
    return kernel._topic(msg_type)


def stream_pending(stream) -> bool:
    """Whether a stream may hold unsent text (unknown streams always may)."""
    return getattr(stream, "_flush_pending", True) or getattr(stream, "_subprocess_flush_pending", False)


def io_thread_queue(socket):
    """(thread, queue, send) of the IOPub socket's IO thread: a call appended
    to the queue runs at the thread's next wake-up.  None where ipykernel
    does not have them as expected."""
    io_thread = getattr(socket, "io_thread", None)
    thread = getattr(io_thread, "thread", None)
    events = getattr(io_thread, "_events", None)
    send = getattr(io_thread, "_really_send", None)
    if isinstance(events, collections.deque) and callable(send) and callable(getattr(thread, "is_alive", None)):
        return thread, events, send
    return None


@contextmanager
def prompt_shown(shell, count: int):
    """IPython names a traceback's cell by ``shell.execution_count``: show
    ``count`` there for a run that takes no count of its own."""
    own = shell.execution_count
    shell.execution_count = count
    try:
        yield
    finally:
        shell.execution_count = own


def take_execution_count(shell) -> int:
    """The count a reply the kernel makes itself carries, taken as ipykernel
    takes it for a cell it runs (the shell's count moves on)."""
    shell.execution_count += 1
    return shell.execution_count - 1
