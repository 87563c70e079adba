"""A cell's values to bytes and back: pickle protocol 5 with out-of-band
buffers, through cloudpickle.

Protocol 5 hands the raw memory of large buffers (numpy arrays, so pandas
frames' blocks too) to a callback instead of copying it into the pickle: they
are written to storage as they are and come back as writable arrays over the
bytes read.  cloudpickle's pickler pickles what plain pickle cannot: functions
and classes defined in the notebook (``__main__``) go by value; everything
importable still goes by reference, as plain pickle would.  Every object the
pickler visits is checked against :data:`.refused.REFUSED_TYPES`.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import io
import pickle
from typing import Any, Iterable, Sequence

import cloudpickle

from .screen import credential_in, holds_credential, output_texts, refusal

PROTOCOL = 5


class Unstorable(Exception):
    """A value that cannot or must not be stored: the whole entry is refused."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class _Refused(Exception):
    def __init__(self, reason: str, cls: type):
        super().__init__(f"{reason} ({cls.__module__}.{cls.__qualname__})")


class _Pickler(cloudpickle.Pickler):
    """cloudpickle's pickler that refuses, at any depth, what the cache never stores."""

    def reducer_override(self, obj: Any) -> Any:
        reason = refusal(type(obj))
        if reason is not None:
            raise _Refused(reason, type(obj))
        return super().reducer_override(obj)


def screen(sections: dict[str, dict[str, Any]], outputs: Iterable[dict], known: Iterable[str] = ()) -> None:
    """Refuse credentials before anything is pickled (raises :class:`Unstorable`)."""
    known = tuple(known)
    for values in sections.values():
        for name, value in values.items():
            where = credential_in(value, known)
            if where is not None:
                raise Unstorable(name + where, "holds a credential (passwords and tokens are never stored)")
    for text in output_texts(outputs):
        if holds_credential(text, known):
            raise Unstorable("outputs", "an output shows a credential (passwords and tokens are never stored)")


def dumps(payload: dict[str, Any]) -> tuple[bytes, list[memoryview]]:
    """The pickle of ``payload`` and its out-of-band buffers (raw memory of
    the live objects: write them before the objects change).  Raises
    :class:`Unstorable` naming the first value that does not pickle."""
    buffers: list[pickle.PickleBuffer] = []
    stream = io.BytesIO()
    try:
        _Pickler(stream, protocol=PROTOCOL, buffer_callback=buffers.append).dump(payload)
    except Exception as error:  # noqa: BLE001  any pickling failure refuses the entry
        raise _culprit(payload, error) from error
    return stream.getvalue(), [buffer.raw() for buffer in buffers]


def loads(data: bytes | memoryview, buffers: Sequence[memoryview]) -> Any:
    return pickle.loads(data, buffers=buffers)


def _culprit(payload: dict[str, Any], error: Exception) -> Unstorable:
    """The value that made pickling fail, found by pickling each alone
    (only on failure: the entry is pickled whole so shared objects stay shared)."""
    for section, values in payload.items():
        items = values.items() if isinstance(values, dict) else [(section, values)]
        for name, value in items:
            try:
                _Pickler(io.BytesIO(), protocol=PROTOCOL, buffer_callback=lambda _: None).dump(value)
            except Exception as alone:  # noqa: BLE001
                return Unstorable(name, _reason(alone))
    return Unstorable("*", _reason(error))


def _reason(error: Exception) -> str:
    if isinstance(error, _Refused):
        return str(error)
    if isinstance(error, RecursionError):
        return "it is nested too deeply to pickle"
    return f"it does not pickle: {type(error).__name__}: {error}"
