"""Run plans: small pure functions over the dependency graph.

:func:`plan` decides which cells one request runs, in which role and mode;
the others are its parts.  None of them touches a namespace: what the
namespace holds comes in as predicates, and what changes goes out in the
result.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from types import MappingProxyType
from typing import AbstractSet, Callable, Iterable, Mapping, NamedTuple

from .graph import DataflowGraph
from ..vocabulary import ANCESTOR, CLEAN, DESCENDANT, TARGET


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


class PlannedStep(NamedTuple):
    cell: str
    role: str
    mode: str


class Plan(NamedTuple):
    """What :func:`plan` decided."""

    #: the cells to run, in notebook order
    steps: tuple[PlannedStep, ...]
    #: cells that cannot run: the failed provider each waits for
    blocked: Mapping[str, str]
    #: names whose later cell's value must be back when the plan is done
    later: frozenset[str]
    #: names whose pre-plan values the plan may need again
    kept: frozenset[str]
    #: cells that become stale (the plan runs them, or would without autorun)
    stale: frozenset[str]
    #: cells made stale only because planned readers need a value of theirs
    #: the namespace lacks: each with those readers (a reader the run skips
    #: needs nothing)
    needed: Mapping[str, frozenset[str]] = MappingProxyType({})


def plan(
    graph: DataflowGraph,
    target: str | None,
    mode: str,
    *,
    stale: AbstractSet[str],
    current: Callable[[str, str], bool],
    failed: Callable[[str], bool] = lambda cell: False,
    fails_again: Callable[[str], bool] = lambda cell: False,
    unrun: Callable[[str], bool] = lambda cell: False,
    restore: AbstractSet[str] = frozenset(),
    followers: AbstractSet[str] = frozenset(),
    autorun: bool = True,
) -> Plan:
    """The run plan of a request for ``target`` (None: no kept cell).

    Parameters
    ----------
    graph : the dependency graph, every cell named in it registered
    target : the requested cell; it runs in ``mode``, every other step clean
    stale : cells whose result may be outdated
    current : ``current(provider, name)``: the namespace holds the value of
        ``name`` the provider's last run left (or its deletion)
    failed : the cell's last run failed (being stale is then no reason to
        rerun it for a reader)
    fails_again : the cell failed and its providers have not run since: a
        stale cell that would fail again blocks its readers
    unrun : the cell has not run in this session: never a descendant
    restore : cells whose values are gone and must run (a deleted or edited
        cell's earlier writer)
    followers : cells that read what changed before the request (a deleted
        cell's readers, the target's former readers)
    autorun : whether descendants run; without it they only become stale

    Returns
    -------
    Plan : the steps, blocked cells, names to put back and keep, and the
        cells that become stale

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> graph = DataflowGraph()
    >>> for cell, reads, writes in [("a", "", "x"), ("b", "x", "y"), ("c", "z", "")]:
    ...     graph.place(cell)
    ...     graph.register(cell, SimpleNamespace(reads=frozenset(reads), writes=frozenset(writes)))
    >>> result = plan(graph, "a", "clean", stale={"a"}, current=lambda provider, name: True)
    >>> [(step.cell, step.role) for step in result.steps]
    [('a', 'target'), ('b', 'descendant')]
    """
    planning = _Planning(graph, target, stale, current, failed, fails_again, unrun)
    planning.added |= restore  # their values are gone: they must run
    roots = set(restore) | ({target} if target is not None and mode == CLEAN else set())
    ancestors, blocked = needed_ancestors(graph, roots, planning.needs_rerun, planning.blocked)
    ancestors |= restore
    ancestors.discard(target)
    starts = ancestors | ({target} if target else set())
    if autorun:
        planned = planning.with_descendants(starts | followers, roots, ancestors, blocked)
    else:  # cells that would follow only become stale
        planning.added |= (followers | downstream(graph, starts | followers)) - starts
        planned = starts
    needed = planning.mark_needed_providers(planned)
    later = later_values(graph, planned, planning.skip)
    return Plan(
        steps=planning.steps(planned, ancestors, followers, mode),
        blocked=MappingProxyType(blocked),
        later=frozenset(later),
        kept=frozenset(later | outside_values(graph, planned)),
        stale=frozenset(c for c in planning.added if c not in stale),
        needed=MappingProxyType({c: frozenset(r) for c, r in needed.items()}),
    )


class _Planning:
    """The phases of :func:`plan`, sharing its inputs and the cells it makes
    stale (the given set is read, never copied: it may hold every cell)."""

    def __init__(self, graph, target, stale, current, failed, fails_again, unrun):
        self.graph, self.target = graph, target
        self._stale, self.added = stale, set()
        self.current, self.failed, self.fails_again, self.unrun = current, failed, fails_again, unrun

    def needs_rerun(self, provider: str, name: str) -> bool:
        """Whether ``provider``'s value of ``name`` is not what the namespace holds.
        (A failed cell's run left its value: readers use it, as under ipykernel.)"""
        stale = provider in self._stale or provider in self.added
        return (stale and not self.failed(provider)) or not self.current(provider, name)

    def blocked(self, provider: str) -> bool:
        return self.is_stale(provider) and self.fails_again(provider)

    def is_stale(self, cell: str) -> bool:
        return cell in self._stale or cell in self.added

    def skip(self, cell: str) -> bool:
        """A cell not run in this session shows nothing to update: it runs
        only when a cell needs it (or is requested)."""
        return cell != self.target and self.unrun(cell)

    def with_descendants(self, starts: set[str], roots: set[str], ancestors: set[str],
                         blocked: dict[str, str]) -> set[str]:
        """``starts`` and every cell below them.  Every cell that runs must read
        current values: one pulled in as a descendant may read a provider
        outside the plan whose value was overwritten (by a mutation, say);
        that provider runs too (added to ``ancestors``)."""
        graph, target = self.graph, self.target
        below = downstream(graph, starts, self.skip)
        checked: set[str] = set(roots) | ({target} if target else set())
        while True:
            planned = starts | below
            fresh = planned - checked
            checked |= fresh
            extra, more_blocked = needed_ancestors(
                graph, fresh, lambda p, n: p not in planned and self.needs_rerun(p, n), self.blocked)
            for cell, provider in more_blocked.items():
                blocked.setdefault(cell, provider)
            extra -= planned
            if not extra:
                return planned
            ancestors |= extra
            starts = starts | extra
            below = downstream(graph, starts, self.skip)

    def mark_needed_providers(self, planned: set[str]) -> dict[str, set[str]]:
        """A planned cell whose value a planned reader needs and the
        namespace lacks must run, even if nothing it reads changed; returned:
        such cells made stale for that alone, with their readers."""
        graph = self.graph
        needed: dict[str, set[str]] = {}
        for reader in graph.order(planned):
            for name in graph.names[reader].reads:
                provider = graph.provider(reader, name)
                if provider in needed:
                    needed[provider].add(reader)
                elif provider in planned and not self.is_stale(provider) and self.needs_rerun(provider, name):
                    needed[provider] = {reader}
        self.added |= set(needed)
        return needed

    def steps(self, planned: set[str], ancestors: set[str], followers: AbstractSet[str],
              mode: str) -> tuple[PlannedStep, ...]:
        graph, target = self.graph, self.target
        after_target = downstream(graph, [target]) if target else set()
        steps = []
        for cell in graph.order(planned):
            if cell == target:
                role = TARGET
            elif cell in ancestors and cell not in after_target | followers:
                role = ANCESTOR
            else:
                role = DESCENDANT
            steps.append(PlannedStep(cell, role, mode if cell == target else CLEAN))
        return tuple(steps)
