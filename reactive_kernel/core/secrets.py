"""Credentials in the text the kernel writes itself, replaced by ``***``.

A cell's first line is its label, and labels travel far: ``%reactive``, the
companion's messages, summaries, SQL messages, ``metadata.reactive`` and the
kernel's log.  A connection string there would show its password to anyone
who sees the screen, a saved notebook or the log.  Every such text passes
through :func:`mask`; the user's own outputs never do (a cell that prints
its URL prints it, as under ipykernel).

What a credential looks like is data (:data:`PATTERNS`): each a regular
expression whose group ``secret`` is replaced, so users, hosts and key names
stay readable (``postgresql://alice:***@host/db``, ``PWD=***;``).  It sits in
``core`` because the report's messages (the lowest text the kernel writes)
need it; it knows nothing of cells.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import logging
import re
from functools import lru_cache
from typing import Any, Iterable

MASK = "***"

#: key names whose value is a credential, in DSNs, ODBC strings, URL queries,
#: keyword arguments and dicts (case-insensitive; any ``prefix_`` may precede
#: them: ``client_secret``, ``db_pass``, ``aws_secret_access_key``)
SECRET_KEYS = (
    "password", "passwd", "pwd", "pass", "passphrase", "secret", "token",
    r"api[_.-]?key", r"access[_.-]?key", r"secret[_.-]?key", r"private[_.-]?key",
    r"account[_.-]?key", r"shared[_.-]?access[_.-]?key", "sig", "credentials?",
)

#: keys that end like a secret's but hold none (a tokenizer's special tokens)
NOT_SECRET_KEYS = re.compile(r"(?i)(?:^|[_.-])(?:pad|eos|bos|unk|sep|cls|mask|start|end|special|"
                             r"additional_special|next|page|continuation)[_.-]token$")

#: template fillers standing where a secret goes, left as they are (``{password}``, ``%s``, ``${PW}``, ``***``)
PLACEHOLDER = r"\{[^{}]*\}|%(?:\(\w+\))?s|\$\{?\w+\}?|\*+"
#: the same without ``{...}``: ODBC quotes a value in braces (``PWD={p;w}``)
PLACEHOLDER_NOT_BRACED = r"%(?:\(\w+\))?s|\$\{?\w+\}?|\*+"

#: a key, unanchored at its start (the patterns say what may stand before it)
_KEY = r"(?:[A-Za-z0-9]+[_.-]){0,8}(?i:" + "|".join(SECRET_KEYS) + r")\b"
_QUOTE = "'\"`"
#: the longest user, password or host a pattern looks for: bounds the work on
#: a long line without spaces (an unbounded search is quadratic there)
_LONGEST = 512

#: (what it is, the pattern whose group ``secret`` becomes ``***``, the
#: secrets it leaves as they are: templates, not credentials)
PATTERNS: tuple[tuple[str, str, str | None], ...] = (
    # scheme://user:password@host: the password may hold ':' and '@' (the
    # last '@' before the host ends it) and '/', but is not a port and a path
    ("URL userinfo",
     rf"\b[A-Za-z][A-Za-z0-9+.-]{{0,30}}://[^\s:/@{_QUOTE}]{{0,{_LONGEST}}}:(?!\d*[/?#])"
     rf"(?P<secret>[^\s{_QUOTE}]{{1,{_LONGEST}}}?)(?=@[^\s@/?#{_QUOTE}]{{0,{_LONGEST}}}(?:[/?#\s{_QUOTE}]|$))",
     PLACEHOLDER),
    # password="x", {"api_key": 'x'}, os.environ["TOKEN"] = "x"
    ("quoted value",
     rf"\b(?P<key>{_KEY})[{_QUOTE}]?\]?\s*[:=]\s*(?P<q>[{_QUOTE}])"
     rf"(?P<secret>(?:(?!(?P=q))[^\\\n]|\\.){{1,{_LONGEST}}})(?=(?P=q))",
     PLACEHOLDER),
    # PWD=x; (ODBC, also PWD={x;y}), password=x (libpq DSN), ?token=x& (URL
    # query), PWD%3Dx%3B (a URL-encoded odbc_connect); never a keyword
    # argument (f(password=pw)): the key starts a string, a line or a field
    ("key=value",
     rf"(?:^|(?<=[;?&{_QUOTE}\[{{])|(?<=%3[bB])|(?<=%26)|(?<![,(]\s)(?<=\s))"
     rf"(?P<key>{_KEY})(?:=|%3[dD])"
     rf"(?P<secret>\{{[^}}]{{0,{_LONGEST}}}\}}|(?:(?!%3[bB]|%26)[^;&\s{_QUOTE}])+)",
     PLACEHOLDER_NOT_BRACED),
    # Authorization: Bearer x, {"Authorization": "token x"}
    ("authorization header",
     rf"(?i:\bauthorization\b)[{_QUOTE}]?\s*[:=]\s*[{_QUOTE}]?"
     r"(?:(?i:bearer|basic|token|bot|digest|negotiate)\s+)?(?P<secret>[^\s'\"`,;]+)",
     PLACEHOLDER),
    # a bare Bearer token: long, or with a digit (not "Bearer of")
    ("bearer token",
     r"\bBearer\s+(?P<secret>(?=[\w.~+/-]*\d)[\w.~+/-]{8,}=*|[\w.~+/-]{20,}=*)",
     None),
    # tokens recognisable by their shape wherever they stand (the prefix stays)
    ("GitHub token", r"\b(?:gh[pousr]_|github_pat_)(?P<secret>[A-Za-z0-9_]{30,})", None),
    ("Hugging Face token", r"\bhf_(?P<secret>[A-Za-z0-9]{30,})", None),
    ("Slack token", r"\bxox[abprs]-(?P<secret>[A-Za-z0-9-]{10,})", None),
    ("OpenAI or Anthropic key", r"\bsk-(?:ant-|proj-)?(?P<secret>(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{20,})", None),
)

_COMPILED = tuple((re.compile(pattern, re.MULTILINE), re.compile(keep) if keep else None)
                  for _, pattern, keep in PATTERNS)

#: texts longer than this are masked each time rather than remembered (log lines)
_CACHED_LENGTH = 2000


def mask(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with every credential :data:`PATTERNS` recognise, and the
    ``known`` secrets (passwords learned from an Engine), replaced by ``***``."""
    text, known = str(text), tuple(sorted(set(known)))
    return _mask_cached(text, known) if len(text) <= _CACHED_LENGTH else _mask(text, known)


def _mask(text: str, known: tuple[str, ...]) -> str:
    for pattern, keep in _COMPILED:
        text = pattern.sub(lambda match: _hide(match, keep), text)
    for secret in sorted(set(known), key=len, reverse=True):
        if len(secret) >= 3:  # a one- or two-letter password would mask half the text
            text = text.replace(secret, MASK)
    return text


#: labels are masked on every state the companion is sent: remember them
_mask_cached = lru_cache(maxsize=4096)(_mask)


def _hide(match: re.Match, keep: re.Pattern | None) -> str:
    secret = match.group("secret")
    key = match.groupdict().get("key")
    if (keep is not None and keep.fullmatch(secret)) or (key is not None and NOT_SECRET_KEYS.search(key)):
        return match.group(0)
    whole, start = match.group(0), match.start()
    return whole[:match.start("secret") - start] + MASK + whole[match.end("secret") - start:]


class MaskingFilter(logging.Filter):
    """Masks a log record's message and traceback before any handler formats
    it: the kernel's log lines quote cells and exceptions, and logs are kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            if not isinstance(record.msg, _MaskedMessage):
                record.msg, record.args = _MaskedMessage(record.msg, record.args), None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = mask(record.exc_text)
            if record.stack_info:
                record.stack_info = mask(record.stack_info)
        except Exception:  # a log line must never fail over its masking
            pass
        return True


class _MaskedMessage:
    """A record's message, masked only when a handler formats it: the
    kernel's logger passes every debug line (one per message it handles) to
    handlers that mostly drop them, and masking each cost a millisecond."""

    __slots__ = ("msg", "args")

    def __init__(self, msg: Any, args: Any):
        self.msg, self.args = msg, args

    def __str__(self) -> str:
        text = str(self.msg)
        if self.args:
            text = text % self.args
        return mask(text)


def mask_log(logger: logging.Logger) -> None:
    """Mask every record ``logger`` and its handlers pass on (once)."""
    for target in (logger, *logger.handlers):
        if not any(isinstance(f, MaskingFilter) for f in target.filters):
            target.addFilter(MaskingFilter())
