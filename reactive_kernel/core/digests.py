"""The content of an array, a frame or a plain list or dict a later cell
overwrote, kept as a digest.

Notebooks reuse names (``df`` in many cells).  When a cell reruns to rebuild
a value a later cell has overwritten since, it almost always binds an equal
array or frame again, and its other readers need not rerun: they cannot
tell the new object from the old one.  Scalars are kept whole (see
``Cell.scalars``); a mutable object is not, so its content is kept as a
digest, taken when the later cell is about to overwrite it, with a weak
reference: while anything still holds the old object (``M = df``, a view)
but IPython's output history, a reader could tell them apart, and the value
counts as changed.  Lists, dicts and sets take no weak reference: the
digest holds a small one (``params = {'lr': 0.1}``) itself, and it counts as
held while anything else holds it or a list or dict inside it
(``o = params['opt']``).
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import hashlib
import pickle
import sys
import weakref
from dataclasses import dataclass
from typing import AbstractSet, Any, Iterable, Mapping, Sequence

from .values import SCALARS, Types, is_value

#: values larger than this are not digested: a digest is taken before every
#: cell that rebinds a name another cell bound (``df = df.dropna()``), and
#: Run All must stay as fast as under ipykernel
DIGESTED_BYTES = 1 << 20
#: frames with more cells than this are not digested (object columns pickle slowly)
DIGESTED_FRAME_CELLS = 100_000
#: lists, dicts and sets holding more elements than this in all are not digested
DIGESTED_ELEMENTS = 10_000
#: plain containers: what is inside them is data (see :func:`_plain`)
_CONTAINERS = Types((list, dict, set, tuple, frozenset))
#: the ones taking no weak reference: a digest holds them (:class:`_Held`)
_HELD_WHOLE = Types((list, dict, set))


def digest(value: Any) -> bytes | None:
    """A digest of a NumPy array's or a pandas object's content (type, dtype,
    shape, bytes, labels), or of a list, dict or set of values (see
    :func:`_plain`), or None for any other value or one too large."""
    kind = type(value)
    numpy = sys.modules.get("numpy")
    try:
        if kind in _HELD_WHOLE:
            if not _plain(value):
                return None
            # a pickle keeps order and which lists are the same list
            found = pickle.dumps(value, protocol=5)
            return hashlib.blake2b(found, digest_size=16).digest() if len(found) <= DIGESTED_BYTES else None
        if numpy is not None and kind is numpy.ndarray:
            if value.dtype.hasobject or value.nbytes > DIGESTED_BYTES:
                return None
            h = hashlib.blake2b(digest_size=16)
            h.update(f"{value.dtype.str}{value.shape}".encode())
            h.update(numpy.ascontiguousarray(value).tobytes())
            return h.digest()
        pandas = sys.modules.get("pandas")
        if pandas is not None and kind in (pandas.DataFrame, pandas.Series):
            usage = value.memory_usage(deep=False)  # a frame's is per column, a series' one number
            if value.size > DIGESTED_FRAME_CELLS or int(getattr(usage, "sum", lambda: usage)()) > DIGESTED_BYTES:
                return None
            h = hashlib.blake2b(digest_size=16)
            for part in _pandas_parts(value, kind is pandas.DataFrame, numpy):
                h.update(part)
            return h.digest()
    except Exception:  # an odd subclass or a broken object: not digested
        return None
    return None


def _pandas_parts(value: Any, frame: bool, numpy: Any) -> Iterable[bytes]:
    """What a reader of a frame or a series can see: labels, dtypes, values,
    name and attrs.  Not a pickle of the object: pandas caches attributes
    lazily on it (a datetime dtype's resolution, after the first lookup by
    label), so equal objects used differently pickle differently."""
    yield f"{type(value).__name__}{value.shape}{value.attrs!r}".encode()
    yield from _labels(value.index, numpy)
    if frame:
        yield from _labels(value.columns, numpy)
        dtypes = set(value.dtypes)
        if len(dtypes) == 1 and all(type(d) is numpy.dtype and d.kind in "biufcmM" for d in dtypes):
            yield repr(dtypes).encode()
            yield _array_bytes(value.to_numpy(), numpy)
            return
        columns = [column for _, column in value.items()]
    else:
        yield repr(value.name).encode()
        columns = [value]
    for column in columns:
        yield repr(column.dtype).encode()
        yield _array_bytes(numpy.asarray(column), numpy)


def _labels(index: Any, numpy: Any) -> Iterable[bytes]:
    yield f"{type(index).__name__}{index.dtype!r}{list(index.names)!r}{getattr(index, 'freqstr', None)!r}".encode()
    yield _array_bytes(numpy.asarray(index), numpy)


def _array_bytes(array: Any, numpy: Any) -> bytes:
    if array.dtype.hasobject:
        return pickle.dumps(array, protocol=5)
    return f"{array.dtype.str}{array.shape}".encode() + numpy.ascontiguousarray(array).tobytes()


def _plain(value: Any) -> bool:
    """Lists, dicts, sets and tuples holding nothing but values (numbers,
    strings, paths: :func:`.values.is_value`) and each other, not too many:
    pickled, they run no code of the notebook's."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind in _CONTAINERS:
            count += len(item)
            if count > DIGESTED_ELEMENTS:
                return False  # too large, or it holds itself
            keys = item if kind is dict else ()
            if not set(map(type, keys)) <= _SCALAR_TYPES and not all(is_value(key) for key in keys):
                return False
            elements = item.values() if kind is dict else item
            if not set(map(type, elements)) <= _SCALAR_TYPES:  # (numbers and strings: looked at once)
                stack.extend(elements)
        elif not is_value(item):
            return False
    return True


#: the types most lists and dicts hold, taken as values at a glance
_SCALAR_TYPES = frozenset(SCALARS)


def _inside_unheld(value: Any) -> bool:
    """Whether every list, dict or set inside ``value`` (a :func:`_plain`
    one) is held only from inside it: a reader holding one
    (``o = params['opt']``) could tell a new equal value from the old."""
    inside: dict[int, Any] = {}
    within: dict[int, int] = {}
    stack = [value]
    while stack:
        item = stack.pop()
        for child in (item.values() if type(item) is dict else item):
            if type(child) in _CONTAINERS and not is_value(child):
                within[id(child)] = within.get(id(child), 0) + 1
                if id(child) not in inside:
                    inside[id(child)] = child
                    stack.append(child)
        item = child = None
    # each is referenced by ``inside`` and getrefcount's argument
    return all(sys.getrefcount(inside[key]) - 2 <= within[key] for key in inside)


def _dropped_views(value: Any, kept: Sequence[Any], dropped: AbstractSet[int], numpy: Any) -> int:
    """How many distinct arrays of ``kept`` going with the run (``dropped``)
    view ``value`` and are held by nothing but the run's stashes and
    ``kept``.  No closure and no iterator may hold one while it is counted."""
    views, seen = 0, set()
    for i in range(len(kept)):
        view = kept[i]
        if id(view) in seen or id(view) not in dropped or type(view) is not numpy.ndarray \
                or view.base is not value:
            continue
        seen.add(id(view))
        occurrences = 0
        for j in range(len(kept)):
            occurrences += kept[j] is view
        # each occurrence in a stash and in ``kept``; ``view`` here, getrefcount's argument
        if sys.getrefcount(view) - 2 <= 2 * occurrences:
            views += 1
    view = None
    return views


class _Held:
    """A strong reference standing in for a weak one (lists, dicts, sets):
    :func:`unheld` counts it."""
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self) -> Any:
        return self.value


def _reference(value: Any) -> weakref.ref | _Held | None:
    if type(value) in _HELD_WHOLE:
        return _Held(value)
    try:
        return weakref.ref(value)
    except TypeError:
        return None


@dataclass
class Digest:
    """A cell's value as a later cell found it, before overwriting it."""
    value: bytes
    held: weakref.ref | _Held

    @classmethod
    def of(cls, value: Any) -> Digest | None:
        found = digest(value)
        held = _reference(value) if found is not None else None
        return None if held is None else cls(found, held)

    def matches(self, new: Any, namespace: Mapping | None = None, history: Iterable[Mapping] = ()) -> bool:
        """Whether ``new`` is the same content and nothing holds the old object
        but IPython's output history (``Out``, ``_5``, ``_``, and ``history``:
        other mappings of those names): a displayed value stays there, yet no
        cell's code names it."""
        return unheld(self.held, namespace, history) and digest(new) == self.value

    def following(self, new: Any) -> Digest | None:
        """The same content, now ``new``'s: the object it matched (already
        digested, so no second hash of it); None if ``new`` takes no weak
        reference and is not a list, dict or set."""
        held = _reference(new)
        return None if held is None else Digest(self.value, held)


#: the names IPython's output history binds besides ``_<n>`` for each ``Out[n]``
_LAST_RESULTS = ("_", "__", "___")


def unheld(held: weakref.ref | _Held, namespace: Mapping | None, history: Iterable[Mapping] = (),
            own: AbstractSet[str] = frozenset(), kept: Sequence[Any] = (),
            dropped: AbstractSet[int] = frozenset()) -> bool:
    """Whether the object behind ``held`` is gone, or held only by the output
    history (directly, or as the base of a view shown as a result), the
    namespace's names in ``own``, and ``kept`` (the values the run itself
    set aside, each held once by the run's stashes and once by ``kept``),
    directly or as the base of a view among them that nothing else holds
    and that goes with the run (``dropped``: their ids; a rebuilt cell's
    ``X = x[:, np.newaxis]``, whose old ``X`` holds its old ``x``): every
    reference is counted, so another view's base, a list holding it or
    another name (``M = c``) makes it held.  The caller must hold no strong
    reference to it.  Only the names that may hold it are looked up, not
    the whole namespace: any other name holding it is a reference not
    accounted for."""
    value = held()
    if value is None:
        return True
    if namespace is None:
        return False
    out = namespace.get("Out")
    shown = out.items() if type(out) is dict else ()  # a view: it holds no result
    get = namespace.get
    names = {name for name in own if get(name) is value}
    names.update(name for name in _LAST_RESULTS if get(name) is value)
    names.update(f"_{n}" for n, result in shown if result is value and get(f"_{n}") is value)
    found = len(names) + sum(1 for _, result in shown if result is value)
    found += sum(1 for mapping in history for name in names if mapping.get(name) is value)
    # a view of it shown as a result (``draws[:5]``) holds it as its base
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        found += len({id(result) for _, result in shown if type(result) is numpy.ndarray and result.base is value})
    found += 2 * sum(1 for aside in kept if aside is value)  # in a stash and in ``kept``
    if numpy is not None and dropped:
        found += _dropped_views(value, kept, dropped, numpy)
    if type(held) is _Held:
        if not _inside_unheld(value):
            return False
        found += 1  # the digest's own
    # the references found, ``value`` here, and getrefcount's own argument
    return sys.getrefcount(value) - 2 <= found
