"""Python's binding forms, encoded once: which nodes bind which names.

Both walkers of a cell, its own scope (:mod:`.cells`) and the nested scopes
(:mod:`.scopes`), learn here what a node binds; they differ only in what a
binding means to them (a write of the cell, a local of a function).
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import ast
from typing import Iterator

#: binding forms that spell the one name they bind, and the field holding it
#: (imports bind several: see :func:`bound_names`)
_NAME_FIELD = {
    ast.FunctionDef: "name", ast.AsyncFunctionDef: "name", ast.ClassDef: "name",
    ast.ExceptHandler: "name", ast.MatchAs: "name", ast.MatchStar: "name",
    ast.MatchMapping: "rest",
}


def bound_names(node: ast.AST) -> tuple[str, ...]:
    """The names ``node`` binds by spelling them rather than through an
    ``ast.Name`` target: ``import a.b`` binds ``a``, ``except E as e`` binds
    ``e``, ``case {**rest}`` binds ``rest``, ``(n := v)`` binds ``n``."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return tuple(alias.asname or alias.name.split(".")[0] for alias in node.names if alias.name != "*")
    if isinstance(node, ast.NamedExpr):
        return (node.target.id,)
    field = _NAME_FIELD.get(type(node))
    name = getattr(node, field) if field else None
    return (name,) if name else ()


def target_parts(target: ast.AST) -> Iterator[ast.AST]:
    """An assignment target's parts in the order Python assigns them
    (``a, (b.x, *c[0]) = ...``): a name is bound; an attribute or subscript
    stores into the object its root names."""
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from target_parts(element)
    elif isinstance(target, ast.Starred):
        yield from target_parts(target.value)
    else:
        yield target


class BindingForms(ast.NodeVisitor):
    """A walker that meets every statement or pattern binding names it spells
    (imports, ``except ... as``, match captures) in one method, so the list of
    those forms lives here and not in each walker."""

    def visit_binding_form(self, node: ast.AST) -> None:
        raise NotImplementedError(f"{type(self).__name__} must say what a binding form does")

    def _binding_form(self, node: ast.AST) -> None:
        self.visit_binding_form(node)

    visit_Import = visit_ImportFrom = visit_ExceptHandler = _binding_form
    visit_MatchAs = visit_MatchStar = visit_MatchMapping = _binding_form
