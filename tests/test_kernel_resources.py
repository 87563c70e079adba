"""Issue 21 through the real kernel: random state, files, and bindings a new
run no longer makes (the in-process cases are in tests/test_resources.py and
tests/test_gone_bindings.py)."""
from __future__ import annotations

import pytest

from tests.support.client import KernelSession


def ran(execution) -> list[str]:
    return [entry["cell_id"] for entry in execution.reactive["ran"]]


@pytest.fixture
def kernel(tmp_path):
    with KernelSession("reactive", cwd=str(tmp_path)) as session:
        yield session


def test_a_draw_edited_reruns_the_seed_and_earlier_draws(kernel):
    kernel.execute("import numpy as np\nnp.random.seed(0)", "seed")
    kernel.execute("a = float(np.random.rand())", "a")
    kernel.execute("b = float(np.random.rand())", "b")
    want = kernel.value("b")
    edit = kernel.execute("b = float(np.random.rand()) + 0", "b")
    assert ran(edit) == ["seed", "a", "b"]
    assert kernel.value("b") == want  # what Run All gives, not a third draw


def test_an_appending_cell_rerun_appends_once_and_its_reader_follows(kernel):
    kernel.execute("open('log.txt', 'w').write('start\\n')", "w")
    kernel.execute("with open('log.txt', 'a') as f:\n    f.write('more\\n')", "a")
    kernel.execute("lines = open('log.txt').read().splitlines()\nlines", "r")
    rerun = kernel.execute("with open('log.txt', 'a') as f:\n    f.write('more\\n')", "a")
    assert ran(rerun) == ["w", "a", "r"]
    assert kernel.value("lines") == "['start', 'more']"


def test_a_conditional_binding_gone_reruns_its_reader(kernel):
    kernel.execute("cond = True", "c0")
    kernel.execute("if cond:\n    pp = 1\nelse:\n    qq = 2", "c1")
    kernel.execute("t2 = pp\nt2", "c2")
    edit = kernel.execute("cond = False", "c0")
    assert ran(edit) == ["c0", "c1", "c2"]
    assert edit.reactive["stale"] == ["c2"]
    assert kernel.value("'t2' in globals()") == "False"


def test_an_equal_array_rebuilt_for_a_reader_leaves_its_shown_readers_alone(kernel):
    """Arrays and frames shown by the cells that make and read them (IPython
    keeps them in ``Out``, ``_2`` and its hidden namespace) and reused by a
    later cell: a reader's rerun rebuilds the ancestor, and its other readers
    do not rerun for an equal array (handson-ml3 tools_numpy, pydata-book ch11)."""
    for code, cell_id in [("import numpy as np\nimport pandas as pd", "imp"),
                          ("c = np.arange(12).reshape(3, 4)\nc", "mk"), ("c.sum()", "r1"),
                          ("s = pd.Series(c[0])\ns", "frame"), ("t = c * 2", "t"), ("c = np.ones(3)\nc", "later")]:
        kernel.execute(code, cell_id)
    assert ran(kernel.execute("t = c * 2", "t")) == ["mk", "t"]
    assert kernel.value("int(t.sum())") == str(2 * sum(range(12)))
    assert kernel.value("c.shape") == "(3,)"  # the later cell's array, put back


def test_an_append_through_a_helper_rerun_appends_once(kernel):
    kernel.execute("open('a.txt', 'w').write('')", "c0")
    kernel.execute("def log(path, s):\n    with open(path, 'a') as f:\n        f.write(s)", "c1")
    kernel.execute("log('a.txt', 'x')", "c2")
    kernel.execute("t = open('a.txt').read()", "c3")
    assert ran(kernel.execute("log('a.txt', 'x')", "c2")) == ["c0", "c2", "c3"]
    assert kernel.value("t") == "'x'"


def test_a_listing_reruns_when_an_edit_writes_a_new_file_into_its_directory(kernel):
    kernel.execute("import os\nos.makedirs('d', exist_ok=True)", "c1")
    kernel.execute("open('d/a.txt', 'w').write('x')", "c2")
    kernel.execute("names = sorted(os.listdir('d'))", "c3")
    edit = kernel.execute("open('d/a.txt', 'w').write('x')\nopen('d/b.txt', 'w').write('y')", "c2")
    assert ran(edit) == ["c2", "c3"]
    assert kernel.value("names") == "['a.txt', 'b.txt']"


def test_a_seed_added_above_unseeded_draws_reruns_them(kernel):
    kernel.execute("import random", "s")
    kernel.execute("a = random.random()", "a")
    edit = kernel.execute("import random\nrandom.seed(1)", "s")
    assert ran(edit) == ["s", "a"]
    assert kernel.value("a == random.Random(1).random()") == "True"


def test_a_draw_inside_a_notebook_method_reruns_the_seed_first(kernel):
    kernel.execute("import numpy as np\nnp.random.seed(0)", "seed")
    kernel.execute("class Sampler:\n    def draw(self):\n        return float(np.random.rand())", "k")
    kernel.execute("sp = Sampler()", "m")
    kernel.execute("a = sp.draw()", "a")
    want = kernel.value("a")
    rerun = kernel.execute("a = sp.draw()", "a")
    assert ran(rerun) == ["seed", "a"]
    assert kernel.value("a") == want  # Run All's draw, not the next one


def test_a_name_bound_in_a_branch_not_taken_follows_the_earlier_cell(kernel):
    kernel.execute("x = 1", "c1")
    kernel.execute("flag = False", "c0")
    kernel.execute("if flag:\n    x = 2\ny = x + 1\ny", "c2")
    edit = kernel.execute("x = 10", "c1")
    assert ran(edit) == ["c1", "c2"]
    assert kernel.value("y") == "11"
