"""The debugger (issue 9): the kernelspec and kernel_info advertise it, and a
client driving the Debug Adapter Protocol over ``debug_request`` stops at a
breakpoint in the requested cell and in a cell rerun for another one."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from tests.support.client import KernelSession

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60

pytest.importorskip("debugpy")


class Debugger:
    """A DAP client over the control channel, as JupyterLab's debugger is."""

    def __init__(self, session: KernelSession):
        self.kc = session.client
        self.seq = itertools.count(1)

    def request(self, command: str, arguments: dict | None = None) -> dict:
        msg = self.kc.session.msg("debug_request", {
            "type": "request", "seq": next(self.seq), "command": command, "arguments": arguments or {}})
        self.kc.control_channel.send(msg)
        while True:
            reply = self.kc.get_control_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                return reply["content"]

    def start(self) -> None:
        self.request("initialize", {"clientID": "reactive-tests", "adapterID": "", "pathFormat": "path",
                                    "linesStartAt1": True, "columnsStartAt1": True,
                                    "supportsVariableType": True, "locale": "en"})
        assert self.request("attach")["success"]

    def break_at(self, code: str, line: int) -> str:
        path = self.request("dumpCell", {"code": code})["body"]["sourcePath"]
        reply = self.request("setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": line}],
                                                "sourceModified": False})
        assert reply["success"] and reply["body"]["breakpoints"][0]["verified"]
        return path

    def wait_stopped(self) -> dict:
        while True:
            msg = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["msg_type"] == "debug_event" and msg["content"].get("event") == "stopped":
                return msg["content"]["body"]

    def top_frame(self, thread: int) -> dict:
        return self.request("stackTrace", {"threadId": thread})["body"]["stackFrames"][0]


def test_kernelspec_and_kernel_info_advertise_the_debugger():
    spec = json.loads((ROOT / "kernelspec" / "kernel.json").read_text())
    assert spec["metadata"]["debugger"] is True
    with KernelSession() as kernel:
        kc = kernel.client
        kc.kernel_info()
        info = kc.get_shell_msg(timeout=TIMEOUT)["content"]
        assert "debugger" in info["supported_features"]


def test_breakpoints_stop_in_the_requested_cell_and_in_a_rerun_cell():
    with KernelSession() as kernel:
        debugger = Debugger(kernel)
        debugger.start()
        first = "x = 1"
        second = "y = x + 1\nz = y * 10"
        kernel.execute(first, "c1")
        kernel.execute(second, "c2")
        path = debugger.break_at(second, 2)
        assert debugger.request("configurationDone")["success"]

        # the requested cell stops at its breakpoint
        msg_id = kernel.send(second, "c2")
        stopped = debugger.wait_stopped()
        frame = debugger.top_frame(stopped["threadId"])
        assert frame["source"]["path"] == path and frame["line"] == 2
        assert debugger.request("continue", {"threadId": stopped["threadId"]})["success"]
        (done,) = kernel.collect([msg_id])
        assert done.status == "ok"

        # editing c1 reruns c2 for it: the same breakpoint stops there
        msg_id = kernel.send("x = 5", "c1")
        stopped = debugger.wait_stopped()
        frame = debugger.top_frame(stopped["threadId"])
        assert frame["source"]["path"] == path and frame["line"] == 2
        scopes = debugger.request("scopes", {"frameId": frame["id"]})["body"]["scopes"]
        names = {v["name"]: v["value"] for scope in scopes
                 for v in debugger.request("variables", {"variablesReference": scope["variablesReference"]})
                 ["body"]["variables"]}
        assert names.get("y") == "6"  # stopped before line 2 ran, with the new x
        assert debugger.request("continue", {"threadId": stopped["threadId"]})["success"]
        (done,) = kernel.collect([msg_id])
        assert [e["cell_id"] for e in done.reactive["ran"]] == ["c1", "c2"]
        assert kernel.value("z") == "60"
