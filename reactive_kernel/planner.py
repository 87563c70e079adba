"""Run plans: small pure functions over the dependency graph."""
from __future__ import annotations

import heapq
from typing import Callable, Iterable

import networkx as nx

from .graph import DataflowGraph


def needed_ancestors(
    graph: DataflowGraph, roots: Iterable[str], needs_rerun: Callable[[str, str], bool]
) -> set[str]:
    """Providers that must run before ``roots`` can read current values.

    ``needs_rerun(provider, name)`` says whether the provider's value of
    ``name`` is stale, missing or overwritten; only then is the provider
    taken, and its own providers examined in turn.  Current ancestors stop
    the search, so rerunning the end of a long chain touches one cell.
    """
    taken: set[str] = set()
    stack = list(roots)
    while stack:
        cell = stack.pop()
        for name in graph.names[cell].reads:
            provider = graph.provider(cell, name)
            if provider is None or provider == cell or provider in taken:
                continue
            if needs_rerun(provider, name):
                taken.add(provider)
                stack.append(provider)
    return taken


def downstream(graph: DataflowGraph, cells: Iterable[str]) -> set[str]:
    """Every cell reachable from ``cells`` (not including them unless reached)."""
    seen: set[str] = set()
    stack = list(cells)
    succ = graph.dag.succ
    while stack:
        for nxt in succ[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def run_order(graph: DataflowGraph, cells: set[str]) -> list[str]:
    """Topological order of ``cells`` alone, ties broken by kernel order."""
    seq = graph.seq
    pred, succ = graph.dag.pred, graph.dag.succ
    indegree = {c: sum(1 for p in pred[c] if p in cells) for c in cells}
    ready = [(seq[c], c) for c, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, cell = heapq.heappop(ready)
        order.append(cell)
        for nxt in succ[cell]:
            if nxt in indegree:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    heapq.heappush(ready, (seq[nxt], nxt))
    if len(order) != len(cells):  # only after a deletion left a cycle behind
        raise nx.NetworkXUnfeasible("cycle among planned cells")
    return order
