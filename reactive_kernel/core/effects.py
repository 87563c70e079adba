"""A cell's reads and writes as they are when it runs: calls followed, effects decided.

Static analysis says *where* a cell may change an object; only the value a
name holds says *whether* it does (``L.pop()`` on a list, ``line.index(s)`` on
a str).  :func:`resolve` runs three phases: :func:`follow_calls` takes on the
reads, ``global`` writes and effect candidates of the notebook functions and
classes a cell calls (transitively, from the cell's position);
:func:`decide_effects` decides each candidate with the receiver's runtime
type and the knowledge in :mod:`effects_table`; :func:`widen_to_aliases`
makes a mutation one of every name sharing the object.  Inspecting user
objects never raises: a value whose type cannot be inspected counts as mutable.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import collections.abc
import sys
import types
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Mapping

from . import effects_table as table
from .namespace import MISSING
from ..analysis.names import DISPLAY, ITER, METHOD, REBIND, RETURNED, STORE, Effect, Names, Summary

#: how many elements of a container a look at its contents takes
_CONTAINER_ELEMENTS = 64
#: containers whose elements are the objects they hold (a dict's are its values)
_COLLECTIONS = (list, tuple, set, frozenset, collections.deque)


@dataclass(frozen=True)
class Resolved:
    reads: frozenset
    #: bindings and mutations, like ``Names.writes``
    writes: frozenset
    mutations: frozenset


def kind_of(value: Any, types_: type | tuple) -> bool:
    """``isinstance`` by the real type only: user objects can make
    ``isinstance`` run their code (``__class__`` through ``__getattribute__``)."""
    return issubclass(type(value), types_)


def type_name(cls: type) -> str:
    try:
        return f"{cls.__module__}.{cls.__qualname__}"
    except Exception:  # a hostile metaclass
        return "?"


def mro_names(value: Any) -> list[str]:
    try:
        return [type_name(c) for c in type(value).__mro__]
    except Exception:
        return []


class _ModuleSlots:
    """The objects ``sys.modules`` holds that are not modules (``sys.modules['m']
    = Obj()``; libraries such as ``sh`` replace themselves so), by identity,
    rescanned when ``sys.modules`` grows or shrinks: a cell meets them through
    ``import``, as modules, and ipykernel users call them as modules."""

    def __init__(self) -> None:
        self._size = -1
        self._keys: dict[int, str] = {}

    def hold(self, value: Any) -> bool:
        modules = sys.modules
        if len(modules) != self._size:
            self._size = len(modules)
            self._keys = {id(v): k for k, v in list(modules.items())
                          if v is not None and not kind_of(v, types.ModuleType)}  # None blocks an import
        key = self._keys.get(id(value))
        return key is not None and modules.get(key) is value


_module_slots = _ModuleSlots()


def is_module(value: Any) -> bool:
    """A module, or an object standing in a module's slot.  Their state is
    not a value the rules follow: calling them is never a mutation."""
    return kind_of(value, types.ModuleType) or _module_slots.hold(value)


def is_immutable(value: Any) -> bool:
    if value is None or kind_of(value, types.ModuleType):
        return True
    return any(name in table.IMMUTABLE_TYPES for name in mro_names(value)) or _module_slots.hold(value)


def is_iterator(value: Any) -> bool:
    """By the type alone (``isinstance`` asks the object for ``__class__``);
    a type that cannot be asked (a hostile metaclass) may be one."""
    try:
        return issubclass(type(value), collections.abc.Iterator)
    except Exception:
        return True


def defined_here(value: Any, namespace: Mapping) -> bool:
    """Whether a function or class was defined by the notebook's own cells."""
    try:
        if kind_of(value, types.FunctionType):
            return value.__globals__ is namespace
        if kind_of(value, type):
            return value.__module__ == namespace.get("__name__", "builtins")
    except Exception:
        pass
    return False


def notebook_class(value: Any, namespace: Mapping) -> str | None:
    """The name of the notebook class ``value`` is an instance of, if any."""
    cls = type(value)
    if not kind_of(value, type) and defined_here(cls, namespace):
        try:
            return cls.__name__
        except Exception:
            return None
    return None


def method_mutates(value: Any, method: str, notebook_method: Callable[[Any, str], bool | None]) -> bool:
    """Whether calling ``value.method(...)`` may change ``value``;
    ``notebook_method`` judges a notebook class's method (None: not one)."""
    if is_immutable(value):
        return False
    if is_iterator(value):
        return True
    known = _library_method_mutates(value, method)
    if known is not None:
        return known
    known = notebook_method(value, method)
    return True if known is None else known


def _table_entry(value: Any) -> dict | None:
    """The table's entry for the nearest type along ``value``'s MRO it knows, if any."""
    for name in mro_names(value):
        entry = table.METHODS.get(name)
        if entry is not None:
            return entry
    return None


def _library_method_mutates(value: Any, method: str) -> bool | None:
    """What the table says of ``method`` on ``value``, if it knows the type."""
    entry = _table_entry(value)
    if entry is None:
        return None
    if table.NON_MUTATING in entry:
        return method not in entry[table.NON_MUTATING]
    return method in entry[table.MUTATING]


def _defines(value: Any, method: str) -> bool:
    """Whether ``value``'s type has ``method`` (looked up on the type, as
    Python does for operators; a type that cannot be asked may)."""
    try:
        return any(method in vars(klass) for klass in type(value).__mro__)
    except Exception:
        return True


def read_only(value: Any) -> bool:
    """Whether the table says no method of ``value``'s type changes it (a
    result object: statsmodels' ``RankCompareResult``, a ``GroupBy``)."""
    entry = _table_entry(value)
    return entry is not None and table.MUTATING in entry and not entry[table.MUTATING]


def callee_path(callee: tuple[str, ...], namespace: Mapping) -> str | None:
    """A library callee's full dotted name, for the argument-mutator table."""
    head = namespace.get(callee[0], MISSING)
    if head is MISSING:
        return "builtins." + callee[0] if len(callee) == 1 else None
    try:  # a module subclass or a callable may run the user's code here
        if kind_of(head, types.ModuleType):
            return ".".join([str(getattr(head, "__name__", callee[0])), *callee[1:]])
        if len(callee) == 1:
            module = (getattr(head, "__module__", None) or "").lstrip("_")
            return f"{module}.{head.__qualname__}"
    except Exception:
        return None
    if len(callee) == 2:  # a method of an instance: rng.shuffle(x)
        for name in mro_names(head):
            path = f"{name}.{callee[1]}"
            if path in table.ARGUMENT_MUTATORS:
                return path
    return None


def resolve(
    names: Names,
    namespace: Mapping,
    summary_of: Callable[[str], Summary | None],
    aliases: Callable[[Any], Iterable[str]] = lambda value: (),
    makers: Callable[[Any, bool], Iterable[str]] = lambda value, contents: (),
) -> Resolved:
    """The cell's effective reads and writes, given the namespace it runs in.

    ``summary_of(name)`` is the summary of the notebook function or class that
    ``name`` names at the cell's position (the cell's own definitions first);
    ``aliases(obj)`` the other names bound to ``obj`` or to an object that
    ``obj`` directly contains; ``makers(obj, contents)`` the names under
    which cells made ``obj`` (or, with ``contents``, what it holds).  Three
    phases: follow calls, decide effects, widen to aliases.  Should a user object still raise while it is looked
    at, every candidate counts as a mutation (:func:`_assume_the_worst`):
    a user object never makes a cell fail that plain Python runs.
    """
    try:
        return _resolve(names, namespace, summary_of, aliases, makers)
    except Exception:
        return _assume_the_worst(names, namespace)


def _assume_the_worst(names: Names, namespace: Mapping) -> Resolved:
    """Every effect candidate changes its root (a module's state is not
    followed, as in :func:`decide_effects`): at worst an extra rerun."""
    changed = {e.root for e in names.effects if e.position != RETURNED} | set(names.mutations)
    changed = {n for n in changed - names.bindings if not is_module(namespace.get(n))}
    return Resolved(
        reads=frozenset(names.reads | changed),
        writes=frozenset(names.writes | changed),
        mutations=frozenset(changed),
    )


def _resolve(names: Names, namespace: Mapping, summary_of: Callable[[str], Summary | None],
             aliases: Callable[[Any], Iterable[str]], makers: Callable[[Any, bool], Iterable[str]]) -> Resolved:
    if not (names.reads or names.effects or names.mutations):  # nothing to look up
        return Resolved(reads=frozenset(), writes=frozenset(names.writes), mutations=frozenset())
    lookup = Lookup(namespace, summary_of, names.functions)
    followed = follow_calls(names, lookup)
    followed.effects = through_returns(followed.effects, lookup)
    local = names.bindings
    mutated = _objects_changed(names.mutations, namespace) | decide_effects(followed.effects, local, lookup)
    mutated |= widen_to_aliases(mutated, local, namespace, aliases)
    mutated |= {name for root in mutated for name in shared_class_state(namespace.get(root, MISSING), namespace)}
    mutated |= through_own_names(followed.effects, local, lookup, aliases, makers)
    mutated |= functions_keeping_state(names.calls, local, lookup)
    mutated |= through_closures(followed.reads, lookup, aliases, makers)
    reads = followed.reads | mutated
    binds = followed.binds
    return Resolved(
        reads=frozenset(reads),
        writes=frozenset(binds | mutated),
        mutations=frozenset(mutated - binds),
    )


class Lookup:
    """Where every phase looks names up: the namespace the cell runs in and
    the summaries of notebook functions and classes at the cell's position."""

    __slots__ = ("namespace", "summary_of", "own")

    def __init__(self, namespace: Mapping, summary_of: Callable[[str], Summary | None],
                 own: Mapping[str, Summary]):
        self.namespace = namespace
        self.summary_of = summary_of
        self.own = own

    def value(self, name: str) -> Any:
        return self.namespace.get(name, MISSING)

    def summary(self, name: str) -> Summary | None:
        """The cell's own definition of ``name`` first: it runs before the call."""
        return self.own[name] if name in self.own else self.summary_of(name)

    def class_summary(self, value: Any) -> Summary | None:
        """The summary of the notebook class ``value`` is an instance of."""
        if value is MISSING:
            return None
        klass = notebook_class(value, self.namespace)
        return self.summary(klass) if klass else None


# -- phase 1: follow calls ----------------------------------------------------------------
class _Followed:
    """A cell's reads, bindings and effect candidates, with those of the
    notebook functions it calls (transitively) taken on."""

    __slots__ = ("reads", "binds", "effects")

    def __init__(self, names: Names):
        self.reads: set[str] = set(names.reads)
        self.binds: set[str] = set(names.bindings)
        self.effects: list[Effect] = list(names.effects)

    def take_on(self, found: Summary) -> None:
        """What running ``found`` binds and may change outside itself (its
        effects on its own parameters are decided where it is called)."""
        self.binds.update(found.binds)
        self.effects.extend(e for e in found.effects if e.root not in found.params)
        for method in found.methods.values():
            self.effects.extend(e for e in method.effects if e.root not in method.params)


def follow_calls(names: Names, lookup: Lookup) -> _Followed:
    """Functions read their free names when they run, so a cell that may call
    one reads them, as they are at its position: a name the cell bound before
    it read the function comes from the cell.  (The cell's own functions were
    followed by analysis, where it calls them.)"""
    followed = _Followed(names)
    context = names.bound_before
    pending = [(name, context.get(name, frozenset())) for name in names.reads if name not in names.functions]
    expanded: set[tuple[str, frozenset]] = set()
    while pending:
        name, before = key = pending.pop()
        if key in expanded:
            continue
        expanded.add(key)
        found = _run_by_calling(name, lookup)
        if found is None:
            continue
        fresh = found.reads - before
        followed.reads |= fresh
        pending.extend((free, before) for free in fresh)
        followed.take_on(found)
    return followed


def _run_by_calling(name: str, lookup: Lookup) -> Summary | None:
    """The notebook code calling ``name`` may run: a function or class the
    notebook defined, or the class of a notebook instance (its methods)."""
    found = lookup.summary_of(name)
    value = lookup.value(name)
    if found is not None and _from_library(value, lookup.namespace):
        found = None  # defined in a branch that did not run: the name holds a library's
    if found is None and kind_of(value, types.FunctionType) and defined_here(value, lookup.namespace):
        found = by_qualname(value, lookup)  # made by another function: f = outer()
        if found is not None:  # its effects on its closure are decided by ``through_closures``
            free = set(closure_of(value, lookup.namespace))
            found = replace(found, effects=tuple(e for e in found.effects if e.root not in free),
                            returns=found.returns - free)
    return found if found is not None else lookup.class_summary(value)


def through_returns(effects: list[Effect], lookup: Lookup) -> list[Effect]:
    """A candidate on what calling ``f`` returned (``get().append(1)``) is
    one on each global that notebook function returns (as if chained from
    it); a library's callee gives a new object or one of its own (its
    arguments carry their own candidates)."""
    if not any(e.position == RETURNED for e in effects):
        return effects
    out = []
    for effect in effects:
        if effect.position != RETURNED:
            out.append(effect)
            continue
        found = _run_by_calling(effect.root, lookup)
        for name in sorted(found.returns) if found is not None else ():
            out.append(Effect(effect.kind, name, effect.method, chained=True))
    return out


# -- phase 2: decide effects ----------------------------------------------------------------
def _objects_changed(mutations: frozenset, namespace: Mapping) -> set[str]:
    """Names statically changed in place (``n[k] = v``).  A module's state
    (``pd.options...``, ``plt.rcParams[...]``) is not a value the rules
    follow, as method calls on modules are not (``np.random.seed``).  A
    value that refuses stores (``s[0] = 'x'`` on a str raises) is not changed."""
    return {n for n in mutations
            if not is_module(namespace.get(n)) and not refuses_stores(namespace.get(n, MISSING))}


def refuses_stores(value: Any) -> bool:
    """Whether every ``value[k] = v``, ``value.a = v`` and ``del value[k]``
    raises: the exact type is one the table names."""
    return value is not MISSING and type_name(type(value)) in table.STORE_REFUSING_TYPES


def decide_effects(effects: Iterable[Effect], local: frozenset, lookup: Lookup) -> set[str]:
    """The names whose objects the candidates change, judged by the values
    they hold now.  A name the cell binds itself holds the cell's own object."""
    judge = _Judge(lookup)
    mutated: set[str] = set()
    for effect in effects:
        root = effect.root
        if root in local:
            continue
        value = lookup.value(root)
        if is_module(value):
            continue
        if judge.mutates(effect, value) and (value is MISSING or not is_immutable(value)
                                             or holds_class_state(value, lookup.namespace)):
            mutated.add(root)
    return mutated


def functions_keeping_state(calls: Iterable, local: frozenset, lookup: Lookup) -> set[str]:
    """Notebook functions the cell's calls change: a function keeps state
    between calls when it rebinds a variable of its closure (``nonlocal
    n``) or changes a mutable default argument the call does not give
    (``def f(acc=[])``, called ``f()``).  Calling it again is not what Run
    All does: the cell that made it runs first."""
    changed: set[str] = set()
    judge = None
    for call in calls:
        if not call.callee or len(call.callee) != 1 or call.callee[0] in local:
            continue
        name = call.callee[0]
        value = lookup.value(name)
        if not (kind_of(value, types.FunctionType) and defined_here(value, lookup.namespace)):
            continue
        found = _run_by_calling(name, lookup)
        if found is None:
            continue
        judge = judge or _Judge(lookup)
        if found.keeps_state or any(judge._parameter_mutated(found, param, default)
                                    for param, default in _defaults_left(found, value, call)):
            changed.add(name)
    return changed


def _defaults_left(found: Summary, function: types.FunctionType, call) -> list[tuple[str, Any]]:
    """The mutable default values ``call`` leaves to the function, by parameter."""
    if call.positional is None or call.spread:
        return []  # ``*args`` or ``**kwargs``: which it gives is unknown
    try:
        defaults = function.__defaults__ or ()
        keyword_defaults = function.__kwdefaults__ or {}
    except Exception:
        return []
    positional = found.params[:found.positional]
    given = {key for key, _ in call.args if type(key) is str}
    left = [(param, default) for at, (param, default) in
            enumerate(zip(positional[len(positional) - len(defaults):], defaults), len(positional) - len(defaults))
            if at >= call.positional and param not in given]
    left += [(param, default) for param, default in keyword_defaults.items() if param not in given]
    return [(param, default) for param, default in left if not is_immutable(default)]


def holds_class_state(value: Any, namespace: Mapping) -> bool:
    """A notebook class: immutable as a value (its name is what a cell
    binds), yet ``Cfg.debug = True`` or ``Registry.items.append(x)`` in a
    function or method changes what every cell reading it sees."""
    return kind_of(value, type) and defined_here(value, namespace)


class _Judge:
    """Whether one candidate changes ``value``, the object its root holds.
    An argument is followed into the notebook function it is passed to and
    judged there with the caller's value."""

    def __init__(self, lookup: Lookup):
        self.lookup = lookup
        #: (callee, parameter) being judged: guards recursion (f calls f)
        self._open: set[tuple[int, str]] = set()

    def mutates(self, effect: Effect, value: Any) -> bool:
        kind = effect.kind
        if kind == REBIND:  # binds the function's own name (see _parameter_mutated)
            return False
        if kind == STORE:  # into what a call returned: maybe the argument
            return effect.callee is None or self._may_return_argument(effect.callee)
        if kind == ITER:
            return value is not MISSING and is_iterator(value)
        if kind == METHOD:
            return self._method_mutates(effect, value)
        return self._argument_mutated(effect, value)

    def _method_mutates(self, effect: Effect, value: Any) -> bool:
        """A receiver reached through a chain, or not bound yet, is judged by
        the method's name alone."""
        if effect.callee is not None and not self._may_return_argument(effect.callee):
            return False
        if effect.inplace:
            return True
        if value is MISSING:
            return effect.method in table.CHAINED_MUTATORS
        if effect.chained:
            return effect.method in table.CHAINED_MUTATORS and (
                not is_immutable(value) or holds_class_state(value, self.lookup.namespace))
        if effect.method in table.INPLACE_OPERATORS and not _defines(value, effect.method):
            return False  # ``x += y`` without ``__iadd__`` rebinds ``x`` to a new object
        return method_mutates(value, effect.method, self._changes_self)

    def _changes_self(self, value: Any, method: str) -> bool | None:
        """Whether a notebook class's method changes its first parameter,
        judged as any function's effects on a parameter (so also through a
        helper it passes ``self`` to); a method the class lacks (inherited,
        dynamic) may.  None: ``value`` is no notebook class's instance."""
        klass = self.lookup.class_summary(value)
        if klass is None:
            return None
        found = klass.methods.get(method)
        if found is None or not found.params:
            return True
        return self._parameter_mutated(found, found.params[0], value)

    def _argument_mutated(self, effect: Effect, value: Any) -> bool:
        """An argument is consumed if it is an iterator, changed if the callee
        (a notebook function, else the table) says so."""
        if value is not MISSING and is_iterator(value):
            return True
        if effect.position in table.OUTPUT_KEYWORDS:
            return True
        callee = effect.callee
        if callee is None:
            return False
        target, shift = self._notebook_callee(callee)
        if target is UNKNOWN:
            return True
        if target is not None:
            return self._parameter_mutated(target, _parameter(target.params, effect.position, shift), value)
        positions = table.ARGUMENT_MUTATORS.get(callee_path(callee, self.lookup.namespace) or "")
        return positions is not None and effect.position in positions

    def _notebook_callee(self, callee: tuple[str, ...]) -> tuple[Summary | None, int]:
        """``f(...)`` for a notebook function ``f``, or ``obj.m(...)`` for a
        method of a notebook instance, whose first parameter takes ``obj``
        (so its arguments shift by one).  A name no notebook ``def`` binds is
        judged by the function it holds (see :meth:`_callable`); so is a
        function set on the instance (``obj.add = other_add``: no ``self``)
        and a notebook class's own attribute (``A.add(obj, L)``)."""
        lookup = self.lookup
        if len(callee) == 1:
            found = lookup.summary(callee[0])
            return (found, 0) if found is not None else self._callable(lookup.value(callee[0]))
        if len(callee) == 2:
            head = lookup.value(callee[0])
            own = _instance_attribute(head, callee[1])
            if own is not MISSING:
                return self._callable(own)
            found = lookup.class_summary(head)
            if found is not None:
                return found.methods.get(callee[1]), 1
            if kind_of(head, type) and defined_here(head, lookup.namespace):
                return self._callable(_class_attribute(head, callee[1]))
        return None, 0

    def _callable(self, value: Any) -> tuple[Summary | None, int]:
        """The summary of what a call of ``value`` runs, by the function's
        ``__qualname__`` (``outer.<locals>.inner``, ``A.add``) through the
        summaries at the cell's position, and how many parameters it binds
        itself (a bound method's ``self``).  A notebook function whose
        summary cannot be found (a lambda inside a function, a definition
        since replaced) is :data:`UNKNOWN`: its effects are not seen, so it
        may change what it is given.  None: not the notebook's code."""
        shift = 0
        if kind_of(value, (classmethod, staticmethod)):
            shift, value = int(kind_of(value, classmethod)), value.__func__
        elif kind_of(value, types.MethodType):
            shift, value = 1, value.__func__
        elif value is not MISSING and not kind_of(value, type):
            found = self.lookup.class_summary(value)  # a callable notebook instance
            if found is not None:
                return found.methods.get("__call__"), 1
        if not (kind_of(value, types.FunctionType) and defined_here(value, self.lookup.namespace)):
            return None, 0
        found = by_qualname(value, self.lookup)
        return (found, shift) if found is not None else (UNKNOWN, 0)

    def _may_return_argument(self, callee: tuple[str, ...]) -> bool:
        """Whether what ``callee(...)`` returns may be (part of) an argument:
        a call of the notebook's code, or of something unknown, may; a
        library's function or a library object's method gives a new object
        or one of its own."""
        lookup = self.lookup
        head = lookup.value(callee[0])
        if head is MISSING or lookup.summary(callee[0]) is not None:
            return True
        if len(callee) == 1:
            return defined_here(value_function(head), lookup.namespace) or lookup.class_summary(head) is not None
        return lookup.class_summary(head) is not None or defined_here(head, lookup.namespace)

    def _parameter_mutated(self, target: Summary, param: str | None, value: Any) -> bool:
        """The callee's effects on its parameter, judged with the caller's
        value (whether that value is immutable is checked once, by the caller)."""
        key = (id(target), param)
        if param is None or key in self._open:
            return False
        self._open.add(key)
        try:
            for inner in target.effects:
                if inner.root != param:
                    continue
                if inner.kind == REBIND:
                    if self._fresh(inner, param, value):
                        return False  # what follows changes a new object
                    continue
                if self.mutates(inner, value):
                    return True
            return False
        finally:
            self._open.discard(key)

    def _fresh(self, rebind: Effect, param: str, value: Any) -> bool:
        """Whether a parameter's rebinding gives a new object: a display, a
        copying callable of the table, or ``param.copy()`` on a type the
        table knows."""
        if rebind.method == DISPLAY:
            return True
        callee = rebind.callee or ()
        if len(callee) == 2 and callee[0] == param:
            return (callee[1] in table.FRESH_METHODS and value is not MISSING
                    and _library_method_mutates(value, callee[1]) is not None)
        if callee and callee[0] == param:
            return False
        try:
            return (callee_path(callee, self.lookup.namespace) or "") in table.FRESH_CALLS
        except Exception:
            return False


#: a notebook callable whose summary cannot be found: it may change its arguments
UNKNOWN = Summary()


def by_qualname(function: types.FunctionType, lookup: Lookup) -> Summary | None:
    """The summary a notebook function's ``__qualname__`` leads to
    (``outer.<locals>.inner``, ``A.add``) through the summaries at the
    cell's position, if it is this function's (same parameters)."""
    try:
        path = [part for part in function.__qualname__.split(".") if part != "<locals>"]
        code = function.__code__
        count = code.co_argcount + code.co_kwonlyargcount
        count += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # *args, **kwargs
        params = code.co_varnames[:count]
    except Exception:
        return None
    found = lookup.summary(path[0])
    for part in path[1:]:
        if found is None:
            return None
        found = found.methods.get(part) or found.nested.get(part)
    if found is None or set(found.params) != set(params):
        return None
    return found


def closure_of(value: Any, namespace: Mapping) -> dict[str, Any]:
    """What a notebook function's closure holds, by free variable name."""
    if not (kind_of(value, types.FunctionType) and defined_here(value, namespace)):
        return {}
    try:
        cells = value.__closure__ or ()
        held = {}
        for name, cell in zip(value.__code__.co_freevars, cells):
            try:
                held[name] = cell.cell_contents
            except ValueError:  # not bound yet
                pass
        return held
    except Exception:
        return {}


def value_function(value: Any) -> Any:
    """The function a bound method runs; other values as they are."""
    return value.__func__ if kind_of(value, types.MethodType) else value


def _instance_attribute(value: Any, name: str) -> Any:
    """What ``value``'s own ``__dict__`` holds under ``name`` (a function
    set on an instance is called without ``self``), read without running
    the object's code; MISSING if nothing."""
    if value is MISSING or kind_of(value, (type, types.ModuleType)):
        return MISSING
    try:
        attributes = object.__getattribute__(value, "__dict__")
        return attributes.get(name, MISSING) if kind_of(attributes, dict) else MISSING
    except Exception:
        return MISSING


def _class_attribute(cls: type, name: str) -> Any:
    """``cls``'s attribute ``name`` as its class body (or a base's) bound it, raw."""
    try:
        for klass in cls.__mro__:
            attributes = klass.__dict__
            if name in attributes:
                return attributes[name]
    except Exception:
        pass
    return MISSING


def _parameter(params: tuple, position: int | str | None, shift: int) -> str | None:
    """The parameter an argument binds: by index (past ``self`` for a
    method), or by keyword."""
    if isinstance(position, int):
        index = position + shift
        return params[index] if index < len(params) else None
    if isinstance(position, str) and position in params:
        return position
    return None


# -- phase 3: widen to aliases --------------------------------------------------------------
def widen_to_aliases(mutated: set[str], local: frozenset, namespace: Mapping,
                     aliases: Callable[[Any], Iterable[str]]) -> set[str]:
    """A mutation of an object is a mutation of every name bound to it (or to
    an object holding it): the cell that made the object must count as changed."""
    widened: set[str] = set()
    for root in mutated:
        value = namespace.get(root, MISSING)
        if value is MISSING:
            continue
        widened.update(other for other in aliases(value) if other != root and other not in local)
    return widened


def through_own_names(effects: Iterable[Effect], local: frozenset, lookup: Lookup,
                      aliases: Callable[[Any], Iterable[str]],
                      makers: Callable[[Any, bool], Iterable[str]]) -> set[str]:
    """A name the cell binds itself may hold another cell's object
    (``row = rows[0]``, ``for part in parts``, ``e = d``): a change through
    it is a change of that object, so of the names that made it (and of
    their aliases).  Judged by the value the name holds: before a run, the
    previous run's; after it, this run's.  A chained candidate
    (``d['k'].append``) may change what the value holds."""
    judge = _Judge(lookup)
    changed: set[str] = set()
    for effect in effects:
        root = effect.root
        if root not in local:
            continue
        value = lookup.value(root)
        if value is MISSING or is_module(value) or is_immutable(value) or not judge.mutates(effect, value):
            continue
        changed.update(shared_class_state(value, lookup.namespace))
        made = [name for name in makers(value, effect.chained) if name not in local]
        if made:
            changed.update(made)
            changed.update(name for name in aliases(value) if name not in local)
    return changed


#: class-level values that are state every instance shares (``items = {}``);
#: a framework's class-level bookkeeping (pydantic's ``model_fields``,
#: ``abc``'s ``_abc_impl``) is rarely changed through an instance
_SHARED_STATE = (list, dict, set, collections.deque, bytearray)


def shared_class_state(value: Any, namespace: Mapping) -> list[str]:
    """Names of the notebook classes whose class-level containers
    (``class Registry: items = {}``) ``value``, an instance, reaches without
    an instance attribute of the same name: a change through the instance
    (``r.items['b'] = 2``) may be a change of the class's state.  Read from
    the classes' ``__dict__``, never running the object's code; a bounded look."""
    if value is MISSING or kind_of(value, type) or notebook_class(value, namespace) is None:
        return []
    try:
        own = object.__getattribute__(value, "__dict__")
        own = own if kind_of(own, dict) else {}
    except Exception:
        own = {}
    names = []
    try:
        for klass in type(value).__mro__:
            if not defined_here(klass, namespace) or namespace.get(klass.__name__) is not klass:
                continue
            for count, (name, attribute) in enumerate(klass.__dict__.items()):
                if count >= _CONTAINER_ELEMENTS:
                    break
                if name.startswith("__") or name in own or not kind_of(attribute, _SHARED_STATE):
                    continue
                names.append(klass.__name__)
                break
    except Exception:
        pass
    return names


def through_closures(reads: Iterable[str], lookup: Lookup, aliases: Callable[[Any], Iterable[str]],
                     makers: Callable[[Any, bool], Iterable[str]]) -> set[str]:
    """A function made by another function (``add = make(L)``) may change
    what its closure holds (``acc.append(x)``): a cell that reads it (and so
    may call it) changes that object when its effects on the free variable
    say so, judged with the closure's object.  A notebook function with a
    closure whose summary cannot be found may change all of it."""
    judge = _Judge(lookup)
    changed: set[str] = set()
    for name in reads:
        value = lookup.value(name)
        held = closure_of(value, lookup.namespace)
        if not held:
            continue
        found = by_qualname(value, lookup)
        for free, content in held.items():
            if content is MISSING or is_module(content) or is_immutable(content):
                continue
            if found is not None and not any(e.root == free and judge.mutates(e, content) for e in found.effects):
                continue
            changed.update(makers(content, True))
            changed.update(aliases(content))
    return changed


def contained(value: Any, namespace: Mapping) -> list[Any]:
    """``value`` and the objects it directly holds (a bounded look); for a
    numpy view, the array whose memory it shares; for an instance of a class
    ``namespace``'s cells define, its attributes (``self.d = df`` then
    ``self.d.drop(..., inplace=True)`` in a method changes ``df``)."""
    found = [value]
    try:
        if is_ndarray(value):
            base = value.base
            return found if base is None else [value, base]
        if kind_of(value, _COLLECTIONS):
            items = value
        elif kind_of(value, dict):
            items = value.values()
        elif notebook_class(value, namespace) is not None:
            attributes = object.__getattribute__(value, "__dict__")
            items = attributes.values() if kind_of(attributes, dict) else ()
        else:
            return found
        for count, item in enumerate(items):
            if count >= _CONTAINER_ELEMENTS:
                break
            found.append(item)
    except Exception:
        pass
    return found


def is_ndarray(value: Any) -> bool:
    return "numpy.ndarray" in mro_names(value)


def _from_library(value: Any, namespace: Mapping) -> bool:
    """A function or class that the notebook did not define."""
    if not kind_of(value, (types.FunctionType, types.BuiltinFunctionType, type)):
        return False
    return not defined_here(value, namespace)


def reachable(value: Any, depth: int = 3, limit: int = _CONTAINER_ELEMENTS) -> list[Any]:
    """Mutable objects ``value`` holds, through containers and instance
    attributes, a few levels deep (a pipeline holding a model in a list of
    tuples): a change to one of them is a change to ``value``."""
    found: list[Any] = []
    seen = {id(value)}
    level = [value]
    for _ in range(depth):
        following = []
        for holder in level:
            for item in _members(holder):
                if id(item) in seen or kind_of(item, (types.ModuleType, type, types.FunctionType)):
                    continue
                seen.add(id(item))
                if kind_of(item, tuple) or not is_immutable(item):
                    following.append(item)
                    if not kind_of(item, tuple):
                        found.append(item)
                if len(seen) > limit:
                    return found
        level = following
    return found


def _members(value: Any) -> list[Any]:
    try:
        if kind_of(value, _COLLECTIONS):
            return list(value)[:_CONTAINER_ELEMENTS]
        if kind_of(value, dict):
            return list(value.values())[:_CONTAINER_ELEMENTS]
        if is_ndarray(value) or kind_of(value, (types.ModuleType, type)):
            return []
        attributes = object.__getattribute__(value, "__dict__")
        if isinstance(attributes, dict):
            return list(attributes.values())[:_CONTAINER_ELEMENTS]
    except Exception:
        pass
    return []
