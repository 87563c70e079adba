"""Tables a statement reads and writes, found by sqlglot in the dialect of the
cell's database: a table of statements run against DuckDB, PostgreSQL and
SQLite (the dialect comes from the engine URL, as in a notebook)."""
from __future__ import annotations

import pytest

from reactive_kernel.sql import SqlCells
from reactive_kernel.sql.tables import Event, statement_events

ENGINES = {"duckdb": None, "postgres": "postgresql://u@h/db", "sqlite": "sqlite:///x.db"}


def S(*names):
    return frozenset(names)


def names(dialect, body):
    url = ENGINES[dialect]
    line = f"--engine {url}" if url else ""
    result = SqlCells(namespace={}).analyze(line, body)
    source = "@default" if url is None else url
    short = lambda n: n.replace(f"table:{source}:", "") if n.startswith("table:") else n  # noqa: E731
    return {short(n) for n in result.reads}, {short(n) for n in result.writes}


# (id, dialects, statement, reads, writes) -- table names as the dialect resolves them
STATEMENTS = [
    ("cte-and-subquery", "duckdb postgres sqlite",
     "WITH recent AS (SELECT * FROM orders WHERE day > 3) SELECT * FROM recent r "
     "WHERE r.uid IN (SELECT id FROM users WHERE EXISTS (SELECT 1 FROM bans))",
     S("orders", "users", "bans"), S()),
    ("recursive-cte", "duckdb postgres sqlite",
     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT * FROM n", S(), S()),
    ("lateral-and-functions", "duckdb postgres",
     "SELECT * FROM generate_series(1, 3) g, LATERAL (SELECT * FROM items WHERE id = g) x", S("items"), S()),
    ("default-schema", "postgres", "SELECT * FROM public.users JOIN users ON true", S("users"), S()),
    ("other-schema", "postgres", "SELECT * FROM sales.orders JOIN orders ON true", S("sales.orders", "orders"), S()),
    ("duckdb-search-path", "duckdb", "SELECT * FROM memory.main.users JOIN main.users ON true JOIN stage.x ON true",
     S("users", "stage.x"), S()),
    ("sqlite-main", "sqlite", "SELECT * FROM main.users JOIN aux.users ON 1", S("users", "aux.users"), S()),
    ("case-folding-postgres", "postgres", 'SELECT * FROM Users JOIN "Users" ON true', S("users", "Users"), S()),
    ("case-folding-duckdb", "duckdb", 'SELECT * FROM Users JOIN "USERS" ON true', S("users"), S()),
    ("create-as", "duckdb postgres sqlite", "CREATE TABLE t AS SELECT * FROM s", S("s"), S("t")),
    ("create-or-replace", "duckdb", "CREATE OR REPLACE TABLE t AS SELECT 1 AS a", S(), S("t")),
    ("create-schema-qualified", "postgres", "CREATE TABLE public.t (a int); INSERT INTO t VALUES (1)", S(), S("t")),
    ("insert-select", "duckdb postgres sqlite", "INSERT INTO t SELECT * FROM s", S("t", "s"), S("t")),
    ("update-from", "duckdb postgres", "UPDATE t SET a = s.a FROM s WHERE t.id = s.id", S("t", "s"), S("t")),
    ("delete-using-subquery", "duckdb postgres sqlite", "DELETE FROM t WHERE a IN (SELECT a FROM s)",
     S("t", "s"), S("t")),
    ("drop-two", "duckdb postgres", "DROP TABLE a, b", S("a", "b"), S("a", "b")),
    ("drop-view-if-exists", "duckdb postgres sqlite", "DROP VIEW IF EXISTS v", S(), S("v")),
    ("create-index", "duckdb postgres sqlite", "CREATE INDEX i ON t (a)", S("t"), S("t")),
    ("alter-rename", "duckdb postgres sqlite", "ALTER TABLE old RENAME TO new", S("old"), S("old", "new")),
    ("truncate", "duckdb postgres", "TRUNCATE a", S("a"), S("a")),
    ("copy-from", "duckdb postgres", "COPY t FROM 'rows.csv'", S("t"), S("t")),
    ("select-into", "postgres", "SELECT a INTO fresh FROM s", S("s"), S("fresh")),
    ("duckdb-file", "duckdb", "SELECT * FROM 'data/sales.csv' JOIN read_parquet('p.parquet') ON true",
     S("file:data/sales.csv", "file:p.parquet"), S()),
    ("quoted-name-is-no-file-elsewhere", "postgres", 'SELECT * FROM "data.csv"', S("data.csv"), S()),
    ("placeholders", "duckdb postgres sqlite", "SELECT * FROM {frame} f JOIN t ON t.k = f.k WHERE t.a > :low",
     S("frame", "low", "t"), S()),
    ("strings-and-comments", "duckdb postgres sqlite",
     "SELECT 'FROM x {a}' -- FROM z {b} :c\n/* JOIN w {d} */ FROM real", S("real"), S()),
]


@pytest.mark.parametrize(
    "dialect, body, reads, writes",
    [(d, c[2], c[3], c[4]) for c in STATEMENTS for d in c[1].split()],
    ids=[f"{c[0]}-{d}" for c in STATEMENTS for d in c[1].split()],
)
def test_tables_across_dialects(dialect, body, reads, writes):
    assert names(dialect, body) == (set(reads), set(writes))


def test_events_keep_the_statement_order_reads_first():
    assert statement_events("INSERT INTO t SELECT * FROM s", "duckdb") == (
        Event("read", "s"), Event("mutate", "t"))
    assert statement_events("CREATE TABLE IF NOT EXISTS t (a int)", "postgres") == (
        Event("create", "t", if_exists=True),)


def test_dialect_of_an_engine_variable_comes_from_its_value():
    cells = SqlCells(namespace={"pg": "postgresql://u@h/db", "lite": "sqlite:///x.db"})
    assert cells.analyze("--engine pg", "SELECT * FROM public.t").reads == S("pg", "table:pg:t")
    # SQLite has no schema public: the name stays qualified
    assert cells.analyze("--engine lite", "SELECT * FROM public.t").reads == S("lite", "table:lite:public.t")


def test_statements_sqlglot_cannot_parse_do_not_break_analysis():
    cells = SqlCells(namespace={})
    trigger = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (1); END"
    assert cells.analyze("--engine sqlite:///x.db", trigger).reads is not None
    assert cells.analyze("", "SELECT 'unterminated").reads == S()
    assert cells.analyze("", "THIS IS NOT SQL AT ALL FROM x").reads <= S("table:@default:x")
