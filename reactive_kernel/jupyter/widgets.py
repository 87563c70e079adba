"""Widgets inside a cell's one replaceable display (frontends without a companion).

Two facts of the widget protocol shape this.  An ``Output`` widget captures
output in the frontend: while its ``msg_id`` state names the request, the
frontend routes every output message of that request into the widget (how
``interact`` shows its function's result).  Those messages belong to the
widget, not to the cell, so the kernel must neither hold them back nor fold
them into the cell's display; it sees the ``msg_id`` changes pass by as comm
messages, in the order the frontend does.  And a widget view cannot be
folded into HTML: a cell showing a widget next to other output is shown as
one ``Output`` widget holding all of it, which a later rerun replaces whole.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from .outputs import nbformat_outputs

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class OutputCapture:
    """Which ``Output`` widgets are capturing the current request's output."""

    def __init__(self) -> None:
        self._capturing: set[str] = set()

    def see(self, msg_type: str, content: dict) -> None:
        if msg_type == "comm_close":
            self._capturing.discard(content.get("comm_id"))
            return
        data = content.get("data")
        state = data.get("state") if isinstance(data, dict) else None
        if isinstance(state, dict) and "msg_id" in state:
            if state["msg_id"]:
                self._capturing.add(content.get("comm_id"))
            else:
                self._capturing.discard(content.get("comm_id"))

    def __bool__(self) -> bool:
        return bool(self._capturing)

    def reset(self) -> None:
        """A new request: a capture left open by an error ended with the old one."""
        self._capturing.clear()


def holding(parts: list[tuple], plain: str) -> tuple[dict, dict] | None:
    """One display showing every part, widgets live: an ``Output`` widget
    holding them (None without ipywidgets, which a widget part implies)."""
    try:
        from ipywidgets import Output
    except ImportError:  # pragma: no cover - a widget view came from somewhere
        return None
    box = Output()
    box.outputs = tuple(nbformat_outputs(parts))
    view = {"model_id": box.model_id, "version_major": 2, "version_minor": 0}
    return {WIDGET_VIEW: view, "text/plain": plain}, {}
