"""Effects real notebooks have, each as the smallest cell sequence: version 1
missed or refused every one of these (semantics version 2, "Effects" and
"Reads and writes")."""
from __future__ import annotations

import numpy as np

from reactive_kernel.analysis.cells import analyze
from reactive_kernel.core.callees import Lookup, follow_calls
from reactive_kernel.core.effects import decide_effects, resolve, widen_to_aliases
from reactive_kernel.core.engine import Engine


def ran(report) -> list[str]:
    return [e.cell_id for e in report.ran]


def notebook(*cells: tuple[str, str]) -> Engine:
    e = Engine()
    for cell_id, code in cells:
        report = e.run(cell_id, code)
        assert report.error is None, report
    return e


def test_pop_in_an_assignment_is_a_mutation():
    e = notebook(("c1", "L = [3, 1, 9]"), ("c2", "last = L.pop()"), ("c3", "n = len(L)"))
    assert ran(e.run("c2", "last = L.pop()")) == ["c1", "c2", "c3"]
    assert (e.namespace["L"], e.namespace["last"], e.namespace["n"]) == ([3, 1], 9, 2)


def test_mutations_nested_in_arguments_count_for_both_objects():
    e = notebook(("c1", "L = []\nout = []"), ("c2", "out.append(L.append(1))"), ("c3", "n = len(L) + len(out)"))
    e.run("c2", "out.append(L.append(1))")
    assert e.namespace["L"] == [1] and e.namespace["out"] == [None] and e.namespace["n"] == 2


def test_a_notebook_function_that_mutates_its_parameter():
    e = notebook(("c1", "def add(l):\n    l.append(1)\n"), ("c2", "L = []"), ("c3", "add(L)"), ("c4", "n = len(L)"))
    assert ran(e.run("c3", "add(L)")) == ["c2", "c3", "c4"]
    assert e.namespace["L"] == [1] and e.namespace["n"] == 1


def test_a_function_calling_a_function_that_mutates_its_parameter():
    e = notebook(("c1", "def add(l):\n    l.append(1)\n"), ("c2", "def twice(l):\n    add(l)\n    add(l)\n"),
                 ("c3", "L = []"), ("c4", "twice(L)"))
    e.run("c4", "twice(L)")
    assert e.namespace["L"] == [1, 1]


def test_alias_mutation_reaches_the_cell_that_made_the_object():
    e = notebook(("c1", "L = [1, 2]"), ("c2", "M = L"), ("c3", "M.append(3)"), ("c4", "n = len(L)"))
    assert ran(e.run("c3", "M.append(3)")) == ["c1", "c2", "c3", "c4"]
    assert e.namespace["L"] == [1, 2, 3] and e.namespace["M"] is e.namespace["L"] and e.namespace["n"] == 3


def test_numpy_out_argument_is_a_mutation():
    e = notebook(("c0", "import numpy as np"), ("c1", "a = np.zeros(3)"), ("c2", "np.add(a, 1, out=a)"),
                 ("c3", "t = float(a.sum())"))
    assert ran(e.run("c2", "np.add(a, 1, out=a)")) == ["c1", "c2", "c3"]
    assert e.namespace["t"] == 3.0


def test_numpy_method_that_returns_a_new_array_is_not_a_mutation():
    e = notebook(("c0", "import numpy as np"), ("c1", "a = np.arange(4)"), ("c2", "b = a.reshape(2, 2)"))
    assert e.cells["c2"].names.mutations == frozenset()
    assert ran(e.run("c2", "b = a.reshape(2, 2)")) == ["c2"]


def test_pandas_inplace_always_mutates_and_plain_methods_never():
    e = notebook(("c0", "import pandas as pd"), ("c1", "df = pd.DataFrame({'a': [1.0, None]})"),
                 ("c2", "df.dropna(inplace=True)"), ("c3", "head = df.head()"), ("c4", "n = len(df)"))
    assert e.cells["c2"].names.mutations == {"df"}
    assert e.cells["c3"].names.mutations == frozenset()
    assert ran(e.run("c2", "df.dropna(inplace=True)")) == ["c1", "c2", "c3", "c4"]
    assert e.namespace["n"] == 1


def test_next_on_an_iterator_consumes_it():
    e = notebook(("c1", "it = iter([1, 2, 3])"), ("c2", "first = next(it)"), ("c3", "rest = list(it)"))
    assert ran(e.run("c2", "first = next(it)")) == ["c1", "c2", "c3"]
    assert e.namespace["first"] == 1 and e.namespace["rest"] == [2, 3]


def test_a_random_generator_changes_when_used():
    e = notebook(("c0", "import numpy as np"), ("c1", "rng = np.random.default_rng(0)"),
                 ("c2", "r = int(rng.integers(0, 100))"), ("c3", "s = int(rng.integers(0, 100))"))
    expected = np.random.default_rng(0)
    first, second = int(expected.integers(0, 100)), int(expected.integers(0, 100))
    assert ran(e.run("c2", "r = int(rng.integers(0, 100))")) == ["c1", "c2", "c3"]
    assert (e.namespace["r"], e.namespace["s"]) == (first, second)


def test_str_methods_never_mutate():
    e = notebook(("c1", "line = 'the quick fox'"))
    e.run("c2", "line.index('bear')")
    assert e.cells["c2"].names.writes == frozenset()
    e.run("c3", "n = len(line)")
    assert e.namespace["n"] == 13 and ran(e.run("c3", "n = len(line)")) == ["c3"]


def test_a_method_of_an_instance_reads_the_globals_of_its_class():
    e = notebook(("c1", "class P:\n    def val(self):\n        return k * 2\n"), ("c2", "p = P()"),
                 ("c3", "k = 1"), ("c4", "v = p.val()"))
    assert e.namespace["v"] == 2
    report = e.run("c3", "k = 5")
    assert "c4" in ran(report) and e.namespace["v"] == 10


def test_a_function_reads_a_global_its_own_cell_binds():
    e = notebook(("c1", "k = 2\ndef f():\n    return k\n"), ("c2", "y = f()"), ("c3", "k = 5"), ("c4", "z = f()"))
    assert (e.namespace["y"], e.namespace["z"]) == (2, 5)
    e.run("c1", "k = 3\ndef f():\n    return k\n")
    assert (e.namespace["y"], e.namespace["z"], e.namespace["k"]) == (3, 5, 5)


def test_functions_in_two_cells_may_call_each_other():
    e = notebook(("c1", "def is_even(n):\n    return n == 0 or is_odd(n - 1)\n"),
                 ("c2", "def is_odd(n):\n    return n != 0 and is_even(n - 1)\n"),
                 ("c3", "answer = is_even(10)"))
    assert e.namespace["answer"] is True


def test_a_global_written_by_a_function_belongs_to_the_cells_that_call_it():
    e = notebook(("c1", "n = 0"), ("c2", "def bump():\n    global n\n    n = n + 1\n"))
    assert e.namespace["n"] == 0
    e.run("c2", "def bump():\n    global n\n    n = n + 1\n")  # never called: n stays
    assert e.namespace["n"] == 0
    e.run("c3", "bump()")
    assert e.cells["c3"].names.writes >= {"n"}
    e.run("c3", "bump()")  # rerun: n is rebuilt first, bumped once
    assert e.namespace["n"] == 1


def test_a_builtin_shadowed_by_a_later_cell_is_the_builtin_before_it():
    e = notebook(("c1", "total = sum([1, 2])"), ("c2", "sum = 5"))
    assert ran(e.run("c1", "total = sum([1, 2])")) == ["c1"]
    assert e.namespace["total"] == 3 and e.namespace["sum"] == 5


def test_a_star_import_and_its_names_in_the_same_cell():
    e = notebook(("c1", "from math import *\nx = sqrt(16)"), ("c2", "y = floor(2.5)"))
    assert (e.namespace["x"], e.namespace["y"]) == (4.0, 2)
    assert "floor" in e.cells["c1"].names.writes  # found at run time


def test_a_deliberately_failing_cell_runs_once_in_a_run_all():
    e = Engine()
    runs = []
    e.namespace["note"] = runs.append
    for cell_id, code in [("c1", "note('c1')\nx = 1 / 0"), ("c2", "y = x + 1"), ("c3", "z = x * 2"),
                          ("c4", "w = 5")]:
        e.run(cell_id, code)
    assert runs == ["c1"]
    assert e.namespace["w"] == 5


def test_setting_a_modules_options_is_not_a_mutation_of_the_module():
    # corpus: pydata-book sets pd.options.display.max_rows in its first cell and
    # resets it at the end; every pandas cell depended on both, and rerunning
    # any one cell reran 99 (ch11) to 140 (ch05) cells
    e = notebook(("c1", "import json\njson.custom_option = 20"), ("c2", "s = json.dumps([1])"),
                 ("c3", "json.custom_option = 10"))
    assert e.cells["c1"].names.mutations == frozenset()
    assert ran(e.run("c2", "s = json.dumps([1])")) == ["c2"]


# -- the phases of resolve, on one cell's analysis and a namespace --------------------------
def test_following_a_call_reads_the_functions_free_names_from_the_cells_position():
    helper = analyze("def g():\n    global n\n    n = k + m\n").functions["g"]
    names = analyze("k = 1\ng()")
    followed = follow_calls(names, Lookup({}, {"g": helper}.get, names.functions))
    assert {"g", "m"} <= followed.reads and "k" not in followed.reads
    assert {"k", "n"} <= followed.binds


def test_deciding_effects_uses_the_type_each_name_holds():
    names = analyze("a.pop()\ns.index('x')\nx = []\nx.append(1)")
    namespace = {"a": [1], "s": "text", "x": [2]}
    lookup = Lookup(namespace, lambda name: None, names.functions)
    assert decide_effects(names.effects, names.bindings, lookup) == {"a"}


def test_an_argument_is_judged_inside_the_notebook_function_it_is_passed_to():
    add = analyze("def add(box, v):\n    box.append(v)\n").functions["add"]
    names = analyze("add(L, t)")
    lookup = Lookup({"L": [], "t": ()}, {"add": add}.get, names.functions)
    assert decide_effects(names.effects, names.bindings, lookup) == {"L"}


def test_a_mutation_widens_to_the_other_names_of_the_object_but_not_to_the_cells_own():
    shared = []
    namespace = {"a": shared, "b": shared, "c": shared}
    widened = widen_to_aliases({"a"}, frozenset({"c"}), namespace, lambda value: ["a", "b", "c"])
    assert widened == {"b"}


def test_resolve_puts_the_phases_together():
    shared = []
    names = analyze("a.append(1)")
    resolved = resolve(names, {"a": shared, "b": shared}, lambda name: None,
                       lambda value: ["a", "b"] if value is shared else [])
    assert (resolved.mutations, resolved.writes) == ({"a", "b"}, {"a", "b"})
    assert resolved.reads == {"a", "b"}
