"""A small synchronous client that talks the real Jupyter protocol to a kernel.

Tests send execute_requests the way frontends do (``metadata.cellId``,
``metadata.deletedCells``) and get back the reply plus every IOPub message the
request caused, in order.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from jupyter_client.manager import start_new_kernel

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def plain(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass
class Execution:
    reply: dict
    messages: list[dict] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    @property
    def reactive(self) -> dict:
        return self.reply["metadata"]["reactive"]

    def of_type(self, *types: str) -> list[dict]:
        return [m for m in self.messages if m["msg_type"] in types]

    def updates(self, display_id: str) -> list[dict]:
        return [m for m in self.of_type("update_display_data")
                if m["content"].get("transient", {}).get("display_id") == display_id]

    def text(self) -> str:
        """All text the request showed, as a person would read it."""
        parts = []
        for m in self.messages:
            c = m["content"]
            if m["msg_type"] == "stream":
                parts.append(c["text"])
            elif m["msg_type"] in ("display_data", "execute_result", "update_display_data"):
                parts.append(c["data"].get("text/plain", ""))
            elif m["msg_type"] == "error":
                parts.append("\n".join(c["traceback"]))
        return plain("\n".join(parts))


class KernelSession:
    """One running kernel and a blocking client for it."""

    def __init__(self, kernel_name: str = "reactive", **kwargs):
        self.manager, self.client = start_new_kernel(kernel_name=kernel_name, **kwargs)

    def execute(self, code: str, cell_id: str | None = None, *, deleted=(), silent=False,
                metadata: dict | None = None, stop_on_error=True, timeout: float = 60) -> Execution:
        msg_id = self.send(code, cell_id, deleted=deleted, silent=silent, metadata=metadata,
                           stop_on_error=stop_on_error)
        return self.collect([msg_id], timeout)[0]

    def execute_many(self, cells: list[tuple[str, str]], timeout: float = 60) -> list[Execution]:
        """Send (code, cell id) requests back to back, as *Run All* does, then
        collect them: later requests queue while earlier ones run."""
        return self.collect([self.send(code, cell_id) for code, cell_id in cells], timeout)

    def send(self, code: str, cell_id: str | None = None, *, deleted=(), silent=False,
             metadata: dict | None = None, stop_on_error=True) -> str:
        kc = self.client
        content = {"code": code, "silent": silent, "store_history": not silent,
                   "user_expressions": {}, "allow_stdin": False, "stop_on_error": stop_on_error}
        msg = kc.session.msg("execute_request", content)
        if cell_id is not None:
            msg["metadata"]["cellId"] = cell_id
        if deleted:
            msg["metadata"]["deletedCells"] = list(deleted)
        msg["metadata"].update(metadata or {})
        kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def collect(self, msg_ids: list[str], timeout: float = 60) -> list[Execution]:
        kc = self.client
        replies: dict[str, dict] = {}
        while len(replies) < len(msg_ids):
            reply = kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") in msg_ids:
                replies[reply["parent_header"]["msg_id"]] = reply
        messages: dict[str, list] = {msg_id: [] for msg_id in msg_ids}
        idle: set[str] = set()
        while len(idle) < len(msg_ids):
            m = kc.get_iopub_msg(timeout=timeout)
            parent = m["parent_header"].get("msg_id")
            if parent not in messages:
                continue
            if m["msg_type"] == "status":
                if m["content"]["execution_state"] == "idle":
                    idle.add(parent)
                continue
            if m["msg_type"] != "execute_input":
                messages[parent].append(m)
        return [Execution(replies[msg_id], messages[msg_id]) for msg_id in msg_ids]

    def value(self, expression: str):
        """The repr of an expression, evaluated silently (leaves no trace)."""
        kc = self.client
        msg_id = kc.execute("", silent=True, user_expressions={"v": expression})
        while True:
            reply = kc.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        result = reply["content"]["user_expressions"]["v"]
        if result["status"] != "ok":
            return None
        return result["data"]["text/plain"]

    def __enter__(self) -> "KernelSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
