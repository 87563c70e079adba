"""The vocabulary of analysis: graph names, effect candidates, summaries, a cell's names."""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import re
from dataclasses import dataclass, field
from typing import Mapping, NamedTuple

#: IPython's output history and shell handles: bound by IPython, never by cells.
_SHELL_NAME = re.compile(r"^(_+|_i+|_i\d+|_\d+|_ih|_oh|_dh|In|Out|get_ipython|exit|quit|__\w+__)$")


def is_graph_name(name: str) -> bool:
    """Whether a namespace name takes part in the dependency graph
    (module dunders such as ``__builtins__`` and IPython's history do not)."""
    return not _SHELL_NAME.match(name)


#: kinds of :class:`Effect`, what :mod:`reactive_kernel.core.effects` decides
METHOD, ARG, ITER, STORE = "method", "arg", "iter", "store"
#: not a change: a function's parameter rebound, at the top level of its
#: body, to ``callee(...)`` or to a display (``method`` :data:`DISPLAY`);
#: when that value is a new object, later effects on the parameter are not
#: effects on the caller's argument
REBIND, DISPLAY = "rebind", "<display>"
#: the ``position`` of a candidate on what calling ``root`` returned
#: (``get().append(1)``): an effect on the globals that function returns
RETURNED = "<returned>"


class Effect(NamedTuple):
    """A place where the cell may change the object a name holds.

    kind ``method``: ``root.method(...)`` (``chained`` when the receiver is
    ``root.a[0]...`` rather than ``root`` itself); ``arg``: ``root`` passed to
    ``callee`` (a dotted path, or None when the callee is an expression) at
    ``position`` (an index, or a keyword); ``iter``: ``for v in root``;
    ``store``: ``root.a = v``, ``root[k] = v``, ``del root[k]`` (always a
    mutation).
    """

    kind: str
    root: str
    method: str | None = None
    callee: tuple[str, ...] | None = None
    position: int | str | None = None
    chained: bool = False
    inplace: bool = False


@dataclass(frozen=True)
class Summary:
    """What calling a notebook function (or using a notebook class) does.

    ``reads`` are its free names, read when it runs; ``binds`` the globals it
    rebinds (``global n``); ``effects`` its effect candidates on parameters
    and globals; ``methods`` a class's methods, by name; ``nested`` the
    functions a function's body defines, by name (a ``__qualname__`` leads
    through both); ``returns`` the globals it may return.
    """

    reads: frozenset = frozenset()
    binds: frozenset = frozenset()
    params: tuple = ()
    effects: tuple = ()
    methods: Mapping[str, "Summary"] = field(default_factory=dict)
    nested: Mapping[str, "Summary"] = field(default_factory=dict)
    #: the free names at the root of what a function returns (``return L``)
    returns: frozenset = frozenset()
    #: how many of ``params`` a call may give by position (before ``*args``)
    positional: int = 0
    #: it rebinds a variable of its closure (``nonlocal n``): each call
    #: changes the function itself
    keeps_state: bool = False


@dataclass(frozen=True)
class Names:
    """What a cell (or a magic inside it) reads and writes."""

    reads: frozenset = frozenset()
    #: every name the cell may change: bindings and mutations
    writes: frozenset = frozenset()
    #: names changed in place (``n[k] = v``): read + write, never removed
    mutations: frozenset = frozenset()
    #: candidates decided at run time (see :mod:`reactive_kernel.core.effects`)
    effects: tuple = ()
    #: summaries of the functions and classes the cell defines
    functions: Mapping[str, Summary] = field(default_factory=dict)
    #: names bound by ``del``: the cell's value of them is their absence
    deletes: frozenset = frozenset()
    #: bindings no branch can skip: bound whenever the cell completes, even
    #: to the object the name held already (``import numpy as np`` again)
    definite: frozenset = frozenset()
    #: for each read, the names the cell had bound before it first read it:
    #: a function called there reads those from the cell, not from before it
    bound_before: Mapping[str, frozenset] = field(default_factory=dict)
    #: names an import statement binds: the module's object, the same one
    #: every time (rebinding it is not a change, see ``core.run``)
    imports: frozenset = frozenset()
    #: the calls the cell's own code makes (:mod:`.calls`): what
    #: ``core.resources`` reads for files and random state
    calls: tuple = ()
    #: the calls each function the cell defines makes when called, by name
    function_calls: Mapping[str, tuple] = field(default_factory=dict)

    @property
    def bindings(self) -> frozenset:
        return self.writes - self.mutations
