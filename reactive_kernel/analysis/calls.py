"""The calls a cell makes itself, with the arguments that may name a file.

Whether a call touches state outside the namespace (a file, the global
random generator) depends on what the callee is when the cell runs
(``np`` may be anything), so analysis only records each call's callee
path, the receiver of a method call, and its arguments that are literal
strings or names; :mod:`reactive_kernel.core.resources` decides with the
namespace.  Calls inside ``def`` and ``lambda`` bodies run only when called
and are not the cell's own.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import ast
from ast import walk  # bound at import, as in .cells
from typing import NamedTuple

from .scopes import dotted

#: an argument: ("str", text) for a literal string, ("name", identifier)
#: for a name, ("path", text) for ``Path('text')`` / ``pathlib.Path('text')``;
#: a receiver may also be ("new", callee, keywords given) for an object made
#: in place (``DecisionTreeClassifier(max_depth=2).fit(X, y)``)
Argument = tuple


class Call(NamedTuple):
    """One call: ``callee`` as a dotted path from a name (``('np', 'random',
    'rand')``), or None when the callee is reached through an expression
    (``Path('x').write_text``, ``df.iloc[0].to_csv``), then ``method`` and
    ``receiver`` (an :data:`Argument`, or None) describe it."""

    callee: tuple[str, ...] | None
    method: str | None
    receiver: Argument | None
    args: tuple[tuple[int | str, Argument], ...]
    #: how many arguments it gives by position (None: unknown, ``*args``),
    #: and whether it passes ``**kwargs``
    positional: int | None = 0
    spread: bool = False


def _argument(node: ast.AST) -> Argument | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return ("str", node.value)
    if isinstance(node, ast.Name):
        return ("name", node.id)
    if (isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords
            and dotted(node.func) in (("Path",), ("pathlib", "Path"))
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return ("path", node.args[0].value)
    return None


def _call(node: ast.Call) -> Call:
    callee = dotted(node.func)
    method = receiver = None
    if callee is None and isinstance(node.func, ast.Attribute):
        method, receiver = node.func.attr, _argument(node.func.value)
        made = node.func.value
        if receiver is None and isinstance(made, ast.Call) and dotted(made.func) is not None:
            receiver = ("new", dotted(made.func), tuple(k.arg for k in made.keywords if k.arg))
    args = []
    for position, arg in enumerate(node.args):
        if isinstance(arg, ast.Starred):
            break  # positions after a starred argument are unknown
        found = _argument(arg)
        if found is not None:
            args.append((position, found))
    for keyword in node.keywords:
        found = _argument(keyword.value) if keyword.arg is not None else None
        if found is not None:
            args.append((keyword.arg, found))
        elif keyword.arg is not None:
            args.append((keyword.arg, ("other", None)))  # given, though not known
    starred = any(isinstance(arg, ast.Starred) for arg in node.args)
    return Call(callee, method, receiver, tuple(args), None if starred else len(node.args),
                any(keyword.arg is None for keyword in node.keywords))


class _Calls(ast.NodeVisitor):
    def __init__(self) -> None:
        self.calls: list[Call] = []

    def visit_Call(self, node: ast.Call) -> None:
        self.calls.append(_call(node))
        self.generic_visit(node)

    def _skip(self, node: ast.AST) -> None:
        """A function body runs when it is called: only its defaults and
        decorators run now."""
        for default in getattr(node.args, "defaults", ()) + getattr(node.args, "kw_defaults", ()):
            if default is not None:
                self.visit(default)
        for decorator in getattr(node, "decorator_list", ()):
            self.visit(decorator)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _skip


def calls_of(tree: ast.AST) -> tuple[Call, ...]:
    """The calls the cell's own code makes, in source order."""
    walker = _Calls()
    walker.visit(tree)
    return tuple(walker.calls)


def function_calls(tree: ast.Module) -> dict[str, tuple[Call, ...]]:
    """The calls each function the cell defines at top level makes when it
    runs (its body; functions nested in it run when it calls them, so they
    count as its own): a cell calling ``load()`` reads the file ``load``
    reads.  A class's methods are under ``Class.method``, each one even
    when it calls nothing (it hides a base class's method of that name)."""
    found = {}
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            calls = _body_calls(statement)
            if calls:
                found[statement.name] = calls
        elif isinstance(statement, ast.ClassDef):
            for method in statement.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[f"{statement.name}.{method.name}"] = _body_calls(method)
    return found


def _body_calls(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Call, ...]:
    return tuple(_call(node) for part in function.body for node in walk(part) if isinstance(node, ast.Call))


def bind_arguments(calls: tuple[Call, ...], params: tuple[str, ...], positional: int,
                   given: tuple[tuple[int | str, Argument], ...]) -> tuple[Call, ...]:
    """A function's calls as one call of it makes them: each parameter the
    caller gives as a literal or a name (``given``, that call's ``args``)
    stands for that argument (``open(path, 'a')`` in ``log('a.txt', s)``
    opens ``a.txt``; ``d.sample(2)`` in ``pick(df)`` samples ``df``)."""
    bound: dict[str, Argument] = {}
    for key, argument in given:
        param = params[key] if isinstance(key, int) and key < positional else key
        if type(param) is str and param in params and argument[0] != "other":
            bound[param] = argument
    if not bound:
        return calls

    def put(argument: Argument | None) -> Argument | None:
        return bound.get(argument[1], argument) if argument is not None and argument[0] == "name" else argument

    def callee(path: tuple[str, ...] | None) -> tuple[str, ...] | None:
        given_as = bound.get(path[0]) if path else None
        return (given_as[1], *path[1:]) if given_as is not None and given_as[0] == "name" else path

    return tuple(c._replace(callee=callee(c.callee), receiver=put(c.receiver), args=tuple((k, put(a)) for k, a in c.args))
                 for c in calls)


#: calls that read every name of the namespace: with no argument, ``dir()``
#: and ``vars()`` list the caller's names; ``%who`` and friends are magics
NAMESPACE_READERS = frozenset({("globals",), ("locals",), ("dir",), ("vars",)})
NAMESPACE_MAGICS = frozenset({"who", "whos", "who_ls"})


def reads_every_name(calls: tuple[Call, ...]) -> bool:
    """Whether the cell looks at the whole namespace (``'z' in globals()``):
    then every name only a later cell binds must be hidden from it."""
    for call in calls:
        if call.callee in NAMESPACE_READERS and not (call.callee[0] in ("dir", "vars") and call.args):
            return True
        if call.method == "run_line_magic" and call.args and call.args[0][1][1] in NAMESPACE_MAGICS:
            return True
    return False
