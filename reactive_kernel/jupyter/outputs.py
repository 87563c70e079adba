"""A cell's recorded outputs: as nbformat outputs, or as one replaceable display.

A companion that writes a rerun cell's outputs into it gets them as the
nbformat outputs a run of that cell would save.  Other frontends can only
replace another cell's output through ``update_display_data`` on a display
id that cell published, and an update replaces exactly one output; for them
everything a cell shows (printed text, result, rich displays, error) is
folded into a single mime bundle under a display id derived from the cell id.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import hashlib
import html
import re

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_IMAGES = ("image/png", "image/jpeg", "image/gif")


def display_id(cell_id: str) -> str:
    """Stable, frontend-safe display id of a cell (cell ids may be URIs)."""
    return "reactive-" + hashlib.sha1(cell_id.encode()).hexdigest()[:20]


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


#: stream text (all streams together, in characters) one cell run's Recording
#: holds at most.  ipykernel sends a cell's streams as they come and keeps
#: nothing; a Recording holds a rerun cell's output until the cell ends, so a
#: cell printing without end would hold it all in the kernel's memory.  Past
#: the bound the oldest text goes, whole lines at a time, and the cell's
#: display says so in ``metadata.reactive.cut`` (never in the text itself).
STREAM_BOUND = 50_000_000
#: mime types that cannot be folded into a composite display
UNFOLDABLE = frozenset({"application/vnd.jupyter.widget-view+json"})


def terminal_text(text: str) -> str:
    """Stream text as a terminal (and Jupyter's stream output) shows it:
    a carriage return rewrites its line, so progress bars show their last state."""
    if "\r" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        if "\r" in line:
            line = next((p for p in reversed(line.split("\r")) if p), "")
        lines.append(line)
    return "\n".join(lines)


class Recording:
    """Output messages of one cell run, in order: ``("stream", name, text)``,
    ``("data", data, metadata, display id, result's execution count or None)``,
    ``("error", ename, traceback, evalue)``.

    A run of one stream's text is kept as chunks until ``parts`` is read:
    joining each message onto the text so far would copy it again for every
    message, which grows with the square of what a long-printing cell prints.
    ``bound``: stream characters held at most (None: :data:`STREAM_BOUND`)."""

    def __init__(self, bound: int | None = None):
        self._parts: list[tuple] = []
        #: the last part while it is a stream still growing: [name, chunks]
        self._tail: list | None = None
        self._clear_pending = False
        self.bound = STREAM_BOUND if bound is None else bound
        #: stream characters held
        self._held = 0
        #: per stream name, what the bound dropped: {"chars": n, "lines": line breaks}
        self.cut: dict[str, dict[str, int]] = {}

    @property
    def parts(self) -> list[tuple]:
        self._close()
        return self._parts

    def _close(self) -> None:
        if self._tail is not None:
            name, chunks = self._tail
            self._parts.append(("stream", name, "".join(chunks)))
            self._tail = None

    def _clear(self) -> None:
        self._parts, self._tail, self._held, self.cut = [], None, 0, {}

    def add(self, msg_type: str, content: dict) -> None:
        if msg_type == "clear_output":
            if content.get("wait"):
                self._clear_pending = True
            else:
                self._clear()
            return
        if msg_type == "update_display_data":  # the cell updating its own display
            target = content.get("transient", {}).get("display_id")
            parts = self.parts
            for i, part in enumerate(parts):
                if part[0] == "data" and target and part[3] == target:
                    parts[i] = ("data", content.get("data", {}), content.get("metadata", {}), target, part[4])
            return
        if self._clear_pending:
            self._clear()
            self._clear_pending = False
        if msg_type == "stream":
            self._stream(content.get("name", "stdout"), content.get("text", ""))
            return
        self._close()
        if msg_type in ("display_data", "execute_result"):
            own_id = content.get("transient", {}).get("display_id")
            count = content.get("execution_count") if msg_type == "execute_result" else None
            if own_id:  # a display id shown again also updates where it showed (as frontends do)
                self.add("update_display_data", content)
            self._parts.append(("data", content.get("data", {}), content.get("metadata", {}), own_id, count))
        elif msg_type == "error":
            self._parts.append(("error", content.get("ename", ""), list(content.get("traceback", [])),
                                content.get("evalue", "")))

    def _stream(self, name: str, text: str) -> None:
        """Text onto the stream's current run (a new part when another output came between)."""
        if self._tail is not None and self._tail[0] != name:
            self._close()
        if self._tail is None:
            last = self._parts[-1] if self._parts else None
            if last is not None and last[0] == "stream" and last[1] == name:
                self._parts.pop()
                self._tail = [name, [last[2]]]
            else:
                self._tail = [name, []]
        self._tail[1].append(text)
        self._held += len(text)
        if self._held > self.bound:
            self._trim()

    def _trim(self) -> None:
        """Drop the oldest stream text, whole lines, to 90% of the bound (so
        trimming is rare); a line longer than all that is left is cut within it."""
        self._close()
        excess = self._held - self.bound * 9 // 10
        kept = []
        for i, part in enumerate(self._parts):
            if excess <= 0 or part[0] != "stream":
                kept.append(part)
                continue
            text = part[2]
            last = i == len(self._parts) - 1
            if len(text) <= excess:
                cut = len(text)
            else:
                newline = text.find("\n", excess - 1)
                cut = newline + 1 if newline >= 0 else (excess if last else len(text))
            self._note_cut(part[1], text[:cut])
            excess -= cut
            if cut < len(text):
                kept.append(("stream", part[1], text[cut:]))
        self._parts = kept
        self._held = sum(len(p[2]) for p in kept if p[0] == "stream")

    def _note_cut(self, name: str, text: str) -> None:
        cut = self.cut.setdefault(name, {"chars": 0, "lines": 0})
        cut["chars"] += len(text)
        cut["lines"] += text.count("\n")

    def __bool__(self) -> bool:
        return bool(self.parts)

    def owns(self, display: str | None) -> bool:
        """Whether one of the recorded displays carries this (user) display id."""
        return display is not None and any(p[0] == "data" and p[3] == display for p in self.parts)

    @property
    def foldable(self) -> bool:
        """False when a part (a widget) would be lost in a composite display."""
        return len(self.parts) == 1 or not any(
            p[0] == "data" and UNFOLDABLE & set(p[1]) for p in self.parts)

    def bundle(self) -> tuple[dict, dict]:
        """(data, metadata) of one display_data showing every part; what
        the bound dropped, in ``metadata.reactive.cut``."""
        data, metadata = compose(self.parts)
        if self.cut:
            metadata = {**metadata, "reactive": {**metadata.get("reactive", {}), "cut": self.cut}}
        return data, metadata


def _plain(part: tuple) -> str:
    kind = part[0]
    if kind == "stream":
        return terminal_text(part[2])
    if kind == "error":
        return "\n".join(part[2]) + "\n"
    text = part[1].get("text/plain", "")
    return text if text.endswith("\n") else text + "\n"


def _html(part: tuple) -> str:
    kind = part[0]
    if kind == "stream":
        style = ' style="background:#fdd"' if part[1] == "stderr" else ""
        return f"<pre{style}>{html.escape(terminal_text(part[2]))}</pre>"
    if kind == "error":
        text = strip_ansi("\n".join(part[2]))
        return f'<pre style="background:#fdd">{html.escape(text)}</pre>'
    data = part[1]
    if "text/html" in data:
        value = data["text/html"]
        return "".join(value) if isinstance(value, list) else value
    for mime in _IMAGES:
        if mime in data:
            payload = str(data[mime]).replace("\n", "")
            return f'<img src="data:{mime};base64,{payload}"/>'
    if "image/svg+xml" in data:
        return data["image/svg+xml"]
    return f"<pre>{html.escape(data.get('text/plain', ''))}</pre>"


def nbformat_outputs(parts: list[tuple], count: int | None = None) -> list[dict]:
    """A Recording's parts as the nbformat v4 outputs a frontend saves for a
    run of the cell: real output types, a result with its execution count
    (streams are already merged per name, as JupyterLab merges them).

    ``count``: the count the cell ran under, for its result.  IPython's
    display hook names a result ``execution_count - 1``, assuming the run
    took a count of its own; a run without history takes none."""
    outputs = []
    for part in parts:
        if part[0] == "stream":
            outputs.append({"output_type": "stream", "name": part[1], "text": part[2]})
        elif part[0] == "error":
            outputs.append({"output_type": "error", "ename": part[1], "evalue": part[3],
                            "traceback": list(part[2])})
        elif part[4] is not None:
            outputs.append({"output_type": "execute_result",
                            "execution_count": part[4] if count is None else count,
                            "data": dict(part[1]), "metadata": dict(part[2])})
        else:
            outputs.append({"output_type": "display_data", "data": dict(part[1]), "metadata": dict(part[2])})
    return outputs


def user_display_ids(parts: list[tuple]) -> list[str | None]:
    """Per output of :func:`nbformat_outputs`, the display id it was shown
    under (None for none): a frontend that writes the outputs keeps them, so
    a later update of the display reaches it."""
    return [part[3] if part[0] == "data" else None for part in parts]


def compose(parts: list[tuple]) -> tuple[dict, dict]:
    if not parts:  # an empty bundle renders as nothing, yet keeps the display id
        return {}, {}
    if len(parts) == 1 and parts[0][0] == "data":
        return dict(parts[0][1]), dict(parts[0][2])
    data = {"text/plain": "".join(_plain(p) for p in parts).rstrip("\n")}
    rich = any(p[0] == "data" and set(p[1]) - {"text/plain"} for p in parts)
    if rich:
        data["text/html"] = "\n".join(_html(p) for p in parts)
    return data, {}


#: hides the output row of an anchor, and the cell's output wrapper when the
#: anchor is all the cell shows, in JupyterLab and Notebook 7, which give
#: every output a row, even an empty one (separate rules: one invalid
#: selector voids its whole rule, and ``:has()`` cannot nest)
_HIDE_ANCHOR = (".jp-OutputArea-child:has(.reactive-anchor){display:none}"
                ".jp-Cell-outputWrapper:has(.jp-OutputArea-child:first-child .reactive-anchor)"
                ":not(:has(.jp-OutputArea-child + .jp-OutputArea-child)){display:none}")
ANCHOR_HTML = f'<style>{_HIDE_ANCHOR}</style><div class="reactive-anchor"></div>'


def anchor() -> tuple[dict, dict]:
    """The display of a cell that shows nothing: invisible, yet a rerun that
    shows something (an error) can replace it in the cell's own area."""
    return {"text/html": ANCHOR_HTML}, {}


def is_anchor(data: dict) -> bool:
    return data.get("text/html") == ANCHOR_HTML


def labelled(label: str, parts: list[tuple]) -> tuple[dict, dict]:
    """A cell's outputs shown under a header in another cell's output area,
    for frontends (jupyter console) or cells that have no display of their own."""
    header = ("stream", "stdout", f"── {label} ──\n")
    return compose([header, *parts])
