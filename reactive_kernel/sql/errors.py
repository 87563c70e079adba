"""What a failing SQL cell shows: one short message, never a Python traceback."""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import os
import re
import types

_QUOTED_STATEMENT = re.compile(r"^(LINE \d+:|\s*\^+\s*$)")
#: the kernel's package: frames of files under it are never the user's
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class SqlError(Exception):
    """A SQL cell failed: shown briefly, without a Python traceback."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def _render_traceback_(self) -> list[str]:
        lines = [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self.message}"]
        if self.detail:
            lines.extend(self.detail.splitlines())
        return lines


class SqlUsageError(SqlError):
    """The magic's options are wrong."""


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def database_message(error: BaseException) -> str:
    """The database's own message, without SQLAlchemy's decorations."""
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    # SQLAlchemy appends "[SQL: ...]" and a background link; the database may
    # quote the statement with a caret under the error (the cell shows the statement)
    lines = [line for line in lines if not line.startswith(("[SQL:", "[parameters:", "(Background on"))
             and not _QUOTED_STATEMENT.match(line)]
    name = type(orig).__name__ if orig is not None else type(error).__name__
    message = "\n".join(lines[:6]) or name
    return f"{name}: {message}" if orig is not None else message


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def hide_kernel_frames(error: BaseException) -> None:
    """Take the kernel's frames out of ``error``'s traceback and out of the
    tracebacks of the exceptions it chains: an error raised by the user's code
    in a query (``{o.v}`` whose property raises) or an interrupt shows the
    cell and the user's own code, as ipykernel shows a plain cell's error.
    IPython hides only its own frames; frames of libraries stay, as in
    ipykernel."""
    pending, seen = [error], set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = _without_kernel_frames(current.__traceback__)
        pending += [current.__cause__, current.__context__]


def _without_kernel_frames(tb: types.TracebackType | None) -> types.TracebackType | None:
    kept = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_PACKAGE):
            kept.append(tb)
        tb = tb.tb_next
    rebuilt = None
    for entry in reversed(kept):
        rebuilt = types.TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt
