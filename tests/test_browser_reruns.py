"""Issue 9 in the real JupyterLab and Notebook 7, in headless Chromium:
every cell tells its own story.

- A silent cell (``b = 10 / a``) takes no visible row, yet when a rerun for
  another cell makes it fail, its traceback shows in its own output area and
  nowhere else; a cell rerun for another one says so in a one-line status
  outside its outputs, readable in the light and the dark theme; an ancestor
  run first says why; a deletion marks the readers stale at once.  No output
  carries the kernel's words.
- ``interact`` after an upstream edit is a new, live widget.
- The debugger stops at a breakpoint in the requested cell and in a cell
  rerun for another one.
- After a restart, running the last cell of a saved 5-cell chain runs the chain.

One server per app; each scenario opens its own notebook (and kernel) in it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.browser import keep_failure, write_reactive_notebook
from tests.support.jupyter_server import JupyterServer
from tests.test_jupyterlab import ARTIFACTS, TIMEOUT, NotebookPage, browser  # noqa: F401

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: JupyterLab screenshots the README shows, refreshed only on request
#: (REACTIVE_UPDATE_SCREENSHOT) so that test runs leave git clean
README_SHOTS = {"silent-cell-error": "silent-cell-error-jupyterlab.png",
                "rerun-marks": "rerun-marks-jupyterlab.png",
                "rerun-marks-dark": "rerun-marks-dark.png",
                "interact-after-edit": "interact-after-edit-jupyterlab.png"}
#: WCAG AA for text: what "reads well" means for the one-line marks
READABLE_CONTRAST = 4.5


@pytest.fixture(scope="module", params=["lab", "notebook"])
def server(request, tmp_path_factory):
    jupyter = JupyterServer(request.param, tmp_path_factory.mktemp(f"{request.param}-reruns"))
    yield jupyter
    jupyter.stop()


class ReactivePage(NotebookPage):
    def __init__(self, page, app: str):
        super().__init__(page, app)
        self.readme: list[tuple[str, Path]] = []

    def start_run(self, i: int):
        """Run cell i without waiting: it may stop in the debugger."""
        self.cell(i).locator(".cm-content").click()
        self.page.keyboard.press("Control+Enter")

    def wait_done(self, i: int):
        """Cell i has finished running (the toolbar's idle indicator may be
        folded away when the debugger sidebar narrows the notebook)."""
        from playwright.sync_api import expect
        expect(self.prompt(i)).to_have_text(re.compile(r"^\[\d+\]:$"), timeout=TIMEOUT)

    def count(self, i: int) -> str:
        """Cell i's execution count, as its prompt shows it."""
        return re.search(r"\d+", self.prompt(i).inner_text()).group()

    def height(self, i: int) -> float:
        return self.cell(i).bounding_box()["height"]

    def menu(self, menu: str, item: str):
        self.page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
        self.page.locator(".lm-Menu-itemLabel", has_text=item).first.click()

    def theme(self, name: str):
        from playwright.sync_api import expect
        self.page.locator(".lm-MenuBar-itemLabel", has_text="Settings").first.click()
        self.page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
        self.page.locator(".lm-Menu-itemLabel", has_text=name).first.click()
        light = "false" if "Dark" in name else "true"
        expect(self.page.locator("body")).to_have_attribute("data-jp-theme-light", light, timeout=TIMEOUT)
        expect(self.page.locator("#jupyterlab-splash")).to_have_count(0, timeout=TIMEOUT)

    def contrast(self, i: int) -> float:
        """WCAG contrast of cell i's status text against the background it
        is drawn on, as rendered."""
        return self.status(i).locator(".rk-Status-text").evaluate(CONTRAST_JS)

    def readme_shot(self, name: str) -> Path:
        """A screenshot the README may show: copied to docs/ once the
        scenario has passed (see ``opened``)."""
        path = self.shot(name)
        self.readme.append((name, path))
        return path

    def publish(self) -> None:
        if not (self.app.startswith("lab-") and os.environ.get("REACTIVE_UPDATE_SCREENSHOT")):
            return
        DOCS.mkdir(parents=True, exist_ok=True)
        for name, path in self.readme:
            shutil.copyfile(path, DOCS / README_SHOTS[name])


CONTRAST_JS = """element => {
  const rgba = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const over = (top, bottom) => {  // alpha compositing, bottom opaque
    const a = top.length > 3 ? top[3] : 1;
    return [0, 1, 2].map(k => top[k] * a + bottom[k] * (1 - a));
  };
  const layers = [];
  for (let e = element; e; e = e.parentElement) {
    const bg = rgba(getComputedStyle(e).backgroundColor);
    if (bg.length && (bg.length < 4 || bg[3] > 0)) layers.push(bg);
    if (bg.length && (bg.length < 4 || bg[3] >= 1)) break;
  }
  let background = [255, 255, 255];
  for (const layer of layers.reverse()) background = over(layer, background);
  const color = over(rgba(getComputedStyle(element).color), background);
  const luminance = c => {
    const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [luminance(color), luminance(background)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""


def shut_down_kernels(server: JupyterServer) -> None:
    """Each scenario's kernel goes with its page: the machine has two cores."""
    auth = {"Authorization": f"token {server.token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{server.url}/api/sessions", headers=auth),
                                timeout=30) as r:
        sessions = json.load(r)
    for session in sessions:
        request = urllib.request.Request(f"{server.url}/api/sessions/{session['id']}",
                                         headers=auth, method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


@contextmanager
def opened(server: JupyterServer, browser, name: str, cells: list[str]):  # noqa: F811
    """A saved notebook of ``cells`` open in the app, its reactive kernel idle."""
    from playwright.sync_api import expect

    write_reactive_notebook(server.root / f"{name}.ipynb", cells)
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    nb = ReactivePage(page, f"{server.app}-{name}")
    try:
        # lab: a fresh workspace, so the notebooks of earlier scenarios stay closed
        url = server.page_url(f"{name}.ipynb") + ("&reset" if server.app == "lab" else "")
        page.goto(url, timeout=TIMEOUT)
        expect(nb.cells()).to_have_count(len(cells), timeout=TIMEOUT)
        expect(page.get_by_text("Python 3 (reactive)").first).to_be_visible(timeout=TIMEOUT)
        nb.wait_ready()
        yield nb
        nb.publish()
    except BaseException:
        keep_failure(page, server, nb.app)
        raise
    finally:
        context.close()
        shut_down_kernels(server)


def expect_text(locator, text):
    from playwright.sync_api import expect
    expect(locator).to_contain_text(text, timeout=TIMEOUT)


#: the kernel's words, which never go into an output
MARKS = re.compile(r"↻|⚠|reran|ran first|ran before|not run:|this output is stale")


def no_marks_in_outputs(nb) -> None:
    from playwright.sync_api import expect
    expect(nb.notebook.locator(".jp-OutputArea", has_text=MARKS)).to_have_count(0)
    expect(nb.notebook.locator(".jp-OutputArea .rk-Status")).to_have_count(0)


def test_silent_cell_errors_rerun_marks_and_notes(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    cells = ["a = 1", "b = 10 / a", "c = b * 2; c", "unused = 0", "n = 1", "n = n + 1; n"]
    with opened(server, browser, "cascade", cells) as nb:
        for i in range(3):
            nb.run(i)
        expect_text(nb.output(2), "20.0")
        nb.shot("1-ran")
        # silent cells take no more room than a cell with no outputs at all
        never_ran = nb.height(3)
        assert [nb.height(0), nb.height(1)] == [never_ran, never_ran]
        expect(nb.cell(1).locator(".jp-Cell-outputWrapper")).to_be_hidden()

        # a = 0: the silent b fails in its own output area, and nowhere else
        nb.type_into(0, "a = 0")
        nb.run(0)
        expect_text(nb.output(1), "division by zero")
        text = nb.output(1).inner_text()
        assert "ZeroDivisionError: division by zero" in text and "\x1b" not in text, text
        expect_text(nb.status(0), "reran: b ✗ error")
        expect_text(nb.status(2), "upstream cell b failed; this output is stale")
        expect_text(nb.output(2), "20.0")
        no_marks_in_outputs(nb)
        for i in (0, 2, 3, 4, 5):
            expect(nb.cell(i)).not_to_contain_text("ZeroDivisionError")
        nb.readme_shot("silent-cell-error")

        # a = 5: b and c rerun, each with its own status; the requester sums up
        nb.type_into(0, "a = 5")
        nb.run(0)
        count = nb.count(0)
        expect_text(nb.output(2), "4.0")
        expect_text(nb.status(2), f"reran for [{count}]: b changed")
        expect_text(nb.status(1), f"reran for [{count}]: a changed")
        expect(nb.output(1)).not_to_contain_text("ZeroDivisionError")
        expect_text(nb.status(0), "reran: b ✓, c ✓")
        no_marks_in_outputs(nb)
        # the reruns ran after the request, down the page: their counts say so
        counts = nb.counts()[:3]
        assert counts[0] < counts[1] < counts[2], counts
        nb.readme_shot("rerun-marks")

        # running n = n + 1 again reruns n = 1 first, which says why
        nb.run(4)
        nb.run(5)
        expect_text(nb.output(5), "2")
        nb.run(5)
        count = nb.count(5)
        expect_text(nb.status(4), f"ran before [{count}], which needs n")
        expect_text(nb.status(5), "ran first: n ✓")
        expect(nb.result(5)).to_contain_text(re.compile(r"^\s*2\b"))
        nb.shot("2-ancestor")

        # deleting a = 5 marks b stale at once, before any request; the next
        # request reruns b, which fails in its own area; the status tells
        nb.delete(0)
        expect(nb.cells()).to_have_count(len(cells) - 1, timeout=TIMEOUT)
        expect(nb.cell(0).locator(".rk-Badge")).to_have_text("stale", timeout=TIMEOUT)
        nb.run(2)  # unused = 0
        expect_text(nb.status(2), "b ✗ error")
        expect_text(nb.output(0), "NameError")
        expect_text(nb.status(1), "upstream cell b failed")
        no_marks_in_outputs(nb)
        for i in (1, 2, 3, 4):
            expect(nb.cell(i)).not_to_contain_text("NameError")
        nb.shot("3-deleted")


def test_rerun_marks_read_well_in_light_and_dark_themes(server, browser):  # noqa: F811
    """The status lines of a silent cell, of a result's cell and of the
    requesting cell, measured as rendered: WCAG AA contrast."""
    with opened(server, browser, "themes", ["x = 1", "y = x * 2", "z = x + 1; z"]) as nb:
        for i in range(3):
            nb.run(i)
        nb.type_into(0, "x = 2")
        nb.run(0)
        expect_text(nb.status(2), "reran for")
        expect_text(nb.status(1), "reran for")
        expect_text(nb.status(0), "reran: y ✓, z ✓")
        no_marks_in_outputs(nb)
        light = {i: nb.contrast(i) for i in range(3)}
        nb.shot("rerun-marks-light")
        nb.theme("JupyterLab Dark")
        try:
            dark = {i: nb.contrast(i) for i in range(3)}
            nb.readme_shot("rerun-marks-dark")
        finally:
            nb.theme("JupyterLab Light")  # the setting outlives this page
        ARTIFACTS.joinpath(f"{nb.app}-contrast.json").write_text(json.dumps({"light": light, "dark": dark}))
        assert min(light.values()) >= READABLE_CONTRAST, light
        assert min(dark.values()) >= READABLE_CONTRAST, dark


INTERACT = ["from ipywidgets import interact; n = 1",
            "def show(x):\n    print('result', x * n)\n\n_ = interact(show, x=5)"]


def test_interact_stays_live_after_an_upstream_edit(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    with opened(server, browser, "interact", INTERACT) as nb:
        nb.run(0)
        nb.run(1)
        slider = nb.cell(1).locator(".widget-slider")
        expect(slider).to_have_count(1, timeout=TIMEOUT)
        expect_text(nb.output(1), "result 5")

        nb.type_into(0, "from ipywidgets import interact; n = 2")
        nb.run(0)
        expect_text(nb.output(1), "result 10")
        expect(slider).to_have_count(1, timeout=TIMEOUT)  # in place of the old one
        expect_text(nb.status(0), "reran: show ✓")

        # the new widget is live: dragging its slider calls show again
        handle = slider.locator(".noUi-handle").first.bounding_box()
        x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
        nb.page.mouse.move(x, y)
        nb.page.mouse.down()
        nb.page.mouse.move(x + 40, y, steps=5)
        nb.page.mouse.up()
        readout = nb.cell(1).locator(".widget-readout").first
        expect(readout).not_to_have_text("5", timeout=TIMEOUT)
        expect_text(nb.output(1), f"result {int(readout.inner_text()) * 2}")
        nb.wait_idle()
        nb.readme_shot("interact-after-edit")


DEBUGGED = ["x = 1", "y = x + 1\nz = y * 10"]


def test_debugger_stops_in_the_requested_cell_and_in_a_rerun_cell(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    with opened(server, browser, "debugger", DEBUGGED) as nb:
        page = nb.page
        nb.run(0)
        nb.run(1)
        page.locator(".jp-NotebookPanel:visible .jp-DebuggerBugButton").first.click()
        if server.app == "notebook":  # JupyterLab opens the sidebar by itself
            nb.menu("View", "Debugger Panel")
        variables = page.locator(".jp-DebuggerVariables-body").first
        expect(variables).to_be_visible(timeout=TIMEOUT)
        callstack = page.locator(".jp-DebuggerCallstackFrame")
        stopped_line = nb.cell(1).locator(".jp-DebuggerEditor-highlight")
        # the gutter left of line 2 (its first element only sizes the gutter)
        nb.cell(1).locator(".cm-breakpoint-gutter .cm-gutterElement").nth(2).click()
        expect(nb.cell(1).locator(".cm-breakpoint-gutter .cm-breakpoint-icon")).to_have_count(1)

        nb.start_run(1)
        expect(stopped_line).to_have_count(1, timeout=TIMEOUT)
        expect(stopped_line).to_have_text("z = y * 10")
        expect(callstack.first).to_contain_text(":2", timeout=TIMEOUT)
        nb.shot("1-stopped")
        page.locator("button[title^='Continue']").first.click()
        nb.wait_done(1)
        expect(stopped_line).to_have_count(0)

        # x = 5 reruns the cell below for it: the breakpoint stops there too
        nb.type_into(0, "x = 5")
        nb.start_run(0)
        expect(stopped_line).to_have_count(1, timeout=TIMEOUT)
        expect(callstack.first).to_contain_text(":2", timeout=TIMEOUT)
        expect(variables).to_contain_text(re.compile(r"\by\s*:?\s*6\b"), timeout=TIMEOUT)
        nb.shot("2-stopped-in-rerun")
        page.locator("button[title^='Continue']").first.click()
        nb.wait_done(0)
        count = nb.count(0)
        expect_text(nb.status(1), f"reran for [{count}]: x changed")
        expect_text(nb.status(0), "reran: y, z ✓")


CHAIN = ["a = 1", "b = a + 1", "c = b * 10", "d = c - 1", "e = d * 2; e"]


def test_after_a_restart_the_last_cell_of_a_saved_chain_runs_the_chain(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    with opened(server, browser, "chain", CHAIN) as nb:
        for restart in (False, True):
            if restart:
                nb.menu("Kernel", "Restart Kernel and Clear Outputs")
                nb.page.locator(".jp-Dialog-button.jp-mod-accept").click()
                expect(nb.prompt(4)).to_have_text("[ ]:", timeout=TIMEOUT)
                nb.wait_ready()
            nb.run(4)
            expect(nb.result(4)).to_contain_text(re.compile(r"^\s*38\b"), timeout=TIMEOUT)
            expect_text(nb.status(4), "ran first: a ✓, b ✓, c ✓, d ✓")
            # the chain ran first, so its cells show counts before the last one's
            for i in range(4):
                expect(nb.prompt(i)).to_have_text(re.compile(r"^\[\d+\]:$"), timeout=TIMEOUT)
            counts = nb.counts()
            assert counts == sorted(counts) and len(set(counts)) == 5, counts
            nb.shot(f"{int(restart) + 1}-{'restarted' if restart else 'opened'}")
