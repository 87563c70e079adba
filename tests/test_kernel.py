"""The reactive kernel over the real Jupyter protocol."""
from reactive_kernel.jupyter.outputs import display_id, is_anchor
from tests.support.client import plain


def test_edit_reruns_descendant_in_its_own_display(kernel):
    kernel.execute("x = 5", "c1")
    first = kernel.execute("y = x + 1\ny", "c2")
    assert first.status == "ok"
    own = [m for m in first.of_type("display_data")
           if m["content"]["transient"].get("display_id") == display_id("c2")]
    assert own and own[-1]["content"]["data"]["text/plain"] == "6"

    edit = kernel.execute("x = 10", "c1")
    assert edit.reactive["ran"] == [
        {"cell_id": "c1", "role": "target", "status": "ok"},
        {"cell_id": "c2", "role": "descendant", "status": "ok"},
    ]
    (update,) = edit.updates(display_id("c2"))
    # its own output, unchanged: why it reran travels in the metadata only
    assert update["content"]["data"] == {"text/plain": "11"}
    assert update["content"]["metadata"]["reactive"] == {"cell_id": "c2", "role": "descendant"}
    assert update["metadata"]["reactive"] == {"cell_id": "c2", "role": "descendant"}
    # never a second display_data carrying c2's display id under c1
    assert not [m for m in edit.of_type("display_data")
                if m["content"].get("transient", {}).get("display_id") == display_id("c2")]
    assert kernel.value("y") == "11"


def test_rename_removes_old_name_and_reader_fails(kernel):
    kernel.execute("a = 1", "c1")
    kernel.execute("b = a * 2\nb", "c2")
    edit = kernel.execute("w = 1", "c1")
    assert edit.reactive["ran"][1] == {"cell_id": "c2", "role": "descendant", "status": "error"}
    assert edit.reactive["stale"] == ["c2"]
    assert "a" in edit.reactive["cleared"]
    (update,) = edit.updates(display_id("c2"))
    shown = plain(update["content"]["data"]["text/plain"])
    assert "NameError" in shown
    assert "In[2]" in shown  # the traceback names the prompt c2 shows, not the requester's
    assert kernel.value("'a' in globals()") == "False"
    assert kernel.value("'b' in globals()") == "False"


def test_silent_cell_shows_a_later_error_in_its_own_output_area(kernel):
    """A cell that showed nothing has an invisible display of its own, so its
    error in a rerun appears in it, and nowhere else."""
    kernel.execute("a = 1", "c1")
    (anchor,) = kernel.execute("b = a * 2", "c2").messages
    assert anchor["msg_type"] == "display_data" and is_anchor(anchor["content"]["data"])
    assert anchor["content"]["transient"]["display_id"] == display_id("c2")
    edit = kernel.execute("w = 1", "c1")
    (update,) = edit.updates(display_id("c2"))
    text = plain(update["content"]["data"]["text/plain"])
    assert "NameError" in text and text.rstrip().endswith("name 'a' is not defined")
    assert update["content"]["metadata"]["reactive"] == {"cell_id": "c2", "role": "descendant"}
    assert not [m for m in edit.of_type("display_data", "error", "stream")
                if "NameError" in str(m["content"])]  # nowhere else


def test_rerun_does_not_grow(kernel):
    kernel.execute("x = 0", "c1")
    kernel.execute("x = x + 1", "c2")
    again = kernel.execute("x = x + 1", "c2")
    assert [e["cell_id"] for e in again.reactive["ran"]] == ["c1", "c2"]
    assert again.reactive["ran"][0]["role"] == "ancestor"
    assert kernel.value("x") == "1"


def test_mutation_is_not_applied_twice(kernel):
    kernel.execute("lst = [1]", "c1")
    kernel.execute("lst.append(2)", "c2")
    kernel.execute("n = len(lst)", "c3")
    again = kernel.execute("lst.append(2)", "c2")
    assert [e["cell_id"] for e in again.reactive["ran"]] == ["c1", "c2", "c3"]
    assert kernel.value("lst") == "[1, 2]"
    assert kernel.value("n") == "2"


def test_reading_a_later_cells_name_is_a_name_error_naming_it(kernel):
    # version 1 refused this as a cycle; version 2 runs it as Run All would:
    # c1 reads b, which only the later c2 binds
    kernel.execute("a = 1", "c1")
    kernel.execute("b = a + 1", "c2")
    failed = kernel.execute("a = b + 1", "c1")
    assert failed.status == "error"
    assert failed.reply["content"]["ename"] == "NameError"
    assert "defined only in a later cell" in failed.reply["content"]["evalue"]
    assert "b = a + 1" in failed.text()
    assert failed.reactive["error"] is None
    assert [(e["cell_id"], e["status"]) for e in failed.reactive["ran"]] == [
        ("c1", "error"), ("c2", "cancelled")]
    assert failed.reactive["order"] == "registration"
    assert "reactive_kernel" not in failed.text()
    fixed = kernel.execute("a = 5", "c1")
    assert [e["cell_id"] for e in fixed.reactive["ran"]] == ["c1", "c2"]
    assert kernel.value("(a, b)") == "(5, 6)"


def test_syntax_error_is_refused_and_shown(kernel):
    kernel.execute("x = 1", "c1")
    kernel.execute("y = x", "c2")
    bad = kernel.execute("x = = 2", "c1")
    assert bad.status == "error"
    assert bad.reactive["error"]["kind"] == "syntax"
    assert "SyntaxError" in bad.text()
    assert kernel.value("(x, y)") == "(1, 1)"
    good = kernel.execute("x = 3", "c1")
    assert [e["cell_id"] for e in good.reactive["ran"]] == ["c1", "c2"]


def test_silent_requests_leave_no_trace(kernel):
    kernel.execute("x = 1", "c1")
    kernel.execute("y = x + 1", "silent-cell", silent=True)
    assert kernel.value("y") == "2"
    edit = kernel.execute("x = 5", "c1")
    assert [e["cell_id"] for e in edit.reactive["ran"]] == ["c1"]
    assert kernel.value("y") == "2"


def test_deleted_cells_are_forgotten(kernel):
    kernel.execute("x = 5", "c1")
    kernel.execute("y = x + 1\ny", "c2")
    other = kernel.execute("z = 1", "c3", deleted=["c1"])
    assert {"cell_id": "c2", "role": "descendant", "status": "error"} in other.reactive["ran"]
    (update,) = other.updates(display_id("c2"))
    assert "NameError" in plain(update["content"]["data"]["text/plain"])
    assert kernel.value("'x' in globals()") == "False"


def test_named_cells_without_cell_ids(kernel):
    kernel.execute("%%cell a\nq = 1")
    b = kernel.execute("%%cell b\nprint(q + 1)")
    assert b.text().strip() == "2"
    edit = kernel.execute("%%cell a\nq = 41")
    assert edit.reactive["ran"][1] == {"cell_id": "b", "role": "descendant", "status": "ok"}
    # no display of its own (console): b's new output is shown, labelled, in the request
    assert "── b (descendant) ──" in edit.text() and "42" in edit.text()


def test_a_name_bound_unseen_reruns_the_cell_that_lacked_it(kernel):
    """The plan's last cell is recorded while ipykernel waits for its outputs
    to reach the client, unless its run may bind names its code does not
    name (``exec``): a cell that failed for lack of one of them joins the
    run then, in the same request, before its reply."""
    kernel.execute("%%cell a\nq0 = 0")
    assert kernel.execute("%%cell b\nprint(q)").status == "error"
    bound = kernel.execute("%%cell a\nexec('q = 5')")
    assert [(e["cell_id"], e["status"]) for e in bound.reactive["ran"]] == [("a", "ok"), ("b", "ok")]
    assert "5" in bound.text() and bound.reactive["stale"] == []
    # the last cell, recorded after its code: the next request knows what it bound
    kernel.execute("%%cell c\nr = q + 1")
    again = kernel.execute("%%cell a\nexec('q = 6')")
    assert [(e["cell_id"], e["status"]) for e in again.reactive["ran"]] == [("a", "ok"), ("b", "ok"), ("c", "ok")]
    assert kernel.value("r") == "7"


def test_cell_without_id_binding_nothing_is_not_kept(kernel):
    kernel.execute("x = 1")
    shown = kernel.execute("print(x)")
    assert shown.reactive["ran"] == [{"cell_id": None, "role": "target", "status": "ok"}] or \
        shown.reactive["ran"][0]["role"] == "target"
    edit = kernel.execute("x = 2")  # a new anonymous cell; the print is not kept
    assert [e["role"] for e in edit.reactive["ran"]] == ["target"]


def test_keep_mode(kernel):
    kernel.execute("x = 0", "c1")
    kernel.execute("x = x + 1", "c2")
    kept = kernel.execute("%%keep\nx = x + 1", "c2")
    assert kept.reactive["mode"] == "keep"
    assert [e["cell_id"] for e in kept.reactive["ran"]] == ["c2"]
    assert kernel.value("x") == "2"
    by_metadata = kernel.execute("x = x + 1", "c2", metadata={"reactive": {"mode": "keep"}})
    assert by_metadata.reactive["mode"] == "keep"
    assert kernel.value("x") == "3"


def test_failing_ancestor_cancels_target(kernel):
    kernel.execute("x = 1", "c1")
    kernel.execute("y = x + 1", "c2")
    kernel.execute("x = 1 / 0", "c1")
    rerun = kernel.execute("y = x + 1", "c2")
    # version 2: the failed cell is not run again for a reader until its code
    # or an input changes; the reader is cancelled at once, naming it
    statuses = {e["cell_id"]: e["status"] for e in rerun.reactive["ran"]}
    assert statuses == {"c2": "cancelled"}
    assert rerun.status == "error"
    assert rerun.reply["content"]["ename"] == "UpstreamError"
    assert rerun.text() == "This cell did not run: upstream cell x failed."
    assert set(rerun.reactive["stale"]) == {"c1", "c2"}
    assert kernel.value("'y' in globals()") == "False"
    fixed = kernel.execute("x = 2", "c1")
    assert [e["cell_id"] for e in fixed.reactive["ran"]] == ["c1", "c2"]
    assert kernel.value("y") == "3"


def test_target_output_streams_then_becomes_replaceable(kernel):
    run = kernel.execute("print('hello')\n40 + 2", "c1")
    types = [m["msg_type"] for m in run.messages]
    assert types == ["stream", "clear_output", "display_data"]
    assert run.messages[1]["content"]["wait"] is True
    final = run.messages[2]
    assert final["content"]["transient"]["display_id"] == display_id("c1")
    assert final["content"]["data"]["text/plain"] == "hello\n42"
    # a bare result needs no clearing: it goes out once, as the cell's display
    result = kernel.execute("6 * 7", "c2")
    assert [m["msg_type"] for m in result.messages] == ["display_data"]
    # a cell that shows nothing gets an invisible display of its own
    for code, cell in (("k = 1", "c3"), ("j = k + 1", "c4")):
        (only,) = kernel.execute(code, cell).messages
        assert is_anchor(only["content"]["data"]) and only["content"]["transient"]["display_id"] == display_id(cell)
    # without a cell id (console, nbclient) outputs are exactly ipykernel's
    plain_run = kernel.execute("print('hello')\n40 + 2")
    assert [m["msg_type"] for m in plain_run.messages] == ["stream", "execute_result"]


def test_descendant_rich_display_is_updated(kernel):
    kernel.execute("import pandas as pd\nn = 2", "c1")
    kernel.execute("pd.DataFrame({'a': range(n)})", "c2")
    edit = kernel.execute("import pandas as pd\nn = 3", "c1")
    (update,) = edit.updates(display_id("c2"))
    assert "<table" in update["content"]["data"]["text/html"]
    assert update["content"]["data"]["text/plain"].count("\n") == 3


def test_kernel_adds_no_user_names(kernel):
    names = kernel.value("sorted(k for k in globals() if not k.startswith('_') and k not in get_ipython().user_ns_hidden)")
    assert names == "[]"
    kernel.execute("x = 1", "c1")
    names = kernel.value("sorted(k for k in globals() if not k.startswith('_') and k not in get_ipython().user_ns_hidden)")
    assert names == "['x']"


def test_vscode_cell_uris(kernel):
    c1 = "vscode-notebook-cell:/home/u/a.ipynb#W0sZmlsZQ%3D%3D"
    c2 = "vscode-notebook-cell:/home/u/a.ipynb#W1sZmlsZQ%3D%3D"
    kernel.execute("x = 1", c1, stop_on_error=False)
    kernel.execute("x * 10", c2, stop_on_error=False)
    edit = kernel.execute("x = 2", c1, stop_on_error=False)
    (update,) = edit.updates(display_id(c2))
    assert update["content"]["data"]["text/plain"] == "20"


def test_cancelled_descendant_keeps_its_output_the_report_says_so(kernel):
    kernel.execute("x = 1", "c1")
    kernel.execute("y = x * 2", "c2")
    kernel.execute("z = y + 1\nz", "c3")
    fail = kernel.execute("y = x * 2\nraise RuntimeError('nope')", "c2")
    assert {e["cell_id"]: e["status"] for e in fail.reactive["ran"]} == {"c2": "error", "c3": "cancelled"}
    assert fail.updates(display_id("c3")) == []  # no words of ours in its output
    assert "c3" in fail.reactive["stale"]
    assert kernel.value("'z' in globals()") == "False"


def test_descendant_matplotlib_figure_and_await(kernel):
    kernel.execute("%matplotlib inline\nimport matplotlib.pyplot as plt\nn = 3", "c1")
    kernel.execute("fig, ax = plt.subplots()\nax.plot(range(n))\nplt.show()", "c2")
    kernel.execute("import asyncio\nawait asyncio.sleep(0)\nm = n * 2\nm", "c3")
    edit = kernel.execute("%matplotlib inline\nimport matplotlib.pyplot as plt\nn = 5", "c1")
    (figure,) = edit.updates(display_id("c2"))
    assert "image/png" in figure["content"]["data"]
    (awaited,) = edit.updates(display_id("c3"))
    assert awaited["content"]["data"]["text/plain"] == "10"


def test_ipython_features_keep_working(kernel):
    shell = kernel.execute("files = !echo one two\nprint(files)", "c1")
    assert "one two" in shell.text()
    timed = kernel.execute("%time t = sum(range(10))", "c2")
    assert "Wall time" in timed.text()
    assert kernel.value("t") == "45"
    comm = kernel.execute(
        "from comm import create_comm\nchannel = create_comm(target_name='probe', data={'n': 1})", "c3")
    opened = comm.of_type("comm_open")
    assert opened and opened[0]["content"]["target_name"] == "probe"
    helped = kernel.execute("len?", "c4")
    payload = helped.reply["content"]["payload"]
    assert payload and "Return the number of items" in plain(payload[0]["data"]["text/plain"])


def test_stale_reader_of_shell_output_reruns(kernel):
    kernel.execute("words = 'a b c'.split()", "c1")
    kernel.execute("count = len(words)\ncount", "c2")
    edit = kernel.execute("words = 'a b'.split()", "c1")
    (update,) = edit.updates(display_id("c2"))
    assert update["content"]["data"]["text/plain"] == "2"


def test_interrupt_stops_the_cascade(kernel):
    import threading
    import time

    kernel.execute("n = 1", "c1")
    kernel.execute("import time\nslow = n\nfor _ in range(600 if n > 1 else 0):\n    time.sleep(0.05)", "c2")
    kernel.execute("after = slow + 1", "c3")
    kernel.execute("other = n * 100", "c4")

    def interrupt_once_c2_runs():
        time.sleep(1.5)  # c1 and c2 start at once; c2 runs for 30 s unless interrupted
        kernel.manager.interrupt_kernel()

    threading.Thread(target=interrupt_once_c2_runs, daemon=True).start()
    edit = kernel.execute("n = 2", "c1")
    statuses = {e["cell_id"]: e["status"] for e in edit.reactive["ran"]}
    assert statuses["c1"] == "ok"
    assert statuses["c2"] == "interrupted"
    # everything after the interrupted cell is cancelled, downstream of it or not
    assert statuses["c3"] == "cancelled" and statuses["c4"] == "cancelled"
    assert {"c2", "c3", "c4"} <= set(edit.reactive["stale"])
    assert kernel.value("'after' in globals()") == "False"


def test_run_all_runs_each_cell_once(kernel):
    # runs are counted on the sys module: not a graph name, so not part of the semantics
    count = "__import__('sys').runs.append('{}')"
    chain = [("import time\ntime.sleep(0.3)\nx = 1", "c1"), ("y = x + 1\n" + count.format("c2"), "c2"),
             ("z = y + 1\n" + count.format("c3"), "c3"), ("w = z + 1\n" + count.format("c4") + "\nw", "c4")]
    kernel.execute("__import__('sys').runs = []")
    kernel.execute_many(chain)
    kernel.execute("__import__('sys').runs.clear()")
    # edit the first cell, then "Run All": every request is queued at once
    edited = [("import time\ntime.sleep(0.3)\nx = 10", "c1")] + chain[1:]
    results = kernel.execute_many(edited)
    assert all(r.status == "ok" for r in results)
    assert kernel.value("__import__('sys').runs") == "['c2', 'c3', 'c4']"
    assert kernel.value("w") == "13"
    # the first request left the queued cells to their own requests, marked stale meanwhile
    assert results[0].reactive["ran"] == [{"cell_id": "c1", "role": "target", "status": "ok"}]
    assert results[0].reactive["stale"] == ["c2", "c3", "c4"]
    assert results[-1].reactive["stale"] == []
    # a single edit still reruns its dependents at once
    edit = kernel.execute("import time\nx = 20", "c1")
    assert [e["cell_id"] for e in edit.reactive["ran"]] == ["c1", "c2", "c3", "c4"]
    assert kernel.value("w") == "23"


def test_progress_output_and_own_display_updates_fold_to_their_last_state(kernel):
    kernel.execute("n = 3", "c1")
    code = ("import sys\nfrom IPython.display import display\n"
            "h = display('start', display_id=True)\n"
            "for i in range(n):\n    sys.stdout.write(f'\\rstep {i + 1}/{n}')\n"
            "print()\nh.update(f'done {n}')")
    first = kernel.execute(code, "c2")
    (own,) = [m for m in first.of_type("display_data")
              if m["content"]["transient"].get("display_id") == display_id("c2")]
    assert own["content"]["data"]["text/plain"] == "'done 3'\nstep 3/3"
    edit = kernel.execute("n = 4", "c1")
    (update,) = edit.updates(display_id("c2"))
    assert update["content"]["data"]["text/plain"] == "'done 4'\nstep 4/4"


def test_display_handle_of_another_cell_is_updated_in_place(kernel):
    kernel.execute("from IPython.display import display\nh = display('waiting', display_id=True)", "c1")
    kernel.execute("label = 'first'", "c2")
    kernel.execute("h.update(label)", "c3")
    edit = kernel.execute("label = 'second'", "c2")
    handle_id = kernel.value("h.display_id")
    assert [m["content"]["data"]["text/plain"] for m in edit.updates(handle_id.strip("'"))] == ["'second'"]


def test_reimporting_the_same_object_reruns_nothing_else(kernel):
    """Issue 21: same object, same name: nothing changed (`from m import f`
    again, a later `import numpy as np` again)."""
    kernel.execute("from math import sqrt", "c1")
    kernel.execute("a = sqrt(4)", "c2")
    kernel.execute("from math import sqrt", "c3")
    again = kernel.execute("from math import sqrt", "c1")
    assert [e["cell_id"] for e in again.reactive["ran"]] == ["c1"]
    reader = kernel.execute("a = sqrt(9)", "c2")
    assert [e["cell_id"] for e in reader.reactive["ran"]] == ["c2"]
    assert kernel.value("a") == "3.0"


def test_a_store_into_a_str_that_raises_writes_nothing(kernel):
    """Issue 21: ``s[0] = 'x'`` on a str raised: it is no writer of ``s``,
    and its failure cancels no reader of ``s``."""
    kernel.execute("s = 'abc'", "c1")
    assert kernel.execute("s[0] = 'x'", "c2").status == "error"
    kernel.execute("n = len(s)", "c3")
    edit = kernel.execute("s = 'abcd'", "c1")
    assert [(e["cell_id"], e["status"]) for e in edit.reactive["ran"]] == [
        ("c1", "ok"), ("c2", "error"), ("c3", "ok")]
    assert kernel.value("n") == "4"
    reader = kernel.execute("n = len(s) + 1", "c3")
    assert [e["cell_id"] for e in reader.reactive["ran"]] == ["c3"]


def test_a_provider_rebuilding_a_gone_input_reruns_none_of_its_other_readers(kernel):
    """Issue 21: ``s = 'Hello'`` rerun only because ``s = s + '!'`` replaced
    its value reproduces it: its other readers do not rerun."""
    kernel.execute("s = 'Hello'", "c1")
    kernel.execute("t = s + '?'", "c2")
    kernel.execute("u = s * 2", "c3")
    kernel.execute("s = s + '!'", "c4")
    again = kernel.execute("u = s * 3", "c3")
    assert [e["cell_id"] for e in again.reactive["ran"]] == ["c1", "c3"]
    assert again.reactive["restored"] == ["s"]
    assert kernel.value("s") == "'Hello!'"
    assert kernel.value("u") == "'HelloHelloHello'"


def test_a_trailing_semicolon_hides_the_result_of_the_cell_that_has_it(kernel):
    """In a cell rerun for another, IPython's ``;`` check must read that
    cell's code, not the requested one's (found by the display-id work)."""
    kernel.execute("x = 1", "c1")
    kernel.execute("x * 10", "c2")
    kernel.execute("x + 1;", "c3")
    edit = kernel.execute("x = 2;", "c1")
    (update,) = edit.updates(display_id("c2"))
    assert update["content"]["data"]["text/plain"] == "20"  # c1's ';' does not hide c2's result
    hidden = edit.updates(display_id("c3"))
    assert not hidden or "3" not in hidden[-1]["content"]["data"].get("text/plain", "")
