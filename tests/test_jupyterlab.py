"""The reactive kernel in the real JupyterLab and Notebook 7, in headless Chromium.

A person types ``x = 5`` and ``y = x + 1; y``, runs both, edits the first
cell to ``x = 10`` and runs only it: the second cell's own output area must
show 11, and nothing else, under a new execution count.  Deleting the first
cell marks the second stale at once; running another cell leaves the
NameError in the second cell's output.

Uses only what the venv has (jupyterlab, notebook, playwright's Python API)
and the system Chromium (playwright's own browser download is not used).
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.support.browser import keep_failure, write_reactive_notebook
from tests.support.jupyter_server import JupyterServer

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOT = ROOT / "docs" / "screenshot-jupyterlab.png"
CHROMIUM = os.environ.get("REACTIVE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT = 90_000  # ms; generous: two cores shared with other work


def browser_or_skip():
    """Playwright's sync API, or a skip (a failure on CI) saying what is missing."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:  # pragma: no cover
        problem, sync_playwright = f"playwright is not importable: {e}", None
    if problem is None and not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problem = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set REACTIVE_TEST_CHROMIUM)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run on CI: {problem}")
        pytest.skip(problem)
    return sync_playwright


@pytest.fixture(scope="module")
def browser():
    sync_playwright = browser_or_skip()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def make_notebook(path: Path) -> None:
    write_reactive_notebook(path, ["", "", ""])


class NotebookPage:
    def __init__(self, page, app: str):
        self.page = page
        self.app = app
        self.shots: list[Path] = []

    @property
    def notebook(self):
        return self.page.locator(".jp-NotebookPanel:visible .jp-Notebook").first

    def cell(self, i: int):
        return self.notebook.locator(".jp-Cell").nth(i)

    def cells(self):
        return self.notebook.locator(".jp-Cell")

    def wait_idle(self):
        from playwright.sync_api import expect
        indicator = self.page.locator(".jp-Notebook-ExecutionIndicator:visible").first
        expect(indicator).to_have_attribute("data-status", "idle", timeout=TIMEOUT)

    def wait_connected(self):
        """Until the companion's comm is open and the kernel said hello: a cell
        run before then runs as the kernel knew it (the saved file's tags), and
        the cells it reruns get no outputs or counts of their own."""
        from playwright.sync_api import expect
        expect(self.page.locator(".jp-NotebookPanel:visible .jp-Notebook.rk-connected")).to_have_count(
            1, timeout=TIMEOUT)

    def wait_ready(self):
        """The kernel idle and the companion connected (after opening or a restart)."""
        self.wait_idle()
        self.wait_connected()

    def type_into(self, i: int, code: str):
        editor = self.cell(i).locator(".cm-content")
        editor.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self.page.keyboard.type(code)

    def run(self, i: int):
        """Run cell i and stay on it (Ctrl+Enter), then wait for the kernel."""
        from playwright.sync_api import expect
        before = re.escape(self.prompt(i).inner_text().strip())
        self.cell(i).locator(".cm-content").click()
        self.page.keyboard.press("Control+Enter")
        # a new execution count, not the one the cell had before
        expect(self.prompt(i)).to_have_text(re.compile(rf"^(?!{before}$)\[\d+\]:$"),
                                            timeout=TIMEOUT)
        self.wait_idle()

    def prompt(self, i: int):
        return self.cell(i).locator(".jp-InputArea-prompt")

    def output(self, i: int):
        return self.cell(i).locator(".jp-OutputArea").first

    def result(self, i: int):
        """Cell i's first output, without its Out[n] prompt."""
        return self.output(i).locator(".jp-OutputArea-output").first

    def status(self, i: int):
        """Cell i's one-line status from the companion, outside its outputs."""
        return self.cell(i).locator(":scope > .rk-Status")

    def counts(self) -> list[int | None]:
        """Every cell's execution count, as its prompt shows it (None: none)."""
        counts = []
        for text in self.notebook.locator(".jp-Cell .jp-InputArea-prompt").all_inner_texts():
            found = re.search(r"\d+", text)
            counts.append(int(found.group()) if found else None)
        return counts

    def delete(self, i: int):
        self.cell(i).locator(".jp-InputPrompt").click()
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("d")
        self.page.keyboard.press("d")

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.app}-{name}.png"
        self.page.screenshot(path=str(path))
        self.shots.append(path)
        return path


APPS = ["lab", "notebook"]


@pytest.mark.parametrize("app", APPS)
def test_edit_updates_dependent_output_then_delete_shows_name_error(app, browser, tmp_path):
    from playwright.sync_api import expect

    server = JupyterServer(app, tmp_path)
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        make_notebook(server.root / "reactive-demo.ipynb")
        page.goto(server.page_url("reactive-demo.ipynb"), timeout=TIMEOUT)
        nb = NotebookPage(page, app)
        expect(nb.cells()).to_have_count(3, timeout=TIMEOUT)
        expect(page.get_by_text("Python 3 (reactive)").first).to_be_visible(timeout=TIMEOUT)
        nb.wait_ready()

        nb.type_into(0, "x = 5")
        nb.run(0)
        nb.type_into(1, "y = x + 1; y")
        nb.run(1)
        expect(nb.result(1)).to_have_text(re.compile(r"^\s*6\s*$"), timeout=TIMEOUT)
        prompt_before = nb.prompt(1).inner_text()
        nb.shot("1-ran-both")

        # edit cell 1 and run only it: cell 2 reruns, with only its value in
        # its output (as a plain run shows it) and a new execution count
        nb.type_into(0, "x = 10")
        nb.run(0)
        expect(nb.result(1)).to_have_text(re.compile(r"^\s*11\s*$"), timeout=TIMEOUT)
        expect(nb.output(1).locator(".jp-OutputArea-output")).to_have_count(1)
        expect(nb.prompt(1)).not_to_have_text(prompt_before, timeout=TIMEOUT)
        first, second = nb.counts()[:2]
        assert second > first, nb.counts()
        # why it reran, and what the request ran, outside the outputs
        expect(nb.status(1)).to_contain_text("x changed", timeout=TIMEOUT)
        expect(nb.status(0)).to_contain_text("reran: y ✓", timeout=TIMEOUT)
        expect(nb.output(0)).not_to_contain_text("reran")
        edited = nb.shot("2-edited-x")

        # delete cell 1: its reader is stale at once; running another cell
        # reruns it and cell 2 (now the first) shows the NameError
        nb.delete(0)
        expect(nb.cells()).to_have_count(2, timeout=TIMEOUT)
        expect(nb.cell(0).locator(".rk-Badge")).to_have_text("stale", timeout=TIMEOUT)
        nb.type_into(1, "print('other cell')")
        nb.run(1)
        expect(nb.output(1)).to_contain_text("other cell", timeout=TIMEOUT)
        expect(nb.output(0)).to_contain_text("NameError", timeout=TIMEOUT)
        expect(nb.output(0)).to_contain_text("name 'x' is not defined", timeout=TIMEOUT)
        nb.shot("3-deleted-x")

        # the README's screenshot: refreshed on request, so runs leave git clean
        if app == "lab" and (not SCREENSHOT.exists()
                             or os.environ.get("REACTIVE_UPDATE_SCREENSHOT")):
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(edited, SCREENSHOT)
    except Exception:
        keep_failure(page, server, app)
        raise
    finally:
        context.close()
        server.stop()


CHAIN = [
    "import sys, time; sys.runs = getattr(sys, 'runs', []); time.sleep(0.5); x = 1",
    "y = x + 1; sys.runs.append('y')",
    "z = y + 1; sys.runs.append('z')",
    "print('runs:', len(sys.runs), 'z:', z)",
]


def run_all_cells(page):
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def test_run_all_after_an_edit_runs_each_cell_once(browser, tmp_path):
    """JupyterLab's Run All queues every cell at once: a dependent whose own
    request is waiting must not also be rerun by the requests above it."""
    from playwright.sync_api import expect

    server = JupyterServer("lab", tmp_path)
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        write_reactive_notebook(server.root / "run-all.ipynb", CHAIN)
        page.goto(server.page_url("run-all.ipynb"), timeout=TIMEOUT)
        nb = NotebookPage(page, "lab")
        expect(nb.cells()).to_have_count(4, timeout=TIMEOUT)
        expect(page.get_by_text("Python 3 (reactive)").first).to_be_visible(timeout=TIMEOUT)
        nb.wait_ready()

        run_all_cells(page)
        expect(nb.output(3)).to_contain_text("runs: 2 z: 3", timeout=TIMEOUT)
        nb.wait_idle()

        nb.type_into(0, CHAIN[0].replace("x = 1", "x = 10"))
        run_all_cells(page)
        # y and z ran once more each (not once per queued request above them)
        expect(nb.output(3)).to_contain_text("runs: 4 z: 12", timeout=TIMEOUT)
        nb.wait_idle()
        expect(nb.output(3)).to_contain_text("runs: 4 z: 12", timeout=TIMEOUT)
        nb.shot("run-all")
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "lab-run-all-failure.png"))
        (ARTIFACTS / "lab-run-all-server.log").write_text(server.log())
        raise
    finally:
        context.close()
        server.stop()
