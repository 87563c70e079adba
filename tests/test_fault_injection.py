"""Fault injection at every step boundary of a plan, in the real kernel.

A silent request (as a test harness would, leaving no trace in the history)
replaces one of the kernel's own methods with one that raises
``KeyboardInterrupt``, ``CancelledError`` or a bug (``RuntimeError``) at
its n-th call: the engine's bookkeeping around each step, output recording,
display updates, the view and the companion.  Then the first cell of a chain
is edited.  Whatever broke, and wherever:

- the request gets exactly one reply and the kernel lives;
- no cell is current (not stale) with a value computed from the old input,
  and a cell the run did not finish holds no old value;
- rerunning the last cell brings the namespace to Restart & Run All's values.
"""
from __future__ import annotations

import ast
import queue

import pytest

from tests.support.client import KernelSession

CHAIN = 5

#: (where, method): the kernel's own steps around a plan, in the order a plan meets them
BOUNDARIES = [
    ("engine", "clear"),          # a cell's old writes removed before it runs
    ("engine", "refresh"),        # its effects decided again
    ("router", "record"),         # its outputs recorded
    ("shell", "run_unrequested"),  # a cell run for another
    ("engine", "record"),         # what it bound, after it ran
    ("displays", "update"),       # its output delivered (no companion)
    ("view", "record"),           # the request remembered
    ("companion", "finished"),    # the companion told
]
FAULTS = ["KeyboardInterrupt", "asyncio.CancelledError", "RuntimeError('injected')"]

INJECT = """
import asyncio
_kernel = get_ipython().kernel
_owner = {owner}
_original = getattr(_owner, {method!r})
_calls = [0]
def _faulty(*args, **kwargs):
    _calls[0] += 1
    if _calls[0] == {nth}:
        raise {fault}
    return _original(*args, **kwargs)
setattr(_owner, {method!r}, _faulty)
"""
RESTORE = "setattr({owner}, {method!r}, _original)"


@pytest.fixture(scope="module")
def kernel():
    with KernelSession() as session:
        yield session


def run_silently(kernel: KernelSession, code: str) -> None:
    reply = kernel.execute(code, None, silent=True)
    assert reply.status == "ok", reply.reply["content"]


def state(kernel: KernelSession) -> tuple[list, set[str]]:
    values = ast.literal_eval(kernel.value(f"[globals().get(f'v{{i}}') for i in range({CHAIN})]"))
    stale = ast.literal_eval(kernel.value("sorted(get_ipython().kernel.engine.stale)"))
    return values, set(stale)


def no_second_reply(kernel: KernelSession) -> None:
    with pytest.raises(queue.Empty):
        kernel.client.get_shell_msg(timeout=0.3)


@pytest.mark.parametrize("nth", [1, 2])
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("where, method", BOUNDARIES)
def test_a_fault_at_any_step_boundary_leaves_one_reply_and_a_consistent_notebook(
        kernel, where, method, fault, nth):
    start = 10 * (BOUNDARIES.index((where, method)) + 1) + 1000 * FAULTS.index(fault) + 100 * nth
    cells = [(f"v0 = {start - 1}", "c0")] + [(f"v{i} = v{i - 1} + 1", f"c{i}") for i in range(1, CHAIN)]
    for code, cell_id in cells:
        assert kernel.execute(code, cell_id).status == "ok"
    owner = f"_kernel.{where}" if where != "shell" else "_kernel.shell"
    run_silently(kernel, INJECT.format(owner=owner, method=method, nth=nth, fault=fault))
    try:
        edit = kernel.execute(f"v0 = {start}", "c0", timeout=30)
        no_second_reply(kernel)
    finally:
        run_silently(kernel, RESTORE.format(owner=owner, method=method))
    assert edit.reply["content"]["status"] in ("ok", "error")
    assert kernel.manager.is_alive()
    values, stale = state(kernel)
    # a fault before the plan sends the cell to plain IPython: its readers are
    # stale and keep their values until they run, as after an unrun edit
    fell_back = not (edit.reactive or {}).get("ran")
    for i, value in enumerate(values):
        if f"c{i}" not in stale:
            assert value == start + i, (i, value, sorted(stale), edit.reply["content"].get("evalue"))
        elif not fell_back:  # cancelled or interrupted: old values removed
            assert value in (None, start + i), (i, value, sorted(stale))
    catch_up = kernel.execute(cells[-1][0], cells[-1][1])
    assert catch_up.status == "ok"
    # the edited code is the cell's code now, whether or not the fault let it run
    assert state(kernel) == ([start + i for i in range(CHAIN)], set())


def test_a_cell_sent_to_plain_ipython_says_so_in_reactive_and_goes_stale(kernel):
    """A fault in planning runs the cell as plain IPython (the user keeps the
    cell); %reactive and the reply's metadata say so, and the cell and its
    readers are stale, so Run stale cells repairs the notebook."""
    for code, cell_id in [("w0 = 1", "w0"), ("w1 = w0 + 1", "w1")]:
        kernel.execute(code, cell_id)
    run_silently(kernel, INJECT.format(owner="_kernel.engine", method="request", nth=1,
                                       fault="RuntimeError('injected')"))
    try:
        edit = kernel.execute("w0 = 10", "w0")
    finally:
        run_silently(kernel, RESTORE.format(owner="_kernel.engine", method="request"))
    assert edit.status == "ok" and edit.reactive["error"]["kind"] == "internal"
    assert {"w0", "w1"} <= state(kernel)[1]
    shown = kernel.execute("%reactive", None).text()
    assert "ran as plain IPython" in shown and "injected" in shown
    kernel.execute("w1 = w0 + 1", "w1")
    assert kernel.value("w1") == "11"
