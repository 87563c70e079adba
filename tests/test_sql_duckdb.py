"""The embedded DuckDB database and databases given by URL: frames queried
in place, files as graph reads, clean reruns on in-memory databases, SQLite
by URL, fetch and display limits.  In process: real IPython shell, real
engine, real DuckDB and SQLite."""
from __future__ import annotations

import sqlite3

import pytest

from reactive_kernel.vocabulary import ERROR, OK
from tests.test_sql import Notebook, T


@pytest.fixture
def nb():
    notebook = Notebook()
    yield notebook
    notebook.sql.default_engine.dispose()
    for engine in notebook.sql._url_engines.values():
        engine.dispose()


def registered(nb):
    """Frames DuckDB queries in place for a cell: registered temporary views."""
    return nb.query("SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal")


def test_frame_is_queried_in_place_once_per_run_and_unregistered(nb):
    nb.run("f", "import pandas as pd\nframe = pd.DataFrame({'k': range(1000), 'g': ['a', 'b'] * 500})")
    # the same frame in two statements and twice in one: registered once for the run
    nb.run("q", "%%sql -o r\nCREATE TEMP TABLE seen AS SELECT count(*) AS n FROM duckdb_views() "
                "WHERE temporary AND NOT internal;\n"
                "SELECT (SELECT n FROM seen) AS views, count(*) AS n FROM {frame} a JOIN {frame} b USING (k)")
    assert nb.ns["r"].values.tolist() == [[1, 1000]]
    assert registered(nb) == []
    nb.run("bad", "%%sql\nSELECT nonsense FROM {frame}")
    assert nb.ran() == [("bad", ERROR)] and registered(nb) == []


def test_frame_edit_reruns_and_reads_the_new_frame(nb):
    nb.run("f", "import pandas as pd\nframe = pd.DataFrame({'x': [0.1, 0.7, 0.9]})")
    nb.run("q", "%%sql -o r\nSELECT count(*) AS n, avg(x) AS mean FROM {frame} WHERE x > 0.5")
    assert nb.ns["r"].n.tolist() == [2]
    nb.run("f", "import pandas as pd\nframe = pd.DataFrame({'x': [0.6]})")
    assert nb.ran() == [("f", OK), ("q", OK)]
    assert nb.ns["r"].values.tolist() == [[1, 0.6]]


def test_non_string_column_names_and_empty_frames(nb):
    nb.run("f", "import pandas as pd\nwide = pd.DataFrame({0: [1, 2], 'b': [3, 4]})\nnone = wide.iloc[:0]")
    nb.run("q", '%%sql -o r\nSELECT "0" + b AS s FROM {wide} UNION ALL SELECT "0" FROM {none}')
    assert sorted(nb.ns["r"].s.tolist()) == [4, 6]


def test_file_read_is_a_graph_read_of_the_file(nb, tmp_path):
    path = tmp_path / "sales.csv"
    nb.run("write", f"import pandas as pd\npd.DataFrame({{'n': [1, 2, 3]}}).to_csv({str(path)!r}, index=False)")
    nb.run("q", f"%%sql -o r\nSELECT sum(n) AS s FROM '{path}'")
    assert nb.ns["r"].s[0] == 6
    assert f"file:{path}" in nb.engine.graph.names["q"].reads
    # the Python cell that writes the file is its provider (issue 21: files are resources)
    assert nb.engine.graph.provider("q", f"file:{path}") == "write"
    assert nb.engine.present(f"file:{path}")
    nb.run("write", f"import pandas as pd\npd.DataFrame({{'n': [1, 2, 5]}}).to_csv({str(path)!r}, index=False)")
    assert nb.ns["r"].s[0] == 8  # the SQL cell reran
    nb.engine.clear(nb.engine.cells["write"])
    assert path.exists()  # a clean rerun never removes a file


def test_schema_qualified_and_bare_names_are_one_table(nb):
    nb.run("mk", "%%sql\nCREATE TABLE main.t AS SELECT 1 AS a")
    nb.run("rd", "n = %sql SELECT count(*) AS n FROM memory.main.t JOIN t USING (a)")
    assert "rd" in nb.engine.readers("mk")
    nb.run("mk", "%%sql\nCREATE TABLE main.t AS SELECT 1 AS a UNION ALL SELECT 1")
    assert nb.ran() == [("mk", OK), ("rd", OK)]
    assert nb.ns["n"].n[0] == 4
    nb.run("schema", "%%sql\nCREATE SCHEMA stage; CREATE TABLE stage.t AS SELECT 5 AS a")
    nb.run("rs", "s = %sql SELECT a FROM stage.t")
    assert "rs" not in nb.engine.readers("mk") and nb.ns["s"].a[0] == 5


@pytest.mark.parametrize("url", ["duckdb:///:memory:", "sqlite://"])
def test_in_memory_database_by_url_reruns_cleanly(nb, url):
    nb.run("db", f"mem = {url!r}")
    nb.run("mk", "%%sql --engine mem\nCREATE TABLE t (a int)")
    nb.run("ins", "%%sql --engine mem\nINSERT INTO t VALUES (1), (2)")
    nb.run("cnt", "%%sql --engine mem -o c\nSELECT count(*) AS n FROM t")
    for _ in range(2):  # no "already exists", no duplicated rows
        report = nb.run("ins", "%%sql --engine mem\nINSERT INTO t VALUES (1), (2)")
        assert nb.ran(report) == [("mk", OK), ("ins", OK), ("cnt", OK)]
        assert nb.ns["c"].n[0] == 2
    report = nb.run("mk", "%%sql --engine mem\nCREATE TABLE u (a int)")
    assert T("t", "mem") in report.cleared
    # a URL literal too
    nb.run("lit", f"%%sql --engine {url}\nCREATE TABLE w AS SELECT 1 AS a")
    report = nb.run("lit", f"%%sql --engine {url}\nCREATE TABLE w AS SELECT 2 AS a")
    assert nb.ran(report) == [("lit", OK)]


def test_sqlite_file_by_url_is_external(nb, tmp_path):
    path = tmp_path / "shop.db"
    nb.run("db", f"shop = 'sqlite:///{path}'")
    nb.run("f", "import pandas as pd\nframe = pd.DataFrame({'k': [1, 2], 'v': ['a', None],"
                " 't': pd.to_datetime(['2024-01-01', '2024-01-02'])})")
    nb.run("mk", "%%sql --engine shop\nCREATE TABLE kept AS SELECT * FROM {frame}")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT k, v, t FROM kept ORDER BY k").fetchall() == [
            (1, "a", "2024-01-01 00:00:00.000000"), (2, None, "2024-01-02 00:00:00.000000")]
        assert conn.execute("SELECT count(*) FROM sqlite_temp_master").fetchall() == [(0,)]
    report = nb.run("mk", "%%sql --engine shop\nCREATE TABLE kept AS SELECT * FROM {frame}")
    assert nb.ran(report) == [("mk", ERROR)] and "already exists" in nb.out["mk"]


def test_fetch_limit_and_display_limit(nb):
    nb.sql.fetch_rows, nb.sql.display_rows = 50, 5
    nb.run("q", "%%sql -o r\nSELECT * FROM range(1000) t(i)")
    assert len(nb.ns["r"]) == 50
    assert "50+ rows × 1 column (first 5 shown); only the first 50 fetched" in nb.out["q"]
    nb.sql.fetch_rows = None
    nb.run("q", "%%sql -o r\nSELECT * FROM range(1000) t(i)  -- all")
    assert len(nb.ns["r"]) == 1000 and "1000 rows × 1 column (first 5 shown)" in nb.out["q"]


def test_unreadable_sql_is_a_clear_error(nb):
    report = nb.run("q", "%%sql\nSELECT 'unterminated")
    assert nb.ran(report) == [("q", ERROR)]
    assert "cannot read the SQL" in nb.out["q"] and "Traceback" not in nb.out["q"]


def test_statements_that_change_rows_report_a_count_not_a_table(nb):
    nb.run("mk", "%%sql\nCREATE TABLE t (a int)")
    assert nb.out["mk"].strip() == ""
    nb.run("ins", "%%sql\nINSERT INTO t VALUES (1), (2)")
    assert "2 rows affected" in nb.out["ins"] and "Count" not in nb.out["ins"]
    nb.run("sum", "%%sql -o r\nSELECT sum(a) AS s, sum(a) / 2 AS half FROM t")
    # DuckDB sums integers as HUGEINT; the frame holds them as integers again
    assert str(nb.ns["r"].s.dtype) == "int64" and nb.ns["r"].s[0] == 3 and nb.ns["r"].half[0] == 1.5
