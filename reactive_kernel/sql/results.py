"""A query's result: fetched into a pandas DataFrame and shown as a short table."""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import html
from dataclasses import dataclass


@dataclass
class Fetched:
    frame: object
    #: rows were left unfetched (the fetch limit was reached)
    more: bool = False


def fetch(result, limit: int | None = None) -> Fetched:
    """All rows of ``result`` (or the first ``limit``) as a DataFrame.
    DuckDB builds the frame itself, column by column."""
    import pandas as pd

    columns = list(result.keys())
    if limit is None and result.dialect.name == "duckdb":
        types = [str(column[1]) for column in result.cursor.description]
        frame = result.cursor.df()
        frame.columns = columns
        _exact_integers(frame, types)
        return Fetched(frame)
    rows = result.fetchall() if limit is None else result.fetchmany(limit + 1)
    more = limit is not None and len(rows) > limit
    if more:
        rows = rows[:limit]
    result.close()
    return Fetched(pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns), more)


def row_count(result, first_word: str) -> int | None:
    """Rows a statement changed when its result is only that count (DuckDB
    answers INSERT, CREATE and the like with one column ``Count``), else None."""
    if result.dialect.name != "duckdb" or first_word in QUERY_WORDS or list(result.keys()) != ["Count"]:
        return None
    return sum(row[0] for row in result.fetchall() if row[0])


#: first words of statements whose rows are the user's
QUERY_WORDS = {"SELECT", "WITH", "FROM", "VALUES", "TABLE", "SHOW", "DESCRIBE", "SUMMARIZE", "PIVOT",
               "UNPIVOT", "EXPLAIN", "PRAGMA", "CALL"}


def _exact_integers(frame, types: list[str]) -> None:
    """DuckDB's sums of integers are HUGEINT, which pandas holds as float64:
    integers again where the floats hold them exactly."""
    for i, kind in enumerate(types):
        if kind in ("HUGEINT", "UHUGEINT"):
            column = frame.iloc[:, i]
            if column.notna().all() and (column.abs() < 2**53).all() and (column == column.round()).all():
                frame.isetitem(i, column.astype("int64"))


class ResultTable:
    """How a query result is shown: the first rows and the row count."""

    def __init__(self, frame, rows: int = 20, more: bool = False):
        self.frame = frame
        self.rows = rows
        self.more = more

    def _footer(self) -> str:
        n, m = self.frame.shape
        count = f"{n}+" if self.more else f"{n}"
        text = f"{count} row{'s' if n != 1 or self.more else ''} × {m} column{'s' if m != 1 else ''}"
        if n > self.rows:
            text += f" (first {self.rows} shown)"
        if self.more:
            text += f"; only the first {n} fetched (fetch limit)"
        return text

    def _repr_html_(self) -> str:
        head = self.frame.head(self.rows)
        return head.to_html(max_rows=self.rows + 1) + f"<p>{html.escape(self._footer())}</p>"

    def __repr__(self) -> str:
        head = self.frame.head(self.rows)
        return head.to_string(max_rows=self.rows + 1) + "\n" + self._footer()
