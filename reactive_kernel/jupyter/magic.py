"""``%reactive``: ask the kernel what is stale, what ran and why, and how cells depend.

A thin IPython layer over :mod:`reactive_kernel.present.explain`: it parses
the arguments, reads the cells through the kernel's view and displays the
answer as a rich bundle (HTML and SVG for notebooks, plain text for jupyter
console).  Labels come masked from the view; the error messages here echo
what the person typed, so they are masked too.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import shlex
import time
from logging import Logger
from typing import TYPE_CHECKING, Callable

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from ..core.report import Report
from ..core.secrets import mask
from ..present import drawing
from ..present.explain import Text, dependency_graph, graph_listing, status, why
from ..present.view import CellView, UnknownCell

if TYPE_CHECKING:
    from .cache import CellCache


@magics_class
class ReactiveMagics(Magics):
    def __init__(self, shell, view: CellView, last_report: Callable[[], Report | None], log: Logger,
                 cache: "CellCache | None" = None):
        super().__init__(shell)
        self.view = view
        #: the last request's report but for ``%reactive`` queries
        self.last_report = last_report
        self.log = log
        self.cache = cache

    @magic_arguments()
    @argument("command", nargs="?", choices=["why", "graph", "cache"],
              help="why: a cell's providers and readers; graph: the dependency graph; "
              "cache: the cell cache (%%reactive cache help). "
              "Without a command: the stale cells and what the last request ran, and why.")
    @argument("target", nargs="?", metavar="NAME_OR_CELL",
              help="a variable, a %%%%cell name, a cell id or a prompt number like [3] "
              "(for graph: draw only that cell's ancestors and descendants)")
    @line_magic
    def reactive(self, line: str = "") -> None:
        """Show what the reactive kernel knows.

        %reactive                       the stale cells and the last run plan
        %reactive why NAME_OR_CELL      what a cell reads, from which cells, who reads it
        %reactive graph [NAME_OR_CELL]  the dependency graph (SVG; text in consoles)
        %reactive cache ...             the cell cache: on, off, auto, dir, show, clear, why, limit
        """
        words = line.split(None, 1)
        if words and words[0] == "cache":
            return self._cache(words[1] if len(words) > 1 else "")
        args = parse_argstring(self.reactive, line)
        if args.command == "why" and args.target is None:
            raise UsageError("%reactive why: name a variable or a cell, e.g. %reactive why df")
        try:
            if args.command is None:
                text = status(self.view, self.last_report())
                _served(text, self.view, self.last_report())
                bundle = text.bundle()
            elif args.command == "why":
                bundle = why(self.view, args.target).bundle()
            else:
                bundle = _picture(self.view, args.target)
        except UnknownCell as error:
            raise UsageError(mask(f"%reactive: {error}")) from None
        except Exception as error:  # a bug of ours: say so without our frames
            self.log.exception("%reactive failed")
            raise UsageError(mask(f"%reactive failed ({type(error).__name__}: {error}); "
                                  "this is a reactive-kernel bug, please report it")) from None
        display(bundle, raw=True)


    # -- %reactive cache --------------------------------------------------------
    @magic_arguments(name="reactive cache")
    @argument("action", nargs="?", default="status",
              choices=["status", "on", "off", "auto", "dir", "show", "clear", "why", "limit", "help"],
              help="on: store %%%%cache cells and serve stale ancestors (the default); off: nothing stored "
              "or served; auto [SECONDS]: also store every cell that ran that long (default 1) and calls "
              "nothing the engine cannot see; dir URL: where entries live (a path or any fsspec URL); "
              "show: the entries; clear: remove them all; why CELL: why a cell was or was not served or "
              "stored; limit SIZE: the most the entries take (10G, 500M, none), least recently used go first")
    @argument("value", nargs="?", help="SECONDS for auto, URL for dir, CELL for why, SIZE for limit")
    def cache_command(self, line: str = "") -> None:
        """%reactive cache [on | off | auto [SECONDS] | dir URL | show | clear | why CELL | limit SIZE]"""

    def _cache(self, line: str) -> None:
        cache = self.cache
        if cache is None:
            raise UsageError("%reactive cache: this kernel has no cell cache")
        try:
            words = shlex.split(line)
        except ValueError as error:
            raise UsageError(mask(f"%reactive cache: {error}")) from None
        args = parse_argstring(self.cache_command, shlex.join(words))
        action, value = args.action, args.value
        try:
            lines = self._cache_action(cache, action, value)
        except (UsageError, UnknownCell) as error:
            raise UsageError(mask(f"%reactive cache: {error}")) from None
        except Exception as error:  # a location that cannot be reached, a bug of ours
            self.log.exception("%reactive cache failed")
            raise UsageError(mask(f"%reactive cache {action} failed ({type(error).__name__}: {error})")) from None
        display({"text/plain": mask("\n".join(lines))}, raw=True)

    def _cache_action(self, cache: "CellCache", action: str, value: str | None) -> list[str]:
        from .cache import age, human_size, parse_size

        if action == "help":
            return [self.cache_command.parser.format_help()]
        if action in ("on", "off"):
            cache.enabled = action == "on"
            if action == "on":
                cache.auto = False
        elif action == "auto":
            try:
                threshold = float(value) if value is not None else cache.threshold
            except ValueError:
                raise UsageError(f"auto takes a number of seconds, not {value!r}") from None
            if threshold < 0:
                raise UsageError("auto takes a number of seconds of zero or more")
            cache.enabled, cache.auto, cache.threshold = True, True, threshold
        elif action == "dir":
            if not value:
                return [cache.settings()]
            cache.move(value)
        elif action == "limit":
            if value is None:
                raise UsageError("limit takes a size: 10G, 500M, or none")
            try:
                limit = parse_size(value)
            except ValueError as error:
                raise UsageError(str(error)) from None
            evicted = cache.set_limit(limit)
            if evicted:
                return [cache.settings(), f"evicted {_entries(len(evicted))}, the least recently used"]
        elif action == "clear":
            count = len(cache.store.entries())
            cache.store.clear()
            cache.notes.clear()
            return [f"removed {_entries(count)} from {cache.location}"]
        elif action == "show":
            entries = cache.store.entries()
            lines = [cache.settings(), f"{_entries(len(entries))}, {human_size(sum(e.size for e in entries))}"]
            now = time.time()
            for e in entries:
                lines.append(f"  {e.label[:60]!s:60}  {human_size(e.size):>9}  made {age(now - e.created)} ago, "
                             f"used {age(now - e.last_used)} ago, saves {e.seconds:.3g} s")
            return lines
        elif action == "why":
            if not value:
                raise UsageError("why takes a cell: a variable it binds, a %%cell name, a cell id or [3]")
            cell_id = self.view.find(value)
            return cache.explain(cell_id, self.view.label(cell_id))
        return [cache.settings()]


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


def _served(text: Text, view: CellView, report: Report | None) -> None:
    """The cells the last request took from the cache instead of running them."""
    served = [entry.cell_id for entry in (report.ran if report is not None else ()) if entry.cached]
    if served:
        text.add(0)
        text.add(0, ("head", "From the cache: "), ", ".join(view.label(c) for c in served),
                 ("muted", "  (their saved values and outputs, not a run)"))


def _picture(view: CellView, around: str | None) -> dict:
    graph = dependency_graph(view, around)
    listing = graph_listing(graph)
    linked = graph.subgraph([c for c in graph if graph.degree(c)])
    title = f"around {view.label(view.find(around))}" if around else ""
    picture = drawing.svg(linked, title)
    if picture is not None:
        return {"text/plain": listing.plain(), "image/svg+xml": picture}
    if len(linked) > drawing.MAX_CELLS:
        note = Text()
        note.add(0, ("stale", f"{len(linked)} connected cells: too many to draw legibly."),
                 ("muted", " Draw one cell's neighbourhood with %reactive graph NAME_OR_CELL."))
        note.lines += listing.lines
        listing = note
    return listing.bundle()
