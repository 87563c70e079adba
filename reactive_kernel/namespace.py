"""Namespace hygiene: what a run changed, and values set aside and put back."""
from __future__ import annotations

import itertools
import operator
from typing import Iterable, Mapping, MutableMapping

from .analysis import is_graph_name

_MISSING = object()


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
