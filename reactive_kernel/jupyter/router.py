"""Every output of the cell being run goes to that cell's Recording.

The router wraps the kernel session's ``send``, the one funnel that streams,
displays, results and tracebacks all pass through, so nothing IPython or a
library prints can slip into the wrong cell.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import sys
from contextlib import contextmanager

from . import internals
from .outputs import Recording
from .widgets import OutputCapture

OUTPUT_TYPES = frozenset(
    {"stream", "display_data", "execute_result", "error", "clear_output", "update_display_data"}
)


class OutputRouter:
    """Diverts the output messages of the cell being run into a Recording."""

    def __init__(self, session):
        self._send = internals.wrap_send(session, self.send)
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
            elif msg_type in OUTPUT_TYPES:
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
    def record(self, held=OUTPUT_TYPES):
        """Record a cell's outputs; those of the ``held`` types are not sent."""
        flush()
        recording = Recording()
        self.recording, self.held, self.shown = recording, frozenset(held), False
        self.capture.reset()
        try:
            yield recording
        finally:
            flush()
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


def flush() -> None:
    """Push pending stream text through the session.  ipykernel's
    OutStream.flush waits for a round trip to its IO thread, which costs more
    than a trivial cell: only streams holding text are flushed."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and internals.stream_pending(stream):
            stream.flush()
