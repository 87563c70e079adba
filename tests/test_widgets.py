"""ipywidgets stay live in reruns (issue 9): ``interact`` after an upstream
edit, a slider made in a rerun cell, a widget shown next to other output.

Real ipywidgets in the real kernel; the frontend's part (routing output into
an ``Output`` widget by ``msg_id``) is read off the messages the kernel sends.
"""
from __future__ import annotations

import pytest

from reactive_kernel.jupyter.outputs import display_id
from reactive_kernel.jupyter.widgets import WIDGET_VIEW

pytest.importorskip("ipywidgets")


def widget_view(content: dict) -> str | None:
    view = content["data"].get(WIDGET_VIEW)
    return view["model_id"] if view else None


def capture_states(execution) -> list[str]:
    """The Output widgets' msg_id changes the request sent, in order."""
    states = []
    for m in execution.of_type("comm_msg"):
        state = m["content"]["data"].get("state", {})
        if "msg_id" in state:
            states.append(state["msg_id"])
    return states


def test_interact_stays_live_after_an_upstream_edit(kernel):
    kernel.execute("from ipywidgets import interact\nn = 1", "c1")
    code = "def show(x):\n    print('result', x * n)\n_ = interact(show, x=5)"
    first = kernel.execute(code, "c2")
    (own,) = [m for m in first.of_type("display_data")
              if m["content"]["transient"].get("display_id") == display_id("c2")]
    first_model = widget_view(own["content"])
    assert first_model  # the interact widget itself is the cell's display
    # the function's print went out live while the widget's Output captured it
    assert any("result 5" in m["content"]["text"] for m in first.of_type("stream"))
    assert capture_states(first)[0] == first.reply["parent_header"]["msg_id"]

    edit = kernel.execute("from ipywidgets import interact\nn = 2", "c1")
    (update,) = edit.updates(display_id("c2"))
    new_model = widget_view(update["content"])
    assert new_model and new_model != first_model  # a new, live widget in place of the old
    assert update["content"]["metadata"]["reactive"] == {"cell_id": "c2", "role": "descendant"}
    # its output reached the frontend (for the widget), not the folded display
    assert any("result 10" in m["content"]["text"] for m in edit.of_type("stream"))
    assert "result 10" not in str(update["content"]["data"])
    opened = {m["content"]["comm_id"] for m in edit.of_type("comm_open")}
    assert new_model in opened
    assert capture_states(edit) == [edit.reply["parent_header"]["msg_id"], ""]


def test_slider_made_in_a_rerun_cell_is_shown_live(kernel):
    kernel.execute("import ipywidgets as widgets\nstart = 3", "c1")
    kernel.execute("slider = widgets.IntSlider(value=start)\nslider", "c2")
    edit = kernel.execute("import ipywidgets as widgets\nstart = 7", "c1")
    (update,) = edit.updates(display_id("c2"))
    model = widget_view(update["content"])
    (opened,) = [m for m in edit.of_type("comm_open") if m["content"]["comm_id"] == model]
    assert opened["content"]["data"]["state"]["value"] == 7
    assert kernel.value("slider.value") == "7"


def test_widget_next_to_other_output_is_one_output_widget(kernel):
    kernel.execute("import ipywidgets as widgets\nn = 1", "c1")
    code = "print('n is', n)\ndisplay(widgets.IntSlider(value=n))\nn * 100"
    first = kernel.execute(code, "c2")
    types = [m["msg_type"] for m in first.of_type("stream", "display_data", "clear_output")]
    assert types[-2:] == ["clear_output", "display_data"]
    box = widget_view(first.of_type("display_data")[-1]["content"])
    state = [m["content"]["data"]["state"] for m in first.of_type("comm_msg", "comm_open")
             if m["content"]["comm_id"] == box and "outputs" in m["content"]["data"].get("state", {})][-1]
    kinds = [o["output_type"] for o in state["outputs"]]
    assert kinds == ["stream", "display_data", "execute_result"]
    assert WIDGET_VIEW in state["outputs"][1]["data"]
    assert state["outputs"][2]["data"]["text/plain"] == "100"

    edit = kernel.execute("import ipywidgets as widgets\nn = 2", "c1")
    (update,) = edit.updates(display_id("c2"))
    assert widget_view(update["content"]) not in (None, box)
    assert "n is 2" in update["content"]["data"]["text/plain"]


def test_a_plot_drawn_by_interact_goes_to_the_widget_in_a_rerun(kernel):
    """The plot an interact function draws is the widget's output: sent live
    (the frontend routes it into the widget), never folded into the cell."""
    kernel.execute("%matplotlib inline\nimport matplotlib.pyplot as plt\nfrom ipywidgets import interact\n"
                   "scale = 1", "c1")
    code = ("def draw(k):\n    plt.plot([0, k * scale])\n    plt.show()\n"
            "_ = interact(draw, k=3)")
    kernel.execute(code, "c2")
    edit = kernel.execute("%matplotlib inline\nimport matplotlib.pyplot as plt\nfrom ipywidgets import interact\n"
                          "scale = 2", "c1")
    (update,) = edit.updates(display_id("c2"))
    assert widget_view(update["content"]) and "image/png" not in update["content"]["data"]
    pictures = [m for m in edit.of_type("display_data") if "image/png" in m["content"]["data"]]
    assert pictures  # drawn for the widget's Output, while it captured
    assert capture_states(edit) == [edit.reply["parent_header"]["msg_id"], ""]
