"""A scripted companion: a notebook frontend that opens the ``reactive`` comm
announcing ``"outputs"`` (docs/companion.md), over a real kernel.

Each request's IOPub messages go to the requesting cell through nbclient's
``process_message``, as :class:`FrontendNotebook` applies them; each
``outputs`` comm message replaces its cell's outputs and execution count, and
an update of a display id one of them was shown under replaces it, as the
JupyterLab companion does.  Then the notebook can be saved and compared
with what plain ipykernel saves after Restart & Run All.
"""
from __future__ import annotations

import uuid

import nbformat

from tests.support.client import Execution, KernelSession
from tests.support.notebooks import FrontendNotebook, normalize, output_text


class CompanionNotebook(FrontendNotebook):
    def __init__(self, nb, session: KernelSession, **kwargs):
        super().__init__(nb, session, **kwargs)
        self.comm_id = uuid.uuid4().hex
        #: every ``outputs`` message applied, in order
        self.written: list[dict] = []
        data = {"order": self._order(), "capabilities": ["outputs"]}
        self._wait(self._send("comm_open", {"comm_id": self.comm_id, "target_name": "reactive", "data": data}))
        self._wait(self._comm({"type": "sources", "cells": [
            {"id": c.id, "source": c.source} for c in nb.cells if c.cell_type == "code"]}))

    def _order(self) -> list[str]:
        return [c.id for c in self.nb.cells if c.cell_type == "code"]

    def _send(self, msg_type: str, content: dict) -> str:
        kc = self.session.client
        msg = kc.session.msg(msg_type, content)
        kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def _comm(self, data: dict) -> str:
        return self._send("comm_msg", {"comm_id": self.comm_id, "data": data})

    def _wait(self, msg_id: str) -> None:
        """Until the kernel is idle after ``msg_id`` (its answers are not needed)."""
        kc = self.session.client
        while True:
            m = kc.get_iopub_msg(timeout=30)
            if (m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status"
                    and m["content"]["execution_state"] == "idle"):
                return

    def run(self, cell_id: str, source: str | None = None, *, deleted=()) -> Execution:
        """Edited code goes out as ``sources`` right before the request, as the companion sends it."""
        if source is not None:
            self.cell(cell_id).source = source
            self._comm({"type": "sources", "cells": [{"id": cell_id, "source": source}]})
        return super().run(cell_id, deleted=deleted)

    def delete(self, cell_id: str) -> None:
        super().delete(cell_id)
        self._wait(self._comm({"type": "deleted", "cells": [cell_id]}))
        self._wait(self._comm({"type": "order", "cells": self._order()}))

    def apply(self, msg: dict, cell, index: int) -> None:
        content = msg["content"]
        if msg["msg_type"] == "comm_msg" and content.get("comm_id") == self.comm_id:
            if content["data"].get("type") == "outputs":
                self.write(content["data"])
            return
        super().apply(msg, cell, index)

    def write(self, data: dict) -> None:
        """What the companion does with an ``outputs`` message: the outputs
        replace the cell's, and those shown under a display id are where a
        later update of that id goes (nbclient's display-id bookkeeping, as
        for the outputs of a request's own messages)."""
        i = self.index(data["cell_id"])
        cell = self.nb.cells[i]
        cell.outputs = [nbformat.from_dict(o) for o in data["outputs"]]
        cell.execution_count = data["execution_count"]
        self.applier.clear_display_id_mapping(i)
        for j, display in enumerate(data.get("display_ids") or []):
            if display:
                self.applier._display_id_map.setdefault(display, {}).setdefault(i, []).append(j)
        self.written.append(data)


def merged(outputs: list[dict]) -> list[dict]:
    """Consecutive streams of one name as one, as JupyterLab shows and saves them."""
    result: list[dict] = []
    for output in outputs:
        last = result[-1] if result else None
        if (output["output_type"] == "stream" and last is not None and last["output_type"] == "stream"
                and last["name"] == output["name"]):
            result[-1] = {**last, "text": last["text"] + output["text"]}
        else:
            result.append(dict(output))
    return result


def saved_outputs(nb) -> list[list[tuple[str, str]]]:
    """Per code cell, (output type, normalised text) of each output, as compared with a saved file."""
    return [[(o["output_type"], normalize(output_text(o))) for o in merged(cell.outputs)]
            for cell in nb.cells if cell.cell_type == "code"]


def counts_in_page_order(nb, cells) -> list[int]:
    """The execution counts of ``cells`` (ids), in page order."""
    return [c.execution_count for c in nb.cells if c.cell_type == "code" and c.id in cells]


def counts_increase(nb, cells) -> bool:
    """The counts of ``cells`` (those a request ran) increase down the page;
    cells it did not run keep the count of their last run."""
    counts = counts_in_page_order(nb, cells)
    return None not in counts and counts == sorted(counts) and len(set(counts)) == len(counts)
