"""The dependency graph as an SVG picture every frontend shows without an extension.

Cells are boxes in layers from left to right (a cell's layer is the length of
the longest chain of providers above it), each layer in notebook order;
arrows carry the names that flow.  Matplotlib draws it on its own Figure with
the SVG backend, imported only when a picture is asked for: kernel start pays
nothing and the user's pyplot state (backend, current figure) is untouched.
Text stays text in the SVG (searchable, no font paths), and boxes have their
own fill, so the picture reads on light and dark themes alike.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import io

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # networkx is imported when a graph is asked for, not at kernel start
    import networkx as nx

from ..core.secrets import mask
from ..vocabulary import CANCELLED, FAILED, FAILED_UPSTREAM, RAN, RERAN, STALE, UNRUN
from .view import CURRENT_STATES

#: above this many cells no picture is drawn (the text listing still is):
#: boxes would shrink below reading size in a notebook's width
MAX_CELLS = 300
#: above this many edges their names are left off the arrows
MAX_NAMED_EDGES = 120

_CURRENT = ("#dbe9f6", "#4a7ab0")
_WARNED = ("#fde2b8", "#c77700")
#: each cell state's box: its fill and border (a state not current is also written in it)
_LOOK = {RAN: _CURRENT, RERAN: _CURRENT, STALE: _WARNED, UNRUN: _WARNED, CANCELLED: _WARNED,
         FAILED_UPSTREAM: _WARNED, FAILED: ("#f7c6c6", "#c62828")}
_INK = "#1a1a1a"  # inside the light boxes, on any theme
_EDGE = "#8a8a8a"
_LABEL_CHARS = 28
_LAYER_WIDTH = 2.7  # inches
_ROW_HEIGHT = 0.55  # inches


def layers(graph: nx.DiGraph) -> list[list[str]]:
    """Cells by layer; within a layer, ordered by the mean row of their
    providers (fewer crossings), ties broken by notebook order."""
    import networkx as nx

    result: list[list[str]] = []
    row: dict[str, float] = {}
    for generation in nx.topological_generations(graph):
        def key(cell: str) -> tuple[float, float]:
            above = [row[p] for p in graph.predecessors(cell)]
            return (sum(above) / len(above) if above else -1.0, graph.nodes[cell].get("position", 0.0))
        generation = sorted(generation, key=key)
        row.update({cell: float(i) for i, cell in enumerate(generation)})
        result.append(generation)
    return result


def svg(graph: nx.DiGraph, title: str = "") -> str | None:
    """The picture of ``graph`` (nodes with ``prompt``, ``label`` and ``state``,
    a cell state, ran when missing; edges with ``names``), or None when it has
    more than MAX_CELLS cells."""
    if len(graph) == 0 or len(graph) > MAX_CELLS:
        return None
    from matplotlib import rc_context
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    columns = layers(graph)
    rows = max(len(c) for c in columns)
    width = max(len(columns) * _LAYER_WIDTH, 4.0)
    height = rows * _ROW_HEIGHT + (0.6 if title else 0.2)
    place = {cell: (float(x), -(y - (len(column) - 1) / 2))
             for x, column in enumerate(columns) for y, cell in enumerate(column)}

    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "reactive-kernel"}):
        figure = Figure(figsize=(width, height))
        FigureCanvasSVG(figure)
        axes = figure.add_axes((0, 0, 1, 1 - (0.45 / height if title else 0)))
        axes.set_axis_off()
        axes.set_xlim(-0.5, len(columns) - 0.5)
        axes.set_ylim(-rows / 2 - 0.1, rows / 2 + 0.1)
        if title:
            figure.text(0.01, 1 - 0.1 / height, mask(title), ha="left", va="top", fontsize=9, color=_EDGE)
        boxes = {cell: _box(axes, cell, graph.nodes[cell], x, y) for cell, (x, y) in place.items()}
        figure.draw_without_rendering()  # sizes the boxes
        _arrows(axes, graph, place, boxes)
        out = io.StringIO()
        figure.savefig(out, format="svg", transparent=True, bbox_inches="tight", pad_inches=0.1)
    return out.getvalue()


def _box(axes, cell: str, data: dict, x: float, y: float):
    """A cell's box: prompt and label, and its state when not current."""
    state = data.get("state") or RAN
    fill, border = _LOOK[state]
    said = state not in CURRENT_STATES
    text = f"{data.get('prompt', '')} {_short(data.get('label', cell))}".strip()
    if said:
        text += f"\n{state}"
    return axes.text(
        x, y, text, ha="center", va="center", fontsize=8, color=_INK, family="monospace",
        bbox={"boxstyle": "round,pad=0.35", "facecolor": fill, "edgecolor": border,
              "linestyle": "--" if said else "-", "linewidth": 1.0},
        zorder=3, gid=f"cell-{cell}")


def _arrows(axes, graph: nx.DiGraph, place: dict, boxes: dict) -> None:
    """An arrow from border to border of the sized boxes per edge, with its names."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    named = graph.number_of_edges() <= MAX_NAMED_EDGES
    to_pixels, to_data = axes.transData.transform, axes.transData.inverted().transform
    extent = {cell: to_data(box.get_bbox_patch().get_window_extent().get_points())
              for cell, box in boxes.items()}
    for provider, reader, data in graph.edges(data=True):
        start, end = place[provider], place[reader]
        # an edge that skips a layer or runs within one bends round the
        # boxes between, towards the middle row so it stays in the picture
        bend = 0.0 if start[1] == end[1] and end[0] - start[0] == 1 else (
            0.2 if start[1] + end[1] >= 0 else -0.2)
        (x0, y0), (x1, y1) = to_pixels(start), to_pixels(end)
        control = tuple(to_data(((x0 + x1) / 2 + bend * (y1 - y0), (y0 + y1) / 2 - bend * (x1 - x0))))
        curve = (start, control, end)
        leave = _crossing(curve, extent[provider], inside_at_zero=True)
        enter = _crossing(curve, extent[reader], inside_at_zero=False)
        points = [_blossom(curve, leave, leave), _blossom(curve, leave, enter), _blossom(curve, enter, enter)]
        axes.add_patch(FancyArrowPatch(
            path=Path(points, [Path.MOVETO, Path.CURVE3, Path.CURVE3]),
            arrowstyle="-|>,head_length=0.5,head_width=0.25", mutation_scale=12, color=_EDGE,
            linewidth=0.8, shrinkA=0, shrinkB=0, clip_on=False, zorder=1))
        if named:
            names = ", ".join(sorted(data.get("names", ())))
            axes.text(*_blossom(curve, 0.5, 0.5), _short(names, 16), ha="center", va="center",
                      fontsize=7, color=_INK, family="monospace", zorder=2,
                      bbox={"boxstyle": "round,pad=0.15", "facecolor": "#f2f2f2",
                            "edgecolor": "none", "alpha": 0.9})


def _blossom(curve, a: float, b: float) -> tuple[float, float]:
    """The blossom of a quadratic Bezier curve: (a, a) is its point at a, and
    (a, b) the control point of its piece from a to b."""
    weights = ((1 - a) * (1 - b), (1 - a) * b + a * (1 - b), a * b)
    return (sum(w * v[0] for w, v in zip(weights, curve)), sum(w * v[1] for w, v in zip(weights, curve)))


def _crossing(curve, box, inside_at_zero: bool) -> float:
    """Where the curve crosses the border of ``box`` ((xmin, ymin), (xmax, ymax)),
    which holds its start (``inside_at_zero``) or its end."""
    (xmin, ymin), (xmax, ymax) = box

    def inside(t: float) -> bool:
        x, y = _blossom(curve, t, t)
        return xmin <= x <= xmax and ymin <= y <= ymax

    low, high = (0.0, 1.0)
    for _ in range(30):
        middle = (low + high) / 2
        if inside(middle) == inside_at_zero:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _short(text: str, limit: int = _LABEL_CHARS) -> str:
    """Every text drawn passes here: masked (before it is cut), then shortened."""
    text = mask(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
