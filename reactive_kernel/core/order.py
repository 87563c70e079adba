"""Notebook order from the session's notebook file.

The kernel sees cells one request at a time; the page order lives in the
frontend.  Jupyter Server tells the kernel which notebook it serves
(``JPY_SESSION_NAME``, which ipykernel exposes as ``__session__``; VS Code
sets ``__vsc_ipynb_file__``), so the saved file gives the order of every cell
it holds.  The file is reread only when its modification time or size
changes, and a file that cannot be read (not JSON) is not tried again until
then.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import json
import os
from dataclasses import dataclass, field
from typing import Callable

from ..vocabulary import NOTEBOOK, PAGE, REGISTRATION


#: a saved cell longer than this (characters) is not analysed before it runs:
#: analysis grows with the code (a 6-million-character cell takes seconds to
#: minutes), and a cell nobody runs must not cost every session that cost.
#: Such a cell keeps its place in the order; it is known once it runs.
SAVED_CELL_ANALYSED = 100_000


@dataclass
class NotebookFile:
    path: str | None = None
    #: (path, modification time, size) of the file last read
    stamp: tuple | None = None
    #: code cells of the last read that the engine may know before they run:
    #: (id, source) in page order
    cells: list[tuple[str, str]] = field(default_factory=list)
    #: every code cell of the last read, (id, source) in page order
    page: list[tuple[str, str]] = field(default_factory=list)
    #: ids of the cells left out of ``cells`` for their length
    unanalysed: list[str] = field(default_factory=list)
    #: the tags (``metadata.tags``) of the code cells of the last read that have any
    tags: dict[str, frozenset[str]] = field(default_factory=dict)
    #: the stamp of the last file found unreadable: not read again until it changes
    failed: tuple | None = None
    #: how many times a file was read (tests count them)
    reads: int = 0

    def refresh(self, path: str | None) -> bool:
        """Reread ``path`` if it changed; True when the cells may have moved.
        A file that could not be read is not read again while its
        modification time and size stay the same."""
        if not path:
            changed = self.path is not None
            self.path, self.stamp, self.cells, self.page, self.unanalysed = None, None, [], [], []
            self.tags = {}
            return changed
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            return False
        stamp = (path, info.st_mtime_ns, info.st_size)
        if stamp == self.stamp or stamp == self.failed:
            return False
        self.reads += 1
        read = read_code_cells(path)
        if read is None:
            self.failed = stamp
            return False
        page, self.tags = read
        # a cell offered before stays offered: the engine may know it with
        # older code, which must not outlive the file's
        offered = {cell_id for cell_id, _ in self.cells} if path == self.path else set()
        self.cells = [(c, code) for c, code in page if len(code) <= SAVED_CELL_ANALYSED or c in offered]
        self.unanalysed = [c for c, code in page if len(code) > SAVED_CELL_ANALYSED and c not in offered]
        self.path, self.stamp, self.page = path, stamp, page
        return True


def read_code_cells(path: str) -> tuple[list[tuple[str, str]], dict[str, frozenset[str]]] | None:
    """(id, source) of the notebook's code cells in page order, and the tags
    of those that have any; None when the file is unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            notebook = json.load(handle)
        cells, tags = [], {}
        for cell in notebook.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(source)
            cell_id = cell.get("id")
            if isinstance(cell_id, str) and isinstance(source, str):
                cells.append((cell_id, source))
                found = cell_tags(cell.get("metadata"))
                if found:
                    tags[cell_id] = found
        return cells, tags
    except (OSError, ValueError, AttributeError, TypeError):
        return None


def cell_tags(metadata: object) -> frozenset[str]:
    """A cell's ``metadata.tags``.  Tags not given as a list of strings are
    no tags at all, never some of them: a tag decides whether the cell is
    cached (``%reactive cache``), and a half-read list could decide wrong."""
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        return frozenset()
    return frozenset(tags)


def find_notebook(session: object, cwd: str) -> str | None:
    """The notebook file a session name points to, if it exists.

    Jupyter Server's session name is the notebook's path relative to the
    server root, while the kernel runs in the notebook's folder: try it as
    given, then relative to the kernel's folder, then by its file name.
    """
    if not isinstance(session, str) or not session.endswith(".ipynb"):
        return None
    for candidate in (session, os.path.join(cwd, session), os.path.join(cwd, os.path.basename(session))):
        if os.path.isfile(candidate):
            return os.path.abspath(candidate)
    return None


def page_order(known: list[str], codes: dict[str, str], file_cells: list[tuple[str, str]],
               by_code: bool = True) -> list[str]:
    """The known cells in page order.

    Cells in the file take their place in it, matched by id or, where the
    frontend's ids are not the file's (VS Code) and ``by_code``, by code when
    exactly one file cell has it.  A cell the file does not show yet stays right after the
    cell it followed before.
    """
    file_ids = [cell_id for cell_id, _ in file_cells]
    rank = {cell_id: i for i, cell_id in enumerate(file_ids)}
    with_code: dict[str, list[str]] = {}
    for cell_id, source in file_cells:
        with_code.setdefault(source.strip(), []).append(cell_id)
    taken: set[str] = set()
    where: dict[str, int] = {}
    for cell in known:
        if cell in rank:
            where[cell] = rank[cell]
            taken.add(cell)
    # ids that are not the file's (VS Code's URIs): match by code instead;
    # where the ids are the file's, a cell missing from it is just not saved yet
    for cell in known if by_code and not taken else ():
        matches = [m for m in with_code.get(codes.get(cell, "").strip(), []) if m not in taken]
        if len(matches) == 1:
            where[cell] = rank[matches[0]]
            taken.add(matches[0])
    placed = sorted((c for c in known if c in where), key=where.__getitem__)
    # cells the file does not show follow the cell they followed before
    result = list(placed)
    previous: str | None = None
    for cell in known:
        if cell not in where:
            index = result.index(previous) + 1 if previous is not None else 0
            result.insert(index, cell)
        previous = cell
    return result


class NotebookOrder:
    """Where the notebook order comes from: the live page a frontend reports
    (the companion), else the session's saved file, else the order cells
    were first run."""

    def __init__(self) -> None:
        self.file = NotebookFile()
        self.path: str | None = None
        #: whether the file's cell ids are the requests' ids, so its cells can
        #: be registered before they run
        self.register = False
        #: the live page order a frontend reported, if any
        self.page: list[str] | None = None
        #: the tags of the cells a frontend reported them for: they win over the file's
        self.page_tags: dict[str, frozenset[str]] = {}

    def source(self) -> str:
        if self.page is not None:
            return PAGE
        return NOTEBOOK if self.file.path else REGISTRATION

    def known(self) -> bool:
        """Whether anything but registration gives the order."""
        return self.page is not None or bool(self.file.path)

    def set_page(self, cell_ids: list[str] | None) -> bool:
        """Adopt the page's order (None: no longer known); True if it changed."""
        page = list(dict.fromkeys(cell_ids)) if cell_ids is not None else None
        changed = page != self.page
        self.page = page
        return changed

    def set_page_tags(self, tags: dict[str, list[str]] | None) -> None:
        """Adopt the tags a frontend reports for these cells (an empty list:
        none, whatever the file says); None: forget every reported tag."""
        if tags is None:
            self.page_tags = {}
        else:
            self.page_tags.update((cell_id, frozenset(names)) for cell_id, names in tags.items())

    def tags(self, cell_id: str) -> frozenset[str]:
        """The cell's tags: the page's, else the saved file's."""
        live = self.page_tags.get(cell_id)
        return live if live is not None else self.file.tags.get(cell_id, frozenset())

    def refresh(self) -> bool:
        """Reread the file if it changed; True when the cells may have moved."""
        return self.file.refresh(self.path)

    def wanted(self, current: list[str], code_of: Callable[[str], str | None]) -> list[str]:
        """``current`` (every placed cell) in the order the page or file gives."""
        if self.page is not None:
            return page_order(current, {}, [(c, "") for c in self.page], by_code=False)
        if self.file.path:
            codes = {c: code for c in current if (code := code_of(c)) is not None}
            return page_order(current, codes, self.file.page)
        return current
