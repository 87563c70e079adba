"""Python's binding forms, as the one table both scope walkers use."""
from __future__ import annotations

import ast

import pytest

from reactive_kernel.analysis.bindings import BindingForms, bound_names, target_parts


def first(code: str, kind: type) -> ast.AST:
    return next(node for node in ast.walk(ast.parse(code)) if isinstance(node, kind))


@pytest.mark.parametrize("code, kind, names", [
    ("import a.b", ast.Import, ("a",)),
    ("import a.b as c, d", ast.Import, ("c", "d")),
    ("from m import x as y, z", ast.ImportFrom, ("y", "z")),
    ("from m import *", ast.ImportFrom, ()),
    ("def f(): pass", ast.FunctionDef, ("f",)),
    ("async def g(): pass", ast.AsyncFunctionDef, ("g",)),
    ("class C: pass", ast.ClassDef, ("C",)),
    ("try:\n    pass\nexcept E as e:\n    pass\n", ast.ExceptHandler, ("e",)),
    ("try:\n    pass\nexcept E:\n    pass\n", ast.ExceptHandler, ()),
    ("match v:\n    case [1, *rest]: pass\n", ast.MatchStar, ("rest",)),
    ("match v:\n    case [*_]: pass\n", ast.MatchStar, ()),
    ("match v:\n    case (1 | 2) as n: pass\n", ast.MatchAs, ("n",)),
    ("match v:\n    case {'k': 1, **others}: pass\n", ast.MatchMapping, ("others",)),
    ("(n := 1)", ast.NamedExpr, ("n",)),
    ("x = 1", ast.Assign, ()),
])
def test_bound_names(code, kind, names):
    assert bound_names(first(code, kind)) == names


def test_target_parts_are_in_assignment_order():
    target = ast.parse("a, (b.x, *c[0]), [*d] = v").body[0].targets[0]
    parts = [ast.unparse(part) for part in target_parts(target)]
    assert parts == ["a", "b.x", "c[0]", "d"]


def test_every_binding_form_reaches_one_method():
    class Collect(BindingForms):
        def __init__(self):
            self.met: list[str] = []

        def visit_binding_form(self, node):
            self.met.append(type(node).__name__)
            self.generic_visit(node)

    code = ("import a\nfrom b import c\ntry:\n    pass\nexcept E as e:\n    pass\n"
            "match v:\n    case {'k': [*r]} as m: pass\n")
    walker = Collect()
    walker.visit(ast.parse(code))
    assert walker.met == ["Import", "ImportFrom", "ExceptHandler", "MatchAs", "MatchMapping", "MatchStar"]
