"""The example notebooks, run the way people and tools run notebooks.

Top to bottom (nbclient, papermill) the reactive kernel must show exactly what
plain ipykernel shows.  Driven like a frontend (cell ids, then an edit), the
dependent cells' own outputs in the notebook must change to the new values.
"""
from __future__ import annotations

import re

import nbformat
import papermill
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

from tests.support.client import KernelSession
from tests.support.notebooks import (
    FrontendNotebook, cell_texts, example_notebooks, execute, output_text, read,
)

NOTEBOOKS = example_notebooks()
PARAMETERS = {"analysis.ipynb": {"n_days": 45, "seed": 11, "window": 5}}
# cell magics only the reactive kernel knows: plain ipykernel cannot run such a notebook
REACTIVE_ONLY = re.compile(r"^\s*%%(sql|cell|keep)\b", re.M)


def ids(paths):
    return [p.name for p in paths]


def test_examples_exist():
    names = {p.name for p in NOTEBOOKS}
    assert {"tour.ipynb", "analysis.ipynb"} <= names


def test_plain_ipykernel_is_available():
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert "ipykernel" in " ".join(spec.argv)


@pytest.fixture(scope="module")
def baseline():
    """Runs under plain ipykernel, computed once per notebook and way of running."""
    cache = {}

    def get(key, make):
        if key not in cache:
            cache[key] = make()
        return cache[key]

    return get


def needs_reactive(nb) -> bool:
    return any(c.cell_type == "code" and REACTIVE_ONLY.search(c.source) for c in nb.cells)


def assert_no_errors(nb):
    errors = [(c.source, output_text(o)) for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o["output_type"] == "error"]
    assert errors == []


def assert_same_text(reactive, plain):
    got, want = cell_texts(reactive), cell_texts(plain)
    assert [s for s, _ in got] == [s for s, _ in want]
    for (source, text), (_, expected) in zip(got, want):
        assert text == expected, f"cell {source!r}"


def plain_or_skip(nb, path, make):
    if needs_reactive(nb):
        pytest.skip(f"{path.name} uses reactive-only cell magics; plain ipykernel cannot run it")
    try:
        return make()
    except NoSuchKernel:  # pragma: no cover - the venv provides it
        pytest.fail("the python3 (ipykernel) kernelspec is missing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_nbclient_top_to_bottom_matches_ipykernel(path, baseline):
    nb = read(path)
    reactive = execute(nb, "reactive")
    assert_no_errors(reactive)
    assert any(c.outputs for c in reactive.cells if c.cell_type == "code")
    # top to bottom, nothing reruns: no summary note anywhere
    assert not [o for c in reactive.cells if c.cell_type == "code" for o in c.outputs
                if o.get("metadata", {}).get("reactive")]
    plain = plain_or_skip(nb, path, lambda: baseline(("nbclient", path),
                                                     lambda: execute(nb, "python3")))
    assert_same_text(reactive, plain)


def run_papermill(path, out, kernel_name):
    return papermill.execute_notebook(
        str(path), str(out), parameters=PARAMETERS.get(path.name, {}),
        kernel_name=kernel_name, progress_bar=False, cwd=str(path.parent))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_papermill_matches_ipykernel(path, baseline, tmp_path):
    nb = read(path)
    reactive = run_papermill(path, tmp_path / "reactive.ipynb", "reactive")
    assert_no_errors(reactive)
    if path.name in PARAMETERS:
        injected = [c for c in reactive.cells
                    if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1
        for name, value in PARAMETERS[path.name].items():
            assert f"{name} = {value!r}" in injected[0].source
    plain = plain_or_skip(nb, path, lambda: baseline(
        ("papermill", path), lambda: run_papermill(path, tmp_path / "plain.ipynb", "python3")))
    assert_same_text(reactive, plain)


def test_papermill_parameters_change_the_analysis(tmp_path):
    """The injected parameters really drive the results (45 days, 3 regions)."""
    path = next(p for p in NOTEBOOKS if p.name == "analysis.ipynb")
    nb = run_papermill(path, tmp_path / "out.ipynb", "reactive")
    missing = next(c for c in nb.cells if c.get("id") == "missing")
    assert "".join(output_text(o) for o in missing.outputs).startswith("135 rows,")
    figure = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert len(figure) == 1


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name in ("tour.ipynb",
                                                                      "analysis.ipynb")],
                         ids=lambda p: p.name)
def test_saved_outputs_are_current(path):
    """The committed examples carry the outputs a fresh reactive run gives."""
    nb = read(path)
    assert nb.nbformat == 4 and nb.nbformat_minor >= 5
    assert nb.metadata.kernelspec.name == "reactive"
    assert nb.metadata.kernelspec.display_name == "Python 3 (reactive)"
    assert all(c.get("id") for c in nb.cells)
    fresh = execute(nb, "reactive")
    assert cell_texts(nb) == cell_texts(fresh)


# -- driven like a frontend: cell ids, then edits --------------------------------------

@pytest.fixture
def session():
    with KernelSession("reactive") as s:
        yield s


def unexecuted(name: str) -> nbformat.NotebookNode:
    """An example notebook as a person opens it before running anything."""
    nb = read(next(p for p in NOTEBOOKS if p.name == name))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def test_tour_edit_updates_dependent_outputs_in_the_notebook(session):
    nb = unexecuted("tour.ipynb")
    front = FrontendNotebook(nb, session)
    for execution in front.run_all():
        assert execution.status == "ok"
    assert front.text("y-cell") == "6"
    assert front.text("count-inc") == "1"
    assert front.text("rich") == "squares of 0..5\n{0: 0, 1: 1, 2: 4, 3: 9, 4: 16, 5: 25}"
    count_y = front.cell("y-cell").execution_count
    count_rich = front.cell("rich").execution_count

    # section 1: edit x, y's own output changes without y being run
    edit = front.run("x-cell", "x = 10")
    assert [(e["cell_id"], e["role"]) for e in edit.reactive["ran"]] == [
        ("x-cell", "target"), ("y-cell", "descendant")]
    assert front.text("y-cell") == "11"
    assert front.cell("y-cell").execution_count == count_y
    assert front.text("x-cell") == ""  # no note of ours in the edited cell

    # section 3: rerunning count = count + 1 does not grow, its dependents follow
    for _ in range(2):
        front.run("count-inc")
        assert front.text("count-inc") == "1"
    front.run("count-0", "count = 2")
    assert front.text("count-inc") == "3"
    assert front.text("rich") == ("squares of 0..7\n"
                                  "{0: 0, 1: 1, 2: 4, 3: 9, 4: 16, 5: 25, 6: 36, 7: 49}")
    assert front.cell("rich").execution_count == count_rich

    # section 2: renaming a leaves b's own output showing the NameError
    front.run("a-cell", "w = 1")
    assert "NameError" in front.text("b-cell") and "'a'" in front.text("b-cell")
    front.run("a-check")
    assert front.text("a-check") == "False"

    # section 6: an error cancels the cascade, fixing it completes it
    front.run("ratio-in", "total = 10\nparts = 0")
    assert "ZeroDivisionError" in front.text("ratio")
    front.run("ratio-in", "total = 10\nparts = 5")
    assert front.text("ratio") == "2.0"
    assert front.text("report") == "each part gets 2.00"

    # section 5: deleting greeting makes shout fail in its own output area
    front.delete("greeting")
    front.run("a-check", deleted=["greeting"])
    assert "NameError" in front.text("shout") and "greeting" in front.text("shout")


def test_analysis_parameter_edit_updates_table_and_figure(session):
    nb = unexecuted("analysis.ipynb")
    front = FrontendNotebook(nb, session)
    for execution in front.run_all():
        assert execution.status == "ok"
    assert front.text("missing").startswith("270 rows,")
    figure_before = [o["data"]["image/png"] for o in front.cell("figure").outputs
                     if "image/png" in o.get("data", {})]
    summary_before = front.text("summary")
    assert len(figure_before) == 1

    edit = front.run("parameters", "n_days = 30\nseed = 3\nwindow = 3")
    ran = [e["cell_id"] for e in edit.reactive["ran"]]
    assert ran[0] == "parameters"
    assert {"generate", "missing", "clean", "summary", "rolling", "figure"} <= set(ran)
    assert all(e["status"] == "ok" for e in edit.reactive["ran"])
    assert front.text("missing").startswith("90 rows,")
    assert front.text("summary") != summary_before
    figure_after = [o["data"]["image/png"] for o in front.cell("figure").outputs
                    if "image/png" in o.get("data", {})]
    assert len(figure_after) == 1 and figure_after != figure_before
    # the frame shown by `generate` starts at the same date, with the new seed's numbers
    assert "2024-01-01" in front.text("generate")


def test_summary_names_cells_by_code_when_ids_are_nbformat_generated(session):
    """nbformat gives cells 8-hex-digit ids (new cells, and every pre-4.5 notebook
    upgraded on load); the note in the edited cell must still let a person
    recognise the cell that reran, by its code, not by an opaque id."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 5"),
                                         nbformat.v4.new_code_cell("y = x + 1; y")])
    first, second = (c.id for c in nb.cells)
    assert re.fullmatch(r"[0-9a-f]{8}", second)
    front = FrontendNotebook(nb, session)
    front.run_all()
    front.run(first, "x = 10")
    assert front.text(second) == "11"
    assert front.text(first) == ""  # the note is not in the edited cell's outputs
    note = session.value("__import__('reactive_kernel.present.summary', fromlist=['summarize']).summarize("
                         "get_ipython().kernel.last_report, get_ipython().kernel.engine)")
    assert "reran: y ✓" in note
    assert second not in note
