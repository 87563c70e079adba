"""Leading directive lines: ``%%cell NAME`` and ``%%keep``.

They are the kernel's, not IPython's: stripped before the code reaches the
engine or the shell, so they work in every frontend, jupyter console included.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import re
from dataclasses import dataclass

_CELL = re.compile(r"^%%cell[ \t]+(\S+)[ \t]*$")
_KEEP = re.compile(r"^%%keep[ \t]*$")
#: a request whose only code is ``%reactive ...``: it asks, it is no step of
#: the work, so it neither replaces the last plan nor shows in the graph
_QUERY = re.compile(r"\A(\s*%reactive\b[^\n]*\n?)+\s*\Z")


@dataclass(frozen=True)
class Directives:
    code: str
    cell_name: str | None = None
    keep: bool = False


def is_query(code: str) -> bool:
    """Whether the code only asks the kernel (``%reactive ...`` lines)."""
    return bool(_QUERY.match(code))


def parse(code: str) -> Directives:
    end = code.find("\n")
    if not (code if end < 0 else code[:end]).strip().startswith("%%"):
        return Directives(code)  # most cells: no directive line
    lines = code.split("\n")
    name, keep, i = None, False, 0
    while i < len(lines):
        line = lines[i].strip()
        if (m := _CELL.match(line)) and name is None:
            name = m.group(1)
        elif _KEEP.match(line) and not keep:
            keep = True
        else:
            break
        i += 1
    if i == 0:
        return Directives(code)
    return Directives("\n".join(lines[i:]).rstrip("\n"), name, keep)
