"""The promise, end to end: the engine's property test, driven through the real
kernel over the Jupyter protocol (cell ids, deletedCells, IPython's own
namespace), compared with a fresh run-all of the live cells.

Fewer examples than the in-process test (each starts a kernel); raise them
with KERNEL_PROPERTY_EXAMPLES.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, event, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.support.client import KernelSession
from tests.test_properties import cell_code, names_before, run_all, user_state

# the user's names: what IPython itself put in the namespace (user_ns_hidden) is not theirs
STATE = (
    "repr(sorted(__import__('tests.test_properties', fromlist=['user_state']).user_state("
    "{k: v for k, v in globals().items() "
    "if not (k in get_ipython().user_ns_hidden and get_ipython().user_ns_hidden[k] is v)}).items()))"
)


class KernelNotebook(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.kernel = KernelSession("reactive")
        self.cells: dict[str, str] = {}
        self.counter = 0
        self.deleted: list[str] = []

    def teardown(self):
        self.kernel.close()

    def available_before(self, cell_id: str | None) -> dict[str, str]:
        return names_before(self.cells, cell_id)

    def request(self, cell_id: str, code: str) -> dict:
        run = self.kernel.execute(code, cell_id, deleted=self.deleted)
        self.deleted = []
        return run.reactive

    def settle(self, report: dict) -> None:
        for _ in range(3 * len(self.cells) + 3):
            if not report["stale"]:
                return
            cell = report["stale"][0]
            report = self.request(cell, self.cells[cell])

    @initialize(data=st.data())
    def first_cell(self, data):
        self.add_cell(data)

    @rule(data=st.data())
    def add_cell(self, data):
        code = data.draw(cell_code(self.available_before(None)))
        self.counter += 1
        cell_id = f"c{self.counter}"
        report = self.request(cell_id, code)
        if (report["error"] or {}).get("kind") != "syntax":
            self.cells[cell_id] = code
        self.settle(report)

    @precondition(lambda self: self.cells)
    @rule(data=st.data())
    def edit_cell(self, data):
        cell_id = data.draw(st.sampled_from(sorted(self.cells)))
        code = data.draw(cell_code(self.available_before(cell_id)))
        report = self.request(cell_id, code)
        if (report["error"] or {}).get("kind") != "syntax":
            self.cells[cell_id] = code
        self.settle(report)

    @precondition(lambda self: len(self.cells) > 1)
    @rule(data=st.data())
    def delete_cell(self, data):
        cell_id = data.draw(st.sampled_from(sorted(self.cells)))
        del self.cells[cell_id]
        self.deleted.append(cell_id)  # sent with the next request, as JupyterLab does
        other = data.draw(st.sampled_from(sorted(self.cells)))
        self.settle(self.request(other, self.cells[other]))

    @invariant()
    def run_all_equivalence(self):
        expected, error = run_all(list(self.cells.items()))
        if error is not None:
            event("run-all raises: promise not applicable")
            return
        report = self.request("probe", "pass")  # a cell that binds nothing: shows the stale list
        assert report["stale"] == [], report
        assert self.kernel.value(STATE) == repr(repr(sorted(user_state(expected).items())))


KernelNotebook.TestCase.settings = settings(
    max_examples=int(os.environ.get("KERNEL_PROPERTY_EXAMPLES", "20")),
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestKernelPromise = KernelNotebook.TestCase
