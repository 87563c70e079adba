"""User display ids in a cell's Recording and in the companion's ``outputs``
message (issue 19): what a frontend does with a display id, done where the
kernel holds a rerun cell's outputs."""
from __future__ import annotations

from reactive_kernel.jupyter.outputs import Recording, nbformat_outputs, user_display_ids
from reactive_kernel.vocabulary import DESCENDANT
from tests.test_companion_messages import companion, open_comm  # noqa: F401  (a fixture)


def shown(text: str, display: str | None = None) -> dict:
    return {"data": {"text/plain": text}, "metadata": {}, "transient": {"display_id": display} if display else {}}


def test_a_display_id_shown_again_updates_where_it_showed_and_is_kept_per_output():
    recording = Recording()
    recording.add("display_data", shown("a", "n"))
    recording.add("stream", {"name": "stdout", "text": "between\n"})
    recording.add("display_data", shown("plain"))
    recording.add("display_data", shown("b", "n"))
    texts = [o.get("data", {}).get("text/plain", o.get("text")) for o in nbformat_outputs(recording.parts)]
    assert texts == ["b", "between\n", "plain", "b"]
    assert user_display_ids(recording.parts) == ["n", None, None, "n"]


def test_outputs_carry_their_display_ids_when_one_has_one(companion):  # noqa: F811
    capable = open_comm(companion, "capable", capabilities=["outputs"])
    recording = Recording()
    recording.add("stream", {"name": "stdout", "text": "hi\n"})
    recording.add("display_data", shown("a", "n"))
    companion.send_outputs("c", DESCENDANT, 3, nbformat_outputs(recording.parts), user_display_ids(recording.parts))
    companion.send_outputs("d", DESCENDANT, 4, [], [])
    first, second = capable.sent
    assert first["display_ids"] == [None, "n"] and len(first["outputs"]) == 2
    assert "display_ids" not in second
