"""The short note a requesting cell shows about what else ran."""
from __future__ import annotations

import html

from .engine import Engine
from .report import Report

_MARK = {"ok": "✓", "error": "✗ error", "cancelled": "– cancelled"}


def label(cell, names=frozenset()) -> str:
    """How a person recognises a cell: its ``%%cell`` name, else its first
    line of code (frontend cell ids are opaque: UUIDs, hex, URIs)."""
    if cell is None:
        return "?"
    if cell.id in names:
        return cell.id
    first = next((line.strip() for line in cell.code.splitlines() if line.strip()), "")
    return first if len(first) <= 40 else first[:39] + "…"


def summarize(report: Report, engine: Engine, names=frozenset()) -> tuple[dict, dict] | None:
    """None when there is nothing to tell beyond the cell's own output."""
    others = [e for e in report.ran if e.role != "target"]
    removed = sorted(n for n in set(report.cleared) if not engine.present(n))
    ran = {e.cell_id for e in report.ran}
    stale = [c for c in report.stale if c in ran and c != report.cell_id]
    if not (others or removed or stale):
        return None
    pieces = []
    if others:
        ran = ", ".join(
            f"{label(engine.cells.get(e.cell_id), names)} ({e.role}) {_MARK[e.status]}" for e in others
        )
        pieces.append(f"ran {ran}")
    if removed:
        pieces.append("removed " + ", ".join(removed))
    if stale:
        pieces.append("stale: " + ", ".join(label(engine.cells.get(c), names) for c in stale))
    text = "⟳ " + "; ".join(pieces)
    markup = f'<div style="color:#777;font-size:85%">{html.escape(text)}</div>'
    return {"text/plain": text, "text/html": markup}, {}
