"""Links an entry would cut: objects of a cell's values that other names
also hold, and arrays that share memory.

An entry is one pickle.  Loading it gives new objects: one object under two
names of the entry stays one object, but nothing links the loaded values to
what other names hold, and a numpy view comes back as an array of its own
(pickle copies a view's data).  In the notebook, ``g2 = g.reshape(2, 3)``
makes a view, and ``g2[0, 1] = 99`` then changes ``g`` too; served from
entries, ``g`` and ``g2`` would be apart and the change would show in one
only (found on the corpus: handson-ml3 tools_numpy, a restart then every cell
in order, with ``%reactive cache auto 0``).  So a cell whose values hold an
object that another name holds, or an array sharing memory with another
array, is not stored; the cells that make such links run again instead,
and make them again.

Only mutable objects count (a shared ``1`` or ``"text"`` cuts nothing), found
in the values themselves and inside lists, tuples, dicts and sets a few
levels deep; arrays through ``.base``, pandas objects through their arrays.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import sys
import types
from typing import Any, Iterable, Mapping

#: values whose identity no change can show: sharing them links nothing
_ATOMS = (type(None), bool, int, float, complex, str, bytes, range, slice, types.ModuleType, types.FunctionType,
          types.BuiltinFunctionType, types.MethodType, type)
_CONTAINERS = (list, tuple, dict, set, frozenset)
#: how deep into containers, and how many objects of one value, are looked at
_DEPTH, _MOST = 3, 2000


def _parts(value: Any) -> tuple[set[int], dict[int, int]]:
    """The ids of the mutable objects in ``value``, and for each array found,
    the id of the object owning its memory mapped to the array's id."""
    objects: set[int] = set()
    memory: dict[int, int] = {}
    numpy = sys.modules.get("numpy")
    ndarray = numpy.ndarray if numpy is not None else ()
    generic = numpy.generic if numpy is not None else ()
    stack = [(value, 0)]
    seen = 0
    while stack and seen < _MOST:
        item, depth = stack.pop()
        seen += 1
        if isinstance(item, _ATOMS) or (generic and isinstance(item, generic)):
            continue
        if not isinstance(item, (tuple, frozenset)):
            if id(item) in objects:
                continue
            objects.add(id(item))
        if ndarray and isinstance(item, ndarray):
            memory.setdefault(id(_owner(item)), id(item))
        elif isinstance(item, _CONTAINERS):
            if depth < _DEPTH:
                elements = item.values() if isinstance(item, dict) else item
                for element in _first(elements, _MOST - seen):
                    stack.append((element, depth + 1))
        else:
            for array in _arrays_of(item, ndarray):
                objects.add(id(array))
                memory.setdefault(id(_owner(array)), id(array))
    return objects, memory


def _first(items: Iterable, most: int) -> list:
    found = []
    for element in items:
        if len(found) >= most:
            break
        found.append(element)
    return found


def _owner(array: Any) -> Any:
    """The object at the end of an array's ``.base`` chain: what owns the memory."""
    for _ in range(64):
        base = getattr(array, "base", None)
        if base is None:
            return array
        array = base
    return array


def _arrays_of(value: Any, ndarray: Any) -> list:
    """The numpy arrays holding a pandas object's data (none for other objects)."""
    if not ndarray or type(value).__module__.split(".")[0] != "pandas":
        return []
    try:
        arrays = getattr(getattr(value, "_mgr", None), "arrays", None)
        if arrays is None:
            arrays = [getattr(value, "_values", None)]
        return [a for a in arrays if isinstance(a, ndarray)]
    except Exception:  # a pandas internal that moved: nothing found, nothing refused
        return []


def cut_link(values: Mapping[str, Any], others: Mapping[str, Any]) -> str | None:
    """Why storing ``values`` (name -> value: one entry) would cut a link,
    or None.  ``others``: the values of the other names of the namespace."""
    mine: dict[str, tuple[set[int], dict[int, int]]] = {name: _parts(value) for name, value in values.items()}
    owners: dict[int, tuple[str, int]] = {}
    for name, (_, memory) in mine.items():
        for owner, array in memory.items():
            seen = owners.setdefault(owner, (name, array))
            if seen[1] != array:
                where = name if seen[0] == name else f"{seen[0]} and {name}"
                return f"{where} hold arrays that share memory (a view), which loading would make two copies"
    objects = set().union(*(o for o, _ in mine.values())) if mine else set()
    if not objects:
        return None
    for other, value in others.items():
        if isinstance(value, _ATOMS):
            continue
        their_objects, their_memory = _parts(value)
        shared = objects & their_objects
        if not shared:
            hit = next((o for o in their_memory if o in owners), None)
            if hit is None:
                continue
            return (f"{owners[hit][0]} shares memory with {other} (a view), "
                    "which loading would make a copy of its own")
        name = next(n for n, (o, _) in mine.items() if o & shared)
        return f"{name} shares an object with {other}, which loading would make a copy of its own"
    return None
