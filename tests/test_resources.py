"""Issue 21: hidden random state and files are graph resources (spec 2.1).

The global generators of ``random`` and ``numpy.random`` and the files a cell
writes or reads are state no name holds.  Each test runs the smallest cell
sequence in its own directory, edits or reruns a cell, checks which cells
ran, and compares with a fresh Run All of the same cells in a fresh directory
(file contents included).
"""
from __future__ import annotations

import os
import random

import numpy as np
import pytest

from reactive_kernel.core.engine import Engine
from reactive_kernel.core.resources import file_name
from tests.test_needless_reruns import assert_run_all, ran, run_cells


def _user(namespace) -> dict:
    return {k: v for k, v in namespace.items()
            if not k.startswith("_") and type(v).__name__ not in ("module", "function", "type")}


def _files() -> dict:
    return {p: open(p, "rb").read() for p in sorted(os.listdir(".")) if os.path.isfile(p)}


def assert_like_run_all(engine: Engine, cells, tmp_path) -> None:
    """Values (numpy arrays by content) and files equal a fresh Run All's."""
    here = os.getcwd()
    got_values, got_files = _user(engine.namespace), _files()
    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    os.chdir(fresh_dir)
    try:
        fresh = Engine()
        run_cells(fresh, cells)
        want_values, want_files = _user(fresh.namespace), _files()
    finally:
        os.chdir(here)
    assert engine.stale_cells() == []
    assert got_values.keys() == want_values.keys()
    for name, want in want_values.items():
        got = got_values[name]
        if isinstance(want, np.ndarray):
            assert np.array_equal(got, want), name
        elif isinstance(want, (int, float, str, bool, list, tuple, dict)):
            assert got == want, name
    assert got_files == want_files


@pytest.fixture(autouse=True)
def directory(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    state = random.getstate(), np.random.get_state()
    yield work
    random.setstate(state[0])
    np.random.set_state(state[1])


def edit(cells, cell_id, code):
    return [(c, code if c == cell_id else src) for c, src in cells]


# -- random state -----------------------------------------------------------------------
RANDOM = [("seed", "import random\nrandom.seed(1)"), ("a", "a = random.random()"),
          ("b", "b = random.random()"), ("c", "c = a + b")]


def test_editing_a_draw_reruns_the_seed_and_earlier_draws_first(tmp_path):
    e = Engine()
    run_cells(e, RANDOM)
    cells = edit(RANDOM, "b", "b = random.random() * 10")
    assert ran(e.run("b", cells[2][1])) == ["seed", "a", "b", "c"]
    assert_like_run_all(e, cells, tmp_path)


def test_rerunning_a_draw_unchanged_gives_the_run_all_value(tmp_path):
    e = Engine()
    run_cells(e, RANDOM)
    before = e.namespace["b"]
    e.run("b", RANDOM[2][1])
    assert e.namespace["b"] == before
    assert_like_run_all(e, RANDOM, tmp_path)


def test_editing_the_seed_reruns_every_draw(tmp_path):
    e = Engine()
    run_cells(e, RANDOM)
    cells = edit(RANDOM, "seed", "import random\nrandom.seed(2)")
    assert ran(e.run("seed", cells[0][1])) == ["seed", "a", "b", "c"]
    assert_like_run_all(e, cells, tmp_path)


def test_a_draw_before_a_seed_is_not_its_input(tmp_path):
    """Editing the early draw reruns its seed, not the seed below nor the
    draws after that one: they read nothing the edit changed, and the state
    the last draw left comes back at the end, where Run All leaves the
    generator (issue 21: a later re-seeding cell and its draws used to rerun)."""
    cells = [("s0", "import random\nrandom.seed(9)"), ("early", "x = random.random()"),
             ("seed", "random.seed(3)"), ("a", "a = random.random()"), ("r", "z = a + 1")]
    e = Engine()
    run_cells(e, cells)
    assert "random:random" not in e.graph.names["seed"].reads
    assert ran(e.run("early", "x = random.random() + 1")) == ["s0", "early"]
    after = random.getstate()
    edited = edit(cells, "early", "x = random.random() + 1")
    assert_like_run_all(e, edited, tmp_path)
    assert random.getstate() == after  # Run All's final state (assert_like_run_all ran it last)
    assert ran(e.run("a", cells[3][1])) == ["seed", "a"]  # still its seed's draw
    (tmp_path / "again").mkdir()
    assert_like_run_all(e, edited, tmp_path / "again")


def test_an_unseeded_draw_above_a_seed_leaves_the_seeded_state(tmp_path):
    """No seed above the draw, one below: rerunning the draw moves the
    generator that seed set, which Run All leaves at the seed's state.  The
    seed's state comes back after the draw: a draw that comes to read that
    seed (the cells moved) gets Run All's value (found by the resource
    property tests: the draw moved above the seed, then below it again)."""
    cells = [("c0", "import numpy as np"), ("a", "a = np.random.rand(3)"), ("s", "np.random.seed(0)"),
             ("b", "b = np.random.rand(3)")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("a", cells[1][1])) == ["a"]
    after_rerun = np.random.get_state()
    run_cells(Engine(), cells)
    run_all = np.random.get_state()  # where Run All leaves it
    assert np.array_equal(after_rerun[1], run_all[1]) and after_rerun[2] == run_all[2]


def test_from_import_shuffle_draws(tmp_path):
    cells = [("seed", "import random\nfrom random import shuffle\nrandom.seed(0)"),
             ("s1", "L = list(range(8))\nshuffle(L)"), ("s2", "M = list(range(8))\nshuffle(M)")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("s2", cells[2][1])) == ["seed", "s1", "s2"]
    assert_like_run_all(e, cells, tmp_path)


NUMPY = [("np", "import numpy as np\nnp.random.seed(0)"), ("x", "x = np.random.rand(3)"),
         ("y", "y = np.random.normal(size=2)")]


def test_numpy_global_generator(tmp_path):
    e = Engine()
    run_cells(e, NUMPY)
    assert ran(e.run("y", NUMPY[2][1])) == ["np", "x", "y"]
    assert_like_run_all(e, NUMPY, tmp_path)


def test_a_generator_object_is_a_value_not_the_global_state(tmp_path):
    cells = [("np", "import numpy as np\nnp.random.seed(0)"), ("g", "rng = np.random.default_rng(5)"),
             ("x", "x = np.random.rand(2)"), ("r", "r = rng.random()")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("r", cells[3][1])) == ["g", "r"]  # rng rebuilt, the global state untouched
    assert_like_run_all(e, cells, tmp_path)


def test_sklearn_draws_from_the_global_generator_unless_given_a_random_state(tmp_path):
    setup = ("import numpy as np\nfrom sklearn.model_selection import train_test_split\n"
             "from sklearn.tree import DecisionTreeClassifier\n"
             "X = np.arange(40).reshape(20, 2)\ny = np.arange(20) % 2")
    cells = [("setup", setup), ("seed", "np.random.seed(0)"), ("split", "Xa, Xb, ya, yb = train_test_split(X, y)"),
             ("fixed", "Fa, Fb, fa, fb = train_test_split(X, y, random_state=1)"),
             ("tree", "t = DecisionTreeClassifier(max_features=1).fit(Xa, ya)\nd = t.tree_.threshold.tolist()")]
    e = Engine()
    run_cells(e, cells)
    assert "random:numpy" in e.graph.names["split"].mutations
    assert "random:numpy" not in e.graph.names["fixed"].reads
    assert "random:numpy" in e.graph.names["tree"].mutations
    e.run("model", "clf = DecisionTreeClassifier()\nclf.fit(Xa, ya)\nkept = DecisionTreeClassifier(random_state=0)\n"
                   "kept.fit(Xa, ya)")
    assert "random:numpy" in e.graph.names["model"].mutations  # clf's random_state is None
    e.run("model", "kept = DecisionTreeClassifier(random_state=0)\nkept.fit(Xa, ya)")
    assert "random:numpy" not in e.graph.names["model"].reads
    e.run("model", "")
    assert ran(e.run("tree", cells[4][1])) == ["seed", "split", "tree"]
    assert_like_run_all(e, cells, tmp_path)


def test_reseeding_in_the_same_cell_reads_nothing_before_it(tmp_path):
    cells = [("d", "import random\nrandom.seed(8)\nz = random.random()"),
             ("s", "random.seed(4)\nw = random.random()")]
    e = Engine()
    run_cells(e, cells)
    assert "random:random" not in e.graph.names["s"].reads
    assert ran(e.run("s", cells[1][1])) == ["s"]
    assert_like_run_all(e, cells, tmp_path)


# -- files -----------------------------------------------------------------------------
def test_editing_a_writer_reruns_the_reader(tmp_path):
    cells = [("w", "open('f.txt', 'w').write('a')"), ("r", "t = open('f.txt').read()")]
    e = Engine()
    run_cells(e, cells)
    cells = edit(cells, "w", "open('f.txt', 'w').write('b')")
    assert ran(e.run("w", cells[0][1])) == ["w", "r"]
    assert e.namespace["t"] == "b"
    assert_like_run_all(e, cells, tmp_path)


def test_writing_the_same_bytes_again_is_no_change(tmp_path):
    cells = [("w", "open('f.txt', 'w').write('a')"), ("r", "t = open('f.txt').read()")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("w", cells[0][1])) == ["w"]


def test_an_appending_cell_never_appends_twice(tmp_path):
    cells = [("w", "with open('log.txt', 'w') as f:\n    f.write('start\\n')"),
             ("a", "with open('log.txt', 'a') as f:\n    f.write('more\\n')"),
             ("r", "lines = open('log.txt').read().splitlines()")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("a", cells[1][1])) == ["w", "a", "r"]
    assert e.namespace["lines"] == ["start", "more"]
    cells = edit(cells, "a", "with open('log.txt', 'a') as f:\n    f.write('other\\n')")
    e.run("a", cells[1][1])
    assert e.namespace["lines"] == ["start", "other"]
    assert_like_run_all(e, cells, tmp_path)


def test_a_frame_appended_to_a_csv_is_never_appended_twice(tmp_path):
    cells = [("w", "import pandas as pd\ndf = pd.DataFrame({'a': [1]})\ndf.to_csv('o.csv', index=False)"),
             ("a", "df.to_csv('o.csv', mode='a', header=False, index=False)"),
             ("r", "n = len(pd.read_csv('o.csv'))")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("a", cells[1][1])) == ["w", "a", "r"]  # rebuilt, then appended to
    assert open("o.csv").read() == "a\n1\n1\n" and e.namespace["n"] == 2
    assert_like_run_all(e, cells, tmp_path)


@pytest.mark.parametrize("move", ["import os\nos.rename('x1.txt', 'x2.txt')",
                                  "import shutil\nshutil.move('x1.txt', 'x2.txt')",
                                  "from pathlib import Path\nPath('x1.txt').replace('x2.txt')",
                                  "import os\nos.remove('x1.txt')"])
def test_rerunning_a_cell_that_moves_or_removes_a_file_makes_it_first(tmp_path, move):
    cells = [("w", "open('x1.txt', 'w').write('a')"), ("m", move),
             ("r", "import os\nthere = sorted(os.listdir('.'))")]
    e = Engine()
    run_cells(e, cells)
    report = e.run("m", move)
    assert ran(report)[:2] == ["w", "m"] and {x["status"] for x in report.to_json()["ran"]} == {"ok"}
    assert_like_run_all(e, cells, tmp_path)


def test_deleting_a_file_reruns_its_readers(tmp_path):
    cells = [("w", "from pathlib import Path\nPath('g.txt').write_text('x')"),
             ("rm", "import os\nos.remove('g.txt')"),
             ("r", "there = os.path.exists('g.txt')")]
    e = Engine()
    run_cells(e, cells)
    assert e.namespace["there"] is False
    cells = edit(cells, "rm", "import os")
    assert ran(e.run("rm", cells[1][1])) == ["w", "rm", "r"]  # the file comes back first
    assert e.namespace["there"] is True
    assert_like_run_all(e, cells, tmp_path)


def test_pandas_and_numpy_files_through_names_of_paths(tmp_path):
    cells = [("p", "import numpy as np\nimport pandas as pd\nPATH = 'data.csv'\nARR = 'a.npy'"),
             ("w", "pd.DataFrame({'n': [1, 2]}).to_csv(PATH, index=False)\nnp.save(ARR, np.arange(3))"),
             ("r", "total = int(pd.read_csv(PATH).n.sum())"), ("q", "s = int(np.load(ARR).sum())")]
    e = Engine()
    run_cells(e, cells)
    assert e.graph.provider("r", file_name("data.csv")) == "w"
    assert e.graph.provider("q", file_name("a.npy")) == "w"
    cells = edit(cells, "w", "pd.DataFrame({'n': [1, 5]}).to_csv(PATH, index=False)\nnp.save(ARR, np.arange(4))")
    assert ran(e.run("w", cells[1][1])) == ["w", "r", "q"]
    assert (e.namespace["total"], e.namespace["s"]) == (6, 6)
    assert_like_run_all(e, cells, tmp_path)


def test_a_computed_path_is_not_seen(tmp_path):
    """Documented: an f-string path is no graph name (its reader does not rerun)."""
    cells = [("w", "n = 1\nopen(f'out{n}.txt', 'w').write('a')"), ("r", "t = open('out1.txt').read()")]
    e = Engine()
    run_cells(e, cells)
    assert e.graph.provider("r", file_name("out1.txt")) is None


def test_a_clean_rerun_never_removes_a_file(tmp_path):
    cells = [("w", "open('keep.txt', 'w').write('a')")]
    e = Engine()
    run_cells(e, cells)
    e.run("w", "x = 1")
    assert os.path.exists("keep.txt")


# -- through notebook functions ----------------------------------------------------------
def test_a_file_read_inside_a_notebook_function_is_the_callers(tmp_path):
    cells = [("w", "open('in.txt', 'w').write('1')"),
             ("d", "def load():\n    with open('in.txt') as f:\n        return f.read()"),
             ("r", "v = load()")]
    e = Engine()
    run_cells(e, cells)
    assert e.graph.provider("r", file_name("in.txt")) == "w"
    cells = edit(cells, "w", "open('in.txt', 'w').write('2')")
    assert ran(e.run("w", cells[0][1])) == ["w", "r"]
    assert e.namespace["v"] == "2"
    assert_like_run_all(e, cells, tmp_path)


def test_a_draw_inside_a_function_calling_a_function_is_the_callers(tmp_path):
    cells = [("s", "import random\nrandom.seed(5)"),
             ("d", "def noise():\n    return random.random()\ndef twice():\n    return noise() + noise()"),
             ("a", "a = twice()"), ("b", "b = twice()")]
    e = Engine()
    run_cells(e, cells)
    assert "random:random" in e.graph.names["a"].mutations
    assert ran(e.run("b", cells[3][1])) == ["s", "a", "b"]
    assert_like_run_all(e, cells, tmp_path)


def test_an_unseeded_draw_is_no_edge(tmp_path):
    """No cell seeds the generator: every run draws anew (Run All's too), so
    rerunning a draw does not rebuild the draws above it."""
    cells = [("a", "import numpy as np\nx = np.random.rand(3)"), ("b", "y = np.random.rand(2)"),
             ("c", "z = y.sum()")]
    e = Engine()
    run_cells(e, cells)
    assert "random:numpy" not in e.graph.names["b"].reads
    assert ran(e.run("b", cells[1][1])) == ["b", "c"]
    e.run("s", "np.random.seed(1)")  # a seeding cell, below: still nothing above b
    assert ran(e.run("b", cells[1][1])) == ["b", "c"]


def test_a_seed_added_above_unseeded_draws_reruns_them():
    """The draws below were no edges (unseeded); once a cell above seeds
    the generator they read it: Run All's values are the seeded ones."""
    cells = [("s", "import random"), ("a", "a = random.random()"), ("b", "b = random.random()"),
             ("c", "z = b * 2")]
    e = Engine()
    run_cells(e, cells)
    seeded = "import random\nrandom.seed(1)"
    assert ran(e.run("s", seeded)) == ["s", "a", "b", "c"]
    assert_run_all(e, [("s", seeded), *cells[1:]])


def test_a_seed_removed_leaves_the_draws_unseeded(tmp_path):
    cells = [("s", "import random\nrandom.seed(1)"), ("a", "a = random.random()"), ("b", "b = random.random()")]
    e = Engine()
    run_cells(e, cells)
    assert "random:random" in e.graph.names["b"].reads
    assert ran(e.run("s", "import random")) == ["s"]
    assert e.stale_cells() == []  # their seeded values are as good as any unseeded draw
    assert ran(e.run("b", cells[2][1])) == ["b"]


def test_an_append_inside_a_helper_given_the_path_is_an_append():
    """The helper's ``open(path, 'a')`` opens what its caller passes: the
    call ``log('a.txt', 'x')`` appends to ``a.txt``, so a rerun rebuilds the
    file first instead of appending twice."""
    cells = [("c0", "open('a.txt', 'w').write('')"),
             ("c1", "def log(path, s):\n    with open(path, 'a') as f:\n        f.write(s)"),
             ("c2", "log('a.txt', 'x')"), ("c3", "t = open('a.txt').read()")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("c2", cells[2][1])) == ["c0", "c2", "c3"]
    assert open("a.txt").read() == "x" and e.namespace["t"] == "x"


def test_a_draw_inside_a_helper_on_its_parameter_reads_the_global_generator():
    """``d.sample(2)`` in ``pick(df)`` samples ``df``: a draw from numpy's
    global generator, so rerunning the second pick replays the first."""
    cells = [("c1", "import numpy as np\nimport pandas as pd\nnp.random.seed(0)\ndf = pd.DataFrame({'a': range(10)})"),
             ("c2", "def pick(d):\n    return d.sample(2).a.tolist()"), ("c3", "p1 = pick(df)"), ("c4", "p2 = pick(df)")]
    fresh = Engine()
    run_cells(fresh, cells)
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("c4", cells[3][1])) == ["c1", "c3", "c4"]
    assert e.namespace["p1"] == fresh.namespace["p1"] and e.namespace["p2"] == fresh.namespace["p2"]


@pytest.mark.parametrize("listing", ["names = sorted(os.listdir('d'))",
                                     "import glob\nnames = sorted(os.path.basename(p) for p in glob.glob('d/*.txt'))"])
def test_a_listing_sees_a_file_an_edit_writes_into_its_directory(listing):
    """A listing (a directory, a pattern) reads every file the notebook
    writes into it: an edit that writes a new file there reruns it."""
    cells = [("c1", "import os\nos.makedirs('d', exist_ok=True)"), ("c2", "open('d/a.txt', 'w').write('x')"),
             ("c3", "import os\n" + listing)]
    e = Engine()
    run_cells(e, cells)
    edited = "open('d/a.txt', 'w').write('x')\nopen('d/b.txt', 'w').write('y')"
    assert ran(e.run("c2", edited)) == ["c2", "c3"]
    assert e.namespace["names"] == ["a.txt", "b.txt"]


def test_a_listing_of_the_working_directory_reads_the_files_written_there():
    cells = [("c1", "open('a.txt', 'w').write('x')"), ("c2", "import os\nnames = sorted(os.listdir('.'))")]
    e = Engine()
    run_cells(e, cells)
    assert "file:a.txt" in e.graph.names["c2"].reads
    assert ran(e.run("c1", "open('a.txt', 'w').write('x')\nopen('b.txt', 'w').write('y')")) == ["c1", "c2"]
    assert e.namespace["names"] == ["a.txt", "b.txt"]


# -- draws and files inside a notebook class's methods ------------------------------------
SEEDED = ("s", "import numpy as np\nnp.random.seed(0)")


@pytest.mark.parametrize("cells, rerun", [
    pytest.param([("k", "class M:\n    def draw(self):\n        return np.random.rand()"), ("m", "m = M()"),
                  ("a", "a = m.draw()")], "a", id="an-instance's-method"),
    pytest.param([("k", "class M:\n    def __init__(self):\n        self.v = np.random.rand()"),
                  ("a", "a = M().v")], "a", id="the-constructor"),
    pytest.param([("k", "class M:\n    @staticmethod\n    def draw():\n        return np.random.rand()"),
                  ("a", "a = M.draw()")], "a", id="a-static-method"),
    pytest.param([("k", "class A:\n    def draw(self):\n        return self.inner()\n"
                        "    def inner(self):\n        return np.random.rand()\nclass B(A):\n    pass"),
                  ("m", "m = B()"), ("a", "a = m.draw()")], "a", id="a-base-class's-method-through-self"),
    pytest.param([("k", "class M:\n    def draw(self):\n        return np.random.rand()"),
                  ("u", "def use(o):\n    return o.draw()"), ("m", "m = M()"), ("a", "a = use(m)")], "a",
                 id="a-function-given-the-instance"),
])
def test_a_draw_inside_a_notebook_class_reads_the_seeded_generator(cells, rerun, tmp_path):
    """Rerunning the cell whose method call draws reruns the seed first (its
    last run moved the generator), so it draws Run All's value; the draw
    after it would start from the state its last run started from, so it
    keeps its value, and the generator ends in Run All's state."""
    cells = [SEEDED, *cells, ("b", "b = np.random.rand()")]
    e = Engine()
    run_cells(e, cells)
    steps = ran(e.run(rerun, dict(cells)[rerun]))
    assert steps[0] == "s" and steps[-1] == rerun and "b" not in steps
    assert_like_run_all(e, cells, tmp_path)


def test_a_constructor_is_not_a_draw_when_only_another_method_draws():
    cells = [SEEDED, ("k", "class M:\n    def draw(self):\n        return np.random.rand()"), ("m", "m = M()")]
    e = Engine()
    run_cells(e, cells)
    assert "random:numpy" not in e.graph.names["m"].reads | e.graph.names["m"].writes


def test_an_append_inside_a_notebook_method_is_an_append(tmp_path):
    cells = [("c0", "open('f.txt', 'w').write('x')"),
             ("k", "class Log:\n    def add(self, s):\n        with open('f.txt', 'a') as f:\n            f.write(s)"),
             ("m", "log = Log()"), ("c", "log.add('y')"), ("r", "t = open('f.txt').read()")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("c", cells[3][1])) == ["c0", "c", "r"]
    assert e.namespace["t"] == "xy"
    assert_like_run_all(e, cells, tmp_path)


def test_a_method_of_an_instance_made_in_place_is_followed(tmp_path):
    """``Logger().add('z')`` appends as ``log.add('z')`` does (found by the
    resource property tests: rewriting the file did not rerun the append)."""
    cells = [("c0", "open('f.txt', 'w').write('0')"),
             ("k", "class Logger:\n    def add(self, s):\n        with open('f.txt', 'a') as fh:\n            fh.write(s)"),
             ("c", "Logger().add('z')")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("c0", cells[0][1])) == ["c0", "c"]
    assert open("f.txt").read() == "0z"
    assert_like_run_all(e, cells, tmp_path)


def test_a_draw_after_a_replayed_draw_reruns_only_when_its_state_moved(tmp_path):
    """Found on the corpus (pydata-book ch11: rerunning a draw reran every
    later draw of the notebook, and a failing one among them cancelled the
    rest): the draws after a rerun draw start from the state their last run
    started from when the rerun draws as much as before, so they keep their
    values and the generator's state comes back; when it draws more, they
    rerun from the new state."""
    cells = [SEEDED, ("a", "x = np.random.rand()"), ("b", "y = np.random.rand()"), ("c", "z = y + 1"),
             ("d", "w = np.random.rand(2)")]
    edited = [*cells[:1], ("a", "x = np.random.rand(2)[1]"), *cells[2:]]
    e = Engine()
    run_cells(e, cells)
    for cell_id, code, expected, page in [("a", cells[1][1], ["s", "a"], cells),
                                          ("a", edited[1][1], ["s", "a", "b", "c", "d"], edited),
                                          ("b", cells[2][1], ["s", "a", "b"], edited)]:
        assert ran(e.run(cell_id, code)) == expected
        state = np.random.get_state()[1].copy()
        got = {k: np.asarray(e.namespace[k]).tolist() for k in "xyzw"}
        fresh = Engine()
        run_cells(fresh, page)
        assert got == {k: np.asarray(fresh.namespace[k]).tolist() for k in "xyzw"}
        assert (state == np.random.get_state()[1]).all()
