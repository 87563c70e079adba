"""SqlCells: the ``%sql`` / ``%%sql`` magics of one kernel session, their
static analysis for the engine, and the graph names that live in databases
(tables), on disk (files DuckDB reads) and in the session (saved snippets).

The engine asks :meth:`SqlCells.analyze` what a magic call reads and writes,
and, through the Resources protocol (:meth:`exists`, :meth:`remove`), whether
such a name exists and to remove it before a clean rerun.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import itertools
import sys
from dataclasses import dataclass
from typing import Any

from ..analysis.names import Names
from .connections import DEFAULT, Connections, dialect_of_value
from .errors import SqlError, SqlUsageError, first_line, hide_kernel_frames
from .options import USAGE, Options, parse_options

SNIPPET_PREFIX = "snippet:"


@dataclass
class _Created:
    """A table a SQL cell created in this session."""

    source: str
    table: str
    bind: Any
    droppable: bool


class SqlCells:
    """The ``%sql`` / ``%%sql`` magics and the graph names they bring (see
    the package docstring for the user's view)."""

    #: rows shown in a result's table; the variable holds all rows fetched
    display_rows: int = 20
    #: at most this many rows fetched into a result (None: all)
    fetch_rows: int | None = None

    def __init__(self, shell=None, namespace: dict | None = None, *, drop_external: bool = False):
        self.shell = shell
        self.namespace = namespace if namespace is not None else shell.user_ns
        #: drop tables on external databases on clean reruns without --drop
        self.drop_external = drop_external
        self.connections = Connections()
        self._created: dict[str, _Created] = {}
        self._snippets: dict[str, str] = {}
        self._temp = itertools.count(1)

    # -- registration ---------------------------------------------------------
    def register_magics(self) -> None:
        from IPython.core.magic import no_var_expand

        from .options import sql as documented

        # IPython would paste {name} into the line itself: the magic binds it
        # instead.  What the magic raises shows no frame of the kernel.
        @no_var_expand
        def sql_line(line: str):
            try:
                return self.run(line, None)
            except BaseException as error:
                hide_kernel_frames(error)
                raise

        @no_var_expand
        def sql_cell(line: str, cell: str):
            try:
                self.run(line, cell)
            except BaseException as error:
                hide_kernel_frames(error)
                raise

        sql_line.__doc__ = sql_cell.__doc__ = documented.__doc__
        self.shell.register_magic_function(sql_line, "line", "sql")
        self.shell.register_magic_function(sql_cell, "cell", "sql")

    @property
    def default_engine(self):
        """The session's embedded DuckDB database (a SQLAlchemy Engine)."""
        return self.connections.default

    @property
    def _url_engines(self) -> dict:
        return self.connections.url_engines

    def mask(self, text: str) -> str:
        return self.connections.mask(text)

    # -- static analysis -------------------------------------------------------
    def analyze(self, line: str, body: str | None) -> Names:
        """Reads and writes of one magic call, from its text alone."""
        try:
            return self._analyze(line, body)
        except Exception:  # never break a request over an odd statement
            return Names()

    def _analyze(self, line: str, body: str | None) -> Names:
        from .parameters import placeholders, standin_text
        from ..core.resources import file_name
        from .tables import graph_name, split_statements, statement_events

        options = parse_options(line, body)
        reads: set[str] = set()
        writes: set[str] = set()
        mutated: set[str] = set()
        bound: set[str] = set()
        if options.engine_variable:
            reads.add(options.engine_variable)
        if options.out:
            writes.add(options.out)
        if options.save:
            writes.add(SNIPPET_PREFIX + options.save)
        reads.update(SNIPPET_PREFIX + name for name in options.snippets)
        snippets = {name.lower() for name in options.snippets}
        source, dialect = self._source_key(options), self._dialect(options)
        for statement in split_statements(options.query, dialect):
            found = placeholders(statement)
            reads.update(p.path[0] for p in found if not p.template)
            for event in statement_events(standin_text(statement, found), dialect):
                name = graph_name(source, event.table)
                if event.kind == "file":
                    reads.add(file_name(event.table))
                elif event.table.lower() in snippets:
                    continue
                elif event.kind == "read":
                    if name not in bound:
                        reads.add(name)
                elif event.kind == "create":
                    bound.add(name)
                    writes.add(name)
                elif event.kind == "drop":
                    if not event.if_exists and name not in bound:
                        reads.add(name)
                    bound.add(name)
                    writes.add(name)
                elif event.kind == "mutate":
                    if name not in bound:
                        reads.add(name)
                    writes.add(name)
                    mutated.add(name)
        return Names(frozenset(reads), frozenset(writes), frozenset(mutated - bound))

    def _source_key(self, options: Options) -> str:
        if options.engine is None:
            return DEFAULT
        if options.engine_is_url:
            return self.mask(options.engine)
        return options.engine

    def _dialect(self, options: Options) -> str | None:
        if options.engine is None:
            return "duckdb"
        if options.engine_is_url:
            return dialect_of_value(options.engine)
        return dialect_of_value(self.namespace.get(options.engine))

    # -- resources -------------------------------------------------------------
    def exists(self, name: str) -> bool:
        if name.startswith(SNIPPET_PREFIX):
            return name[len(SNIPPET_PREFIX):] in self._snippets
        parsed = self._parse_name(name)
        if parsed is None:
            return False
        from .connections import table_kind

        try:
            bind = self._bind_for_source(parsed[0])
            return bind is not None and table_kind(bind, parsed[1]) is not None
        except Exception:
            return False

    def remove(self, name: str) -> bool:
        if name.startswith(SNIPPET_PREFIX):
            return self._snippets.pop(name[len(SNIPPET_PREFIX):], None) is not None
        parsed = self._parse_name(name)
        if parsed is None:
            return False  # files are never removed
        from .connections import drop, is_private

        source, table = parsed
        created = self._created.get(name)
        if source == DEFAULT:
            bind = self.connections.default
        elif created is not None and (created.droppable or self.drop_external or is_private(created.bind)):
            bind = created.bind
        else:
            if self.exists(name):
                print(
                    f"reactive-kernel: table {table} on {source} is left as it is (external database): "
                    f"the kernel never drops tables there. Start the cell with DROP TABLE IF EXISTS "
                    f"{table}, or add --drop to its %%sql line to let the kernel drop it on reruns.",
                    file=sys.stdout,
                )
            return False
        try:
            dropped = drop(bind, table)
        except Exception as error:
            print(f"reactive-kernel: could not drop table {table} on {source}: {self.mask(first_line(error))}")
            return False
        self._created.pop(name, None)
        return dropped

    def _parse_name(self, name: str) -> tuple[str, str] | None:
        from .tables import TABLE_PREFIX

        if not name.startswith(TABLE_PREFIX):
            return None
        created = self._created.get(name)
        if created is not None:
            return created.source, created.table
        source, sep, table = name[len(TABLE_PREFIX):].rpartition(":")
        return (source, table) if sep and source and table else None

    def _bind_for_source(self, source: str):
        if source == DEFAULT:
            return self.connections.default
        if "://" in source:
            for url, engine in self.connections.url_engines.items():
                if self.mask(url) == source:
                    return engine
            return None
        if source not in self.namespace:
            return None
        return self.connections.resolve(self.namespace[source], source)

    # -- execution ---------------------------------------------------------------
    def run(self, line: str, body: str | None):
        """Run one magic call; return its DataFrame (or None)."""
        from .execution import Execution

        try:
            options = parse_options(line, body)
        except SqlUsageError as error:
            raise SqlUsageError(self.mask(error.message)) from None
        if not options.query.strip():
            raise SqlUsageError(f"no SQL to run. {USAGE}")
        bind, source, droppable = self._target(options)
        execution = Execution(self, bind, source, droppable)
        query = execution.compose(options.query, options.snippets, self._snippets)
        statements = execution.read(query)
        if options.save and len(statements) != 1:
            raise SqlUsageError(f"--save {options.save}: a snippet is one query; this cell has {len(statements)}")
        fetched, affected = (None, 0) if options.no_execute else execution.run(statements)
        for name, table, made in execution.changed:
            if made:
                self._created[name] = _Created(source, table, bind, droppable)
            else:
                self._created.pop(name, None)
        if options.save:
            self._snippets[options.save] = statements[0].text
            if options.no_execute:
                print(f"saved snippet {options.save}: use it with %%sql --with {options.save}")
                return None
        return self._output(options, body, fetched, affected)

    def _target(self, options: Options):
        """(bind, graph source, whether clean reruns may drop its tables)."""
        from .connections import is_private

        if options.engine is None:
            return self.connections.default, DEFAULT, True
        if options.engine_is_url:
            value = options.engine
        else:
            if options.engine not in self.namespace:
                raise SqlError(f"--engine {options.engine}: name {options.engine!r} is not defined")
            value = self.namespace[options.engine]
        bind = self.connections.resolve(value, self.mask(options.engine))
        droppable = options.drop or self.drop_external or is_private(bind)
        return bind, self._source_key(options), droppable

    def _output(self, options: Options, body: str | None, fetched, affected: int):
        from .results import ResultTable

        if fetched is None:
            if options.out:
                print(f"-o {options.out}: no statement returned rows; {options.out} is not set")
            elif body is not None and affected:
                print(f"{affected} row{'s' if affected != 1 else ''} affected")
            return None
        if options.out:
            self.namespace[options.out] = fetched.frame
        if body is not None:
            self._display(ResultTable(fetched.frame, self.display_rows, fetched.more))
            return None
        return fetched.frame

    def _display(self, obj) -> None:
        shell = self.shell
        if shell is None:
            print(repr(obj))
            return
        data, metadata = shell.display_formatter.format(obj)
        shell.display_pub.publish(data=data, metadata=metadata)
