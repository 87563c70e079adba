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


class _Kernel:
    """What :func:`internals.see_arrivals` reads of a kernel."""

    def __init__(self, thread):
        self.shell_channel_thread = thread


def _arrive(session, msg, signer=None):
    """``msg`` read as ipykernel's shell channel thread reads it: raw frames,
    header and metadata only; a bad signature raises, as there."""
    frames = [zmq.Frame(part) for part in (signer or session).serialize(msg)]
    _, frames = session.feed_identities(frames, copy=False)
    return session.deserialize(frames, content=False, copy=False)


def test_arrivals_are_seen_on_the_shell_channel_thread_only_and_signed():
    import threading

    session, seen = Session(key=b"secret"), []
    kernel = _Kernel(threading.current_thread())
    internals.see_arrivals(session, kernel, seen.append)
    msg = session.msg("execute_request", {"code": "x = 1"}, metadata={"cellId": "c1"})
    _arrive(session, msg)
    assert [(m["header"]["msg_id"], m["metadata"]) for m in seen] == [(msg["header"]["msg_id"], {"cellId": "c1"})]
    with pytest.raises(ValueError):  # ipykernel drops it: never seen
        _arrive(session, session.msg("execute_request", {}), signer=Session(key=b"other"))
    kernel.shell_channel_thread = None  # the main thread, dispatching: not an arrival
    session.deserialize(session.feed_identities([zmq.Frame(p) for p in session.serialize(msg)], copy=False)[1],
                        content=True, copy=False)
    assert len(seen) == 1


def test_an_observer_that_fails_costs_the_message_nothing():
    import threading

    session = Session(key=b"secret")
    internals.see_arrivals(session, _Kernel(threading.current_thread()), lambda msg: 1 / 0)
    msg = session.msg("kernel_info_request", {})
    assert _arrive(session, msg)["header"]["msg_id"] == msg["header"]["msg_id"]


def test_waiting_requests_read_their_cells_when_asked():
    from reactive_kernel.jupyter.request import MetadataReader, WaitingRequests

    session = Session(key=b"secret")
    waiting = WaitingRequests(MetadataReader())

    def arrive(cell_id, msg_type="execute_request", **header):
        msg = session.msg(msg_type, {"code": "x = 1"}, metadata={"cellId": cell_id})
        msg["header"].update(header)
        waiting.arrived(_arrive(session, msg))
        return msg

    first, second = arrive("c1"), arrive("c2")
    arrive("elsewhere", subshell_id="s1")  # a subshell's request never holds the main shell's cells
    arrive("not a request", msg_type="complete_request")
    malformed = session.msg("execute_request", {})
    malformed["metadata"] = {"cellId": 7}
    waiting.arrived(_arrive(session, malformed))
    assert waiting.cells() == {"c1", "c2"}
    waiting.dispatched(first)
    assert waiting.cells() == {"c2"}
    waiting.dispatched(second)
    waiting.dispatched(malformed)
    assert waiting.cells() == set() and not waiting._waiting
