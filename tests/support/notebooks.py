"""Notebooks as frontends see them: run them, read their outputs as text, and
apply a kernel's IOPub messages to an nbformat notebook the way nbclient does.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from reactive_kernel.jupyter.outputs import is_anchor
from tests.support.client import Execution, KernelSession

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_PROMPT = re.compile(r"\b(In|Out|Cell In)\s?\[\d+\]")
#: the kernel's folder of cell files (a warning's location) holds its process id
_KERNEL_FILES = re.compile(r"\bipykernel_\d+")


def example_notebooks() -> list[Path]:
    return sorted(EXAMPLES.glob("*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def is_anchor_output(output: dict) -> bool:
    """The kernel's invisible display of a silent cell (frontends without a companion)."""
    return is_anchor(output.get("data") or {})


def output_text(output: dict) -> str:
    kind = output["output_type"]
    if kind == "stream":
        return output["text"]
    if kind in ("display_data", "execute_result"):
        text = output.get("data", {}).get("text/plain", "")
        text = "".join(text) if isinstance(text, list) else text
        return text
    if kind == "error":
        return "\n".join(output["traceback"])
    return ""


def normalize(text: str) -> str:
    text = _ANSI.sub("", text)
    text = _ADDRESS.sub("0x?", text)
    text = _KERNEL_FILES.sub("ipykernel_?", text)
    return _PROMPT.sub(lambda m: f"{m.group(1)}[?]", text)


def cell_texts(nb) -> list[tuple[str, str]]:
    """(source, text of all its outputs) per code cell."""
    return [
        (cell.source,
         normalize("".join(output_text(o) for o in cell.outputs)))
        for cell in nb.cells if cell.cell_type == "code"
    ]


def execute(nb, kernel_name: str, *, path: Path = EXAMPLES, env: dict | None = None, **kwargs):
    """Run a copy of ``nb`` top to bottom with nbclient, in ``path`` (with
    ``env``, the kernel's environment, when given); return the copy."""
    nb = copy.deepcopy(nb)
    NotebookClient(nb, kernel_name=kernel_name, timeout=180,
                   resources={"metadata": {"path": str(path)}}, **kwargs).execute(**({"env": env} if env else {}))
    return nb


class FrontendNotebook:
    """An nbformat notebook driven like JupyterLab or VS Code drive one.

    Each run sends the cell's source with ``metadata.cellId``; every IOPub
    message the request causes is applied with nbclient's own
    ``process_message`` (its display-id bookkeeping: outputs carrying a
    transient display_id are recorded, ``update_display_data`` replaces them
    wherever they are)."""

    #: seconds to wait for a request's reply (a cascade on a real notebook can take long)
    timeout: float = 60

    def __init__(self, nb, session: KernelSession, *, cell_id=lambda cell: cell.id,
                 stop_on_error: bool = True):
        self.nb = nb
        self.session = session
        self.cell_id = cell_id
        self.stop_on_error = stop_on_error
        self.applier = NotebookClient(nb)
        self.applier.reset_execution_trackers()
        self.executions: list[Execution] = []

    def index(self, cell_id: str) -> int:
        return next(i for i, c in enumerate(self.nb.cells) if c.id == cell_id)

    def cell(self, cell_id: str):
        return self.nb.cells[self.index(cell_id)]

    def run(self, cell_id: str, source: str | None = None, *, deleted=()) -> Execution:
        i = self.index(cell_id)
        cell = self.nb.cells[i]
        if source is not None:
            cell.source = source
        execution = self.session.execute(cell.source, self.cell_id(cell), deleted=deleted,
                                         stop_on_error=self.stop_on_error, timeout=self.timeout)
        cell.outputs = []
        self.applier.clear_before_next_output = False
        self.applier.clear_display_id_mapping(i)
        for msg in execution.messages:
            self.apply(msg, cell, i)
        cell.execution_count = execution.reply["content"].get("execution_count")
        self.executions.append(execution)
        return execution

    def apply(self, msg: dict, cell, index: int) -> None:
        """One IOPub message of a request for ``cell``, applied as nbclient applies it."""
        self.applier.process_message(msg, cell, index)

    def delete(self, cell_id: str) -> None:
        """Remove a cell as a frontend does; its id goes with the next request."""
        i = self.index(cell_id)
        del self.nb.cells[i]
        shifted = {}
        for did, cell_map in self.applier._display_id_map.items():
            shifted[did] = {(j - 1 if j > i else j): idx for j, idx in cell_map.items() if j != i}
        self.applier._display_id_map = shifted

    def run_all(self) -> list[Execution]:
        return [self.run(c.id) for c in self.nb.cells if c.cell_type == "code"]

    def text(self, cell_id: str) -> str:
        """The cell's own outputs as text (a frontend shows a trailing newline as nothing)."""
        cell = self.cell(cell_id)
        text = "".join(output_text(o) for o in cell.outputs)
        return normalize(text).rstrip("\n")
