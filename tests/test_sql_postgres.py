"""SQL cells on a real PostgreSQL server: a throwaway cluster made with
initdb, started on 127.0.0.1 on a free port and removed afterwards.

Without PostgreSQL these tests skip locally and FAIL when ``CI`` is set.
"""
from __future__ import annotations

import datetime as dt
import os

import pytest

from reactive_kernel.vocabulary import ERROR, OK
from tests.support.postgres import PASSWORD, Cluster, find_bindir
from tests.test_sql import Notebook, T

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="session")
def cluster():
    bindir = find_bindir()
    if bindir is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) not found; install the postgresql package"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set: PostgreSQL tests must run)")
        pytest.skip(reason)
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("psycopg2 is not installed (CI is set: PostgreSQL tests must run)")
        pytest.skip("psycopg2 is not installed")
    server = Cluster(bindir)
    try:
        server.start()
        server.create_database("alpha")
        server.create_database("beta")
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg(cluster):
    """A clean ``alpha`` database: every table dropped after the test."""
    yield cluster
    conn = cluster.connect("alpha")
    try:
        with conn.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        conn.close()


@pytest.fixture
def nb():
    notebook = Notebook()
    yield notebook
    for value in list(notebook.ns.values()):
        dispose = getattr(value, "dispose", None)
        if callable(dispose) and type(value).__name__ == "Engine":
            dispose()
    for engine in notebook.sql._url_engines.values():
        engine.dispose()


def rows(cluster, sql, database="alpha"):
    conn = cluster.connect(database)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def test_editing_the_engine_cell_switches_the_connection(nb, pg):
    nb.run("conn", f"pg = {pg.url('alpha')!r}")
    nb.run("tag", "tag = 'first'")
    nb.run("q", "%%sql --engine pg -o where\nSELECT current_database() AS db, {tag} AS tag")
    nb.run("py", "db = where.db[0]")
    assert nb.ns["db"] == "alpha" and nb.ns["where"].tag[0] == "first"
    report = nb.run("conn", f"import sqlalchemy\npg = sqlalchemy.create_engine({pg.url('beta')!r})")
    assert nb.ran(report) == [("conn", OK), ("q", OK), ("py", OK)]
    assert nb.ns["db"] == "beta"
    assert PASSWORD not in nb.out["q"] and PASSWORD not in nb.notes


def test_parameters_with_dates_and_quotes(nb, pg):
    nb.run("conn", f"pg = {pg.url('alpha')!r}")
    nb.run("mk", "%%sql --engine pg\nCREATE TABLE events (day date, at timestamp, note text)")
    nb.run("vals", "import datetime\n"
                   "day = datetime.date(2024, 2, 29)\n"
                   "at = datetime.datetime(2024, 2, 29, 13, 45, 10)\n"
                   "note = \"it's a \\\"test\\\"; DROP TABLE events; -- {day} :x %s\"")
    report = nb.run("ins", "%%sql --engine pg\nINSERT INTO events VALUES ({day}, {at}, {note}), "
                           "({day} + 1, {at}, 'plain %')")
    assert nb.ran(report) == [("ins", OK)], nb.out["ins"]
    assert rows(pg, "SELECT day, at, note FROM events ORDER BY day") == [
        (dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 13, 45, 10), nb.ns["note"]),
        (dt.date(2024, 3, 1), dt.datetime(2024, 2, 29, 13, 45, 10), "plain %"),
    ]
    nb.run("since", "since = datetime.date(2024, 3, 1)")
    nb.run("q", "%%sql --engine pg -o later\nSELECT day, note FROM events WHERE day >= {since} "
                "AND note LIKE '%' || 'la' || '%' AND day::text <> ':x'")
    assert nb.ns["later"].values.tolist() == [[dt.date(2024, 3, 1), "plain %"]]
    nb.run("since", "since = datetime.date(2024, 1, 1)")
    assert nb.ran() == [("since", OK), ("q", OK)]
    assert len(nb.ns["later"]) == 1  # only 'plain %' matches the LIKE


def test_table_created_in_one_cell_read_in_another(nb, pg):
    nb.run("conn", f"pg = {pg.url('alpha')!r}")
    nb.run("mk", "%%sql --engine pg\nCREATE TABLE items (name text, price numeric);\n"
                 "INSERT INTO items VALUES ('pen', 1.5), ('ink', 3.25)")
    nb.run("floor", "floor = 1")
    nb.run("rd", "%%sql --engine pg -o expensive\nSELECT name FROM items WHERE price > {floor} ORDER BY name")
    assert nb.ns["expensive"].name.tolist() == ["ink", "pen"]
    assert "rd" in nb.engine.readers("mk")
    assert T("items", "pg") in nb.engine.graph.names["rd"].reads
    nb.run("floor", "floor = 2")
    assert nb.ran() == [("floor", OK), ("rd", OK)]
    assert nb.ns["expensive"].name.tolist() == ["ink"]
    # a DataFrame joined with a server table through a temporary table
    nb.run("frame", "import pandas as pd\nwanted = pd.DataFrame({'name': ['ink', 'nib']})")
    nb.run("join", "hits = %sql --engine pg SELECT w.name, i.price FROM {wanted} w LEFT JOIN items i USING (name) "
                   "ORDER BY w.name")
    assert [(n, None if p is None else float(p)) for n, p in nb.ns["hits"].values.tolist()] == [
        ("ink", 3.25), ("nib", None)
    ]
    assert rows(pg, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '_reactive%'") == [(0,)]


def test_no_table_of_the_external_database_is_dropped_on_rerun(nb, pg):
    conn = pg.connect("alpha")
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE outside (a int); INSERT INTO outside VALUES (1)")
    conn.close()
    nb.run("conn", f"pg = {pg.url('alpha')!r}")
    nb.run("mk", "%%sql --engine pg\nCREATE TABLE precious (a int); INSERT INTO precious VALUES (1), (2)")
    nb.run("ins", "%%sql --engine pg\nINSERT INTO outside VALUES (2)")
    nb.run("rd", "%%sql --engine pg -o r\nSELECT (SELECT count(*) FROM precious) AS p, (SELECT count(*) FROM outside) AS o")
    assert nb.ns["r"].values.tolist() == [[2, 2]]

    report = nb.run("mk", "%%sql --engine pg\nCREATE TABLE precious (a int); INSERT INTO precious VALUES (1), (2)")
    assert "table precious on pg is left as it is (external database)" in nb.notes
    assert T("precious", "pg") not in report.cleared
    assert ("mk", ERROR) in nb.ran(report)
    assert 'relation "precious" already exists' in nb.out["mk"]
    assert rows(pg, "SELECT count(*) FROM precious") == [(2,)]

    # editing the engine cell reruns every SQL cell; still nothing is dropped
    # (a new engine object: the same URL string again would change nothing)
    report = nb.run("conn", f"import sqlalchemy\npg = sqlalchemy.create_engine({pg.url('alpha')!r})")
    assert {c for c, _ in nb.ran(report)} >= {"conn", "mk", "ins", "rd"}
    assert rows(pg, "SELECT count(*) FROM precious") == [(2,)]
    assert rows(pg, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1") == [
        ("outside",), ("precious",)
    ]
    assert PASSWORD not in nb.notes + "".join(nb.out.values())


def test_drop_option_replaces_the_table_and_rows_are_not_duplicated(nb, pg):
    nb.run("conn", f"pg = {pg.url('alpha')!r}")
    nb.run("mk", "%%sql --engine pg --drop\nCREATE TABLE t (a int)")
    nb.run("ins", "%%sql --engine pg\nINSERT INTO t VALUES (1), (2)")
    for _ in range(2):
        report = nb.run("ins", "%%sql --engine pg\nINSERT INTO t VALUES (1), (2)")
        assert nb.ran(report) == [("mk", OK), ("ins", OK)]
    assert rows(pg, "SELECT count(*) FROM t") == [(2,)]


def test_failed_cell_leaves_the_database_as_it_was(nb, pg):
    nb.run("conn", f"pg = {pg.url('alpha')!r}")
    report = nb.run("bad", "%%sql --engine pg\nCREATE TABLE half (a int);\nINSERT INTO half VALUES ('not a number')")
    assert nb.ran(report) == [("bad", ERROR)]
    shown = nb.out["bad"]
    assert "invalid input syntax for type integer" in shown
    assert "INSERT INTO half VALUES ('not a number')" in shown and "statement 2 of 2" in shown
    assert "Traceback" not in shown
    assert rows(pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'half'") == [(0,)]


def test_wrong_password_is_a_clear_error_without_the_password(nb, pg):
    wrong = "Wr0ng-pa55word"
    nb.run("conn", f"pg = {pg.url('alpha', password=wrong)!r}")
    report = nb.run("q", "%%sql --engine pg\nSELECT 1")
    assert nb.ran(report) == [("q", ERROR)]
    shown = nb.out["q"]
    assert f"cannot connect to the postgresql database at 127.0.0.1:{pg.port}" in shown
    assert "password authentication failed" in shown
    assert wrong not in shown and PASSWORD not in shown


# ---------------------------------------------------------------------------
# Frames loaded in bulk (COPY), schema-qualified names
# ---------------------------------------------------------------------------


def test_frame_is_copied_in_bulk_once_per_run_with_its_types_and_nulls(nb, pg):
    nb.run("conn", f"pg = {pg.url('alpha')!r}")
    nb.run("frame", "import datetime, decimal\nimport numpy as np\nimport pandas as pd\n"
                    "frame = pd.DataFrame({\n"
                    "    'n': [1, 2, 3],\n"
                    "    'x': [0.5, np.nan, -1e300],\n"
                    "    'label': ['plain', 'comma, \"quote\"\\nnewline', None],\n"
                    "    'empty': ['', None, 'NULL'],\n"
                    "    'at': pd.to_datetime(['2024-02-29 13:45:10.250', None, '1999-12-31'], format='ISO8601'),\n"
                    "    'flag': [True, False, True],\n"
                    "    'day': [datetime.date(2024, 1, 1), None, datetime.date(2024, 1, 3)],\n"
                    "    'price': [decimal.Decimal('1.25'), None, decimal.Decimal('3')],\n"
                    "}).set_index(pd.Index(['a', 'b', 'c'], name='key'))")
    report = nb.run("q", "%%sql --engine pg -o r\n"
                         "CREATE TABLE kept AS SELECT * FROM {frame};\n"
                         "SELECT (SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_reactive%') AS temps,\n"
                         "       (SELECT count(*) FROM {frame} WHERE flag) AS flagged")
    assert nb.ran(report) == [("q", OK)], nb.out
    assert nb.ns["r"].values.tolist() == [[1, 2]]  # one temporary table for both uses
    assert rows(pg, "SELECT key, n, x, label, empty, at, flag, day, price FROM kept ORDER BY n") == [
        ("a", 1, 0.5, "plain", "", dt.datetime(2024, 2, 29, 13, 45, 10, 250000), True, dt.date(2024, 1, 1),
         __import__("decimal").Decimal("1.25")),
        ("b", 2, None, 'comma, "quote"\nnewline', None, None, False, None, None),
        ("c", 3, -1e300, None, "NULL", dt.datetime(1999, 12, 31), True, dt.date(2024, 1, 3),
         __import__("decimal").Decimal("3")),
    ]
    assert rows(pg, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_reactive%'") == [(0,)]


def test_empty_frame_and_a_failing_cell_leave_no_temporary_table(nb, pg):
    nb.run("conn", f"pg = {pg.url('alpha')!r}")
    nb.run("frame", "import pandas as pd\nnone = pd.DataFrame({'a': pd.Series([], dtype='int64')})")
    nb.run("q", "n = %sql --engine pg SELECT count(*) AS n FROM {none}")
    assert nb.ns["n"].n[0] == 0
    report = nb.run("bad", "%%sql --engine pg\nSELECT nonsense FROM {none}")
    assert nb.ran(report) == [("bad", ERROR)] and 'column "nonsense" does not exist' in nb.out["bad"]
    nb.run("check", "%%sql --engine pg -o t\nSELECT count(*) AS n FROM pg_tables WHERE tablename LIKE '\\_reactive%'")
    assert nb.ns["t"].n[0] == 0


def test_schema_qualified_and_bare_names_follow_the_search_path(nb, pg):
    nb.run("conn", f"pg = {pg.url('alpha')!r}")
    nb.run("mk", "%%sql --engine pg --drop\nCREATE TABLE public.items AS SELECT 1 AS a")
    nb.run("other", "%%sql --engine pg --drop\nCREATE SCHEMA IF NOT EXISTS sales;\n"
                    "DROP TABLE IF EXISTS sales.items; CREATE TABLE sales.items AS SELECT 10 AS a")
    nb.run("rd", "%%sql --engine pg -o r\nSELECT (SELECT sum(a) FROM items) AS bare, (SELECT sum(a) FROM sales.items) AS s")
    assert nb.ns["r"].values.tolist() == [[1, 10]]
    assert {T("items", "pg"), T("sales.items", "pg")} <= nb.engine.graph.names["rd"].reads
    report = nb.run("mk", "%%sql --engine pg --drop\nCREATE TABLE public.items AS SELECT 2 AS a")
    assert T("items", "pg") in report.cleared
    assert nb.ran(report) == [("mk", OK), ("rd", OK)]
    assert nb.ns["r"].values.tolist() == [[2, 10]]
    nb.run("ins", "%%sql --engine pg\nINSERT INTO public.items VALUES (5)")
    assert "ins" in nb.engine.readers("mk")
    assert rows(pg, "SELECT sum(a) FROM items") == [(7,)]
