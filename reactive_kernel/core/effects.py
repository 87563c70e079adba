"""A cell's reads and writes as they are when it runs: calls followed, effects decided.

Static analysis says *where* a cell may change an object; only the value a
name holds says *whether* it does (``L.pop()`` on a list, ``line.index(s)`` on
a str).  :func:`resolve` decides each candidate with the receiver's runtime
type and the knowledge in :mod:`effects_table`, follows calls into notebook
functions and classes (their reads, ``global`` writes and effects on
arguments, transitively) and widens a mutation to the names that share the
object (aliases).  Inspecting user objects never raises: a value whose type
cannot be inspected counts as mutable.
"""
from __future__ import annotations

import collections.abc
import types
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from . import effects_table as table
from .namespace import MISSING
from ..analysis.cells import Effect, Names, Summary

_CONTAINER_ELEMENTS = 64


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


def is_immutable(value: Any) -> bool:
    if value is None or kind_of(value, types.ModuleType):
        return True
    return any(name in table.IMMUTABLE_TYPES for name in _mro_names(value))


def is_iterator(value: Any) -> bool:
    try:
        return isinstance(value, collections.abc.Iterator)
    except Exception:
        return False


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
    for name in _mro_names(value):
        entry = table.METHODS.get(name)
        if entry is not None:
            if "non_mutating" in entry:
                return method not in entry["non_mutating"]
            return method in entry["mutating"]
    klass = notebook_class(value, namespace)
    if klass is not None:
        summary = summary_of(klass)
        method_summary = summary.methods.get(method) if summary else None
        if method_summary is not None and method_summary.params:
            self_name = method_summary.params[0]
            return any(e.root == self_name and e.kind in ("store", "method") for e in method_summary.effects)
    return True


def callee_path(callee: tuple[str, ...], namespace: Mapping) -> str | None:
    """A library callee's full dotted name, for the argument-mutator table."""
    head = namespace.get(callee[0], MISSING)
    if head is MISSING:
        return "builtins." + callee[0] if len(callee) == 1 else None
    if kind_of(head, types.ModuleType):
        return ".".join([getattr(head, "__name__", callee[0]), *callee[1:]])
    if len(callee) == 1:
        try:
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
    ``obj`` directly contains.
    """
    if not (names.reads or names.effects or names.mutations):  # nothing to look up
        return Resolved(reads=frozenset(), writes=frozenset(names.writes), mutations=frozenset())
    own = names.functions

    def summary(name: str) -> Summary | None:
        return own[name] if name in own else summary_of(name)

    reads = set(names.reads)
    binds = set(names.bindings)
    # a module's state (pd.options..., plt.rcParams[...]) is not a value the
    # rules follow, as method calls on modules are not (np.random.seed)
    mutated = {n for n in names.mutations if not kind_of(namespace.get(n), types.ModuleType)}
    local = names.bindings
    effects: list[Effect] = list(names.effects)

    # follow calls: functions read their free names when they run (the
    # cell's own functions were followed by analysis, where it calls them)
    expanded: set[tuple[str, frozenset]] = set()
    context = names.bound_before
    pending = [(name, context.get(name, frozenset())) for name in reads if name not in own]

    def expand(name: str, before: frozenset) -> None:
        if (name, before) in expanded:
            return
        expanded.add((name, before))
        found = summary_of(name)
        value = namespace.get(name, MISSING)
        if found is not None and _from_library(value, namespace):
            found = None  # defined in a branch that did not run: the name holds a library's
        if found is None:
            klass = notebook_class(value, namespace)
            found = summary(klass) if klass else None
        if found is None:
            return
        for free in found.reads - before:
            reads.add(free)
            pending.append((free, before))
        binds.update(found.binds)
        for effect in found.effects:
            if effect.root not in found.params:
                effects.append(effect)
        for method in found.methods.values():
            effects.extend(e for e in method.effects if e.root not in method.params)

    while pending:
        expand(*pending.pop())

    # decide effects
    seen_calls: set[tuple] = set()

    def decide(effect: Effect) -> None:
        root = effect.root
        if root in local:
            return
        value = namespace.get(root, MISSING)
        if kind_of(value, types.ModuleType):
            return
        if _mutates(effect, value) and (value is MISSING or not is_immutable(value)):
            mutated.add(root)

    def _mutates(effect: Effect, value: Any) -> bool:
        kind = effect.kind
        if kind == "store":
            return True
        if kind == "iter":
            return value is not MISSING and is_iterator(value)
        if kind == "method":
            if effect.inplace:
                return True
            if value is MISSING:
                return effect.method in table.CHAINED_MUTATORS
            if effect.chained:
                return effect.method in table.CHAINED_MUTATORS and not is_immutable(value)
            return method_mutates(value, effect.method, summary, namespace)
        # an argument: consumed if an iterator, changed if the callee says so
        if value is not MISSING and is_iterator(value):
            return True
        if effect.position in table.OUTPUT_KEYWORDS:
            return True
        callee = effect.callee
        if callee is None:
            return False
        target = summary(callee[0]) if len(callee) == 1 else None
        if target is None and len(callee) == 2:
            target = _method_summary(callee, namespace, summary)
            if target is not None:
                return _param_mutated(target, effect.position, value, shift=1)
        if target is not None:
            return _param_mutated(target, effect.position, value)
        path = callee_path(callee, namespace)
        positions = table.ARGUMENT_MUTATORS.get(path or "")
        return positions is not None and effect.position in positions

    def _param_mutated(target: Summary, position, value, shift: int = 0) -> bool:
        params = target.params
        if isinstance(position, int):
            index = position + shift
            if index >= len(params):
                return False
            param = params[index]
        elif isinstance(position, str) and position in params:
            param = position
        else:
            return False
        key = (id(target), param)
        if key in seen_calls:
            return False
        seen_calls.add(key)
        try:
            # the callee's effects on its parameter, judged with the caller's value
            # (whether that value is immutable is checked once, in ``decide``)
            if any(inner.root == param and _mutates(inner, value) for inner in target.effects):
                return True
            return False
        finally:
            seen_calls.discard(key)

    for effect in effects:
        decide(effect)

    # aliases: a mutation of an object is a mutation of every name bound to it
    for root in list(mutated):
        value = namespace.get(root, MISSING)
        if value is MISSING:
            continue
        for other in aliases(value):
            if other != root and other not in local:
                mutated.add(other)

    reads |= mutated
    return Resolved(
        reads=frozenset(reads),
        writes=frozenset(binds | mutated),
        mutations=frozenset(mutated - binds),
    )


def _method_summary(callee, namespace, summary) -> Summary | None:
    """``obj.method`` where ``obj`` is an instance of a notebook class."""
    value = namespace.get(callee[0], MISSING)
    if value is MISSING:
        return None
    klass = notebook_class(value, namespace)
    found = summary(klass) if klass else None
    return found.methods.get(callee[1]) if found else None


def contained(value: Any) -> list[Any]:
    """``value`` and the objects it directly holds (a bounded look); for a
    numpy view, the array whose memory it shares."""
    found = [value]
    try:
        if _is_ndarray(value):
            base = value.base
            return found if base is None else [value, base]
        if kind_of(value, (list, tuple, set, frozenset, collections.deque)):
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
        if kind_of(value, (list, tuple, set, frozenset, collections.deque)):
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
