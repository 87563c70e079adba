"""Nested scopes of a cell: function and class bodies, lambdas, comprehensions.

Their free names are what they take from the notebook; function bodies are
summarised (:class:`~reactive_kernel.analysis.names.Summary`) so that a cell calling
them can take on their reads, ``global`` writes and effects on arguments.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import ast

from .bindings import BindingForms, bound_names, target_parts
from .names import ARG, DISPLAY, ITER, METHOD, REBIND, RETURNED, STORE, Effect, Summary, is_graph_name

# -- small pieces ----------------------------------------------------------------
def root_of(node: ast.AST) -> tuple[str | None, bool]:
    """The name at the root of ``a.b[c].d`` and whether the chain is longer
    than the name; None when the chain passes a call."""
    chained = False
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        chained = chained or not isinstance(node, ast.Starred)
        node = node.value
    return (node.id, chained) if isinstance(node, ast.Name) else (None, chained)


def dotted(node: ast.AST) -> tuple[str, ...] | None:
    """``a.b.c`` as ``('a', 'b', 'c')``; None when it does not start at a name."""
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
        root, chained = root_of(func.value)
        if root is not None:
            effects.append(Effect(METHOD, root, func.attr, chained=chained, inplace=inplace))
        else:
            effects.extend(_through_result(func.value, func.attr))
    callee = dotted(func)
    for position, arg in enumerate(node.args):
        if isinstance(arg, ast.Starred):
            arg, position = arg.value, None
        if isinstance(arg, ast.Name):
            effects.append(Effect(ARG, arg.id, callee=callee, position=position))
    for keyword in node.keywords:
        if keyword.arg is None:
            continue
        if isinstance(keyword.value, ast.Name):
            effects.append(Effect(ARG, keyword.value.id, callee=callee, position=keyword.arg))
        elif keyword.arg == "out":
            root, _ = root_of(keyword.value)
            if root is not None:
                effects.append(Effect(STORE, root))
    return effects


#: the method ``x op= y`` calls on the object ``x`` holds, where its type
#: defines it (``list``, ``set``, ``ndarray``, ``DataFrame``): a change of
#: that object, seen by every alias; without it Python rebinds ``x`` to ``x op y``
INPLACE_METHODS = {
    ast.Add: "__iadd__", ast.Sub: "__isub__", ast.Mult: "__imul__", ast.MatMult: "__imatmul__",
    ast.Div: "__itruediv__", ast.FloorDiv: "__ifloordiv__", ast.Mod: "__imod__",
    ast.Pow: "__ipow__", ast.LShift: "__ilshift__", ast.RShift: "__irshift__",
    ast.BitAnd: "__iand__", ast.BitOr: "__ior__", ast.BitXor: "__ixor__",
}


def augmented_effects(node: ast.AugAssign) -> list[Effect]:
    """``x += y`` on a name: a call of ``x.__iadd__`` (a store into
    ``x.a`` or ``x[k]`` is a store, as for ``=``)."""
    if isinstance(node.target, ast.Name):
        return [Effect(METHOD, node.target.id, INPLACE_METHODS[type(node.op)])]
    return []


def _through_result(receiver: ast.AST, method: str | None = None) -> list[Effect]:
    """``first(rows).append(1)``, ``d.get(k).append(1)``, ``first(rows)[0] = 1``
    (``method`` None: a store): the object changed is what a call returned,
    which may be (part of) the call's receiver or of its arguments.  Chained
    candidates on those roots; the ones on arguments carry the callee, so
    that a library's call (which returns a new object) is not taken for
    one (see ``core.effects``)."""
    node = receiver
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    if not isinstance(node, ast.Call):
        return []
    kind = STORE if method is None else METHOD
    effects: list[Effect] = []
    if isinstance(node.func, ast.Attribute):
        root, _ = root_of(node.func.value)
        if root is not None:
            effects.append(Effect(kind, root, method, chained=True))
    callee = dotted(node.func)
    for arg in [*node.args, *(k.value for k in node.keywords)]:
        root, _ = root_of(arg)
        if root is not None:
            effects.append(Effect(kind, root, method, callee=callee or ("?",), chained=True))
    if isinstance(node.func, ast.Name):  # a notebook function may return a global: ``get().append(1)``
        effects.append(Effect(kind, node.func.id, method, callee=(node.func.id,), position=RETURNED, chained=True))
    return effects


def result_stores(target: ast.AST) -> list[Effect]:
    """Stores into what a call returned (``first(rows)[0] = 1``): see :func:`_through_result`."""
    return _through_result(target) if isinstance(target, (ast.Attribute, ast.Subscript)) else []


def iterated_roots(iterable: ast.AST) -> list[str]:
    """The names whose elements a loop over ``iterable`` takes: ``X``,
    ``X.a[k]``, ``X.items()``, ``enumerate(X)``, ``zip(X, Y)``."""
    root, _ = root_of(iterable)
    if root is not None:
        return [root]
    if not isinstance(iterable, ast.Call):
        return []
    parts = [iterable.func.value] if isinstance(iterable.func, ast.Attribute) else []
    roots = (root_of(part)[0] for part in [*parts, *iterable.args])
    return [root for root in roots if root is not None]


def element_effects(target: ast.AST, iterable: ast.AST, effects: list[Effect]) -> list[Effect]:
    """A loop variable holds elements of what the loop iterates, so an effect
    on it is an effect on an element: a chained candidate on the iterated
    name (``for part in parts: part.append(0)`` may change ``parts``).
    Rebinding the variable in the body is not followed: at worst an extra
    rerun."""
    names = {part.id for part in target_parts(target) if isinstance(part, ast.Name)}
    roots = iterated_roots(iterable)
    if not (names and roots):
        return []
    return [effect._replace(root=root, chained=True) if effect.kind == METHOD else effect._replace(root=root)
            for effect in effects if effect.root in names and effect.kind in (METHOD, STORE, ARG)
            for root in roots]


def loop_effects(node: ast.For | ast.AsyncFor) -> list[Effect]:
    """The element candidates of a cell's own ``for`` loop (see :func:`element_effects`)."""
    body = Scope()
    for statement in node.body + node.orelse:
        body.visit(statement)
    return element_effects(node.target, node.iter, body.effects)


def iteration_effects(iterable: ast.AST) -> list[Effect]:
    """Iterating a name (``for v in it``) consumes it if it holds an iterator."""
    return [Effect(ITER, iterable.id)] if isinstance(iterable, ast.Name) else []


def parameters(args: ast.arguments) -> tuple[str, ...]:
    every = args.posonlyargs + args.args
    names = [a.arg for a in every]
    names += [a.arg for a in (args.vararg,) if a is not None]
    names += [a.arg for a in args.kwonlyargs]
    names += [a.arg for a in (args.kwarg,) if a is not None]
    return tuple(names)


def function_header(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[ast.AST]:
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


def class_header(node: ast.ClassDef) -> list[ast.AST]:
    """Parts evaluated before the class body, in the enclosing scope."""
    return [*node.decorator_list, *node.bases, *node.keywords]


# -- nested scopes -----------------------------------------------------------------
class Scope(BindingForms):
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
        #: names at the root of what the body returns (``return L``, ``return cfg['a']``)
        self.returned: set[str] = set()
        #: the body declares ``nonlocal`` names
        self.nonlocal_ = False
        self.methods: dict[str, Summary] = {}
        #: summaries of functions a function body defines, by name
        self.nested: dict[str, Summary] = {}
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
        """Names in ``target`` are bound by ``visit_Name``; stores into objects are effects."""
        for part in target_parts(target):
            if isinstance(part, (ast.Attribute, ast.Subscript)):
                root, _ = root_of(part)
                if root is not None:
                    self.effects.append(Effect(STORE, root))
                else:
                    self.effects.extend(result_stores(part))

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._store_through(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._store_through(node.target)
        if isinstance(node.target, ast.Name):
            self.loads.add(node.target.id)
        self.generic_visit(node)
        self.effects.extend(augmented_effects(node))

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

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None:
            root, _ = root_of(node.value)
            if root is not None:
                self.returned.add(root)
        self.generic_visit(node)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.effects.extend(iteration_effects(node.iter))
        self._store_through(node.target)
        self.visit(node.target)
        self.visit(node.iter)
        start = len(self.effects)
        for statement in node.body + node.orelse:
            self.visit(statement)
        self.effects.extend(element_effects(node.target, node.iter, self.effects[start:]))

    visit_AsyncFor = visit_For

    def visit_Global(self, node: ast.Global) -> None:
        self.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.stores.update(node.names)
        self.nonlocal_ = True

    def visit_binding_form(self, node: ast.AST) -> None:
        self.stores.update(bound_names(node))
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        (self.walrus if self._comprehension else self.stores).update(bound_names(node))

    def _fold(self, inner: "Scope", keep: frozenset = frozenset(), later: bool = False) -> None:
        if self._class:
            (self.beyond_later if later else self.beyond).update(inner.free())
        else:
            self.loads.update(inner.free())
        self.global_writes |= inner.global_writes | (inner.stores & inner.globals)
        self.stores |= inner.walrus
        self.effects.extend(e for e in inner.outer_effects() if e.root not in keep)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for part in function_header(node):
            self.visit(part)
        self.stores.update(bound_names(node))
        inner = function_scope(node)
        self._fold(inner, keep=frozenset(parameters(node.args)), later=True)
        (self.methods if self._class else self.nested)[node.name] = summarize_function(node, inner)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for part in function_header(node):
            self.visit(part)
        self._fold(function_scope(node), keep=frozenset(parameters(node.args)), later=True)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for part in class_header(node):
            self.visit(part)
        self.stores.update(bound_names(node))
        self._fold(class_scope(node))

    def _visit_comprehension(self, node: ast.AST) -> None:
        first = node.generators[0].iter
        self.effects.extend(iteration_effects(first))
        self.visit(first)
        self._fold(comprehension_scope(node))

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _visit_comprehension


#: values that are a new object whatever they hold
_DISPLAYS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp, ast.Constant,
             ast.JoinedStr)


def function_scope(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> Scope:
    scope = Scope()
    params = set(parameters(node.args))
    scope.stores |= params
    body = node.body if isinstance(node.body, list) else [node.body]
    for statement in body:
        scope.visit(statement)
        rebind = _parameter_rebind(statement, params)
        if rebind is not None:
            scope.effects.append(rebind)
    return scope


def _parameter_rebind(statement: ast.stmt, params: set[str]) -> Effect | None:
    """``param = <display>`` or ``param = callee(...)`` as a statement of the
    body itself (no branch skips it): a :data:`REBIND` candidate, in order
    among the effects."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0], statement.value
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target, value = statement.target, statement.value
    else:
        return None
    if not isinstance(target, ast.Name) or target.id not in params:
        return None
    if isinstance(value, _DISPLAYS):
        return Effect(REBIND, target.id, method=DISPLAY)
    if isinstance(value, ast.Call):
        callee = dotted(value.func)
        if callee is not None:
            return Effect(REBIND, target.id, method=callee[-1], callee=callee)
    return None


def class_scope(node: ast.ClassDef) -> Scope:
    scope = Scope(klass=True)
    for statement in node.body:
        scope.visit(statement)
    return scope


def comprehension_scope(node: ast.AST) -> Scope:
    scope = Scope(comprehension=True)
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
    for generator in reversed(node.generators):  # inner loops first: ``for row in grid for c in row``
        scope.effects.extend(element_effects(generator.target, generator.iter, scope.effects))
    return scope


def summarize_function(node, scope: Scope | None = None) -> Summary:
    scope = scope or function_scope(node)
    params = parameters(node.args)
    local = scope.stores - scope.globals
    return Summary(
        reads=frozenset(filter(is_graph_name, scope.free())),
        binds=frozenset(scope.global_writes | (scope.stores & scope.globals)),
        params=params,
        effects=tuple(scope.outer_effects(keep=frozenset(params))),
        nested={name: _outside(inner, local) for name, inner in scope.nested.items()},
        returns=frozenset(n for n in scope.returned if n not in local or n in scope.globals),
        positional=len(node.args.posonlyargs) + len(node.args.args),
        keeps_state=scope.nonlocal_,
    )


def _outside(nested: Summary, local: set[str]) -> Summary:
    """A nested function's summary as a caller of it sees it: it reads
    notebook names, not its enclosing function's locals (no cell holds
    those).  Its effects on them stay: they change what its closure holds
    (``core.effects`` judges them with the closure's objects)."""
    return Summary(
        reads=frozenset(n for n in nested.reads if n not in local),
        binds=nested.binds, params=nested.params, effects=nested.effects,
        methods=nested.methods, nested=nested.nested,
        returns=frozenset(n for n in nested.returns if n not in local),
        positional=nested.positional, keeps_state=nested.keeps_state,
    )


def summarize_class(node: ast.ClassDef, scope: Scope) -> Summary:
    methods = scope.methods
    reads = set(scope.free())
    binds: set[str] = set(scope.global_writes)
    for method in methods.values():
        reads |= method.reads
        binds |= method.binds
    return Summary(reads=frozenset(filter(is_graph_name, reads)), binds=frozenset(binds),
                   methods=dict(methods))
