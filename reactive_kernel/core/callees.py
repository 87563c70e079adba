"""Which notebook code a cell's calls run (phase 1 of :func:`effects.resolve`).

Functions read their free names when they run, so a cell that may call one
reads them; the summaries analysis made of the notebook's functions and
classes are looked up at the cell's position (:class:`Lookup`) and taken on
transitively (:func:`follow_calls`).
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import types
from dataclasses import replace
from typing import Any, Callable, Mapping

from .namespace import MISSING
from .values import closure_of, defined_here, from_library, kind_of, notebook_class
from ..analysis.names import RETURNED, Effect, Names, Summary


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
        found = run_by_calling(name, lookup)
        if found is None:
            continue
        fresh = found.reads - before
        followed.reads |= fresh
        pending.extend((free, before) for free in fresh)
        followed.take_on(found)
    return followed


def run_by_calling(name: str, lookup: Lookup) -> Summary | None:
    """The notebook code calling ``name`` may run: a function or class the
    notebook defined, or the class of a notebook instance (its methods)."""
    found = lookup.summary_of(name)
    value = lookup.value(name)
    if found is not None and from_library(value, lookup.namespace):
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
        found = run_by_calling(effect.root, lookup)
        for name in sorted(found.returns) if found is not None else ():
            out.append(Effect(effect.kind, name, effect.method, chained=True))
    return out


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
