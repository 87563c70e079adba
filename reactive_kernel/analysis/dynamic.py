"""Which code can write names it does not name.

A cell's run-time writes are found from the names it binds (see
:class:`.namespace.Watch`) unless its code can bind or delete other names:
``exec``, ``globals()``, magics, ``import *``, frames, ``__main__``, directly
or through the notebook functions and classes it uses.  This module reads a
cell's code, and the code objects of what it calls, for those; what counts is
the data at the top.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import ast
# bound at import: a notebook that patches ast.parse must not blind the engine
from ast import parse, walk
import dis
import functools
import types
import weakref
from typing import Callable, Mapping

from .cells import magic_call

#: names whose use may bind or delete names the code does not name
DYNAMIC_NAMES = frozenset({
    "exec", "eval", "globals", "vars", "locals", "get_ipython", "__import__", "__main__",
    "__builtins__", "execfile", "runpy",
})
#: attributes that reach a namespace (a shell's, a module's, a frame's, a function's)
DYNAMIC_ATTRIBUTES = frozenset({
    "user_ns", "user_global_ns", "push", "del_var", "drop_by_id", "run_cell",
    "run_line_magic", "run_cell_magic", "magic", "ex", "ev", "safe_execfile", "__dict__",
    "__globals__", "f_globals", "f_locals", "_getframe", "currentframe",
})
#: an attribute that reaches a namespace only off a given module (``sys.modules``)
DYNAMIC_MODULE_ATTRIBUTES = frozenset({("sys", "modules")})
_STORES = frozenset({"STORE_GLOBAL", "DELETE_GLOBAL"})



def reach(code: str, transform: Callable[[str], str], namespace: Mapping) -> tuple[bool, set[str]]:
    """(whether running ``code`` may bind or delete names it does not name,
    the names the notebook functions it uses bind with ``global``).

    Dynamic: it uses one of :data:`DYNAMIC_NAMES` or :data:`DYNAMIC_ATTRIBUTES`
    or ``import *``, or a notebook function or class (one whose globals are
    the namespace) that does, however deep the calls go.  The ``global``
    writes count also for a function only passed along (``df.apply(f)``),
    which the engine's call analysis does not follow.  Code that does not
    parse, or a value whose code cannot be read, gets the safe answer."""
    loaded = _scan_cell(code, transform)
    if loaded is None:
        return True, set()
    writes: set[str] = set()
    seen: set[int] = set()
    pending = [namespace[n] for n in loaded if n in namespace]
    while pending:
        try:
            code_objects = _notebook_code(pending.pop(), namespace, seen)
        except _Opaque:
            return True, set()
        for code_object in code_objects:
            dynamic, names, stores = _scan_code(code_object)
            if dynamic:
                return True, set()
            writes |= stores
            pending.extend(namespace[n] for n in names if n in namespace)
    return False, writes


#: line magics that remove names from the namespace for the person, not as
#: the cell's value: ``%reset``, ``%reset_selective``
RESET_MAGICS = frozenset({"reset", "reset_selective"})


@functools.lru_cache(maxsize=1024)
def resets(code: str, transform: Callable[[str], str]) -> bool:
    """Whether ``code`` runs ``%reset`` or ``%reset_selective``.  What such a
    cell removes is gone, not its value: a reader of a removed name needs the
    name's provider to run again (the semantics' "input is gone"), as after
    a deletion by the kernel, where a ``del`` in a cell is that cell's value."""
    try:
        tree = parse(transform(code))
    except Exception:
        return False
    return any(isinstance(node, ast.Call) and (call := magic_call(node)) is not None
               and call[0] in RESET_MAGICS and call[2] is None for node in walk(tree))


class DynamicCode:
    """What one engine learned about dynamic code, on top of :func:`reach`.

    A cell judged static that wrote names it does not name anyway (through
    a library, say) is snapshotted from then on.  Each engine keeps its own:
    two engines in one process do not teach each other.
    """

    KEPT = 1024

    def __init__(self) -> None:
        self._learned: dict[str, None] = {}

    def reach(self, code: str, transform: Callable[[str], str], namespace: Mapping) -> tuple[bool, set[str]]:
        """As :func:`reach`, dynamic also when this engine learned ``code`` is."""
        if code in self._learned:
            return True, set()
        return reach(code, transform, namespace)

    def learn(self, code: str) -> None:
        """``code`` was judged static and wrote names it does not name."""
        if len(self._learned) >= self.KEPT:
            del self._learned[next(iter(self._learned))]
        self._learned[code] = None


@functools.lru_cache(maxsize=1024)
def _scan_cell(code: str, transform: Callable[[str], str]) -> frozenset[str] | None:
    """The names ``code`` loads, or None when it may bind names it does not
    name (or cannot be read)."""
    try:
        tree = parse(transform(code))
    except Exception:  # IPython shows the error
        return None
    loaded = set()
    for node in walk(tree):
        if isinstance(node, ast.Name):
            if node.id in DYNAMIC_NAMES:
                return None
            loaded.add(node.id)
        elif isinstance(node, ast.Attribute):
            if node.attr in DYNAMIC_ATTRIBUTES or (
                    isinstance(node.value, ast.Name) and (node.value.id, node.attr) in DYNAMIC_MODULE_ATTRIBUTES):
                return None
        elif isinstance(node, ast.ImportFrom):
            if any(alias.name == "*" for alias in node.names) or node.module in DYNAMIC_NAMES:
                return None
        elif isinstance(node, ast.Import):
            if any(alias.name.split(".")[0] in DYNAMIC_NAMES for alias in node.names):
                return None
    return frozenset(loaded)


def _notebook_code(value, namespace: Mapping, seen: set[int]) -> list[types.CodeType]:
    """Code objects not yet seen of a notebook function (or what it wraps),
    of a notebook class's methods, or of the class of a notebook object.
    Types are read with ``type()``, never ``isinstance``: a user object can
    make ``isinstance`` run its code (``__class__``); what still raises
    (a hostile metaclass) is :class:`_Opaque`."""
    try:
        return _code_of(value, namespace, seen)
    except Exception as error:
        raise _Opaque from error


class _Opaque(Exception):
    """A value whose code cannot be read without running the user's code:
    the caller assumes the worst (dynamic)."""


def _is(value, kinds) -> bool:
    return issubclass(type(value), kinds)


def _code_of(value, namespace: Mapping, seen: set[int]) -> list[types.CodeType]:
    if _is(value, types.MethodType):
        value = value.__func__
    if _is(value, types.FunctionType):
        functions = [value]
        wrapped = getattr(value, "__wrapped__", None)
        if _is(wrapped, types.FunctionType):
            functions.append(wrapped)
    else:
        cls = value if _is(value, type) else type(value)
        # classes made by the notebook's code are in its module (``__main__``)
        if getattr(cls, "__module__", None) != namespace.get("__name__", "builtins") or id(cls) in seen:
            return []
        seen.add(id(cls))
        members = [m.__func__ if _is(m, (staticmethod, classmethod)) else m
                   for m in vars(cls).values()]
        functions = [m for m in members if _is(m, types.FunctionType)]
    found = []
    for function in functions:
        if function.__globals__ is namespace and id(function.__code__) not in seen:
            seen.add(id(function.__code__))
            found.append(function.__code__)
    return found


_CODE_SCANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _scan_code(code: types.CodeType) -> tuple[bool, frozenset[str], frozenset[str]]:
    """(may bind names it does not name, global and attribute names it uses,
    globals it binds or deletes), nested functions and comprehensions included."""
    result = _CODE_SCANS.get(code)
    if result is None:
        names = set(code.co_names)
        dynamic = bool(names & (DYNAMIC_NAMES | DYNAMIC_ATTRIBUTES)) or any(
            set(pair) <= names for pair in DYNAMIC_MODULE_ATTRIBUTES)
        stores = {i.argval for i in dis.get_instructions(code) if i.opname in _STORES}
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                inner_dynamic, inner_names, inner_stores = _scan_code(const)
                dynamic = dynamic or inner_dynamic
                names |= inner_names
                stores |= inner_stores
        result = _CODE_SCANS[code] = (dynamic, frozenset(names), frozenset(stores))
    return result
