"""Run plans: small pure functions over the dependency graph."""
from __future__ import annotations

from typing import Callable, Iterable

from .graph import DataflowGraph


def needed_ancestors(
    graph: DataflowGraph,
    roots: Iterable[str],
    needs_rerun: Callable[[str, str], bool],
    blocked: Callable[[str], bool] = lambda cell: False,
) -> tuple[set[str], dict[str, str]]:
    """Providers that must run before ``roots`` can read current values.

    ``needs_rerun(provider, name)`` says whether the provider's value of
    ``name`` is stale, gone or overwritten; only then is the provider taken,
    and its own providers examined in turn.  Current ancestors stop the
    search, so rerunning the end of a long chain touches one cell.  A needed
    provider that is ``blocked`` (failed, nothing changed since) is not
    taken: the second result maps each cell that needs one to it.
    """
    taken: set[str] = set()
    stopped: dict[str, str] = {}
    stack = list(roots)
    while stack:
        cell = stack.pop()
        for name in graph.names[cell].reads:
            provider = graph.provider(cell, name)
            if provider is None or provider in taken or not needs_rerun(provider, name):
                continue
            if blocked(provider):
                stopped.setdefault(cell, provider)
                continue
            taken.add(provider)
            stack.append(provider)
    return taken, stopped


def downstream(graph: DataflowGraph, cells: Iterable[str],
               skip: Callable[[str], bool] | None = None) -> set[str]:
    """Every cell that reads, directly or transitively, a value ``cells`` write
    (not including them unless reached).  Cells ``skip`` rejects are neither
    taken nor passed through."""
    seen: set[str] = set()
    stack = list(cells)
    while stack:
        for reader in graph.readers(stack.pop()):
            if reader not in seen and not (skip and skip(reader)):
                seen.add(reader)
                stack.append(reader)
    return seen


def upstream(graph: DataflowGraph, cells: Iterable[str]) -> set[str]:
    """Every cell whose value ``cells`` read, directly or transitively."""
    seen: set[str] = set()
    stack = list(cells)
    while stack:
        for provider in graph.providers(stack.pop()).values():
            if provider is not None and provider not in seen:
                seen.add(provider)
                stack.append(provider)
    return seen


def later_values(graph: DataflowGraph, plan: Iterable[str],
                 skip: Callable[[str], bool] | None = None) -> set[str]:
    """Names a plan writes whose Run All value comes from a later cell outside
    it: they must hold that cell's value again when the plan is done.  Cells
    ``skip`` rejects (never run: no value of theirs to keep) do not count."""
    plan = set(plan)
    names: set[str] = set()
    for cell in plan:
        for name in graph.names[cell].writes:
            last = next((w for w in graph.writers_backwards(name) if not (skip and skip(w))), None)
            if last is not None and last not in plan:
                names.add(name)
    return names


def outside_values(graph: DataflowGraph, plan: Iterable[str]) -> set[str]:
    """Names a planned cell reads from a provider outside the plan that an
    earlier planned cell overwrites: the provider's value must go back in
    before the reader runs."""
    plan = set(plan)
    pos = graph.pos
    first: dict[str, float] = {}
    for cell in plan:
        for name in graph.names[cell].writes:
            first[name] = min(first.get(name, pos[cell]), pos[cell])
    names: set[str] = set()
    for cell in plan:
        for name in graph.names[cell].reads:
            if first.get(name, pos[cell]) >= pos[cell]:
                continue
            provider = graph.provider(cell, name)
            if provider is not None and provider not in plan:
                names.add(name)
    return names
