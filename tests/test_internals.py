"""Every ipykernel/jupyter_client private member the kernel relies on is
still there in the installed versions (jupyter/internals.py lists them)."""
import importlib

import pytest
import zmq
from ipykernel.iostream import IOPubThread, OutStream
from jupyter_client.session import Session

from reactive_kernel.jupyter import internals
from reactive_kernel.jupyter.publish import QueuedIOPub


@pytest.fixture(scope="module")
def instances():
    """Real instances of each owner: some members are set in ``__init__``."""
    context = zmq.Context()
    socket = context.socket(zmq.PUB)
    session = Session()
    thread = IOPubThread(socket)
    stream = OutStream(session, thread, "stdout", watchfd=False)
    yield {"jupyter_client.session.Session": session, "ipykernel.iostream.IOPubThread": thread,
           "ipykernel.iostream.BackgroundSocket": thread.background_socket,
           "ipykernel.iostream.OutStream": stream}
    context.destroy(linger=0)


def _owner(path: str, instances: dict):
    if path in instances:
        return instances[path]
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("owner,member,why", internals.RELIED_ON,
                         ids=[f"{o.rsplit('.', 1)[1]}.{m}" for o, m, _ in internals.RELIED_ON])
def test_relied_on_member_exists(instances, owner, member, why):
    assert hasattr(_owner(owner, instances), member), f"{owner}.{member} is gone; it was needed: {why}"


def test_the_io_thread_queue_is_found_on_the_real_socket(instances):
    queued = QueuedIOPub(instances["ipykernel.iostream.BackgroundSocket"])
    assert queued.supported
    assert not queued.available  # the thread was never started: send directly


def test_without_the_io_thread_queue_messages_go_out_directly():
    class Socket:
        io_thread = object()

    queued = QueuedIOPub(Socket())
    assert not queued.supported and not queued.available


def test_an_idle_stream_is_not_flushed_an_unknown_one_is(instances):
    assert internals.stream_pending(instances["ipykernel.iostream.OutStream"]) is False
    assert internals.stream_pending(object()) is True


def test_a_raw_request_is_peeked_and_its_signature_checked():
    session = Session(key=b"secret")
    msg = session.msg("execute_request", {"code": "x = 1"}, metadata={"cellId": "c1"})
    frames = [zmq.Frame(part) for part in session.serialize(msg)]  # as the shell channel gets them
    raw = internals.RawRequest(session, frames)
    assert raw.header["msg_type"] == "execute_request"
    assert raw.metadata() == {"cellId": "c1"}
    assert raw.signed()
    forged = internals.RawRequest(Session(key=b"other"), frames)
    assert not forged.signed()


def test_waiting_requests_read_their_cells_when_asked_and_drop_forged_ones():
    from reactive_kernel.jupyter.request import MetadataReader, WaitingRequests

    session = Session(key=b"secret")
    waiting = WaitingRequests(MetadataReader())

    def arrive(cell_id, signer=session, **header):
        msg = session.msg("execute_request", {"code": "x = 1"}, metadata={"cellId": cell_id})
        msg["header"].update(header)
        waiting.arrived(session, [zmq.Frame(part) for part in signer.serialize(msg)])
        return msg

    first, second = arrive("c1"), arrive("c2")
    arrive("forged", signer=Session(key=b"other"))
    arrive("elsewhere", subshell_id="s1")  # a subshell's request never holds the main shell's cells
    assert waiting.cells() == {"c1", "c2"}
    waiting.dispatched(first)
    assert waiting.cells() == {"c2"}
    waiting.dispatched(second)
    assert waiting.cells() == set()


def test_forged_requests_never_pile_up_while_no_cascade_asks():
    from reactive_kernel.jupyter.request import MetadataReader, WaitingRequests

    session, forger = Session(key=b"secret"), Session(key=b"other")
    waiting = WaitingRequests(MetadataReader())
    for i in range(1000):
        msg = session.msg("execute_request", {"code": "x = 1"}, metadata={"cellId": f"c{i}"})
        waiting.arrived(session, [zmq.Frame(part) for part in forger.serialize(msg)])
    assert len(waiting._waiting) < 64
    msg = session.msg("execute_request", {"code": "x = 1"}, metadata={"cellId": "real"})
    waiting.arrived(session, [zmq.Frame(part) for part in session.serialize(msg)])
    assert waiting.cells() == {"real"}
