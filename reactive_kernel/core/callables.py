"""What a cell's call calls, from the values its names hold now.

The effects table names library callables by their dotted import path
(``numpy.random.seed``, ``requests.get``); a cell calls them by whatever its
names hold (``np.random.seed``, ``from requests import get as fetch``).  So
the table is matched by identity against the objects themselves, among the
modules already imported (never importing one: a lookup must cost nothing
and run no library code), and a call's callee is resolved from the
namespace.  The resources (files, generators) and the cache's unseen
effects both look calls up this way.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import builtins
import sys
import types
from typing import Any, Callable, Iterable, NamedTuple

from .values import kind_of
from .namespace import MISSING

#: bound methods whose owner may be a class (``datetime.now``): a new object
#: at every lookup, so matched by (owner, name)
_METHODS = (types.BuiltinMethodType, types.MethodType)
#: a wrapper made with ``functools.wraps`` (IPython's own ``open``) is looked through this deep
_WRAPPERS = 3


def imported(dotted: str) -> Any:
    """``dotted``'s object if its module is imported (MISSING if not): the
    longest prefix in ``sys.modules``, then attributes of modules only."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        value = module
        try:
            for attribute in parts[cut:]:
                value = getattr(value, attribute)
        except Exception:
            return MISSING
        return value
    return MISSING


class Known:
    """Objects named in a table (dotted path → what the table says of it),
    by identity, rebuilt when ``sys.modules`` grows or shrinks."""

    def __init__(self, entries: Callable[[], Iterable[tuple[str, Any]]]):
        self._entries = entries
        self._size = -1
        self._objects: dict[int, tuple[Any, Any]] = {}
        self._methods: dict[tuple[int, str], tuple[Any, Any]] = {}

    def refresh(self) -> None:
        if len(sys.modules) == self._size:
            return
        self._size = len(sys.modules)
        objects, methods = {}, {}
        for dotted, said in self._entries():
            value = imported(dotted)
            if value is MISSING:
                continue
            objects.setdefault(id(value), (value, said))
            owner = getattr(value, "__self__", None)
            if isinstance(owner, type):
                methods.setdefault((id(owner), value.__name__), (owner, said))
        self._objects, self._methods = objects, methods

    def get(self, value: Any) -> Any:
        """What the table says of ``value`` (or of the function it wraps), or None."""
        for _ in range(_WRAPPERS):
            said = self._exactly(value)
            if said is not None or type(value) is not types.FunctionType:
                return said
            value = value.__dict__.get("__wrapped__", MISSING)
        return None

    def _exactly(self, value: Any) -> Any:
        found = self._objects.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        owner = getattr(value, "__self__", None) if isinstance(value, _METHODS) else None
        if isinstance(owner, type):
            found = self._methods.get((id(owner), getattr(value, "__name__", "")))
            if found is not None and found[0] is owner:
                return found[1]
        return None


class Callee(NamedTuple):
    """A call's target: a ``function`` (MISSING when a method), or a method
    named ``method`` of ``receiver``."""
    function: Any = MISSING
    receiver: Any = MISSING
    method: str | None = None


def callee(dotted: tuple[str, ...], namespace, through: tuple[type, ...] = (types.ModuleType,),
           deep: bool = False) -> Callee | None:
    """What ``a.b.c(...)`` calls, its head looked up in ``namespace`` (then
    builtins): attributes are followed through modules (and whatever else
    ``through`` names, e.g. classes); on any other object the last name is a
    method of it, and an earlier one is followed only when ``deep`` (an
    attribute of a user object may run its code).  None when a name is
    unbound or the path cannot be followed."""
    value = namespace.get(dotted[0], MISSING)
    if value is MISSING and len(dotted) == 1:
        value = getattr(builtins, dotted[0], MISSING)
    if value is MISSING:
        return None
    for i, attribute in enumerate(dotted[1:], 1):
        if not kind_of(value, through):
            if i == len(dotted) - 1:
                return Callee(receiver=value, method=attribute)
            if not deep:
                return None
        value = getattr(value, attribute, MISSING)
        if value is MISSING:
            return None
    return Callee(function=value)
