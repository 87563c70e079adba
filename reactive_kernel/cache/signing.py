"""HMAC-SHA256 signatures on entries, under a key only this user can read.

Unpickling runs code, so an entry is unpickled only when its signature shows
that a kernel holding the key wrote it: a file dropped into a shared cache
directory by someone else, or changed after writing, is never loaded.  The
key lives in the user's Jupyter data directory (``reactive_kernel/cache-key``,
mode 0600), outside the cache itself.  This package names no Jupyter module
(the layer rule): the kernel passes ``jupyter_core.paths.jupyter_data_dir()``.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import hashlib
import hmac
import os
import secrets
from pathlib import Path

#: where the key lives, under the user's Jupyter data directory
KEY_FILE = Path("reactive_kernel") / "cache-key"
SIGNATURE_SIZE = hashlib.sha256().digest_size
_KEY_BYTES = 32


class Signer:
    """Signs and verifies with one secret key."""

    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("a signing key needs at least 16 bytes")
        self._secret = bytes(secret)

    @classmethod
    def for_data_dir(cls, data_dir: str | os.PathLike) -> "Signer":
        """The signer whose key is ``data_dir/reactive_kernel/cache-key``."""
        return cls.from_file(Path(data_dir) / KEY_FILE)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "Signer":
        """The key in ``path``, created (mode 0600) if missing."""
        path = Path(path)
        if not path.exists():
            _create_key_file(path)
        return cls(bytes.fromhex(path.read_text().strip()))

    @property
    def fingerprint(self) -> str:
        """A short name for the key (a hash of it: tells keys apart, reveals nothing)."""
        return hashlib.sha256(b"reactive-kernel cache key\0" + self._secret).hexdigest()[:16]

    def hasher(self) -> "hmac.HMAC":
        """An HMAC to feed the signed bytes into, piece by piece."""
        return hmac.new(self._secret, digestmod=hashlib.sha256)

    def matches(self, hasher: "hmac.HMAC", signature: bytes | memoryview) -> bool:
        return hmac.compare_digest(hasher.digest(), bytes(signature))


def _create_key_file(path: Path) -> None:
    """Write a new random key so that no process ever reads half of one: it
    is written under a private name, then linked into place (which fails if
    another kernel's key got there first: that one is kept)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(_KEY_BYTES) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(draft)
