"""What makes a value unstorable before (and while) it is pickled: a type
the cache refuses (:mod:`.refused`) or a credential in its text.

Credentials are recognised by :mod:`reactive_kernel.core.secrets`, the same
patterns that mask the kernel's own messages: on every ``str`` value a cell
bound, on URL-like strings and ``secret_key: value`` pairs inside simple
containers (lists, tuples, sets, dicts, at any depth), and on outputs' text.
Strings inside other objects (a DataFrame's cells, an object's attributes)
are not read: see docs/cache.md.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import re
from functools import lru_cache
from typing import Any, Iterable

from ..core.secrets import SECRET_KEYS, mask
from .refused import REFUSED_TYPES



def _required(pattern: str) -> str:
    """The plain letters a key pattern of core.secrets starts with, which
    every match contains (``api[_.-]?key``: ``api``; ``credentials?``: ``credential``)."""
    head = re.match(r"[a-z]*", pattern).group()
    rest = pattern[len(head):]
    return head[:-1] if rest[:1] in ("?", "*", "{") else head


#: lower-case words one of which every credential pattern of core.secrets
#: contains: a long text is masked only around them (masking 10 MB whole
#: takes seconds), and they are found with ``str.find`` (a case-insensitive
#: alternation regex took 2 s over a notebook's 5 MB of animation HTML)
_WORDS = ("://", "authorization", "bearer", *(f"gh{c}_" for c in "pousr"), "github_pat_", "hf_",
          *(f"xox{c}-" for c in "abprs"), "sk-", *sorted({_required(key) for key in SECRET_KEYS}))
_TRIGGERS = tuple(word for word in _WORDS if not any(other != word and other in word for other in _WORDS))
#: the same as one pattern, for a text whose lower case has another length
_TRIGGER = re.compile("(?i)" + "|".join(re.escape(word) for word in _TRIGGERS))
#: the longest stretch a pattern reads around its trigger word (secrets._LONGEST is 512)
_REACH = 2048
#: texts longer than this are masked only around trigger words
_WHOLE = 64 * 1024
#: a dict key naming a secret (``{"password": ...}``, ``{"aws_secret_access_key": ...}``)
_SECRET_KEY = re.compile(r"(?i)(?:^|[_.-])(?:" + "|".join(SECRET_KEYS) + r")$")
_CONTAINERS = (list, tuple, set, frozenset, dict)


@lru_cache(maxsize=1024)
def refusal(cls: type) -> str | None:
    """Why values of ``cls`` are never stored, or None."""
    for base in getattr(cls, "__mro__", (cls,)):
        reason = REFUSED_TYPES.get(f"{base.__module__}.{base.__qualname__}")
        if reason is not None:
            return reason
    return None


def holds_credential(text: str, known: Iterable[str] = ()) -> bool:
    """Whether ``text`` shows a credential core.secrets recognises, or one
    of the ``known`` secrets."""
    known = tuple(secret for secret in known if len(secret) >= 3)
    if any(secret in text for secret in known):
        return True
    if len(text) <= _WHOLE:
        return mask(text) != text
    return any(mask(window) != window for window in _windows(text))


def _triggers(text: str) -> list[tuple[int, int]]:
    """Where the trigger words stand in ``text``, in order."""
    lower = text.lower()
    if len(lower) != len(text):  # a character whose lower case is longer: offsets would drift
        return [match.span() for match in _TRIGGER.finditer(text)]
    found = []
    for word in _TRIGGERS:
        at = lower.find(word)
        while at != -1:
            found.append((at, at + len(word)))
            at = lower.find(word, at + 1)
    found.sort()
    return found


def _windows(text: str) -> Iterable[str]:
    """Stretches of ``text`` around each trigger word, overlapping ones merged."""
    start = end = -1
    for first, last in _triggers(text):
        lo, hi = max(0, first - _REACH), last + _REACH
        if lo > end:
            if end > start:
                yield text[start:end]
            start = lo
        end = hi
    if end > start:
        yield text[start:end]


def credential_in(value: Any, known: Iterable[str] = ()) -> str | None:
    """Where in ``value`` a credential shows (``''`` for the value itself,
    ``[2]`` or ``['db']`` inside a container), or None."""
    known = tuple(known)
    if isinstance(value, str):
        return "" if holds_credential(value, known) else None
    if not isinstance(value, _CONTAINERS):
        return None
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for index, element in pairs:
            where = f"{path}[{index!r}]" if not isinstance(item, (set, frozenset)) else f"{path}{{…}}"
            if isinstance(element, str):
                if _suspect(index, element, known):
                    return where
            elif isinstance(element, _CONTAINERS):
                stack.append((where, element))
    return None


def _suspect(index: Any, text: str, known: tuple[str, ...]) -> bool:
    if "://" in text or any(secret in text for secret in known if len(secret) >= 3):
        return holds_credential(text, known)
    if isinstance(index, str) and _SECRET_KEY.search(index):
        pair = f"{index!r}: {text!r}"
        return mask(pair) != pair
    return False


def output_texts(outputs: Iterable[dict]) -> Iterable[str]:
    """The text an nbformat output shows: stream text, text/* data, tracebacks."""
    for output in outputs:
        if "text" in output:
            yield _joined(output["text"])
        for mime, data in (output.get("data") or {}).items():
            if mime.startswith("text/") or "json" in mime:
                yield _joined(data)
        for line in output.get("traceback") or ():
            yield str(line)


def _joined(text: Any) -> str:
    """nbformat keeps text as a str or a list of lines; JSON data as a document."""
    if isinstance(text, list) and all(isinstance(line, str) for line in text):
        return "".join(text)
    return text if isinstance(text, str) else repr(text)
