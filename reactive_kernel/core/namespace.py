"""Namespace hygiene: what a run changed, and values set aside and put back.

Finding what a run changed must not cost time in proportion to the
namespace: IPython adds ``_iN`` and ``_N`` with every execution, so a long
session's namespace grows, and a copy per cell made every edit slower.  A
:class:`Watch` costs what the cell names: the identities of its static
writes, the namespace's size and last few keys (new names are appended, so
they are found from the end).  Only code that can write names it does not
name (``exec``, ``globals()``, magics, ``import *``, frames, ``__main__``,
directly or through the notebook functions it uses: :mod:`.dynamic`
decides) gets a full :class:`Snapshot`.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import itertools
import operator
import weakref
from typing import Callable, Iterable, Mapping, MutableMapping

from ..analysis.names import is_graph_name

#: the one stand-in for "no value here" (``namespace.get(name, MISSING)``)
MISSING = object()
_MISSING_ID = id(MISSING)
#: how many of the newest keys a cell does not name a Watch remembers: the
#: first marks where new names start, the others that it kept its place
_ANCHORS = 3

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
        self._values = {n: namespace.get(n, MISSING) for n in self.names}
        self._owner, self._binder = owner, binder
        self._owners = {n: owner.get(n, MISSING) for n in self.names} if owner is not None else {}
        self._binders = {n: binder.get(n, MISSING) for n in self.names} if binder is not None else {}

    def values(self):
        """The values set aside (references of the run's, not the user's): a
        view, which adds no reference of its own."""
        return self._values.values()

    def items(self):
        """The names with the values set aside (a view, as :meth:`values`)."""
        return self._values.items()

    def take(self) -> None:
        for name in self.names:
            self.namespace.pop(name, None)

    def owner_of(self, name: str):
        who = self._owners.get(name, MISSING)
        return None if who is MISSING else who

    def put_back(self, names: Iterable[str] | None = None) -> list[str]:
        """Restore the stashed names (all by default); return those whose
        value had changed."""
        if not self.names:
            return []
        changed = []
        namespace = self.namespace
        chosen = self._values if names is None else {n: self._values[n] for n in names if n in self._values}
        for name, value in chosen.items():
            now = namespace.get(name, MISSING)
            if now is value:
                continue
            changed.append(name)
            if value is MISSING:
                namespace.pop(name, None)
            else:
                namespace[name] = value
        for saved, store in ((self._owners, self._owner), (self._binders, self._binder)):
            for name, who in saved.items():
                if name not in chosen:
                    continue
                if who is MISSING:
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
    #: a snapshot is taken for code that can bind any name: all are the run's
    named = None

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


def weakly(value) -> weakref.ref | None:
    """A weak reference to ``value``, or None for what takes none (lists,
    dicts, numbers): holding it must not keep the value alive.  Read past
    the class's own attribute lookup: a user's metaclass may raise there."""
    try:
        if not type.__getattribute__(type(value), "__weakrefoffset__"):
            return None
        return weakref.ref(value)
    except Exception:
        return None


def same_object(value, identity: int, ref: weakref.ref | None) -> bool:
    """Whether ``value`` is the object remembered by its ``id`` and a weak
    reference (:func:`weakly`).  The id alone may be a new object's: the old
    one freed, the new one allocated at its address.  Without a reference
    (the type takes none) the id is all there is."""
    return id(value) == identity and (ref is None or ref() is value)


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

    __slots__ = ("names", "ids", "refs", "size", "newest", "surprised", "named")

    def __init__(self, namespace: Mapping, names: Iterable[str], learned: Iterable[str] = ()):
        self.names = list(dict.fromkeys(names))
        #: the names the code itself can bind (``learned``: watched only because
        #: an earlier run saw them change); others that change are not its doing
        self.named = frozenset(self.names) - frozenset(learned)
        get = namespace.get
        values = [get(n, MISSING) for n in self.names]
        self.ids = [id(v) for v in values]
        #: an identity alone can be the new object's: a loop rebinding ``m``
        #: frees the old array, and a new one may get its address.  Weak
        #: references tell them apart where the type takes one (arrays,
        #: frames, instances), without keeping the old object alive.
        self.refs = [weakly(v) for v in values]
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
        for name, old, ref in zip(self.names, self.ids, self.refs):
            value = get(name, MISSING)
            if old != _MISSING_ID:
                present.add(name)
                if value is MISSING:
                    deleted.add(name)
                    continue
            if value is not MISSING and not same_object(value, old, ref):
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
        # a remembered key the cell does not name, now in the tail, was moved
        # (deleted and set again) by code it does not name: counts prove nothing
        remembered = set(self.newest) - watched
        moved_unnamed = any(k in remembered for k in tail)
        consistent = found and not moved_unnamed and len(tail) == expected and (
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
