"""What counts as a change for a cell's readers (the spec's "What is not a
change"): a run that binds a name again to an equal value (a number, a
string, a path; :func:`.values.is_value`), the same module or a
digest-equal array is no change; a resource changed when its
fingerprint did.  The values compared are taken before the run
(:func:`comparable_values`) and judged after it (:func:`changed_names`);
how a plan uses the verdicts (rebuilds, replays, skipped readers) is
:mod:`.run`'s.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import types
from typing import Any, Callable, Iterable, Mapping

from .cell import Cell
from .digests import Digest
from .values import is_value, same_value
from .namespace import MISSING
from .resources import fingerprint, is_resource


def comparable(value: Any) -> bool:
    """A value safe to hold and compare by equality: a number, a string, a
    path (:func:`.values.is_value`), a module, or a plain function (compared
    by its code, see :func:`same_function`)."""
    return issubclass(type(value), types.ModuleType) or is_value(value) or \
        (type(value) is types.FunctionType and reproduced(value))


def same_function(old: types.FunctionType, new: types.FunctionType) -> bool:
    """A ``def`` run again unchanged: the same code (names, constants,
    lines), the same defaults (values) and globals, no closure or attributes
    (:func:`reproduced`).  Calling either does the same: no change for the
    cells that call it (issue 21: an unchanged ``def solve`` run again)."""
    try:
        return (reproduced(new) and reproduced(old) and old.__code__ == new.__code__
                and old.__globals__ is new.__globals__ and old.__qualname__ == new.__qualname__
                and old.__defaults__ == new.__defaults__ and old.__kwdefaults__ == new.__kwdefaults__)
    except Exception:
        return False


class State(tuple):
    """A resource's fingerprint (see ``resources.fingerprint``), compared by value."""

    def __new__(cls, value: Any):
        return super().__new__(cls, (value,))


def same(old: Any, new: Any, namespace: Mapping | None = None, history: Iterable[Mapping] = ()) -> bool:
    """Whether ``new`` is no change from ``old`` (as :func:`comparable_values` kept it)."""
    if old is new:
        return True
    if type(old) is Digest:
        return old.matches(new, namespace, history)
    if type(old) is State:
        return type(new) is State and old == new
    if type(old) is types.FunctionType:
        return type(new) is types.FunctionType and same_function(old, new)
    return same_value(old, new)


def reproduced(value: Any) -> bool:
    """Whether running unchanged code on unchanged inputs again gives a value
    its readers cannot tell from the one they read: a value (a number, a
    string, a path), a module, or a plain function whose defaults are values
    (no closure, no attributes).
    A new mutable object is not: a reader may hold the old one (``M = L``),
    and an instance of a rebuilt class is not an instance of the new one."""
    if is_value(value) or issubclass(type(value), types.ModuleType):
        return True
    if type(value) is not types.FunctionType:
        return False
    try:
        defaults = (*(value.__defaults__ or ()), *(value.__kwdefaults__ or {}).values())
        return value.__closure__ is None and not value.__dict__ and all(is_value(d) for d in defaults)
    except Exception:
        return False


def comparable_values(cell: Cell, namespace: Mapping, owner_of: Callable[[str], str | None]) -> dict[str, Any]:
    """The values of the cell's writes that are safe to hold and compare
    (modules, numbers, strings, whatever an import binds): if a run gives
    the same again, readers need not rerun.  Mutable values are not held:
    holding them would keep them alive, and comparing their identity after
    they were freed could mistake a new object for the old one (arrays and
    frames are compared by digest, :mod:`.digests`)."""
    imports = cell.static.imports  # the module keeps them alive anyway
    values = {n: namespace[n] for n in cell.names.writes
              if owner_of(n) == cell.id and n in namespace and (n in imports or comparable(namespace[n]))}
    # a later cell imported the very object again: it is still this cell's value
    for n, value in cell.imported.items():
        if namespace.get(n, MISSING) is value:
            values.setdefault(n, value)
    # a number, a short string or a path its last run bound, overwritten since by a later cell
    for n, value in cell.scalars.items():
        values.setdefault(n, value)
    # arrays and frames its last run bound, overwritten since by a later cell
    for n, kept in cell.digests.items():
        values.setdefault(n, kept)
    # arrays and frames its last run bound that the namespace still holds:
    # a run that binds equal content again (the same file read again) is no
    # change for readers that cannot tell the objects apart (Digest.matches)
    for n in cell.names.writes - cell.names.mutations:
        if n not in values and owner_of(n) == cell.id and n in namespace:
            kept = Digest.of(namespace[n])
            if kept is not None:
                values[n] = kept
    # files and generators: their state, if the cell made it
    for n in cell.names.writes - cell.names.mutations:
        if is_resource(n) and owner_of(n) == cell.id:
            values[n] = State(fingerprint(n))
    return values


def note_overwritten(cell: Cell, namespace: Mapping, owner_of: Callable[[str], str | None],
                     cells: Mapping[str, Cell]) -> None:
    """Before the cell rebinds a name another cell's run bound, that
    cell's value as a digest (an array or a frame; see :mod:`.digests`)."""
    for n in cell.names.writes - cell.names.mutations:
        owner = owner_of(n)
        if owner is None or owner == cell.id or owner not in cells or n not in namespace:
            continue
        kept = Digest.of(namespace[n])
        if kept is not None:
            cells[owner].digests[n] = kept


def changed_names(cell: Cell, old: Mapping[str, Any], namespace: Mapping,
                  history: Iterable[Mapping] = ()) -> set[str]:
    """Names whose values the cell's run changed (mutations always); ``old``:
    what :func:`comparable_values` gave before the run; ``history``: IPython's
    output history, which may hold an old object without a cell naming it."""
    changed = set(cell.names.mutations)
    for name in cell.names.writes - cell.names.mutations:
        new = State(fingerprint(name)) if is_resource(name) else namespace.get(name, MISSING)
        if name not in old or not same(old[name], new, namespace, history):
            changed.add(name)
    # a digest kept stands for the new object now, or for nothing
    for name in list(cell.digests):
        if name in changed or name not in namespace:
            del cell.digests[name]
        elif name in old and type(old[name]) is Digest:  # it matched: the content is the same
            following = old[name].following(namespace[name])
            if following is None:
                del cell.digests[name]
            else:
                cell.digests[name] = following
    return changed
