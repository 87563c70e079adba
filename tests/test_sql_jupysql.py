"""Habits of JupySQL users: ``NAME << SELECT``, ``:name`` parameters,
``{{name}}`` templates (a clear message), ``--save`` / ``--with`` snippets
as graph names, options parsed by IPython's magic_arguments."""
from __future__ import annotations

import pytest

from reactive_kernel.vocabulary import ERROR, OK
from tests.test_sql import Notebook


@pytest.fixture
def nb():
    notebook = Notebook()
    yield notebook
    notebook.sql.default_engine.dispose()


def test_assignment_arrow_works_like_out(nb):
    nb.run("c1", "%%sql top <<\nSELECT 42 AS answer")
    assert nb.ns["top"].answer.tolist() == [42]
    nb.run("c2", "%%sql\nlow << SELECT 7 AS answer")
    assert nb.ns["low"].answer.tolist() == [7]
    nb.run("c3", "%sql line << SELECT 1 AS one")
    assert nb.ns["line"].one.tolist() == [1]
    nb.run("use", "total = int(top.answer[0] + low.answer[0])")
    assert nb.engine.analyze("%%sql top <<\nSELECT 1").writes == frozenset({"top"})
    nb.run("c1", "%%sql top <<\nSELECT 43 AS answer")
    assert nb.ran() == [("c1", OK), ("use", OK)] and nb.ns["total"] == 50


def test_colon_parameters_are_bound_graph_reads(nb):
    nb.run("v", "low = 2\nnames = ['b', 'c']")
    nb.run("q", "%%sql -o r\nSELECT x, 'a:b' AS s FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) t(x, n) "
                "WHERE x >= :low AND n IN :names AND x::text <> ':low' ORDER BY x")
    assert nb.ns["r"].x.tolist() == [2, 3] and nb.ns["r"].s.tolist() == ["a:b", "a:b"]
    assert {"low", "names"} <= nb.engine.graph.names["q"].reads
    nb.run("v", "low = 3\nnames = ['b', 'c']")
    assert nb.ran() == [("v", OK), ("q", OK)] and nb.ns["r"].x.tolist() == [3]


def test_jinja_template_gets_a_message_saying_what_to_write(nb):
    nb.run("v", "limit = 3")
    report = nb.run("q", "%%sql\nSELECT * FROM range(10) LIMIT {{limit}}")
    assert nb.ran(report) == [("q", ERROR)]
    shown = nb.out["q"]
    assert "{{limit}} is JupySQL's template syntax; write {limit} (or :limit)" in shown
    assert "Traceback" not in shown


def test_saved_snippet_is_a_graph_name_and_its_users_rerun(nb):
    nb.run("mk", "%%sql\nCREATE TABLE orders AS SELECT * FROM (VALUES (1, 50), (2, 150), (3, 300)) t(id, amount)")
    nb.run("v", "floor = 100")
    nb.run("save", "%%sql --save big\nSELECT * FROM orders WHERE amount > {floor}")
    nb.run("use", "%%sql --with big -o r\nSELECT count(*) AS n FROM big")
    assert nb.ns["r"].n[0] == 2
    assert "snippet:big" in nb.engine.graph.names["save"].writes
    assert "snippet:big" in nb.engine.graph.names["use"].reads
    assert "use" in nb.engine.readers("save")
    # editing the snippet reruns the cells that use it
    nb.run("save", "%%sql --save big\nSELECT * FROM orders WHERE amount > 200")
    assert nb.ran() == [("save", OK), ("use", OK)] and nb.ns["r"].n[0] == 1
    # so does a value the snippet reads
    nb.run("save", "%%sql --save big\nSELECT * FROM orders WHERE amount > {floor}")
    nb.run("v", "floor = 0")
    assert nb.ran() == [("v", OK), ("save", OK), ("use", OK)] and nb.ns["r"].n[0] == 3
    # a query with a WITH of its own, a snippet using a snippet, save without running
    nb.run("own", "%%sql --with big -o r2\nWITH small AS (SELECT * FROM orders WHERE amount < 100) "
                  "SELECT (SELECT count(*) FROM small) AS s, (SELECT count(*) FROM big) AS b")
    assert nb.ns["r2"].values.tolist() == [[1, 3]]
    nb.run("nested", "%%sql --save top --with big --no-execute\nSELECT max(amount) AS m FROM big")
    assert "saved snippet top" in nb.out["nested"]
    nb.run("top", "m = %sql --with top SELECT m FROM top")
    assert nb.ns["m"].m[0] == 300


def test_deleting_the_saving_cell_removes_the_snippet(nb):
    nb.run("save", "%%sql --save one\nSELECT 1 AS a")
    nb.run("use", "%%sql --with one -o r\nSELECT * FROM one")
    nb.forget("save")
    nb.run("other", "x = 1")
    assert ("use", ERROR) in nb.ran()
    report = nb.run("use", "%%sql --with one -o r\nSELECT * FROM one")
    assert "no snippet 'one' is saved (save one with %%sql --save one)" in nb.out["use"]
    assert nb.ran(report) == [("use", ERROR)]


@pytest.mark.parametrize(
    "line, message",
    [
        ("--frobnicate", "unrecognized arguments: --frobnicate"),
        ("--engine", "expected one argument"),
        ("--no-execute", "--no-execute only goes with --save NAME"),
        ("--save 'two words'", "a snippet's name must be a SQL identifier"),
        ("-o a b <<", "both -o a and b << given; keep one"),
        ("stray words", "unexpected 'stray words' on the %%sql line"),
        ("--engine 'unclosed", "No closing quotation"),
    ],
)
def test_magic_arguments_errors_are_clear(nb, line, message):
    report = nb.run("bad", f"%%sql {line}\nSELECT 1")
    assert nb.ran(report) == [("bad", ERROR)]
    assert message in nb.out["bad"] and "Traceback" not in nb.out["bad"]


def test_help_comes_from_magic_arguments(nb):
    doc = nb.shell.find_cell_magic("sql").__doc__
    assert "--save" in doc and "--with" in doc and "--engine" in doc


def test_through_the_real_kernel_with_a_fetch_limit():
    from tests.support.client import KernelSession

    with KernelSession("reactive", extra_arguments=["--ReactiveKernel.sql_fetch_rows=3"]) as session:
        session.execute("low = 4", "v")
        shown = session.execute("%%sql first <<\nSELECT i FROM range(10) t(i) WHERE i >= :low", "q").text()
        assert "3+ rows × 1 column; only the first 3 fetched (fetch limit)" in shown
        assert session.value("first.i.tolist()") == "[4, 5, 6]"
        session.execute("%%sql --save evens --no-execute\nSELECT i FROM range(10) t(i) WHERE i % 2 = 0", "s")
        session.execute("n = %sql --with evens SELECT count(*) AS n FROM evens", "u")
        assert session.value("int(n.n[0])") == "5"
        edit = session.execute("%%sql --save evens --no-execute\nSELECT i FROM range(4) t(i) WHERE i % 2 = 0", "s")
        assert [r["cell_id"] for r in edit.reactive["ran"]] == ["s", "u"]
        assert session.value("int(n.n[0])") == "2"
