"""Cells known from the page (the companion's ``sources``): the kernel runs
what is on screen, unsaved edits included, never the saved file's code
instead (issue 19, "Restart")."""
from __future__ import annotations

from reactive_kernel.core.engine import Engine
from tests.support.notebook_file import write_notebook

CHAIN = [("c1", "k = 1"), ("c2", "m = k + 1"), ("c3", "n = m * 10")]


def ran(report):
    return [(e.cell_id, e.role, e.status) for e in report.ran]


def restarted(path, cells=CHAIN) -> Engine:
    """A fresh kernel's engine serving the saved notebook ``cells``."""
    write_notebook(path, cells)
    engine = Engine()
    engine.set_notebook(str(path), register=True)
    engine.sync_notebook()
    return engine


def test_an_unsaved_edit_is_what_runs_after_a_restart(tmp_path):
    e = restarted(tmp_path / "nb.ipynb")
    e.know_sources([("c1", "k = 50"), ("c2", "m = k + 1"), ("c3", "n = m * 10")])
    assert e.cells["c1"].unrun and e.stale_cells() == ["c1", "c2", "c3"]
    report = e.run("c3", "n = m * 10")
    assert ran(report) == [("c1", "ancestor", "ok"), ("c2", "ancestor", "ok"), ("c3", "target", "ok")]
    assert e.namespace["n"] == 510


def test_a_later_save_of_other_code_does_not_replace_the_live_source(tmp_path):
    path = tmp_path / "nb.ipynb"
    e = restarted(path)
    e.know_sources([("c1", "k = 50")])
    write_notebook(path, [("c1", "k = 2"), *CHAIN[1:]])  # the file changes behind the page
    e.sync_notebook()
    assert e.cells["c1"].code == "k = 50"
    e.run("c3", "n = m * 10")
    assert e.namespace["n"] == 510


def test_an_edit_not_yet_run_makes_the_cell_and_its_readers_stale_and_keeps_values():
    e = Engine()
    for cell_id, code in CHAIN:
        e.run(cell_id, code)
    e.know_sources([("c1", "k = 50"), ("c2", "m = k + 1")])
    assert e.cells["c1"].code == "k = 50" and not e.cells["c1"].unrun
    assert e.stale_cells() == ["c1"]
    assert e.namespace["k"] == 1 and e.namespace["n"] == 20  # nothing ran
    report = e.run("c1", "k = 50")
    assert ran(report) == [("c1", "target", "ok"), ("c2", "descendant", "ok"), ("c3", "descendant", "ok")]
    assert e.namespace["n"] == 510 and e.stale_cells() == []


def test_an_edit_that_changes_a_readers_provider_makes_that_reader_stale():
    e = Engine()
    e.run("a", "x = 1")
    e.run("b", "y = 2")
    e.run("c", "z = x + y")
    e.know_sources([("b", "y = 2\nx = 5")])  # b now provides c's x
    assert e.stale_cells() == ["b", "c"]
    assert e.namespace["z"] == 3
    e.run("b", "y = 2\nx = 5")
    assert e.namespace["z"] == 7


def test_an_unknown_cell_is_placed_where_the_page_says():
    e = Engine()
    e.run("a", "x = 1")
    e.run("c", "y = x + 1")
    e.set_page_order(["a", "b", "c"])
    e.know_sources([("b", "x = 10")])
    assert e.graph.sequence() == ["a", "b", "c"]
    assert e.cells["b"].unrun and "c" in e.stale_cells()
    report = e.run("c", "y = x + 1")
    assert ran(report) == [("b", "ancestor", "ok"), ("c", "target", "ok")]
    assert e.namespace["y"] == 11


def test_the_same_code_changes_nothing():
    e = Engine()
    for cell_id, code in CHAIN:
        e.run(cell_id, code)
    e.know_sources(CHAIN)
    assert e.stale_cells() == [] and not any(c.unrun for c in e.cells.values())


def test_code_that_does_not_parse(tmp_path):
    """A cell that ran takes it and fails when run, as Run All would; a cell
    known only from the file is no longer known (like a saved cell that does
    not parse)."""
    e = restarted(tmp_path / "nb.ipynb")
    e.run("c1", "k = 1")
    e.know_sources([("c1", "k = = 3"), ("c2", "m = = k")])
    assert e.cells["c1"].code == "k = = 3" and "c1" in e.stale_cells()
    assert "c2" not in e.cells
    assert ran(e.run("c3", "n = m * 10")) == [("c3", "target", "error")]


def test_forgetting_a_cell_forgets_its_live_source(tmp_path):
    path = tmp_path / "nb.ipynb"
    e = restarted(path)
    e.know_sources([("c1", "k = 50")])
    e.forget(["c1"])
    assert "c1" not in e.cells and e.stale_cells() == ["c2", "c3"]
    write_notebook(path, [("c1", "k = 3"), *CHAIN[1:]])  # undone and saved: the file's again
    e.sync_notebook()
    assert e.cells["c1"].code == "k = 3"


def test_a_rename_sent_before_its_run_still_reruns_the_reader_it_lost():
    """As without the page's code: the reader of the old name reruns (and
    fails, as in Run All) when the renaming cell runs."""
    e = Engine()
    e.run("a", "a = 1")
    e.run("b", "b = a * 2")
    e.know_sources([("a", "w = 1")])
    assert e.stale_cells() == ["a", "b"] and e.namespace["b"] == 2
    report = e.run("a", "w = 1")
    assert ran(report) == [("a", "target", "ok"), ("b", "descendant", "error")]
    assert "a" not in e.namespace and "b" not in e.namespace
