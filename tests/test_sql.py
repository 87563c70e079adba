"""SQL cells (``%%sql`` / ``%sql``): analysis, execution on the embedded
DuckDB database and on SQLite files through ``--engine``, table dependencies,
clean reruns, errors and password masking.

Most tests run a real IPython InteractiveShell with the reactive Engine in
process; the last ones go through the real kernel over jupyter_client.
"""
from __future__ import annotations

import datetime
import sqlite3
import uuid

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.utils.capture import capture_output

from reactive_kernel.core.engine import Engine
from reactive_kernel.vocabulary import ERROR, OK
from reactive_kernel.sql import SqlCells, mask_url_text
from reactive_kernel.sql.parameters import placeholders
from reactive_kernel.sql.tables import split_statements
from tests.support.client import Execution, KernelSession



# ---------------------------------------------------------------------------
# An in-process notebook: real IPython shell, real engine, real databases
# ---------------------------------------------------------------------------


class Notebook:
    def __init__(self, **options):
        self.shell = InteractiveShell()
        self.sql = SqlCells(self.shell, **options)
        self.sql.register_magics()
        self.engine = Engine(
            self.shell.user_ns,
            transform=self.shell.transform_cell,
            magics={"sql": self.sql.analyze},
            resources=self.sql,
        )
        self.ns = self.shell.user_ns
        #: what each cell showed in its last run (stdout + displays + errors)
        self.out: dict[str, str] = {}
        #: text printed outside any cell's run (notes from clean reruns)
        self.notes = ""
        self.report = None

    def _execute(self, step):
        displays = CapturingDisplayPublisher()
        self.shell.display_pub, saved = displays, self.shell.display_pub
        try:
            with capture_output(display=False) as captured:
                result = self.shell.run_cell(step.cell.code, store_history=False)
        finally:
            self.shell.display_pub = saved
        shown = [captured.stdout, captured.stderr]
        shown += [o["data"].get("text/plain", "") for o in displays.outputs]
        shown += [o["data"].get("text/html", "") for o in displays.outputs]
        self.out[step.cell.id] = "\n".join(shown)
        return OK if result.success else ERROR

    def run(self, cell_id, code):
        with capture_output() as captured:
            self.report = self.engine.run(cell_id, code, execute=self._execute)
        self.notes = captured.stdout
        return self.report

    def forget(self, *cell_ids):
        self.engine.forget(cell_ids)

    def ran(self, report=None):
        report = report or self.report
        return [(e.cell_id, e.status) for e in report.ran]

    def query(self, sql):
        """Read the embedded database directly, outside the graph."""
        with self.sql.default_engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql).fetchall()]

    def tables(self):
        """Tables and views of the embedded DuckDB database (its catalog)."""
        return {r[0] for r in self.query(
            "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views() "
            "WHERE NOT internal AND NOT temporary")}

    def temp_tables(self):
        """Temporary tables and views: the frames registered for a cell."""
        return {r[0] for r in self.query(
            "SELECT table_name FROM duckdb_tables() WHERE temporary "
            "UNION SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal")}


@pytest.fixture
def nb():
    notebook = Notebook()
    yield notebook
    notebook.sql.default_engine.dispose()


def S(*names):
    return frozenset(names)


def T(table, source="@default"):
    return f"table:{source}:{table}"


# ---------------------------------------------------------------------------
# Static analysis
# ---------------------------------------------------------------------------

# (id, magic line, body (None: line magic), reads, writes, mutations)
ANALYSIS = [
    ("select", "", "SELECT a FROM users", S(T("users")), S(), S()),
    ("output", "-o df", "SELECT 1", S(), S("df"), S()),
    ("output-long", "--out=df", "SELECT 1", S(), S("df"), S()),
    ("join", "", "SELECT * FROM users u JOIN orders o ON u.id = o.uid LEFT OUTER JOIN x ON 1=1",
     S(T("users"), T("orders"), T("x")), S(), S()),
    ("comma-list", "", "SELECT * FROM a, b AS bb, (SELECT 1 FROM c) AS cc, d",
     S(T("a"), T("b"), T("c"), T("d")), S(), S()),
    ("subquery", "", "SELECT * FROM a WHERE id IN (SELECT id FROM b WHERE EXISTS (SELECT 1 FROM c))",
     S(T("a"), T("b"), T("c")), S(), S()),
    ("cte", "", "WITH t AS (SELECT * FROM base), u AS (SELECT * FROM t) SELECT * FROM u JOIN other USING (k)",
     S(T("base"), T("other")), S(), S()),
    ("cte-recursive", "", "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 5) SELECT x FROM s",
     S(), S(), S()),
    ("params", "", "SELECT * FROM t WHERE a > {low} AND b = {cfg.name} AND c IN {ids}",
     S(T("t"), "low", "cfg", "ids"), S(), S()),
    ("frame-param", "", "SELECT * FROM {frame} f JOIN users u ON u.id = f.id", S("frame", T("users")), S(), S()),
    ("strings-comments", "", "SELECT 'FROM x {a}', $$ JOIN y $$ -- FROM z {b}\n/* JOIN w {c} */ FROM real",
     S(T("real")), S(), S()),
    # DuckDB's names are case-insensitive, quoted or not; main is its search path
    ("quoted-ident", "", 'SELECT * FROM "My Table" JOIN Mixed ON 1=1', S(T("my table"), T("mixed")), S(), S()),
    ("qualified", "", "SELECT * FROM main.users JOIN memory.main.x ON true JOIN other.y ON true",
     S(T("users"), T("x"), T("other.y")), S(), S()),
    ("from-in-functions", "", "SELECT EXTRACT(YEAR FROM d), a IS DISTINCT FROM b, substring(s FROM 2) FROM t",
     S(T("t")), S(), S()),
    ("table-function", "", "SELECT * FROM generate_series(1, 3) g, LATERAL (SELECT 1) x", S(), S(), S()),
    ("create", "", "CREATE TABLE t (a int)", S(), S(T("t")), S()),
    ("create-as", "", "CREATE TABLE IF NOT EXISTS t AS SELECT * FROM s", S(T("s")), S(T("t")), S()),
    ("create-temp-view", "", "CREATE TEMP VIEW v AS SELECT * FROM t", S(T("t")), S(T("v")), S()),
    ("create-insert-select", "", "CREATE TABLE t (a int); INSERT INTO t VALUES (1); SELECT * FROM t",
     S(), S(T("t")), S()),
    ("insert", "", "INSERT INTO t (a) VALUES (1)", S(T("t")), S(T("t")), S(T("t"))),
    ("insert-select", "", "INSERT INTO t SELECT * FROM s", S(T("t"), T("s")), S(T("t")), S(T("t"))),
    ("insert-or-replace", "", "INSERT OR REPLACE INTO t VALUES (1)", S(T("t")), S(T("t")), S(T("t"))),
    ("update", "", "UPDATE t SET a = 1 FROM s WHERE t.id = s.id", S(T("t"), T("s")), S(T("t")), S(T("t"))),
    ("delete", "", "DELETE FROM t WHERE a IN (SELECT a FROM s)", S(T("t"), T("s")), S(T("t")), S(T("t"))),
    ("truncate-alter", "", "TRUNCATE a, b; ALTER TABLE c ADD COLUMN x int",
     S(T("a"), T("b"), T("c")), S(T("a"), T("b"), T("c")), S(T("a"), T("b"), T("c"))),
    ("create-index", "", "CREATE UNIQUE INDEX i ON t (a)", S(T("t")), S(T("t")), S(T("t"))),
    ("rename", "", "ALTER TABLE old RENAME TO new", S(T("old")), S(T("old"), T("new")), S(T("old"))),
    ("drop", "", "DROP TABLE t", S(T("t")), S(T("t")), S()),
    ("drop-if-exists-create", "", "DROP TABLE IF EXISTS t; CREATE TABLE t AS SELECT 1 AS a", S(), S(T("t")), S()),
    ("engine-variable", "--engine pg", "SELECT * FROM t", S("pg", T("t", "pg")), S(), S()),
    ("engine-braces", "--engine {pg} -o r", "INSERT INTO t VALUES (1)",
     S("pg", T("t", "pg")), S("r", T("t", "pg")), S(T("t", "pg"))),
    ("engine-url-masked", "--engine postgresql://bob:hunter2@db.example/x", "SELECT * FROM t",
     S(T("t", "postgresql://bob:***@db.example/x")), S(), S()),
    ("line-magic", "--engine pg SELECT * FROM t WHERE a = {x}", None, S("pg", "x", T("t", "pg")), S(), S()),
    ("semicolons-in-strings", "", "INSERT INTO log VALUES ('a;b'); SELECT * FROM s", S(T("log"), T("s")),
     S(T("log")), S(T("log"))),
]


@pytest.mark.parametrize(
    "line, body, reads, writes, mutations", [c[1:] for c in ANALYSIS], ids=[c[0] for c in ANALYSIS]
)
def test_analysis(line, body, reads, writes, mutations):
    names = SqlCells(namespace={}).analyze(line, body)
    assert (names.reads, names.writes, names.mutations) == (reads, writes, mutations)


def test_analysis_through_the_engine_sees_both_magic_forms(nb):
    cell = "%%sql -o recent --engine pg\nSELECT * FROM events WHERE day >= {start}\n"
    names = nb.engine.analyze(cell)
    assert names.reads == S("pg", "start", T("events", "pg"))
    assert names.writes == S("recent")
    names = nb.engine.analyze("df = %sql SELECT * FROM {frame} WHERE n > {limit}")
    assert names.reads == S("frame", "limit")
    assert names.writes == S("df")


@pytest.mark.parametrize(
    "line, body",
    [("-o", "SELECT 1"), ("-o 1x", "SELECT 1"), ("--engine", "x"), ("junk here", "SELECT 1"),
     ("", "SELECT 'unterminated"), ("", "((((("), ("--frobnicate", None)],
)
def test_analysis_never_raises_on_bad_input(line, body):
    names = SqlCells(namespace={}).analyze(line, body)
    assert isinstance(names.reads, frozenset)


def test_statement_splitting_respects_strings_comments_and_trigger_bodies():
    sql = (
        "INSERT INTO t VALUES ('a;b'); -- c;d\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (1); END;\n"
        "SELECT $$x;y$$"
    )
    statements = [s.text for s in split_statements(sql, "duckdb")]
    assert statements == [
        "INSERT INTO t VALUES ('a;b')",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (1); END",
        "SELECT $$x;y$$",
    ]
    [statement] = split_statements("SELECT {a}, '{b}', \"{c}\", :d, x::int, arr[1:n], {{e}} -- {f}", "duckdb")
    assert [(p.text, p.template) for p in placeholders(statement)] == [
        ("{a}", False), (":d", False), ("{{e}}", True)]


def test_table_and_variable_of_the_same_name_do_not_collide(nb):
    nb.run("py", "users = ['ann']")
    nb.run("mk", "%%sql\nCREATE TABLE users (name text); INSERT INTO users VALUES ('bob')")
    nb.run("rd", "%%sql -o rows\nSELECT name FROM users")
    assert nb.ns["users"] == ["ann"]
    assert list(nb.ns["rows"].name) == ["bob"]
    assert "rd" not in nb.engine.readers("py")
    nb.run("py", "users = ['ann', 'cy']")
    assert nb.ran() == [("py", OK)]  # the SQL cells do not depend on the Python list


# ---------------------------------------------------------------------------
# Results, parameters, DataFrames
# ---------------------------------------------------------------------------


def test_cell_result_is_a_dataframe_in_the_output_variable_and_shown_truncated(nb):
    nb.run("c1", "%%sql -o big\nWITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 1000)\n"
                 "SELECT x, x * x AS sq FROM s")
    big = nb.ns["big"]
    assert isinstance(big, pd.DataFrame)
    assert big.shape == (1000, 2) and list(big.columns) == ["x", "sq"]
    assert big.sq.iloc[-1] == 1000 * 1000
    shown = nb.out["c1"]
    assert "1000 rows × 2 columns (first 20 shown)" in shown
    assert "<table" in shown and "999" not in shown.split("1000 rows")[0]


def test_line_magic_returns_the_frame(nb):
    nb.run("c1", "n = %sql SELECT 41 + 1 AS answer")
    assert nb.ns["n"].answer.tolist() == [42]
    nb.run("c2", "%sql SELECT 'shown' AS word")
    assert "shown" in nb.out["c2"]


def test_parameters_are_bound_never_pasted(nb):
    nb.run("mk", "%%sql\nCREATE TABLE people (name text, born date, score real)")
    nb.run("vals", "import datetime, numpy\n"
                   "name = \"O'Brien\\\"); DROP TABLE people; --\"\n"
                   "born = datetime.date(1999, 12, 31)\n"
                   "score = numpy.float64(2.5)")
    nb.run("ins", "%%sql\nINSERT INTO people VALUES ({name}, {born}, {score})")
    assert nb.ran() == [("ins", OK)]
    assert nb.query("SELECT name, born, score FROM people") == [
        ("O'Brien\"); DROP TABLE people; --", datetime.date(1999, 12, 31), 2.5)
    ]
    nb.run("sel", "%%sql -o hit\nSELECT name FROM people WHERE name = {name} AND born = {born} "
                  "AND '{name}' = '{' || 'name}'")
    assert nb.ns["hit"].name.tolist() == [nb.ns["name"]]


def test_list_parameters_expand_and_colons_stay_literal(nb):
    nb.run("ids", "ids = (2, 3)")
    nb.run("q", "%%sql -o r\nWITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 5)\n"
                "SELECT x, 'a:b :c' AS label FROM s WHERE x IN {ids} ORDER BY x")
    assert nb.ns["r"].x.tolist() == [2, 3]
    assert nb.ns["r"].label.tolist() == ["a:b :c"] * 2


def test_dataframe_is_queried_as_a_temporary_table_then_dropped(nb):
    nb.run("f", "import pandas as pd\n"
                "frame = pd.DataFrame({'k': [1, 2, 3], 'v': ['a', None, 'c'], 'w': [0.5, 1.5, None],\n"
                "                      't': pd.to_datetime(['2024-01-01', '2024-01-02', '2024-01-03'])})")
    nb.run("low", "low = 2")
    nb.run("q", "%%sql -o r\nSELECT k, v, w FROM {frame} WHERE k >= {low} ORDER BY k")
    assert nb.ns["r"].k.tolist() == [2, 3]
    v = nb.ns["r"].v.tolist()
    assert pd.isna(v[0]) and v[1] == "c"
    assert nb.temp_tables() == set() and nb.tables() == set()
    # a frame edited upstream reruns the query
    nb.run("f", "import pandas as pd\nframe = pd.DataFrame({'k': [5, 1], 'v': ['x', 'y'], 'w': [1.0, 2.0]})")
    assert nb.ran() == [("f", OK), ("q", OK)]
    assert nb.ns["r"].v.tolist() == ["x"]
    assert nb.temp_tables() == set()


def test_dataframe_query_with_only_the_frame(nb):
    nb.run("f", "import pandas as pd\nframe = pd.DataFrame({'k': [5, 6, 7]})")
    nb.run("q", "total = %sql SELECT sum(k) AS s, count(*) AS n FROM {frame}")
    assert nb.ns["total"].values.tolist() == [[18, 3]]
    nb.run("f", "import pandas as pd\nframe = pd.DataFrame({'k': [1]})")
    assert nb.ran() == [("f", OK), ("q", OK)]
    assert nb.ns["total"].values.tolist() == [[1, 1]]


def test_named_index_of_a_frame_is_a_column(nb):
    nb.run("f", "import pandas as pd\n"
                "per = pd.DataFrame({'g': ['a', 'b', 'a'], 'n': [1, 2, 3]}).groupby('g').sum()")
    nb.run("q", "%%sql -o r\nSELECT g, n FROM {per} ORDER BY g")
    assert nb.ns["r"].values.tolist() == [["a", 4], ["b", 2]]


# ---------------------------------------------------------------------------
# Dependencies and reruns
# ---------------------------------------------------------------------------


def test_python_sql_python_chain_reruns_on_edit(nb):
    nb.run("c1", "n = 3")
    nb.run("c2", "%%sql -o r\nWITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {n})\n"
                 "SELECT x FROM s")
    nb.run("c3", "total = int(r.x.sum())")
    assert nb.ns["total"] == 6
    report = nb.run("c1", "n = 4")
    assert nb.ran(report) == [("c1", OK), ("c2", OK), ("c3", OK)]
    assert nb.ns["total"] == 10
    # rename the output: its reader fails instead of reading the old frame
    report = nb.run("c2", "%%sql -o renamed\nSELECT 1 AS x")
    assert "r" not in nb.ns and nb.ran(report) == [("c2", OK), ("c3", ERROR)]
    assert "total" not in nb.ns


def test_table_dependencies_between_sql_cells(nb):
    nb.run("mk", "%%sql\nCREATE TABLE t AS SELECT 1 AS a UNION ALL SELECT 2")
    nb.run("rd", "%%sql -o r\nSELECT sum(a) AS s FROM t")
    nb.run("py", "s = int(r.s[0])")
    assert nb.ns["s"] == 3
    report = nb.run("mk", "%%sql\nCREATE TABLE t AS SELECT 10 AS a UNION ALL SELECT 20")
    assert nb.ran(report) == [("mk", OK), ("rd", OK), ("py", OK)]
    assert nb.ns["s"] == 30
    assert T("t") in report.cleared  # the old table was dropped before the rerun


def test_create_insert_chain_never_duplicates_rows(nb):
    nb.run("mk", "%%sql\nCREATE TABLE t (a int)")
    nb.run("ins", "%%sql\nINSERT INTO t VALUES (1), (2)")
    nb.run("cnt", "%%sql -o c\nSELECT count(*) AS n FROM t")
    assert nb.ns["c"].n[0] == 2
    for _ in range(3):
        report = nb.run("ins", "%%sql\nINSERT INTO t VALUES (1), (2)")
        assert nb.ran(report) == [("mk", OK), ("ins", OK), ("cnt", OK)]
        assert nb.ns["c"].n[0] == 2
    report = nb.run("mk", "%%sql\nCREATE TABLE t (a int)  -- same, edited")
    assert nb.ran(report) == [("mk", OK), ("ins", OK), ("cnt", OK)]
    assert nb.ns["c"].n[0] == 2
    nb.run("ins", "%%sql\nINSERT INTO t VALUES (1), (2), (3)")
    assert nb.ns["c"].n[0] == 3
    assert nb.query("SELECT count(*) FROM t") == [(3,)]


def test_two_inserting_cells_rerun_from_the_creator(nb):
    nb.run("mk", "%%sql\nCREATE TABLE t (a int)")
    nb.run("i1", "%%sql\nINSERT INTO t VALUES (1)")
    nb.run("i2", "%%sql\nINSERT INTO t VALUES (2)")
    nb.run("cnt", "total = %sql SELECT sum(a) AS s FROM t")
    nb.run("i1", "%%sql\nINSERT INTO t VALUES (5)")
    assert nb.query("SELECT a FROM t ORDER BY a") == [(2,), (5,)]
    assert nb.ns["total"].s[0] == 7


def test_renamed_table_is_dropped_and_its_readers_fail(nb):
    nb.run("mk", "%%sql\nCREATE TABLE old_name AS SELECT 1 AS a")
    nb.run("rd", "%%sql -o r\nSELECT * FROM old_name")
    report = nb.run("mk", "%%sql\nCREATE TABLE new_name AS SELECT 1 AS a")
    assert nb.tables() == {"new_name"}
    assert T("old_name") in report.cleared
    assert nb.ran(report) == [("mk", OK), ("rd", ERROR)]
    assert "Table with name old_name does not exist" in nb.out["rd"]
    assert "r" not in nb.ns


def test_deleting_a_cell_drops_its_table(nb):
    nb.run("mk", "%%sql\nCREATE TABLE t AS SELECT 1 AS a")
    nb.run("rd", "%%sql -o r\nSELECT * FROM t")
    nb.forget("mk")
    assert nb.tables() == set()
    nb.run("other", "x = 1")
    assert ("rd", ERROR) in nb.ran()


def test_view_and_python_reader_follow_the_table(nb):
    nb.run("mk", "%%sql\nCREATE TABLE t AS SELECT 1 AS a")
    nb.run("v", "%%sql\nCREATE VIEW doubled AS SELECT a * 2 AS b FROM t")
    nb.run("rd", "b = %sql SELECT b FROM doubled")
    nb.run("mk", "%%sql\nCREATE TABLE t AS SELECT 21 AS a")
    assert nb.ran() == [("mk", OK), ("v", OK), ("rd", OK)]
    assert nb.ns["b"].b[0] == 42
    assert nb.tables() == {"t", "doubled"}


# ---------------------------------------------------------------------------
# Errors and masking
# ---------------------------------------------------------------------------


def test_failing_statement_shows_message_and_statement_and_rolls_back(nb):
    nb.run("mk", "%%sql\nCREATE TABLE keep AS SELECT 1 AS a")
    report = nb.run("bad", "%%sql\nCREATE TABLE fresh (a int);\nINSERT INTO keep VALUES (2);\nSELECT nonsense FROM keep")
    assert nb.ran(report) == [("bad", ERROR)]
    shown = nb.out["bad"]
    assert 'Referenced column "nonsense" not found' in shown
    assert "statement 3 of 3" in shown and "SELECT nonsense FROM keep" in shown
    assert "Traceback" not in shown and "sqlalchemy" not in shown.lower()
    assert len(shown.strip().splitlines()) < 8
    # nothing of the failed cell is left behind
    assert nb.tables() == {"keep"}
    assert nb.query("SELECT a FROM keep") == [(1,)]
    assert "bad" in report.stale


@pytest.mark.parametrize(
    "line, message",
    [
        ("-o 1x", "-o '1x': the output must be a Python variable name"),
        ("--engine nowhere", "name 'nowhere' is not defined"),
        ("--engine number", "expected a SQLAlchemy Engine, Connection or URL string, got int"),
        ("--engine text", "is not a database URL"),
        ("stray words", "unexpected 'stray words' on the %%sql line"),
    ],
)
def test_bad_options_are_clear_errors(nb, line, message):
    nb.run("vars", "number = 5\ntext = 'not a url'")
    report = nb.run("bad", f"%%sql {line}\nSELECT 1")
    assert nb.ran(report) == [("bad", ERROR)]
    assert message in nb.out["bad"]
    assert "Traceback" not in nb.out["bad"]


def test_missing_parameter_is_a_clear_error(nb):
    nb.run("q", "%%sql\nSELECT {undefined_thing}")
    assert nb.ran() == [("q", ERROR)]
    assert "name 'undefined_thing' is not defined" in nb.out["q"]


def test_connection_failure_names_the_host_never_the_password(nb):
    password = "Sup3r-secret!"
    nb.run("conn", f"url = 'postgresql+psycopg2://alice:{password}@127.0.0.1:9/shop'")
    report = nb.run("q", "%%sql --engine url\nSELECT 1")
    assert nb.ran(report) == [("q", ERROR)]
    shown = nb.out["q"]
    assert "cannot connect to the postgresql database at 127.0.0.1:9" in shown
    assert password not in shown and "Traceback" not in shown
    nb.run("lit", f"%%sql --engine postgresql+psycopg2://alice:{password}@127.0.0.1:9/shop\nSELECT 1")
    assert password not in nb.out["lit"] and "127.0.0.1:9" in nb.out["lit"]
    assert all(password not in name for name in nb.engine.graph.names["lit"].reads)


def test_mask_url_text():
    text = "postgresql://bob:pa:ss@host/db and mysql+pymysql://u:p@h:3306/x, sqlite:///file.db"
    assert mask_url_text(text) == (
        "postgresql://bob:***@host/db and mysql+pymysql://u:***@h:3306/x, sqlite:///file.db"
    )
    assert mask_url_text("error near hunter22", ("hunter22",)) == "error near ***"


# ---------------------------------------------------------------------------
# External databases (a SQLite file through --engine): nothing is dropped
# ---------------------------------------------------------------------------


@pytest.fixture
def dbfile(tmp_path):
    return tmp_path / "external.db"


def _rows(path, sql):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_external_tables_are_never_dropped_on_rerun(nb, dbfile):
    nb.run("db", f"db = 'sqlite:///{dbfile}'")
    nb.run("mk", "%%sql --engine db\nCREATE TABLE precious (a int); INSERT INTO precious VALUES (1), (2)")
    nb.run("rd", "%%sql --engine db -o r\nSELECT count(*) AS n FROM precious")
    assert nb.ns["r"].n[0] == 2
    report = nb.run("mk", "%%sql --engine db\nCREATE TABLE precious (a int); INSERT INTO precious VALUES (1), (2)")
    assert "table precious on db is left as it is (external database)" in nb.notes
    assert "--drop" in nb.notes
    assert T("precious", "db") not in report.cleared
    assert nb.ran(report) == [("mk", ERROR), ("rd", "cancelled")]
    assert "table precious already exists" in nb.out["mk"]
    assert _rows(dbfile, "SELECT a FROM precious") == [(1,), (2,)]


def test_editing_the_engine_cell_reruns_sql_cells_and_drops_nothing(nb, tmp_path):
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    for path, label in ((one, "one"), (two, "two")):
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE which (label text)")
            conn.execute("INSERT INTO which VALUES (?)", (label,))
    nb.run("db", f"import sqlalchemy\ndb = sqlalchemy.create_engine('sqlite:///{one}')")
    nb.run("q", "%%sql --engine db -o w\nSELECT label FROM which")
    nb.run("py", "label = w.label[0]")
    assert nb.ns["label"] == "one"
    report = nb.run("db", f"import sqlalchemy\ndb = sqlalchemy.create_engine('sqlite:///{two}')")
    assert nb.ran(report) == [("db", OK), ("q", OK), ("py", OK)]
    assert nb.ns["label"] == "two"
    assert _rows(one, "SELECT label FROM which") == [("one",)]


def test_drop_option_lets_the_kernel_replace_external_tables(nb, dbfile):
    nb.run("db", f"db = 'sqlite:///{dbfile}'")
    nb.run("mk", "%%sql --engine db --drop\nCREATE TABLE t (a int)")
    nb.run("ins", "%%sql --engine db\nINSERT INTO t VALUES (7)")
    for _ in range(2):
        report = nb.run("ins", "%%sql --engine db\nINSERT INTO t VALUES (7)")
        assert nb.ran(report) == [("mk", OK), ("ins", OK)]
    assert _rows(dbfile, "SELECT a FROM t") == [(7,)]
    report = nb.run("mk", "%%sql --engine db --drop\nCREATE TABLE t2 (a int)")
    assert T("t", "db") in report.cleared
    assert {r[0] for r in _rows(dbfile, "SELECT name FROM sqlite_master")} == {"t2"}


def test_connection_object_as_engine(nb, dbfile):
    nb.run("db", f"import sqlalchemy\nconn = sqlalchemy.create_engine('sqlite:///{dbfile}').connect()")
    nb.run("mk", "%%sql --engine conn\nCREATE TABLE t AS SELECT 3 AS a")
    nb.run("rd", "v = %sql --engine conn SELECT a FROM t")
    assert nb.ns["v"].a[0] == 3
    nb.ns["conn"].close()


# ---------------------------------------------------------------------------
# Through the real kernel over jupyter_client
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sql_kernel():
    with KernelSession("reactive") as session:
        yield session


def execute(session, code, cell_id=None):
    """(reply, iopub messages) of one request carrying metadata.cellId."""
    run = session.execute(code, cell_id)
    return run.reply, run.messages


def text_of(outputs):
    return Execution({}, outputs).text()


def ran(reply):
    return [(e["cell_id"], e["status"]) for e in reply["metadata"]["reactive"]["ran"]]


def test_kernel_python_sql_python_chain(sql_kernel):
    p = f"k{uuid.uuid4().hex[:6]}"
    execute(sql_kernel, "n = 2", f"{p}-1")
    reply, outputs = execute(sql_kernel, "%%sql -o r\nSELECT {n} * 10 AS v", f"{p}-2")
    assert reply["content"]["status"] == "ok"
    assert "1 row × 1 column" in text_of(outputs)
    execute(sql_kernel, "v = int(r.v[0])\nprint('v is', v)", f"{p}-3")
    reply, outputs = execute(sql_kernel, "n = 3", f"{p}-1")
    assert ran(reply) == [(f"{p}-1", "ok"), (f"{p}-2", "ok"), (f"{p}-3", "ok")]
    assert "v is 30" in text_of(outputs)


def test_kernel_insert_rerun_does_not_duplicate_rows(sql_kernel):
    p = f"k{uuid.uuid4().hex[:6]}"
    table = f"t_{p}"
    execute(sql_kernel, f"%%sql\nCREATE TABLE {table} (a int)", f"{p}-mk")
    execute(sql_kernel, f"%%sql\nINSERT INTO {table} VALUES (1), (2)", f"{p}-ins")
    execute(sql_kernel, f"%%sql -o c_{p}\nSELECT count(*) AS n FROM {table}", f"{p}-cnt")
    reply, _ = execute(sql_kernel, f"%%sql\nINSERT INTO {table} VALUES (1), (2)", f"{p}-ins")
    assert ran(reply) == [(f"{p}-mk", "ok"), (f"{p}-ins", "ok"), (f"{p}-cnt", "ok")]
    reply, outputs = execute(sql_kernel, f"print('rows:', int(c_{p}.n[0]))")
    assert "rows: 2" in text_of(outputs)


def test_kernel_sql_error_is_short_and_masked(sql_kernel):
    p = f"k{uuid.uuid4().hex[:6]}"
    reply, outputs = execute(sql_kernel, "%%sql\nSELECT * FROM no_such_table_here", f"{p}-bad")
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "SqlError"
    shown = text_of(outputs)
    assert "Table with name no_such_table_here does not exist" in shown
    # the error and its display (the output router shows it in the cell): a few distinct lines
    assert "Traceback" not in shown and len(set(shown.splitlines())) < 8
    reply, outputs = execute(
        sql_kernel, "%%sql --engine postgresql+psycopg2://eve:topsecret99@127.0.0.1:9/x\nSELECT 1", f"{p}-conn"
    )
    everything = str(reply) + str([m["content"] for m in outputs if m["msg_type"] != "execute_input"])
    assert "127.0.0.1:9" in everything and "topsecret99" not in everything


def test_kernel_reports_external_tables_it_leaves_alone(sql_kernel, tmp_path):
    p = f"k{uuid.uuid4().hex[:6]}"
    path = tmp_path / "ext.db"
    execute(sql_kernel, f"db_{p} = 'sqlite:///{path}'", f"{p}-db")
    create = f"%%sql --engine db_{p}\nCREATE TABLE kept (a int); INSERT INTO kept VALUES (1)"
    reply, _ = execute(sql_kernel, create, f"{p}-mk")
    assert reply["content"]["status"] == "ok"
    reply, outputs = execute(sql_kernel, create, f"{p}-mk")
    shown = text_of(outputs)
    assert f"table kept on db_{p} is left as it is (external database)" in shown
    assert "table kept already exists" in shown
    assert reply["metadata"]["reactive"]["cleared"] == []
    assert _rows(path, "SELECT a FROM kept") == [(1,)]
