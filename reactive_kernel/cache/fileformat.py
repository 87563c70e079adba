"""The layout of an entry file, and its checks before anything is unpickled.

::

    prefix   b"RKCACHE\\0", format version (u32), header length (u32)
    header   JSON: key, masked code, timings, names, signer's fingerprint,
             the pickle's and each buffer's length
    pickle   the pickle of {bindings, mutations, outputs}      (64-byte aligned)
    buffers  its out-of-band buffers, raw                     (each 64-byte aligned)
    HMAC     sha256 over everything above, 32 bytes

The header comes first so a listing reads a few hundred bytes per entry; the
signature comes last so an entry is written in one pass, its buffers straight
from the arrays' memory.  Reading checks, in order: the prefix and format, the
length the header promises (too short: truncated; exactly the signature
short: unsigned), the signature, the key; only then unpickles.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import json
import mmap
import os
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterable

from ..core.secrets import mask
from .entry import Entry
from .serialize import dumps, loads, screen
from .signing import SIGNATURE_SIZE, Signer

MAGIC = b"RKCACHE\0"
#: the version of the entry file's layout: bumped when it changes, so old
#: entries are never read as new ones
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<8sII")
PREFIX_SIZE = _PREFIX.size
ALIGN = 64
#: a header longer than this is not one the cache wrote
MAX_HEADER = 16 << 20


class Rejected(Exception):
    """An entry file that must not be loaded; ``reason`` is a key of entry.MISSES."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Encoded:
    """An entry ready to write: ``chunks`` in order, then the signature."""
    header: dict[str, Any]
    chunks: list[bytes | memoryview]
    size: int


def encode(key: str, entry: Entry, signer: Signer, known_secrets: Iterable[str] = ()) -> Encoded:
    """Screen, pickle and lay out ``entry`` (raises serialize.Unstorable)."""
    sections = {"bindings": dict(entry.bindings), "mutations": dict(entry.mutations)}
    screen(sections, entry.outputs, known_secrets)
    data, buffers = dumps({**sections, "outputs": list(entry.outputs)})
    code = mask(entry.code, known_secrets)
    header = {
        "key": key, "code": code, "label": code.split("\n", 1)[0][:200],
        "seconds": float(entry.seconds), "created": float(entry.created),
        "names": sorted(entry.bindings), "mutated": sorted(entry.mutations),
        "signer": signer.fingerprint,
        "pickle": len(data), "buffers": [buffer.nbytes for buffer in buffers],
    }
    header_bytes = json.dumps(header, sort_keys=True).encode()
    chunks: list[bytes | memoryview] = [_PREFIX.pack(MAGIC, FORMAT_VERSION, len(header_bytes)), header_bytes]
    offset = PREFIX_SIZE + len(header_bytes)
    for part in (data, *buffers):
        padding = -offset % ALIGN
        chunks += [b"\0" * padding, part]
        offset += padding + len(part)
    return Encoded(header, chunks, offset + SIGNATURE_SIZE)


def write(encoded: Encoded, file: BinaryIO, signer: Signer) -> None:
    hasher = signer.hasher()
    for chunk in encoded.chunks:
        hasher.update(chunk)
        file.write(chunk)
    file.write(hasher.digest())


def read_header(file: BinaryIO) -> dict[str, Any]:
    """The header of an entry file (raises :class:`Rejected`); nothing verified."""
    prefix = file.read(PREFIX_SIZE)
    header_size = _check_prefix(prefix)
    raw = file.read(header_size)
    if len(raw) < header_size:
        raise Rejected("truncated", "the file ends inside its header")
    return _parse_header(raw)


@dataclass(frozen=True)
class Verified:
    """A whole entry file whose signature and key were checked."""
    header: dict[str, Any]
    header_size: int
    #: the signed bytes (the signature cut off), writable: buffers are loaded over them
    content: memoryview


def read_verified(key: str, file: BinaryIO, size: int, signer: Signer) -> Verified:
    """Read and check an entry file of ``size`` bytes (raises :class:`Rejected`)."""
    prefix = file.read(PREFIX_SIZE)
    header_size = _check_prefix(prefix)
    raw = file.read(header_size)
    if len(raw) < header_size:
        raise Rejected("truncated", "the file ends inside its header")
    header = _parse_header(raw)
    signed = _signed_size(header, header_size)
    if size == signed:
        raise Rejected("unsigned", f"{size} bytes: the content is whole but no signature follows")
    if size != signed + SIGNATURE_SIZE:
        raise Rejected("truncated", f"{size} bytes where the header promises {signed + SIGNATURE_SIZE}")
    content = _writable_memory(size)
    content[:PREFIX_SIZE + header_size] = prefix + raw
    hasher = signer.hasher()
    got = _read_and_hash(file, content, PREFIX_SIZE + header_size, signed, hasher)
    if got != size:
        raise Rejected("truncated", f"{got} bytes read where the file had {size}")
    if not signer.matches(hasher, content[signed:]):
        other = header.get("signer") != signer.fingerprint
        raise Rejected("bad-signature", f"signed with key {header.get('signer')!r}, this kernel's is "
                       f"{signer.fingerprint!r}" if other else "the content changed after it was signed")
    if header.get("key") != key:
        raise Rejected("not-an-entry", f"the entry was made for key {header.get('key')!r}")
    return Verified(header, header_size, content[:signed])


def decode(verified: Verified) -> Entry:
    """The entry in a verified file: unpickles (its arrays share the file's
    bytes, writable: nothing is copied after the read)."""
    header, view = verified.header, verified.content
    offset = PREFIX_SIZE + verified.header_size
    parts = []
    for length in (header["pickle"], *header["buffers"]):
        offset += -offset % ALIGN
        parts.append(view[offset:offset + length])
        offset += length
    payload = loads(parts[0], parts[1:])
    return Entry(bindings=payload["bindings"], mutations=payload["mutations"], outputs=payload["outputs"],
                 code=header["code"], seconds=header["seconds"], created=header["created"],
                 size=verified.content.nbytes + SIGNATURE_SIZE)


def _check_prefix(prefix: bytes) -> int:
    if len(prefix) < PREFIX_SIZE:
        raise Rejected("truncated", "the file is shorter than an entry's prefix")
    magic, version, header_size = _PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise Rejected("not-an-entry", "it does not start like one")
    if version != FORMAT_VERSION:
        raise Rejected("format", f"format {version}, this kernel reads format {FORMAT_VERSION}")
    if header_size > MAX_HEADER:
        raise Rejected("not-an-entry", f"a header of {header_size} bytes")
    return header_size


def _parse_header(raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw)
        if not (isinstance(header, dict) and isinstance(header.get("pickle"), int)
                and isinstance(header.get("buffers"), list)
                and all(isinstance(n, int) and n >= 0 for n in header["buffers"]) and header["pickle"] >= 0):
            raise ValueError("fields missing")
    except ValueError as error:
        raise Rejected("not-an-entry", f"its header does not parse ({error})") from None
    return header


def _signed_size(header: dict[str, Any], header_size: int) -> int:
    offset = PREFIX_SIZE + header_size
    for length in (header["pickle"], *header["buffers"]):
        offset += -offset % ALIGN + length
    return offset


#: entries from this size on are read into anonymous memory rather than a bytearray
_MAPPED = 1 << 20


def _writable_memory(size: int) -> memoryview:
    """Memory to read an entry into, writable so that the arrays loaded over
    it are too.  A large one is an anonymous mapping: not zeroed by a memset
    first as a bytearray is, its pages mapped at once on Linux (MAP_POPULATE:
    measured ~15% faster on a 100 MB get than faulting them in during the
    read), and given back whole when its last array goes."""
    if size < _MAPPED:
        return memoryview(bytearray(size))
    if os.name == "posix":
        flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)
        return memoryview(mmap.mmap(-1, size, flags=flags))
    return memoryview(mmap.mmap(-1, size))


#: read and hash in pieces this big: each is hashed while still in the CPU's cache
_CHUNK = 16 << 20


def _read_and_hash(file: BinaryIO, target: memoryview, start: int, signed: int, hasher) -> int:
    """Fill ``target`` from ``file`` (its first ``start`` bytes are already
    there) until it is full or the file ends, feeding ``hasher`` the first
    ``signed`` bytes; returns how many bytes ``target`` holds."""
    hasher.update(target[:start])
    filled = start
    readinto = getattr(file, "readinto", None)
    while filled < len(target):
        piece = target[filled:filled + _CHUNK]
        if readinto is not None:
            count = readinto(piece)
        else:
            block = file.read(len(piece))
            count = len(block)
            piece[:count] = block
        if not count:
            break
        hasher.update(target[filled:min(filled + count, signed)])
        filled += count
    return filled
