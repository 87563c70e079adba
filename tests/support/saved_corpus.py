"""The saved notebook is the truth, on the third-party corpus (issue 19).

A corpus notebook is run cell by cell in the reactive kernel as JupyterLab
runs it (Run All, one request per cell, the scripted companion of
tests/support/companion_client.py applying the kernel's ``outputs``
messages, or no companion), then a few seeded edits of the kind
tests/corpus.py's ``random_actions`` makes (rerun an unchanged cell, add 1 to
a numeric literal), each followed by the kernel's cascade.  The notebook as
the frontend left it (the file it would save) is compared, cell by cell,
with what plain ipykernel saves after Restart & Run All of the edited
sources (nbclient, ``allow_errors``), in its own scratch copy of the
notebook's folder.

Text is normalised as the corpus harness does it (tests/corpus.py
``normalize``) on top of ``saved_outputs``' (ANSI colours, addresses, prompt
numbers, the kernel's process id in cell file names), for what differs
between any two runs of the same code: the
scratch folder's path, clock times, dates and durations (``Wall time``,
``12.3 ms``), ``id()`` values, tqdm progress lines, warning line numbers,
trailing blanks, and lines a ``\\r`` rewrites.  Random values drawn without a
seed are not normalised: plain ipykernel runs the edited notebook twice and
a cell whose outputs differ between those two runs is counted as
nondeterministic, not compared (as tests/test_corpus.py judges them), and so
is a cell that shows uninitialized memory (``np.empty``), which the two
runs show alike (:data:`ARBITRARY_BY_DESIGN`).

Used by tests/test_saved_corpus.py and benchmarks/saved_report.py.
"""
from __future__ import annotations

import os
import queue
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tests import corpus
from tests.support.client import KernelSession
from tests.support.companion_client import CompanionNotebook, counts_increase, saved_outputs
from tests.support.notebooks import FrontendNotebook, execute, is_anchor_output, normalize, output_text

#: ``SAVED_CORPUS``: unset (the CI sample), ``all``, or globs as ``CORPUS`` takes them
SPEC = os.environ.get("SAVED_CORPUS", "")
#: notebooks in the default sample, and seeded edits per notebook
SAMPLE = int(os.environ.get("SAVED_CORPUS_N", 7))
EDITS = int(os.environ.get("SAVED_CORPUS_EDITS", 3))
#: the default sample takes notebooks with at least this many code cells
MIN_CELLS = 3
#: the same set and dict-of-str order in every kernel (as tests/corpus.py starts them)
ENV = {**os.environ, "PYTHONHASHSEED": "0"}


# -- which notebooks, which edits ------------------------------------------------------

def sample(entries: list[dict], spec: str = SPEC, n: int = SAMPLE) -> list[dict]:
    """``all``, the notebooks ``spec``'s globs name (tests/corpus.py ``select``),
    or by default: taking turns over the corpus folders, each folder's cheapest
    notebook of at most ``corpus.CHEAP`` seconds with ``MIN_CELLS`` code cells,
    then its second cheapest, ..., until ``n`` (deterministic)."""
    if spec:
        return corpus.select(entries, spec)
    by_folder: dict[str, list[dict]] = {}
    for e in sorted(entries, key=lambda e: (e["seconds_plain"], e["name"])):
        if e["seconds_plain"] <= corpus.CHEAP and e["code_cells"] >= MIN_CELLS:
            by_folder.setdefault(corpus.folder(e), []).append(e)
    turns = sorted((rank, folder, e["name"]) for folder, q in by_folder.items() for rank, e in enumerate(q))
    named = {e["name"]: e for e in entries}
    return sorted((named[name] for _, _, name in turns[:n]), key=lambda e: e["name"])


@dataclass
class Edit:
    kind: str  # rerun | edit
    cell: corpus.Cell  # the cell as it is after the edit
    source: str | None  # the new source of an edit, None for a rerun


def plan_edits(entry: dict, n: int = EDITS) -> list[Edit]:
    """Seeded reruns and numeric-literal edits, half and half in a seeded order,
    as tests/corpus.py ``random_actions`` draws them (a rerun where no cell has a
    number to edit).  Decided before anything runs, so every frontend gets the
    same ones."""
    current = corpus.code_cells(entry)
    rng = corpus.rng_for(entry)
    kinds = (["rerun", "edit"] * n)[:n]
    rng.shuffle(kinds)
    edits = []
    for kind in kinds:
        editable = [(i, nodes) for i, c in enumerate(current) if (nodes := corpus.numbers(c.code))]
        if kind == "edit" and editable:
            i, nodes = rng.choice(editable)
            old = current[i]
            current[i] = corpus.Cell(old.index, old.id, corpus.bump_number(old.code, rng.choice(nodes)))
            edits.append(Edit("edit", current[i], current[i].code))
        else:
            edits.append(Edit("rerun", current[rng.randrange(len(current))], None))
    return edits


def notebook_of(entry: dict, edits: list[Edit] = ()) -> nbformat.NotebookNode:
    """The corpus notebook, outputs cleared, code cells named as tests/corpus.py
    names them, with ``edits`` applied to the sources."""
    nb = nbformat.read(corpus.CORPUS / entry["path"], as_version=4)
    nb.nbformat_minor = max(nb.nbformat_minor, 5)  # cell ids
    for i, c in enumerate(nb.cells):
        c.id = c.get("id") or f"cell-{i}"
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    for e in edits:
        if e.source is not None:
            nb.cells[e.cell.index].source = e.source
    return nb


@contextmanager
def scratch(entry: dict):
    """A scratch copy of the notebook's corpus folder (notebooks read ../data);
    yields the notebook's own directory in it."""
    root = Path(tempfile.mkdtemp(prefix="corpus-"))  # the prefix corpus.normalize removes
    rel = Path(entry["path"]).relative_to("notebooks")
    try:
        shutil.copytree(corpus.NOTEBOOKS / rel.parts[0], root / rel.parts[0], symlinks=True)
        yield root / rel.parent
    finally:
        shutil.rmtree(root, ignore_errors=True)


# -- running ---------------------------------------------------------------------------

def restart_and_run_all(entry: dict, edits: list[Edit]) -> nbformat.NotebookNode:
    """What plain ipykernel saves after Restart & Run All of the edited notebook."""
    with scratch(entry) as cwd:
        return execute(notebook_of(entry, edits), corpus.kernel_name(corpus.PLAIN), allow_errors=True,
                       path=cwd, env=ENV)


@dataclass
class Reactive:
    """The notebook as a frontend left it after Run All and the edits."""
    nb: nbformat.NotebookNode
    last_ran: list[str]  # cell ids the last request ran (its ``ran`` but cancelled ones), in its order
    #: cells whose last plan cancelled them (an upstream cell failed): they keep
    #: their old outputs, where Restart & Run All runs them (the spec's one allowed difference)
    cancelled: set[str] = field(default_factory=set)
    failure: str | None = None  # a request that got no reply (timeout) or a dead kernel


def run_reactive(entry: dict, edits: list[Edit], companion: bool) -> Reactive:
    nb = notebook_of(entry)
    with scratch(entry) as cwd, KernelSession(corpus.REACTIVE, cwd=str(cwd), env=ENV) as session:
        kind = CompanionNotebook if companion else FrontendNotebook
        front = kind(nb, session, stop_on_error=False)
        front.timeout = corpus.CELL_TIMEOUT
        requests = [(c.id, None, "run all") for c in nb.cells if c.cell_type == "code"]
        requests += [(e.cell.id, e.source, e.kind) for e in edits]
        cancelled: set[str] = set()
        for cell_id, source, why in requests:
            try:
                ran = (front.run(cell_id, source).reply["metadata"].get("reactive") or {}).get("ran") or []
            except queue.Empty:
                return Reactive(front.nb, [], cancelled, f"no reply within {front.timeout:.0f} s to the request "
                                                         f"of cell {front.index(cell_id)} ({cell_id}, {why})")
            for r in ran:
                (cancelled.add if r.get("status") == "cancelled" else cancelled.discard)(r["cell_id"])
        return Reactive(front.nb, [r["cell_id"] for r in ran if r.get("status") != "cancelled"], cancelled)


# -- comparing -------------------------------------------------------------------------

def outputs(nb) -> list[list[tuple[str, str]]]:
    """Per code cell, (output type, text) as ``saved_outputs`` gives them, with the
    corpus harness's run-to-run normalisation."""
    return [[(kind, corpus.normalize(text)) for kind, text in cell] for cell in saved_outputs(nb)]


def texts(nb) -> list[str]:
    """Per code cell, the text it shows, output kinds and line breaks aside
    (no companion: the README's documented differences are all in the kinds)."""
    return [" ".join(corpus.normalize(normalize("\n".join(output_text(o) for o in c.outputs
                                                        if not is_anchor_output(o)))).split())
            for c in nb.cells if c.cell_type == "code"]


def kind_of(expected: list[tuple[str, str]], got: list[tuple[str, str]]) -> str:
    """What kind of difference a cell's saved outputs show."""
    types_e, types_g = [t for t, _ in expected], [t for t, _ in got]
    if types_e == types_g:
        return "same output types, other text"
    if not got:
        return "no outputs, Restart & Run All has some"
    if not expected:
        return "outputs where Restart & Run All has none"
    if ("error" in types_g) != ("error" in types_e):
        return "an error on one side only"
    return "other output types"


@dataclass
class Cell:
    index: int  # in the notebook's cells (markdown included), as MANIFEST counts
    id: str
    verdict: str  # identical | nondeterministic | cancelled | different
    kind: str | None = None
    expected: object = None
    got: object = None


@dataclass
class Result:
    notebook: str
    companion: bool
    edits: list[dict]
    cells: list[Cell] = field(default_factory=list)
    counts_increase: bool | None = None  # companion only: the last request's cells, in page order
    last_ran: list[str] = field(default_factory=list)
    failure: str | None = None

    def differences(self) -> list[Cell]:
        return [c for c in self.cells if c.verdict == "different"]

    @property
    def identical(self) -> bool:
        """Every compared cell identical (nondeterministic and cancelled ones aside), counts in order."""
        return self.failure is None and not self.differences() and self.counts_increase is not False

    def as_dict(self) -> dict:
        return {"notebook": self.notebook, "companion": self.companion, "edits": self.edits,
                "failure": self.failure, "counts_increase": self.counts_increase, "last_ran": self.last_ran,
                "cells": [vars(c) for c in self.cells]}


#: calls whose result is whatever memory held (``np.empty``): two fresh
#: Restart & Run Alls allocate alike and agree, but after edits in a
#: session no kernel shows the same, so such a cell is not compared
ARBITRARY_BY_DESIGN = re.compile(r"\b(?:np|numpy|torch)\.empty(?:_like)?\s*\(")


def compare(entry: dict, expected, again, reactive: Reactive, companion: bool, edits: list[Edit]) -> Result:
    """Cell by cell: the reactive notebook against Restart & Run All (``expected``;
    ``again`` is a second one, for nondeterministic cells)."""
    view = outputs if companion else texts
    code = [i for i, c in enumerate(expected.cells) if c.cell_type == "code"]
    result = Result(entry["name"], companion,
                    [{"kind": e.kind, "cell": e.cell.index, "cell_id": e.cell.id} for e in edits],
                    last_ran=reactive.last_ran, failure=reactive.failure)
    for index, e, a, g in zip(code, view(expected), view(again), view(reactive.nb)):
        cell_id = expected.cells[index].id
        if e == g:
            result.cells.append(Cell(index, cell_id, "identical"))
        elif e != a or ARBITRARY_BY_DESIGN.search(expected.cells[index].source):
            result.cells.append(Cell(index, cell_id, "nondeterministic"))
        elif cell_id in reactive.cancelled:
            result.cells.append(Cell(index, cell_id, "cancelled", None, e, g))
        else:
            kind = kind_of(e, g) if companion else "other text"
            result.cells.append(Cell(index, cell_id, "different", kind, e, g))
    if companion and reactive.failure is None:
        result.counts_increase = counts_increase(reactive.nb, set(reactive.last_ran))
    return result


class SavedRun:
    """One notebook: its edits and two plain Restart & Run Alls of the edited
    sources, made once and compared with both frontends."""

    def __init__(self, entry: dict, n_edits: int = EDITS):
        self.entry = entry
        self.edits = plan_edits(entry, n_edits)
        self._plain: tuple | None = None

    @property
    def plain(self) -> tuple:
        if self._plain is None:
            self._plain = (restart_and_run_all(self.entry, self.edits), restart_and_run_all(self.entry, self.edits))
        return self._plain

    def result(self, companion: bool) -> Result:
        reactive = run_reactive(self.entry, self.edits, companion)
        return compare(self.entry, *self.plain, reactive, companion, self.edits)


def short(value, n: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text[:n] + ("…" if len(text) > n else "")


def describe(result: Result) -> str:
    """A failing test's message: every difference, briefly."""
    lines = [f"{result.notebook} ({'companion' if result.companion else 'no companion'}), "
             f"edits {[(e['kind'], e['cell']) for e in result.edits]}"]
    if result.failure:
        lines.append(f"  {result.failure}")
    if result.counts_increase is False:
        lines.append(f"  execution counts of the last request's cells do not increase down the page: "
                     f"{result.last_ran}")
    for c in result.differences():
        lines.append(f"  cell {c.index} ({c.id}): {c.kind}\n"
                     f"    expected {short(c.expected)}\n    got      {short(c.got)}")
    return "\n".join(lines)
