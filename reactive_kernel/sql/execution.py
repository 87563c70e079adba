"""One run of a SQL cell: its statements in one transaction, its frames
loaded once, its result fetched, the tables it created or dropped noted.

A failing statement rolls the whole cell back, shows the database's
message and the statement, and leaves the database as it was.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import signal
import threading

from .connections import DEFAULT, quote, table_kind, transaction
from .dialects import DIALECTS
from .errors import SqlError, SqlUsageError, database_message, indent
from .frames import load, unload
from .parameters import bound_text, placeholders, standin_text, values
from .results import fetch, row_count
from .tables import graph_name, split_statements, statement_events


#: statements a saved snippet can be put in front of, as a CTE
_WITH_TARGETS = {"SELECT", "WITH", "FROM", "VALUES", "TABLE"}


class Execution:
    """A SQL cell's run on one database (``bind``), its tables named under ``source``."""

    def __init__(self, cells, bind, source: str, droppable: bool):
        self.cells = cells
        self.bind = bind
        self.source = source
        self.droppable = droppable
        self.dialect = DIALECTS.get(bind.engine.dialect.name)
        #: (graph name, table, created (True) or dropped (False)), in order
        self.changed: list[tuple[str, str, bool]] = []

    def compose(self, query: str, names: list[str], saved: dict[str, str]) -> str:
        """``query`` with the snippets it names put in front as CTEs (JupySQL's --with)."""
        if not names:
            return query
        missing = [name for name in names if name not in saved]
        if missing:
            raise SqlUsageError(f"--with {missing[0]}: no snippet {missing[0]!r} is saved "
                                f"(save one with %%sql --save {missing[0]})")
        ctes = ", ".join(f"{name} AS ({saved[name]})" for name in names)
        pieces, last = [], 0
        for statement in self.read(query):
            words = [t.text.upper() for t in statement.tokens[:2]]
            if words[0] not in _WITH_TARGETS:
                continue
            if words[0] == "WITH":  # join the query's own WITH list
                keep = 2 if words[1:] == ["RECURSIVE"] else 1
                at = statement.tokens[keep - 1].end + 1
                pieces += [query[last:at], f" {ctes},"]
            else:
                at = statement.start
                pieces += [query[last:at], f"WITH {ctes} "]
            last = at
        return "".join(pieces) + query[last:]

    def read(self, query: str):
        import sqlglot

        try:
            statements = split_statements(query, self.dialect)
        except sqlglot.errors.TokenError as error:
            raise SqlUsageError(f"cannot read the SQL: {error}") from None
        if not statements:
            raise SqlUsageError("no SQL statement to run (only comments?)")
        return statements

    def run(self, statements):
        """Run the statements; return (the last result fetched or None, rows affected)."""
        found = [placeholders(statement) for statement in statements]
        parameters = values([p for each in found for p in each], self.cells.namespace)
        frames = [p for p in parameters.values() if type(p.value).__name__ == "DataFrame"]
        fetched, affected, loaded = None, 0, []
        with _Interrupts() as interrupts:
            try:
                with transaction(self.bind, on_error=self.cells.connections.connection_error) as conn:
                    for parameter in frames:
                        parameter.table = f"_reactive_{parameter.key}_{next(self.cells._temp)}"
                        self._load(conn, parameter)
                        loaded.append(parameter.table)
                    for number, (statement, spots) in enumerate(zip(statements, found), 1):
                        events = statement_events(standin_text(statement, spots), self.dialect)
                        self._replace_before_create(conn, events)
                        result = self._execute(conn, statement, spots, parameters, number, len(statements))
                        count = row_count(result, statement.tokens[0].text.upper()) if result.returns_rows else None
                        if count is not None:
                            affected += count
                        elif result.returns_rows:
                            fetched = self._fetch(result, statement)
                        elif result.rowcount and result.rowcount > 0:
                            affected += result.rowcount
                        for event in events:
                            if event.kind in ("create", "drop"):
                                name = graph_name(self.source, event.table)
                                self.changed.append((name, event.table, event.kind == "create"))
                    for table in loaded:
                        unload(conn, table)
                    loaded.clear()
            except Exception:
                # an interrupt the database turned into its own error (DuckDB,
                # SQLite, PostgreSQL each have one): the user stopped the cell
                if interrupts.noticed:
                    raise KeyboardInterrupt from None
                raise
            finally:
                self._unload_after_failure(loaded)
        return fetched, affected

    def _load(self, conn, parameter) -> None:
        try:
            load(conn, parameter.table, parameter.value)
        except Exception as error:
            name = parameter.key.split("_", 1)[1]
            raise SqlError(f"cannot query the DataFrame {name}: {self.cells.mask(database_message(error))}") from None

    def _unload_after_failure(self, loaded: list[str]) -> None:
        """A failed cell's transaction took its temporary tables with it; a
        frame DuckDB queries in place stays registered until told."""
        if not loaded or self.bind.engine.dialect.name != "duckdb":
            return
        try:
            with transaction(self.bind) as conn:
                for table in loaded:
                    unload(conn, table)
        except Exception:
            pass

    def _replace_before_create(self, conn, events) -> None:
        """``CREATE TABLE t`` where an earlier SQL cell of this session created
        ``t``: the new definition replaces the old one, as assigning a Python
        name does (a rerun of the creating cell must not fail because a cell
        that inserted into the table owns its current value)."""
        for event in events:
            if event.kind != "create" or event.if_exists:
                continue
            previous = self.cells._created.get(graph_name(self.source, event.table))
            if previous is None or not (previous.droppable or self.source == DEFAULT):
                continue
            kind = table_kind(conn, event.table)
            if kind is not None:
                conn.exec_driver_sql(f"DROP {kind} {quote(conn, event.table)}")

    def _execute(self, conn, statement, spots, parameters, number: int, total: int):
        import sqlalchemy

        sql, binds = bound_text(statement, spots, parameters, lambda table: quote(conn, table))
        clause = sqlalchemy.text(sql)
        if binds:
            clause = clause.bindparams(*binds)
        try:
            return conn.execute(clause)
        except sqlalchemy.exc.StatementError as error:
            raise self._failure(error, statement, number, total) from None

    def _fetch(self, result, statement):
        try:
            return fetch(result, self.cells.fetch_rows)
        except Exception as error:
            raise self._failure(error, statement, 1, 1) from None

    def _failure(self, error, statement, number: int, total: int) -> SqlError:
        where = f"statement {number} of {total}" if total > 1 else "statement"
        label = "embedded DuckDB database" if self.source == DEFAULT else f"database {self.source}"
        shown = statement.text if len(statement.text) <= 600 else statement.text[:600] + " ..."
        mask = self.cells.mask
        # the message's first line is the error's value; hints follow with the statement
        message, _, hints = database_message(error).partition("\n")
        detail = (hints + "\n" if hints else "") + f"in {where} ({label}):\n" + indent(shown)
        return SqlError(mask(message), mask(detail))


class _Interrupts:
    """Notices an interrupt while a cell's SQL runs, and lets it through as
    before.  Databases turn it into their own errors (DuckDB formats the whole
    Python stack into its message, the kernel's frames included); noticed, the
    cell ends as interrupted (``KeyboardInterrupt``), stale, not failed."""

    def __init__(self) -> None:
        self.noticed = False
        self._installed = False
        self._previous = None

    def __enter__(self) -> "_Interrupts":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._notice)
            self._installed = True
        return self

    def _notice(self, signum, frame) -> None:
        self.noticed = True
        previous = self._previous
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            raise KeyboardInterrupt

    def __exit__(self, *exc) -> None:
        if self._installed:
            self._installed = False
            # None: a handler set outside Python, which cannot be put back
            signal.signal(signal.SIGINT, self._previous if self._previous is not None
                          else signal.default_int_handler)
