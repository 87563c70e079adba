"""The promise with realistic effects, end to end: cells from the code
families of tests/test_effect_properties.py run in the real kernel over the
Jupyter protocol (cell ids, ``deletedCells``, the session's notebook file for
moves), compared with a fresh in-process run-all of the cells in page order.

Fewer examples than in process (each starts a kernel); raise them with
KERNEL_PROPERTY_EXAMPLES.
"""
from __future__ import annotations

import ast
import os
import tempfile

from hypothesis import HealthCheck, event, note, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.support.client import KernelSession
from tests.support.notebook_file import run_all, write_notebook
from tests.test_effect_properties import SETUP, cell_code, user_state

EXAMPLES = int(os.environ.get("KERNEL_PROPERTY_EXAMPLES", "12"))

# the user's names: what IPython itself put in the namespace is not theirs
STATE = (
    "repr(sorted(__import__('tests.test_effect_properties', fromlist=['user_state']).user_state("
    "{k: v for k, v in globals().items() "
    "if not (k in get_ipython().user_ns_hidden and get_ipython().user_ns_hidden[k] is v)}).items()))"
)


class KernelEffectNotebook(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "notebook.ipynb")
        self.order: list[str] = []
        self.code: dict[str, str] = {}
        self.binds: dict[str, tuple[str, ...]] = {}
        self.counter = 0
        self.deleted: list[str] = []
        self.save()
        self.kernel = KernelSession("reactive", env=self.environment())

    def environment(self) -> dict:
        return {**os.environ, "JPY_SESSION_NAME": self.path}

    def teardown(self):
        self.kernel.close()
        self.tmp.cleanup()

    def save(self) -> None:
        write_notebook(self.path, [(c, self.code[c]) for c in self.order])

    def available_before(self, position: int) -> set[str]:
        names: set[str] = set()
        for cell_id in self.order[:position]:
            names.update(self.binds[cell_id])
        return names

    def request(self, cell_id: str, code: str) -> dict:
        note(f"run({cell_id!r}, {code!r})")
        result = self.kernel.execute(code, cell_id, deleted=self.deleted, stop_on_error=False)
        self.deleted = []
        report = result.reactive
        assert report["error"] is None or report["error"]["kind"] == "upstream", report
        assert "reactive_kernel" not in result.text()
        return report

    def settle(self, report: dict) -> None:
        for _ in range(3 * len(self.order) + 3):
            if not report["stale"]:
                return
            cell = report["stale"][0]
            report = self.request(cell, self.code[cell])

    def add(self, position: int, data) -> None:
        code, binds = data.draw(cell_code(self.available_before(position)))
        self.counter += 1
        cell_id = f"c{self.counter}"
        self.order.insert(position, cell_id)
        self.code[cell_id], self.binds[cell_id] = code, binds
        self.save()
        self.settle(self.request(cell_id, code))

    @initialize()
    def setup_cell(self):
        self.order.append("setup")
        self.code["setup"], self.binds["setup"] = SETUP, ("np", "pd")
        self.save()
        self.request("setup", SETUP)

    @rule(data=st.data())
    def append_cell(self, data):
        self.add(len(self.order), data)

    @precondition(lambda self: len(self.order) > 2)
    @rule(data=st.data())
    def insert_cell(self, data):
        self.add(data.draw(st.integers(1, len(self.order) - 1)), data)

    @precondition(lambda self: len(self.order) > 1)
    @rule(data=st.data())
    def edit_cell(self, data):
        position = data.draw(st.integers(1, len(self.order) - 1))
        cell_id = self.order[position]
        code, binds = data.draw(cell_code(self.available_before(position)))
        self.code[cell_id], self.binds[cell_id] = code, binds
        self.save()
        self.settle(self.request(cell_id, code))

    @precondition(lambda self: len(self.order) > 1)
    @rule(data=st.data())
    def rerun_cell(self, data):
        cell_id = data.draw(st.sampled_from(self.order))
        self.settle(self.request(cell_id, self.code[cell_id]))

    @precondition(lambda self: len(self.order) > 2)
    @rule(data=st.data())
    def move_cell(self, data):
        cell_id = self.order.pop(data.draw(st.integers(1, len(self.order) - 1)))
        self.order.insert(data.draw(st.integers(1, len(self.order))), cell_id)
        self.save()
        other = data.draw(st.sampled_from(self.order))
        self.settle(self.request(other, self.code[other]))

    @precondition(lambda self: len(self.order) > 2)
    @rule(data=st.data())
    def delete_cell(self, data):
        cell_id = data.draw(st.sampled_from(self.order[1:]))
        self.order.remove(cell_id)
        del self.code[cell_id], self.binds[cell_id]
        self.save()
        self.deleted.append(cell_id)
        other = data.draw(st.sampled_from(self.order))
        self.settle(self.request(other, self.code[other]))

    @invariant()
    def run_all_equivalence(self):
        if not self.order:
            return
        expected, error = run_all([(c, self.code[c]) for c in self.order])
        if error is not None:
            event("run-all raises: promise not applicable")
            return
        stale = ast.literal_eval(self.kernel.value("get_ipython().kernel.engine.stale_cells()"))
        assert not stale, f"run-all succeeds but cells stay stale: {stale}"
        event("compared with run-all")
        assert ast.literal_eval(self.kernel.value(STATE)) == repr(sorted(user_state(expected).items()))


KernelEffectNotebook.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
TestKernelEffects = KernelEffectNotebook.TestCase


class CachedKernelEffectNotebook(KernelEffectNotebook):
    """The same notebooks with the cell cache on (issue 22: "with the cache on,
    the namespace after any sequence of runs, edits, restarts and deletions
    equals a fresh Restart & Run All"): auto mode with threshold 0, so every
    cell is stored where the policy allows and served in any role, in a cache
    directory of the example's own; and restarts, after which a random cell
    runs (its ancestors served) and then every cell it did not run, in page order."""

    def __init__(self):
        super().__init__()
        self.cache_on()

    def environment(self) -> dict:
        return {**super().environment(), "REACTIVE_KERNEL_CACHE": os.path.join(self.tmp.name, "cache"),
                "JUPYTER_DATA_DIR": os.path.join(self.tmp.name, "data")}

    def cache_on(self) -> None:
        shown = self.kernel.execute("%reactive cache auto 0", silent=True).text()
        assert "auto (cells that run 0 s" in shown, shown

    @precondition(lambda self: len(self.order) > 1)
    @rule(data=st.data())
    def restart(self, data):
        note("restart")
        self.kernel.manager.restart_kernel(now=True)
        self.kernel.client.wait_for_ready(timeout=60)
        self.cache_on()
        cell_id = data.draw(st.sampled_from(self.order))
        report = self.request(cell_id, self.code[cell_id])
        done = {e["cell_id"] for e in report["ran"]}
        served = sum(bool(e.get("cached")) for e in report["ran"])
        for other in [c for c in self.order if c not in done]:
            report = self.request(other, self.code[other])
            served += sum(bool(e.get("cached")) for e in report["ran"])
        event(f"restart served {'some' if served else 'no'} cells")
        self.settle(report)


CachedKernelEffectNotebook.TestCase.settings = settings(
    max_examples=int(os.environ.get("KERNEL_CACHE_PROPERTY_EXAMPLES", "6")),
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
TestKernelEffectsCached = CachedKernelEffectNotebook.TestCase
