"""The databases SQL cells run on: the session's embedded DuckDB database,
and the ones ``--engine`` names (an Engine, a Connection or a URL string).

Passwords of URLs and Engines are remembered so every message can mask
them, also where a database quotes one without its URL
(:func:`reactive_kernel.core.secrets.mask` does the masking).
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import importlib.util
import re
from typing import Iterable

from ..core.secrets import mask
from .errors import SqlError, SqlUsageError, database_message, first_line
from .dialects import DIALECTS

DEFAULT = "@default"
DEFAULT_URL = "duckdb:///:memory:"

_URL_SCHEME = re.compile(r"^\s*([A-Za-z][\w.-]*?)(?:\+[\w.-]+)?://")

#: a table's kind on DuckDB, whose names are case-insensitive (SQLAlchemy's
#: inspector compares them exactly and lists every schema's tables)
_DUCKDB_KIND = (
    "SELECT 'TABLE' FROM duckdb_tables() WHERE lower(table_name) = lower($1) AND lower(schema_name) = lower($2) "
    "UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE NOT internal AND lower(view_name) = lower($1) "
    "AND lower(schema_name) = lower($2)"
)


def mask_url_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with credentials (and the given secrets) replaced by ***."""
    return mask(text, secrets)


def dialect_of_value(value) -> str | None:
    """The sqlglot dialect of an Engine, Connection or URL string, without
    importing SQLAlchemy (analysis must stay cheap); None when unknown."""
    if isinstance(value, str):
        match = _URL_SCHEME.match(value)
        return DIALECTS.get(match.group(1).lower()) if match else None
    dialect = getattr(value, "dialect", None)
    if type(value).__module__.startswith("sqlalchemy") and dialect is not None:
        return DIALECTS.get(dialect.name)
    return None


class Connections:
    """Engines of one kernel session, and the secrets to mask."""

    def __init__(self):
        self._default = None
        self.url_engines: dict[str, object] = {}
        self.secrets: set[str] = set()

    def mask(self, text: str) -> str:
        return mask(text, self.secrets)

    @property
    def default(self):
        """The embedded database: in-memory DuckDB, one connection for the session."""
        if self._default is None:
            self._default = _memory_engine(DEFAULT_URL)
        return self._default

    def resolve(self, value, label: str):
        """An Engine or Connection for an ``--engine`` value."""
        import sqlalchemy
        from sqlalchemy.engine import Connection, Engine

        if isinstance(value, (Engine, Connection)):
            if value.engine.url.password:
                self.secrets.add(str(value.engine.url.password))
            return value
        if isinstance(value, sqlalchemy.URL):
            value = value.render_as_string(hide_password=False)
        if not isinstance(value, str):
            raise SqlUsageError(
                f"--engine {label}: expected a SQLAlchemy Engine, Connection or URL string, "
                f"got {type(value).__name__}"
            )
        if value not in self.url_engines:
            self.url_engines[value] = self._create(value, label)
        return self.url_engines[value]

    def _create(self, text: str, label: str):
        import sqlalchemy

        try:
            url = sqlalchemy.make_url(text)
        except Exception:
            raise SqlUsageError(f"--engine {label}: {self.mask(text)!r} is not a database URL") from None
        if url.password:
            self.secrets.add(str(url.password))
        url = _available_driver(url)
        try:
            if in_memory(url):
                return _memory_engine(url)
            connect_args = {}
            if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
                connect_args["connect_timeout"] = 10  # an unreachable host must not hang the kernel
            return sqlalchemy.create_engine(url, connect_args=connect_args)
        except Exception as error:
            shown = self.mask(text)
            where = f"--engine {label}" + ("" if label == shown else f" ({shown})")
            raise SqlUsageError(f"{where}: {self.mask(first_line(error))}") from None

    def connection_error(self, bind, error: Exception) -> SqlError:
        url = bind.engine.url
        where = url.host or url.database or "memory"
        if url.port:
            where = f"{where}:{url.port}"
        return SqlError(
            f"cannot connect to the {url.get_backend_name()} database at {where}"
            + (f" (database {url.database!r}, user {url.username!r})" if url.host else ""),
            self.mask(database_message(error)),
        )


def in_memory(url) -> bool:
    """A database that lives only in this kernel (DuckDB or SQLite in memory):
    its tables are the session's own, so clean reruns may drop them."""
    return url.get_backend_name() in ("duckdb", "sqlite") and url.database in (None, "", ":memory:")


def _memory_engine(url):
    """One connection for the engine's life: every cell sees the same database."""
    import sqlalchemy
    from sqlalchemy.pool import StaticPool

    url = sqlalchemy.make_url(url)
    if url.get_backend_name() == "sqlite":
        engine = sqlalchemy.create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        _sqlite_transactions(engine)
        return engine
    return sqlalchemy.create_engine(url, poolclass=StaticPool)


def _sqlite_transactions(engine) -> None:
    """Let SQLite itself run each cell in one transaction, DDL included
    (pysqlite otherwise commits CREATE TABLE on its own)."""
    import sqlalchemy

    @sqlalchemy.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, record):
        dbapi_connection.isolation_level = None

    @sqlalchemy.event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


def _available_driver(url):
    """``postgresql://`` means psycopg (3) to SQLAlchemy 2.1; fall back to
    psycopg2 when only that driver is installed."""
    if url.drivername == "postgresql" and importlib.util.find_spec("psycopg") is None:
        if importlib.util.find_spec("psycopg2") is not None:
            return url.set(drivername="postgresql+psycopg2")
    return url


def is_private(bind) -> bool:
    return in_memory(bind.engine.url)


def quote(bind, table: str) -> str:
    preparer = bind.dialect.identifier_preparer
    return ".".join(preparer.quote_identifier(part) for part in table.split("."))


def table_kind(bind, table: str) -> str | None:
    """"TABLE", "VIEW" or None when ``table`` does not exist."""
    import sqlalchemy

    schema, _, name = table.rpartition(".")
    if bind.dialect.name == "duckdb":
        row = _first_row(bind, _DUCKDB_KIND, (name, schema.rpartition(".")[2] or "main"))
        return row[0] if row else None
    inspector = sqlalchemy.inspect(bind)
    schema = schema or None
    if name in inspector.get_view_names(schema=schema):
        return "VIEW"
    if inspector.has_table(name, schema=schema):
        return "TABLE"
    if bind.dialect.name == "sqlite" and schema is None:
        # temporary tables, and names whose case differs
        row = _first_row(bind, "SELECT type FROM sqlite_master WHERE lower(name) = lower(?) "
                               "UNION ALL SELECT type FROM sqlite_temp_master WHERE lower(name) = lower(?)",
                         (name, name))
        if row is not None and row[0] in ("table", "view"):
            return row[0].upper()
    return None


def _first_row(bind, sql: str, parameters: tuple):
    """The first row of a catalog query, on the cell's open connection when
    there is one (a savepoint is not needed to read, nor does DuckDB have them)."""
    from sqlalchemy.engine import Connection

    if isinstance(bind, Connection):
        return bind.exec_driver_sql(sql, parameters).first()
    with bind.connect() as conn:
        return conn.exec_driver_sql(sql, parameters).first()


def drop(bind, table: str) -> bool:
    """Drop ``table`` (a table or a view); False when there is none."""
    kind = table_kind(bind, table)
    if kind is None:
        return False
    with transaction(bind) as conn:
        conn.exec_driver_sql(f"DROP {kind} {quote(conn, table)}")
    return True


class transaction:
    """A transaction on an Engine or Connection (a savepoint inside an open one)."""

    def __init__(self, bind, on_error=None):
        self.bind = bind
        self.on_error = on_error
        self._conn = None
        self._trans = None
        self._owned = False

    def __enter__(self):
        from sqlalchemy.engine import Connection

        try:
            if isinstance(self.bind, Connection):
                self._conn = self.bind
                if self._conn.in_transaction():
                    self._trans = self._conn.begin_nested()
                else:
                    self._trans = self._conn.begin()
            else:
                self._conn = self.bind.connect()
                self._owned = True
                self._trans = self._conn.begin()
        except Exception as error:
            if self._owned and self._conn is not None:
                self._conn.close()
            if self.on_error is not None:
                raise self.on_error(self.bind, error) from None
            raise
        return self._conn

    def __exit__(self, etype, value, tb):
        try:
            if etype is None:
                self._trans.commit()
            else:
                self._trans.rollback()
        finally:
            if self._owned:
                self._conn.close()
        return False
