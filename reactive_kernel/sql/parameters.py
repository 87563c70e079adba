"""Python values in a query: ``{name}`` / ``{name.attr}`` and ``:name`` are
graph reads whose values are sent as bound parameters, never pasted into the
SQL text.  A list, tuple or set expands (``id IN {ids}``); a DataFrame is a
table for the cell (see :mod:`.frames`).  ``{{name}}`` is JupySQL's template
syntax: it gets a message saying what to write instead.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import SqlError, SqlUsageError
from .tables import STANDIN, Statement

_BRACES = re.compile(r"\{[ \t]*([A-Za-z_]\w*(?:[ \t]*\.[ \t]*[A-Za-z_]\w*)*)[ \t]*\}")
_TEMPLATE = re.compile(r"\{\{[ \t]*([A-Za-z_][\w.]*)[ \t]*\}\}")
#: characters after which ``:x`` is no parameter (``a[1:n]``, ``x:y`` paths)
_NOT_BEFORE_COLON = set("_])}'\"`[") | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
#: tokens whose text can never be a placeholder's name
_LITERALS = {"STRING", "IDENTIFIER", "NUMBER", "HEREDOC_STRING", "NATIONAL_STRING", "BIT_STRING",
             "HEX_STRING", "BYTE_STRING", "RAW_STRING", "UNICODE_STRING"}


@dataclass(frozen=True)
class Placeholder:
    """``{a.b}``, ``:a`` or ``{{a}}`` at ``start:end`` of its statement's text."""

    text: str
    path: tuple[str, ...]
    start: int
    end: int
    template: bool = False  # JupySQL's {{name}}


@dataclass
class Parameter:
    key: str
    value: Any
    #: a DataFrame's table name for this cell, once loaded
    table: str | None = None
    frame: Any = field(default=None, repr=False)


def placeholders(statement: Statement) -> list[Placeholder]:
    """Placeholders of a statement, from its tokens (strings, quoted names and
    comments are never placeholders)."""
    text, base, tokens = statement.text, statement.start, statement.tokens
    found: list[Placeholder] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        kind = token.token_type.name
        start = token.start - base
        if kind == "L_BRACE":
            match = _TEMPLATE.match(text, start) or _BRACES.match(text, start)
            if match:  # the pattern admits only names, dots and blanks inside
                path = tuple(p.strip() for p in match.group(1).split("."))
                found.append(Placeholder(match.group(), path, start, match.end(),
                                         template=match.re is _TEMPLATE))
                while i < len(tokens) and tokens[i].end < base + match.end():
                    i += 1
        elif kind == "COLON" and i + 1 < len(tokens):
            name = tokens[i + 1]
            adjacent = name.start == token.end + 1
            before = text[start - 1] if start > 0 else " "
            if (adjacent and name.token_type.name not in _LITERALS and name.text.isidentifier()
                    and before not in _NOT_BEFORE_COLON and before != ":"):
                found.append(Placeholder(":" + name.text, (name.text,), start, start + 1 + len(name.text)))
                i += 1
        i += 1
    return found


def standin_text(statement: Statement, found: list[Placeholder]) -> str:
    """The statement with each placeholder replaced by an identifier, for parsing."""
    pieces, last = [], 0
    for number, placeholder in enumerate(found):
        pieces += [statement.text[last:placeholder.start], f"{STANDIN}{number}"]
        last = placeholder.end
    return "".join(pieces) + statement.text[last:]


def values(found: list[Placeholder], namespace) -> dict[tuple, Parameter]:
    """The value of each placeholder's path, looked up once per cell run."""
    result: dict[tuple, Parameter] = {}
    for placeholder in found:
        if placeholder.template:
            name = placeholder.path[0]
            raise SqlUsageError(
                f"{placeholder.text} is JupySQL's template syntax; write {{{name}}} (or :{name}) "
                f"to send the value of {name} as a bound parameter"
            )
        if placeholder.path in result:
            continue
        root = placeholder.path[0]
        if root not in namespace:
            raise SqlError(f"name {root!r} is not defined (used as {placeholder.text} in the query)")
        value = namespace[root]
        for attr in placeholder.path[1:]:
            try:
                value = getattr(value, attr)
            except AttributeError as error:
                raise SqlError(f"{placeholder.text}: {error}") from None
        key = f"p{len(result)}_{'_'.join(placeholder.path)}"[:60]
        result[placeholder.path] = Parameter(key, python_value(value))
    return result


def bound_text(statement: Statement, found: list[Placeholder], parameters: dict[tuple, Parameter], quote):
    """The statement's SQL for SQLAlchemy's ``text()``: placeholders become
    bind parameters (or a frame's table name), stray ``:name`` is escaped."""
    import sqlalchemy

    pieces, last, binds, seen = [], 0, [], set()
    for placeholder in found:
        parameter = parameters[placeholder.path]
        pieces.append(_escape_colons(statement.text[last:placeholder.start]))
        if parameter.table is not None:
            pieces.append(quote(parameter.table))
        else:
            pieces.append(f":{parameter.key}")
            if parameter.key not in seen:
                seen.add(parameter.key)
                expanding = isinstance(parameter.value, list)
                binds.append(sqlalchemy.bindparam(parameter.key, parameter.value, expanding=expanding))
        last = placeholder.end
    pieces.append(_escape_colons(statement.text[last:]))
    return "".join(pieces), binds


_TEXT_BIND = re.compile(r"(?<![:\w\\]):(?=\w)")


def _escape_colons(text: str) -> str:
    return _TEXT_BIND.sub(r"\\:", text)


def python_value(value):
    """Numpy and pandas scalars as plain Python values drivers understand."""
    module = type(value).__module__.split(".")[0]
    if module not in ("numpy", "pandas") and not isinstance(value, (list, tuple, set, frozenset)):
        return value
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (pd.Series, pd.Index, np.ndarray)):
        return [python_value(v) for v in value.tolist()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [python_value(v) for v in value]
    return value
