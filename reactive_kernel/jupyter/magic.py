"""``%reactive``: ask the kernel what is stale, what ran and why, and how cells depend.

A thin IPython layer over :mod:`reactive_kernel.present.explain`: it parses
the arguments, reads the cells through the kernel's view and displays the
answer as a rich bundle (HTML and SVG for notebooks, plain text for jupyter
console).  Labels come masked from the view; the error messages here echo
what the person typed, so they are masked too.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from logging import Logger
from typing import Callable

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from ..core.report import Report
from ..core.secrets import mask
from ..present import drawing
from ..present.explain import Text, dependency_graph, graph_listing, status, why
from ..present.view import CellView, UnknownCell


@magics_class
class ReactiveMagics(Magics):
    def __init__(self, shell, view: CellView, last_report: Callable[[], Report | None], log: Logger):
        super().__init__(shell)
        self.view = view
        #: the last request's report but for ``%reactive`` queries
        self.last_report = last_report
        self.log = log

    @magic_arguments()
    @argument("command", nargs="?", choices=["why", "graph"],
              help="why: a cell's providers and readers; graph: the dependency graph. "
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
        """
        args = parse_argstring(self.reactive, line)
        if args.command == "why" and args.target is None:
            raise UsageError("%reactive why: name a variable or a cell, e.g. %reactive why df")
        try:
            if args.command is None:
                bundle = status(self.view, self.last_report()).bundle()
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
