"""The kernel's side of the ``reactive`` comm, in process: fake comms record
what a companion would receive (docs/companion.md, "Kernel → frontend")."""
from __future__ import annotations

import logging

import pytest

from reactive_kernel.core.engine import Engine
from reactive_kernel.jupyter.companion import Companion
from reactive_kernel.present.view import CellView
from reactive_kernel.vocabulary import ANCESTOR, DESCENDANT


class FakeComm:
    """What the kernel sends on one comm."""

    def __init__(self, comm_id: str):
        self.comm_id = comm_id
        self.sent: list[dict] = []
        self.receive = self.close = None

    def send(self, data: dict) -> None:
        self.sent.append(data)

    def on_msg(self, callback) -> None:
        self.receive = callback

    def on_close(self, callback) -> None:
        self.close = callback

    def types(self) -> list[str]:
        return [d["type"] for d in self.sent]


class FakeCommManager:
    def register_target(self, name, opener) -> None:
        self.opener = opener


class FakeEvents:
    def register(self, name, callback) -> None:
        pass


@pytest.fixture
def companion() -> Companion:
    engine = Engine()
    return Companion(engine, CellView(engine), FakeCommManager(), FakeEvents(),
                     logging.getLogger("test"), on_open=lambda: None)


def open_comm(companion: Companion, comm_id: str, **data) -> FakeComm:
    comm = FakeComm(comm_id)
    companion._open(comm, {"content": {"data": data}})
    comm.sent.clear()
    return comm


def send(comm: FakeComm, data) -> list[dict]:
    before = len(comm.sent)
    comm.receive({"content": {"data": data}})
    return comm.sent[before:]


def test_writes_outputs_only_while_a_capable_companion_is_open(companion):
    assert not companion.writes_outputs
    plain = open_comm(companion, "plain")
    assert not companion.writes_outputs
    capable = open_comm(companion, "capable", capabilities=["outputs"])
    assert companion.writes_outputs
    capable.close({})
    assert not companion.writes_outputs
    plain.close({})
    assert companion.capabilities == {}


def test_running_goes_to_every_companion(companion):
    plain = open_comm(companion, "plain")
    capable = open_comm(companion, "capable", capabilities=["outputs"])
    companion.running("b", DESCENDANT, 7, "a")
    expected = {"type": "running", "cell_id": "b", "role": "descendant",
                "request": {"count": 7, "cell_id": "a"}}
    assert plain.sent == capable.sent == [expected]


def test_outputs_go_only_to_companions_that_write_them(companion):
    plain = open_comm(companion, "plain")
    capable = open_comm(companion, "capable", capabilities=["outputs", "something-later"])
    outputs = [{"output_type": "stream", "name": "stdout", "text": "hi\n"},
               {"output_type": "execute_result", "execution_count": 8,
                "data": {"text/plain": "2"}, "metadata": {}}]
    companion.send_outputs("a", ANCESTOR, 8, outputs)
    assert plain.sent == []
    assert capable.sent == [{"type": "outputs", "cell_id": "a", "role": "ancestor",
                             "execution_count": 8, "outputs": outputs}]


@pytest.mark.parametrize("data", [{"capabilities": "outputs"},
                                  {"capabilities": ["outputs", 1]},
                                  {"capabilities": ["outputs"], "order": "a,b"}])
def test_a_bad_open_is_answered_with_an_error_and_applies_nothing(companion, data):
    comm = FakeComm("bad")
    companion._open(comm, {"content": {"data": data}})
    assert comm.types() == ["error", "hello", "state"]
    assert not companion.writes_outputs
    assert companion.engine.order_source() == "registration"


def request(companion: Companion, cell_id: str, code: str):
    """A request walked as the kernel walks it (here with ``exec``): its Run."""
    run = companion.engine.request(cell_id, code)
    for step in run:
        exec(step.cell.code, companion.engine.namespace)
        run.finish(step, "ok")
    return run


def ran_cells(companion: Companion, cell_id: str, code: str):
    return [e.cell_id for e in request(companion, cell_id, code).report.ran]


def test_sources_are_answered_with_the_state_and_run_on_screen(companion):
    comm = open_comm(companion, "page")
    ran_cells(companion, "a", "k = 1")
    ran_cells(companion, "b", "m = k + 1")
    [state] = send(comm, {"type": "sources", "id": 3, "cells": [{"id": "a", "source": "k = 50"}]})
    assert state["type"] == "state" and state["id"] == 3
    assert state["cells"]["a"]["state"] == "stale"
    assert companion.engine.namespace["m"] == 2  # an edit not yet run changes no value
    assert ran_cells(companion, "a", "k = 50") == ["a", "b"]
    assert companion.engine.namespace["m"] == 51


def test_deleted_cells_lose_their_names_at_once(companion):
    comm = open_comm(companion, "page")
    ran_cells(companion, "a", "k = 1")
    ran_cells(companion, "b", "m = k + 1")
    [state] = send(comm, {"type": "deleted", "cells": ["a", "never-seen"]})
    assert list(state["cells"]) == ["b"] and state["cells"]["b"]["state"] == "stale"
    assert "k" not in companion.engine.namespace


@pytest.mark.parametrize("data, complaint", [
    ({"type": "sources", "cells": [{"id": "a", "source": "k = 50"}, {"id": "b"}]}, "'sources' needs 'cells'"),
    ({"type": "sources", "cells": [{"id": "a", "source": "k = 50"}, {"id": "", "source": ""}]},
     "'sources' needs 'cells'"),
    ({"type": "sources", "cells": {"a": "k = 50"}}, "'sources' needs 'cells'"),
    ({"type": "deleted", "cells": ["a", None]}, "'deleted' needs 'cells'"),
    ({"type": "deleted"}, "'deleted' needs 'cells'"),
])
def test_a_malformed_change_is_an_error_and_applies_not_even_in_part(companion, data, complaint):
    comm = open_comm(companion, "page")
    ran_cells(companion, "a", "k = 1")
    [error] = send(comm, data)
    assert error["type"] == "error" and complaint in error["message"]
    assert companion.engine.cells["a"].code == "k = 1" and companion.engine.namespace["k"] == 1
    assert companion.engine.stale_cells() == []


def test_changes_arriving_while_a_cell_runs_wait_for_the_request_to_end(companion):
    comm = open_comm(companion, "page")
    ran_cells(companion, "a", "k = 1")
    ran_cells(companion, "b", "m = k + 1")
    companion._cell_starts()
    assert send(comm, {"type": "sources", "cells": [{"id": "a", "source": "k = 5"}]}) == []
    assert send(comm, {"type": "deleted", "cells": ["b"]}) == []
    assert companion.engine.cells["a"].code == "k = 1" and "m" in companion.engine.namespace
    companion._cell_ends()
    companion.finished(request(companion, "c", "z = 0"), 4)
    assert companion.engine.cells["a"].code == "k = 5" and "m" not in companion.engine.namespace
    assert companion.pending == []


def test_the_state_carries_the_last_requests_summary_in_plain_text(companion):
    comm = open_comm(companion, "page")
    ran_cells(companion, "a", "k = 1")
    ran_cells(companion, "b", "m = k + 1")
    companion.finished(request(companion, "a", "k = 2"), 5)
    [state] = comm.sent
    assert state["request"] == {"count": 5, "cell_id": "a"}
    assert state["summary"].startswith("↻ reran: ") and "m" in state["summary"]
    assert state["summary"] == companion.state()["summary"]
    companion.finished(request(companion, "c", "z = 0"), 6)
    assert comm.sent[-1]["summary"] is None


def test_the_summary_says_when_cells_below_have_not_run_in_this_kernel(companion):
    """A newcomer opens a saved notebook, runs the first cell: nothing below
    changes, and the requesting cell's status line says why."""
    comm = open_comm(companion, "page")
    companion.engine.know_sources([("a", "k = 1"), ("b", "m = k + 1"), ("c", "n = m + 1")])
    companion.finished(request(companion, "a", "k = 1"), 1)
    assert comm.sent[-1]["summary"] == "↻ 2 cells below not run in this kernel yet"
    assert {c: s["state"] for c, s in comm.sent[-1]["cells"].items()} == {
        "a": "ran", "b": "unrun", "c": "unrun"}
    companion.finished(request(companion, "c", "n = m + 1"), 2)  # runs b first: nothing left below
    assert comm.sent[-1]["summary"] == "↻ ran first: m ✓"
