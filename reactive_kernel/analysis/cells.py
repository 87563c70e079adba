"""Static reads, writes and effect candidates of one cell, found with ``ast``.

Analysis is purely static and cached by code.  Whether ``L.pop()`` changes
``L`` depends on what ``L`` holds when the cell runs, so calls are recorded as
*candidates* (:class:`Effect`) that :mod:`reactive_kernel.core.effects` decides
with the namespace.  Function and class bodies are summarised
(:class:`Summary`) so a cell that calls them can take on their reads, their
``global`` writes and their effects on arguments, from its own position.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import ast
# bound at import: a notebook that patches ast.parse must not blind the engine
from ast import parse, iter_child_nodes
from dataclasses import replace
from typing import Callable, Mapping, Optional

from .bindings import BindingForms, bound_names, target_parts
from .calls import calls_of, function_calls
from .names import STORE, Effect, Names, Summary, is_graph_name
from .scopes import (
    Scope, augmented_effects, call_effects, class_header, class_scope, comprehension_scope, dotted, function_header,
    iteration_effects, loop_effects, result_stores, root_of, summarize_class, summarize_function,
)

__all__ = ["CellSyntaxError", "Effect", "MagicAnalyzer", "Names", "Summary", "analyze", "is_graph_name",
           "python_body_magics"]

#: A magic analyzer maps (line, cell body or None) to the names it uses.
MagicAnalyzer = Callable[[str, Optional[str]], Names]


class CellSyntaxError(Exception):
    """The cell does not parse (or cannot be analysed); the graph must not change."""

    def __init__(self, error: BaseException):
        if isinstance(error, SyntaxError):
            message = f"{error.msg} (line {error.lineno})"
        elif isinstance(error, (MemoryError, RecursionError)):
            message = f"{type(error).__name__}: the cell is too deeply nested to analyse"
        else:  # IPython's transformer failed (a user object it asked raised)
            message = f"{type(error).__name__}: {error}"
        super().__init__(message)
        self.error = error


def analyze(code: str, *, magics: Mapping[str, MagicAnalyzer] | None = None) -> Names:
    """Names the (already IPython-transformed) ``code`` reads and writes."""
    try:
        tree = parse(code)
        walker = _TopLevel(magics or {})
        for statement in tree.body:
            walker.statement_binds = set()
            walker.visit(statement)
            if isinstance(statement, _UNCONDITIONAL):
                walker.definite |= walker.statement_binds
        names = walker.result()
        calls = calls_of(tree) + tuple(walker.magic_calls)  # a body magic's calls are the cell's
        functions = {**walker.magic_function_calls, **function_calls(tree)}
        return replace(names, calls=calls, function_calls=functions) if calls or functions else names
    except (SyntaxError, MemoryError, RecursionError) as error:
        raise CellSyntaxError(error) from None


#: Top-level statements whose bindings happen whenever the cell completes
#: (no branch, loop or handler can skip them).
_UNCONDITIONAL = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.ImportFrom,
                  ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


#: the methods IPython's transformer calls for a line magic and a cell magic
_MAGIC_RUNNERS = ("run_line_magic", "run_cell_magic")


def magic_call(node: ast.Call) -> tuple[str, str, str | None] | None:
    """``get_ipython().run_line_magic('sql', line)`` (or ``run_cell_magic``
    with a body) as (magic, line, body or None), when magic and line are
    literal strings: what a magic's analyzer needs."""
    func = node.func
    if not (
        isinstance(func, ast.Attribute)
        and func.attr in _MAGIC_RUNNERS
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "get_ipython"
    ):
        return None
    args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
    if len(args) < 2 or not all(isinstance(a, str) for a in args[:2]):
        return None
    body = args[2] if len(args) > 2 and isinstance(args[2], str) else None
    return args[0], args[1], body


# -- the cell's own scope --------------------------------------------------------------
class _TopLevel(BindingForms):
    """Walks the cell's own scope in execution order.

    A load counts as a read only if the cell has not bound the name before
    it on every path that reaches it (see :meth:`_paths`).
    A function the cell defines reads its free names only when called: calls
    of it inside the cell read them (see ``result``); other cells that call it
    take them on at their own position.
    """

    def __init__(self, magics: Mapping[str, MagicAnalyzer]):
        self.magics = magics
        self.bound: set[str] = set()
        self.reads: set[str] = set()
        self.writes: set[str] = set()
        self.mutated: set[str] = set()
        self.deletes: set[str] = set()
        self.effects: list[Effect] = []
        self.functions: dict[str, Summary] = {}
        #: loads of names the cell bound itself (local calls of its functions)
        self.local_loads: set[str] = set()
        self.bound_before: dict[str, frozenset] = {}
        self._bound_now: frozenset = frozenset()
        self.definite: set[str] = set()
        #: names the cell has bound on some paths to here but maybe not on
        #: this one (in an ``if``, a loop, a ``try``): a load of one reads
        #: the earlier cells' value too
        self.maybe: set[str] = set()
        self.statement_binds: set[str] = set()
        self.imports: set[str] = set()
        #: calls made by the Python bodies of cell magics (``%%time``, ``%%cache``)
        self.magic_calls: list = []
        self.magic_function_calls: dict = {}

    def result(self) -> Names:
        reads, effects = self._local_calls()
        keep = is_graph_name
        return Names(
            reads=frozenset(filter(keep, reads)),
            writes=frozenset(filter(keep, self.writes | self.mutated)),
            mutations=frozenset(filter(keep, self.mutated - self.bound)),
            effects=tuple(e for e in dict.fromkeys(effects) if keep(e.root)),
            functions=self.functions,
            deletes=frozenset(self.deletes),
            bound_before={n: b for n, b in self.bound_before.items() if b},
            definite=frozenset(filter(keep, self.definite)),
            imports=frozenset(filter(keep, self.imports)),
        )

    def _local_calls(self) -> tuple[set[str], list[Effect]]:
        """The cell's reads and effects with those of the functions it defines
        and calls itself: they run now, reading the free names the cell does
        not bind; the globals they write are the cell's writes."""
        reads = set(self.reads)
        effects = list(self.effects)
        pending, seen = list(self.local_loads), set()
        while pending:
            name = pending.pop()
            summary = self.functions.get(name)
            if summary is None or name in seen:
                continue
            seen.add(name)
            for free in summary.reads:
                if free in self.functions:
                    pending.append(free)
                elif free not in self.bound:
                    reads.add(free)
            for bound in summary.binds:
                self.writes.add(bound)
            effects.extend(e for e in summary.effects if e.root not in summary.params)
        return reads, effects

    # -- primitive effects -------------------------------------------------
    def _load(self, name: str) -> None:
        if name not in self.bound or name in self.maybe:
            if name not in self.reads:
                self.reads.add(name)
                if len(self._bound_now) != len(self.bound):
                    self._bound_now = frozenset(self.bound)
                self.bound_before[name] = self._bound_now
        if name in self.bound:
            self.local_loads.add(name)

    def _bind(self, name: str) -> None:
        self.statement_binds.add(name)
        self.maybe.discard(name)
        self.bound.add(name)
        self.writes.add(name)
        self.deletes.discard(name)
        self.functions.pop(name, None)

    def _effect(self, effect: Effect) -> None:
        # one on a name the cell bound is judged by the object it holds (core.effects)
        self.effects.append(effect)
        if effect.root in self.bound and effect.root in self.functions:
            self.local_loads.add(effect.root)

    def _store_through(self, node: ast.AST) -> None:
        root, _ = root_of(node)
        if root is not None and root not in self.bound:
            self._load(root)
            self.mutated.add(root)
        elif root is not None:  # the cell's name may hold another cell's object
            self.effects.append(Effect(STORE, root))
        else:
            self.effects.extend(result_stores(node))

    def _immediate(self, scope: Scope) -> None:
        """A nested scope that runs now (comprehension, class body)."""
        for name in scope.free():
            self._load(name)
        for name in scope.walrus | scope.global_writes:
            self._bind(name)
        for effect in scope.outer_effects():
            self._effect(effect)

    def _target(self, node: ast.AST) -> None:
        for part in target_parts(node):
            if isinstance(part, ast.Name):
                self._bind(part.id)
            else:  # attribute or subscript: loads inside, mutation of the base
                self.visit(part)
                self._store_through(part)

    # -- expressions -------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node.id)
        else:
            self._target(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind_all(node)

    def _bind_all(self, node: ast.AST) -> None:
        for name in bound_names(node):
            self._bind(name)

    def _define(self, node) -> Summary:
        """Header now, body later: its free names are read when it is called."""
        for part in function_header(node):
            self.visit(part)
        return summarize_function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        summary = self._define(node)
        # a lambda used in place (``map(lambda v: v + k, xs)``) may run now
        for name in summary.reads:
            self._load(name)

    def _visit_comprehension(self, node: ast.AST) -> None:
        first = node.generators[0].iter
        for effect in iteration_effects(first):
            self._effect(effect)
        self.visit(first)
        self._immediate(comprehension_scope(node))

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _visit_comprehension

    def visit_Call(self, node: ast.Call) -> None:
        self._magic(node)
        for effect in call_effects(node):
            self._effect(effect)
        self.generic_visit(node)

    def _magic(self, node: ast.Call) -> None:
        """A magic's names come from its analyzer, if it has one."""
        call = magic_call(node)
        analyzer = self.magics.get(call[0]) if call else None
        if analyzer is not None:
            self._take_magic(analyzer(*call[1:]))

    def _take_magic(self, names: Names) -> None:
        for name in names.reads:
            self._load(name)
        for name in names.writes - names.mutations:
            self._bind(name)
            self.definite.add(name)  # what a magic writes exists only if it ran
        for name in names.mutations:
            self._load(name)
            self.mutated.add(name)
        for effect in names.effects:
            self._effect(effect)
        for name, summary in names.functions.items():
            self.functions[name] = summary
        self.magic_calls.extend(names.calls)
        self.magic_function_calls.update(names.function_calls)

    # -- statements --------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        named_lambda = isinstance(node.value, ast.Lambda)
        summary = self._define(node.value) if named_lambda else self.visit(node.value)
        for target in node.targets:
            self._target(target)
        if named_lambda:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.functions[target.id] = summary

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._load(node.target.id)
            for effect in augmented_effects(node):
                self._effect(effect)
            self._bind(node.target.id)
        else:
            self._target(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            self._target(node.target)

    # -- paths: what only some of them bind may be unbound after -----------
    def _paths(self, *paths: Callable[[], None]) -> None:
        """Alternative paths through a statement, one of which runs: a name
        bound on every one of them is bound after it, one bound on some only
        may not be (a load of it then also reads the earlier cells' value).
        On each path, what the others bound is not bound yet."""
        definite_before = self.bound - self.maybe
        maybe_before = set(self.maybe)
        after = None
        for path in paths:
            self.maybe = maybe_before | (self.bound - definite_before)
            path()
            here = self.bound - self.maybe
            after = here if after is None else after & here
        self.maybe = self.bound - after

    def _visiting(self, nodes: list[ast.AST]) -> Callable[[], None]:
        """The path that visits ``nodes`` in order (none: the path that skips
        a body, as a loop that runs no time or a ``case`` that matches nothing)."""
        def path() -> None:
            for node in nodes:
                self.visit(node)
        return path

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        self._paths(self._visiting(node.body), self._visiting(node.orelse))

    def visit_While(self, node: ast.While) -> None:
        self.visit(node.test)
        self._paths(self._visiting(node.body + node.orelse), self._visiting([]))

    def visit_Try(self, node: ast.Try) -> None:
        """The body and its ``else`` complete, or a handler runs after part
        of the body did (or the error ends the cell); ``finally`` always runs."""
        self._paths(self._visiting(node.body + node.orelse), *(self._visiting([h]) for h in node.handlers))
        for statement in node.finalbody:
            self.visit(statement)

    visit_TryStar = visit_Try

    def visit_Match(self, node: ast.Match) -> None:
        self.visit(node.subject)
        cases = (self._visiting([c.pattern, *([c.guard] if c.guard is not None else []), *c.body])
                 for c in node.cases)
        self._paths(*cases, self._visiting([]))

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        for effect in iteration_effects(node.iter):
            self._effect(effect)
        self.visit(node.iter)

        def loop() -> None:
            self._target(node.target)
            for statement in node.body + node.orelse:
                self.visit(statement)

        self._paths(loop, self._visiting([]))
        for effect in loop_effects(node):
            self._effect(effect)

    visit_AsyncFor = visit_For

    def visit_withitem(self, node: ast.withitem) -> None:
        self.visit(node.context_expr)
        if node.optional_vars is not None:
            self._target(node.optional_vars)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._load(target.id)
                self.writes.add(target.id)
                self.bound.discard(target.id)
                self.maybe.discard(target.id)
                self.deletes.add(target.id)
            else:
                self._target(target)

    def visit_binding_form(self, node: ast.AST) -> None:
        """Its expressions and patterns are evaluated before it binds; an
        ``except``'s body runs after."""
        children = list(iter_child_nodes(node))
        for child in children:
            if not isinstance(child, ast.stmt):
                self.visit(child)
        self._bind_all(node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.imports.update(bound_names(node))
        for child in children:
            if isinstance(child, ast.stmt):
                self.visit(child)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        summary = self._define(node)
        if any(_caching(decorator) for decorator in node.decorator_list):
            # its results are computed once, from the globals as they are
            # then: the cache is fresh only when the definition reruns
            for name in summary.reads:
                self._load(name)
        self._bind_all(node)
        self.functions[node.name] = summary

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for part in class_header(node):
            self.visit(part)
        scope = class_scope(node)
        # the class body runs now; its methods' bodies run when called
        for name in scope.free_now():
            self._load(name)
        for name in scope.walrus:
            self._bind(name)
        self._bind_all(node)
        self.functions[node.name] = summarize_class(node, scope)


#: decorators that keep a function's results (``@lru_cache``, ``@functools.cache``)
CACHING_DECORATORS = frozenset({("lru_cache",), ("cache",), ("functools", "lru_cache"), ("functools", "cache")})


def _caching(decorator: ast.AST) -> bool:
    """``@lru_cache``, ``@lru_cache(maxsize=None)``, ``@functools.cache``..."""
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    return dotted(decorator) in CACHING_DECORATORS


def python_body_magics() -> dict[str, MagicAnalyzer]:
    """Cell magics whose body is Python run in the user namespace."""

    def body(line: str, cell: str | None) -> Names:
        return analyze(cell or line) if (cell or line).strip() else Names()

    def capture(line: str, cell: str | None) -> Names:
        inner = body("", cell)
        target = line.split()[0] if line.split() and line.split()[0].isidentifier() else None
        return Names(inner.reads, inner.writes | ({target} if target else set()), inner.mutations,
                     inner.effects, inner.functions)

    #: ``%%cache`` runs its body as it is; the kernel stores and serves its result (jupyter/cache.py)
    return {"time": body, "capture": capture, "cache": body}
