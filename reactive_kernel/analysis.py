"""Static reads, writes and effect candidates of one cell, found with ``ast``.

Analysis is purely static and cached by code.  Whether ``L.pop()`` changes
``L`` depends on what ``L`` holds when the cell runs, so calls are recorded as
*candidates* (:class:`Effect`) that :mod:`reactive_kernel.effects` decides
with the namespace.  Function and class bodies are summarised
(:class:`Summary`) so a cell that calls them can take on their reads, their
``global`` writes and their effects on arguments, from its own position.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping, NamedTuple, Optional

#: IPython's output history and shell handles: bound by IPython, never by cells.
_SHELL_NAME = re.compile(r"^(_+|_i+|_i\d+|_\d+|_ih|_oh|_dh|In|Out|get_ipython|exit|quit|__\w+__)$")


def is_graph_name(name: str) -> bool:
    """Whether a namespace name takes part in the dependency graph
    (module dunders such as ``__builtins__`` and IPython's history do not)."""
    return not _SHELL_NAME.match(name)


class Effect(NamedTuple):
    """A place where the cell may change the object a name holds.

    kind ``method``: ``root.method(...)`` (``chained`` when the receiver is
    ``root.a[0]...`` rather than ``root`` itself); ``arg``: ``root`` passed to
    ``callee`` (a dotted path, or None when the callee is an expression) at
    ``position`` (an index, or a keyword); ``iter``: ``for v in root``;
    ``store``: ``root.a = v``, ``root[k] = v``, ``del root[k]`` (always a
    mutation).
    """

    kind: str
    root: str
    method: str | None = None
    callee: tuple[str, ...] | None = None
    position: int | str | None = None
    chained: bool = False
    inplace: bool = False


@dataclass(frozen=True)
class Summary:
    """What calling a notebook function (or using a notebook class) does.

    ``reads`` are its free names, read when it runs; ``binds`` the globals it
    rebinds (``global n``); ``effects`` its effect candidates on parameters
    and globals; ``methods`` a class's methods, by name.
    """

    reads: frozenset = frozenset()
    binds: frozenset = frozenset()
    params: tuple = ()
    effects: tuple = ()
    methods: Mapping[str, "Summary"] = field(default_factory=dict)


@dataclass(frozen=True)
class Names:
    """What a cell (or a magic inside it) reads and writes."""

    reads: frozenset = frozenset()
    #: every name the cell may change: bindings and mutations
    writes: frozenset = frozenset()
    #: names changed in place (``n[k] = v``): read + write, never removed
    mutations: frozenset = frozenset()
    #: candidates decided at run time (see :mod:`effects`)
    effects: tuple = ()
    #: summaries of the functions and classes the cell defines
    functions: Mapping[str, Summary] = field(default_factory=dict)
    #: names bound by ``del``: the cell's value of them is their absence
    deletes: frozenset = frozenset()
    #: bindings no branch can skip: bound whenever the cell completes, even
    #: to the object the name held already (``import numpy as np`` again)
    definite: frozenset = frozenset()
    #: for each read, the names the cell had bound before it first read it:
    #: a function called there reads those from the cell, not from before it
    bound_before: Mapping[str, frozenset] = field(default_factory=dict)

    @property
    def bindings(self) -> frozenset:
        return self.writes - self.mutations


#: A magic analyzer maps (line, cell body or None) to the names it uses.
MagicAnalyzer = Callable[[str, Optional[str]], Names]


class CellSyntaxError(Exception):
    """The cell does not parse (or cannot be analysed); the graph must not change."""

    def __init__(self, error: BaseException):
        if isinstance(error, SyntaxError):
            message = f"{error.msg} (line {error.lineno})"
        else:
            message = f"{type(error).__name__}: the cell is too deeply nested to analyse"
        super().__init__(message)
        self.error = error


def analyze(code: str, *, magics: Mapping[str, MagicAnalyzer] | None = None) -> Names:
    """Names the (already IPython-transformed) ``code`` reads and writes."""
    try:
        tree = ast.parse(code)
        walker = _TopLevel(magics or {})
        for statement in tree.body:
            walker.statement_binds = set()
            walker.visit(statement)
            if isinstance(statement, _UNCONDITIONAL):
                walker.definite |= walker.statement_binds
        return walker.result()
    except (SyntaxError, MemoryError, RecursionError) as error:
        raise CellSyntaxError(error) from None


#: Top-level statements whose bindings happen whenever the cell completes
#: (no branch, loop or handler can skip them).
_UNCONDITIONAL = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.ImportFrom,
                  ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


# -- small pieces ----------------------------------------------------------------
def _root(node: ast.AST) -> tuple[str | None, bool]:
    """The name at the root of ``a.b[c].d`` and whether the chain is longer
    than the name; None when the chain passes a call."""
    chained = False
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        chained = chained or not isinstance(node, ast.Starred)
        node = node.value
    return (node.id, chained) if isinstance(node, ast.Name) else (None, chained)


def _dotted(node: ast.AST) -> tuple[str, ...] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


def call_effects(node: ast.Call) -> list[Effect]:
    """Effect candidates of one call: its receiver and its name arguments."""
    effects: list[Effect] = []
    func = node.func
    inplace = any(
        k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in node.keywords
    )
    if isinstance(func, ast.Attribute):
        root, chained = _root(func.value)
        if root is not None:
            effects.append(Effect("method", root, func.attr, chained=chained, inplace=inplace))
    callee = _dotted(func)
    for position, arg in enumerate(node.args):
        if isinstance(arg, ast.Starred):
            arg, position = arg.value, None
        if isinstance(arg, ast.Name):
            effects.append(Effect("arg", arg.id, callee=callee, position=position))
    for keyword in node.keywords:
        if keyword.arg is None:
            continue
        if isinstance(keyword.value, ast.Name):
            effects.append(Effect("arg", keyword.value.id, callee=callee, position=keyword.arg))
        elif keyword.arg == "out":
            root, _ = _root(keyword.value)
            if root is not None:
                effects.append(Effect("store", root))
    return effects


def _parameters(args: ast.arguments) -> tuple[str, ...]:
    every = args.posonlyargs + args.args
    names = [a.arg for a in every]
    names += [a.arg for a in (args.vararg,) if a is not None]
    names += [a.arg for a in args.kwonlyargs]
    names += [a.arg for a in (args.kwarg,) if a is not None]
    return tuple(names)


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


# -- nested scopes -----------------------------------------------------------------
class _Scope(ast.NodeVisitor):
    """Loads, bindings and effect candidates of one nested scope, nested
    scopes folded in.  Used for function bodies, lambdas, class bodies and
    comprehensions: their free names are what they take from the cell."""

    def __init__(self, comprehension: bool = False, klass: bool = False):
        self.loads: set[str] = set()
        self.stores: set[str] = set()
        self.globals: set[str] = set()
        self.global_writes: set[str] = set()
        #: walrus targets of a comprehension bind in the enclosing scope
        self.walrus: set[str] = set()
        #: free names of scopes nested in a class body: Python resolves them
        #: past the class's own names, in the enclosing scope (comprehensions
        #: now, methods when called)
        self.beyond: set[str] = set()
        self.beyond_later: set[str] = set()
        self.effects: list[Effect] = []
        self.methods: dict[str, Summary] = {}
        self._comprehension = comprehension
        self._class = klass

    def free(self) -> set[str]:
        return self.free_now() | self.beyond_later

    def free_now(self) -> set[str]:
        return (self.loads - (self.stores - self.globals) - self.walrus) | self.beyond

    def outer_effects(self, keep: frozenset = frozenset()) -> list[Effect]:
        """Effects on names from outside this scope (or on ``keep``, the parameters)."""
        local = self.stores - self.globals - keep
        return [e for e in self.effects if e.root not in local]

    def visit_Name(self, node: ast.Name) -> None:
        (self.loads if isinstance(node.ctx, ast.Load) else self.stores).add(node.id)
        if isinstance(node.ctx, ast.Del):
            self.loads.add(node.id)

    def _store_through(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            root, _ = _root(target)
            if root is not None:
                self.effects.append(Effect("store", root))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._store_through(element)
        elif isinstance(target, ast.Starred):
            self._store_through(target.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._store_through(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._store_through(node.target)
        if isinstance(node.target, ast.Name):
            self.loads.add(node.target.id)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._store_through(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._store_through(target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self.effects.extend(call_effects(node))
        self.generic_visit(node)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        if isinstance(node.iter, ast.Name):
            self.effects.append(Effect("iter", node.iter.id))
        self._store_through(node.target)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

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

    def _fold(self, inner: "_Scope", keep: frozenset = frozenset(), later: bool = False) -> None:
        if self._class:
            (self.beyond_later if later else self.beyond).update(inner.free())
        else:
            self.loads.update(inner.free())
        self.global_writes |= inner.global_writes | (inner.stores & inner.globals)
        self.stores |= inner.walrus
        self.effects.extend(e for e in inner.outer_effects() if e.root not in keep)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for part in _function_header(node):
            self.visit(part)
        self.stores.add(node.name)
        inner = function_scope(node)
        self._fold(inner, keep=frozenset(_parameters(node.args)), later=True)
        if self._class:
            self.methods[node.name] = summarize_function(node, inner)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for part in _function_header(node):
            self.visit(part)
        self._fold(function_scope(node), keep=frozenset(_parameters(node.args)), later=True)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for part in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(part)
        self.stores.add(node.name)
        self._fold(class_scope(node))

    def _visit_comprehension(self, node: ast.AST) -> None:
        first = node.generators[0].iter
        if isinstance(first, ast.Name):
            self.effects.append(Effect("iter", first.id))
        self.visit(first)
        self._fold(comprehension_scope(node))

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _visit_comprehension


def function_scope(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> _Scope:
    scope = _Scope()
    scope.stores |= set(_parameters(node.args))
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


def summarize_function(node, scope: _Scope | None = None) -> Summary:
    scope = scope or function_scope(node)
    params = _parameters(node.args)
    return Summary(
        reads=frozenset(filter(is_graph_name, scope.free())),
        binds=frozenset(scope.global_writes | (scope.stores & scope.globals)),
        params=params,
        effects=tuple(scope.outer_effects(keep=frozenset(params))),
    )


def summarize_class(node: ast.ClassDef, scope: _Scope) -> Summary:
    methods = scope.methods
    reads = set(scope.free())
    binds: set[str] = set(scope.global_writes)
    for method in methods.values():
        reads |= method.reads
        binds |= method.binds
    return Summary(reads=frozenset(filter(is_graph_name, reads)), binds=frozenset(binds),
                   methods=dict(methods))


# -- the cell's own scope --------------------------------------------------------------
class _TopLevel(ast.NodeVisitor):
    """Walks the cell's own scope in execution order.

    A load counts as a read only if the cell has not bound the name before it.
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
        self.statement_binds: set[str] = set()

    def result(self) -> Names:
        reads = set(self.reads)
        effects = list(self.effects)
        # calling a function the cell defines reads its free names now
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
        )

    # -- primitive effects -------------------------------------------------
    def _load(self, name: str) -> None:
        if name not in self.bound:
            if name not in self.reads:
                self.reads.add(name)
                if len(self._bound_now) != len(self.bound):
                    self._bound_now = frozenset(self.bound)
                self.bound_before[name] = self._bound_now
        else:
            self.local_loads.add(name)

    def _bind(self, name: str) -> None:
        self.statement_binds.add(name)
        self.bound.add(name)
        self.writes.add(name)
        self.deletes.discard(name)
        self.functions.pop(name, None)

    def _effect(self, effect: Effect) -> None:
        if effect.root not in self.bound:
            self.effects.append(effect)
        elif effect.root in self.functions:
            self.local_loads.add(effect.root)

    def _store_through(self, node: ast.AST) -> None:
        root, _ = _root(node)
        if root is not None and root not in self.bound:
            self._load(root)
            self.mutated.add(root)

    def _immediate(self, scope: _Scope) -> None:
        """A nested scope that runs now (comprehension, class body)."""
        for name in scope.free():
            self._load(name)
        for name in scope.walrus | scope.global_writes:
            self._bind(name)
        for effect in scope.outer_effects():
            self._effect(effect)

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
            self._store_through(node)

    # -- expressions -------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node.id)
        else:
            self._target(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind(node.target.id)

    def _define(self, node) -> Summary:
        """Header now, body later: its free names are read when it is called."""
        for part in _function_header(node):
            self.visit(part)
        return summarize_function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        summary = self._define(node)
        # a lambda used in place (``map(lambda v: v + k, xs)``) may run now
        for name in summary.reads:
            self._load(name)

    def _visit_comprehension(self, node: ast.AST) -> None:
        first = node.generators[0].iter
        if isinstance(first, ast.Name):
            self._effect(Effect("iter", first.id))
        self.visit(first)
        self._immediate(comprehension_scope(node))

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _visit_comprehension

    def visit_Call(self, node: ast.Call) -> None:
        self._magic(node)
        for effect in call_effects(node):
            self._effect(effect)
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
            self.definite.add(name)  # what a magic writes exists only if it ran
        for name in names.mutations:
            self._load(name)
            self.mutated.add(name)
        for effect in names.effects:
            self._effect(effect)
        for name, summary in names.functions.items():
            self.functions[name] = summary

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
            self._bind(node.target.id)
        else:
            self._target(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            self._target(node.target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        if isinstance(node.iter, ast.Name):
            self._effect(Effect("iter", node.iter.id))
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
                self.bound.discard(target.id)
                self.deletes.add(target.id)
            else:
                self._target(target)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self._bind(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        summary = self._define(node)
        self._bind(node.name)
        self.functions[node.name] = summary

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for part in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(part)
        scope = class_scope(node)
        # the class body runs now; its methods' bodies run when called
        for name in scope.free_now():
            self._load(name)
        for name in scope.walrus:
            self._bind(name)
        self._bind(node.name)
        self.functions[node.name] = summarize_class(node, scope)

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
