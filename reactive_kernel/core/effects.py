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
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from . import effects_table as table
from .namespace import MISSING
from ..analysis.names import DISPLAY, ITER, METHOD, REBIND, STORE, Effect, Names, Summary

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


def _mro_names(value: Any) -> list[str]:
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
    return any(name in table.IMMUTABLE_TYPES for name in _mro_names(value)) or _module_slots.hold(value)


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


def method_mutates(value: Any, method: str, summary_of: Callable[[str], Summary | None],
                   namespace: Mapping = {}) -> bool:
    """Whether calling ``value.method(...)`` may change ``value``."""
    if is_immutable(value):
        return False
    if is_iterator(value):
        return True
    known = _library_method_mutates(value, method)
    if known is not None:
        return known
    klass = notebook_class(value, namespace)
    summary = summary_of(klass) if klass is not None else None
    if summary is not None:
        return _changes_self(summary.methods.get(method))
    return True


def _library_method_mutates(value: Any, method: str) -> bool | None:
    """What the table says of the nearest type along ``value``'s MRO it knows, if any."""
    for name in _mro_names(value):
        entry = table.METHODS.get(name)
        if entry is not None:
            if table.NON_MUTATING in entry:
                return method not in entry[table.NON_MUTATING]
            return method in entry[table.MUTATING]
    return None


def _changes_self(method: Summary | None) -> bool:
    """Whether a notebook class's method stores into or calls a method of its
    first parameter; a method the class lacks (inherited, dynamic) may."""
    if method is None or not method.params:
        return True
    self_name = method.params[0]
    return any(e.root == self_name and e.kind in (STORE, METHOD) for e in method.effects)


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
        for name in _mro_names(head):
            path = f"{name}.{callee[1]}"
            if path in table.ARGUMENT_MUTATORS:
                return path
    return None


def resolve(
    names: Names,
    namespace: Mapping,
    summary_of: Callable[[str], Summary | None],
    aliases: Callable[[Any], Iterable[str]] = lambda value: (),
) -> Resolved:
    """The cell's effective reads and writes, given the namespace it runs in.

    ``summary_of(name)`` is the summary of the notebook function or class that
    ``name`` names at the cell's position (the cell's own definitions first);
    ``aliases(obj)`` the other names bound to ``obj`` or to an object that
    ``obj`` directly contains.  Three phases: follow calls, decide effects,
    widen to aliases.  Should a user object still raise while it is looked
    at, every candidate counts as a mutation (:func:`_assume_the_worst`):
    a user object never makes a cell fail that plain Python runs.
    """
    try:
        return _resolve(names, namespace, summary_of, aliases)
    except Exception:
        return _assume_the_worst(names, namespace)


def _assume_the_worst(names: Names, namespace: Mapping) -> Resolved:
    """Every effect candidate changes its root (a module's state is not
    followed, as in :func:`decide_effects`): at worst an extra rerun."""
    changed = {e.root for e in names.effects} | set(names.mutations)
    changed = {n for n in changed - names.bindings if not is_module(namespace.get(n))}
    return Resolved(
        reads=frozenset(names.reads | changed),
        writes=frozenset(names.writes | changed),
        mutations=frozenset(changed),
    )


def _resolve(names: Names, namespace: Mapping, summary_of: Callable[[str], Summary | None],
             aliases: Callable[[Any], Iterable[str]]) -> Resolved:
    if not (names.reads or names.effects or names.mutations):  # nothing to look up
        return Resolved(reads=frozenset(), writes=frozenset(names.writes), mutations=frozenset())
    lookup = Lookup(namespace, summary_of, names.functions)
    followed = follow_calls(names, lookup)
    local = names.bindings
    mutated = _objects_changed(names.mutations, namespace) | decide_effects(followed.effects, local, lookup)
    mutated |= widen_to_aliases(mutated, local, namespace, aliases)
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
    return found if found is not None else lookup.class_summary(value)


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
        if judge.mutates(effect, value) and (value is MISSING or not is_immutable(value)):
            mutated.add(root)
    return mutated


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
        if kind == STORE:
            return True
        if kind == ITER:
            return value is not MISSING and is_iterator(value)
        if kind == METHOD:
            return self._method_mutates(effect, value)
        return self._argument_mutated(effect, value)

    def _method_mutates(self, effect: Effect, value: Any) -> bool:
        """A receiver reached through a chain, or not bound yet, is judged by
        the method's name alone."""
        if effect.inplace:
            return True
        if value is MISSING:
            return effect.method in table.CHAINED_MUTATORS
        if effect.chained:
            return effect.method in table.CHAINED_MUTATORS and not is_immutable(value)
        return method_mutates(value, effect.method, self.lookup.summary, self.lookup.namespace)

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
        if target is not None:
            return self._parameter_mutated(target, _parameter(target.params, effect.position, shift), value)
        positions = table.ARGUMENT_MUTATORS.get(callee_path(callee, self.lookup.namespace) or "")
        return positions is not None and effect.position in positions

    def _notebook_callee(self, callee: tuple[str, ...]) -> tuple[Summary | None, int]:
        """``f(...)`` for a notebook function ``f``, or ``obj.m(...)`` for a
        method of a notebook instance, whose first parameter takes ``obj``
        (so its arguments shift by one)."""
        if len(callee) == 1:
            return self.lookup.summary(callee[0]), 0
        if len(callee) == 2:
            found = self.lookup.class_summary(self.lookup.value(callee[0]))
            return (found.methods.get(callee[1]) if found else None), 1
        return None, 0

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


def contained(value: Any) -> list[Any]:
    """``value`` and the objects it directly holds (a bounded look); for a
    numpy view, the array whose memory it shares."""
    found = [value]
    try:
        if _is_ndarray(value):
            base = value.base
            return found if base is None else [value, base]
        if kind_of(value, _COLLECTIONS):
            items = value
        elif kind_of(value, dict):
            items = value.values()
        else:
            return found
        for count, item in enumerate(items):
            if count >= _CONTAINER_ELEMENTS:
                break
            found.append(item)
    except Exception:
        pass
    return found


def _is_ndarray(value: Any) -> bool:
    return "numpy.ndarray" in _mro_names(value)


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
        if _is_ndarray(value) or kind_of(value, (types.ModuleType, type)):
            return []
        attributes = object.__getattribute__(value, "__dict__")
        if isinstance(attributes, dict):
            return list(attributes.values())[:_CONTAINER_ELEMENTS]
    except Exception:
        pass
    return []
