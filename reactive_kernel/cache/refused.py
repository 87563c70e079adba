"""Values the cache never stores, by type: pure data, extend it here.

Each is either a handle on something outside the process that a pickle
cannot carry (a connection, a socket, an open file, a thread: loaded back it
would be a dead or wrong object), a position in a computation (generators),
or a holder of credentials (engines and URLs keep the password).  Types are
named as ``f"{cls.__module__}.{cls.__qualname__}"`` and matched along the
value's MRO, at any depth of the value (the pickler checks every object it
visits), so subclasses are refused as their base is.
"""
from __future__ import annotations

_CONNECTION = "a database connection (a live handle, and it holds credentials)"
_FILE = "an open file (a handle on the operating system's file, not its content)"
_SYNC = "a lock or thread (belongs to this process)"
_POSITION = "a generator or coroutine (its position in a computation cannot be saved)"

REFUSED_TYPES: dict[str, str] = {
    # SQLAlchemy: engines keep the URL with its password and a pool of connections
    "sqlalchemy.engine.base.Engine": "an SQLAlchemy engine (holds connections and the password)",
    "sqlalchemy.engine.base.Connection": _CONNECTION,
    "sqlalchemy.orm.session.Session": _CONNECTION,
    "sqlalchemy.engine.url.URL": "an SQLAlchemy URL (may hold a password)",
    # DB-API connections and cursors
    "sqlite3.Connection": _CONNECTION,
    "sqlite3.Cursor": _CONNECTION,
    "psycopg2.extensions.connection": _CONNECTION,
    "psycopg2.extensions.cursor": _CONNECTION,
    "psycopg.Connection": _CONNECTION,
    "pymysql.connections.Connection": _CONNECTION,
    "_duckdb.DuckDBPyConnection": _CONNECTION,
    "duckdb.DuckDBPyConnection": _CONNECTION,
    "duckdb.duckdb.DuckDBPyConnection": _CONNECTION,
    # sockets and processes
    "_socket.socket": "a socket (a live network connection)",
    "subprocess.Popen": "a running process",
    "asyncio.events.AbstractEventLoop": "an event loop (belongs to this process)",
    "concurrent.futures._base.Executor": "an executor (its workers belong to this process)",
    "multiprocessing.pool.Pool": "a process pool (its workers belong to this process)",
    # open files (in-memory streams, io.BytesIO and io.StringIO, are values and stay storable)
    "_io.FileIO": _FILE,
    "_io.BufferedReader": _FILE,
    "_io.BufferedWriter": _FILE,
    "_io.BufferedRandom": _FILE,
    "_io.BufferedRWPair": _FILE,
    "_io.TextIOWrapper": _FILE,
    "tempfile.SpooledTemporaryFile": _FILE,
    "tempfile._TemporaryFileWrapper": _FILE,
    "mmap.mmap": "a memory-mapped file",
    # threads and locks
    "threading.Thread": _SYNC,
    "_thread.lock": _SYNC,
    "_thread.RLock": _SYNC,
    "threading.Condition": _SYNC,
    "threading.Semaphore": _SYNC,
    "threading.Event": _SYNC,
    # positions in a computation
    "builtins.generator": _POSITION,
    "builtins.coroutine": _POSITION,
    "builtins.async_generator": _POSITION,
}
