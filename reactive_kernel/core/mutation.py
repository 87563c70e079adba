"""Whether one effect candidate changes the object its root holds (phase 2).

Static analysis says *where* a cell may change an object; only the value
says *whether* it does (``L.pop()`` on a list, ``line.index(s)`` on a str).
A method is judged by the effects table, or by the notebook class's own
summary; an argument is followed into the notebook function it is passed to
and judged there with the caller's value.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import types
from typing import Any, Callable, Mapping

from . import effects_table as table
from .callees import Lookup, by_qualname
from .namespace import MISSING
from .values import (class_attribute, defined_here, holds_class_state, instance_attribute, is_immutable,
                     is_iterator, kind_of, mro_names, value_function)
from ..analysis.names import DISPLAY, ITER, METHOD, REBIND, STORE, Effect, Summary


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


class Judge:
    """Whether one candidate changes ``value``, the object its root holds.
    An argument is followed into the notebook function it is passed to and
    judged there with the caller's value."""

    def __init__(self, lookup: Lookup):
        self.lookup = lookup
        #: (callee, parameter) being judged: guards recursion (f calls f)
        self._open: set[tuple[int, str]] = set()

    def mutates(self, effect: Effect, value: Any) -> bool:
        kind = effect.kind
        if kind == REBIND:  # binds the function's own name (see parameter_mutated)
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
        return self.parameter_mutated(found, found.params[0], value)

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
            return self.parameter_mutated(target, _parameter(target.params, effect.position, shift), value)
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
            own = instance_attribute(head, callee[1])
            if own is not MISSING:
                return self._callable(own)
            found = lookup.class_summary(head)
            if found is not None:
                return found.methods.get(callee[1]), 1
            if kind_of(head, type) and defined_here(head, lookup.namespace):
                return self._callable(class_attribute(head, callee[1]))
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

    def parameter_mutated(self, target: Summary, param: str | None, value: Any) -> bool:
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


def _parameter(params: tuple, position: int | str | None, shift: int) -> str | None:
    """The parameter an argument binds: by index (past ``self`` for a
    method), or by keyword."""
    if isinstance(position, int):
        index = position + shift
        return params[index] if index < len(params) else None
    if isinstance(position, str) and position in params:
        return position
    return None
