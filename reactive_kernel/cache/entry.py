"""What a cell's run leaves behind, as the cache stores it."""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Entry:
    """A cell's result: the values it bound, the new values of the objects
    it mutated, its outputs (nbformat v4 output dicts) and how it ran.

    Bindings, mutations and outputs are pickled together, so two names bound
    to one object are one object again after loading.  ``code`` is stored
    with credentials masked (it is shown by ``%reactive cache``); the key,
    not this text, says which code the entry belongs to.
    """
    bindings: dict[str, Any]
    mutations: dict[str, Any] = field(default_factory=dict)
    outputs: list[dict] = field(default_factory=list)
    code: str = ""
    #: how long the cell ran: what loading it saves
    seconds: float = 0.0
    created: float = field(default_factory=time.time)
    #: bytes on storage; set when the entry is written or read
    size: int = 0


@dataclass(frozen=True)
class EntryInfo:
    """One line of a listing, read from an entry's header (nothing unpickled)."""
    key: str
    #: the first line of the cell's code, credentials masked
    label: str
    size: int
    created: float
    last_used: float
    seconds: float
    names: tuple[str, ...]


@dataclass(frozen=True)
class Lookup:
    """The answer to a ``get``: the entry, or why there is none (``reason``
    is one of :data:`MISSES`' keys and ``detail`` says more)."""
    entry: Entry | None
    reason: str
    detail: str = ""

    @property
    def hit(self) -> bool:
        return self.entry is not None


HIT = "hit"
#: every reason an entry is not served, and what it means
MISSES = {
    "absent": "no entry under this key",
    "not-an-entry": "the file is not a cache entry",
    "format": "written by another version of the cache format",
    "truncated": "the file is shorter or longer than its header says",
    "unsigned": "the entry has no signature",
    "bad-signature": "the signature does not match: the entry was changed, or signed with another key",
    "unloadable": "the signed entry could not be unpickled here (a module missing or changed)",
    "unreadable": "the storage could not be read",
}
