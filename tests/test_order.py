"""Notebook order (semantics: "Cells and notebook order"): the saved page order
of the session's notebook file, registration order otherwise."""
from __future__ import annotations

import os

import pytest

from reactive_kernel.core.engine import Engine
from reactive_kernel.core.order import find_notebook, page_order
from tests.support.notebook_file import write_notebook


def ran(report):
    return [(e.cell_id, e.status) for e in report.ran]


def test_page_order_places_file_cells_and_keeps_unknown_ones_after_their_predecessor():
    known = ["a", "b", "new", "c"]
    order = page_order(known, {}, [("c", ""), ("a", ""), ("b", "")])
    assert order == ["c", "a", "b", "new"]


def test_page_order_matches_vscode_ids_by_unambiguous_code():
    known = ["vscode-notebook-cell:1", "vscode-notebook-cell:2"]
    codes = {known[0]: "x = 1", known[1]: "y = x"}
    order = page_order(known, codes, [("f2", "y = x"), ("f1", "x = 1")])
    assert order == [known[1], known[0]]
    # two file cells with the same code: no match, registration place kept
    order = page_order(known, codes, [("f2", "y = x"), ("f1", "x = 1"), ("f3", "x = 1")])
    assert order == [known[1], known[0]] or order == known


def test_report_says_which_order_was_used(tmp_path):
    e = Engine()
    assert e.run("a", "x = 1").order == "registration"
    path = tmp_path / "nb.ipynb"
    write_notebook(path, [("a", "x = 1")])
    e.set_notebook(str(path))
    assert e.run("a", "x = 1").order == "notebook"


def test_cell_run_before_its_provider_was_registered_works_once_the_file_shows_the_order(tmp_path):
    path = tmp_path / "nb.ipynb"
    write_notebook(path, [("c1", "x = 1"), ("c2", "y = x + 1")])
    e = Engine()
    e.set_notebook(str(path))
    e.run("c2", "y = x + 1")  # NameError: c1 never ran (it is above, but unknown)
    r = e.run("c1", "x = 1")  # placed above c2 by the file: c2 reads it and follows
    assert ran(r) == [("c1", "ok"), ("c2", "ok")]
    assert e.namespace["y"] == 2 and e.stale_cells() == []


def test_moving_a_cell_changes_providers_and_makes_readers_stale(tmp_path):
    path = tmp_path / "nb.ipynb"
    cells = [("a", "x = 1"), ("b", "x = 2"), ("r", "y = x * 10")]
    write_notebook(path, cells)
    e = Engine()
    e.set_notebook(str(path))
    for cell_id, code in cells:
        e.run(cell_id, code)
    assert e.namespace["y"] == 20
    write_notebook(path, [("b", "x = 2"), ("a", "x = 1"), ("r", "y = x * 10")])
    r = e.run("a", "x = 1")  # the move is seen at the next request
    assert e.graph.provider("r", "x") == "a"
    assert ("r", "ok") in ran(r)
    assert e.namespace["y"] == 10 and e.namespace["x"] == 1
    assert e.stale_cells() == []


def test_move_seen_at_an_unrelated_request_leaves_moved_readers_stale(tmp_path):
    path = tmp_path / "nb.ipynb"
    cells = [("a", "x = 1"), ("b", "x = 2"), ("r", "y = x * 10"), ("z", "z = 0")]
    write_notebook(path, cells)
    e = Engine()
    e.set_notebook(str(path))
    for cell_id, code in cells:
        e.run(cell_id, code)
    write_notebook(path, [("b", "x = 2"), ("a", "x = 1"), ("r", "y = x * 10"), ("z", "z = 0")])
    e.run("z", "z = 0")
    assert "r" in e.stale_cells()
    r = e.run("r", "y = x * 10")
    assert e.namespace["y"] == 10 and ran(r)[-1] == ("r", "ok")


def test_unsaved_new_cell_goes_after_the_cells_registered_before_it(tmp_path):
    path = tmp_path / "nb.ipynb"
    write_notebook(path, [("a", "x = 1"), ("b", "y = x")])
    e = Engine()
    e.set_notebook(str(path))
    e.run("a", "x = 1")
    e.run("b", "y = x")
    e.run("new", "x = 5")  # not in the file yet: last
    assert e.graph.sequence() == ["a", "b", "new"]
    assert e.namespace["y"] == 1
    # saved above b: b now reads it
    write_notebook(path, [("a", "x = 1"), ("new", "x = 5"), ("b", "y = x")])
    e.run("new", "x = 5")
    assert e.graph.sequence() == ["a", "new", "b"]
    assert e.namespace["y"] == 5


def test_unreadable_or_missing_file_keeps_registration_order(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{not json")
    e = Engine()
    e.set_notebook(str(path))
    e.run("a", "x = 1")
    assert e.run("b", "y = x").order == "registration"
    e.set_notebook(str(tmp_path / "missing.ipynb"))
    assert e.run("b", "y = x").order == "registration"


@pytest.mark.parametrize("name", ["nb.ipynb", "sub/nb.ipynb"])
def test_find_notebook_resolves_session_names(tmp_path, name):
    (tmp_path / "nb.ipynb").write_text("{}")
    assert find_notebook(name, str(tmp_path)) == str(tmp_path / "nb.ipynb")
    assert find_notebook(str(tmp_path / "nb.ipynb"), "/") == str(tmp_path / "nb.ipynb")
    assert find_notebook("nb.py", str(tmp_path)) is None
    assert find_notebook(None, str(tmp_path)) is None
    assert find_notebook({"not": "a path"}, str(tmp_path)) is None


def test_kernel_reads_page_order_from_the_session_notebook(tmp_path):
    """Jupyter Server starts kernels with JPY_SESSION_NAME: a cell inserted
    above a reader and saved is that reader's provider."""
    from tests.support.client import KernelSession

    path = tmp_path / "nb.ipynb"
    write_notebook(path, [("c1", "x = 1"), ("c3", "y = x * 10")])
    env = {**os.environ, "JPY_SESSION_NAME": str(path)}
    with KernelSession(env=env, cwd=str(tmp_path)) as kernel:
        first = kernel.execute("x = 1", "c1")
        assert first.reactive["order"] == "notebook"
        kernel.execute("y = x * 10", "c3")
        write_notebook(path, [("c1", "x = 1"), ("c2", "x = 2"), ("c3", "y = x * 10")])
        inserted = kernel.execute("x = 2", "c2")
        assert [(e["cell_id"], e["role"]) for e in inserted.reactive["ran"]] == [
            ("c2", "target"), ("c3", "descendant")]
        assert kernel.value("y") == "20"
        # a cell that reads a name only a later cell binds: NameError naming it
        write_notebook(path, [("c0", "z = w"), ("c1", "x = 1"), ("c2", "x = 2"), ("c3", "y = x * 10"),
                              ("c4", "w = 3")])
        kernel.execute("w = 3", "c4")
        failed = kernel.execute("z = w", "c0")
        assert failed.reply["content"]["ename"] == "NameError"
        assert "defined only in a later cell" in failed.reply["content"]["evalue"]
        assert "save the notebook" not in failed.reply["content"]["evalue"]
        assert kernel.value("w") == "3"


def test_live_page_order_from_a_frontend_wins_over_the_saved_file(tmp_path):
    """The companion reports the page order, unsaved inserted cells included."""
    path = tmp_path / "nb.ipynb"
    write_notebook(path, [("c1", "x = 1"), ("c3", "y = x * 10")])
    e = Engine()
    e.set_notebook(str(path))
    e.run("c1", "x = 1")
    e.run("c3", "y = x * 10")
    e.set_page_order(["c1", "c2", "c3"])  # c2 inserted between, not saved
    report = e.run("c2", "x = 2")
    assert report.order == "page"
    assert ran(report) == [("c2", "ok"), ("c3", "ok")]
    assert e.namespace["y"] == 20
    assert e.upstream("c3") == {"c2"} and e.downstream("c1") == set() and e.downstream("c2") == {"c3"}
    e.set_page_order(None)
    assert e.order_source() == "notebook"


def test_page_order_without_code_matching_never_matches_by_code():
    """A frontend's page (ids only) must not match unknown cells by (empty) code."""
    known = ["a", "b"]
    codes = {"a": "", "b": "z"}
    page = [("w", "z"), ("y", "")]
    assert page_order(known, codes, page) == ["b", "a"]  # a file: matched by code
    assert page_order(known, codes, page, by_code=False) == known
