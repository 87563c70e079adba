"""Namespace hygiene: what a run changed, and values set aside and put back.

Finding what a run changed must not cost time in proportion to the
namespace: IPython adds ``_iN`` and ``_N`` with every execution, so a long
session's namespace grows, and a copy per cell made every edit slower.  A
:class:`Watch` costs what the cell names: the identities of its static
writes, the namespace's size and last few keys (new names are appended, so
they are found from the end).  Only code that can write names it does not
name (``exec``, ``globals()``, magics, ``import *``, frames, ``__main__``,
directly or through the notebook functions it uses) gets a full
:class:`Snapshot`.
"""
from __future__ import annotations

import ast
import dis
import functools
import itertools
import operator
import types
import weakref
from typing import Callable, Iterable, Mapping, MutableMapping

from .analysis import is_graph_name

_MISSING = object()
_MISSING_ID = id(_MISSING)
#: how many of the newest keys a cell does not name a Watch remembers: the
#: first marks where new names start, the others that it kept its place
_ANCHORS = 3

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


class Stash:
    """Values of some names, taken at construction and put back on demand.

    Two uses: a later cell's value that the plan overwrites goes back after
    the plan (Run All ends with it), and a value only a later cell binds is
    hidden (``take``) while an earlier cell runs, so that cell cannot see it.
    """

    def __init__(self, namespace: MutableMapping, names: Iterable[str],
                 owner: dict | None = None, binder: dict | None = None):
        self.namespace = namespace
        self.names = set(names)
        self._values = {n: namespace.get(n, _MISSING) for n in self.names}
        self._owner, self._binder = owner, binder
        self._owners = {n: owner.get(n, _MISSING) for n in self.names} if owner is not None else {}
        self._binders = {n: binder.get(n, _MISSING) for n in self.names} if binder is not None else {}

    def take(self) -> None:
        for name in self.names:
            self.namespace.pop(name, None)

    def owner_of(self, name: str):
        who = self._owners.get(name, _MISSING)
        return None if who is _MISSING else who

    def put_back(self, names: Iterable[str] | None = None) -> list[str]:
        """Restore the stashed names (all by default); return those whose
        value had changed."""
        changed = []
        namespace = self.namespace
        chosen = self._values if names is None else {n: self._values[n] for n in names if n in self._values}
        for name, value in chosen.items():
            now = namespace.get(name, _MISSING)
            if now is value:
                continue
            changed.append(name)
            if value is _MISSING:
                namespace.pop(name, None)
            else:
                namespace[name] = value
        for saved, store in ((self._owners, self._owner), (self._binders, self._binder)):
            for name, who in saved.items():
                if name not in chosen:
                    continue
                if who is _MISSING:
                    store.pop(name, None)
                else:
                    store[name] = who
        return sorted(changed)


class Snapshot:
    """Which object each name held before a run, without holding the objects.

    Keeping the old values alive would change what the user's code sees:
    pandas warns about chained assignment (SettingWithCopyWarning) when the
    frame a slice came from is still alive, and ``__del__`` runs late.  So
    only identities are kept; a name rebound to a new object that happens to
    reuse a freed object's address looks unchanged, which only matters for
    writes static analysis cannot see (those it sees are added anyway).
    """

    __slots__ = ("keys", "ids")

    def __init__(self, namespace: Mapping):
        self.keys = list(namespace)
        self.ids = list(map(id, namespace.values()))

    surprised = False

    def changes(self, after: Mapping, known=None) -> tuple[set[str], set[str]]:
        """As :meth:`Watch.changes` (the whole namespace is compared)."""
        return namespace_changes(self, after)


def namespace_changes(before: Snapshot, after: Mapping) -> tuple[set[str], set[str]]:
    """Graph names a run bound anew (new, or holding another object) and
    names it deleted.

    Dicts keep insertion order and rebinding keeps a key's place, so unless
    a name was deleted the old keys are a prefix of the new ones and the
    comparison runs in C; IPython's namespace grows with every execution
    (``_i42``), which would make a Python loop the cost of every step.
    """
    keys = list(after)
    old = before.keys
    count = len(old)
    if keys[:count] == old:
        ids = list(map(id, after.values()))
        same = map(operator.ne, ids, before.ids)
        changed = list(itertools.compress(keys, same)) + keys[count:]
        deleted: list[str] = []
    else:
        previous = dict(zip(old, before.ids))
        changed = [k for k, v in after.items() if previous.get(k) != id(v)]
        deleted = [k for k in old if k not in after]
    return set(filter(is_graph_name, changed)), set(filter(is_graph_name, deleted))


class Watch:
    """What a run may change, taken in time proportional to what the cell
    names: the identities held by the names it may bind, the namespace's size
    and its newest keys.

    Afterwards those names are compared, and the names added since are read
    off the end of the dict (insertion order).  The size says whether every
    deletion and every key moved to the end is accounted for; when not (code
    judged static wrote dynamically after all, say through a library), the
    comparison falls back to the names the engine knows (``known``) and
    ``surprised`` is set.  Not seen: a library rebinding, in place, a name the
    cell does not name; code that can do that from the notebook gets a
    :class:`Snapshot` instead (:func:`reach`).
    """

    __slots__ = ("names", "ids", "size", "newest", "surprised")

    def __init__(self, namespace: Mapping, names: Iterable[str]):
        self.names = list(dict.fromkeys(names))
        get = namespace.get
        self.ids = [id(get(n, _MISSING)) for n in self.names]
        self.size = len(namespace)
        # the newest keys, back to the _ANCHORS-th one the cell does not name
        watched, newest, others = set(self.names), [], 0
        for key in reversed(namespace):
            newest.append(key)
            others += key not in watched
            if others == _ANCHORS:
                break
        self.newest = newest
        self.surprised = False

    def changes(self, after: Mapping, known: Callable[[], Iterable[str]] | None = None
                ) -> tuple[set[str], set[str]]:
        """Graph names the run bound anew and names it deleted, as
        :func:`namespace_changes` finds them."""
        changed: set[str] = set()
        deleted: set[str] = set()
        present: set[str] = set()  # watched names that existed before
        get = after.get
        for name, old in zip(self.names, self.ids):
            value = get(name, _MISSING)
            if old != _MISSING_ID:
                present.add(name)
                if value is _MISSING:
                    deleted.add(name)
                    continue
            if value is not _MISSING and id(value) != old:
                changed.add(name)
        watched = set(self.names)
        anchor = next((k for k in self.newest if k not in watched), None)
        # keys after the anchor: names added (or moved to the end), and
        # watched names newer than the anchor that stayed in place
        limit = len(after) - self.size + len(deleted) + len(present) + 1
        keys = reversed(after)
        tail = []
        found = anchor is None
        for key in keys:
            if key == anchor:
                found = True
                break
            tail.append(key)
            if len(tail) > limit:
                break
        old_in_tail = sum(1 for k in tail if k in present)
        expected = len(after) - self.size + len(deleted) + old_in_tail
        consistent = found and len(tail) == expected and (
            anchor is not None or self.size == len(self.newest)) and self._older_in_place(
            keys, anchor, deleted, tail)
        if consistent:
            changed.update(k for k in tail if k not in present)
        else:
            self.surprised = True
            changed, deleted = self._fallback(after, changed, deleted, present, known)
        return set(filter(is_graph_name, changed)), set(filter(is_graph_name, deleted))

    def _older_in_place(self, keys, anchor, deleted: set[str], tail: list[str]) -> bool:
        """Whether the keys before the anchor are the remembered ones: else the
        anchor itself moved, and the tail's length proves nothing."""
        if anchor is None:
            return True
        moved = set(tail)
        older = self.newest[self.newest.index(anchor) + 1:]
        expected = [k for k in older if k not in deleted and k not in moved][:2]
        return list(itertools.islice(keys, len(expected))) == expected

    def _fallback(self, after: Mapping, changed: set[str], deleted: set[str], present: set[str],
                  known: Callable[[], Iterable[str]] | None) -> tuple[set[str], set[str]]:
        """Something the cell does not name was deleted or moved: names the
        engine knew that are gone were deleted; names it did not know, after
        the newest remembered key still present, are new (with no remembered
        key left, new names cannot be told from old ones: none are claimed)."""
        names = set(known()) if known is not None else set()
        deleted = deleted | {n for n in names if n not in after}
        remembered = {k for k in self.newest if k not in present}
        added = []
        for key in reversed(after):
            if key in remembered:
                changed.update(added)
                break
            if key not in names and key not in present:
                added.append(key)
        return changed, deleted


# -- which code can bind names it does not name ------------------------------------------

def reach(code: str, transform: Callable[[str], str], namespace: Mapping) -> tuple[bool, set[str]]:
    """(whether running ``code`` may bind or delete names it does not name,
    the names the notebook functions it uses bind with ``global``).

    Dynamic: it uses one of :data:`DYNAMIC_NAMES` or :data:`DYNAMIC_ATTRIBUTES`
    or ``import *``, or a notebook function or class (one whose globals are
    the namespace) that does, however deep the calls go.  The ``global``
    writes count also for a function only passed along (``df.apply(f)``),
    which the engine's call analysis does not follow.  Code that does not
    parse gets the safe answer."""
    if code in _LEARNED:
        return True, set()
    loaded = _scan_cell(code, transform)
    if loaded is None:
        return True, set()
    writes: set[str] = set()
    seen: set[int] = set()
    pending = [namespace[n] for n in loaded if n in namespace]
    while pending:
        for code_object in _notebook_code(pending.pop(), namespace, seen):
            dynamic, names, stores = _scan_code(code_object)
            if dynamic:
                return True, set()
            writes |= stores
            pending.extend(namespace[n] for n in names if n in namespace)
    return False, writes


def learn_dynamic(code: str) -> None:
    """A cell judged static wrote names it does not name: snapshot it from now on."""
    if len(_LEARNED) >= 1024:
        del _LEARNED[next(iter(_LEARNED))]
    _LEARNED[code] = None


_LEARNED: dict[str, None] = {}


@functools.lru_cache(maxsize=1024)
def _scan_cell(code: str, transform: Callable[[str], str]) -> frozenset[str] | None:
    """The names ``code`` loads, or None when it may bind names it does not
    name (or cannot be read)."""
    try:
        tree = ast.parse(transform(code))
    except Exception:  # IPython shows the error
        return None
    loaded = set()
    for node in ast.walk(tree):
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
    of a notebook class's methods, or of the class of a notebook object."""
    if isinstance(value, types.MethodType):
        value = value.__func__
    if isinstance(value, types.FunctionType):
        functions = [value]
        wrapped = getattr(value, "__wrapped__", None)
        if isinstance(wrapped, types.FunctionType):
            functions.append(wrapped)
    else:
        cls = value if isinstance(value, type) else type(value)
        # classes made by the notebook's code are in its module (``__main__``)
        if getattr(cls, "__module__", None) != namespace.get("__name__", "builtins") or id(cls) in seen:
            return []
        seen.add(id(cls))
        members = [m.__func__ if isinstance(m, (staticmethod, classmethod)) else m
                   for m in vars(cls).values()]
        functions = [m for m in members if isinstance(m, types.FunctionType)]
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
