"""The content of an array or a frame a later cell overwrote, kept as a digest.

Notebooks reuse names (``df`` in many cells).  When a cell reruns to rebuild
a value a later cell has overwritten since, it almost always binds an equal
array or frame again, and its other readers need not rerun: they cannot
tell the new object from the old one.  Scalars are kept whole (see
``Cell.scalars``); a mutable object is not, so its content is kept as a
digest, taken when the later cell is about to overwrite it, with a weak
reference: while anything still holds the old object (``M = df``, a view)
but IPython's output history, a reader could tell them apart, and the value
counts as changed.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import hashlib
import pickle
import re
import sys
import weakref
from dataclasses import dataclass
from typing import AbstractSet, Any, Iterable, Mapping

#: values larger than this are not digested: a digest is taken before every
#: cell that rebinds a name another cell bound (``df = df.dropna()``), and
#: Run All must stay as fast as under ipykernel
DIGESTED_BYTES = 1 << 20
#: frames with more cells than this are not digested (object columns pickle slowly)
DIGESTED_FRAME_CELLS = 100_000


def digest(value: Any) -> bytes | None:
    """A digest of a NumPy array's or a pandas object's content (type, dtype,
    shape, bytes, labels), or None for any other value or one too large."""
    kind = type(value)
    numpy = sys.modules.get("numpy")
    try:
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


@dataclass
class Digest:
    """A cell's value as a later cell found it, before overwriting it."""
    value: bytes
    held: weakref.ref

    @classmethod
    def of(cls, value: Any) -> Digest | None:
        found = digest(value)
        if found is None:
            return None
        try:
            return cls(found, weakref.ref(value))
        except TypeError:
            return None

    def matches(self, new: Any, namespace: Mapping | None = None, history: Iterable[Mapping] = ()) -> bool:
        """Whether ``new`` is the same content and nothing holds the old object
        but IPython's output history (``Out``, ``_5``, ``_``, and ``history``:
        other mappings of those names): a displayed value stays there, yet no
        cell's code names it."""
        return unheld(self.held, namespace, history) and digest(new) == self.value

    def following(self, new: Any) -> Digest | None:
        """The same content, now ``new``'s: the object it matched (already
        digested, so no second hash of it); None if ``new`` takes no weak
        reference."""
        try:
            return Digest(self.value, weakref.ref(new))
        except TypeError:
            return None


#: the names IPython's output history binds in the namespace
_HISTORY = re.compile(r"_+|_\d+")


def unheld(held: weakref.ref, namespace: Mapping | None, history: Iterable[Mapping] = (),
            own: AbstractSet[str] = frozenset(), kept: Iterable[Any] = ()) -> bool:
    """Whether the object behind ``held`` is gone, or held only by the output
    history (and the namespace's names in ``own``, and ``kept``, the values
    the run itself set aside to put back): every reference is counted, so a
    view's base, a list holding it or another name (``M = c``) makes it
    held.  The caller must hold no strong reference to it."""
    value = held()
    if value is None:
        return True
    if namespace is None:
        return False
    names = [name for name, bound in namespace.items() if bound is value]
    if not all(type(name) is str and (name in own or _HISTORY.fullmatch(name)) for name in names):
        return False
    out = namespace.get("Out")
    found = len(names) + (sum(1 for kept in out.values() if kept is value) if type(out) is dict else 0)
    found += sum(1 for mapping in history for name in names if mapping.get(name) is value)
    found += sum(1 for aside in kept if aside is value)
    # the references found, ``value`` here, and getrefcount's own argument
    return sys.getrefcount(value) - 2 <= found
