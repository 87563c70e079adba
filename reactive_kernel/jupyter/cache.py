"""The kernel's cell cache (issue 22): where entries live, which cells are
stored and served, and why a cell was not.

The storage is :mod:`reactive_kernel.cache` (signed entries on any fsspec
filesystem); the engine gives each step of a run its input key and takes a
step's values from a loader instead of running it (``Run.loader``,
:mod:`reactive_kernel.core.keys`).  This module is the policy between them:

- **stored** after a run that completed, when its key is known: cells whose
  first line is ``%%cache`` or that have the cell tag ``cache``, and in
  ``%reactive cache auto`` mode every cell
  that ran longer than the threshold and calls nothing whose effects the
  engine cannot see (``effects_table.UNSEEN_FUNCTIONS``);
- **served** instead of a run: ancestors known from the page or the saved
  file that never ran in this kernel (after a restart), ancestors rerun only
  to rebuild a gone input, and opted-in / auto-mode cells in any role.
  The key covers the cell's code, so an entry never stands for other code
  than the code on screen.

A cell whose run writes a file or a random state that another cell reads is
never stored or served: loading its values would not redo that write.
What the cache last did for each cell, and why, is kept for
``%reactive cache why``.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import ast
import os
import re
import time
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..core import effects_table as table
from ..core.values import mro_names
from ..core.keys import InputKeys
from ..core.namespace import MISSING
from ..core.callables import Known, callee
from ..core.resources import FILE_PREFIX, is_resource
from ..core.secrets import mask
from ..vocabulary import ANCESTOR
from .outputs import Recording

if TYPE_CHECKING:  # the storage (fsspec, cloudpickle) loads at the cache's first use, not at kernel start
    from ..cache import CacheStore, Entry
    from ..core.cell import Cell
    from ..core.engine import Engine
    from ..core.run import Run, Step

#: the environment variable naming the cache's location (a path or an fsspec URL)
LOCATION_ENV = "REACTIVE_KERNEL_CACHE"
#: ``%reactive cache auto``: cells that ran at least this long (seconds) are stored
DEFAULT_THRESHOLD = 1.0
#: the cell tag (``metadata.tags``) that opts a cell in, as a first line ``%%cache`` does
CACHE_TAG = "cache"
_OPT_IN = re.compile(r"\A[ \t]*%%cache[ \t]*(?:\n|\Z)")


def opted_in(code: str) -> bool:
    """Whether the cell's first line is ``%%cache``."""
    return bool(_OPT_IN.match(code or ""))


def without_opt_in(code: str) -> str:
    """The code as a label shows it: the ``%%cache`` line says nothing."""
    return _OPT_IN.sub("", code or "", count=1) if opted_in(code) else code or ""


def parse_size(text: str) -> int | None:
    """``10G``, ``500 MB``, ``1.5GiB``, ``123`` (bytes) → bytes; ``none``/``0`` → no limit."""
    text = text.strip().lower().replace(" ", "")
    if text in ("", "none", "off", "0"):
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kmgt]?)(i?b?)", text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (say e.g. 500M, 10G or none)")
    number, unit = float(match.group(1)), match.group(2)
    return int(number * 1024 ** " kmgt".index(unit or " "))


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


# -- effects the engine cannot see ------------------------------------------------

#: the table's callables that depend on what the engine cannot see, by identity
_UNSEEN = Known(lambda: table.UNSEEN_FUNCTIONS.items())


def unseen_effects(calls: Iterable, namespace: Mapping) -> list[str]:
    """What the calls depend on that the engine cannot see, as ``callee
    (what)``: the network, the clock, a random id, a person, another program."""
    _UNSEEN.refresh()
    found = []
    for call in calls:
        try:
            what = _unseen(call, namespace)
        except Exception:  # a user object that raises when looked at: not one we know
            what = None
        if what is not None and what not in found:
            found.append(what)
    return found


def _unseen(call, namespace: Mapping) -> str | None:
    if call.callee is None:
        receiver = call.receiver
        if receiver is None or call.method is None:
            return None
        if receiver[0] == "new" and receiver[1] == ("get_ipython",):  # ``!cmd``, ``%sx``
            value = namespace.get("get_ipython", MISSING)
            value = value() if callable(value) else MISSING
        elif receiver[0] == "name":
            value = namespace.get(receiver[1], MISSING)
        else:
            return None
        return _method(value, call.method)
    target = callee(call.callee, namespace, through=(types.ModuleType, type), deep=True)
    if target is None:
        return None
    if target.function is MISSING:
        return _method(target.receiver, target.method)
    what = _UNSEEN.get(target.function)
    return None if what is None else f"{'.'.join(call.callee)} ({what})"


def _method(receiver: Any, method: str) -> str | None:
    if receiver is MISSING:
        return None
    for type_name in mro_names(receiver):
        what = table.UNSEEN_METHODS.get(type_name, {}).get(method)
        if what is not None:
            return f".{method}() of {type_name} ({what})"
    return None


# -- what the cache last did for a cell ----------------------------------------------

@dataclass
class Note:
    #: "served", "stored", "ran" (not served) or "not stored"
    what: str
    why: str
    key: str | None = None
    when: float = 0.0


SERVED, STORED, RAN, NOT_STORED = "served", "stored", "ran", "not stored"


def recording_of(outputs: Iterable[dict]) -> Recording:
    """Stored nbformat outputs as a Recording's parts, to be shown as a rerun
    cell's outputs are (the inverse of ``outputs.nbformat_outputs``)."""
    recording = Recording()
    parts = recording.parts
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = output.get("text", "")
            parts.append(("stream", output.get("name", "stdout"), "".join(text) if isinstance(text, list) else text))
        elif kind == "error":
            parts.append(("error", output.get("ename", ""), list(output.get("traceback", [])),
                          output.get("evalue", "")))
        elif kind in ("display_data", "execute_result"):
            count = (output.get("execution_count") or 0) if kind == "execute_result" else None
            parts.append(("data", dict(output.get("data", {})), dict(output.get("metadata", {})), None, count))
    return recording


# -- the cache --------------------------------------------------------------------

class CellCache:
    """The kernel's cache: its settings, its store (opened at first use) and its policy."""

    def __init__(self, engine: "Engine", log, location: str | None = None, data_dir: str | None = None):
        self.engine = engine
        self.log = log
        #: off: nothing is stored or served
        self.enabled = True
        #: store every cell that ran at least ``threshold`` seconds and has no unseen effects
        self.auto = False
        self.threshold = DEFAULT_THRESHOLD
        #: bytes the entries may take (None: no limit); least recently used go first
        self.limit: int | None = None
        #: a path or an fsspec URL; None: the user's cache directory (``cache.default_location``)
        self.location = location or os.environ.get(LOCATION_ENV) or None
        self._data_dir = data_dir
        self._store: CacheStore | None = None
        #: per cell id, what the cache last did and why
        self.notes: dict[str, Note] = {}
        #: per cell id, the last reason an entry was refused by the storage
        self.refusals: dict[str, str] = {}

    # -- settings -------------------------------------------------------------
    @property
    def store(self) -> "CacheStore":
        if self._store is None:
            from ..cache import CacheStore, Signer, default_location

            if self.location is None:
                self.location = default_location()
            data_dir = self._data_dir
            if data_dir is None:
                from jupyter_core.paths import jupyter_data_dir
                data_dir = jupyter_data_dir()
            self._store = CacheStore(self.location, signer=Signer.for_data_dir(data_dir), limit=self.limit)
        return self._store

    def move(self, location: str) -> None:
        """Use another location (a path or an fsspec URL) from now on."""
        self.location = os.path.expanduser(location) if "://" not in location else location
        self._store = None
        self.store  # noqa: B018  (fails now, in the magic, if the location is unusable)

    def set_limit(self, limit: int | None) -> list[str]:
        """A new size limit; returns the keys evicted to meet it."""
        self.limit = limit
        store = self.store
        store.limit = limit
        return store.evict() if limit is not None else []

    # -- the policy -------------------------------------------------------------
    def opt_in(self, cell: "Cell") -> str | None:
        """How the cell is opted in, as the why-text names it, or None: its
        first line ``%%cache``, or the cell tag ``cache`` (the page's as the
        companion reports it, else the saved file's)."""
        if opted_in(cell.code):
            return "%%cache"
        if cell.id and CACHE_TAG in self.engine.cell_tags(cell.id):
            return f"the cell tag {CACHE_TAG}"
        return None

    def records(self, cell: "Cell") -> bool:
        """Whether a run of ``cell`` may be stored (so its outputs are recorded)."""
        return self.enabled and bool(cell.id) and (self.auto or self.opt_in(cell) is not None)

    def wanted(self, run: "Run") -> bool:
        """Whether the run may serve or store a step: only then are its steps'
        keys computed (``Run.loader``), so a notebook that does not use the
        cache does not pay for keys."""
        if not self.enabled:
            return False
        rebuilds = getattr(run, "rebuilds", ())
        return any(self.records(step.cell) or step.role == ANCESTOR and
                   (step.cell.unrun or step.cell.id in rebuilds) for step in run.steps)

    def why_not_served(self, run: "Run", step: "Step") -> str | None:
        """Why the step is run rather than served from the cache, or None."""
        cell = step.cell
        if not self.enabled:
            return "the cache is off (%reactive cache on)"
        if not (self.auto or self.opt_in(cell) is not None or step.role == ANCESTOR and
                (cell.unrun or cell.id in getattr(run, "rebuilds", ()))):
            return (f"it is not opted in (a first line %%cache, the cell tag {CACHE_TAG}, or "
                    "%reactive cache auto), and it is not "
                    "an ancestor that never ran in this kernel or that runs only to rebuild a gone input")
        return self._unrestorable(cell)

    def why_not_stored(self, cell: "Cell", seconds: float) -> str | None:
        """Why a completed run of ``cell`` is not stored, or None."""
        if not self.enabled:
            return "the cache is off (%reactive cache on)"
        if self.opt_in(cell) is None:
            if not self.auto:
                return (f"it is not opted in (a first line %%cache, or the cell tag {CACHE_TAG}) "
                        "and auto mode is off (%reactive cache auto)")
            if seconds < self.threshold:
                return f"it ran {seconds:.3g} s, under the auto mode's threshold of {self.threshold:g} s"
            unseen = self.unseen(cell)
            if unseen:
                return f"its result depends on what the engine cannot see: it calls {', '.join(unseen)}"
        if cell.deleted:
            return f"its run deletes {', '.join(sorted(cell.deleted))}, which loading cannot redo"
        return self._unrestorable(cell)

    def unseen(self, cell: "Cell") -> list[str]:
        engine = self.engine
        calls_of = getattr(engine, "_calls", None)
        calls = calls_of(cell, cell.names.reads) if calls_of is not None else cell.static.calls
        return unseen_effects(calls, engine.namespace)

    def _unrestorable(self, cell: "Cell") -> str | None:
        """A write outside the namespace that loading the values would not redo."""
        graph = self.engine.graph
        for name in sorted(n for n in cell.names.writes if is_resource(n)):
            if name.startswith(FILE_PREFIX):
                return f"its run writes the file {name[len(FILE_PREFIX):]}, which loading cannot redo"
            readers = graph.readers(cell.id) if cell.id in graph else set()
            if any(name in graph.names[r].reads and graph.provider(r, name) == cell.id for r in readers):
                return f"its run sets {name}, which a later cell draws from and loading cannot restore"
        return None

    # -- serving and storing ----------------------------------------------------
    def load(self, run: "Run", step: "Step", key: str) -> "Entry | None":
        """The step's entry, its values put in the namespace; None (nothing
        changed) when it is not to be served or there is none."""
        cell = step.cell
        reason = self.why_not_served(run, step)
        if reason is not None:
            self._note(cell.id, RAN, reason, key)
            return None
        from ..cache import MISSES

        lookup = self.store.fetch(key)
        if not lookup.hit:
            detail = f" ({lookup.detail})" if lookup.detail else ""
            self._note(cell.id, RAN, f"no entry served: {MISSES.get(lookup.reason, lookup.reason)}{detail}", key)
            return None
        entry = lookup.entry
        namespace = self.engine.namespace
        for values in (entry.bindings, entry.mutations):
            for name, value in values.items():
                namespace[name] = _rehomed(value, namespace)
        self._note(cell.id, SERVED, f"served from the cache instead of a run of {entry.seconds:.3g} s "
                                    f"(entry made {age(time.time() - entry.created)} ago)", key)
        return entry

    def save(self, run: "Run", step: "Step", ok: bool, recording: Recording | None, seconds: float,
             outputs: list[dict] | None = None) -> None:
        """Store a step that ran, when the policy says so."""
        cell = step.cell
        if not self.records(cell):
            if cell.id:
                self._note(cell.id, NOT_STORED, self.why_not_stored(cell, seconds) or "", run.keys.get(cell.id))
            return
        key = run.keys.get(cell.id)
        reason = (("it did not complete" if not ok else None) or self.why_not_stored(cell, seconds) or
                  (None if key is not None else
                   "its result cannot be told from its inputs: it draws from a random generator no cell seeds"))
        if reason is not None:
            self._note(cell.id, NOT_STORED, reason, key)
            return
        from ..cache import Entry, Unstorable

        namespace = self.engine.namespace
        bindings = {n: namespace[n] for n in sorted(cell.bound) if n.isidentifier() and n in namespace}
        mutations = {n: namespace[n] for n in sorted(cell.names.mutations)
                     if n.isidentifier() and n in namespace and n not in bindings}
        from ..analysis.names import is_graph_name
        from ..cache.links import cut_link

        cut = cut_link({**bindings, **mutations}, {n: v for n, v in namespace.items() if n not in bindings
                                                    and n not in mutations and is_graph_name(n)})
        if cut is not None:  # a view, or an object another name holds: loading would make it a copy
            self._note(cell.id, NOT_STORED, f"not storable apart from other names: {cut}", key)
            return
        # what the code binds at top level, by the analysis, whatever the run recorded
        untracked = sorted(n for n in cell.static.writes - set(bindings) - set(mutations)
                           if is_graph_name(n) and n in namespace)
        if untracked:  # a loop variable: loading the entry would leave its old value
            self._note(cell.id, NOT_STORED, f"its run binds {', '.join(untracked)}, which the entry would "
                                            "not hold (names the engine does not track)", key)
            return
        entry = Entry(bindings, mutations, outputs or [], code=mask(without_opt_in(cell.code)), seconds=seconds)
        try:
            size = self.store.put(key, entry)
        except Unstorable as refused:
            why = f"{refused.name}: {refused.reason}" if refused.name != "*" else refused.reason
            self.refusals[cell.id] = why
            self._note(cell.id, NOT_STORED, f"a value is not storable: {why}", key)
            return
        except Exception as error:  # storage trouble must never cost the run
            self.log.warning("reactive cache: could not store cell %s: %s", cell.id, error)
            self._note(cell.id, NOT_STORED, f"the storage failed: {type(error).__name__}: {error}", key)
            return
        self.refusals.pop(cell.id, None)
        self._note(cell.id, STORED, f"stored ({human_size(size)}) after a run of {seconds:.3g} s", key)

    def _note(self, cell_id: str, what: str, why: str, key: str | None) -> None:
        if cell_id:
            self.notes[cell_id] = Note(what, why, key, time.time())

    # -- what %reactive cache shows -------------------------------------------------
    def key_now(self, cell_id: str) -> str | None:
        engine = self.engine
        return InputKeys(engine.graph, engine.cells, engine.transform).key(cell_id)

    def settings(self) -> str:
        mode = ("off" if not self.enabled else
                f"auto (cells that run {self.threshold:g} s or longer, and opted-in cells)" if self.auto else
                f"on for %%cache cells and cells tagged {CACHE_TAG}")
        limit = human_size(self.limit) if self.limit is not None else "none"
        location = self.location or "the user's cache directory"
        return f"cache: {mode}; location: {mask(location)}; size limit: {limit}"

    def explain(self, cell_id: str, label: str) -> list[str]:
        """Why this cell was or was not served or stored, and what its key finds now."""
        cell = self.engine.cells.get(cell_id)
        lines = [f"{label}:"]
        note = self.notes.get(cell_id)
        if note is not None:
            lines.append(f"  last: {note.what}: {note.why}")
        else:
            lines.append("  last: the cache has not seen it run in this kernel")
        if cell_id in self.refusals:
            lines.append(f"  last refusal: {self.refusals[cell_id]}")
        if cell is not None:
            how = self.opt_in(cell)
            if not self.enabled:
                lines.append("  policy: the cache is off: nothing is stored or served (%reactive cache on)")
            elif how is not None:
                lines.append(f"  policy: opted in with {how}: stored after every completed run, served in any role")
            elif self.auto:
                lines.append(f"  policy: auto mode: stored after a run of {self.threshold:g} s or longer "
                             "that calls nothing the engine cannot see")
            else:
                lines.append("  policy: not opted in: served only as an ancestor that never ran in this kernel "
                             "or that reruns to rebuild a gone input")
            unseen = self.unseen(cell) if cell.id in self.engine.graph else []
            if unseen:
                lines.append(f"  depends on what the engine cannot see: {', '.join(unseen)}")
            blocked = self._unrestorable(cell)
            if blocked:
                lines.append(f"  never cached: {blocked}")
            try:
                key = self.key_now(cell_id)
            except Exception:
                key = None
            if key is None:
                lines.append("  key: none (it draws from a random generator no cell seeds, or cannot be analysed)")
            else:
                lines.append(f"  key now: {key[:16]}…: {self.store.explain(key)}")
        return lines


def _rehomed(value: Any, namespace: dict) -> Any:
    """A notebook function (or class) loaded by value has globals of its own
    (cloudpickle's): put it back in the notebook's namespace, as defining it
    there would, so it reads the notebook's names when it is called."""
    notebook = namespace.get("__name__")  # "__main__" in IPython
    if type(value) is types.FunctionType and value.__module__ == notebook and value.__globals__ is not namespace:
        return _with_globals(value, namespace)
    if isinstance(value, type) and value.__module__ == notebook:
        for name, member in list(vars(value).items()):
            if type(member) is types.FunctionType and member.__globals__ is not namespace:
                setattr(value, name, _with_globals(member, namespace))
            elif isinstance(member, (staticmethod, classmethod)) and type(member.__func__) is types.FunctionType:
                setattr(value, name, type(member)(_with_globals(member.__func__, namespace)))
    return value


def _with_globals(function: types.FunctionType, namespace: dict) -> types.FunctionType:
    if function.__globals__ is namespace:
        return function
    made = types.FunctionType(function.__code__, namespace, function.__name__, function.__defaults__,
                              function.__closure__)
    made.__kwdefaults__ = function.__kwdefaults__
    made.__qualname__ = function.__qualname__
    made.__annotations__ = function.__annotations__
    made.__doc__ = function.__doc__
    made.__dict__.update(function.__dict__)
    made.__module__ = function.__module__
    return made


def age(seconds: float) -> str:
    """A duration as a person reads it in a listing: "5 s", "3 min", "2 h", "4 days"."""
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def run_body(shell, body: str) -> Any:
    """``%%cache``: the body runs as Python in the notebook's namespace, as
    if the line were not there; a last expression is the cell's result."""
    __tracebackhide__ = True  # noqa: F841
    tree = ast.parse(shell.transform_cell(body or ""), "<%%cache>")
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    namespace = shell.user_ns
    exec(compile(tree, "<%%cache>", "exec"), namespace)
    if last is not None:
        return eval(compile(ast.Expression(last.value), "<%%cache>", "eval"), namespace)
    return None
