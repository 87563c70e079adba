"""The companion extension in the real JupyterLab and Notebook 7, in headless Chromium.

A person runs ``x = 1`` and ``y = x * 2; y``, inserts ``x = 5`` between them
and runs it without saving: the kernel uses the page order, so the reader
below reruns and its prompt area says so.  Selecting a cell marks what it
reads from and what reads it; a failure upstream and its fix show and clear
badges; moving a reader above another writer makes it stale at once, and
"Run stale cells" brings it up to date; the graph panel draws the notebook.

Issue 19, the saved notebook is the truth: after an unsaved edit of the first
cell is run, its readers rerun with their own outputs (a result, a print) and
new execution counts, the cell running now shows it, the reasons show outside
the outputs, and the saved file holds what a plain run would save; a display
a rerun cell shows under a display id follows later updates of it.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest


from tests.support.browser import keep_failure, write_reactive_notebook
from tests.support.jupyter_server import JupyterServer
from tests.test_jupyterlab import TIMEOUT, NotebookPage, browser, make_notebook  # noqa: F401

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "companion-jupyterlab.png"


def no_autosave(base: Path) -> None:
    """The notebook must stay unsaved: the order can only come from the page."""
    folder = base / "settings" / "@jupyterlab" / "docmanager-extension"
    folder.mkdir(parents=True)
    (folder / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))


@contextlib.contextmanager
def unsaved_page(app: str, browser, tmp_path: Path, name: str, viewport: dict):
    """A server without autosave and a page on it; on failure the screenshot
    and server log are kept (``tests/artifacts``)."""
    no_autosave(tmp_path)
    server = JupyterServer(app, tmp_path)
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        yield server, page
    except Exception:
        keep_failure(page, server, name)
        raise
    finally:
        context.close()
        server.stop()


class CompanionPage(NotebookPage):
    def badge(self, i: int):
        return self.cell(i).locator(".rk-Badge")

    def select(self, i: int):
        self.cell(i).locator(".jp-InputPrompt").click()
        self.page.keyboard.press("Escape")

    def insert_below(self, i: int):
        self.select(i)
        self.page.keyboard.press("b")

    def move_up(self, i: int):
        self.select(i)
        self.page.keyboard.press("Control+Shift+ArrowUp")

    def toolbar_button(self, command: str):
        return self.page.locator(f".jp-NotebookPanel:visible .jp-Toolbar [data-command='{command}']").first

    def save(self, file: Path, first_source: str):
        """Save with Ctrl+S and read the file back, once its first cell holds
        ``first_source`` (the save is written asynchronously)."""
        self.cell(0).locator(".cm-content").click()
        self.page.keyboard.press("Control+s")
        waited = 0
        while nbformat.read(file, as_version=4).cells[0].source != first_source:
            waited += 1
            assert waited < 300, "the notebook was not saved"
            self.page.wait_for_timeout(100)
        return nbformat.read(file, as_version=4)

    def expect_output(self, i: int, text: str):
        from playwright.sync_api import expect
        expect(self.output(i)).to_contain_text(text, timeout=TIMEOUT)


def change_theme(page, name: str):
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text=name).first.click()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_companion_page_order_badges_highlight_run_stale_and_graph(app, browser, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    with unsaved_page(app, browser, tmp_path, f"{app}-companion", {"width": 1280, "height": 800}) as (server, page):
        file = server.root / "companion.ipynb"
        make_notebook(file)
        page.goto(server.page_url("companion.ipynb"), timeout=TIMEOUT)
        nb = CompanionPage(page, f"{app}-companion")
        expect(nb.cells()).to_have_count(3, timeout=TIMEOUT)
        expect(page.get_by_text("Python 3 (reactive)").first).to_be_visible(timeout=TIMEOUT)
        nb.wait_ready()
        expect(nb.toolbar_button("reactive-kernel:run-stale")).to_be_visible(timeout=TIMEOUT)

        nb.type_into(0, "x = 1")
        nb.run(0)
        nb.type_into(1, "y = x * 2; y")
        nb.run(1)
        nb.expect_output(1, "2")

        # insert x = 5 between them and run it, unsaved: y's cell reruns
        nb.insert_below(0)
        expect(nb.cells()).to_have_count(4, timeout=TIMEOUT)
        nb.type_into(1, "x = 5")
        nb.run(1)
        nb.expect_output(2, "10")
        count = re.search(r"\d+", nb.prompt(1).inner_text()).group()
        expect(nb.badge(2)).to_have_text(f"↻ [{count}]", timeout=TIMEOUT)
        assert "x changed" in nb.badge(2).get_attribute("title")
        saved = nbformat.read(file, as_version=4)
        assert [c.source for c in saved.cells] == ["", "", ""], "the notebook must not have been saved"

        # the active cell (x = 5) feeds the cell below; selecting that cell
        # marks x = 5 as its upstream and not x = 1 (shadowed)
        expect(nb.cell(2)).to_have_class(re.compile(r"\brk-downstream\b"), timeout=TIMEOUT)
        nb.select(2)
        expect(nb.cell(1)).to_have_class(re.compile(r"\brk-upstream\b"), timeout=TIMEOUT)
        expect(nb.cell(0)).not_to_have_class(re.compile(r"\brk-upstream\b"))
        nb.shot("1-inserted-and-highlighted")

        # a failure upstream, then its fix
        nb.type_into(1, "x = 1 / 0")
        nb.run(1)
        expect(nb.badge(2)).to_have_text("✗ upstream", timeout=TIMEOUT)
        nb.shot("2-failed-upstream")
        nb.type_into(1, "x = 3")
        nb.run(1)
        nb.expect_output(2, "6")
        count = re.search(r"\d+", nb.prompt(1).inner_text()).group()
        expect(nb.badge(2)).to_have_text(f"↻ [{count}]", timeout=TIMEOUT)

        # a writer and a reader at the end; moving the reader above the
        # writer makes it stale at once, before anything runs
        nb.type_into(3, "x = 50")
        nb.run(3)
        nb.insert_below(3)
        nb.type_into(4, "w = x + 0; w")
        nb.run(4)
        nb.expect_output(4, "50")
        expect(nb.badge(4)).to_have_count(0)
        nb.move_up(4)
        expect(nb.cell(3).locator(".cm-content")).to_have_text("w = x + 0; w", timeout=TIMEOUT)
        expect(nb.badge(3)).to_have_text("stale", timeout=TIMEOUT)
        nb.shot("3-moved-stale")

        # Run stale cells: w reads x = 3 now, and nothing is stale after
        run_stale = nb.toolbar_button("reactive-kernel:run-stale")
        expect(run_stale).not_to_have_attribute("aria-disabled", "true", timeout=TIMEOUT)
        run_stale.click()
        nb.expect_output(3, "3")
        nb.wait_idle()
        expect(nb.badge(3)).to_have_count(0, timeout=TIMEOUT)  # it ran as requested: no badge
        expect(run_stale).to_have_attribute("aria-disabled", "true", timeout=TIMEOUT)  # nothing stale
        expect(page.locator(".jp-NotebookPanel:visible .rk-Badge", has_text="stale")).to_have_count(0,
                                                                                                   timeout=TIMEOUT)

        # the dependency graph: one node per cell that ran
        nb.toolbar_button("reactive-kernel:show-graph").click()
        panel = page.locator("#reactive-kernel-graph")
        expect(panel).to_be_visible(timeout=TIMEOUT)
        expect(panel).to_have_attribute("data-cells", "5", timeout=TIMEOUT)
        expect(panel.locator("canvas").first).to_be_visible(timeout=TIMEOUT)
        nb.select(2)
        page.wait_for_timeout(500)  # the layout settles
        light = nb.shot("4-graph")
        if app == "lab" and (not SCREENSHOT.exists() or os.environ.get("REACTIVE_UPDATE_SCREENSHOT")):
            shutil.copyfile(light, SCREENSHOT)

        change_theme(page, "JupyterLab Dark")
        expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false", timeout=TIMEOUT)
        nb.select(3)
        expect(panel).to_have_attribute("data-cells", "5", timeout=TIMEOUT)
        page.wait_for_timeout(500)
        nb.shot("5-graph-dark")


#: a result, a print, and a slow reader (so its run can be seen)
SAVED = ["x = 1",
         "y = x * 2; y",
         "import time; time.sleep(1.5); print('z', x + 1)"]


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_rerun_cells_save_what_a_plain_run_saves(app, browser, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    with unsaved_page(app, browser, tmp_path, f"{app}-saved", {"width": 1100, "height": 700}) as (server, page):
        file = server.root / "saved.ipynb"
        write_reactive_notebook(file, SAVED)
        page.goto(server.page_url("saved.ipynb"), timeout=TIMEOUT)
        nb = CompanionPage(page, f"{app}-saved")
        expect(nb.cells()).to_have_count(3, timeout=TIMEOUT)
        expect(page.get_by_text("Python 3 (reactive)").first).to_be_visible(timeout=TIMEOUT)
        nb.wait_ready()
        for i in range(3):
            nb.run(i)
        nb.expect_output(2, "z 2")

        # an unsaved edit of the first cell, run: its readers rerun below it
        before = nb.counts()
        nb.type_into(0, "x = 5")
        nb.cell(0).locator(".cm-content").click()
        page.keyboard.press("Control+Enter")
        # the slow reader, while it reruns: [*], a bar, and a status saying so
        expect(nb.cell(2)).to_have_class(re.compile(r"\brk-running\b"), timeout=TIMEOUT)
        expect(nb.status(2)).to_contain_text("rerunning for [", timeout=TIMEOUT)
        expect(nb.prompt(2)).to_have_text("[*]:")
        nb.shot("1-running")
        nb.wait_idle()
        expect(nb.cell(2)).not_to_have_class(re.compile(r"\brk-running\b"), timeout=TIMEOUT)

        # the readers' outputs are their new values, nothing else
        for i, value in ((1, "10"), (2, "z 6")):
            expect(nb.result(i)).to_have_text(re.compile(rf"^\s*{value}\s*$"), timeout=TIMEOUT)
            expect(nb.output(i).locator(".jp-OutputArea-output")).to_have_count(1)
        expect(nb.cell(1).locator(".jp-OutputPrompt")).to_contain_text(re.compile(r"\[\d+\]"))
        counts = nb.counts()
        assert counts[0] < counts[1] < counts[2] and counts[0] > max(before), (before, counts)
        # the reasons, outside the outputs
        expect(nb.status(1)).to_contain_text(f"reran for [{counts[0]}]: x changed", timeout=TIMEOUT)
        expect(nb.status(2)).to_contain_text("x changed", timeout=TIMEOUT)
        expect(nb.status(0)).to_contain_text("reran: y ✓", timeout=TIMEOUT)
        expect(nb.status(1)).to_be_visible()
        expect(nb.notebook.locator(".jp-OutputArea .rk-Status")).to_have_count(0)
        for i in range(3):
            expect(nb.output(i)).not_to_contain_text(re.compile(r"↻|⚠|reran"))
        nb.shot("2-reran")

        # saved: what a plain run of these cells, top to bottom, saves
        saved = nb.save(file, "x = 5").cells
        assert [c.execution_count for c in saved] == counts, [c.execution_count for c in saved]
        assert saved[0].outputs == []
        [result] = saved[1].outputs
        assert result.output_type == "execute_result", result
        assert result.data == {"text/plain": "10"} and result.execution_count == counts[1], result
        [stream] = saved[2].outputs
        assert (stream.output_type, stream.name, stream.text) == ("stream", "stdout", "z 6\n"), stream
        assert "reactive" not in json.dumps([c.outputs for c in saved]), saved
        nb.shot("3-saved")


#: a display made while its cell reruns for another, updated by a cell rerun
#: after it, then by a cell run later (issue 19: display ids in rerun cells)
DISPLAYS = ["x = 1",
            "h = display(f'first {x}', display_id=True)",
            "h.update(f'second {x}')",
            "h.update(f'third {x}')"]


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_a_display_made_in_a_rerun_cell_follows_its_updates(app, browser, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    with unsaved_page(app, browser, tmp_path, f"{app}-display-ids", {"width": 1100, "height": 700}) as (server,
                                                                                                       page):
        file = server.root / "displays.ipynb"
        write_reactive_notebook(file, DISPLAYS)
        page.goto(server.page_url("displays.ipynb"), timeout=TIMEOUT)
        nb = CompanionPage(page, f"{app}-display-ids")
        expect(nb.cells()).to_have_count(4, timeout=TIMEOUT)
        expect(page.get_by_text("Python 3 (reactive)").first).to_be_visible(timeout=TIMEOUT)
        nb.wait_ready()
        for i in range(3):  # the last cell waits for later
            nb.run(i)
        expect(nb.result(1)).to_have_text("'second 1'", timeout=TIMEOUT)

        # x = 2: the display's cell reruns (a new display id), then its updater
        nb.type_into(0, "x = 2")
        nb.run(0)
        expect(nb.result(1)).to_have_text("'second 2'", timeout=TIMEOUT)
        expect(nb.output(1).locator(".jp-OutputArea-output")).to_have_count(1)
        expect(nb.output(2).locator(".jp-OutputArea-output")).to_have_count(0)
        nb.shot("1-updated-in-the-cascade")

        # a later request updates it too
        nb.run(3)
        expect(nb.result(1)).to_have_text("'third 2'", timeout=TIMEOUT)
        expect(nb.output(1).locator(".jp-OutputArea-output")).to_have_count(1)
        nb.shot("2-updated-later")

        # saved: what Restart & Run All saves, a display_data and nothing transient
        saved = nb.save(file, "x = 2")
        nbformat.validate(saved)
        assert [o.output_type for o in saved.cells[1].outputs] == ["display_data"], saved.cells[1].outputs
        assert saved.cells[1].outputs[0].data == {"text/plain": "'third 2'"}
        assert saved.cells[2].outputs == [] and saved.cells[3].outputs == []


def test_the_companion_answers_ping_and_reopens_a_comm_the_kernel_closed(browser, tmp_path):  # noqa: F811
    """Issue 20: the kernel asks silent comms whether their page is there
    (``ping``) and closes those that do not answer.  The page answers, so it
    keeps its comm; when the kernel closes it anyway (a late answer), the
    page opens a new comm at once and everything goes on working."""
    from playwright.sync_api import expect

    comms = "print(sorted(get_ipython().kernel.companion.comms))"
    with unsaved_page("lab", browser, tmp_path, "lab-liveness", {"width": 1100, "height": 700}) as (server, page):
        file = server.root / "alive.ipynb"
        write_reactive_notebook(file, [
            "x = 1", "y = x * 2; y", "get_ipython().kernel.companion.__dict__.update(quiet=0, grace=0)", comms,
            "(lambda c: [c._expire(comm) for comm in list(c.comms.values())])(get_ipython().kernel.companion)"])
        page.goto(server.page_url("alive.ipynb"), timeout=TIMEOUT)
        nb = CompanionPage(page, "lab-liveness")
        expect(nb.cells()).to_have_count(5, timeout=TIMEOUT)
        nb.wait_ready()
        for i in range(4):  # from here on every request asks, and closes a comm silent since
            nb.run(i)
        nb.expect_output(3, "['")
        first = nb.output(3).inner_text()
        nb.run(3)  # asked after each request, the page answered each time: the same comm
        expect(nb.output(3)).to_have_text(first, timeout=TIMEOUT)

        nb.run(4)  # the kernel closes the page's comm; the page opens a new one
        nb.wait_idle()
        nb.run(3)
        expect(nb.output(3)).not_to_have_text(first, timeout=TIMEOUT)
        expect(nb.output(3)).to_contain_text(re.compile(r"^\s*\['[\w-]+'\]\s*$"))
        # page order, unsaved code, reruns and their marks work on the new comm
        nb.type_into(0, "x = 7")
        nb.run(0)
        nb.expect_output(1, "14")
        expect(nb.badge(1)).to_have_text(re.compile(r"↻ \[\d+\]"), timeout=TIMEOUT)
        nb.shot("1-reopened")
