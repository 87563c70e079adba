"""Long outputs are never dropped silently (issue 20, item 7).

ipykernel sends every character a cell prints.  A cell run for another
request has its outputs recorded and delivered to its own cell; a 650 kB
print must arrive whole there, with and without a companion, and in the
requested cell's own display.  Only past a large bound (memory: a recording
holds a rerun cell's output until it ends) does the oldest text go, whole
lines at a time, and the display says so in ``metadata.reactive.cut``.
"""
from __future__ import annotations

import nbformat
import pytest

from reactive_kernel.jupyter import outputs
from reactive_kernel.jupyter.outputs import Recording, nbformat_outputs
from tests.support.client import KernelSession
from tests.support.companion_client import CompanionNotebook, saved_outputs
from tests.support.notebooks import FrontendNotebook, execute

LINES = 11_000
#: about 650 kB: LINES lines of 60 characters, the first word the value of n
PRINT = "print(''.join(f'{n} line {i:06d} ' + 'x' * 45 + '\\n' for i in range(%d)), end='')" % LINES


def printed(n: int) -> str:
    return "".join(f"{n} line {i:06d} " + "x" * 45 + "\n" for i in range(LINES))


def notebook(*sources: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s, id=f"c{i}")
                                           for i, s in enumerate(sources)])


def streams(recording: Recording) -> list[tuple[str, str]]:
    return [(p[1], p[2]) for p in recording.parts if p[0] == "stream"]


# -- the recording, in process ------------------------------------------------

def test_a_long_print_in_many_messages_is_kept_whole():
    recording = Recording()
    text = printed(3)
    for start in range(0, len(text), 997):
        recording.add("stream", {"name": "stdout", "text": text[start:start + 997]})
    assert len(text) > 650_000
    assert streams(recording) == [("stdout", text)] and recording.cut == {}
    assert nbformat_outputs(recording.parts) == [{"output_type": "stream", "name": "stdout", "text": text}]
    assert recording.bundle() == ({"text/plain": text.rstrip("\n")}, {})


def test_streams_interleaved_with_other_outputs_keep_their_order():
    recording = Recording()
    recording.add("stream", {"name": "stdout", "text": "a\n"})
    recording.add("stream", {"name": "stdout", "text": "b\n"})
    recording.add("stream", {"name": "stderr", "text": "w\n"})
    assert streams(recording) == [("stdout", "a\nb\n"), ("stderr", "w\n")]
    recording.add("stream", {"name": "stderr", "text": "v\n"})  # after parts were read
    recording.add("display_data", {"data": {"text/plain": "d"}, "metadata": {}})
    recording.add("stream", {"name": "stdout", "text": "c\n"})
    assert [p[0] for p in recording.parts] == ["stream", "stream", "data", "stream"]
    assert streams(recording) == [("stdout", "a\nb\n"), ("stderr", "w\nv\n"), ("stdout", "c\n")]


def test_past_the_bound_the_oldest_lines_go_whole_and_the_display_says_so():
    recording = Recording(bound=100)
    lines = [f"line {i:04d}\n" for i in range(30)]  # 10 characters each
    for line in lines:
        recording.add("stream", {"name": "stdout", "text": line})
    ((name, text),) = streams(recording)
    assert len(text) <= 100 and text.endswith(lines[-1])
    assert text.startswith("line ") and text in "".join(lines)  # starts at a line
    dropped = "".join(lines)[:-len(text)]
    assert recording.cut == {"stdout": {"chars": len(dropped), "lines": dropped.count("\n")}}
    data, metadata = recording.bundle()
    assert data == {"text/plain": text.rstrip("\n")}  # no words of ours in the text
    assert metadata == {"reactive": {"cut": recording.cut}}


def test_a_line_longer_than_the_bound_is_cut_within_it_and_a_clear_forgets_the_cut():
    recording = Recording(bound=100)
    recording.add("stream", {"name": "stderr", "text": "head\n"})
    recording.add("display_data", {"data": {"text/plain": "d"}, "metadata": {}})
    recording.add("stream", {"name": "stdout", "text": "y" * 250})
    assert [p[0] for p in recording.parts] == ["data", "stream"]
    assert streams(recording) == [("stdout", "y" * 90)]
    assert recording.cut == {"stderr": {"chars": 5, "lines": 1}, "stdout": {"chars": 160, "lines": 0}}
    recording.add("clear_output", {"wait": False})
    recording.add("stream", {"name": "stdout", "text": "fresh\n"})
    assert streams(recording) == [("stdout", "fresh\n")] and recording.cut == {}
    assert recording.bundle()[1] == {}


# -- through the real kernel ----------------------------------------------------

@pytest.fixture
def session():
    with KernelSession("reactive") as s:
        yield s


@pytest.fixture(scope="module")
def plain_rerun():
    """What plain ipykernel saves for the printing cell after the edit (n = 2)."""
    return execute(notebook("n = 2", PRINT), "python3")


def test_with_a_companion_a_rerun_cells_long_print_arrives_whole(session, plain_rerun):
    front = CompanionNotebook(notebook("n = 1", PRINT), session)
    front.run_all()
    front.run("c0", "n = 2")
    (written,) = [w for w in front.written if w["cell_id"] == "c1"]
    assert written["outputs"] == [{"output_type": "stream", "name": "stdout", "text": printed(2)}]
    assert saved_outputs(front.nb) == saved_outputs(plain_rerun)


def test_without_a_companion_a_rerun_cells_long_print_arrives_whole(session, plain_rerun):
    front = FrontendNotebook(notebook("n = 1", PRINT), session)
    front.run_all()
    rerun = front.run("c0", "n = 3")
    (update,) = [m for m in rerun.of_type("update_display_data")
                 if m["content"]["metadata"]["reactive"]["cell_id"] == "c1"]
    assert update["content"]["data"]["text/plain"] == printed(3).rstrip("\n")
    assert "cut" not in update["content"]["metadata"]["reactive"]
    assert front.text("c1") == printed(3).rstrip("\n")
    # the same text plain ipykernel saves for that cell, but for the value of n
    plain_text = plain_rerun.cells[1].outputs[0]["text"]
    assert front.text("c1") == plain_text.replace("2 line", "3 line").rstrip("\n")


def test_the_requested_cells_own_display_keeps_a_long_print_whole(session):
    front = FrontendNotebook(notebook("n = 4", PRINT), session)
    front.run_all()
    again = front.run("c1")
    streamed = "".join(m["content"]["text"] for m in again.of_type("stream"))
    assert streamed == printed(4)  # as ipykernel sends it
    assert front.text("c1") == printed(4).rstrip("\n")  # and the display that replaces it


def test_past_the_bound_the_rerun_cells_display_says_what_was_cut(session):
    session.execute("import reactive_kernel.jupyter.outputs as o; o.STREAM_BOUND = 60_000", silent=True)
    try:
        front = FrontendNotebook(notebook("n = 5", PRINT), session)
        front.run_all()
        rerun = front.run("c0", "n = 6")
    finally:
        session.execute(f"o.STREAM_BOUND = {outputs.STREAM_BOUND}", silent=True)
    (update,) = [m for m in rerun.of_type("update_display_data")
                 if m["content"]["metadata"]["reactive"]["cell_id"] == "c1"]
    reactive = update["content"]["metadata"]["reactive"]
    text = update["content"]["data"]["text/plain"] + "\n"
    assert reactive["role"] == "descendant" and len(text) <= 60_000
    assert text.startswith("6 line ") and printed(6).endswith(text)  # whole lines, the latest
    dropped = printed(6)[:-len(text)]
    assert reactive["cut"] == {"stdout": {"chars": len(dropped), "lines": dropped.count("\n")}}
