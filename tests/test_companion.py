"""The ``reactive`` comm (docs/companion.md), spoken by a real client to the
real kernel, without a browser: what the JupyterLab companion relies on, and
what any other frontend may implement.  Also: the wheel carries the prebuilt
companion extension."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from jupyter_client import BlockingKernelClient

from tests.support.client import Execution, KernelSession
from tests.support.companion_states import Mirror, comparable

ROOT = Path(__file__).resolve().parents[1]


class Companion:
    """A comm opened to the kernel's ``reactive`` target, as a frontend opens it."""

    def __init__(self, session: KernelSession, order: list[str] | None = None, capabilities=()):
        self.session = session
        self.comm_id = uuid.uuid4().hex
        data = {} if order is None else {"order": order}
        if capabilities:
            data["capabilities"] = list(capabilities)
        self.opened = self._request("comm_open", {"comm_id": self.comm_id, "target_name": "reactive",
                                                  "data": data})

    def send(self, data) -> str:
        """Send without waiting (what a frontend does before an execute_request)."""
        kc = self.session.client
        msg = kc.session.msg("comm_msg", {"comm_id": self.comm_id, "data": data})
        kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def ask(self, data) -> list[dict]:
        return self.collect(self.send(data))

    def close(self) -> list[dict]:
        return self._request("comm_close", {"comm_id": self.comm_id, "data": {}})

    def _request(self, msg_type: str, content: dict) -> list[dict]:
        kc = self.session.client
        msg = kc.session.msg(msg_type, content)
        kc.shell_channel.send(msg)
        return self.collect(msg["header"]["msg_id"])

    def collect(self, msg_id: str) -> list[dict]:
        """The comm data the kernel sent while handling ``msg_id``."""
        kc, found = self.session.client, []
        while True:
            m = kc.get_iopub_msg(timeout=30)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return found
            if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == self.comm_id:
                found.append(m["content"]["data"])


def comm_data(execution: Execution, companion: Companion | None = None) -> list[dict]:
    """The comm messages of a request (to ``companion`` only, if given)."""
    return [m["content"]["data"] for m in execution.of_type("comm_msg")
            if companion is None or m["content"]["comm_id"] == companion.comm_id]


def state_of(execution: Execution) -> dict:
    [state] = [d for d in comm_data(execution) if d["type"] == "state"]
    return state


def engine_value(session: KernelSession, expression: str):
    return session.value(f"get_ipython().kernel.engine.{expression}")


@pytest.fixture
def session():
    with KernelSession("reactive") as s:
        yield s


def test_open_says_hello_and_sends_the_state(session):
    session.execute("x = 1", "a")
    companion = Companion(session)
    hello, state = companion.opened
    assert hello == {"type": "hello", "version": 1}
    assert state["type"] == "state"
    assert state["cells"]["a"]["state"] == "ran"
    assert state["cells"]["a"]["label"] == "x"


def test_without_a_companion_no_comm_message_is_sent(session):
    session.execute("x = 1", "a")
    run = session.execute("y = x + 1", "b")
    assert run.of_type("comm_msg") == []
    assert engine_value(session, "order_source()") == "'registration'"


def test_page_order_sent_before_an_execute_request_is_used_by_it(session):
    """An unsaved cell inserted between two others: a later reader reruns."""
    session.execute("x = 1", "a")
    session.execute("y = x + 1", "b")
    companion = Companion(session, order=["a", "b"])
    # the user inserts c between a and b and runs it at once: the order goes
    # out first, the execute_request right behind it, neither waited for
    companion.send({"type": "order", "cells": ["a", "c", "b"]})
    run = session.execute("x = 10", "c")
    assert [(e["cell_id"], e["role"]) for e in run.reactive["ran"]] == [("c", "target"), ("b", "descendant")]
    assert run.reactive["order"] == "page"
    assert session.value("y") == "11"
    state = state_of(run)
    assert state["request"] == {"count": run.reply["content"]["execution_count"], "cell_id": "c"}
    assert state["cells"]["b"]["state"] == "reran"
    assert state["cells"]["b"]["by"] == "c"
    assert state["cells"]["b"]["count"] == run.reply["content"]["execution_count"]
    assert "x changed" in state["cells"]["b"]["why"]
    assert list(state["cells"]) == ["a", "c", "b"]


def test_without_the_order_the_same_cell_counts_as_last(session):
    """The control for the test above: registration order puts c after b."""
    session.execute("x = 1", "a")
    session.execute("y = x + 1", "b")
    run = session.execute("x = 10", "c")
    assert [e["cell_id"] for e in run.reactive["ran"]] == ["c"]
    assert session.value("y") == "2"


def test_moving_cells_makes_readers_stale_and_says_so(session):
    session.execute("x = 1", "a")
    session.execute("y = x", "b")
    companion = Companion(session, order=["a", "b"])
    [state] = companion.ask({"type": "order", "cells": ["b", "a"]})  # b moved above a
    assert state["order"] == "page"
    assert list(state["cells"]) == ["b", "a"]
    assert state["cells"]["b"]["state"] == "stale"  # its x no longer comes from a
    assert state["cells"]["a"]["state"] == "ran"


def test_badges_through_a_failure_and_its_fix(session):
    session.execute("x = 1", "a")
    session.execute("y = x + 1", "b")
    session.execute("z = y + 1", "c")
    Companion(session, order=["a", "b", "c"])
    failed = session.execute("x = 1 / 0", "a")
    state = state_of(failed)["cells"]
    assert state["a"]["state"] == "failed"
    assert state["b"]["state"] == "failed-upstream" and state["b"]["upstream"] == "a"
    assert state["c"]["state"] == "failed-upstream" and state["c"]["upstream"] == "a"

    fixed = session.execute("x = 5", "a")
    count = fixed.reply["content"]["execution_count"]
    state = state_of(fixed)["cells"]
    assert state["a"] == {**state["a"], "state": "ran", "role": "target", "count": count}
    assert state["b"]["state"] == state["c"]["state"] == "reran"
    assert state["b"]["count"] == state["c"]["count"] == count
    assert "upstream" not in state["b"]

    again = session.execute("y = x + 1", "b")
    state = state_of(again)["cells"]
    assert state["b"]["state"] == "ran"


def test_stale_cells_when_autorun_is_off(session):
    session.execute("x = 1", "a")
    session.execute("y = x + 1", "b")
    session.execute("get_ipython().kernel.engine.autorun = False", None)
    Companion(session)
    run = session.execute("x = 2", "a")
    state = state_of(run)["cells"]
    assert state["b"]["state"] == "stale"
    assert "why" not in state["b"]


def test_related_cells_upstream_and_downstream(session):
    for code, cell in [("x = 1", "a"), ("y = x + 1", "b"), ("z = y * 2", "c"), ("w = 3", "d")]:
        session.execute(code, cell)
    companion = Companion(session)
    [reply] = companion.ask({"type": "related", "cell_id": "b", "id": 7})
    assert reply == {"type": "related", "id": 7, "cell_id": "b", "known": True,
                     "upstream": ["a"], "downstream": ["c"]}
    [reply] = companion.ask({"type": "related", "cell_id": "c"})
    assert reply["upstream"] == ["a", "b"] and reply["downstream"] == []
    [reply] = companion.ask({"type": "related", "cell_id": "never-ran"})
    assert reply["known"] is False and reply["upstream"] == reply["downstream"] == []


def test_graph_has_cells_as_nodes_and_names_on_edges(session):
    for code, cell in [("x = 1\ny = 2", "a"), ("z = x + y", "b"), ("print(z, x)", "c")]:
        session.execute(code, cell)
    companion = Companion(session)
    [graph] = companion.ask({"type": "graph", "id": "g"})
    assert graph["id"] == "g"
    assert [(n["id"], n["label"], n["state"], n["prompt"]) for n in graph["nodes"]] == [
        ("a", "x, y", "ran", 1), ("b", "z", "ran", 2), ("c", "print(z, x)", "ran", 3)]
    edges = {(e["source"], e["target"]): e["names"] for e in graph["edges"]}
    assert edges == {("a", "b"): ["x", "y"], ("b", "c"): ["z"], ("a", "c"): ["x"]}


@pytest.mark.parametrize("data, complaint", [
    ("order", "an object with a string 'type'"),
    ({"cells": []}, "an object with a string 'type'"),
    ({"type": "order", "cells": "a,b"}, "a list of cell ids"),
    ({"type": "order", "cells": ["a", 3]}, "a list of cell ids"),
    ({"type": "related"}, "'related' needs 'cell_id'"),
    ({"type": "rerun-everything"}, "unknown message type 'rerun-everything'"),
])
def test_bad_messages_get_a_clear_error_and_change_nothing(session, data, complaint):
    session.execute("x = 1", "a")
    session.execute("y = x + 1", "b")
    companion = Companion(session, order=["a", "b"])
    [error] = companion.ask(data)
    assert error["type"] == "error" and complaint in error["message"]
    assert engine_value(session, "graph.sequence()") == "['a', 'b']"
    run = session.execute("x = 2", "a")
    assert [e["cell_id"] for e in run.reactive["ran"]] == ["a", "b"]


def test_closing_the_last_comm_gives_the_order_back_to_the_file(session):
    session.execute("x = 1", "a")
    companion = Companion(session, order=["a"])
    assert engine_value(session, "order_source()") == "'page'"
    companion.close()
    assert engine_value(session, "order_source()") == "'registration'"
    assert session.execute("y = x", "b").of_type("comm_msg") == []


def test_an_order_arriving_while_a_cell_awaits_waits_for_the_request_to_end(session):
    """A cell with a top-level await lets comm messages through while it runs:
    the order must not change under the running plan, only after it."""
    session.execute("x = 1", "a")
    session.execute("y = x + 1", "b")
    companion = Companion(session, order=["a", "b"])
    code = ("import asyncio\nawait asyncio.sleep(1)\n"
            "seen = get_ipython().kernel.companion.pending, get_ipython().kernel.engine.order_source()")
    msg_id = session.send(code, "s")
    companion.send({"type": "order", "cells": ["s", "a", "c", "b"]})
    [run] = session.collect([msg_id])
    assert run.status == "ok"
    # while the cell ran the order waited; when the request ended it applied
    assert session.value("seen") == "([('order', ['s', 'a', 'c', 'b'])], 'page')"
    assert engine_value(session, "graph.sequence()") == "['s', 'a', 'b']"
    assert state_of(run)["order"] == "page"
    after = session.execute("x = 10", "c")
    assert [e["cell_id"] for e in after.reactive["ran"]] == ["c", "b"]


# -- live sources, deletions, progress, outputs (issue 19) ---------------------------------

def test_after_a_restart_the_unsaved_edit_on_screen_is_what_runs(tmp_path):
    """Cell 1 shows ``k = 50`` (not saved), the file says ``k = 1``: running
    the last cell after a restart runs what is on screen."""
    from tests.support.notebook_file import write_notebook

    path = tmp_path / "saved.ipynb"
    write_notebook(path, [("c1", "k = 1"), ("c2", "m = k + 1"), ("c3", "n = m * 10")])
    env = {**os.environ, "JPY_SESSION_NAME": str(path)}
    with KernelSession("reactive", env=env, cwd=str(tmp_path)) as kernel:
        companion = Companion(kernel, order=["c1", "c2", "c3"])
        [state] = companion.ask({"type": "sources", "cells": [
            {"id": "c1", "source": "k = 50"}, {"id": "c2", "source": "m = k + 1"},
            {"id": "c3", "source": "n = m * 10"}]})
        assert state["cells"]["c1"]["state"] == "unrun"
        run = kernel.execute("n = m * 10", "c3")
        assert [(e["cell_id"], e["role"]) for e in run.reactive["ran"]] == [
            ("c1", "ancestor"), ("c2", "ancestor"), ("c3", "target")]
        assert kernel.value("n") == "510"


def test_a_deleted_cell_loses_its_names_before_any_later_request(session):
    session.execute("k = 1", "a")
    session.execute("m = k + 1", "b")
    companion = Companion(session, order=["a", "b"])
    [state] = companion.ask({"type": "deleted", "cells": ["a"]})
    assert list(state["cells"]) == ["b"] and state["cells"]["b"]["state"] == "stale"
    assert session.value("'k' in globals()") == "False"  # a silent request plans nothing
    # the next request names the deleted cell again, as JupyterLab does: harmless
    run = session.execute("z = 1", "c", deleted=["a"])
    assert run.status == "ok"
    assert session.value("'k' in globals()") == "False"
    assert engine_value(session, "graph.sequence()") == "['b', 'c']"


def test_running_arrives_before_each_cell_not_requested(session):
    session.execute("k = 1", "a")
    session.execute("m = k + 1", "b")
    session.execute("n = m + 1", "c")
    companion = Companion(session, order=["a", "b", "c"])
    run = session.execute("k = 2", "a")
    count = run.reply["content"]["execution_count"]
    data = comm_data(run, companion)
    kinds = [(d["type"], d.get("cell_id")) for d in data if d["type"] in ("running", "state")]
    assert kinds == [("running", "b"), ("running", "c"), ("state", None)]
    running = [d for d in data if d["type"] == "running"]
    assert running[0] == {"type": "running", "cell_id": "b", "role": "descendant",
                          "request": {"count": count, "cell_id": "a"}}
    assert state_of(run)["summary"].startswith("↻ reran: ")


def test_outputs_go_only_to_the_companion_that_writes_them(session):
    session.execute("k = 1", "a")
    session.execute("print(k * 2)\nk", "b")
    plain = Companion(session, order=["a", "b"])
    capable = Companion(session, order=["a", "b"], capabilities=["outputs"])
    run = session.execute("k = 5", "a")
    [outputs] = [d for d in comm_data(run, capable) if d["type"] == "outputs"]
    assert not [d for d in comm_data(run, plain) if d["type"] == "outputs"]
    assert outputs["cell_id"] == "b" and outputs["role"] == "descendant"
    # a count of its own, after the requested cell's: counts increase down the page
    assert outputs["execution_count"] == run.reply["content"]["execution_count"] + 1
    assert [d["type"] for d in comm_data(run, capable)] == ["running", "outputs", "state"]
    types = [(o["output_type"], o.get("text") or o.get("data", {}).get("text/plain")) for o in outputs["outputs"]]
    assert types == [("stream", "10\n"), ("execute_result", "5")]


def test_a_cell_run_for_another_while_its_own_request_waits_gets_no_outputs_message(session):
    """Run C, then B before C's request ends: C's request runs B first (its
    input is gone), but B's own request is queued and the frontend cleared B
    for it, so the outputs of that run are not written into B (they would
    stand beside B's own outputs and be saved with them)."""
    page = Companion(session, order=["a", "b", "c"], capabilities=["outputs", "deltas"])
    for code, cell in [("x = 1", "a"), ("import time\ntime.sleep(0.3)\ny = x + 1\nprint('b ran')", "b"),
                       ("y = y * 10\ny", "c")]:
        session.execute(code, cell)
    c_request, b_request = session.collect([session.send("y = y * 10\ny", "c"),
                                            session.send("import time\ntime.sleep(0.3)\ny = x + 1\nprint('b ran')", "b")])
    assert [e["cell_id"] for e in c_request.reactive["ran"]] == ["b", "c"]
    assert [d for d in comm_data(c_request, page) if d["type"] == "outputs"] == []
    assert [m["content"]["text"] for m in b_request.of_type("stream")] == ["b ran\n"]
    # alone, an ancestor's outputs go to its cell as before
    run = session.execute("y = y * 10\ny", "c")
    [outputs] = [d for d in comm_data(run, page) if d["type"] == "outputs"]
    assert outputs["cell_id"] == "b"


# -- deltas; comms whose frontend is gone (issue 20) -----------------------------------------

def test_deltas_rebuild_exactly_the_full_state_through_the_real_kernel(session):
    """A companion that merges deltas holds, after every request and every
    page change, exactly the state a full ``state`` answer gives."""
    for code, cell in [("k = 1", "a"), ("m = k + 1", "b"), ("print(m)", "c"), ("z = 0", "d")]:
        session.execute(code, cell)
    session.execute("get_ipython().kernel.companion.states.verify = True", None)
    page = Companion(session, order=["a", "b", "c", "d"], capabilities=["outputs", "deltas"])
    full = Companion(session)  # no deltas: full states, also to ask with
    mirror = Mirror()
    mirror.apply(page.opened)

    def check(data):
        mirror.apply(data)
        [state] = full.ask({"type": "state"})
        assert mirror.comparable() == comparable(state)
        return [d for d in data if d["type"] == "state"]

    [delta] = check(comm_data(session.execute("k = 2", "a"), page))
    assert delta["delta"] is True and list(delta["cells"]) == ["a", "b", "c"]
    [delta] = check(comm_data(session.execute("z = 1", "d"), page))
    assert list(delta["cells"]) == ["d"]  # nothing else changed: nothing else sent
    check(comm_data(session.execute("k = 1 / 0", "a"), page))
    assert mirror.state["cells"]["c"]["state"] == "failed-upstream"
    check(comm_data(session.execute("k = 3", "a"), page))
    # a cell inserted between a and b, code edited on the page, then run
    check(page.ask({"type": "order", "cells": ["a", "e", "b", "c", "d"]}))
    check(page.ask({"type": "sources", "cells": [{"id": "e", "source": "k = 10"}, {"id": "b", "source": "m = k * 2"}]}))
    check(comm_data(session.execute("k = 10", "e"), page))
    assert list(mirror.state["cells"]) == ["a", "e", "b", "c", "d"]
    assert mirror.state["cells"]["b"]["state"] == "reran"
    check(page.ask({"type": "deleted", "cells": ["d"]}))
    check(page.ask({"type": "order", "cells": ["a", "e", "b", "c"]}))
    # deleted as JupyterLab says it in the next request, and a %%cell name
    check(comm_data(session.execute("%%cell total\nt = m + 1", "f", deleted=["c"]), page))
    assert list(mirror.state["cells"]) == ["a", "e", "b", "total"] and mirror.state["cells"]["total"]["label"] == "total"
    assert engine_value(session, "graph.sequence()") == "['a', 'e', 'b', 'total']"
    assert session.value("get_ipython().kernel.companion.states.mismatches") == "[]"


def test_a_new_comm_gets_the_full_state_then_deltas(session):
    for code, cell in [("k = 1", "a"), ("m = k + 1", "b")]:
        session.execute(code, cell)
    companion = Companion(session, capabilities=["deltas"])
    hello, state = companion.opened
    assert "delta" not in state and list(state["cells"]) == ["a", "b"]
    [delta] = [d for d in comm_data(session.execute("m = k + 2", "b"), companion) if d["type"] == "state"]
    assert delta["delta"] is True and list(delta["cells"]) == ["b"]


def test_the_requesting_clients_companion_gets_the_state_in_the_reply(session):
    """A companion that reads replies (``replies``) costs no comm message per
    request: the state comes in ``metadata.reactive.state`` of the reply to
    its own client, addressed to its comm.  A companion of another client
    (a second browser tab) never sees that reply: it still gets a comm message."""
    for code, cell in [("k = 1", "a"), ("m = k + 1", "b")]:
        session.execute(code, cell)
    page = Companion(session, order=["a", "b", "c"], capabilities=["outputs", "deltas", "replies"])
    other_client = BlockingKernelClient()  # its own session id (``manager.client()`` shares the manager's)
    other_client.load_connection_info(session.manager.get_connection_info())
    other_client.start_channels()
    other_client.wait_for_ready(timeout=30)
    other = KernelSession.__new__(KernelSession)
    other.manager, other.client = session.manager, other_client
    try:
        tab = Companion(other, order=["a", "b", "c"], capabilities=["outputs", "deltas", "replies"])
        full = Companion(session)  # no deltas: full states, also to ask with
        mirror, tab_mirror = Mirror(), Mirror()
        mirror.apply(page.opened)
        tab_mirror.apply(tab.opened)
        for code, cell in [("k = 2", "a"), ("print(m)", "c"), ("m = k * 3", "b")]:
            execution = session.execute(code, cell)
            assert [d for d in comm_data(execution, page) if d["type"] == "state"] == []
            carried = execution.reactive["state"]
            assert carried["comm_id"] == page.comm_id and carried["message"]["delta"] is True
            mirror.apply([carried["message"]])
            tab_mirror.apply(tab.collect(execution.reply["parent_header"]["msg_id"]))
            [state] = full.ask({"type": "state"})
            assert mirror.comparable() == comparable(state) == tab_mirror.comparable()
        assert mirror.state["cells"]["c"]["state"] == "reran"
    finally:
        other_client.stop_channels()


def test_the_state_asked_for_names_the_last_request(session):
    """A companion that saw a delta before the one it follows (the reply came
    before the IOPub message) asks for the full state: it names the request
    the missed state was for, so the page shows that request's lines."""
    session.execute("k = 1", "a")
    session.execute("m = k + 1; m", "b")
    page = Companion(session, order=["a", "b", "c"], capabilities=["deltas", "replies"])
    assert page.opened[1]["request"] == {"count": None, "cell_id": None}
    execution = session.execute("k = 10", "a")
    missed = execution.reactive["state"]["message"]
    assert missed["summary"].startswith("↻ reran: ")
    [state] = page.ask({"type": "state"})
    assert "delta" not in state and state["version"] == missed["version"]
    assert state["request"] == missed["request"] == {
        "count": execution.reply["content"]["execution_count"], "cell_id": "a"}
    assert state["summary"] == missed["summary"]
    assert state["cells"]["b"]["state"] == "reran"


def test_an_expired_comm_is_closed_and_sent_nothing_more(session):
    """Asked whether it is there (``ping``), one companion answers, the
    other (a reloaded tab's) does not: it is closed, and sent nothing after."""
    session.execute("x = 1", "a")
    live = Companion(session, order=["a"], capabilities=["deltas"])
    gone = Companion(session, order=["a"], capabilities=["deltas"])
    # ask at once, close at once (the defaults: 5 minutes' silence, then 1 minute)
    run = session.execute("get_ipython().kernel.companion.__dict__.update(quiet=0, grace=0)", None)
    assert {"type": "ping"} in comm_data(run, live) and {"type": "ping"} in comm_data(run, gone)
    assert live.ask({"type": "pong"}) == []
    run = session.execute("x = 2", "a")
    assert [m["content"]["comm_id"] for m in run.of_type("comm_close")] == [gone.comm_id]
    assert [d["type"] for d in comm_data(run, live)] == ["state", "ping"]
    live.ask({"type": "pong"})
    run = session.execute("x = 3", "a")
    assert comm_data(run, gone) == [] and [d["type"] for d in comm_data(run, live)] == ["state", "ping"]
    assert session.value("sorted(get_ipython().kernel.companion.comms) == [%r]" % live.comm_id) == "True"
    assert engine_value(session, "order_source()") == "'page'"


# -- the wheel ------------------------------------------------------------------------

def _clean_copy(dest: Path) -> None:
    """The working tree as a clean clone would have it (what git tracks or
    would add), without node_modules or build outputs."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


@pytest.mark.skipif(shutil.which("node") is None, reason="building the companion needs Node.js")
def test_wheel_from_a_clean_tree_carries_the_enabled_extension(tmp_path):
    source, dist, prefix = tmp_path / "src", tmp_path / "dist", tmp_path / "prefix"
    _clean_copy(source)
    assert not (source / "companion" / "labextension").exists()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
                   check=True, timeout=600)
    [wheel] = dist.glob("reactive_kernel-*.whl")
    # --ignore-installed: without it pip uninstalls this venv's own install first
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--ignore-installed", "-q",
                    "--prefix", str(prefix),
                    str(wheel)], check=True, timeout=300)
    extension = prefix / "share" / "jupyter" / "labextensions" / "reactive-kernel-companion"
    assert (extension / "package.json").is_file() and (extension / "install.json").is_file()
    assert list((extension / "static").glob("remoteEntry.*.js"))
    env = {**os.environ, "JUPYTER_PATH": str(prefix / "share" / "jupyter"), "NO_COLOR": "1"}
    listing = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], env=env,
                             capture_output=True, text=True, timeout=120)
    text = listing.stdout + listing.stderr
    section = text.split(str(prefix / "share" / "jupyter" / "labextensions"), 1)[1]
    line = next(line for line in section.splitlines() if "reactive-kernel-companion" in line)
    assert "enabled" in line and "OK" in line and "(python, reactive-kernel)" in line


def test_the_installed_environment_has_the_extension_enabled():
    """``pip install`` (editable, as CI installs) made it available here."""
    listing = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"],
                             env={**os.environ, "NO_COLOR": "1"}, capture_output=True, text=True,
                             timeout=120)
    line = next(line for line in (listing.stdout + listing.stderr).splitlines()
                if "reactive-kernel-companion" in line)
    assert "enabled" in line and "OK" in line


def test_a_companion_opening_after_a_restart_sees_the_saved_cells_unrun(tmp_path):
    """Before any request, the kernel already knows the saved notebook's cells."""
    from tests.support.notebook_file import write_notebook

    path = tmp_path / "saved.ipynb"
    write_notebook(path, [("a", "x = 1"), ("b", "y = x + 1")])
    env = {**os.environ, "JPY_SESSION_NAME": str(path)}
    with KernelSession("reactive", env=env, cwd=str(tmp_path)) as kernel:
        _, state = Companion(kernel).opened
        assert {c: s["state"] for c, s in state["cells"].items()} == {"a": "unrun", "b": "unrun"}
        assert state["order"] == "notebook"


def _jlpm() -> str | None:
    """jlpm comes with jupyterlab, beside this Python."""
    return shutil.which("jlpm", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))


@pytest.mark.skipif(not (ROOT / "companion" / "node_modules" / ".bin" / "eslint").exists() or _jlpm() is None,
                    reason="linting the companion needs its dev dependencies: jlpm install in companion/")
def test_the_companion_sources_pass_eslint_and_prettier():
    result = subprocess.run([_jlpm(), "lint:check"], cwd=ROOT / "companion", capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
