"""The kernel's per-cell display bookkeeping and recorded outputs, without a kernel."""
import nbformat

from reactive_kernel.jupyter.displays import Displays
from reactive_kernel.jupyter.outputs import Recording, display_id, nbformat_outputs
from reactive_kernel.vocabulary import DESCENDANT


class Published:
    """Stands in for the Publisher: keeps what would go out."""

    def __init__(self):
        self.sent = []

    def send(self, msg_type, content, metadata=None, queued=False):
        self.sent.append((msg_type, content))

    def tagged(self, msg_type, data, metadata, tag, display=None):
        self.sent.append((msg_type, {"data": data, "display": display, "tag": tag}))


def test_an_update_shows_the_cells_output_unchanged_and_tagged():
    published = Published()
    displays = Displays(published)
    displays.show("c1", ({"text/plain": "1"}, {}), replaces_output=True)
    displays.update("c1", ({"text/plain": "2"}, {}), DESCENDANT)
    assert [t for t, _ in published.sent] == ["clear_output", "display_data", "update_display_data"]
    update = published.sent[-1][1]
    assert update["data"] == {"text/plain": "2"} and update["display"] == display_id("c1")
    assert update["tag"] == {"reactive": {"cell_id": "c1", "role": DESCENDANT}}


def test_forgetting_deleted_cells_keeps_the_prompts_dict_others_read():
    displays = Displays(Published())
    prompts = displays.prompts
    prompts["c1"] = 3
    displays.show("c1", ({}, {}), replaces_output=False)
    displays.forget(["c1"])
    assert displays.prompts is prompts and prompts == {}
    assert "c1" not in displays


def valid(output: dict) -> None:
    nbformat.validate(nbformat.from_dict(output), ref="output", version=4, version_minor=5)


def recorded(*messages) -> Recording:
    recording = Recording()
    for msg_type, content in messages:
        recording.add(msg_type, content)
    return recording


def test_recorded_outputs_keep_their_real_types_in_order():
    recording = recorded(
        ("stream", {"name": "stdout", "text": "a\n"}),
        ("stream", {"name": "stdout", "text": "b\n"}),
        ("stream", {"name": "stderr", "text": "warn\n"}),
        ("display_data", {"data": {"text/html": "<b>x</b>", "text/plain": "x"}, "metadata": {}}),
        ("execute_result", {"data": {"text/plain": "42"}, "metadata": {}, "execution_count": 7}),
    )
    outputs = nbformat_outputs(recording.parts)
    assert outputs == [
        {"output_type": "stream", "name": "stdout", "text": "a\nb\n"},
        {"output_type": "stream", "name": "stderr", "text": "warn\n"},
        {"output_type": "display_data", "data": {"text/html": "<b>x</b>", "text/plain": "x"}, "metadata": {}},
        {"output_type": "execute_result", "execution_count": 7, "data": {"text/plain": "42"}, "metadata": {}},
    ]
    for output in outputs:
        valid(output)


def test_an_error_keeps_its_name_value_and_traceback():
    recording = recorded(("error", {"ename": "NameError", "evalue": "name 'a' is not defined",
                                    "traceback": ["\x1b[31mNameError\x1b[0m", "name 'a'"]}))
    (error,) = nbformat_outputs(recording.parts)
    assert error == {"output_type": "error", "ename": "NameError", "evalue": "name 'a' is not defined",
                     "traceback": ["\x1b[31mNameError\x1b[0m", "name 'a'"]}
    valid(error)


def test_a_cell_updating_its_own_display_or_clearing_keeps_the_last_state():
    recording = recorded(
        ("stream", {"name": "stdout", "text": "old\n"}),
        ("clear_output", {"wait": True}),
        ("display_data", {"data": {"text/plain": "1"}, "metadata": {}, "transient": {"display_id": "d"}}),
        ("update_display_data", {"data": {"text/plain": "2"}, "metadata": {}, "transient": {"display_id": "d"}}),
    )
    assert nbformat_outputs(recording.parts) == [
        {"output_type": "display_data", "data": {"text/plain": "2"}, "metadata": {}}]
    assert nbformat_outputs(Recording().parts) == []
