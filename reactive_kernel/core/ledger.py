"""Who made the namespace's values: the engine's ownership bookkeeping.

The invariant, stated once:

* ``owner[name]`` is the cell whose run put the namespace's current value of
  ``name`` there: it bound, mutated or deleted it last.
* ``binder[name]`` is the cell whose run bound the object ``name`` holds.
  Mutations take ownership but not binding, so a clean rerun or deletion of
  the binder still removes the name after other cells mutated it.
* ``objects[id(obj)]`` is the ``(cell, name)`` that first bound a mutable
  object (or a container holding it); ``holders[id(obj)]`` the names whose
  values reached it when bound.  A mutation through an alias (``M = L``,
  ``v = d['k']``, a numpy view) is traced to the cell that made the object.
  An identity counts only while the name still holds the object
  (:meth:`Ledger.still_holds`): a freed object's address may be reused.

Nothing here runs or plans cells; the engine asks and tells.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from typing import Any, Iterable, Mapping, MutableMapping, Protocol

from .values import SCALARS, contained, is_immutable, is_ndarray, reachable
from .namespace import MISSING


_OBJECTS_KEPT = 200_000


class CellRecord(Protocol):
    id: str
    #: names its last run bound (what a clean rerun removes)
    bound: set[str]
    #: names its last run deleted
    deleted: set[str]


class Ledger:
    """Which cell made each name's value and each object (see the module)."""

    def __init__(self, namespace: MutableMapping, cells: Mapping[str, CellRecord]):
        self.namespace = namespace
        #: the engine's registered cells: entries of cells that are gone do not count
        self.cells = cells
        self.owner: dict[str, str] = {}
        self.binder: dict[str, str] = {}
        self.objects: dict[int, tuple[str, str]] = {}
        self.holders: dict[int, set[str]] = {}

    def owner_of(self, name: str) -> str | None:
        return self.owner.get(name)

    def take(self, cell_id: str, names: Iterable[str]) -> None:
        """The cell's run left these names' values (or their absence)."""
        for name in names:
            self.owner[name] = cell_id

    def bind(self, cell_id: str, names: Iterable[str]) -> None:
        """The cell's run bound the objects these names hold."""
        for name in names:
            self.binder[name] = cell_id

    def release(self, name: str) -> None:
        """The name's value is no cell's any more (it was removed)."""
        self.owner.pop(name, None)

    def holds(self, cell: CellRecord, name: str) -> bool:
        """Whether the namespace's value of ``name`` comes from ``cell``'s
        last run: it wrote it last, or bound the object later cells mutated."""
        if self.owner.get(name) == cell.id:
            return True
        return name in cell.bound and self.binder.get(name) == cell.id

    def known_names(self) -> list[str]:
        """Names the engine believes cells' runs left bound."""
        cells = self.cells
        return [n for n, c in self.owner.items() if c not in cells or n not in cells[c].deleted]

    def still_holds(self, name: str, item: Any) -> bool:
        value = self.namespace.get(name, MISSING)
        return value is item or any(x is item for x in contained(value, self.namespace))

    def aliases(self, value: Any) -> list[str]:
        """Names bound (by the cell that made it) to ``value`` or to what it
        holds, and names of containers that hold ``value``."""
        names = []
        for item in contained(value, self.namespace):
            entry = self.objects.get(id(item))
            if entry is not None and self.still_holds(entry[1], item):
                names.append(entry[1])
        for holder in self.holders.get(id(value), ()):
            if any(x is value for x in reachable(self.namespace.get(holder, None))):
                names.append(holder)
        return names

    def makers(self, value: Any, contents: bool = False) -> list[str]:
        """The names under which cells made ``value`` (a numpy view: its
        base; with ``contents``, also what it directly holds), while they
        still hold it: whose object a cell changes through a name of its own."""
        items = contained(value, self.namespace)
        if not contents and not is_ndarray(value):
            items = items[:1]
        names = []
        for item in items:
            entry = self.objects.get(id(item))
            if entry is not None and entry[0] in self.cells and self.still_holds(entry[1], item):
                names.append(entry[1])
        return names

    def remember_objects(self, cell_id: str, names: Iterable[str]) -> None:
        """Note which cell made each mutable object the names hold (by
        identity), the objects their containers hold included."""
        self._prune()
        objects, holders = self.objects, self.holders
        for name in sorted(names):  # sorted: which alias is noted first must not depend on hashing
            if not name.isidentifier():
                continue
            value = self.namespace.get(name, None)
            if type(value) in SCALARS:
                continue  # holds nothing, and nothing can mutate it
            for item in reachable(value):
                holders.setdefault(id(item), set()).add(name)
            for item in contained(value, self.namespace):
                if is_immutable(item):
                    continue
                entry = objects.get(id(item))
                if entry is None or entry[0] not in self.cells or not self.still_holds(entry[1], item):
                    objects[id(item)] = (cell_id, name)

    def _prune(self) -> None:
        """Bound the tables: drop entries no name holds any more."""
        if len(self.objects) > _OBJECTS_KEPT:
            self.objects = {k: v for k, v in self.objects.items()
                            if v[0] in self.cells and self._holds_id(v[1], k)}
        if len(self.holders) > _OBJECTS_KEPT:
            self.holders.clear()

    def _holds_id(self, name: str, key: int) -> bool:
        return any(id(x) == key for x in contained(self.namespace.get(name, None), self.namespace))
