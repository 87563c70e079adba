"""Minimal reproductions of bugs found by tests/test_effect_properties.py.

Each test states what Restart & Run All gives (spec version 2); each failed
before the engine fix it is named after.
"""
from __future__ import annotations



from reactive_kernel.core.engine import Engine
from tests.support.notebook_file import write_notebook

def save(engine: Engine, path, cells: list[tuple[str, str]]) -> None:
    """Write the session's notebook file with ``cells`` (id, code) in page order."""
    write_notebook(path, cells)
    engine.set_notebook(str(path))


def ran(report) -> list[str]:
    return [entry["cell_id"] for entry in report.to_json()["ran"]]


def run_cells(engine: Engine, cells: list[tuple[str, str]]) -> None:
    for cell_id, code in cells:
        report = engine.run(cell_id, code)
        assert report.to_json()["error"] is None


def test_move_writer_below_other_writer(tmp_path):
    e = Engine()
    run_cells(e, [("c1", "x = 1"), ("c2", "x = 2"), ("c3", "y = 0")])
    save(e, tmp_path / "nb.ipynb", [("c2", "x = 2"), ("c1", "x = 1"), ("c3", "y = 0")])
    e.run("c3", "y = 0")  # any request rereads the file
    assert e.stale_cells() == [] or e.stale_cells() == ["c1"]
    for cell in e.stale_cells():
        e.run(cell, "x = 1")
    assert e.namespace["x"] == 1  # run-all: c2 then c1


def test_generator_shuffle_mutates_its_argument():
    e = Engine()
    cells = [("c0", "import numpy as np"), ("c1", "L = [0, 1, 2]"),
             ("c2", "rng = np.random.default_rng(0)"), ("c3", "rng.shuffle(L)"), ("c4", "n = L[0]")]
    run_cells(e, cells)
    report = e.run("c3", "rng.shuffle(L)")
    assert ran(report) == ["c1", "c2", "c3", "c4"]
    assert e.namespace["L"] == [2, 0, 1]  # np.random.default_rng(0).shuffle([0, 1, 2])
    assert e.namespace["n"] == 2


def test_new_cell_not_placed_at_deleted_cells_place(tmp_path):
    e = Engine()
    e.run("c1", "L = [1]")
    save(e, tmp_path / "nb.ipynb", [("c2", "L = [2]"), ("c1", "L = [1]")])
    e.run("c2", "L = [2]")
    e.forget(["c2"])
    e.run("c1", "L = [1]")
    e.run("c3", "L = [2]")  # added at the end, same code as the deleted cell
    assert e.graph.sequence() == ["c1", "c3"]
    assert e.namespace["L"] == [2]  # run-all: c1, c3


def test_descendant_reads_value_of_writer_between():
    e = Engine()
    run_cells(e, [("c1", "a = 1\nb = 1"), ("c2", "a = 2"), ("c3", "y = a + b")])
    report = e.run("c1", "a = 1\nb = 10")
    assert "c3" in ran(report)
    assert e.namespace["a"] == 2
    assert e.namespace["y"] == 12  # run-all: a from c2, b from c1


def test_function_global_read_from_cell_between():
    e = Engine()
    run_cells(e, [("c1", "G = 2\ndef scaled(x):\n    return x * G\n"), ("c2", "G = 5"),
                  ("c3", "m = scaled(3)")])
    assert e.namespace["m"] == 15
    e.run("c1", "G = 2\ndef scaled(x):\n    return x * G\n")
    assert e.namespace["G"] == 5
    assert e.namespace["m"] == 15


def test_mutating_element_taken_from_container():
    e = Engine()
    run_cells(e, [("c1", "d = {'k': [1]}"), ("c2", "v = d['k']"), ("c3", "v.append(2)"),
                  ("c4", "n = len(d['k'])")])
    report = e.run("c3", "v.append(2)")
    assert ran(report) == ["c1", "c2", "c3", "c4"]
    assert e.namespace["d"] == {"k": [1, 2]}
    assert e.namespace["n"] == 2


def test_mutating_numpy_view():
    e = Engine()
    run_cells(e, [("c0", "import numpy as np"), ("c1", "a = np.array([3, 1, 2])"), ("c2", "b = a[:2]"),
                  ("c3", "b[0] += 5"), ("c4", "t = int(a.sum())")])
    report = e.run("c3", "b[0] += 5")
    assert ran(report) == ["c1", "c2", "c3", "c4"]
    assert e.namespace["a"].tolist() == [8, 1, 2]
    assert e.namespace["t"] == 11


def test_container_holding_an_object_another_cell_mutates():
    # corpus: scikit-learn plot_target_encoder_cross_val (a pipeline holds `ridge`,
    # refitted later); smallest form
    e = Engine()
    run_cells(e, [("c1", "L = [1]"), ("c2", "box = {'inner': L}"), ("c3", "n = len(box['inner'])"),
                  ("c4", "L.append(2)")])
    report = e.run("c3", "n = len(box['inner'])")
    assert e.namespace["n"] == 1  # run-all: c3 runs before c4 appends
    assert e.namespace["L"] == [1, 2] and e.namespace["box"] == {"inner": [1, 2]}
    assert ran(report) == ["c1", "c2", "c3", "c4"]


def test_reader_of_a_value_a_failed_cell_left_runs_as_under_ipykernel():
    # corpus: pydata ch02/ch03/ch05, handson tools_matplotlib
    e = Engine()
    e.run("c1", "a = 'this is a string'\na[10] = 'f'")  # TypeError after binding a
    report = e.run("c2", "b = a.upper()")
    assert [(r.cell_id, r.status) for r in report.ran] == [("c2", "ok")]
    assert e.namespace["b"] == "THIS IS A STRING"
    # a value the failed cell did not get to bind is still missing: cancelled, naming it
    e.run("c3", "x = 1 / 0\nz = 5")
    report = e.run("c4", "w = z + 1")
    assert [(r.cell_id, r.status) for r in report.ran] == [("c4", "cancelled")]


def test_object_held_deep_inside_another_cells_object():
    # corpus: scikit-learn plot_target_encoder_cross_val: a pipeline holds
    # `ridge` in a list of tuples; a later cell refits ridge
    e = Engine()
    run_cells(e, [
        ("c0", "class Pipe:\n    def __init__(self, *steps):\n        self.steps = [(str(i), s) for i, s in enumerate(steps)]\n"),
        ("c1", "ridge = {'coef': 1}"),
        ("c2", "pipe = Pipe('enc', ridge)"),
        ("c3", "coef = pipe.steps[-1][1]['coef']"),
        ("c4", "ridge['coef'] = 2"),
    ])
    report = e.run("c3", "coef = pipe.steps[-1][1]['coef']")
    assert e.namespace["coef"] == 1  # run-all: c3 reads before c4 changes ridge
    assert e.namespace["ridge"] == {"coef": 2}
    assert ran(report) == ["c1", "c2", "c3", "c4"]


def test_readers_of_a_binding_a_failed_rerun_did_not_make_are_cancelled():
    # corpus: learn-python3 03_conditionals_exercise (`if ____: x = ...` fails)
    e = Engine()
    run_cells(e, [("c2", "if undefined_guard:\n    size = 'long'"), ("c3", "ok = size == 'long'")])
    report = e.run("c2", "if undefined_guard:\n    size = 'long'")
    assert [(r["cell_id"], r["status"]) for r in report.to_json()["ran"]] == [
        ("c2", "error"), ("c3", "cancelled")]
