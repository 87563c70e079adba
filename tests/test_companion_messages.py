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
