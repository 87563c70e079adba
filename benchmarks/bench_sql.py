"""SQL cells benchmark: ``%%sql`` over a DataFrame next to DuckDB on the
frame and pandas, in the same run; loading a frame into external databases
next to ``DataFrame.to_sql(method="multi")``.

Run:  .venv/bin/python benchmarks/bench_sql.py [--rows N] [--rounds N] [--load-rows N] [--no-postgres]

Each round runs every contender once, alternating; reported are medians,
their ratio and the spread of the per-round ratios (10th to 90th percentile).
It asserts nothing about absolute times (machines differ).  Issue targets:
``%%sql`` within 2x of DuckDB directly, a rerun no slower than the first run;
a frame loaded into PostgreSQL or SQLite within 3x of to_sql(method="multi").
PostgreSQL runs on a throwaway cluster (tests/support/postgres.py).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

from reactive_kernel.core.engine import Engine  # noqa: E402
from reactive_kernel.sql import SqlCells  # noqa: E402
from reactive_kernel.sql.connections import transaction  # noqa: E402
from reactive_kernel.sql.frames import load, unload  # noqa: E402

QUERY = "SELECT count(*) AS n, avg(x) AS mean FROM {df} WHERE x > 0.5"
HEADER = f"{'scenario':52} {'baseline':>11} {'measured':>11} {'ratio':>7} {'p10-p90 of round ratios':>24}"


def line(label: str, base: list[float], other: list[float]) -> str:
    b, o = statistics.median(base), statistics.median(other)
    ratios = sorted(r / p for r, p in zip(other, base))
    low, high = ratios[len(ratios) // 10], ratios[(9 * len(ratios)) // 10]
    return f"{label:52} {b * 1e3:9.2f}ms {o * 1e3:9.2f}ms {o / b:7.3f} {low:11.3f} - {high:.3f}"


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


class Notebook:
    """A real IPython shell with the reactive engine, as the kernel has them."""

    def __init__(self):
        self.shell = InteractiveShell.instance()
        self.sql = SqlCells(self.shell)
        self.sql.register_magics()
        self.engine = Engine(self.shell.user_ns, transform=self.shell.transform_cell,
                             magics={"sql": self.sql.analyze}, resources=self.sql)

    def run(self, cell_id: str, code: str) -> None:
        def execute(step):
            result = self.shell.run_cell(step.cell.code, store_history=False)
            if not result.success:
                raise RuntimeError(f"cell {step.cell.id} failed: {result.error_in_exec!r}")
            return "ok"

        with contextlib.redirect_stdout(io.StringIO()):
            self.engine.run(cell_id, code, execute=execute)


def bench_query(rows: int, rounds: int) -> None:
    """Cells as a person sees them (the result displayed): the ``%%sql`` cell
    through the reactive engine, the DuckDB and pandas cells as plain IPython
    cells (no engine: what they cost under ipykernel), and the bare DuckDB call."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.random(rows), "k": rng.integers(0, 100, rows)})
    nb = Notebook()
    ns = nb.shell.user_ns
    plain(nb, "import duckdb\nimport pandas as pd\ncon = duckdb.connect()")
    nb.run("lite", "lite = 'sqlite://'")
    nb.run("warm", "%%sql\nSELECT 1")  # the embedded database starts once a session
    direct = "SELECT count(*) AS n, avg(x) AS mean FROM df WHERE x > 0.5"
    duckdb_cell = f"con.register('df', df)\ncon.execute({direct!r}).df()"
    pandas_cell = "pd.DataFrame({'n': [int((df.x > 0.5).sum())], 'mean': [df.x[df.x > 0.5].mean()]})"
    sql_cell = f"%%sql\n{QUERY}"
    times: dict[str, list[float]] = {k: [] for k in ("call", "duckdb", "pandas", "first", "rerun", "sqlite")}
    for i in range(rounds + 2):
        ns["df"] = df.copy()  # a new frame upstream: every cell meets it for the first time
        sample = {
            "duckdb": timed(lambda: plain(nb, duckdb_cell)),
            "call": timed(lambda: ns["con"].execute(direct).df()),
            "pandas": timed(lambda: plain(nb, pandas_cell)),
            "first": timed(lambda: nb.run("q", sql_cell)),
            "rerun": timed(lambda: nb.run("q", sql_cell)),
        }
        if i < 3 or rows <= 200_000:  # SQLite copies the frame in: a few rounds tell
            sample["sqlite"] = timed(lambda: nb.run("qs", f"%%sql --engine lite\n{QUERY}"))
        if i >= 2:
            for key, value in sample.items():
                times[key].append(value)
    print(f"\n%%sql over a {rows:,}-row DataFrame: {QUERY}")
    print(HEADER)
    print(line("%%sql cell vs DuckDB on the frame, plain cell", times["duckdb"], times["first"]))
    print(line("%%sql cell vs pandas, plain cell", times["pandas"], times["first"]))
    print(line("%%sql cell vs the bare DuckDB call (no cell)", times["call"], times["first"]))
    print(line("%%sql rerun vs its first run", times["first"], times["rerun"]))
    if times["sqlite"]:
        n = len(times["sqlite"])
        print(line(f"%%sql --engine sqlite:// vs DuckDB cell ({n} rounds)", times["duckdb"][:n], times["sqlite"]))


def plain(nb: Notebook, code: str) -> None:
    """A plain IPython cell: what ipykernel runs, result displayed."""
    with contextlib.redirect_stdout(io.StringIO()):
        result = nb.shell.run_cell(code, store_history=False)
    if not result.success:
        raise RuntimeError(f"plain cell failed: {result.error_in_exec!r}")


def mixed_frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    x = rng.random(rows)
    x[::17] = np.nan
    words = np.array(["alpha", "beta, with comma", 'say "hi"', "", None], dtype=object)
    return pd.DataFrame({
        "id": np.arange(rows), "x": x, "label": words[rng.integers(0, len(words), rows)],
        "at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, rows), unit="s"),
        "flag": rng.random(rows) > 0.5,
    })


def bench_load(engine, label: str, frame: pd.DataFrame, rounds: int) -> None:
    def ours():
        with transaction(engine) as conn:
            load(conn, "bench_frame", frame)
            n = conn.exec_driver_sql("SELECT count(*) FROM bench_frame").scalar()
            unload(conn, "bench_frame")
        assert n == len(frame)

    def to_sql():
        with transaction(engine) as conn:
            # SQLite allows so many variables per statement: pandas must chunk there
            chunks = 1000 if conn.dialect.name == "sqlite" else None
            frame.to_sql("bench_multi", conn, method="multi", index=False, if_exists="replace", chunksize=chunks)
            n = conn.exec_driver_sql("SELECT count(*) FROM bench_multi").scalar()
            conn.exec_driver_sql("DROP TABLE bench_multi")
        assert n == len(frame)

    base, measured = [], []
    for i in range(rounds + 1):
        b, m = timed(to_sql), timed(ours)
        if i:
            base.append(b)
            measured.append(m)
    print(line(f"{label}: FROM {{df}} load vs to_sql(multi)", base, measured))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--load-rows", type=int, default=100_000)
    parser.add_argument("--load-rounds", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    bench_query(args.rows, args.rounds)

    frame = mixed_frame(args.load_rows)
    print(f"\nLoading a {args.load_rows:,}-row frame (int, float with NaN, text with NULL, timestamp, bool)")
    print(HEADER)
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bench-sql-{os.getpid()}.db")
    try:
        bench_load(sa.create_engine(f"sqlite:///{path}"), "SQLite file", frame, args.load_rounds)
    finally:
        if os.path.exists(path):
            os.remove(path)
    if not args.no_postgres:
        from tests.support.postgres import Cluster, find_bindir

        bindir = find_bindir()
        if bindir is None:
            print("PostgreSQL: initdb not found, skipped")
            return
        cluster = Cluster(bindir)
        try:
            cluster.start()
            cluster.create_database("bench")
            engine = sa.create_engine(cluster.url("bench"))
            bench_load(engine, "PostgreSQL", frame, args.load_rounds)
            engine.dispose()
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
