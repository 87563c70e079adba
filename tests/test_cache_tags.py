"""Opting a cell into the cache with the cell tag ``cache`` (issue 22), as a
first line ``%%cache`` does: the kernel reads the tags from the saved
notebook file (reread when it changes) and, live, from the companion's
``tags`` message, which wins for the cells it names.

That a cell ran is proved by a side effect the engine cannot see: each cell
appends its id to ``ran.log`` (tests/test_cache_kernel.py)."""
from __future__ import annotations

import json
import logging

import nbformat
import pytest

from reactive_kernel.core.engine import Engine
from reactive_kernel.core.order import NotebookFile, NotebookOrder, read_code_cells
from reactive_kernel.jupyter.companion import Companion
from reactive_kernel.present.view import CellView
from tests.support.companion_client import CompanionNotebook
from tests.support.notebook_file import write_notebook
from tests.test_cache_kernel import cell, kernel, place, ran, restart, run_all, served  # noqa: F401 (place: a fixture)
from tests.test_companion_messages import FakeCommManager, FakeEvents, open_comm, send
from tests.test_jupyterlab import browser  # noqa: F401 (a fixture)

# the chain of tests/test_cache_kernel.py with no %%cache line: tags decide
CELLS = [cell("load", "print('loading')\nrows = list(range(10))\nlen(rows)", cache=False),
         cell("fit", "total = sum(rows)\nprint('fitted', total)", cache=False),
         cell("report", "summary = f'total={total}'\nsummary", cache=False)]


def save(path, cells, tags: dict[str, object]) -> None:
    write_notebook(path, cells, tags)


def entries(place) -> int:
    found = place / "cache" / "entries"
    return len(list(found.iterdir())) if found.exists() else 0


# -- reading tags ---------------------------------------------------------------------

def test_malformed_tags_are_no_tags_and_never_half_read(tmp_path):
    path = tmp_path / "nb.ipynb"
    cells = [(c, f"{c} = 1") for c in "abcdef"]
    save(path, cells, {"a": ["cache", "slow"], "b": "cache", "c": ["cache", 3], "d": {"cache": True}, "e": []})
    page, tags = read_code_cells(str(path))
    assert page == cells  # a cell with bad tags keeps its place and code
    assert tags == {"a": frozenset({"cache", "slow"})}
    # metadata that is not an object: no tags, the file still read
    notebook = json.loads(path.read_text())
    notebook["cells"][0]["metadata"] = ["tags", "cache"]
    path.write_text(json.dumps(notebook))
    assert read_code_cells(str(path)) == (cells, {})


def test_the_file_is_reread_for_its_tags_and_the_page_wins_for_the_cells_it_names(tmp_path):
    path = tmp_path / "nb.ipynb"
    cells = [("a", "x = 1"), ("b", "y = x")]
    save(path, cells, {"a": ["cache"]})
    order = NotebookOrder()
    order.path = str(path)
    assert order.refresh() and order.tags("a") == {"cache"} and order.tags("b") == frozenset()
    save(path, cells, {"b": ["cache"]})  # tag moved and saved
    assert order.refresh() and order.tags("a") == frozenset() and order.tags("b") == {"cache"}
    order.set_page_tags({"b": [], "a": ["cache"]})  # the page, not saved
    assert order.tags("a") == {"cache"} and order.tags("b") == frozenset()
    order.set_page_tags(None)  # no companion any more: the file again
    assert order.tags("a") == frozenset() and order.tags("b") == {"cache"}
    assert NotebookFile().refresh(None) is False  # no file, no tags, nothing moved


# -- the companion's message, in process -------------------------------------------------

@pytest.fixture
def companion() -> Companion:
    engine = Engine()
    return Companion(engine, CellView(engine), FakeCommManager(), FakeEvents(),
                     logging.getLogger("test"), on_open=lambda: None)


@pytest.mark.parametrize("cells", [["a"], {"a": "cache"}, {"a": ["cache", 1]}, {"": ["cache"]},
                                   {"a": ["cache"], "b": None}])
def test_a_malformed_tags_message_is_an_error_and_applies_not_even_in_part(companion, cells):
    comm = open_comm(companion, "page")
    [error] = send(comm, {"type": "tags", "cells": cells})
    assert error["type"] == "error" and "'tags' needs 'cells'" in error["message"]
    assert companion.engine.cell_tags("a") == frozenset()


def test_tags_apply_unanswered_wait_for_a_running_cell_and_go_with_the_last_comm(companion):
    comm = open_comm(companion, "page")
    assert send(comm, {"type": "tags", "cells": {"a": ["cache"], "b": []}}) == []
    assert companion.engine.cell_tags("a") == {"cache"}
    companion._cell_starts()
    assert send(comm, {"type": "tags", "cells": {"a": []}}) == []
    assert companion.engine.cell_tags("a") == {"cache"}  # not under a running plan
    companion._cell_ends()
    companion.finished(companion.engine.request("c", "z = 0"), 1)
    assert companion.engine.cell_tags("a") == frozenset()
    send(comm, {"type": "tags", "cells": {"a": ["cache"]}})
    comm.frontend_closes()
    assert companion.engine.cell_tags("a") == frozenset()


# -- through the real kernel ------------------------------------------------------------

def test_a_tagged_cell_is_served_after_a_restart_and_untagged_it_is_no_longer_stored(place):
    path = place / "work" / "nb.ipynb"
    save(path, CELLS, {"load": ["cache"], "fit": ["slow"]})
    with kernel(place) as session:
        run_all(session, CELLS)
        assert entries(place) == 1
        restart(session)
        result = session.execute(CELLS[2][1], "report")
        assert served(result) == [("load", "ancestor", True), ("fit", "ancestor", False),
                                  ("report", "target", False)]
        assert ran(place) == ["load", "fit", "report", "fit", "report"]
        assert session.value("summary") == "'total=45'"
        why = session.execute("%reactive cache why rows").text()
        assert "opted in with the cell tag cache" in why and "served from the cache" in why
        assert "not opted in" in session.execute("%reactive cache why total").text()
        # the tag removed and the file saved: a new run of other code is not stored
        edited = [(CELLS[0][0], CELLS[0][1].replace("range(10)", "range(4)")), *CELLS[1:]]
        save(path, edited, {})
        before = len(ran(place))
        assert session.execute(edited[0][1], "load").status == "ok"
        assert ran(place)[before:] == ["load", "fit", "report"] and entries(place) == 1
        why = session.execute("%reactive cache why rows").text()
        assert "policy: not opted in" in why and "no entry under this key" in why
        assert "served from the cache" not in why  # what the cache did before the edit is past


def test_the_companions_tags_opt_in_without_saving_and_win_over_the_file(place):
    path = place / "work" / "nb.ipynb"
    save(path, CELLS, {"load": ["cache"]})  # saved before the tag moved to fit on the page
    live = {"load": [], "fit": ["cache"], "report": []}

    def page() -> CompanionNotebook:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code, id=c) for c, code in CELLS])
        opened = CompanionNotebook(nb, session)
        opened._wait(opened._comm({"type": "tags", "cells": live}))
        return opened

    with kernel(place) as session:
        page().run_all()
        assert entries(place) == 1
        assert "opted in with the cell tag cache" in session.execute("%reactive cache why total").text()
        restart(session)
        result = page().run("report")
        assert served(result) == [("load", "ancestor", False), ("fit", "ancestor", True),
                                  ("report", "target", False)]
        assert ran(place) == ["load", "fit", "report", "load", "report"]
        assert session.value("summary") == "'total=45'"


# -- in JupyterLab, with the companion -----------------------------------------------------

@pytest.mark.browser
def test_a_tag_added_and_removed_in_jupyterlab_counts_before_saving(browser, tmp_path, monkeypatch):  # noqa: F811
    """The Property Inspector's Cell Tags: the companion reports the change at
    once (autosave is off, the file has no tags), and the policy follows it."""
    from playwright.sync_api import expect

    from tests.support.browser import write_reactive_notebook
    from tests.test_companion_browser import CompanionPage, unsaved_page
    from tests.test_jupyterlab import TIMEOUT

    monkeypatch.setenv("REACTIVE_KERNEL_CACHE", str(tmp_path / "cache"))
    with unsaved_page("lab", browser, tmp_path, "lab-cache-tag", {"width": 1300, "height": 800}) as (server, page):
        write_reactive_notebook(server.root / "tagged.ipynb", [
            ("load", "rows = list(range(10))"), ("why", "%reactive cache why rows")])
        page.goto(server.page_url("tagged.ipynb"), timeout=TIMEOUT)
        nb = CompanionPage(page, "lab-cache-tag")
        expect(nb.cells()).to_have_count(2, timeout=TIMEOUT)
        nb.wait_idle()
        nb.wait_connected()
        inspector = page.locator(".jp-SideBar.jp-mod-right .lm-TabBar-tab[data-id='jp-property-inspector']")
        applied = page.locator(".jp-CellTags-Applied", has_text="cache")
        nb.select(0)
        inspector.click()
        page.get_by_text("Common Tools").click()  # a collapsed section
        page.get_by_placeholder("Add Tag").click()
        page.keyboard.type("cache")
        page.keyboard.press("Enter")
        expect(applied).to_be_visible(timeout=TIMEOUT)
        inspector.click()  # closed: the toolbar's execution indicator shows again
        nb.run(0)
        nb.run(1)
        nb.expect_output(1, "opted in with the cell tag cache")
        assert len(list((tmp_path / "cache" / "entries").iterdir())) == 1
        nb.shot("1-tagged")

        nb.select(0)
        inspector.click()
        applied.click()  # unapplies it
        expect(applied).to_have_count(0, timeout=TIMEOUT)
        inspector.click()
        nb.run(1)
        nb.expect_output(1, "policy: not opted in")
        assert json.loads((server.root / "tagged.ipynb").read_text())["cells"][0]["metadata"] == {}  # not saved
