"""SQL cells: ``%%sql`` / ``%sql`` magics whose tables take part in the graph.

Usage::

    %%sql [-o NAME] [--engine SOURCE] [--drop]
    SELECT * FROM users WHERE signup >= {start}

    df = %sql [--engine SOURCE] SELECT * FROM {frame} WHERE n > {limit}

* The result of the cell's last row-returning statement is a pandas
  DataFrame: shown as a table (the first ``display_rows`` rows and a row
  count) and, with ``-o NAME``, bound to ``NAME`` in full.  The line magic
  returns it.
* Without ``--engine`` statements run on an in-memory SQLite database shared
  by the whole kernel session.  ``--engine pg`` names a Python variable
  holding a SQLAlchemy ``Engine``, ``Connection`` or URL string (a graph read
  of ``pg``); ``--engine postgresql://...`` is a URL literal.
* ``{name}`` (or ``{name.attr}``) outside SQL strings and comments is a graph
  read of ``name``.  Its value is sent as a bound parameter, never pasted into
  the SQL text; a list, tuple or set expands (``id IN {ids}``); a pandas
  DataFrame becomes a temporary table for the duration of the cell
  (``FROM {frame}``).
* Tables are graph names ``table:<source>:<table>``, source being
  ``@default``, the ``--engine`` variable's name or the (password-masked) URL
  literal.  CREATE/DROP bind a table; INSERT/UPDATE/DELETE/ALTER/TRUNCATE of
  a table the cell did not create are mutations (read + write); FROM, JOIN and
  USING read one (CTE names excluded).
* A clean rerun removes the tables the cell created in its previous run: on
  the embedded database they are dropped.  On an external database nothing is
  ever dropped unless the cell says ``--drop`` (or ``SqlCells.drop_external``
  is set); otherwise the affected tables are reported in the cell.

A cell's statements run in one transaction: a failing statement rolls the
whole cell back, shows the database's message and the statement, and leaves
the database as it was.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import html
import itertools
import re
import sys
from dataclasses import dataclass
from typing import Any, Iterator

from .analysis import Names

DEFAULT = "@default"
PREFIX = "table:"

# ---------------------------------------------------------------------------
# Masking
# ---------------------------------------------------------------------------

_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][\w+.-]*://[^:/@\s'\"]*:)(?P<password>[^@\s'\"]*)(?P<at>@)")


def mask_url_text(text: str, secrets: Iterator[str] | tuple = ()) -> str:
    """``text`` with passwords of URLs (and the given secrets) replaced by ***."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + "***" + m.group("at"), str(text))
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


# ---------------------------------------------------------------------------
# Tokenizer: a lexer that knows SQL strings, quoted identifiers, comments,
# dollar quoting and ``{name}`` placeholders, and nothing else.
# ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<dollar>\$\$.*?(?:\$\$|\Z)|\$(?P<tag>[A-Za-z_]\w*)\$.*?(?:\$(?P=tag)\$|\Z))
  | (?P<string>(?<![\w$])[Ee]'(?:[^'\\]|\\.|'')*(?:'|\Z)|(?<![\w$])[XxBbNn]?'(?:[^']|'')*(?:'|\Z))
  | (?P<qident>"(?:[^"]|"")*(?:"|\Z)|`(?:[^`]|``)*(?:`|\Z))
  | (?P<param>\{[ \t]*[A-Za-z_]\w*(?:[ \t]*\.[ \t]*[A-Za-z_]\w*)*[ \t]*\})
  | (?P<word>[A-Za-z_][\w$]*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
  | (?P<punct>.)
    """,
    re.S | re.X,
)


@dataclass
class Token:
    kind: str  # word, qident, string, param, number, punct (ws/comments are dropped)
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokenize(sql: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        if kind == "tag":
            kind = "dollar"
        if kind in ("ws", "comment"):
            continue
        if kind == "dollar":
            kind = "string"
        tokens.append(Token(kind, match.group(), match.start(), match.end()))
    return tokens


@dataclass
class Statement:
    text: str
    tokens: list[Token]
    start: int


def split_statements(sql: str, tokens: list[Token] | None = None) -> list[Statement]:
    """Statements separated by ``;`` outside strings, comments and the
    BEGIN ... END body of a CREATE TRIGGER."""
    tokens = tokenize(sql) if tokens is None else tokens
    statements: list[Statement] = []
    current: list[Token] = []
    block = 0

    def flush(end: int) -> None:
        if current:
            start = current[0].start
            statements.append(Statement(sql[start:end].strip(), list(current), start))
            current.clear()

    for token in tokens:
        if token.kind == "punct" and token.text == ";" and block == 0:
            flush(token.start)
            continue
        current.append(token)
        if current[0].upper == "CREATE" and any(t.upper == "TRIGGER" for t in current[:8]):
            if token.upper in ("BEGIN", "CASE"):
                block += 1
            elif token.upper == "END" and block:
                block -= 1
    flush(len(sql))
    return statements


def _identifier(token: Token) -> str | None:
    if token.kind == "word":
        return token.text.lower()
    if token.kind == "qident":
        quote = token.text[0]
        inner = token.text[1:-1] if len(token.text) > 1 and token.text.endswith(quote) else token.text[1:]
        return inner.replace(quote * 2, quote)
    return None


# Words that end a FROM item (so are no alias) or cannot name a table.
_CLAUSE = frozenset(
    """WHERE GROUP ORDER LIMIT OFFSET HAVING WINDOW UNION INTERSECT EXCEPT JOIN INNER LEFT
    RIGHT FULL CROSS NATURAL OUTER ON USING SET RETURNING FETCH FOR LATERAL VALUES SELECT
    WITH INTO AND OR NOT AS QUALIFY TABLESAMPLE DEFAULT WHEN THEN ELSE END""".split()
)
_FROM_FUNCTIONS = frozenset({"EXTRACT", "SUBSTRING", "TRIM", "OVERLAY", "POSITION"})
_CREATE_MODIFIERS = frozenset(
    {"OR", "REPLACE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", "MATERIALIZED",
     "RECURSIVE", "VIRTUAL", "UNIQUE"}
)


@dataclass
class Event:
    """One table effect of a statement, in order."""

    kind: str  # read, create, drop, mutate
    table: str
    if_exists: bool = False  # IF [NOT] EXISTS given (create/drop)
    view: bool = False


class _StatementParser:
    def __init__(self, tokens: list[Token]):
        self.t = tokens
        self.events: list[Event] = []
        self.ctes: set[str] = set()

    # -- helpers ------------------------------------------------------------
    def up(self, i: int) -> str:
        return self.t[i].upper if 0 <= i < len(self.t) else ""

    def is_punct(self, i: int, char: str) -> bool:
        return 0 <= i < len(self.t) and self.t[i].kind == "punct" and self.t[i].text == char

    def skip_group(self, i: int) -> int:
        """Index after the parenthesised group that starts at ``i``."""
        depth = 0
        for j in range(i, len(self.t)):
            if self.is_punct(j, "("):
                depth += 1
            elif self.is_punct(j, ")"):
                depth -= 1
                if depth == 0:
                    return j + 1
        return len(self.t)

    def name(self, i: int) -> tuple[str | None, int]:
        """A possibly qualified table name at ``i``; None if there is none."""
        if i >= len(self.t):
            return None, i
        token = self.t[i]
        if token.kind == "word" and token.upper in _CLAUSE:
            return None, i
        part = _identifier(token)
        if part is None:
            return None, i
        parts, j = [part], i + 1
        while self.is_punct(j, ".") and j + 1 < len(self.t) and _identifier(self.t[j + 1]) is not None:
            parts.append(_identifier(self.t[j + 1]))
            j += 2
        if self.is_punct(j, "("):  # a function call (generate_series(...)) or column list
            return ".".join(parts), j
        return ".".join(parts), j

    def table_ref(self, i: int) -> tuple[str | None, int]:
        while self.up(i) in ("ONLY", "LATERAL", "TABLE"):
            i += 1
        if self.is_punct(i, "("):
            return None, self.skip_group(i)
        name, j = self.name(i)
        if name is not None and self.is_punct(j, "("):  # table function
            return None, self.skip_group(j)
        return name, j

    def skip_alias(self, i: int) -> int:
        if self.up(i) == "AS":
            i += 1
        if i < len(self.t) and self.t[i].kind in ("word", "qident") and self.up(i) not in _CLAUSE:
            i += 1
            if self.is_punct(i, "("):
                i = self.skip_group(i)
        return i

    def read(self, name: str | None) -> None:
        if name is not None and name not in self.ctes:
            self.events.append(Event("read", name))

    def from_list(self, i: int) -> None:
        while True:
            name, i = self.table_ref(i)
            self.read(name)
            i = self.skip_alias(i)
            if not self.is_punct(i, ","):
                return
            i += 1

    # -- the statement --------------------------------------------------------
    def parse(self) -> list[Event]:
        t = self.t
        if not t:
            return []
        verb = self.with_clause()
        head: list[Event] = []
        first = self.up(verb)
        if first == "CREATE":
            head = self.create(verb + 1)
        elif first == "DROP":
            head = self.drop(verb + 1)
        elif first in ("INSERT", "REPLACE"):
            j = verb + 1
            while j < len(t) and self.up(j) not in ("INTO",) and j < verb + 4:
                j += 1
            name, _ = self.name(j + 1 if self.up(j) == "INTO" else verb + 1)
            head = [Event("mutate", name)] if name else []
        elif first == "UPDATE":
            j = verb + 1
            if self.up(j) == "OR":
                j += 2
            name, _ = self.table_ref(j)
            head = [Event("mutate", name)] if name else []
        elif first == "DELETE" and self.up(verb + 1) == "FROM":
            name, _ = self.table_ref(verb + 2)
            head = [Event("mutate", name)] if name else []
        elif first == "TRUNCATE":
            j = verb + 1
            while True:
                name, j = self.table_ref(j)
                if name:
                    head.append(Event("mutate", name))
                if not self.is_punct(j, ","):
                    break
                j += 1
        elif first == "ALTER" and self.up(verb + 1) in ("TABLE", "VIEW"):
            j = verb + 2
            if self.up(j) == "IF":
                j += 2
            name, j = self.table_ref(j)
            if name:
                head.append(Event("mutate", name))
                for k in range(j, len(t) - 2):
                    if self.up(k) == "RENAME" and self.up(k + 1) == "TO":
                        new, _ = self.name(k + 2)
                        if new:
                            head.append(Event("create", new))
                        break
        elif first == "MERGE" and self.up(verb + 1) == "INTO":
            name, _ = self.table_ref(verb + 2)
            head = [Event("mutate", name)] if name else []
        elif first == "COPY":
            name, j = self.name(verb + 1)
            if name:
                if self.is_punct(j, "("):
                    j = self.skip_group(j)
                head = [Event("mutate" if self.up(j) == "FROM" else "read", name)]
        elif first == "SELECT":
            head = self.select_into(verb)
        self.events.extend(head)
        self.reads(skip_first_from=first == "COPY")
        return self.events

    def with_clause(self) -> int:
        """Collect CTE names; return the index of the main verb."""
        i = 0
        if self.up(i) != "WITH":
            return 0
        i += 1
        if self.up(i) == "RECURSIVE":
            i += 1
        while i < len(self.t):
            name = _identifier(self.t[i])
            if name is None:
                return i
            self.ctes.add(name)
            i += 1
            if self.is_punct(i, "("):
                i = self.skip_group(i)
            if self.up(i) == "AS":
                i += 1
            while self.up(i) in ("NOT", "MATERIALIZED"):
                i += 1
            if self.is_punct(i, "("):
                # the CTE body's own reads are found by the main scan
                i = self.skip_group(i)
            if self.is_punct(i, ","):
                i += 1
                continue
            return i
        return i

    def create(self, i: int) -> list[Event]:
        while self.up(i) in _CREATE_MODIFIERS:
            i += 1
        kind = self.up(i)
        if kind in ("TABLE", "VIEW"):
            i += 1
            if_not = self.up(i) == "IF"
            if if_not:
                i += 3
            name, _ = self.name(i)
            return [Event("create", name, if_exists=if_not, view=kind == "VIEW")] if name else []
        if kind in ("INDEX", "TRIGGER"):
            for j in range(i, len(self.t)):
                if self.up(j) == "ON":
                    k = j + 1
                    while self.up(k) == "ONLY":
                        k += 1
                    name, _ = self.name(k)
                    return [Event("mutate", name)] if name else []
        return []

    def drop(self, i: int) -> list[Event]:
        if self.up(i) == "MATERIALIZED":
            i += 1
        kind = self.up(i)
        if kind not in ("TABLE", "VIEW"):
            return []
        i += 1
        if_exists = self.up(i) == "IF"
        if if_exists:
            i += 2
        events = []
        while True:
            name, i = self.name(i)
            if name:
                events.append(Event("drop", name, if_exists=if_exists, view=kind == "VIEW"))
            if not self.is_punct(i, ","):
                return events
            i += 1

    def select_into(self, verb: int) -> list[Event]:
        depth = 0
        for j in range(verb, len(self.t)):
            if self.is_punct(j, "("):
                depth += 1
            elif self.is_punct(j, ")"):
                depth -= 1
            elif depth == 0 and self.up(j) == "INTO":
                j += 1
                while self.up(j) in ("TEMP", "TEMPORARY", "UNLOGGED", "TABLE"):
                    j += 1
                name, _ = self.name(j)
                return [Event("create", name)] if name else []
            elif depth == 0 and self.up(j) == "FROM":
                return []
        return []

    def reads(self, skip_first_from: bool) -> None:
        t = self.t
        stack: list[str] = []
        skipped = not skip_first_from
        for i in range(len(t)):
            token = t[i]
            if token.kind == "punct":
                if token.text == "(":
                    stack.append(t[i - 1].upper if i > 0 else "")
                elif token.text == ")" and stack:
                    stack.pop()
                continue
            word = token.upper
            if word == "FROM":
                if self.up(i - 1) == "DELETE":
                    continue  # DELETE FROM target: a mutation, handled above
                if self.up(i - 1) == "DISTINCT" or (stack and stack[-1] in _FROM_FUNCTIONS):
                    continue
                if not skipped:
                    skipped = True
                    continue
                self.from_list(i + 1)
            elif word == "JOIN":
                name, _ = self.table_ref(i + 1)
                self.read(name)
            elif word == "USING" and not self.is_punct(i + 1, "("):
                self.from_list(i + 1)


def statement_events(tokens: list[Token]) -> list[Event]:
    return _StatementParser(tokens).parse()


# ---------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------


class SqlError(Exception):
    """A SQL cell failed: shown briefly, without a Python traceback."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def _render_traceback_(self) -> list[str]:
        lines = [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self.message}"]
        if self.detail:
            lines.extend(self.detail.splitlines())
        return lines


class SqlUsageError(SqlError):
    """The magic's options are wrong."""


USAGE = "usage: %%sql [-o NAME] [--engine SOURCE] [--drop]   or   NAME = %sql [--engine SOURCE] QUERY"

_OPTION = re.compile(
    r"""\s*(?:
        (?P<flag>-o|--out|--output|--engine)(?:\s*=\s*|\s+)(?P<value>"[^"]*"|'[^']*'|\S+)
      | (?P<drop>--drop)(?=\s|$)
    )""",
    re.X,
)


@dataclass
class Options:
    out: str | None = None
    engine: str | None = None  # None: the embedded database
    drop: bool = False
    query: str = ""
    problem: str | None = None  # what is wrong with the options, if anything

    @property
    def engine_is_url(self) -> bool:
        return self.engine is not None and "://" in self.engine

    @property
    def engine_variable(self) -> str | None:
        return self.engine if self.engine is not None and not self.engine_is_url else None


def parse_options(line: str, body: str | None) -> Options:
    """Leading options of the magic line; the rest of a line magic is its query."""
    options = Options()
    rest = line
    while True:
        match = _OPTION.match(rest)
        if not match:
            break
        rest = rest[match.end():]
        if match.group("drop"):
            options.drop = True
            continue
        value = match.group("value")
        if value[:1] in "\"'" and value[-1:] == value[:1]:
            value = value[1:-1]
        if match.group("flag") == "--engine":
            if value.startswith("{") and value.endswith("}"):
                value = value[1:-1].strip()
            if not ("://" in value or value.isidentifier()):
                options.problem = f"--engine {value!r}: give a Python variable name or a database URL"
            options.engine = value
        else:
            if not value.isidentifier():
                options.problem = f"-o {value!r}: the output must be a Python variable name"
            options.out = value
    rest = rest.strip()
    if body is None:
        options.query = rest
    else:
        if rest:
            options.problem = options.problem or f"unexpected {rest!r} on the %%sql line. {USAGE}"
        options.query = body
    if rest.startswith("-") and body is None and options.problem is None:
        options.problem = f"unknown option {rest.split()[0]!r}. {USAGE}"
    return options


# ---------------------------------------------------------------------------
# The cells
# ---------------------------------------------------------------------------


@dataclass
class _Created:
    """A table a SQL cell created in this session."""

    source: str
    table: str
    bind: Any
    droppable: bool


@dataclass
class _Parameter:
    key: str
    value: Any
    frame_table: str | None = None


class SqlCells:
    """The ``%sql`` / ``%%sql`` magics and the ``table:`` resources of one
    kernel session (see the module docstring)."""

    #: rows shown in a result's table; the variable holds them all
    display_rows: int = 20

    def __init__(self, shell=None, namespace: dict | None = None, *, drop_external: bool = False):
        self.shell = shell
        self.namespace = namespace if namespace is not None else shell.user_ns
        #: drop tables on external databases on clean reruns without --drop
        self.drop_external = drop_external
        self._default = None
        self._url_engines: dict[str, Any] = {}
        self._secrets: set[str] = set()
        self._created: dict[str, _Created] = {}
        self._temp = itertools.count(1)

    # -- registration ---------------------------------------------------------
    def register_magics(self) -> None:
        from IPython.core.magic import no_var_expand

        # IPython would paste {name} into the line itself: the magic binds it instead
        @no_var_expand
        def sql_line(line: str):
            return self.run(line, None)

        @no_var_expand
        def sql_cell(line: str, cell: str):
            self.run(line, cell)

        self.shell.register_magic_function(sql_line, "line", "sql")
        self.shell.register_magic_function(sql_cell, "cell", "sql")

    # -- static analysis -------------------------------------------------------
    def analyze(self, line: str, body: str | None) -> Names:
        """Reads and writes of one magic call, from its text alone."""
        try:
            return self._analyze(line, body)
        except Exception:  # never break a request over an odd statement
            return Names()

    def _analyze(self, line: str, body: str | None) -> Names:
        options = parse_options(line, body)
        reads: set[str] = set()
        writes: set[str] = set()
        mutated: set[str] = set()
        bound: set[str] = set()
        if options.engine_variable:
            reads.add(options.engine_variable)
        if options.out:
            writes.add(options.out)
        source = self._source_key(options)
        tokens = tokenize(options.query)
        for token in tokens:
            if token.kind == "param":
                reads.add(_param_path(token.text)[0])
        for statement in split_statements(options.query, tokens):
            for event in statement_events(statement.tokens):
                name = graph_name(source, event.table)
                if event.kind == "read":
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

    # -- resources -------------------------------------------------------------
    def exists(self, name: str) -> bool:
        parsed = self._parse_name(name)
        if parsed is None:
            return False
        source, table = parsed
        try:
            bind = self._bind_for_source(source)
            if bind is None:
                return False
            return _table_kind(bind, table) is not None
        except Exception:
            return False

    def remove(self, name: str) -> bool:
        parsed = self._parse_name(name)
        if parsed is None:
            return False
        source, table = parsed
        created = self._created.get(name)
        if source == DEFAULT:
            bind = self._default_engine()
        elif created is not None and (created.droppable or self.drop_external):
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
            kind = _table_kind(bind, table)
            if kind is None:
                self._created.pop(name, None)
                return False
            with _transaction(bind) as conn:
                conn.exec_driver_sql(f"DROP {kind} {_quote(conn, table)}")
        except Exception as error:
            print(f"reactive-kernel: could not drop table {table} on {source}: {self.mask(_first_line(error))}")
            return False
        self._created.pop(name, None)
        return True

    def _parse_name(self, name: str) -> tuple[str, str] | None:
        if not name.startswith(PREFIX):
            return None
        created = self._created.get(name)
        if created is not None:
            return created.source, created.table
        source, sep, table = name[len(PREFIX):].rpartition(":")
        return (source, table) if sep and source and table else None

    # -- connections ------------------------------------------------------------
    @property
    def default_engine(self):
        return self._default_engine()

    def _default_engine(self):
        if self._default is None:
            import sqlalchemy
            from sqlalchemy.pool import StaticPool

            engine = sqlalchemy.create_engine(
                "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
            )

            # Let SQLite itself run each cell in one transaction, DDL included
            # (pysqlite otherwise commits CREATE TABLE on its own).
            @sqlalchemy.event.listens_for(engine, "connect")
            def _connect(dbapi_connection, record):
                dbapi_connection.isolation_level = None

            @sqlalchemy.event.listens_for(engine, "begin")
            def _begin(conn):
                conn.exec_driver_sql("BEGIN")

            self._default = engine
        return self._default

    def _bind_for_source(self, source: str):
        if source == DEFAULT:
            return self._default_engine()
        if "://" in source:
            for url, engine in self._url_engines.items():
                if self.mask(url) == source:
                    return engine
            return None
        if source not in self.namespace:
            return None
        return self._resolve(self.namespace[source], source)

    def _resolve(self, value, label: str):
        import sqlalchemy
        from sqlalchemy.engine import Connection, Engine

        if isinstance(value, (Engine, Connection)):
            url = value.engine.url
            if url.password:
                self._secrets.add(str(url.password))
            return value
        if isinstance(value, sqlalchemy.URL):
            value = value.render_as_string(hide_password=False)
        if isinstance(value, str):
            if value not in self._url_engines:
                try:
                    url = sqlalchemy.make_url(value)
                except Exception:
                    raise SqlUsageError(
                        f"--engine {label}: {self.mask(value)!r} is not a database URL"
                    ) from None
                if url.password:
                    self._secrets.add(str(url.password))
                url = _available_driver(url)
                connect_args = {}
                if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
                    connect_args["connect_timeout"] = 10  # an unreachable host must not hang the kernel
                try:
                    self._url_engines[value] = sqlalchemy.create_engine(url, connect_args=connect_args)
                except Exception as error:
                    shown = self.mask(value)
                    where = f"--engine {label}" + ("" if label == shown else f" ({shown})")
                    raise SqlUsageError(f"{where}: {self.mask(_first_line(error))}") from None
            return self._url_engines[value]
        raise SqlUsageError(
            f"--engine {label}: expected a SQLAlchemy Engine, Connection or URL string, "
            f"got {type(value).__name__}"
        )

    def mask(self, text: str) -> str:
        return mask_url_text(text, tuple(self._secrets))

    # -- execution ---------------------------------------------------------------
    def run(self, line: str, body: str | None):
        """Run one magic call; return its DataFrame (or None)."""
        options = parse_options(line, body)
        if options.problem:
            raise SqlUsageError(self.mask(options.problem))
        if not options.query.strip():
            raise SqlUsageError(f"no SQL to run. {USAGE}")
        if options.engine is None:
            bind, source, droppable = self._default_engine(), DEFAULT, True
        else:
            if options.engine_is_url:
                value = options.engine
            else:
                if options.engine not in self.namespace:
                    raise SqlError(f"--engine {options.engine}: name {options.engine!r} is not defined")
                value = self.namespace[options.engine]
            bind = self._resolve(value, self.mask(options.engine))
            source = self._source_key(options)
            droppable = options.drop or self.drop_external

        tokens = tokenize(options.query)
        statements = [s for s in split_statements(options.query, tokens) if s.tokens]
        if not statements:
            raise SqlUsageError("no SQL statement to run (only comments?)")
        values = self._parameter_values(tokens)

        frame = None
        rowcounts: list[int] = []
        created: dict[str, bool] = {}  # graph name -> created (True) / dropped (False)
        with self._connect(bind) as conn:
            temps = self._frame_tables(conn, values)
            try:
                for number, statement in enumerate(statements, 1):
                    events = statement_events(statement.tokens)
                    self._replace_before_create(conn, source, events, droppable)
                    result = self._execute(conn, statement, values, number, len(statements), source)
                    if result.returns_rows:
                        frame = _frame(result)
                    else:
                        rowcounts.append(result.rowcount)
                    for event in events:
                        name = graph_name(source, event.table)
                        if event.kind == "create":
                            created[name] = True
                        elif event.kind == "drop":
                            created[name] = False
            finally:
                for temp in temps:
                    try:
                        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_quote(conn, temp)}")
                    except Exception:
                        pass
        for name, made in created.items():
            if made:
                self._created[name] = _Created(source, self._parse_table(name, source), bind, droppable)
            else:
                self._created.pop(name, None)

        if frame is None:
            if options.out:
                print(f"-o {options.out}: no statement returned rows; {options.out} is not set")
            elif body is not None:
                affected = sum(n for n in rowcounts if n and n > 0)
                if affected:
                    print(f"{affected} row{'s' if affected != 1 else ''} affected")
            return None
        if options.out:
            self.namespace[options.out] = frame
        if body is not None:
            self._display(ResultTable(frame, self.display_rows))
            return None
        return frame

    def _display(self, obj) -> None:
        shell = self.shell
        if shell is None:
            print(repr(obj))
            return
        data, metadata = shell.display_formatter.format(obj)
        shell.display_pub.publish(data=data, metadata=metadata)

    @staticmethod
    def _parse_table(name: str, source: str) -> str:
        return name[len(PREFIX) + len(source) + 1:]

    def _connect(self, bind):
        return _transaction(bind, on_error=self._connection_error)

    def _connection_error(self, bind, error: Exception) -> SqlError:
        url = bind.engine.url
        where = url.host or url.database or "memory"
        if url.port:
            where = f"{where}:{url.port}"
        return SqlError(
            f"cannot connect to the {url.get_backend_name()} database at {where}"
            + (f" (database {url.database!r}, user {url.username!r})" if url.host else ""),
            self.mask(_db_message(error)),
        )

    def _parameter_values(self, tokens: list[Token]) -> dict[str, _Parameter]:
        values: dict[str, _Parameter] = {}
        for token in tokens:
            if token.kind != "param" or token.text in values:
                continue
            path = _param_path(token.text)
            if path[0] not in self.namespace:
                raise SqlError(f"name {path[0]!r} is not defined (used as {token.text} in the query)")
            value = self.namespace[path[0]]
            for attr in path[1:]:
                try:
                    value = getattr(value, attr)
                except AttributeError as error:
                    raise SqlError(f"{token.text}: {error}") from None
            key = f"p{len(values)}_{'_'.join(path)}"[:60]
            values[token.text] = _Parameter(key, _python_value(value))
        return values

    def _frame_tables(self, conn, values: dict[str, _Parameter]) -> list[str]:
        """Register DataFrame parameters as temporary tables."""
        import pandas as pd

        temps = []
        for text, parameter in values.items():
            if isinstance(parameter.value, pd.DataFrame):
                name = f"_reactive_{_param_path(text)[0]}_{next(self._temp)}"
                _write_temp_table(conn, name, parameter.value)
                parameter.frame_table = name
                temps.append(name)
        return temps

    def _replace_before_create(self, conn, source: str, events: list[Event], droppable: bool) -> None:
        """``CREATE TABLE t`` where an earlier SQL cell of this session created
        ``t``: the new definition replaces the old one, as assigning a Python
        name does (a rerun of the creating cell must not fail because a cell
        that inserted into the table owns its current value)."""
        for event in events:
            if event.kind != "create" or event.if_exists:
                continue
            name = graph_name(source, event.table)
            previous = self._created.get(name)
            if previous is None or not (previous.droppable or source == DEFAULT):
                continue
            kind = _table_kind(conn, event.table)
            if kind is not None:
                conn.exec_driver_sql(f"DROP {kind} {_quote(conn, event.table)}")

    def _execute(self, conn, statement: Statement, values, number: int, total: int, source: str):
        import sqlalchemy

        sql, binds = _bound_text(conn, statement, values)
        clause = sqlalchemy.text(sql)
        if binds:
            clause = clause.bindparams(*binds)
        try:
            return conn.execute(clause)
        except sqlalchemy.exc.StatementError as error:
            where = f"statement {number} of {total}" if total > 1 else "statement"
            shown = statement.text if len(statement.text) <= 600 else statement.text[:600] + " ..."
            raise SqlError(
                self.mask(_db_message(error)),
                self.mask(f"in {where} ({_source_label(source)}):\n" + _indent(shown)),
            ) from None


class ResultTable:
    """How a query result is shown: the first rows and the row count."""

    def __init__(self, frame, rows: int = 20):
        self.frame = frame
        self.rows = rows

    def _footer(self) -> str:
        n, m = self.frame.shape
        text = f"{n} row{'s' if n != 1 else ''} × {m} column{'s' if m != 1 else ''}"
        if n > self.rows:
            text += f" (first {self.rows} shown)"
        return text

    def _repr_html_(self) -> str:
        head = self.frame.head(self.rows)
        return head.to_html(max_rows=self.rows + 1) + f"<p>{html.escape(self._footer())}</p>"

    def __repr__(self) -> str:
        head = self.frame.head(self.rows)
        return head.to_string(max_rows=self.rows + 1) + "\n" + self._footer()


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def graph_name(source: str, table: str) -> str:
    return f"{PREFIX}{source}:{table}"


def _param_path(text: str) -> list[str]:
    return [part.strip() for part in text.strip("{}").split(".")]


def _source_label(source: str) -> str:
    return "embedded SQLite database" if source == DEFAULT else f"database {source}"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _db_message(error: BaseException) -> str:
    """The database's own message, without SQLAlchemy's decorations."""
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    # SQLAlchemy appends "[SQL: ...]" and a background link; psycopg2 a caret line
    lines = [line for line in lines if not line.startswith(("[SQL:", "[parameters:", "(Background on"))]
    name = type(orig).__name__ if orig is not None else type(error).__name__
    message = "\n".join(lines[:6]) or name
    return f"{name}: {message}" if orig is not None else message


def _python_value(value):
    """Numpy and pandas scalars as plain Python values drivers understand."""
    try:
        import numpy as np
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (pd.Series, pd.Index, np.ndarray)):
        return [_python_value(v) for v in value.tolist()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_python_value(v) for v in value]
    return value


def _bound_text(conn, statement: Statement, values: dict[str, _Parameter]):
    """The statement's SQL for ``text()``: placeholders become bind
    parameters (or temp table names), stray ``:name`` text is escaped."""
    import sqlalchemy

    pieces, last, binds, seen = [], 0, [], set()
    sql = statement.text
    base = statement.tokens[0].start if statement.tokens else 0
    for token in statement.tokens:
        if token.kind != "param":
            continue
        parameter = values[token.text]
        start, end = token.start - base, token.end - base
        pieces.append(_escape_colons(sql[last:start]))
        if parameter.frame_table is not None:
            pieces.append(_quote(conn, parameter.frame_table))
        else:
            pieces.append(f":{parameter.key}")
            if parameter.key not in seen:
                seen.add(parameter.key)
                value = parameter.value
                expanding = isinstance(value, list)
                binds.append(sqlalchemy.bindparam(parameter.key, value, expanding=expanding))
        last = end
    pieces.append(_escape_colons(sql[last:]))
    return "".join(pieces), binds


_TEXT_BIND = re.compile(r"(?<![:\w\\]):(?=\w)")


def _escape_colons(text: str) -> str:
    return _TEXT_BIND.sub(r"\\:", text)


def _quote(conn, table: str) -> str:
    preparer = conn.dialect.identifier_preparer
    return ".".join(preparer.quote_identifier(part) for part in table.split("."))


def _table_kind(bind, table: str) -> str | None:
    """"TABLE", "VIEW" or None when ``table`` does not exist."""
    import sqlalchemy

    schema, _, name = table.rpartition(".")
    inspector = sqlalchemy.inspect(bind)
    schema = schema or None
    if name in inspector.get_view_names(schema=schema):
        return "VIEW"
    if inspector.has_table(name, schema=schema):
        return "TABLE"
    if bind.dialect.name == "sqlite" and schema is None:
        # temporary tables, and names whose case differs
        with _transaction(bind) as conn:
            row = conn.exec_driver_sql(
                "SELECT type FROM sqlite_master WHERE lower(name) = lower(?) "
                "UNION ALL SELECT type FROM sqlite_temp_master WHERE lower(name) = lower(?)",
                (name, name),
            ).first()
        if row is not None and row[0] in ("table", "view"):
            return row[0].upper()
    return None


class _transaction:
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


def _available_driver(url):
    """``postgresql://`` means psycopg (3) to SQLAlchemy 2.1; fall back to
    psycopg2 when only that driver is installed."""
    import importlib.util

    if url.drivername == "postgresql" and importlib.util.find_spec("psycopg") is None:
        if importlib.util.find_spec("psycopg2") is not None:
            return url.set(drivername="postgresql+psycopg2")
    return url


def _frame(result):
    import pandas as pd

    rows = result.fetchall()
    return pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(result.keys()))


def _write_temp_table(conn, name: str, frame) -> None:
    import sqlalchemy as sa

    if any(level is not None for level in frame.index.names):
        frame = frame.reset_index()  # a named index (groupby keys) is data

    columns = []
    for column in frame.columns:
        series = frame[column]
        columns.append(sa.Column(str(column), _sql_type(series)))
    table = sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"])
    table.create(conn)
    keys = [str(c) for c in frame.columns]
    records = []
    for row in frame.itertuples(index=False, name=None):
        records.append({k: (None if _is_missing(v) else _python_value(v)) for k, v in zip(keys, row)})
    if records:
        conn.execute(table.insert(), records)


def _is_missing(value) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


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
        return sa.DateTime()
    sample = next((v for v in series if not _is_missing(v)), None)
    if isinstance(sample, bool):
        return sa.Boolean()
    if isinstance(sample, int):
        return sa.BigInteger()
    if isinstance(sample, float):
        return sa.Float()
    if isinstance(sample, decimal.Decimal):
        return sa.Numeric()
    if isinstance(sample, _dt.datetime):
        return sa.DateTime()
    if isinstance(sample, _dt.date):
        return sa.Date()
    return sa.Text()
