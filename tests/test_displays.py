"""The kernel's per-cell display bookkeeping, without a kernel."""
from reactive_kernel.jupyter.displays import BUNDLE_KEPT, Displays
from reactive_kernel.jupyter.outputs import display_id
from reactive_kernel.vocabulary import STALE


class Published:
    """Stands in for the Publisher: keeps what would go out."""

    def __init__(self):
        self.sent = []

    def send(self, msg_type, content, metadata=None, queued=False):
        self.sent.append((msg_type, content))

    def tagged(self, msg_type, data, metadata, tag, display=None):
        self.sent.append((msg_type, {"data": data, "display": display, "tag": tag}))


def test_a_stale_mark_goes_out_once_and_an_own_display_clears_it():
    published = Published()
    displays = Displays(published)
    displays.show("c1", ({"text/plain": "1"}, {}), replaces_output=False)
    displays.mark_stale("c1", "stale!")
    displays.mark_stale("c1", "stale!")
    updates = [c for t, c in published.sent if t == "update_display_data"]
    assert len(updates) == 1 and updates[0]["display"] == display_id("c1")
    assert updates[0]["data"]["text/plain"] == "1\nstale!"
    displays.show("c1", ({"text/plain": "2"}, {}), replaces_output=True)
    assert "c1" not in displays.marked_stale
    assert [t for t, _ in published.sent[-2:]] == ["clear_output", "display_data"]


def test_output_too_large_to_keep_is_not_repeated_under_a_mark():
    published = Published()
    displays = Displays(published)
    displays.own("big", {"text/plain": "x" * (BUNDLE_KEPT + 1)}, {})
    displays.mark("big", "stale!", STALE)
    assert published.sent == [] and displays.bundles["big"] is None


def test_forgetting_deleted_cells_keeps_the_prompts_dict_others_read():
    displays = Displays(Published())
    prompts = displays.prompts
    prompts["c1"] = 3
    displays.own("c1", {}, {})
    displays.forget(["c1"])
    assert displays.prompts is prompts and prompts == {}
    assert "c1" not in displays and "c1" not in displays.bundles
