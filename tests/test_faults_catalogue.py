"""Faults of the catalogue (issue 20, items 9 and 11), through the real kernel
next to plain ipykernel: our frames in SQL tracebacks, user objects that raise
when the kernel looks at them, objects standing in a module's slot, names
removed by ``%reset``, a deleted cell added back.

Where the spec asks for no difference, a cell shows ipykernel's text and ends
the same way.  Where the semantics differ on purpose (a reader of a name
``%reset`` removed runs its provider first), the values are the ones plain
ipykernel computes running the cells from the top.
"""
from __future__ import annotations

import ast
import itertools
import math
import os
import re
import time

import nbformat
import pytest

from reactive_kernel.core.engine import Engine
from tests.support.client import KernelSession
from tests.support.companion_client import CompanionNotebook
from tests.support.notebook_file import write_notebook

_NOISE = [
    (re.compile(r"\x1b\[[0-9;]*[A-Za-z]"), ""),
    (re.compile(r"0x[0-9a-fA-F]+"), "0x?"),
    (re.compile(r"Cell In\[\d+\], line \d+"), "<cell>"),
]


def normal(text: str) -> str:
    for pattern, repl in _NOISE:
        text = pattern.sub(repl, text)
    return " ".join(text.split())


def values(kernel: KernelSession, names) -> list:
    """Each name's value (a literal) in the kernel, or None when it is not bound."""
    return ast.literal_eval(kernel.value("[globals().get(n) for n in %r]" % list(names)))


def ran(execution) -> list[tuple[str, str, str]]:
    return [(e["cell_id"], e["role"], e["status"]) for e in execution.reactive["ran"]]


@pytest.fixture(scope="module")
def kernels():
    with KernelSession("python3") as plain, KernelSession("reactive") as reactive:
        yield plain, reactive


@pytest.fixture
def kernel():
    with KernelSession("reactive") as session:
        yield session


_ids = itertools.count()


def both(kernels, code: str, cell_id: str | None = None):
    """Run ``code`` in plain ipykernel and in the reactive kernel (fresh cell ids each time)."""
    plain, reactive = kernels
    cell_id = cell_id or f"cell-{next(_ids)}"
    return (plain.execute(code, cell_id, stop_on_error=False),
            reactive.execute(code, cell_id, stop_on_error=False))


# -- 1. our frames in SQL tracebacks ---------------------------------------------------------
RAISING_PROPERTY = "class Raising:\n    @property\n    def v(self):\n        raise ValueError('bad v')\nraising = Raising()"


@pytest.mark.parametrize("query", ["%%sql\nSELECT {raising.v} AS v", "got = %sql SELECT {raising.v} AS v"])
def test_a_query_whose_parameter_raises_shows_the_users_frames_only(kernels, query):
    """The user's property raising inside a query: the traceback is the cell's
    line and the user's frames, as ipykernel shows ``raising.v`` in a plain cell."""
    both(kernels, RAISING_PROPERTY)
    plain, _ = kernels
    want = plain.execute("raising.v", "plain-use", stop_on_error=False)
    _, got = both(kernels, query)
    assert got.status == want.status == "error"
    assert got.reply["content"]["ename"] == want.reply["content"]["ename"] == "ValueError"
    traceback = got.text()
    assert "reactive_kernel" not in traceback and "sql/cells.py" not in traceback
    # from the user's frame on, the text is ipykernel's
    users = normal(want.text())
    users = users[users.index("in Raising.v"):]
    assert users in normal(traceback)


def test_an_interrupted_query_is_an_interrupt_without_our_frames(kernel):
    """DuckDB turns an interrupt into its own error whose message is the whole
    Python stack (the kernel's frames included; ipykernel shows that text for a
    plain ``duckdb`` call).  A ``%%sql`` cell stops as any interrupted cell does:
    ``KeyboardInterrupt`` at the cell's line, the cell interrupted (stale, not
    failed)."""
    msg_id = kernel.send("%%sql\nSELECT count(*) AS c FROM range(100000000000) a", "query",
                         stop_on_error=False)
    time.sleep(2.5)
    kernel.manager.interrupt_kernel()
    [result] = kernel.collect([msg_id], timeout=120)
    assert result.status == "error"
    assert result.reply["content"]["ename"] == "KeyboardInterrupt"
    assert "reactive_kernel" not in result.text()
    assert "Traceback (most recent call last):\n  File" not in result.text()  # no stack in a message
    assert ran(result) == [("query", "target", "interrupted")]
    assert result.reactive["stale"] == ["query"]
    # the kernel serves on; a small query works
    assert kernel.execute("%%sql -o small\nSELECT count(*) AS c FROM range(3)", "query").status == "ok"
    assert kernel.value("int(small.c[0])") == "3"


def test_an_interrupt_outside_the_database_shows_no_frame_of_ours(kernel):
    """A user's parameter still running when the interrupt lands: the user's frame, none of ours."""
    kernel.execute("import time\nclass Slow:\n    @property\n    def v(self):\n        time.sleep(30)\n"
                   "slow = Slow()", "slow")
    msg_id = kernel.send("%%sql\nSELECT {slow.v}", "query", stop_on_error=False)
    time.sleep(1.5)
    kernel.manager.interrupt_kernel()
    [result] = kernel.collect([msg_id], timeout=60)
    assert result.reply["content"]["ename"] == "KeyboardInterrupt"
    assert "reactive_kernel" not in result.text()
    assert "in Slow.v" in result.text()


# -- 2. user objects that raise when looked at -----------------------------------------------
HOSTILE_CLASSES = {
    "getattribute": "class H:\n    def __getattribute__(self, name):\n        raise RuntimeError(name)\n",
    "getattribute list": "class H(list):\n    def __getattribute__(self, name):\n        raise RuntimeError(name)\n",
    "__class__": "class H:\n    @property\n    def __class__(self):\n        raise RuntimeError('class')\n"
                 "    def append(self, v):\n        pass\n",
    "metaclass": "class M(type):\n    def __getattribute__(cls, name):\n        raise RuntimeError(name)\n"
                 "    def __eq__(cls, other):\n        raise RuntimeError('eq')\n"
                 "    def __hash__(cls):\n        raise RuntimeError('hash')\n"
                 "class H(metaclass=M):\n    def append(self, v):\n        pass\n",
    "module subclass": "import types\nclass HM(types.ModuleType):\n    def __getattribute__(self, name):\n"
                       "        raise RuntimeError(name)\ndef H():\n    return HM('hm')\n",
}
USES = ["o.append(1)", "o.shuffle(items)", "o.x = 1", "next(o)", "for v in o:\n    pass", "box = [o]\nbox.append(2)",
        "import random\nrandom.shuffle(o)", "print(o)", "shown = o\nshown"]


@pytest.mark.parametrize("hostile", list(HOSTILE_CLASSES))
def test_a_user_object_that_raises_is_run_as_ipykernel_runs_it(kernels, hostile):
    """Looking at a user object never fails a cell: each cell ends as under
    ipykernel (same error, same text), and the object is still there after."""
    both(kernels, HOSTILE_CLASSES[hostile])
    both(kernels, "o = H()\nitems = [1, 2]")
    for use in USES:
        want, got = both(kernels, use)
        assert got.status == want.status, use
        assert got.reply["content"].get("ename") == want.reply["content"].get("ename"), use
        assert normal(want.text()) in normal(got.text()), (use, want.text()[-300:], got.text()[-300:])
        assert "InternalError" not in got.text() and "reactive_kernel" not in got.text()
        want, got = both(kernels, "'o' in globals()")
        assert normal(got.text()) == normal(want.text()) == "True", use


def test_a_lone_name_whose_object_raises_shows_ipykernels_traceback(kernels):
    both(kernels, HOSTILE_CLASSES["getattribute"])
    both(kernels, "o = H()")
    want, got = both(kernels, "o")
    assert got.reply["content"]["ename"] == want.reply["content"]["ename"] == "RuntimeError"
    assert "reactive_kernel" not in got.text()


@pytest.fixture
def clean_modules():
    """A use puts the hostile object into ``sys.modules``: it must not outlive
    the test (hypothesis scans every module's ``__file__``)."""
    import sys
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.mark.parametrize("hostile", list(HOSTILE_CLASSES))
def test_hostile_objects_in_every_role_of_a_cell(hostile, clean_modules):
    """The same, in process and across many uses: no exception escapes the
    engine, every cell ends as plain ``exec`` ends it, reruns included."""
    uses = USES + ["o.a.b(items)", "o(items)", "f(o)", "M = o\nM.append(1)", "o == 1", "n = len(o)",
                   "import sys\nsys.modules['hm_slot'] = o\nimport hm_slot", "q = o.pop()", "o.sort()"]
    prelude = "def f(l):\n    l.append(1)\nitems = [1, 2]\n"
    for use in uses:
        cells = [prelude, HOSTILE_CLASSES[hostile], "o = H()", use, use]
        plain: dict = {"__name__": "__main__"}
        want = []
        for code in cells:
            try:
                exec(compile(code, "<plain>", "exec"), plain)
                want.append("ok")
            except Exception:
                want.append("error")
        engine = Engine(namespace={"__name__": "__main__"})
        got = [next(e.status for e in engine.run(f"c{i}", code).ran if e.cell_id == f"c{i}")
               for i, code in enumerate(cells)]
        assert got[:4] == want[:4], use
        engine.run("c1", HOSTILE_CLASSES[hostile])  # reruns reach every use again
        engine.run("c2", "o = H()")


def test_an_object_that_still_raises_makes_every_candidate_a_mutation():
    """The last resort of :func:`resolve`: whatever raises while effects are
    decided, the cell counts as changing what it may change (an extra rerun
    at worst), never as failing."""
    from reactive_kernel.analysis.cells import analyze
    from reactive_kernel.core.effects import resolve

    def summary_of(name):
        raise RuntimeError("a user object raised")

    names = analyze("import math\nL.append(1)\nmath.floor(M)\nx = f(N)")
    resolved = resolve(names, {"L": [], "M": 1.5, "N": [], "math": math}, summary_of)
    assert {"L", "N"} <= resolved.mutations and "math" not in resolved.mutations
    assert {"L", "N"} <= resolved.reads and "x" in resolved.writes


# -- 3. objects standing in a module's slot ----------------------------------------------------
STAND_IN = [
    ("import sys\nclass Counter:\n    def __init__(self):\n        self.seen = []\n"
     "    def add(self, v):\n        self.seen.append(v)\n        return len(self.seen)\n"
     "sys.modules['counter_mod'] = Counter()", "define"),
    ("import counter_mod", "import"),
    ("counter_mod.add(1)", "first"),
    ("counter_mod.add(2)", "second"),
    ("counter_mod.seen", "show"),
    ("counter_mod.add(3)", "first"),   # edited and run again
    ("counter_mod.seen", "show"),
    ("import counter_mod as cm\ncm.add(9)", "alias"),
    ("counter_mod.seen, len(counter_mod.seen)", "show"),
    ("%who_ls", "who"),
]


def test_an_object_in_a_module_slot_is_called_as_ipykernel_calls_it(kernels):
    """``import m`` of an object in ``sys.modules`` (libraries such as ``sh`` do
    it) is a module to the cells: calling it is not a mutation of a notebook
    value, so no cell reruns for it and it counts what ipykernel counts."""
    plain, reactive = kernels
    for code, cell_id in STAND_IN:
        want = plain.execute(code, f"stand-in-{cell_id}")
        got = reactive.execute(code, f"stand-in-{cell_id}")
        assert got.status == want.status == "ok", code
        assert normal(got.text()).startswith(normal(want.text())), (code, want.text(), got.text())
        assert [e["cell_id"] for e in got.reactive["ran"]] == [f"stand-in-{cell_id}"], code
    assert plain.value("counter_mod.seen") == reactive.value("counter_mod.seen") == "[1, 2, 3, 9]"


# -- 4. names removed by %reset ------------------------------------------------------------------
CHAIN = [("x = 4", "x"), ("y = x * 3", "y"), ("z = y + 1", "z")]


def plain_values(kernels, cells, names) -> list:
    """What plain ipykernel's top-to-bottom run of ``cells`` gives ``names``."""
    plain, _ = kernels
    plain.execute("%reset -f", "plain-reset")
    for code, cell_id in cells:
        assert plain.execute(code, cell_id).status == "ok"
    return values(plain, names)


@pytest.mark.parametrize("reset, removed", [("%reset -f", "xyz"), ("%reset_selective -f ^[yz]$", "yz")])
@pytest.mark.parametrize("with_id", [True, False], ids=["cell id", "console"])
def test_a_reader_of_a_name_reset_removed_runs_its_providers_first(kernels, kernel, reset, removed, with_id):
    """``%reset`` frees names for the person; it is not the notebook's value of
    them.  A reader of a removed name needs its input back: its providers run
    first (ipykernel raises NameError there)."""
    plain, _ = kernels
    for code, cell_id in CHAIN:
        kernel.execute(code, cell_id)
    plain.execute("%reset -f", "plain-reset")
    for code, cell_id in CHAIN:
        plain.execute(code, cell_id)
    assert plain.execute(reset, "reset").status == "ok"
    assert plain.execute("print(z)", "reader", stop_on_error=False).reply["content"]["ename"] == "NameError"

    resetting = kernel.execute(reset, "reset" if with_id else None)
    assert resetting.status == "ok"
    assert values(kernel, "xyz") == [None if n in removed else v for n, v in zip("xyz", [4, 12, 13])]
    providers = [cell_id for _, cell_id in CHAIN if cell_id in removed]
    if with_id:  # the cells whose values went are stale (a console's cell is not kept, nor recorded)
        assert resetting.reactive["stale"] == providers
    reader = kernel.execute("print(z)", "reader")
    assert reader.status == "ok" and set(reader.text().split()) == {"13"}
    assert ran(reader) == [(p, "ancestor", "ok") for p in providers] + [("reader", "target", "ok")]
    assert values(kernel, "xyz") == plain_values(kernels, CHAIN, "xyz")
    # the reset cell run again removes them again; the next reader gets them back again
    kernel.execute(reset, "reset" if with_id else None)
    assert kernel.execute("w = z * 2", "later").status == "ok"
    assert values(kernel, "w") == [26]


# -- 5. a deleted cell added back ------------------------------------------------------------------
ABC = [("A", "a = 1"), ("B", "b = a + 1"), ("C", "c = b + 1")]


def page_with(new_id: str) -> list[tuple[str, str]]:
    return [("A", "a = 1"), (new_id, "b = a + 1"), ("C", "c = b + 1")]


def restart_and_run_all(kernels, cells) -> list:
    return plain_values(kernels, [(code, cell_id) for cell_id, code in cells], "abc")


def chain_notebook():
    nb = nbformat.v4.new_notebook()
    for cell_id, code in ABC:
        cell = nbformat.v4.new_code_cell(code)
        cell.id = cell_id
        nb.cells.append(cell)
    return nb


RUNS = {"the new cell": lambda new: [new], "the last cell": lambda new: ["C"],
        "run all": lambda new: ["A", new, "C"]}


@pytest.mark.parametrize("run", list(RUNS))
@pytest.mark.parametrize("new_id", ["B2", "B"], ids=["new id", "undo (same id)"])
def test_a_deleted_middle_cell_added_back_with_the_companion(kernels, kernel, new_id, run):
    """The companion reports the deletion and the page order as they happen
    (``deleted``, ``order``, then the new cell's code as ``sources``): after
    the cell is added back and run, the namespace is Restart & Run All's."""
    nb = chain_notebook()
    page = CompanionNotebook(nb, kernel)
    for cell_id, _ in ABC:
        page.run(cell_id)
    page.delete("B")
    assert values(kernel, "abc") == [1, None, 3]  # C reruns with the next request
    back = nbformat.v4.new_code_cell("b = a + 1")
    back.id = new_id
    nb.cells.insert(1, back)
    page._wait(page._comm({"type": "order", "cells": page._order()}))
    page._wait(page._comm({"type": "sources", "cells": [{"id": new_id, "source": back.source}]}))
    last = [page.run(cell_id) for cell_id in RUNS[run](new_id)][-1]
    assert values(kernel, "abc") == restart_and_run_all(kernels, page_with(new_id))
    assert last.reactive["stale"] == []


@pytest.mark.parametrize("run", list(RUNS))
@pytest.mark.parametrize("together", [False, True], ids=["deleted first", "deleted with the run"])
@pytest.mark.parametrize("new_id", ["B2", "B"], ids=["new id", "undo (same id)"])
def test_a_deleted_middle_cell_added_back_in_the_saved_file(kernels, tmp_path, new_id, together, run):
    """Without the companion: ``metadata.deletedCells`` and the saved file's order."""
    path = tmp_path / "chain.ipynb"
    write_notebook(path, ABC)
    with KernelSession("reactive", env={**os.environ, "JPY_SESSION_NAME": str(path)}) as kernel:
        for cell_id, code in ABC:
            kernel.execute(code, cell_id)
        write_notebook(path, [ABC[0], ABC[2]])
        deleted = ["B"]
        if not together:
            kernel.execute("a = 1", "A", deleted=deleted)
            deleted = []
        page = page_with(new_id)
        write_notebook(path, page)
        for cell_id in RUNS[run](new_id):
            last = kernel.execute(dict(page)[cell_id], cell_id, deleted=deleted)
            deleted = []
        assert values(kernel, "abc") == restart_and_run_all(kernels, page)
        assert last.reactive["stale"] == []


def test_a_cell_added_back_before_the_page_shows_it_waits_for_the_page(kernels, tmp_path):
    """Where the kernel cannot know the new cell's place (no companion, the
    file not saved since), the spec puts it after the cells registered before
    it: the last cell says where ``b`` is, and is stale.  Once the file shows
    the page, running what is stale gives Restart & Run All's values."""
    path = tmp_path / "chain.ipynb"
    write_notebook(path, ABC)
    with KernelSession("reactive", env={**os.environ, "JPY_SESSION_NAME": str(path)}) as kernel:
        for cell_id, code in ABC:
            kernel.execute(code, cell_id)
        write_notebook(path, [ABC[0], ABC[2]])
        kernel.execute("a = 1", "A", deleted=["B"])
        added = kernel.execute("b = a + 1", "B2")
        assert added.reactive["stale"] == ["C"]
        last = kernel.execute("c = b + 1", "C", stop_on_error=False)
        assert "defined only in a later cell" in last.text()
        write_notebook(path, page_with("B2"))
        again = kernel.execute("c = b + 1", "C")
        assert again.status == "ok" and again.reactive["stale"] == []
        assert values(kernel, "abc") == restart_and_run_all(kernels, page_with("B2"))
