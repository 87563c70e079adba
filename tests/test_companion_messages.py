"""The kernel's side of the ``reactive`` comm, in process: fake comms record
what a companion would receive (docs/companion.md, "Kernel → frontend")."""
from __future__ import annotations

import logging

import pytest

from reactive_kernel.core.engine import Engine
from reactive_kernel.jupyter.companion import Companion
from reactive_kernel.present.view import CellView
from reactive_kernel.vocabulary import ANCESTOR, DESCENDANT
from tests.support.companion_states import Mirror, comparable


class FakeComm:
    """What the kernel sends on one comm."""

    def __init__(self, comm_id: str):
        self.comm_id = comm_id
        self.sent: list[dict] = []
        self.receive = self.closing = None
        #: the kernel closed it (as ipykernel's ``Comm.close`` does: no on_close callback)
        self.closed = False

    def send(self, data: dict) -> None:
        assert not self.closed, "sent to a closed comm"
        self.sent.append(data)

    def on_msg(self, callback) -> None:
        self.receive = callback

    def on_close(self, callback) -> None:
        self.closing = callback

    def close(self) -> None:
        self.closed = True

    def frontend_closes(self) -> None:
        self.closing({})

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
    capable.frontend_closes()
    assert not companion.writes_outputs
    plain.frontend_closes()
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


# -- deltas, shared between comms; comms whose frontend is gone (issue 20) --------------

def finish(companion: Companion, cell_id: str, code: str, count: int, deleted: bool = False):
    """A request as the kernel ends it: walked, recorded by the view, then finished."""
    run = companion.engine.request(cell_id, code)
    for step in run:
        try:
            exec(step.cell.code, companion.engine.namespace)
        except Exception:
            run.finish(step, "error")
        else:
            run.finish(step, "ok")
    companion.view.record(run, count)
    if run.report.cell_id in companion.engine.cells:
        companion.view.prompts[run.report.cell_id] = count
    companion.finished(run, count, deleted=deleted)
    return run


def mirrored(companion: Companion, comm_id: str, **data) -> tuple[FakeComm, Mirror]:
    """A comm announcing ``deltas``, and the state it holds from what it was sent."""
    comm = FakeComm(comm_id)
    companion._open(comm, {"content": {"data": {"capabilities": ["deltas"], **data}}})
    mirror = Mirror()
    mirror.apply(comm.sent)
    return comm, mirror


def follow(comm: FakeComm, mirror: Mirror, seen: list[int]) -> list[dict]:
    """Apply what ``comm`` was sent since ``seen[0]`` messages; the new ones."""
    new = comm.sent[seen[0]:]
    seen[0] = len(comm.sent)
    mirror.apply(new)
    return new


def test_deltas_rebuild_exactly_the_full_state_through_a_session(companion):
    """Runs, edits with readers, a failure and its fix, unsaved code, a new
    cell, a move, a deletion, an id used again, autorun off: after each, the
    state built from deltas is the full state, cell order included."""
    companion.states.verify = True
    comm, mirror = mirrored(companion, "page")
    legacy = FakeComm("legacy")
    companion._open(legacy, {"content": {"data": {}}})
    seen = [len(comm.sent)]
    count = iter(range(1, 100))

    def check():
        """The mirror equals the full state; after a request, so does what the other comm got."""
        new = follow(comm, mirror, seen)
        full = companion.state()
        assert mirror.comparable() == comparable(full)
        if new and new[-1]["request"]["count"] is not None:
            assert [m for m in legacy.sent if m["type"] == "state"][-1]["cells"] == full["cells"]
        return [m for m in new if m["type"] == "state"]

    for cell_id, code in [("a", "k = 1"), ("b", "m = k + 1"), ("c", "n = m + 1"), ("d", "z = 0")]:
        finish(companion, cell_id, code, next(count))
        check()
    finish(companion, "a", "k = 2", next(count))
    [delta] = check()
    assert delta["delta"] is True and list(delta["cells"]) == ["a", "b", "c"] and delta["removed"] == []
    finish(companion, "a", "k = 1 / 0", next(count))
    assert {c: e["state"] for c, e in check()[-1]["cells"].items()} == {
        "a": "failed", "b": "failed-upstream", "c": "failed-upstream"}
    finish(companion, "a", "k = 3", next(count))
    check()
    # unsaved code and a new cell from the page, then the page order with d first
    send(comm, {"type": "sources", "cells": [{"id": "b", "source": "m = k * 10"}, {"id": "e", "source": "w = z"}]})
    [answer] = check()
    assert set(answer["cells"]) == {"b", "e"} and answer["delta"] is True
    send(comm, {"type": "order", "cells": ["d", "a", "b", "c", "e"]})
    [answer] = check()
    assert answer["sequence"] == ["d", "a", "b", "c", "e"]
    finish(companion, "e", "w = z", next(count))
    check()
    send(comm, {"type": "deleted", "cells": ["c"]})
    [answer] = check()
    assert answer["removed"] == ["c"] and "c" not in mirror.state["cells"]
    send(comm, {"type": "order", "cells": ["d", "a", "b", "e"]})
    check()
    finish(companion, "b", "m = k * 10", next(count))
    check()
    # the deleted id comes back (a request, as a console sends it): at the end now
    finish(companion, "c", "n = m + 1", next(count))
    check()
    companion.engine.autorun = False
    finish(companion, "a", "k = 4", next(count))
    check()
    assert mirror.state["cells"]["b"]["state"] == "stale"
    finish(companion, "x", "k = 1 +", next(count))  # a syntax error: nothing registered
    check()
    assert companion.states.mismatches == []


def test_a_request_recomputes_and_sends_only_what_changed(companion):
    """300 cells run, then one more request: only the cells it touched are
    recomputed, whatever the number of comms, and that is all a comm gets."""
    comms = [mirrored(companion, f"page-{i}")[0] for i in range(3)]
    for i in range(150):
        finish(companion, f"x{i}", f"x{i} = {i}", i)
        finish(companion, f"y{i}", f"y{i} = x{i} + 1", i)
    computed = []
    entry = companion.states.entry
    companion.states.entry = lambda cell_id: computed.append(cell_id) or entry(cell_id)
    finish(companion, "x7", "x7 = 70", 400)
    assert sorted(computed) == ["x7", "y7"]
    for comm in comms:
        assert list(comm.sent[-1]["cells"]) == ["x7", "y7"]
    # the same message, built once, went to every comm at the same version
    assert comms[0].sent[-1] is comms[1].sent[-1] is comms[2].sent[-1]


def test_comms_at_different_versions_each_get_what_they_lack(companion):
    ran_cells(companion, "a", "k = 1")
    asking, behind, other = (mirrored(companion, name)[0] for name in ("asking", "behind", "other"))
    mirrors = {comm: Mirror() for comm in (asking, behind, other)}
    for comm, mirror in mirrors.items():
        mirror.apply(comm.sent)
    send(asking, {"type": "sources", "cells": [{"id": "b", "source": "m = k + 1"}]})
    mirrors[asking].apply(asking.sent[-1:])
    finish(companion, "a", "k = 2", 2)
    for comm, mirror in mirrors.items():
        mirror.apply(comm.sent[-1:])
        assert mirror.comparable() == comparable(companion.state())
    assert behind.sent[-1] is other.sent[-1]
    assert list(behind.sent[-1]["cells"]) == ["a", "b"] and list(asking.sent[-1]["cells"]) == ["a"]


def test_a_comm_too_far_behind_gets_the_full_state(companion):
    asking, _ = mirrored(companion, "asking")
    behind, mirror = mirrored(companion, "behind")
    for i in range(companion.states.KEPT + 1):
        send(asking, {"type": "sources", "cells": [{"id": f"c{i}", "source": f"v{i} = {i}"}]})
    finish(companion, "t", "x = 1", 1)
    assert "delta" not in behind.sent[-1] and len(behind.sent[-1]["cells"]) == companion.states.KEPT + 2
    assert asking.sent[-1]["delta"] is True and list(asking.sent[-1]["cells"]) == ["t"]
    mirror.apply(behind.sent[-1:])
    assert mirror.comparable() == comparable(companion.state())


def test_a_new_comm_and_a_state_request_get_everything(companion):
    ran_cells(companion, "a", "k = 1")
    finish(companion, "b", "m = k + 1", 2)
    comm = FakeComm("new")
    companion._open(comm, {"content": {"data": {"capabilities": ["deltas"]}}})
    hello, state = comm.sent
    assert "delta" not in state and list(state["cells"]) == ["a", "b"]
    [answer] = send(comm, {"type": "state", "id": 5})
    assert "delta" not in answer and answer["id"] == 5 and list(answer["cells"]) == ["a", "b"]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_silent_comm_is_asked_then_closed_and_sent_nothing_more(companion):
    clock = companion.clock = Clock()
    companion.quiet, companion.grace = 300, 60
    live, _ = mirrored(companion, "live")
    gone, _ = mirrored(companion, "gone")
    clock.now += 100
    finish(companion, "a", "k = 1", 1)
    assert [m["type"] for m in gone.sent[-1:]] == ["state"]  # not silent long enough to ask
    clock.now += 250
    finish(companion, "a", "k = 2", 2)
    assert live.sent[-1] == gone.sent[-1] == {"type": "ping"}
    assert send(live, {"type": "pong"}) == []  # the answer is not answered
    clock.now += 30
    finish(companion, "a", "k = 3", 3)  # within the grace: still sent to
    assert gone.sent[-1]["type"] == "state" and not gone.closed
    clock.now += 40
    finish(companion, "a", "k = 4", 4)
    assert gone.closed and "gone" not in companion.comms and "gone" not in companion.bases
    sent = len(gone.sent)
    finish(companion, "a", "k = 5", 5)
    companion.running("a", DESCENDANT, 6, "a")
    assert len(gone.sent) == sent
    assert live.sent[-1]["type"] == "running" and not live.closed
    assert companion.engine.order_source() == "registration"


def test_a_comm_that_speaks_is_never_asked(companion):
    clock = companion.clock = Clock()
    companion.quiet, companion.grace = 300, 60
    comm, _ = mirrored(companion, "page", order=["a"])
    for count in range(1, 6):
        clock.now += 200
        send(comm, {"type": "sources", "cells": [{"id": "a", "source": f"k = {count}"}]})
        finish(companion, "a", f"k = {count}", count)
    assert {"type": "ping"} not in comm.sent and not comm.closed


def test_expiring_the_last_comm_gives_the_order_back_to_the_file(companion):
    clock = companion.clock = Clock()
    companion.quiet = companion.grace = 0
    comm, _ = mirrored(companion, "page", order=["a"])
    assert companion.engine.order_source() == "page"
    finish(companion, "a", "k = 1", 1)
    assert comm.sent[-1] == {"type": "ping"}
    clock.now += 1
    finish(companion, "a", "k = 2", 2)
    assert comm.closed and companion.comms == {}
    assert companion.engine.order_source() == "registration"


def test_a_comm_behind_a_deletion_and_the_ids_return_gets_the_new_order(companion):
    for count, (cell_id, code) in enumerate([("a", "k = 1"), ("b", "m = k + 1"), ("c", "z = 0")], 1):
        finish(companion, cell_id, code, count)
    asking, _ = mirrored(companion, "asking")
    behind, mirror = mirrored(companion, "behind")
    send(asking, {"type": "deleted", "cells": ["a"]})
    finish(companion, "a", "k = 2", 4)  # the same id again: last now
    assert behind.sent[-1]["sequence"] == ["b", "c", "a"]
    mirror.apply(behind.sent[-1:])
    assert mirror.comparable() == comparable(companion.state())


def test_the_saved_file_reread_puts_every_cell_right(companion, tmp_path):
    """The file's unrun cells change code and a cell appears mid-page: all
    recomputed (the engine rereads every cell then too)."""
    from tests.support.notebook_file import write_notebook

    engine = companion.engine
    path = tmp_path / "saved.ipynb"
    write_notebook(path, [("a", "k = 1"), ("b", "m = k + 1"), ("c", "n = m")])
    engine.set_notebook(str(path), register=True)
    companion.states.verify = True
    comm, mirror = mirrored(companion, "page")
    assert list(mirror.state["cells"]) == ["a", "b", "c"]
    finish(companion, "a", "k = 1", 1)
    write_notebook(path, [("a", "k = 1"), ("new", "q = 5"), ("b", "m = k * 2 + q"), ("c", "n = m")])
    finish(companion, "a", "k = 3", 2)
    mirror.apply(comm.sent[len(mirror.messages) + 1:])  # + the hello
    assert mirror.comparable() == comparable(companion.state())
    assert list(mirror.state["cells"]) == ["a", "new", "b", "c"]
    assert companion.states.mismatches == []


def test_a_page_change_from_another_thread_and_a_request_take_turns(companion):
    """ipykernel 7 dispatches a comm message on its shell-channel thread while
    another shell message is handled (found in Notebook 7: an inserted cell's
    code arrived before its execute_request, yet the request was planned
    first and the cell placed last).  A page change being applied holds the
    request back until it is done; one that arrives during a request waits
    for its end, never changing the engine under a running plan."""
    import threading

    comm = open_comm(companion, "page")
    send(comm, {"type": "order", "cells": ["a", "n", "b"]})
    entered, release = threading.Event(), threading.Event()
    real = companion.engine.know_sources

    def slow_know_sources(sources):  # the comm thread is midway through applying
        entered.set()
        release.wait(5)
        real(sources)

    companion.engine.know_sources = slow_know_sources
    worker = threading.Thread(target=send, args=(comm, {"type": "sources", "cells": [
        {"id": "n", "source": "x = 5"}]}))
    worker.start()
    assert entered.wait(5)
    started = threading.Event()

    def start_request():
        with companion.request():
            started.set()

    requester = threading.Thread(target=start_request)
    requester.start()
    assert not started.wait(0.3)  # the request waits for the page change
    release.set()
    worker.join(5)
    requester.join(5)
    assert started.is_set() and "n" in companion.engine.cells
    companion.engine.know_sources = real

    with companion.request():  # during a request: deferred to its end
        assert send(comm, {"type": "sources", "cells": [{"id": "b", "source": "y = x"}]}) == []
        assert "b" not in companion.engine.cells
    assert companion.engine.cells["b"].code == "y = x"
