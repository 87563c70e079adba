"""``%reactive``: the explanations in-process, then the magic in the real kernel."""
import re
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from reactive_kernel.present import drawing
from reactive_kernel.core.engine import Engine
from reactive_kernel.analysis.directives import is_query
from reactive_kernel.present.explain import dependency_graph, graph_listing, status, why
from reactive_kernel.present.view import UnknownCell
from reactive_kernel.present.summary import label
from reactive_kernel.present.view import CellView
from tests.support.client import plain

_SVG = "{http://www.w3.org/2000/svg}"


def notebook_of(cells):
    """An engine that ran ``cells`` (id, code) in order as requests 1, 2, ...,
    the last report, and the view that recorded them, as the kernel's does."""
    view, report = CellView(Engine(), {}, set()), None
    for count, (cell_id, code) in enumerate(cells, 1):
        report = run_recorded(view, cell_id, code, count)
    return view, report


def run_recorded(view, cell_id, code, count):
    """Request ``[count]``, run in-process, its prompt and run recorded."""
    run = view.engine.request(cell_id, code)
    for step in run:
        run.finish(step, view.engine._exec(step))
    view.prompts[cell_id] = count
    view.record(run, count)
    return run.report


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(_SVG + "text")]


# -- in-process: what %reactive says -------------------------------------------------

def test_status_shows_stale_cells_and_why_each_cell_of_the_plan_ran():
    notebook, _ = notebook_of([("c1", "x = 5"), ("c2", "y = x + 1"), ("c3", "z = y / 0"),
                               ("c4", "w = 1")])
    report = run_recorded(notebook, "c1", "x = 6", 5)
    text = status(notebook, report).plain()
    lines = text.splitlines()
    name = notebook.label
    assert lines[0].startswith("Stale cells (1)")
    assert lines[1].strip() == f"[3] {name('c3')}  (failed)"
    assert f"Last run: [5] {name('c1')}" in text and "clean run" in text
    assert [line.split()[0] for line in lines[4:]] == ["target", "descendant", "descendant", "cleared:"]
    assert lines[-1].strip() == "cleared:  x, y  (removed before the clean reruns)"
    (target,) = [line for line in lines if line.strip().startswith("target")]
    assert f"[5] {name('c1')}" in target and " ok " in target and target.rstrip().endswith("requested")
    (y, z) = [line for line in lines if line.strip().startswith("descendant")]
    assert f"[2] {name('c2')}" in y and " ok " in y and y.rstrip().endswith("reads x")
    assert f"[3] {name('c3')}" in z and " error " in z and z.rstrip().endswith("reads y")
    assert f"[4] {name('c4')}" not in text  # not in the plan, not stale


def test_status_before_any_run_and_with_nothing_stale():
    notebook, report = notebook_of([("c1", "x = 1")])
    assert "nothing has run yet" in status(notebook, None).plain()
    text = status(notebook, report).plain()
    assert text.startswith("No stale cells")
    assert f"Last run: [1] {notebook.label('c1')}" in text


def test_status_of_a_refused_cell_says_why():
    notebook, _ = notebook_of([("c1", "x = 1")])
    report = notebook.engine.run("c1", "x = = 2")
    text = status(notebook, report).plain()
    assert "not run (syntax): SyntaxError" in text


def test_status_says_which_cleared_names_are_gone():
    notebook, _ = notebook_of([("c1", "a = 1"), ("c2", "b = a * 2")])
    text = status(notebook, notebook.engine.run("c1", "w = 1")).plain()
    assert "cleared:  a, b  (removed before the clean reruns; not defined now: a, b)" in text
    assert "Stale cells (1)" in text


def test_ancestor_is_explained_by_the_names_it_gives():
    notebook, _ = notebook_of([("c1", "x = 0"), ("c2", "x = x + 1")])
    report = notebook.engine.run("c2", "x = x + 1")
    (line,) = [l for l in status(notebook, report).plain().splitlines() if l.strip().startswith("ancestor")]
    assert f"[1] {notebook.label('c1')}" in line and line.rstrip().endswith("stale, gives x")


def test_html_uses_theme_variables_and_no_fixed_black_or_white():
    notebook, _ = notebook_of([("c1", "x = 5"), ("c2", "y = x / 0")])
    markup = status(notebook, notebook.engine.run("c1", "x = 6")).html()
    assert "var(--jp-ui-font-color1" in markup and "var(--jp-error-color1" in markup
    assert not re.search(r"(color|background)[^;\"]*(#000\b|#fff\b|#000000|#ffffff|black|white)", markup, re.I)
    assert notebook.label("c2") in markup and "<script" not in markup


def test_html_escapes_cell_code():
    notebook, report = notebook_of([("c1", "s = 1"), ("c2", "print('<b>&', s)")])
    markup = why(notebook, "s").html()
    assert "&lt;b&gt;&amp;" in markup and "<b>&" not in markup


def test_why_a_name_names_its_cell_its_providers_and_readers():
    notebook, _ = notebook_of([("c1", "x = 5"), ("c2", "y = x + len(data)"), ("c3", "data = [1]"),
                               ("c4", "z = y * 2"), ("c5", "print(y, z)")])
    name = notebook.label
    text = why(notebook, "y").plain()
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == f"y gets its value from [2] {name('c2')}"
    assert lines[1] == "y is not defined now: run that cell"
    assert lines[3] == f"[2] {name('c2')}  failed"  # the NameError for data
    assert "code: y = x + len(data)" in lines and "defines: y" in lines
    assert f"x  from [1] {name('c1')}" in lines
    assert f"data  only a later cell binds it: [3] {name('c3')}" in lines
    assert f"y  by [4] {name('c4')}  (failed-upstream), [5] {name('c5')}  (failed-upstream)" in lines
    assert not any(line.startswith(("len", "print")) for line in lines)  # builtins are no cells' business


def test_why_finds_a_cell_by_id_prompt_or_cell_name_and_says_its_state():
    notebook, _ = notebook_of([("c1", "lst = [1]"), ("c2", "lst.append(2)"), ("c3", "n = len(lst)")])
    notebook.names = {"c2"}
    name = notebook.label
    by_id = why(notebook, "c2").plain()
    assert by_id == why(notebook, "[2]").plain() == why(notebook, "2").plain()
    assert by_id.splitlines()[0] == "[2] c2  up to date"
    assert "changes in place: lst" in by_id and "code: lst.append(2)" in by_id
    assert f"lst  from [1] {name('c1')}" in by_id
    assert f"lst  by [3] {name('c3')}" in by_id
    notebook.engine.stale.add("c3")
    assert why(notebook, "n").plain().splitlines()[2].endswith("stale")


def test_why_an_unknown_name_or_prompt_is_a_clear_error():
    notebook, _ = notebook_of([("c1", "x = 1")])
    with pytest.raises(UnknownCell, match="no cell or variable named 'nope'"):
        why(notebook, "nope")
    with pytest.raises(UnknownCell, match=r"no cell shows the prompt \[7\]"):
        why(notebook, "[7]")


def test_queries_are_no_cells_of_the_picture():
    assert is_query("%reactive") and is_query("  %reactive why x\n%reactive graph\n")
    assert not is_query("%reactive\nx = 1") and not is_query("%reactivex") and not is_query("x = 1")
    notebook, _ = notebook_of([("c1", "x = 1"), ("q", "%reactive graph"), ("c2", "y = x")])
    assert notebook.shown() == ["c1", "c2"]
    assert list(dependency_graph(notebook)) == ["c1", "c2"]


def test_graph_listing_names_every_edge_and_marks_stale_cells():
    notebook, _ = notebook_of([("c1", "x = 1"), ("c2", "y = x + 1"), ("c3", "z = x + y"),
                               ("c4", "print('alone')")])
    notebook.engine.stale.add("c3")
    graph = dependency_graph(notebook)
    assert {(u, v): d["names"] for u, v, d in graph.edges(data=True)} == {
        ("c1", "c2"): {"x"}, ("c1", "c3"): {"x"}, ("c2", "c3"): {"y"}}
    text = graph_listing(graph).plain()
    c1, c2, c3, c4 = (notebook.label(c) for c in ("c1", "c2", "c3", "c4"))
    assert text.splitlines() == [
        "Dependency graph: 3 cells, 3 edges  (provider, then the cells that read from it)",
        f"  [1] {c1}",
        f"    ─ x → [2] {c2}",
        f"    ─ x → [3] {c3} (stale)",
        f"  [2] {c2}",
        f"    ─ y → [3] {c3} (stale)",
        f"  [3] {c3} (stale)",
        f"1 cells without data edges: [4] {c4}",
    ]
    around = dependency_graph(notebook, "y")
    assert set(around) == {"c1", "c2", "c3"}


def test_layers_put_every_reader_right_of_its_providers():
    graph = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c"), ("d", "c")])
    columns = drawing.layers(graph)
    column = {cell: i for i, layer in enumerate(columns) for cell in layer}
    assert all(column[u] < column[v] for u, v in graph.edges)
    assert column["c"] == 2


def test_svg_shows_cells_names_and_states_as_text():
    notebook, _ = notebook_of([("c1", "x = 1"), ("c2", "y = x + 1"), ("c3", "z = y / 0")])
    graph = dependency_graph(notebook)
    svg = drawing.svg(graph, "a title")
    texts = svg_texts(svg)
    for cell in ("c1", "c2", "c3"):
        assert f"{notebook.prompt_text(cell)} {label(notebook.engine.cells[cell])}" in texts
    assert "failed" in texts and "x" in texts and "y" in texts and "a title" in texts
    assert "#ffffff" not in svg.lower() or 'fill="none"' in svg  # transparent background


def test_large_graphs_drop_edge_names_then_the_picture():
    chain = nx.DiGraph()
    for i in range(drawing.MAX_NAMED_EDGES + 5):
        chain.add_node(f"c{i}", prompt=f"[{i}]", label=f"v{i} = v{i - 1}", state="", position=i)
        if i:
            chain.add_edge(f"c{i - 1}", f"c{i}", names={f"v{i - 1}"})
    texts = svg_texts(drawing.svg(chain))
    assert "[7] v7 = v6" in texts and "v6" not in texts
    big = nx.path_graph(drawing.MAX_CELLS + 1, create_using=nx.DiGraph)
    assert drawing.svg(big) is None


# -- the real kernel -------------------------------------------------------------------

def displayed(execution) -> dict:
    """The data of the last display the request showed."""
    shows = execution.of_type("display_data")
    assert shows, execution.messages
    return shows[-1]["content"]["data"]


def test_reactive_shows_stale_cells_and_the_last_plan_not_itself(kernel):
    # %%cell names label the cells the same whatever the default labels are
    kernel.execute("%%cell base\nx = 5", "c1")
    kernel.execute("%%cell step\ny = x + 1", "c2")
    kernel.execute("%%cell bad\nz = y / 0", "c3")
    kernel.execute("%%cell base\nx = 6", "c1")
    first = kernel.execute("%reactive", "q1")
    assert first.status == "ok"
    data = displayed(first)
    text = data["text/plain"]
    assert "Stale cells (1)" in text and "[3] bad  (failed)" in text
    assert "Last run: [4] base" in text
    assert re.search(r"target +\[4\] base +ok +requested", text)
    assert re.search(r"descendant \[2\] step +ok +reads x", text)
    assert re.search(r"descendant \[3\] bad +error +reads y", text)
    assert "var(--jp-" in data["text/html"]
    again = kernel.execute("%reactive", "q2")  # the query is not the last plan
    assert "Last run: [4] base" in displayed(again)["text/plain"]
    console = kernel.execute("%reactive")  # no cell id: jupyter console
    assert "Last run: [4] base" in console.text()


def test_reactive_why_and_its_errors(kernel):
    kernel.execute("%%cell load\nx = 5", "c1")
    kernel.execute("%%cell step\ny = x + 1", "c2")
    kernel.execute("%%cell show\nprint(y)", "c3")
    answer = displayed(kernel.execute("%reactive why y", "q"))["text/plain"]
    assert "y gets its value from [2] step" in answer
    assert "code: y = x + 1" in answer and "x  from [1] load" in answer
    assert "y  by [3] show" in answer
    assert answer == displayed(kernel.execute("%reactive why step", "q"))["text/plain"].replace(
        "[2] step  up to date", "y gets its value from [2] step\n\n[2] step  up to date")
    assert "x  from [1] load" in displayed(kernel.execute("%reactive why [2]", "q"))["text/plain"]
    for bad, says in [("%reactive why nope", "no cell or variable named 'nope'"),
                      ("%reactive why", "name a variable or a cell"),
                      ("%reactive frobnicate", "invalid choice")]:
        failed = kernel.execute(bad, "q")
        assert failed.status == "error" and failed.reply["content"]["ename"] == "UsageError"
        assert says in failed.text()
        assert "reactive_kernel" not in failed.text() and "Traceback" not in failed.text()
    assert kernel.value("y") == "6"


def test_reactive_graph_is_an_svg_with_a_text_fallback(kernel):
    assert kernel.value("'matplotlib' in __import__('sys').modules") == "False"
    kernel.execute("%%cell base\nx = 5", "c1")
    kernel.execute("%%cell step\ny = x + 1", "c2")
    kernel.execute("%%cell both\nz = x * y", "c3")
    data = displayed(kernel.execute("%reactive graph", "q"))
    texts = svg_texts(data["image/svg+xml"])
    for shown in ("[1] base", "[2] step", "[3] both", "x", "y"):
        assert shown in texts
    assert "─ y → [3] both" in plain(data["text/plain"])
    # drawn on a Figure of its own: pyplot never imported, the user's state untouched
    assert kernel.value("'matplotlib.pyplot' in __import__('sys').modules") == "False"
    focused = displayed(kernel.execute("%reactive graph both", "q"))
    assert "around both" in svg_texts(focused["image/svg+xml"])


def test_the_view_forgets_a_deleted_cell_at_the_next_request_and_not_before():
    """What a request did with a cell goes with the cell (a cell id that
    comes back is a new cell); requests that delete nothing do not look."""
    view, _ = notebook_of([("a", "x = 1"), ("b", "y = x + 1"), ("c", "z = 3")])
    assert set(view.last) == {"a", "b", "c"}
    view.engine.forget(["c"])
    run_recorded(view, "a", "x = 2", 4)
    assert set(view.last) == {"a", "b"}
    assert view.state("b") == "reran"
