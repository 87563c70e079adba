"""What a companion that announced ``deltas`` holds: the last full ``state``
with every delta since merged in, as docs/companion.md ("Deltas") says and
companion/src/protocol.ts (``mergeState``) does."""
from __future__ import annotations


def merge(state: dict | None, message: dict) -> dict:
    """The state after ``message`` (a full state replaces it)."""
    if not message.get("delta"):
        return message
    assert state is not None, "a delta before any full state"
    removed = set(message["removed"])
    order = message.get("sequence") or (
        [c for c in state["cells"] if c not in removed] + [c for c in message["cells"] if c not in state["cells"]])
    cells = {c: message["cells"].get(c, state["cells"].get(c)) for c in order}
    assert None not in cells.values(), f"a delta names cells it does not send: {order}"
    return {"type": "state", "request": message["request"], "order": message["order"], "cells": cells,
            "summary": message["summary"]}


class Mirror:
    """The state one comm holds, from the state messages it was sent."""

    def __init__(self) -> None:
        self.state: dict | None = None
        #: every state message applied, in order
        self.messages: list[dict] = []

    def apply(self, messages) -> None:
        for message in messages:
            if message.get("type") == "state":
                self.state = merge(self.state, message)
                self.messages.append(message)

    def comparable(self) -> dict:
        """The cells (with their order) and the top-level fields a full state also has."""
        state = self.state or {}
        return {"cells": list((state.get("cells") or {}).items()), "order": state.get("order")}


def comparable(full: dict) -> dict:
    return {"cells": list(full["cells"].items()), "order": full["order"]}
