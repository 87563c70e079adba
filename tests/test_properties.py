"""The promise, as a property: after any sequence of runs, edits and
deletions, once no cell is stale, every user-visible name holds the value
that "restart and run all cells once, in kernel order" gives it.

Notebooks are generated so that every cell is deterministic and, when it is
generated or edited, reads only names that cells before it in kernel order
write (so a fresh run-all normally succeeds).  Later edits, renames and
deletions may still break a reader (a rename makes its readers fail with
NameError, as the semantics require); then run-all itself raises and the
promise says nothing about that state, so only liveness is not checked there.
"""
from __future__ import annotations

import os
import types

from hypothesis import HealthCheck, event, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from reactive_kernel.analysis.names import is_graph_name
from reactive_kernel.core.engine import Engine
from tests.support.notebook_file import run_all

MAX_EXAMPLES = int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "300"))

settings.register_profile(
    "reactive-engine",
    max_examples=MAX_EXAMPLES,
    stateful_step_count=int(os.environ.get("HYPOTHESIS_STEPS", "10")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

NUMS = ["a", "b", "c", "d"]
LISTS = ["lst", "items"]
DICTS = ["dct"]
FUNCS = ["f", "g"]
MODULES = ["math", "json"]


def canon(value):
    """A deterministic representation, equal for equal notebook values."""
    if isinstance(value, types.FunctionType):
        code = value.__code__
        return ("function", value.__name__, code.co_code, code.co_consts, code.co_names)
    if isinstance(value, types.ModuleType):
        return ("module", value.__name__)
    if isinstance(value, list):
        return ("list", [canon(v) for v in value])
    if isinstance(value, dict):
        return ("dict", sorted((repr(k), canon(v)) for k, v in value.items()))
    return ("value", repr(value))


def user_state(namespace) -> dict:
    return {k: canon(v) for k, v in namespace.items() if is_graph_name(k)}


@st.composite
def cell_code(draw, available: dict[str, str]):
    """Code of one deterministic cell reading only ``available`` names
    (name -> kind: num, list, dict, func, module)."""
    nums = [n for n, k in available.items() if k == "num"]
    lists = [n for n, k in available.items() if k == "list"]
    dicts = [n for n, k in available.items() if k == "dict"]
    funcs = [n for n, k in available.items() if k == "func"]
    mods = [n for n, k in available.items() if k == "module"]
    k = draw(st.integers(0, 9))
    options = ["const", "const2", "list", "dict", "def", "import", "const_expr"]
    if nums:
        options += ["derive", "rebind", "derive", "rebind", "def_global", "fill"]
    if lists:
        options += ["append", "append", "from_list", "rebind_list"]
    if dicts:
        options += ["setitem", "from_dict"]
    if funcs:
        options += ["call", "call"]
    if mods:
        options += ["use_module"]
    choice = draw(st.sampled_from(options))
    num = st.sampled_from(NUMS)
    if choice == "const":
        return f"{draw(num)} = {k}"
    if choice == "const2":
        x, y = draw(num), draw(num)
        return f"{x} = {k}\n{y} = {x} + 1" if x != y else f"{x} = {k}"
    if choice == "const_expr":
        return f"{draw(num)} = sum(i * i for i in range({k}))"
    if choice == "list":
        return f"{draw(st.sampled_from(LISTS))} = [{k}]"
    if choice == "dict":
        return f"{draw(st.sampled_from(DICTS))} = {{'k{k}': {k}}}"
    if choice == "def":
        return f"def {draw(st.sampled_from(FUNCS))}(v={k}):\n    return v * 2\n"
    if choice == "import":
        return f"import {draw(st.sampled_from(MODULES))}"
    if choice == "derive":
        return f"{draw(num)} = {draw(st.sampled_from(nums))} * 2 + {k}"
    if choice == "rebind":
        x = draw(st.sampled_from(nums))
        return f"{x} = {x} + {k}"
    if choice == "def_global":
        return f"def {draw(st.sampled_from(FUNCS))}(v={k}):\n    return v + {draw(st.sampled_from(nums))}\n"
    if choice == "fill":
        return f"{draw(st.sampled_from(LISTS))} = [{draw(st.sampled_from(nums))}] * 2"
    if choice == "append":
        return f"{draw(st.sampled_from(lists))}.append({k})"
    if choice == "from_list":
        return f"{draw(num)} = len({draw(st.sampled_from(lists))})"
    if choice == "rebind_list":
        name = draw(st.sampled_from(lists))
        return f"{name} = {name} + [{k}]"
    if choice == "setitem":
        value = draw(st.sampled_from(nums)) if nums and draw(st.booleans()) else str(k)
        return f"{draw(st.sampled_from(dicts))}['k{k}'] = {value}"
    if choice == "from_dict":
        return f"{draw(num)} = len({draw(st.sampled_from(dicts))})"
    if choice == "call":
        return f"{draw(num)} = {draw(st.sampled_from(funcs))}()"
    if choice == "use_module":
        mod = draw(st.sampled_from(mods))
        expr = "math.floor(2.5)" if mod == "math" else "len(json.dumps([1]))"
        return f"{draw(num)} = {expr}"
    raise AssertionError(choice)


def kinds_written(code: str) -> dict[str, str]:
    """Names a generated cell binds and the kind of value they hold."""
    namespace: dict = {}
    out = {}
    for line in code.splitlines():
        line = line.strip()
        if line.startswith("def "):
            out[line[4:line.index("(")]] = "func"
        elif line.startswith("import "):
            out[line.split()[1]] = "module"
        elif " = " in line and "[" not in line.split(" = ")[0]:
            target, value = line.split(" = ", 1)
            kind = "list" if value.startswith("[") or target in LISTS else (
                "dict" if value.startswith("{") else "num")
            out[target] = kind
    del namespace
    return out


def names_before(cells: dict[str, str], cell_id: str | None) -> dict[str, str]:
    """Names (and kinds) the live cells before ``cell_id`` write: what a
    generated cell there may read (None: the end of the notebook)."""
    names: dict[str, str] = {}
    for cid, code in cells.items():
        if cid == cell_id:
            break
        names.update(kinds_written(code))
    return names


class Notebook(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.engine = Engine()
        self.cells: dict[str, str] = {}  # live cells in kernel order (dicts keep insertion order)
        self.counter = 0

    # -- helpers -------------------------------------------------------------
    def available_before(self, cell_id: str | None) -> dict[str, str]:
        return names_before(self.cells, cell_id)

    def request(self, cell_id: str, code: str) -> bool:
        """Run a cell; version 2 refuses nothing that parses (a request may
        only report its cell cancelled because an upstream cell failed)."""
        report = self.engine.run(cell_id, code).to_json()
        assert report["error"] is None or report["error"]["kind"] == "upstream", report
        return True

    def settle(self) -> None:
        """Run stale cells (first in kernel order) until none is stale."""
        for _ in range(3 * len(self.cells) + 3):
            stale = self.engine.stale_cells()
            if not stale:
                return
            cell = stale[0]
            self.engine.run(cell, self.cells[cell])

    # -- rules -------------------------------------------------------------------
    @initialize(data=st.data())
    def first_cell(self, data):
        self.add_cell(data)

    @rule(data=st.data())
    def add_cell(self, data):
        code = data.draw(cell_code(self.available_before(None)))
        self.counter += 1
        cell_id = f"c{self.counter}"
        self.cells[cell_id] = code
        if not self.request(cell_id, code):
            del self.cells[cell_id]
        self.settle()

    @precondition(lambda self: self.cells)
    @rule(data=st.data())
    def edit_cell(self, data):
        cell_id = data.draw(st.sampled_from(sorted(self.cells)))
        code = data.draw(cell_code(self.available_before(cell_id)))
        if self.request(cell_id, code):
            self.cells[cell_id] = code
        self.settle()

    @precondition(lambda self: self.cells)
    @rule(data=st.data())
    def rerun_cell(self, data):
        cell_id = data.draw(st.sampled_from(sorted(self.cells)))
        self.request(cell_id, self.cells[cell_id])
        self.settle()

    @precondition(lambda self: len(self.cells) > 1)
    @rule(data=st.data())
    def delete_cell(self, data):
        cell_id = data.draw(st.sampled_from(sorted(self.cells)))
        del self.cells[cell_id]
        self.engine.forget([cell_id])
        # the frontend sends deletedCells with the next request: rerun some cell
        other = data.draw(st.sampled_from(sorted(self.cells)))
        self.request(other, self.cells[other])
        self.settle()

    # -- the promise ---------------------------------------------------------------
    @invariant()
    def run_all_equivalence(self):
        assert list(self.engine.cells) == list(self.cells)
        expected, error = run_all(list(self.cells.items()))
        stale = self.engine.stale_cells()
        if error is not None:
            event("run-all raises: promise not applicable")
            return
        assert not stale, f"run-all succeeds but cells stay stale: {stale}"
        event("compared with run-all")
        assert user_state(self.engine.namespace) == user_state(expected), (
            list(self.cells.items()))


Notebook.TestCase.settings = settings.get_profile("reactive-engine")
TestPromise = Notebook.TestCase
