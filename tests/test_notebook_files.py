"""The session's notebook file costs what it changes, not what it holds
(issue 20, item 8).

A file that cannot be read (not JSON) is read once per change, not on
every request; a saved cell nobody has run is analysed before it runs only
up to a length (``SAVED_CELL_ANALYSED``): a six-million-character cell
keeps its place in the order and is known once it runs.  Behaviour only: the
reads are counted, nothing is timed.
"""
from __future__ import annotations

import os

from reactive_kernel.core import order
from reactive_kernel.core.engine import Engine
from tests.support.client import KernelSession
from tests.support.notebook_file import write_notebook


def broken(path, size: int) -> None:
    """A file named like a notebook that is no JSON (a half-written save, a mistake)."""
    with open(path, "wb") as handle:
        handle.write(b'{"cells": [' + b"x" * (size - 11))


def touch(path) -> None:
    stamp = os.stat(path).st_mtime_ns + 1_000_000
    os.utime(path, ns=(stamp, stamp))


def huge_cell(chars: int, name: str = "big") -> str:
    """A cell of about ``chars`` characters binding ``name`` (data pasted into a cell)."""
    lines = [f"{name} = []"] + [f"{name}.append({i:>7})  # {'d' * 20}" for i in range(chars // 40)]
    return "\n".join(lines)


def kernel_for(path):
    return KernelSession("reactive", env={**os.environ, "JPY_SESSION_NAME": str(path)},
                         cwd=str(os.path.dirname(path)))


def shown(execution) -> str:
    """The result the request showed (in the cell's own display: no companion)."""
    (result,) = execution.of_type("execute_result", "display_data")
    return result["content"]["data"]["text/plain"]


def reads(kernel) -> int:
    return int(kernel.value("get_ipython().kernel.engine.notebook.reads"))


# -- in process -----------------------------------------------------------------

def test_an_unreadable_file_is_read_again_only_when_it_changes(tmp_path):
    path = tmp_path / "nb.ipynb"
    broken(path, 1000)
    e = Engine()
    e.set_notebook(str(path), register=True)
    for i in range(5):
        assert e.run(f"c{i}", f"v{i} = {i}").error is None
    assert e.notebook.reads == 1 and e.order_source() == "registration"
    touch(path)
    e.run("c0", "v0 = 0")
    assert e.notebook.reads == 2
    write_notebook(path, [("c1", "v1 = 1"), ("c0", "v0 = 0")])
    e.run("c0", "v0 = 0")
    assert e.notebook.reads == 3 and e.order_source() == "notebook"
    assert e.graph.sequence().index("c1") < e.graph.sequence().index("c0")
    e.run("c1", "v1 = 1")
    assert e.notebook.reads == 3  # a readable file is not reread either
    broken(path, 2000)  # a save that broke the file: its last good order stays
    e.run("c1", "v1 = 1")
    e.run("c1", "v1 = 1")
    assert e.notebook.reads == 4 and e.graph.sequence().index("c1") < e.graph.sequence().index("c0")


def test_a_long_unrun_cell_keeps_its_place_and_is_known_once_it_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(order, "SAVED_CELL_ANALYSED", 200)
    path = tmp_path / "nb.ipynb"
    long_cell = huge_cell(400)
    write_notebook(path, [("c1", "a = 1"), ("c2", long_cell), ("c3", "b = a + len(big)")])
    e = Engine()
    e.set_notebook(str(path), register=True)
    report = e.run("c3", "b = a + len(big)")
    # c1 is known before it runs and runs first; c2 is not analysed, so it
    # is not run for c3, which fails as after a restart in ipykernel
    assert [(r.cell_id, r.role) for r in report.ran] == [("c1", "ancestor"), ("c3", "target")]
    assert report.ran[-1].status == "error" and "c2" not in e.cells
    assert e.notebook.unanalysed == ["c2"]
    assert e.run("c2", long_cell).error is None
    assert e.graph.sequence() == ["c1", "c2", "c3"]  # its place in the file
    assert e.namespace["b"] == 1 + 400 // 40
    # known now: an edit of its provider reruns it and its reader
    report = e.run("c1", "a = 5")
    assert [r.cell_id for r in report.ran] == ["c1", "c3"] and e.namespace["b"] == 5 + 400 // 40


def test_a_cell_known_before_it_grew_long_never_runs_its_old_code(tmp_path, monkeypatch):
    monkeypatch.setattr(order, "SAVED_CELL_ANALYSED", 200)
    path = tmp_path / "nb.ipynb"
    write_notebook(path, [("c1", "a = 1"), ("c2", "b = a + 1")])
    e = Engine()
    e.set_notebook(str(path), register=True)
    e.sync_notebook()
    assert e.cells["c1"].unrun
    write_notebook(path, [("c1", "a = 100\n" + "# padding\n" * 50), ("c2", "b = a + 1")])
    e.run("c2", "b = a + 1")
    assert e.namespace["a"] == 100 and e.namespace["b"] == 101


# -- through the real kernel ------------------------------------------------------

def test_the_kernel_reads_a_large_broken_notebook_once(tmp_path):
    path = tmp_path / "broken.ipynb"
    broken(path, 60_000_000)
    with kernel_for(path) as kernel:
        for i in range(4):
            done = kernel.execute(f"v{i} = {i}\nv{i} * 10", f"c{i}")
            assert done.status == "ok" and done.reactive["order"] == "registration"
            assert shown(done) == str(i * 10)
        edited = kernel.execute("v0 = 7\nv0", "c0")
        assert edited.status == "ok" and edited.reactive["error"] is None
        assert reads(kernel) == 1
        touch(path)
        kernel.execute("v1 = 1", "c1")
        assert reads(kernel) == 2
        write_notebook(path, [("c0", "v0 = 7\nv0"), ("c1", "v1 = 1")])
        done = kernel.execute("w = v0 + 1\nw", "c2")
        assert done.reactive["order"] == "notebook" and reads(kernel) == 3
        assert shown(done) == "8"


def test_a_six_million_character_saved_cell_is_not_analysed_before_it_runs(tmp_path):
    path = tmp_path / "data.ipynb"
    big = huge_cell(6_000_000)
    assert len(big) >= 6_000_000
    write_notebook(path, [("c1", "a = 1"), ("c2", big), ("c3", "b = a + 1\nb")])
    with kernel_for(path) as kernel:
        done = kernel.execute("b = a + 1\nb", "c3")
        assert done.status == "ok" and done.reactive["order"] == "notebook"
        assert [(r["cell_id"], r["role"]) for r in done.reactive["ran"]] == [
            ("c1", "ancestor"), ("c3", "target")]
        assert shown(done) == "2"
        assert kernel.value("'c2' in get_ipython().kernel.engine.cells") == "False"
        assert kernel.value("get_ipython().kernel.engine.notebook.unanalysed") == "['c2']"
        again = kernel.execute("a = 2", "c1")
        assert [r["cell_id"] for r in again.reactive["ran"]] == ["c1", "c3"]
        assert reads(kernel) == 1


def test_a_long_saved_cell_runs_when_requested_and_is_known_after(tmp_path):
    path = tmp_path / "nb.ipynb"
    big = huge_cell(order.SAVED_CELL_ANALYSED + 40_000)
    write_notebook(path, [("c1", big), ("c2", "n = len(big)\nn")])
    with kernel_for(path) as kernel:
        first = kernel.execute("n = len(big)\nn", "c2")  # as after a restart in ipykernel
        assert first.status == "error" and first.reply["content"]["ename"] == "NameError"
        assert kernel.execute(big, "c1").status == "ok"
        done = kernel.execute("n = len(big)\nn", "c2")
        count = (order.SAVED_CELL_ANALYSED + 40_000) // 40
        assert shown(done) == str(count)
        rerun = kernel.execute(big + "\nbig.append(0)", "c1")  # an edit: its reader reruns
        assert [r["cell_id"] for r in rerun.reactive["ran"]] == ["c1", "c2"]
        assert kernel.value("n") == str(count + 1)


def test_a_long_cell_the_page_reports_is_analysed_only_when_it_runs():
    """The companion's ``sources`` follow the file's rule: a cell nobody ran
    that is longer than the cap is not analysed (and an unrun cell that grew
    long is not kept with its old code); once it runs it is known."""
    from reactive_kernel.core.engine import Engine
    from reactive_kernel.core.order import SAVED_CELL_ANALYSED

    long_code = "x = 1\n" + "# filler\n" * (SAVED_CELL_ANALYSED // 9 + 1)
    engine = Engine()
    engine.know_sources([("a", "k = 1"), ("b", long_code), ("c", "y = x + k")])
    assert "b" not in engine.cells and engine.cells["c"].unrun
    engine.know_sources([("b", "x = 2")])
    assert engine.cells["b"].code == "x = 2"
    engine.know_sources([("b", long_code)])
    assert "b" not in engine.cells
    engine.run("b", long_code)
    assert engine.namespace["x"] == 1 and not engine.cells["b"].unrun
