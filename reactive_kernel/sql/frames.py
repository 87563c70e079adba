"""A pandas DataFrame in ``FROM {df}``: a table for the duration of the cell.

DuckDB queries the frame in place (registered as a view: nothing is copied).
Elsewhere the frame is loaded once per cell run into a temporary table,
column by column: PostgreSQL through ``COPY`` of a CSV pandas writes,
SQLite through the driver's ``executemany``, other databases through one
SQLAlchemy ``insert`` with many rows.  A named index (groupby keys) is data.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import csv
import datetime as dt
import decimal
import io
import uuid

from .connections import quote


def load(conn, name: str, frame) -> None:
    """Make ``frame`` the table ``name`` on ``conn`` (dropped by :func:`unload`)."""
    if any(level is not None for level in frame.index.names):
        frame = frame.reset_index()
    if not all(isinstance(column, str) for column in frame.columns):
        frame = frame.rename(columns=str)  # a copy: only when a column name is no string
    dialect = conn.dialect.name
    if dialect == "duckdb":
        conn.connection.driver_connection.register(name, frame)
        return
    table = _temporary_table(conn, name, frame)
    if frame.empty:
        return
    if dialect == "postgresql":
        _copy(conn, name, frame)
    elif dialect == "sqlite":
        marks = ", ".join("?" * len(frame.columns))
        rows = zip(*(_column(frame[c], text_times=True) for c in frame.columns))
        conn.connection.dbapi_connection.executemany(f"INSERT INTO {quote(conn, name)} VALUES ({marks})", rows)
    else:
        keys = list(frame.columns)
        columns = [_column(frame[c]) for c in keys]
        conn.execute(table.insert(), [dict(zip(keys, row)) for row in zip(*columns)])


def unload(conn, name: str) -> None:
    if conn.dialect.name == "duckdb":
        conn.connection.driver_connection.unregister(name)
    else:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(conn, name)}")


def _temporary_table(conn, name: str, frame):
    import sqlalchemy as sa

    columns = [sa.Column(c, _sql_type(frame[c])) for c in frame.columns]
    table = sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"])
    table.create(conn)
    return table


def _copy(conn, name: str, frame) -> None:
    """PostgreSQL's COPY FROM STDIN of the CSV pandas writes (in C), with a
    NULL marker no value can hold (short: pandas cuts a float column's
    na_rep at 32 characters)."""
    null = f"NULL-{uuid.uuid4().hex[:16]}"
    data = io.StringIO()
    frame.to_csv(data, index=False, header=False, na_rep=null, quoting=csv.QUOTE_MINIMAL,
                 date_format="%Y-%m-%d %H:%M:%S.%f")
    data.seek(0)
    columns = ", ".join(quote(conn, c) for c in frame.columns)
    sql = f"COPY {quote(conn, name)} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '{null}')"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if hasattr(cursor, "copy_expert"):  # psycopg2
            cursor.copy_expert(sql, data)
        else:  # psycopg 3
            with cursor.copy(sql) as copy:
                copy.write(data.getvalue())
    finally:
        cursor.close()


def _column(series, text_times: bool = False) -> list:
    """A column's values as Python objects, missing ones None, converted
    column-wise by pandas and numpy (never value by value here)."""
    from pandas.api import types

    values = series
    if text_times and types.is_datetime64_any_dtype(series):  # SQLite keeps times as ISO text
        values = series.dt.strftime("%Y-%m-%d %H:%M:%S.%f")
    return values.astype(object).where(series.notna(), None).tolist()


def _sql_type(series):
    import sqlalchemy as sa
    from pandas.api import types

    if types.is_bool_dtype(series):
        return sa.Boolean()
    if types.is_integer_dtype(series):
        return sa.BigInteger()
    if types.is_float_dtype(series):
        return sa.Float()
    if types.is_datetime64_any_dtype(series):
        return sa.DateTime(timezone=getattr(series.dt, "tz", None) is not None)
    present = series.dropna()
    sample = present.iloc[0] if len(present) else None
    # order matters: a bool is an int, a datetime is a date
    for kind, sql_type in ((bool, sa.Boolean), (int, sa.BigInteger), (float, sa.Float),
                           (decimal.Decimal, sa.Numeric), (dt.datetime, sa.DateTime), (dt.date, sa.Date)):
        if isinstance(sample, kind):
            return sql_type()
    return sa.Text()
