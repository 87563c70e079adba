"""Entries on any fsspec filesystem: a local directory by default, or a URL
(``memory://``, ``file://``, a shared mount, ``s3://`` ...).

Layout under the root::

    entries/<key>   one file per entry (fileformat.py), never rewritten
    used/<key>      when it was last served, in nanoseconds since the epoch
    tmp/            entries being written

Writes are atomic: an entry is written under a private name in ``tmp/`` and
then moved to ``entries/<key>`` (a rename on a local disk; on object stores
an object appears whole), so a second kernel sharing the directory sees
either no entry or a whole one, and the signature catches anything else.

Last use is a tiny file per entry rather than the entry's mtime or one index
file: touching an entry's mtime is not possible on every fsspec backend (an
object store would rewrite 100 MB), and one index shared by several kernels
would be a read-modify-write race that loses updates.  A marker is one small
write per hit on any backend; when two kernels race, either recent time wins.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import os
import re
import secrets
import time
from typing import Iterable

import fsspec
import platformdirs

from .entry import HIT, MISSES, Entry, EntryInfo, Lookup
from .fileformat import Rejected, decode, encode, read_header, read_verified, write
from .serialize import Unstorable
from .signing import Signer

_KEY = re.compile(r"[0-9a-f]{64}")


def default_location() -> str:
    """The user's cache directory (``~/.cache/reactive-kernel`` on Linux)."""
    return platformdirs.user_cache_dir("reactive-kernel", appauthor=False)


class CacheStore:
    """Signed cell entries under one root, with a size limit (bytes; None:
    no limit) kept by evicting the least recently used entries."""

    def __init__(self, location: str | os.PathLike | None = None, *, signer: Signer,
                 limit: int | None = None, storage_options: dict | None = None):
        self.location = str(location if location is not None else default_location())
        self.fs, self.root = fsspec.core.url_to_fs(self.location, **(storage_options or {}))
        self.signer = signer
        self.limit = limit
        for folder in ("entries", "used", "tmp"):
            self.fs.makedirs(self._path(folder), exist_ok=True)

    # -- entries ------------------------------------------------------------

    def put(self, key: str, entry: Entry, known_secrets: Iterable[str] = ()) -> int:
        """Store ``entry`` under ``key``; returns its size in bytes.  Raises
        :class:`Unstorable` (nothing is stored) for a value that does not
        pickle, a refused type, a credential, or an entry over the limit;
        an ``OSError`` of the storage (disk full, no permission) propagates,
        with nothing stored either."""
        _check(key)
        encoded = encode(key, entry, self.signer, known_secrets)
        if self.limit is not None and encoded.size > self.limit:
            raise Unstorable("*", f"the entry's {encoded.size} bytes exceed the cache's limit of {self.limit}")
        draft = self._path("tmp", f"{key}.{os.getpid()}.{secrets.token_hex(8)}")
        try:
            with self.fs.open(draft, "wb") as file:
                write(encoded, file, self.signer)
            self.fs.mv(draft, self._path("entries", key))
        except BaseException:
            self._remove(draft)
            raise
        self._mark_used(key)
        entry.size = encoded.size
        if self.limit is not None:
            self.evict(keep=key)
        return encoded.size

    def fetch(self, key: str) -> Lookup:
        """The entry under ``key``, or why there is none.  Never raises and
        never unpickles an entry whose signature does not verify (a malformed
        key, which the engine never makes, is a ValueError)."""
        _check(key)
        try:
            verified = self._verified(key)
        except Rejected as rejected:
            return Lookup(None, rejected.reason, rejected.detail)
        try:
            entry = decode(verified)
        except Exception as error:  # noqa: BLE001  a module gone or changed since
            return Lookup(None, "unloadable", f"{type(error).__name__}: {error}")
        self._mark_used(key)
        return Lookup(entry, HIT)

    def get(self, key: str) -> Entry | None:
        return self.fetch(key).entry

    def explain(self, key: str) -> str:
        """Whether ``key`` would be served and why, without unpickling anything."""
        _check(key)
        try:
            verified = self._verified(key)
        except Rejected as rejected:
            return f"{MISSES[rejected.reason]}" + (f" ({rejected.detail})" if rejected.detail else "")
        header = verified.header
        return (f"a signed entry of {verified.content.nbytes} bytes for {header['label']!r}, "
                f"made {_when(header['created'])} by a run of {header['seconds']:.3g} s, "
                f"binding {', '.join(header['names']) or 'nothing'}")

    def info(self, key: str) -> EntryInfo | None:
        """The listing line of one entry, from its header (nothing verified or unpickled)."""
        _check(key)
        try:
            with self.fs.open(self._path("entries", key), "rb") as file:
                header = read_header(file)
            size = self.fs.size(self._path("entries", key))
        except (OSError, Rejected):
            return None
        return EntryInfo(key=key, label=str(header.get("label", "")), size=int(size or 0),
                         created=float(header.get("created", 0.0)),
                         last_used=self._last_used([key]).get(key, 0.0),
                         seconds=float(header.get("seconds", 0.0)), names=tuple(header.get("names", ())))

    def entries(self) -> list[EntryInfo]:
        """Every entry, most recently used first (for ``%reactive cache``)."""
        found = [self.info(key) for key in self._sizes()]
        return sorted((info for info in found if info is not None), key=lambda i: i.last_used, reverse=True)

    def size(self) -> int:
        """Bytes the entries take."""
        return sum(self._sizes().values())

    def remove(self, key: str) -> None:
        _check(key)
        self._remove(self._path("entries", key))
        self._remove(self._path("used", key))

    def clear(self) -> None:
        """Remove every entry, marker and draft (a draft another kernel is
        writing makes its move fail: that entry is simply not stored)."""
        for folder in ("entries", "used", "tmp"):
            for path in self._listing(folder):
                self._remove(path)

    def evict(self, limit: int | None = None, keep: str | None = None) -> list[str]:
        """Remove least recently used entries until they fit in ``limit``
        (default: the store's); ``keep`` is removed last.  Returns the keys removed."""
        limit = self.limit if limit is None else limit
        if limit is None:
            return []
        sizes = self._sizes()
        total = sum(sizes.values())
        used = self._last_used(list(sizes))
        order = sorted(sizes, key=lambda k: (k == keep, used.get(k, 0.0)))
        removed = []
        for key in order:
            if total <= limit:
                break
            self.remove(key)
            total -= sizes[key]
            removed.append(key)
        # markers left by entries another kernel removed stay until clear():
        # removing them here could hit one just written with its new entry
        return removed

    # -- helpers ------------------------------------------------------------

    def _verified(self, key: str):
        path = self._path("entries", key)
        try:
            with self.fs.open(path, "rb") as file:
                # the size of the file opened, not of the path: another kernel
                # may replace the entry between a stat and an open
                size = file.seek(0, os.SEEK_END)
                file.seek(0)
                return read_verified(key, file, int(size), self.signer)
        except FileNotFoundError:
            raise Rejected("absent") from None
        except OSError as error:
            raise Rejected("unreadable", f"{type(error).__name__}: {error}") from None

    def _mark_used(self, key: str) -> None:
        try:
            self.fs.pipe_file(self._path("used", key), str(time.time_ns()).encode())
        except OSError:  # a read-only shared cache still serves
            pass

    def _last_used(self, keys: list[str]) -> dict[str, float]:
        if not keys:
            return {}
        wanted = set(keys)
        found = self.fs.cat([self._path("used", key) for key in keys], on_error="omit")
        times = {}
        for path, data in found.items():
            key = path.rstrip("/").rsplit("/", 1)[-1]
            try:
                if key in wanted and not isinstance(data, Exception):
                    times[key] = int(data) / 1e9
            except ValueError:  # a marker caught half-written by a crash
                continue
        return times

    def _sizes(self) -> dict[str, int]:
        try:
            listing = self.fs.ls(self._path("entries"), detail=True)
        except FileNotFoundError:
            return {}
        return {name: int(item.get("size") or 0) for item in listing
                if item.get("type") == "file" and _KEY.fullmatch(name := item["name"].rstrip("/").rsplit("/", 1)[-1])}

    def _listing(self, folder: str) -> list[str]:
        try:
            return self.fs.ls(self._path(folder), detail=False)
        except FileNotFoundError:
            return []

    def _remove(self, path: str) -> None:
        try:
            self.fs.rm_file(path)
        except FileNotFoundError:
            pass

    def _path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])


def _check(key: str) -> None:
    """Keys are sha256 hex digests: anything else could name a path outside the store."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"not a cache key (64 lowercase hex digits): {key!r}")


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))
