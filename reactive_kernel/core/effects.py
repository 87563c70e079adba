"""A cell's reads and writes as they are when it runs: calls followed, effects decided.

Static analysis says *where* a cell may change an object; only the value a
name holds says *whether* it does.  :func:`resolve` runs three phases:
:func:`callees.follow_calls` takes on the reads, ``global`` writes and
effect candidates of the notebook functions and classes a cell calls
(transitively, from the cell's position); :func:`decide_effects` decides
each candidate with the receiver's runtime type (:mod:`mutation`, with the
knowledge in :mod:`effects_table`); :func:`widen_to_aliases` makes a
mutation one of every name sharing the object.  Inspecting user objects
never raises: a value whose type cannot be inspected counts as mutable.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import types
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from .callees import Lookup, by_qualname, follow_calls, run_by_calling, through_returns
from .mutation import Judge
from .namespace import MISSING
from .values import (closure_of, defined_here, holds_class_state, is_immutable, is_module, kind_of,
                     refuses_stores, shared_class_state)
from ..analysis.names import RETURNED, Effect, Names, Summary


@dataclass(frozen=True)
class Resolved:
    reads: frozenset
    #: bindings and mutations, like ``Names.writes``
    writes: frozenset
    mutations: frozenset


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


def _objects_changed(mutations: frozenset, namespace: Mapping) -> set[str]:
    """Names statically changed in place (``n[k] = v``).  A module's state
    (``pd.options...``, ``plt.rcParams[...]``) is not a value the rules
    follow, as method calls on modules are not (``np.random.seed``).  A
    value that refuses stores (``s[0] = 'x'`` on a str raises) is not changed."""
    return {n for n in mutations
            if not is_module(namespace.get(n)) and not refuses_stores(namespace.get(n, MISSING))}


def decide_effects(effects: Iterable[Effect], local: frozenset, lookup: Lookup) -> set[str]:
    """The names whose objects the candidates change, judged by the values
    they hold now.  A name the cell binds itself holds the cell's own object."""
    judge = Judge(lookup)
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
        found = run_by_calling(name, lookup)
        if found is None:
            continue
        judge = judge or Judge(lookup)
        if found.keeps_state or any(judge.parameter_mutated(found, param, default)
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
    judge = Judge(lookup)
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


def through_closures(reads: Iterable[str], lookup: Lookup, aliases: Callable[[Any], Iterable[str]],
                     makers: Callable[[Any, bool], Iterable[str]]) -> set[str]:
    """A function made by another function (``add = make(L)``) may change
    what its closure holds (``acc.append(x)``): a cell that reads it (and so
    may call it) changes that object when its effects on the free variable
    say so, judged with the closure's object.  A notebook function with a
    closure whose summary cannot be found may change all of it."""
    judge = Judge(lookup)
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
