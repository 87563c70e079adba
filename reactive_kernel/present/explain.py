"""What ``%reactive`` tells a person: stale cells, the last plan, why a cell runs.

Pure functions over the engine and the last request's Report (no IPython
here, so they are tested in-process).  Each answer is a :class:`Text`: lines
of spans of a kind (a cell, a name, a state), written once and rendered twice,
as plain text for jupyter console and as HTML coloured with JupyterLab's theme
variables, so light and dark themes both read well.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import builtins
import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # networkx is imported when a graph is asked for, not at kernel start
    import networkx as nx

from ..analysis.directives import is_query
from ..analysis.names import is_graph_name
from ..core.engine import Engine
from ..core.report import Report
from ..core.secrets import mask
from ..vocabulary import ANCESTOR, CANCELLED, DESCENDANT, ERROR, FAILED, INTERNAL, INTERRUPTED, NOTEBOOK, OK, RAN, RERAN, TARGET
from .marks import first_line
from .view import CURRENT_STATES, CellView

_WHY_ROLE = {TARGET: "requested", ANCESTOR: "stale input", DESCENDANT: "reads what changed"}


# -- the text model ------------------------------------------------------------

#: how each kind of span looks in HTML (theme variables, with fallbacks that
#: suit both light and dark backgrounds)
_STYLE = {
    "head": "font-weight:bold",
    "cell": "color:var(--jp-content-link-color, inherit)",
    "name": "font-weight:bold",
    "muted": "opacity:0.65",
    "ok": "color:var(--jp-success-color1, #4caf50)",
    "stale": "color:var(--jp-warn-color1, #f0a030)",
    "failed": "color:var(--jp-error-color1, #e05050)",
}
_BOX = ("font-family:var(--jp-code-font-family, monospace);font-size:var(--jp-code-font-size, 13px);"
        "color:var(--jp-ui-font-color1, inherit);line-height:1.45;white-space:pre;overflow-x:auto")


@dataclass
class Text:
    """Lines of ``(kind, text)`` spans, each line with an indent level."""

    lines: list[tuple[int, list[tuple[str, str]]]] = field(default_factory=list)

    def add(self, indent: int, *spans: tuple[str, str] | str) -> None:
        """Each span masked (labels come masked; this catches any other text
        of a cell, as its id, before ``%reactive`` shows it)."""
        spans = tuple(s if isinstance(s, tuple) else ("", s) for s in spans)
        self.lines.append((indent, [(kind, mask(text)) for kind, text in spans]))

    def plain(self) -> str:
        return "\n".join("  " * indent + "".join(t for _, t in spans) for indent, spans in self.lines)

    def html(self) -> str:
        rows = []
        for indent, spans in self.lines:
            body = "".join(
                f'<span style="{_STYLE[kind]}">{html.escape(text)}</span>' if kind else html.escape(text)
                for kind, text in spans)
            rows.append(f'<div style="padding-left:{1.5 * indent}em">{body or "&nbsp;"}</div>')
        return f'<div class="reactive-explain" style="{_BOX}">{"".join(rows)}</div>'

    def bundle(self) -> dict:
        return {"text/plain": self.plain(), "text/html": self.html()}


# -- how a person reads a cell ----------------------------------------------------------

#: how a cell's state looks; a current cell's state goes unsaid in lists
_STATE_STYLE = {RAN: "ok", RERAN: "ok", FAILED: "failed"}
#: how a step's status looks in the last plan
_STATUS_STYLE = {OK: "ok", ERROR: "failed", INTERRUPTED: "stale", CANCELLED: "stale"}


def _cell(view: CellView, cell_id: str) -> list[tuple[str, str]]:
    """Spans naming a cell: its prompt and label, and its state if not current."""
    spans = _named(view, cell_id)
    state = view.state(cell_id)
    if state not in CURRENT_STATES:
        spans.append((_STATE_STYLE.get(state, "stale"), f"  ({state})"))
    return spans


def _named(view: CellView, cell_id: str) -> list[tuple[str, str]]:
    return [("muted", view.prompt_text(cell_id) + " "), ("cell", view.label(cell_id))]


# -- %reactive -------------------------------------------------------------------

def status(view: CellView, report: Report | None) -> Text:
    """The stale cells, and what the last request ran and why."""
    text = Text()
    stale = [c for c in view.engine.stale_cells() if c in view.engine.cells
             and not is_query(view.engine.cells[c].code)]
    if stale:
        text.add(0, ("head", f"Stale cells ({len(stale)})"),
                 ("muted", ": their results may be outdated"))
        for cell_id in stale:
            text.add(1, *_cell(view, cell_id))
    else:
        text.add(0, ("head", "No stale cells"), ("muted", ": every cell's result is current"))
    text.add(0)
    _plan(text, view, report)
    return text


def _plan(text: Text, view: CellView, report: Report | None) -> None:
    if report is None:
        text.add(0, ("head", "Last run: "), "nothing has run yet")
        return
    target = report.cell_id
    head = [("head", "Last run: ")]
    head += _named(view, target) if target else [("", "a cell without id that binds nothing")]
    order = "notebook order" if report.order == NOTEBOOK else "the order cells were first run"
    head.append(("muted", f"  ({report.mode} run, {order})"))
    text.add(0, *head)
    if report.error is not None:
        kind = report.error.get("kind", "error")
        if kind == INTERNAL and not report.ran:  # the cell ran, as plain IPython
            text.add(1, ("failed", "ran as plain IPython, outside the graph (a fault of the kernel's; "
                                   "it and its readers are stale): "), str(report.error.get("message", "")))
        else:
            text.add(1, ("failed", f"not run ({kind}): "), str(report.error.get("message", "")))
    planned = {e.cell_id for e in report.ran}
    width = max((len(view.label(e.cell_id)) for e in report.ran), default=0)
    for entry in report.ran:
        mark = _STATUS_STYLE.get(entry.status, "")
        why = _why_ran(view, entry.cell_id, entry.role, planned)
        text.add(1, ("muted", f"{entry.role:<11}"), ("muted", view.prompt_text(entry.cell_id) + " "),
                 ("cell", view.label(entry.cell_id).ljust(width)), "  ",
                 (mark, f"{entry.status:<9}"), ("muted", f"  {why}"))
    if report.cleared:
        gone = sorted(n for n in set(report.cleared) if not view.engine.present(n))
        text.add(1, ("muted", "cleared:  "), *_names(sorted(set(report.cleared))),
                 ("muted", "  (removed before the clean reruns"),
                 *([("muted", "; not defined now: "), *_names(gone)] if gone else []), ("muted", ")"))
    if report.restored:
        text.add(1, ("muted", "restored: "), *_names(sorted(set(report.restored))),
                 ("muted", "  (put back to a later cell's value)"))


def _why_ran(view: CellView, cell_id: str, role: str, planned: set[str]) -> str:
    """The names that tie a cell of the plan to the rest of it."""
    graph = view.engine.graph
    if role == TARGET or cell_id not in graph.names:
        return _WHY_ROLE.get(role, "")
    if role == DESCENDANT:
        found = sorted({n for n, p in graph.providers(cell_id).items() if p in planned and p != cell_id})
        return f"reads {', '.join(found)}" if found else _WHY_ROLE[role]
    found = sorted({n for reader in graph.readers(cell_id) & planned
                    for n, p in graph.providers(reader).items() if p == cell_id})
    return f"stale, gives {', '.join(found)}" if found else "restores its values"


def _names(names: Iterable[str]) -> list[tuple[str, str]]:
    spans: list[tuple[str, str]] = []
    for name in names:
        if spans:
            spans.append(("", ", "))
        spans.append(("name", name))
    return spans


# -- %reactive why ---------------------------------------------------------------

def why(view: CellView, query: str) -> Text:
    """A cell's providers and readers, name by name.  ``query`` names a cell
    or a variable (then the cell whose value of it Run All leaves)."""
    cell_id = view.find(query)
    cell, name = view.engine.cells[cell_id], query.strip()
    text = Text()
    if cell_id != name and name.isidentifier() and name in cell.names.writes:
        _binder(text, view, cell_id, name)
    state = view.state(cell_id)
    text.add(0, *_named(view, cell_id), "  ", (_STATE_STYLE.get(state, "stale"),
                                                "up to date" if state in CURRENT_STATES else state))
    first = first_line(cell.code, 60)
    if first and first != view.label(cell_id):
        text.add(1, ("muted", "code: "), ("cell", first))
    if view.label(cell_id) != cell_id:
        text.add(1, ("muted", f"cell id: {cell_id}"))
    writes = sorted(cell.names.writes - cell.names.mutations)
    mutations = sorted(cell.names.mutations)
    if writes:
        text.add(1, ("muted", "defines: "), *_names(writes))
    if mutations:
        text.add(1, ("muted", "changes in place: "), *_names(mutations))
    rows = _reads(view, cell_id)
    text.add(1, ("muted", "reads:" if rows else "reads nothing other cells define"))
    for row in rows:
        text.add(2, *row)
    readers = _readers(view.engine, cell_id)
    text.add(1, ("muted", "read by:" if readers else "read by no later cell"))
    for name, cells in readers.items():
        text.add(2, ("name", name), ("muted", "  by "), *_cells(view, cells))
    return text


def _binder(text: Text, view: CellView, cell_id: str, name: str) -> None:
    """Which cell's value of ``name`` a reader gets, and who else binds it."""
    others = [w for w in view.engine.graph.writers(name) if w != cell_id]
    text.add(0, ("name", name), " gets its value from ", *_named(view, cell_id))
    if others:
        text.add(1, ("muted", "also bound by "), *_cells(view, others),
                 ("muted", ": a reader takes the nearest one above it"))
    if not view.engine.present(name):
        text.add(1, ("stale", f"{name} is not defined now"), ("muted", ": run that cell"))
    text.add(0)


def _reads(view: CellView, cell_id: str) -> list[list[tuple[str, str]]]:
    """One row per name the cell reads from other cells (or fails to): where it comes from."""
    engine = view.engine
    graph = engine.graph
    reads = graph.providers(cell_id) if cell_id in graph.names else {}
    rows = []
    for name in sorted(reads):
        provider = reads[name]
        if provider is not None:
            rows.append([("name", name), ("muted", "  from "), *_cell(view, provider)])
        elif not hasattr(builtins, name) and is_graph_name(name):
            later = graph.later_writer(cell_id, name)
            where = [("muted", "  only a later cell binds it: "), *_cell(view, later)] if later else (
                [("muted", "  from outside any cell")] if engine.present(name) else
                [("failed", "  undefined: no cell binds it")])
            rows.append([("name", name), *where])
    return rows


def _readers(engine: Engine, cell_id: str) -> dict[str, list[str]]:
    graph = engine.graph
    found: dict[str, list[str]] = {}
    for reader in graph.order(engine.readers(cell_id)):
        for name in sorted(graph.names[reader].reads):
            if graph.provider(reader, name) == cell_id:
                found.setdefault(name, []).append(reader)
    return dict(sorted(found.items()))


def _cells(view: CellView, cells: Iterable[str]) -> list[tuple[str, str]]:
    spans: list[tuple[str, str]] = []
    for cell_id in cells:
        if spans:
            spans.append(("", ", "))
        spans += _cell(view, cell_id)
    return spans


# -- %reactive graph -------------------------------------------------------------

def dependency_graph(view: CellView, around: str | None = None) -> nx.DiGraph:
    """Data edges between the shown cells, each node with its prompt, label
    and state, each edge with its names; ``around`` keeps one cell's
    ancestors and descendants only."""
    import networkx as nx

    full = view.engine.graph.to_networkx()
    keep = view.shown()
    if around is not None:
        cell_id = view.find(around)
        near = nx.ancestors(full, cell_id) | nx.descendants(full, cell_id) | {cell_id}
        keep = [c for c in keep if c in near]
    graph = full.subgraph(keep).copy()
    for cell_id in graph:
        graph.nodes[cell_id].update(
            prompt=view.prompt_text(cell_id), label=view.label(cell_id), state=view.state(cell_id))
    return graph


def graph_listing(graph: nx.DiGraph) -> Text:
    """The graph as indented text: each cell, then the cells reading from it."""
    text = Text()
    linked = [c for c in graph if graph.degree(c)]
    if not linked:
        text.add(0, ("head", "No data edges"), ("muted", ": no cell reads a name another cell defines"))
    else:
        text.add(0, ("head", f"Dependency graph: {len(linked)} cells, {graph.number_of_edges()} edges"),
                 ("muted", "  (provider, then the cells that read from it)"))
    for cell_id in linked:
        text.add(1, *_node(graph, cell_id))
        for reader in sorted(graph.successors(cell_id), key=lambda c: graph.nodes[c]["position"]):
            names = ", ".join(sorted(graph.edges[cell_id, reader]["names"]))
            text.add(2, ("muted", "─ "), ("name", names), ("muted", " → "), *_node(graph, reader))
    alone = [c for c in graph if not graph.degree(c)]
    if alone:
        text.add(0, ("muted", f"{len(alone)} cells without data edges: "),
                 *[s for i, c in enumerate(alone) for s in ([("", ", ")] if i else []) + _node(graph, c)])
    return text


def _node(graph: nx.DiGraph, cell_id: str) -> list[tuple[str, str]]:
    data = graph.nodes[cell_id]
    spans = [("muted", data["prompt"] + " "), ("cell", data["label"])]
    state = data["state"]
    if state not in CURRENT_STATES:
        spans.append((_STATE_STYLE.get(state, "stale"), f" ({state})"))
    return spans
