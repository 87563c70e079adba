"""The reactive kernel driven with VS Code's message shape.

VS Code's Jupyter extension sends ``metadata.cellId`` as the cell's document
URI (``vscode-notebook-cell:/path/nb.ipynb#W2sZmlsZQ%3D%3D``), never
``deletedCells``, and ``stop_on_error: false``.  It updates only the most
recent output carrying a display id, so a display id published by one cell
must never be published again under another.
"""
from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from reactive_kernel.jupyter.outputs import display_id
from tests.support.client import KernelSession
from tests.support.notebooks import FrontendNotebook

NOTEBOOK_PATH = "/home/user/projects/demo/analysis.ipynb"
FRAGMENTS = ["W0sZmlsZQ%3D%3D", "W1sZmlsZQ%3D%3D", "W2sZmlsZQ%3D%3D", "W3sZmlsZQ%3D%3D",
             "W4sZmlsZQ%3D%3D", "W5sZmlsZQ%3D%3D"]
SOURCES = [
    ("imports", "import math"),
    ("x", "x = 5"),
    ("y", 'y = x + 1\nprint("y is", y)'),
    ("z", "z = y * 2\nz"),
    ("w", "w = round(math.sqrt(z), 3)\nw"),
    ("note", 'print("independent")'),
]


def uri(cell) -> str:
    return f"vscode-notebook-cell:{NOTEBOOK_PATH}#{FRAGMENTS[cell.metadata['n']]}"


@pytest.fixture
def vscode():
    nb = new_notebook()
    for n, (cid, source) in enumerate(SOURCES):
        cell = new_code_cell(source, id=cid)
        cell.metadata["n"] = n
        nb.cells.append(cell)
    nbformat.validate(nb)
    with KernelSession("reactive") as session:
        yield FrontendNotebook(nb, session, cell_id=uri, stop_on_error=False)


def display_ids_by_requester(front: FrontendNotebook):
    """display id -> set of requesting cell URIs under which display_data carried it."""
    seen: dict[str, set[str]] = {}
    for execution in front.executions:
        requester = execution.reply["metadata"]["reactive"]["cell_id"]
        for m in execution.of_type("display_data", "execute_result"):
            did = (m["content"].get("transient") or {}).get("display_id")
            if did:
                seen.setdefault(did, set()).add(requester)
    return seen


def check_session_invariants(front: FrontendNotebook):
    published = display_ids_by_requester(front)
    # one requesting cell per display id, and it is the cell the id belongs to
    for did, requesters in published.items():
        assert len(requesters) == 1, (did, requesters)
        (requester,) = requesters
        assert did == display_id(requester)
    # every update targets the display of the cell it reports, which that cell published
    for execution in front.executions:
        for m in execution.of_type("update_display_data"):
            content = m["content"]
            did = content["transient"]["display_id"]
            cell_uri = content["metadata"]["reactive"]["cell_id"]
            assert cell_uri.startswith("vscode-notebook-cell:")
            assert did == display_id(cell_uri)
            assert did in published
            assert content["metadata"]["reactive"]["role"] in ("ancestor", "descendant")


def test_vscode_session_edits_update_the_right_displays(vscode):
    front = vscode
    for execution in front.run_all():
        assert execution.status == "ok"
        assert execution.reactive["cell_id"].startswith("vscode-notebook-cell:")
    assert front.text("y") == "y is 6"
    assert front.text("z") == "12"
    assert front.text("w") == "3.464"
    counts = {c.id: c.execution_count for c in front.nb.cells}

    # edit x: y, z, w rerun; their own outputs change, nobody else's
    edit = front.run("x", "x = 10")
    assert [e["cell_id"] for e in edit.reactive["ran"]] == [
        uri(front.cell(c)) for c in ("x", "y", "z", "w")]
    updated = {m["content"]["transient"]["display_id"]
               for m in edit.of_type("update_display_data")}
    assert updated == {display_id(uri(front.cell(c))) for c in ("y", "z", "w")}
    assert front.text("y") == "y is 11"
    assert front.text("z") == "22"
    assert front.text("w") == "4.69"
    assert front.text("note") == "independent"
    for c in ("y", "z", "w", "note"):
        assert front.cell(c).execution_count == counts[c]

    # edit a middle cell: only its descendant follows
    edit = front.run("z", "z = y * 3\nz")
    assert [e["cell_id"] for e in edit.reactive["ran"]] == [
        uri(front.cell("z")), uri(front.cell("w"))]
    assert front.text("z") == "33"
    assert front.text("w") == "5.745"
    assert front.text("y") == "y is 11"

    # an error upstream (stop_on_error false): descendants report it in their own areas
    broken = front.run("x", "x = 1 / 0")
    assert broken.status == "error"
    statuses = {e["cell_id"]: e["status"] for e in broken.reactive["ran"]}
    assert statuses[uri(front.cell("x"))] == "error"
    assert "ZeroDivisionError" in front.text("x")
    # y did not run: its old output stays as it was; the report says it is stale
    assert front.text("y") == "y is 11"
    assert set(broken.reactive["stale"]) >= {uri(front.cell(c)) for c in ("y", "z", "w")}

    fixed = front.run("x", "x = 2")
    assert fixed.status == "ok"
    assert front.text("y") == "y is 3"
    assert front.text("z") == "9"
    assert front.text("w") == "3.0"
    assert fixed.reactive["stale"] == []

    # rerunning a dependent cell itself: its display is republished under itself only
    again = front.run("w")
    assert [e["cell_id"] for e in again.reactive["ran"]] == [uri(front.cell("w"))]
    assert front.text("w") == "3.0"

    check_session_invariants(front)


def test_vscode_cell_ids_are_opaque_uris(vscode):
    """Two URIs differing only in the fragment are two different cells."""
    front = vscode
    front.run_all()
    ids = [execution.reactive["cell_id"] for execution in front.executions]
    assert len(set(ids)) == len(SOURCES)
    assert len({display_id(i) for i in ids}) == len(SOURCES)
    # each cell's output area holds exactly one display, under its own id (none in
    # others); a silent cell's is invisible, so a rerun can still show its error
    mapping = front.applier._display_id_map
    for i, cell in enumerate(front.nb.cells):
        did = display_id(uri(cell))
        assert {j: idx for j, idx in mapping[did].items() if idx} == {i: [0]}
        assert [o["output_type"] for o in cell.outputs] == ["display_data"]
    check_session_invariants(front)
