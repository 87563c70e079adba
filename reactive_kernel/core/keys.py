"""A cell's input key: one digest of everything its result depends on that
the engine can see.

For a deterministic cell, two runs with the same key leave the same values:
the same code, each name read from a provider with the same key (so the key
changes when any ancestor's code or input changes), the same versions of
the modules its imports bind, and the same bytes of a file no cell of the
notebook provides.  The keys need no run: after a restart, the cells known
from the saved file have keys too, which is what lets a cache
(``reactive_kernel.cache``) serve them.  Computed only when a cache asks.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import ast
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import sys
from typing import Callable, Mapping

from ..analysis.cells import magic_call
from .cell import Cell
from .graph import DataflowGraph
from .resources import FILE_PREFIX, RANDOM_PREFIX, fingerprint

#: a name read with no provider: a builtin, or undefined (as in Run All)
NO_PROVIDER = "-"


@functools.lru_cache(maxsize=1)
def _distributions() -> Mapping[str, list[str]]:
    try:
        return importlib.metadata.packages_distributions()
    except Exception:
        return {}


@functools.lru_cache(maxsize=1024)
def module_version(top: str) -> str:
    """What identifies the code an import of ``top`` binds, without
    importing it: the version of the distribution named like it (numpy,
    pandas), else its file's size and time (``sklearn/__init__.py``: an
    install writes it anew), else its distributions' versions (a namespace
    package has no file), else the interpreter's version (a built-in
    module).  The file comes before the distributions: finding which
    distribution holds ``sklearn`` or ``PIL`` scans every installed package
    (0.3-0.5 s a process, most of the cache's write cost on short notebooks)."""
    if top in sys.stdlib_module_names:
        return sys.version
    try:  # most modules are their distribution's name: no scan of every package
        return f"{top}=={importlib.metadata.version(top)}"
    except Exception:
        pass
    try:
        spec = importlib.util.find_spec(top)
        origin = spec.origin if spec is not None else None
        if origin and os.path.isfile(origin):
            status = os.stat(origin)
            return f"{status.st_size}:{status.st_mtime_ns}"
    except Exception:  # a broken package: its version cannot be told from its file
        pass
    found = []
    for dist in sorted(set(_distributions().get(top, ()))):
        try:
            found.append(f"{dist}=={importlib.metadata.version(dist)}")
        except Exception:
            continue
    if found:
        return ";".join(found)
    return sys.version


def imported_modules(code: str) -> frozenset:
    """The top-level modules the code's import statements name."""
    try:
        tree = ast.parse(code)
    except Exception:
        return frozenset()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and (magic := magic_call(node)) and magic[2]:
            found |= imported_modules(magic[2])  # a cell magic's Python body (%%cache, %%time)
    return frozenset(found)


class InputKeys:
    """Keys of the cells as the graph is now: each computed once per
    instance (make a new one after a cell runs or changes)."""

    def __init__(self, graph: DataflowGraph, cells: Mapping[str, Cell],
                 transform: Callable[[str], str] = lambda code: code):
        self.graph, self.cells, self.transform = graph, cells, transform
        self._keys: dict[str, str | None] = {}

    def key(self, cell_id: str) -> str | None:
        """The cell's key, or None when its result cannot be told from its
        inputs (it draws from a generator no cell seeds)."""
        if cell_id in self._keys:
            return self._keys[cell_id]
        self._keys[cell_id] = None  # no cycle can form (edges point forward); be safe
        key = self._compute(cell_id)
        self._keys[cell_id] = key
        return key

    def _compute(self, cell_id: str) -> str | None:
        cell, graph = self.cells.get(cell_id), self.graph
        if cell is None or cell_id not in graph.names or cell.unseeded:
            return None
        try:
            code = self.transform(cell.code)
        except Exception:
            return None
        inputs: dict[str, str] = {}
        for name in sorted(graph.names[cell_id].reads):
            provider = graph.provider(cell_id, name)
            if provider is not None:
                key = self.key(provider)
                if key is None:
                    return None
                inputs[name] = key
            elif name.startswith(RANDOM_PREFIX):
                return None  # an unseeded generator: a new draw each run
            elif name.startswith(FILE_PREFIX):
                inputs[name] = repr(fingerprint(name))  # a file from outside the notebook
            else:
                inputs[name] = NO_PROVIDER
        modules = {m: module_version(m) for m in sorted(imported_modules(code))}
        document = {"code": code, "inputs": inputs, "modules": modules,
                    "python": sys.version_info[:2]}
        return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
