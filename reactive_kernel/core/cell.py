"""A cell as the engine knows it: its code, its analysis and what its last run did."""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

from dataclasses import dataclass, field

from ..analysis.cells import Names
from .effects import Resolved


@dataclass
class Cell:
    id: str
    code: str
    #: what analysis found in the code
    static: Names
    #: reads and writes with calls followed and effects decided
    names: Resolved = field(default_factory=lambda: Resolved(frozenset(), frozenset(), frozenset()))
    anonymous: bool = False
    #: names whose binding the cell's last run created or changed: what a
    #: clean rerun removes (when the namespace still holds the cell's value)
    bound: set[str] = field(default_factory=set)
    #: names its last run deleted: their absence is its value
    deleted: set[str] = field(default_factory=set)
    #: names its last run bound that analysis did not see (exec, globals())
    dynamic: frozenset = frozenset()
    #: names that appeared while its last run ran though neither its code nor
    #: what it calls from the notebook can bind them (another thread, a timer,
    #: a library writing the notebook's namespace): its for the graph, but
    #: a clean rerun never removes them (a name it did not bind is not its to drop)
    foreign: frozenset = frozenset()
    #: bindings its last run did not make (a branch not taken): not its writes
    skipped: frozenset = frozenset()
    #: completed runs, a version its readers' failures are measured against
    runs: int = 0
    #: after a failure, the versions of its providers then: while they and
    #: the code stay the same, rerunning it for a reader would fail again
    failed: dict | None = None
    #: known from the notebook file but not run in this session (after a
    #: restart): an ancestor to run when a cell needs it, never a descendant
    unrun: bool = False
    #: the objects its last run's imports bound, by name: a later cell that
    #: imports the same object again leaves this cell's value in place
    imported: dict = field(default_factory=dict)
    #: the small numbers and strings its last completed run bound: rebinding
    #: one to an equal value is no change for its readers, even after a
    #: later cell overwrote it
    scalars: dict = field(default_factory=dict)
    #: arrays and frames its last run bound, as a later cell found them
    #: before overwriting them (see :mod:`.digests`)
    digests: dict = field(default_factory=dict)
    #: weak references to the objects its last completed run bound, by name:
    #: rebuilt, it reproduces them for readers that cannot reach the old ones
    #: (see ``Run._reproduces``); lists and dicts have none
    held: dict = field(default_factory=dict)
    #: the fingerprints of the global generators' states its last completed
    #: run started from: a provider run again that leaves the same state (the
    #: seed and the same draws again) is no change for it
    seen: dict = field(default_factory=dict)
    #: global generators it draws from that no cell above it seeds: a new
    #: draw each run, so no edge, and no cache key (see ``core.keys``)
    unseeded: frozenset = frozenset()
