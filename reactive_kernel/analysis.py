"""Static reads and writes of one cell, found with ``ast``.

The analysis is deliberately conservative in one direction: a name the cell
might use from the namespace is a read.  A spurious read costs at most one
extra rerun; a missed read lets an outdated value pass for current.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

#: IPython's output history and shell handles: bound by IPython, never by cells.
_SHELL_NAME = re.compile(r"^(_+|_i+|_i\d+|_\d+|_ih|_oh|_dh|In|Out|get_ipython|exit|quit|__\w+__)$")


def is_graph_name(name: str) -> bool:
    """Whether a namespace name takes part in the dependency graph
    (module dunders such as ``__builtins__`` and IPython's history do not)."""
    return not _SHELL_NAME.match(name)


@dataclass(frozen=True)
class Names:
    """What a cell (or a magic inside it) reads and writes."""

    reads: frozenset = frozenset()
    writes: frozenset = frozenset()
    #: Written names the cell changes in place instead of binding
    #: (``lst.append(1)``): read + write, but never removed on a clean rerun.
    mutations: frozenset = frozenset()
    #: Reads that happen only when a function (or lambda) the cell defines is
    #: called: whoever calls it reads them then, from its own position.
    deferred: frozenset = frozenset()

    @property
    def bindings(self) -> frozenset:
        return self.writes - self.mutations


#: A magic analyzer maps (line, cell body or None) to the names it uses.
MagicAnalyzer = Callable[[str, Optional[str]], Names]


class CellSyntaxError(Exception):
    """The cell does not parse; the graph must not change."""

    def __init__(self, error: SyntaxError):
        super().__init__(f"{error.msg} (line {error.lineno})")
        self.error = error


def analyze(
    code: str,
    *,
    magics: Mapping[str, MagicAnalyzer] | None = None,
    is_module: Callable[[str], bool] = lambda name: False,
) -> Names:
    """Names the (already IPython-transformed) ``code`` reads and writes.

    ``is_module`` lets the caller exempt module objects from the method-call
    mutation rule: ``plt.plot(x)`` or ``np.random.seed(0)`` do not make a
    cell a new writer of ``plt`` or ``np``.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        raise CellSyntaxError(error) from None
    walker = _TopLevel(magics or {}, is_module)
    for statement in tree.body:
        walker.visit(statement)
    return walker.result()


def _base_name(node: ast.AST) -> str | None:
    """The name at the root of ``a.b[c].d``; None when the chain passes a call."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _parameters(args: ast.arguments) -> set[str]:
    every = args.posonlyargs + args.args + args.kwonlyargs
    names = {a.arg for a in every}
    names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    return names


def _function_header(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[ast.AST]:
    """Parts evaluated when the function is defined, in the enclosing scope."""
    args = node.args
    parts: list[ast.AST] = list(args.defaults) + [d for d in args.kw_defaults if d is not None]
    if not isinstance(node, ast.Lambda):
        parts = list(node.decorator_list) + parts
        every = args.posonlyargs + args.args + args.kwonlyargs + [
            a for a in (args.vararg, args.kwarg) if a is not None
        ]
        parts += [a.annotation for a in every if a.annotation is not None]
        if node.returns is not None:
            parts.append(node.returns)
    return parts


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class _Scope(ast.NodeVisitor):
    """Loads and bindings of one nested scope, nested scopes folded in.

    Used for function bodies, lambdas, class bodies and comprehensions: their
    free names are what they take from the cell's namespace.
    """

    def __init__(self, comprehension: bool = False, klass: bool = False):
        self.loads: set[str] = set()
        self.stores: set[str] = set()
        self.globals: set[str] = set()
        self.global_writes: set[str] = set()
        #: walrus targets of a comprehension bind in the enclosing scope
        self.walrus: set[str] = set()
        #: free names of scopes nested in a class body: Python resolves them
        #: past the class's own names, in the enclosing scope
        self.beyond: set[str] = set()
        self._comprehension = comprehension
        self._class = klass

    def free(self) -> set[str]:
        return (self.loads - (self.stores - self.globals) - self.walrus) | self.beyond

    def visit_Name(self, node: ast.Name) -> None:
        (self.loads if isinstance(node.ctx, ast.Load) else self.stores).add(node.id)
        if isinstance(node.ctx, ast.Del):
            self.loads.add(node.id)

    def visit_Global(self, node: ast.Global) -> None:
        self.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.stores.update(node.names)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.stores.add(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.stores.add(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.stores.add(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.stores.add(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.stores.add(node.rest)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        (self.walrus if self._comprehension else self.stores).add(node.target.id)

    def _fold(self, inner: "_Scope") -> None:
        (self.beyond if self._class else self.loads).update(inner.free())
        self.global_writes |= inner.global_writes | (inner.stores & inner.globals)
        self.stores |= inner.walrus

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for part in _function_header(node):
            self.visit(part)
        self.stores.add(node.name)
        self._fold(function_scope(node))

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for part in _function_header(node):
            self.visit(part)
        self._fold(function_scope(node))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for part in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(part)
        self.stores.add(node.name)
        self._fold(class_scope(node))

    def _visit_comprehension(self, node: ast.AST) -> None:
        self.visit(node.generators[0].iter)
        self._fold(comprehension_scope(node))

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _visit_comprehension


def function_scope(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> _Scope:
    scope = _Scope()
    scope.stores |= _parameters(node.args)
    body = node.body if isinstance(node.body, list) else [node.body]
    for statement in body:
        scope.visit(statement)
    return scope


def class_scope(node: ast.ClassDef) -> _Scope:
    scope = _Scope(klass=True)
    for statement in node.body:
        scope.visit(statement)
    return scope


def comprehension_scope(node: ast.AST) -> _Scope:
    scope = _Scope(comprehension=True)
    first, *rest = node.generators
    scope.visit(first.target)
    for condition in first.ifs:
        scope.visit(condition)
    for generator in rest:
        scope.visit(generator.iter)
        scope.visit(generator.target)
        for condition in generator.ifs:
            scope.visit(condition)
    elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    for element in elements:
        scope.visit(element)
    return scope


class _TopLevel(ast.NodeVisitor):
    """Walks the cell's own scope in execution order.

    A load counts as a read only if the cell has not bound the name before it;
    names used inside function bodies count unless the cell binds them anywhere,
    since the body runs later.
    """

    def __init__(self, magics: Mapping[str, MagicAnalyzer], is_module: Callable[[str], bool]):
        self.magics = magics
        self.is_module = is_module
        self.bound: set[str] = set()
        self.reads: set[str] = set()
        self.writes: set[str] = set()
        self.mutated: set[str] = set()
        self.deferred: set[str] = set()

    def result(self) -> Names:
        reads = self.reads | (self.deferred - self.bound)
        mutations = self.mutated - self.bound
        keep = is_graph_name
        return Names(
            reads=frozenset(filter(keep, reads)),
            writes=frozenset(filter(keep, self.writes)),
            mutations=frozenset(filter(keep, mutations)),
            deferred=frozenset(filter(keep, self.deferred - self.bound)),
        )

    # -- primitive effects -------------------------------------------------
    def _load(self, name: str) -> None:
        if name not in self.bound:
            self.reads.add(name)

    def _bind(self, name: str) -> None:
        self.bound.add(name)
        self.writes.add(name)

    def _mutate(self, node: ast.AST) -> None:
        base = _base_name(node)
        if base is not None and not self.is_module(base):
            self._load(base)
            self.writes.add(base)
            self.mutated.add(base)

    def _immediate(self, scope: _Scope) -> None:
        """A nested scope that runs now (comprehension, class body)."""
        for name in scope.free():
            self._load(name)
        for name in scope.walrus | scope.global_writes:
            self._bind(name)

    def _target(self, node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            self._bind(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                self._target(element)
        elif isinstance(node, ast.Starred):
            self._target(node.value)
        else:  # attribute or subscript: loads inside, mutation of the base
            self.visit(node)
            self._mutate(node)

    # -- expressions -------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node.id)
        else:
            self._target(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind(node.target.id)

    def _define(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        """Header now, body later: its free names are read when it is called."""
        for part in _function_header(node):
            self.visit(part)
        scope = function_scope(node)
        self.deferred |= scope.free()
        for name in scope.global_writes | (scope.stores & scope.globals):
            self._bind(name)

    visit_Lambda = _define

    def _visit_comprehension(self, node: ast.AST) -> None:
        self.visit(node.generators[0].iter)
        self._immediate(comprehension_scope(node))

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _visit_comprehension

    def visit_Call(self, node: ast.Call) -> None:
        self._magic(node)
        self.generic_visit(node)

    def _magic(self, node: ast.Call) -> None:
        """``get_ipython().run_line_magic('sql', ...)``: ask the magic's analyzer."""
        func = node.func
        if not (
            isinstance(func, ast.Attribute)
            and func.attr in ("run_line_magic", "run_cell_magic")
            and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name)
            and func.value.func.id == "get_ipython"
        ):
            return
        args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        if len(args) < 2 or not all(isinstance(a, str) for a in args[:2]):
            return
        analyzer = self.magics.get(args[0])
        if analyzer is None:
            return
        body = args[2] if len(args) > 2 and isinstance(args[2], str) else None
        names = analyzer(args[1], body)
        for name in names.reads:
            self._load(name)
        for name in names.writes - names.mutations:
            self._bind(name)
        for name in names.mutations:
            self._load(name)
            self.writes.add(name)
            self.mutated.add(name)

    # -- statements --------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._target(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._load(node.target.id)
            self._bind(node.target.id)
        else:
            self._target(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            self._target(node.target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._target(node.target)
        for statement in node.body + node.orelse:
            self.visit(statement)

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
            else:
                self._target(target)

    def visit_Expr(self, node: ast.Expr) -> None:
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
            self._mutate(value.func.value)
        self.visit(node.value)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self._bind(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._define(node)
        self._bind(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for part in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(part)
        self._immediate(class_scope(node))
        self._bind(node.name)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        for statement in node.body:
            self.visit(statement)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self._bind(node.name)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        for key in node.keys:
            self.visit(key)
        for pattern in node.patterns:
            self.visit(pattern)
        if node.rest:
            self._bind(node.rest)
