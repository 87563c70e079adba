"""``jupyter console --kernel reactive``, typed into a real terminal (pexpect).

``--simple-prompt`` reads exactly one line per cell, so it cannot enter a
``%%cell NAME`` cell; the full prompt (prompt_toolkit, with ``TERM=dumb`` so
it writes no cursor games) can.  As in IPython's own terminal, a cell magic
is entered line by line and finished by blank lines: the kernel's
``is_complete`` reply says the cell is incomplete until a blank line ends it,
and the console turns the final Enter into a run.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

JUPYTER = str(Path(sys.executable).with_name("jupyter"))
PROMPT = re.compile(r"In \[(\d+)\]: ")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Console:
    def __init__(self, kernel: str, tmp: Path):
        env = dict(os.environ, TERM="dumb", PYDEVD_DISABLE_FILE_VALIDATION="1",
                   JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
                   JUPYTER_CONFIG_DIR=str(tmp / "config"),
                   IPYTHONDIR=str(tmp / "ipython"))
        env.pop("JUPYTER_CONSOLE_TEST", None)
        self.child = pexpect.spawn(
            JUPYTER,
            ["console", "--kernel", kernel, "--no-confirm-exit",
             # a loaded machine may answer is_complete slowly: never fall back to guessing
             "--ZMQTerminalInteractiveShell.kernel_is_complete_timeout=60"],
            env=env, encoding="utf-8", timeout=90, dimensions=(60, 200))
        self.child.expect(PROMPT)
        self.banner = self.clean(self.child.before)
        self.prompt = int(self.child.match.group(1))

    @staticmethod
    def clean(text: str) -> str:
        return _ANSI.sub("", text).replace("\r", "")

    def run(self, *lines: str) -> str:
        """Type a cell (one line, or a cell magic finished by blank lines) and
        return what the console printed for it, without the echoed input."""
        if len(lines) > 1:
            lines = (*lines, "", "")
        for line in lines:
            self.child.sendline(line)
        self.child.expect(PROMPT)
        assert int(self.child.match.group(1)) >= self.prompt
        self.prompt = int(self.child.match.group(1))
        shown = self.clean(self.child.before).split("\n")
        # the terminal echoes what was typed (on a loaded machine sometimes
        # split over redraws): drop the typed lines and blanks before the output
        typed = {line.strip() for line in lines if line.strip()}
        while shown and (not shown[0].strip() or shown[0].strip() in typed):
            shown.pop(0)
        return "\n".join(shown).strip("\n")

    def close(self):
        self.child.sendline("exit")
        self.child.expect(pexpect.EOF)
        self.child.close()


@pytest.fixture
def console(tmp_path):
    consoles = []

    def start(kernel="reactive"):
        c = Console(kernel, tmp_path / kernel)
        consoles.append(c)
        return c

    yield start
    for c in consoles:
        if c.child.isalive():
            c.close()


PLAIN = [
    ("print('hello')",),
    ("1 + 2",),
    ("x = 5",),
    ("x = x + 1",),
    ("x = x + 1",),
    ("x",),
    ("import math; math.sqrt(16)",),
    ("for i in range(3): print(i, end=' ')",),
    ("1 / 0",),
    ("undefined_name",),
    ("'done'",),
]


def test_plain_cells_behave_like_ipykernel(console):
    reactive, plain = console("reactive"), console("python3")
    assert "reactive-kernel" in reactive.banner
    got = [reactive.run(*cell) for cell in PLAIN]
    want = [plain.run(*cell) for cell in PLAIN]
    assert got == want
    # spot checks, so that equality is not equality of nothing
    assert got[0] == "hello"
    assert got[1] == "Out[2]: 3"
    assert got[5] == "Out[6]: 7"  # without cell ids every request is a new cell: x grows
    assert "ZeroDivisionError" in got[8]
    assert "NameError" in got[9]
    assert reactive.prompt == plain.prompt


def test_named_cells_rerun_dependents_labelled_by_cell(console):
    c = console("reactive")
    assert c.run("%%cell a", "a = 1") == ""
    assert c.run("%%cell b", "print(a * 2)") == "2"
    assert c.run("%%cell c", "c = a + 100", "c") == "Out[3]: 101"

    # editing a reruns b and c; their new outputs appear, each under its cell's name
    edit = c.run("%%cell a", "a = 21")
    assert "── b (descendant) ──\n42" in edit
    assert "── c (descendant) ──\n121" in edit
    assert edit.index("── b (descendant) ──") < edit.index("── c (descendant) ──")
    assert "↻" not in edit  # no summary of ours: the headers say what ran

    # an unnamed cell sees the new values
    assert c.run("(a, c)") == "Out[5]: (21, 121)"

    # editing b itself runs only b, as a plain cell
    assert c.run("%%cell b", "print(a * 3)") == "63"

    # renaming a's variable: its readers rerun and fail instead of reading a stale value
    rename = c.run("%%cell a", "w = 1")
    assert "── b (descendant) ──" in rename
    assert "NameError" in rename and "'a'" in rename
    assert "NameError" in c.run("a")


def test_rerunning_named_increment_does_not_grow(console):
    c = console("reactive")
    c.run("%%cell start", "n = 0")
    c.run("%%cell inc", "n = n + 1", "n")
    again = c.run("%%cell inc", "n = n + 1", "n")
    # start reran first, silently: the cell shows only its own result
    assert re.fullmatch(r"Out\[\d+\]: 1", again)
