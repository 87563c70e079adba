"""A persistent cache of cell results: keys, signed entries, storage.

Stands on its own: the kernel asks it for a cell's entry by the key the
engine makes from what the cell read (``core.keys.InputKeys``), and stores
what a run left (:class:`Entry`).  docs/cache.md describes the design.
"""
from __future__ import annotations

from .entry import MISSES, Entry, EntryInfo, Lookup
from .fileformat import FORMAT_VERSION
from .serialize import Unstorable
from .signing import KEY_FILE, Signer
from .store import CacheStore, default_location

__all__ = ["CacheStore", "Entry", "EntryInfo", "FORMAT_VERSION", "KEY_FILE", "Lookup", "MISSES", "Signer",
           "Unstorable", "default_location"]
