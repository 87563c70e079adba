"""The ``%sql`` / ``%%sql`` line: options parsed by IPython's magic_arguments.

The line magic's query follows its options; JupySQL's ``NAME << SELECT ...``
(on the line or at the start of the body) is ``-o NAME``.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import re
from dataclasses import dataclass, field

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .errors import SqlUsageError

USAGE = ("usage: %%sql [-o NAME] [--engine SOURCE] [--drop] [--save NAME [--no-execute]] [--with NAME]"
         "   or   NAME = %sql [options] QUERY")

_ASSIGN = re.compile(r"\s*([A-Za-z_]\w*)\s*<<")
_WORD = re.compile(r"""(?:'[^']*'|"[^"]*"|[^\s'"]+|['"])+""")


@magic_arguments()
@argument("-o", "--out", "--output", dest="out", help="write the result (a DataFrame) to this variable")
@argument("--engine", help="a variable holding a SQLAlchemy Engine, Connection or URL, or a URL")
@argument("--drop", action="store_true", help="let clean reruns drop the tables the cell created")
@argument("--save", help="save the query as a snippet other cells use with --with")
@argument("--no-execute", dest="no_execute", action="store_true", help="with --save: save only")
@argument("--with", dest="with_", action="append", default=[], help="a saved snippet the query uses")
def sql(line: str, cell: str = ""):
    """Run SQL; its tables, {name} values and snippets take part in the graph."""


@dataclass
class Options:
    out: str | None = None
    engine: str | None = None  # None: the embedded database
    drop: bool = False
    save: str | None = None
    no_execute: bool = False
    snippets: list[str] = field(default_factory=list)
    query: str = ""

    @property
    def engine_is_url(self) -> bool:
        return self.engine is not None and "://" in self.engine

    @property
    def engine_variable(self) -> str | None:
        return self.engine if self.engine is not None and not self.engine_is_url else None


def parse_options(line: str, body: str | None) -> Options:
    """The options of a magic call; raises SqlUsageError on bad ones."""
    split = _option_end(line)
    try:
        args = parse_argstring(sql, line[:split])
    except (UsageError, ValueError) as error:  # ValueError: shlex on an unclosed quote
        raise SqlUsageError(f"{error}. {USAGE}") from None
    rest = line[split:].strip()
    options = Options(drop=args.drop, save=args.save, no_execute=args.no_execute, snippets=list(args.with_))
    options.out = _unquote(args.out) if args.out is not None else None
    assigned = _ASSIGN.match(rest)
    if assigned:
        rest = rest[assigned.end():].strip()
    if body is None:
        options.query = rest
    else:
        if rest:
            raise SqlUsageError(f"unexpected {rest!r} on the %%sql line. {USAGE}")
        options.query = body
        if not assigned:
            assigned = _ASSIGN.match(body)
            if assigned:
                options.query = body[assigned.end():]
    if assigned:
        if options.out is not None:
            raise SqlUsageError(f"both -o {options.out} and {assigned.group(1)} << given; keep one")
        options.out = assigned.group(1)
    if options.out is not None and not options.out.isidentifier():
        raise SqlUsageError(f"-o {options.out!r}: the output must be a Python variable name")
    for name in [options.save, *options.snippets]:
        if name is not None and not _unquote(name).isidentifier():
            raise SqlUsageError(f"snippet {name!r}: a snippet's name must be a SQL identifier")
    if args.engine is not None:
        engine = _unquote(args.engine)
        if engine.startswith("{") and engine.endswith("}"):
            engine = engine[1:-1].strip()
        if not ("://" in engine or engine.isidentifier()):
            raise SqlUsageError(f"--engine {engine!r}: give a Python variable name or a database URL")
        options.engine = engine
    if options.no_execute and not options.save:
        raise SqlUsageError(f"--no-execute only goes with --save NAME. {USAGE}")
    return options


def _option_end(line: str) -> int:
    """Where the options end and the line magic's query (or ``NAME <<``) begins."""
    takes_value = {s: a.nargs != 0 for a in sql.parser._actions for s in a.option_strings}
    words = list(_WORD.finditer(line))
    i = 0
    while i < len(words):
        word = words[i].group()
        if not word.startswith("-"):
            return words[i].start()
        flag, equals, _ = word.partition("=")
        i += 2 if takes_value.get(flag) and not equals else 1
    return len(line)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
        return value[1:-1]
    return value
