"""Which tables a statement reads, creates, drops or changes, found by sqlglot
in the dialect of the cell's database.

A table is a graph name ``table:<source>:<name>`` where ``name`` is the table
as the dialect resolves it: identifiers normalized as the dialect does
(``Users`` is ``users`` on PostgreSQL, ``"Users"`` is not), and the schema (or
catalog) a bare name resolves to left out, so ``public.t`` and ``t`` are one
name on PostgreSQL.  DuckDB's ``FROM 'data.csv'`` and ``read_csv('data.csv')``
are graph reads of the file (``core.resources.file_name``).
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import contextlib
import functools
import logging
import os
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from ..core.secrets import mask
from .dialects import FILE_TABLES, SEARCH_PATH

TABLE_PREFIX = "table:"
_FILE_FUNCTIONS = (exp.ReadCSV, exp.ReadParquet)


@dataclass(frozen=True)
class Statement:
    """One statement of a cell: its text, where it starts in the cell, its tokens."""

    text: str
    start: int
    tokens: tuple


@dataclass(frozen=True)
class Event:
    """One effect of a statement on a table (or file), in order."""

    kind: str  # read, create, drop, mutate, file
    table: str
    if_exists: bool = False  # IF [NOT] EXISTS given (create/drop)


def graph_name(source: str, table: str) -> str:
    return f"{TABLE_PREFIX}{source}:{table}"


@functools.lru_cache(maxsize=256)
def split_statements(sql: str, dialect: str | None = None) -> tuple[Statement, ...]:
    """Statements separated by ``;`` outside strings, comments and the
    BEGIN ... END body of a CREATE TRIGGER (sqlglot's tokenizer knows the
    dialect's strings and comments).  Raises sqlglot's TokenError on text it
    cannot read (an unterminated string).  Cached: analysis and every run of
    a cell read the same text."""
    statements: list[Statement] = []
    current: list = []
    block = 0

    def flush() -> None:
        if current:
            start, end = current[0].start, current[-1].end + 1
            statements.append(Statement(sql[start:end], start, tuple(current)))
            current.clear()

    for token in sqlglot.tokenize(sql, read=dialect):
        word = token.text.upper()
        if token.token_type.name == "SEMICOLON" and block == 0:
            flush()
            continue
        current.append(token)
        if current[0].text.upper() == "CREATE" and any(t.text.upper() == "TRIGGER" for t in current[:8]):
            if word in ("BEGIN", "CASE"):
                block += 1
            elif word == "END" and block:
                block -= 1
    flush()
    return tuple(statements)


@functools.lru_cache(maxsize=256)
def statement_events(text: str, dialect: str | None) -> tuple[Event, ...]:
    """Events of one statement's text (placeholders already replaced by
    identifiers): reads first, then what the statement does to its target.
    Cached, as :func:`split_statements` is."""
    tree = _parse(text, dialect)
    if tree is None:
        return ()
    tree = normalize_identifiers(tree, dialect=dialect)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    head, targets = _targets(tree, dialect)
    reads = []
    for table in tree.find_all(exp.Table):
        if id(table) in targets or not isinstance(table.this, exp.Identifier):
            continue
        if dialect in FILE_TABLES and _is_string(table, text):
            reads.append(Event("file", _file_name(table.name)))
        elif not (table.name in ctes and not table.db) and not table.name.startswith(STANDIN):
            reads.append(Event("read", table_name(table, dialect)))
    if dialect in FILE_TABLES:
        for call in tree.find_all(*_FILE_FUNCTIONS):
            path = call.this or next(iter(call.expressions), None)
            if isinstance(path, exp.Literal) and path.is_string:
                reads.append(Event("file", _file_name(path.this)))
    return tuple(reads + head)


def _file_name(path: str) -> str:
    """A local path normalised; a URL (``s3://``, ``https://``) as written
    but for its password: the name is shown (``%reactive``, the companion's graph)."""
    return mask(path) if "://" in path else os.path.normpath(path)


#: what placeholders are replaced by before parsing (an identifier in any dialect)
STANDIN = "__reactive_placeholder_"


def table_name(table: exp.Table, dialect: str | None) -> str:
    catalogs, schemas = SEARCH_PATH.get(dialect, (set(), set()))
    catalog, schema = table.catalog, table.db
    if catalog in catalogs:
        catalog = ""
    if not catalog and schema in schemas:
        schema = ""
    return ".".join(part for part in (catalog, schema, table.name) if part)


def _targets(tree: exp.Expression, dialect: str | None) -> tuple[list[Event], set[int]]:
    """Events of the statement's own target tables, and those tables' ids."""
    found: list[tuple[str, exp.Table, bool]] = []
    exists = bool(tree.args.get("exists"))
    if isinstance(tree, exp.Create):
        kind = (tree.kind or "").upper()
        if kind in ("TABLE", "VIEW"):
            found.append(("create", _table(tree.this), exists))
        elif kind == "INDEX" and isinstance(tree.this, exp.Index):
            found.append(("mutate", _table(tree.this.args.get("table")), False))
    elif isinstance(tree, exp.Drop):
        if (tree.kind or "").upper() in ("TABLE", "VIEW"):
            for table in tree.args.get("tables") or [tree.this]:
                found.append(("drop", _table(table), exists))
    elif isinstance(tree, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        found.append(("mutate", _table(tree.this), False))
    elif isinstance(tree, exp.TruncateTable):
        found.extend(("mutate", _table(t), False) for t in tree.expressions)
    elif isinstance(tree, exp.Alter):
        found.append(("mutate", _table(tree.this), False))
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.AlterRename):
                found.append(("create", _table(action.this), False))
    elif isinstance(tree, exp.Copy) and tree.args.get("kind"):  # COPY t FROM ...
        found.append(("mutate", _table(tree.this), False))
    elif isinstance(tree, exp.Select) and isinstance(tree.args.get("into"), exp.Into):
        found.append(("create", _table(tree.args["into"].this), False))
    events, ids = [], set()
    for kind, table, if_exists in found:
        if table is not None:
            ids.add(id(table))
            events.append(Event(kind, table_name(table, dialect), if_exists))
    return events, ids


def _table(node) -> exp.Table | None:
    if isinstance(node, exp.Schema):  # t (a, b)
        node = node.this
    return node if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier) else None


def _is_string(table: exp.Table, text: str) -> bool:
    start = table.this.meta.get("start")
    return start is not None and text[start:start + 1] == "'"


def _parse(text: str, dialect: str | None):
    with _quiet():
        try:
            return sqlglot.parse_one(text, read=dialect)
        except Exception:
            pass
        try:  # keep what can be read of a statement sqlglot does not know
            return sqlglot.parse_one(text, read=dialect, error_level=ErrorLevel.IGNORE)
        except Exception:
            return None


@contextlib.contextmanager
def _quiet():
    """sqlglot logs a warning for statements it keeps as a Command: the cell
    runs them all the same, so the user is not told."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
