"""State a cell reads and writes outside the namespace: files and the global
random generators, as graph names.

``random.seed(1)`` in one cell and ``random.random()`` in a later one share
state no name holds; so do a cell that writes ``data.csv`` and one that
reads it.  Each such state is a graph name that is not an identifier
(``random:numpy``, ``file:data.csv``), read and written like a variable: a
seed binds it, a draw or an append reads and changes it (a mutation, so the
cell that set it up reruns first and nothing is drawn or appended twice),
a read reads it, a delete leaves it absent.  Which calls do what is data in
:mod:`.effects_table`; this module matches a cell's calls
(:mod:`reactive_kernel.analysis.calls`) against it with the values the
callees hold when the cell runs.  Paths are literal strings, ``Path('...')``
or names holding a ``str`` or path; a computed path (an f-string, a join) is
not seen.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import fnmatch
import glob
import hashlib
import os
import pathlib
import re
import types
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from . import effects_table as table
from .callables import Known, callee, imported
from .values import kind_of, mro_names, type_name
from .namespace import MISSING

RANDOM_PREFIX = "random:"
FILE_PREFIX = "file:"
PREFIXES = (RANDOM_PREFIX, FILE_PREFIX)

_METHOD_TYPES = (types.BuiltinMethodType, types.MethodType)


def is_resource(name: str) -> bool:
    return name.startswith(PREFIXES)


#: a scheme before ``://``: an object store or web address
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def file_name(path: str) -> str:
    """The graph name of a file: its path as written, normalised (``./a``
    and ``a`` are one file; SQL cells reading ``'a'`` name it so too). A
    URL (``s3://``, ``https://``) is kept as written: it is no local path."""
    if _URL.match(path):
        return FILE_PREFIX + path
    return FILE_PREFIX + os.path.normpath(path)


def exists(name: str) -> bool:
    """A generator's state always exists; a file when it is on disk (a
    pattern, as SQL cells read ``'data/*.csv'``, when something matches)."""
    if name.startswith(FILE_PREFIX):
        path = name[len(FILE_PREFIX):]
        return os.path.lexists(path) or (glob.has_magic(path) and bool(glob.glob(path)))
    return True


#: files up to this size are compared by content, larger ones by size and time
_DIGESTED = 8 << 20


def fingerprint(name: str) -> Any:
    """What tells a resource's states apart, cheaply: writing a file with
    the same bytes again, or seeding a generator with the same seed again,
    is no change for its readers."""
    try:
        if name.startswith(FILE_PREFIX):
            path = name[len(FILE_PREFIX):]
            if not os.path.isfile(path):
                return ("dir", sorted(os.listdir(path))) if os.path.isdir(path) else None
            stat = os.stat(path)
            if stat.st_size > _DIGESTED:
                return (stat.st_size, stat.st_mtime_ns)
            with open(path, "rb") as file:
                return (stat.st_size, hashlib.sha1(file.read()).hexdigest())
        generator = imported(_generator_path(name[len(RANDOM_PREFIX):]))
        if generator is MISSING:
            return None
        state = _generator_state(generator)
        return hashlib.sha1(b"".join(part.tobytes() if hasattr(part, "tobytes") else repr(part).encode()
                                     for part in state)).hexdigest()
    except Exception:  # unreadable now: always a change
        return object()


def listings(reads: Iterable[str]) -> list[str]:
    """The files read that are listings: a directory on disk or a pattern
    (``os.listdir('d')``, ``glob.glob('d/*.csv')``)."""
    found = []
    for name in reads:
        if name.startswith(FILE_PREFIX) and not _URL.match(path := name[len(FILE_PREFIX):]):
            if glob.has_magic(path) or os.path.isdir(path):
                found.append(path)
    return found


def listed(listing: str, written: Iterable[str]) -> set[str]:
    """The files of ``written`` (graph names) a listing shows: a
    directory's entries (a file written into it is one), a pattern's matches."""
    pattern = glob.has_magic(listing)
    found = set()
    for name in written:
        if name.startswith(FILE_PREFIX):
            path = name[len(FILE_PREFIX):]
            if fnmatch.fnmatchcase(path, listing) if pattern else (os.path.dirname(path) or os.curdir) == listing:
                found.add(name)
    return found


@dataclass(frozen=True)
class Touches:
    """What a cell's calls do to resources: like a cell's reads and writes
    (``writes`` holds bindings and mutations, ``mutations`` the latter)."""

    reads: frozenset = frozenset()
    writes: frozenset = frozenset()
    mutations: frozenset = frozenset()
    deletes: frozenset = frozenset()


NOTHING = Touches()


#: files up to this size are set aside around a plan (larger ones are not)
_SAVED = 64 << 20
_UNSAVED = object()


class Saved:
    """The states of files and generators, taken now and put back on demand:
    what :class:`.namespace.Stash` does for names, for state no name holds.
    A plan that rewrites a file (or reseeds a generator) that a later cell
    outside it writes again ends with that later cell's state, as Run All
    does; a reader outside the plan gets back the state it read."""

    def __init__(self, names: Iterable[str]):
        self._states = {}
        for name in names:
            if is_resource(name):
                state = _state_of(name)
                if state is not _UNSAVED:
                    self._states[name] = state

    def put_back(self, names: Iterable[str] | None = None) -> list[str]:
        chosen = self._states if names is None else {n: self._states[n] for n in names if n in self._states}
        restored = []
        for name, state in chosen.items():
            try:
                if not _same_state(name, _state_of(name), state):
                    _restore(name, state)
                    restored.append(name)
            except Exception:  # a file that cannot be written back stays as it is
                continue
        return restored


def _state_of(name: str) -> Any:
    try:
        if name.startswith(FILE_PREFIX):
            path = name[len(FILE_PREFIX):]
            if not os.path.lexists(path):
                return None
            if not os.path.isfile(path) or os.path.getsize(path) > _SAVED:
                return _UNSAVED
            with open(path, "rb") as file:
                return file.read()
        generator = imported(_generator_path(name[len(RANDOM_PREFIX):]))
        if generator is MISSING:
            return _UNSAVED
        state = _generator_state(generator)
        return (fingerprint(name), state)
    except Exception:
        return _UNSAVED


def _same_state(name: str, now: Any, then: Any) -> bool:
    if name.startswith(FILE_PREFIX) or now is _UNSAVED:
        return now == then
    return now[0] == then[0]  # generators: by fingerprint (their states hold arrays)


def _restore(name: str, state: Any) -> None:
    if name.startswith(FILE_PREFIX):
        path = name[len(FILE_PREFIX):]
        if state is None:
            if os.path.isfile(path):
                os.remove(path)  # Run All has no file here: the later cell deleted it
            return
        with open(path, "wb") as file:
            file.write(state)
        return
    generator = imported(_generator_path(name[len(RANDOM_PREFIX):]))
    (generator.set_state if hasattr(generator, "set_state") else generator.setstate)(state[1])


class Aside:
    """Files only a later cell writes, moved aside (a rename, whatever their
    size) while an earlier cell runs: that cell finds no file, as in Run
    All, instead of the later cell's.  Moved back after it, over anything
    the cell put there."""

    def __init__(self, names: Iterable[str]):
        self._moved: dict[str, str] = {}
        self._names = [n for n in names if n.startswith(FILE_PREFIX)]

    def take(self) -> None:
        for name in self._names:
            path = name[len(FILE_PREFIX):]
            aside = f"{path}.reactive-kernel-aside-{os.getpid()}"
            try:
                if os.path.isfile(path) and not os.path.lexists(aside):
                    os.replace(path, aside)
                    self._moved[path] = aside
            except OSError:  # left where it is: the cell sees it, as before
                continue

    def put_back(self) -> None:
        moved, self._moved = self._moved, {}
        for path, aside in moved.items():
            try:
                os.replace(aside, path)
            except OSError:
                continue


class Seeds:
    """Which cells seed each global generator.  A draw with no seeding cell
    above it is no edge: it differs at every run, Run All's too, so
    rebuilding the draws before it would cost time and reproduce nothing."""

    def __init__(self) -> None:
        self._cells: dict[str, set[str]] = {}
        #: generators whose seeding cells changed since :meth:`moved` was asked
        self._moved: set[str] = set()

    def judge(self, cell_id: str, touches: Touches, above: Callable[[str], bool]) -> tuple[Touches, frozenset]:
        """``touches`` of the cell without unseeded draws, and the generators
        it draws from unseeded; ``above(c)``: whether cell ``c`` is still
        there, above this one."""
        bound = touches.writes - touches.mutations
        for name in (RANDOM_PREFIX + g for g in table.GLOBAL_GENERATORS):
            seeders = self._cells.setdefault(name, set())
            if (name in bound) != (cell_id in seeders):
                self._moved.add(name)
                (seeders.add if name in bound else seeders.discard)(cell_id)
        unseeded = {n for n in touches.reads if n.startswith(RANDOM_PREFIX)
                    and not any(above(c) for c in self._cells.get(n, ()))}
        if not unseeded:
            return touches, frozenset()
        # a seed below resets what the draw moves, in Run All: the draw
        # writes the generator (reads nothing), so the seed's state is put
        # back after it runs instead of being left moved
        reset_below = {n for n in unseeded if any(not above(c) for c in self._cells.get(n, ()))}
        return Touches(touches.reads - unseeded, touches.writes - (unseeded - reset_below),
                       touches.mutations - unseeded, touches.deletes), frozenset(unseeded)

    def forget(self, cell_id: str) -> None:
        for name, seeders in self._cells.items():
            if cell_id in seeders:
                seeders.discard(cell_id)
                self._moved.add(name)

    def mark_moved(self) -> None:
        """Cells moved: which draws a seed is above may differ."""
        self._moved |= {name for name, seeders in self._cells.items() if seeders}

    def moved(self) -> set[str]:
        """Generators gaining or losing a seeding cell since last asked: the
        draws from them are judged again (a seed added above draws makes
        them edges, one removed leaves them unseeded)."""
        moved, self._moved = self._moved, set()
        return moved


def _generator_path(name: str) -> str:
    """Where a global generator of the table lives (``numpy``: its module's hidden instance)."""
    module, attribute = table.GLOBAL_GENERATORS[name]
    return f"{module}.{attribute}"


def _generators() -> Iterable[tuple[str, str]]:
    return ((_generator_path(name), name) for name in table.GLOBAL_GENERATORS)


def _generator_state(generator: Any) -> Any:
    """``random``'s ``getstate`` or numpy's ``get_state``."""
    return generator.get_state() if hasattr(generator, "get_state") else generator.getstate()


#: the file and random functions of the table, and the global generators, by identity
_FUNCTIONS = Known(lambda: ((key, key) for key in (*table.FILE_FUNCTIONS, *table.RANDOM_FUNCTIONS)))
_GENERATORS = Known(_generators)
#: file methods whose path is an argument, by name alone: for a receiver
#: that is an expression (its type unknown until it runs)
_BY_METHOD = {method: accesses for methods in table.FILE_METHODS.values()
              for method, accesses in methods.items() if all(a[1] != "self" for a in accesses)}


def decide(calls: Iterable, namespace: Mapping) -> Touches:
    """The resources ``calls`` (a cell's, in source order) touch, with the
    values their callees hold now.  A resource the cell binds before it uses
    it again (a seed, then draws) is the cell's own: no read of it."""
    if not calls:
        return NOTHING
    _FUNCTIONS.refresh()
    _GENERATORS.refresh()
    reads, binds, mutations, deletes = set(), set(), set(), set()
    for call in calls:
        for kind, name in _touches(call, namespace):
            if kind == table.READ:
                if name not in binds:
                    reads.add(name)
            elif kind in (table.WRITE, table.SEED):
                binds.add(name)
                deletes.discard(name)
            elif kind == table.DELETE:
                binds.add(name)
                deletes.add(name)
            elif name not in binds:  # a draw or an append on state set before
                reads.add(name)
                mutations.add(name)
    if not (reads or binds or mutations):
        return NOTHING
    mutations -= binds
    return Touches(frozenset(reads), frozenset(binds | mutations), frozenset(mutations), frozenset(deletes))


def _touches(call, namespace: Mapping) -> list[tuple[str, str]]:
    try:
        if call.callee is None:
            if call.receiver is None:  # ``pd.DataFrame(d).to_csv(p)``: the method's name says
                accesses = _BY_METHOD.get(call.method)
                return _files(accesses, call, namespace, MISSING) if accesses else []
            if call.receiver[0] == "new":
                return _method_of_new(call, namespace)
            receiver = _path_or_value(call.receiver, namespace)
            return _method(receiver, call.method, call, namespace)
        target = callee(call.callee, namespace)
        if target is None:
            return []
        if target.function is MISSING:
            return _method(target.receiver, target.method, call, namespace)
        return _function(target.function, call, namespace)
    except Exception:  # a user object that raises when looked at touches nothing we know
        return []


def _function(value: Any, call, namespace: Mapping) -> list[tuple[str, str]]:
    if kind_of(value, _METHOD_TYPES):
        owner = value.__self__
        generator = _GENERATORS.get(owner)
        if generator is not None:
            name = getattr(value, "__name__", "")
            kind = (table.SEED if name in table.GENERATOR_SEEDS else
                    table.READ if name in table.GENERATOR_READS else table.DRAW)
            return [(kind, RANDOM_PREFIX + generator)]
    key = _FUNCTIONS.get(value)
    if key is None:
        return []
    if key in table.RANDOM_FUNCTIONS:
        generator, kind, keyword = table.RANDOM_FUNCTIONS[key]
        if keyword is not None and _given(call, keyword, namespace):
            return []
        return [(kind, RANDOM_PREFIX + generator)]
    return _files(table.FILE_FUNCTIONS[key], call, namespace, None)


def _method(receiver: Any, method: str | None, call, namespace: Mapping) -> list[tuple[str, str]]:
    if receiver is MISSING or method is None:
        return []
    for cls in mro_names(receiver):
        accesses = table.FILE_METHODS.get(cls, {}).get(method)
        if accesses is not None:
            return _files(accesses, call, namespace, receiver)
        drawing = table.RANDOM_METHODS.get(cls)
        if drawing is not None and method in drawing[0]:
            _, name, where = drawing
            if where == table.ATTRIBUTE:
                own = getattr(receiver, name, MISSING)
                draws = own is None
            else:
                draws = not _given(call, name, namespace)
            return [(table.DRAW, RANDOM_PREFIX + "numpy")] if draws else []
    return []


def _method_of_new(call, namespace: Mapping) -> list[tuple[str, str]]:
    """``Cls(...).method()``: the class is known before the call, its
    instance not; an ATTRIBUTE generator is the constructor's parameter of
    that name (an estimator's ``random_state``, None unless given)."""
    _, dotted, keywords = call.receiver
    method = call.method
    target = callee(dotted, namespace)
    cls = MISSING if target is None else target.function
    if kind_of(cls, type):
        for kind in (type_name(c) for c in cls.__mro__):
            accesses = table.FILE_METHODS.get(kind, {}).get(method)
            if accesses is not None:
                return _files([a for a in accesses if a[1] != "self"], call, namespace, MISSING)
            drawing = table.RANDOM_METHODS.get(kind)
            if drawing is not None and method in drawing[0]:
                _, name, where = drawing
                if where == table.KEYWORD:
                    draws = not _given(call, name, namespace)
                else:
                    init = getattr(cls.__init__, "__code__", None)
                    draws = (init is not None and name not in keywords
                             and name in init.co_varnames[:init.co_argcount + init.co_kwonlyargcount])
                return [(table.DRAW, RANDOM_PREFIX + "numpy")] if draws else []
    accesses = _BY_METHOD.get(method)
    return _files(accesses, call, namespace, MISSING) if accesses else []


def _given(call, keyword: str, namespace: Mapping) -> bool:
    """Whether the call passes ``keyword`` a value other than None."""
    for key, argument in call.args:
        if key == keyword:
            return not (argument[0] == "name" and namespace.get(argument[1], MISSING) is None)
    return False


def _files(accesses, call, namespace: Mapping, receiver: Any) -> list[tuple[str, str]]:
    found = []
    for kind, position, keyword, *mode_at in accesses:
        if position == "self":
            path = _as_path(receiver)
        else:
            path = _as_path(_argument(call, position, keyword, namespace))
        if path is None:
            continue
        if kind is None:  # its mode says (``open``'s unless the table names another)
            at, name, default = mode_at[0] if mode_at else (0 if position == "self" else 1, "mode", "r")
            mode = _argument(call, at, name, namespace)
            kind = _mode_kind(mode if isinstance(mode, str) else default)
        found.append((kind, file_name(path)))
    return found


def _mode_kind(mode: str) -> str:
    for letter, kind in table.FILE_MODES:
        if letter in mode:
            return kind
    return table.READ


def _argument(call, position: int, keyword: str, namespace: Mapping) -> Any:
    for key, argument in call.args:
        if key == position or key == keyword:
            return _path_or_value(argument, namespace)
    return MISSING


def _path_or_value(argument, namespace: Mapping) -> Any:
    kind, value = argument
    if kind == "str":
        return value
    if kind == "path":
        return pathlib.Path(value)
    if kind == "name":
        return namespace.get(value, MISSING)
    return MISSING


def _as_path(value: Any) -> str | None:
    """A path from a str or an ``os.PathLike`` of the standard library (a
    user object's ``__fspath__`` is not called)."""
    if type(value) is str:
        return value or None
    if type(value).__module__ == "pathlib" and kind_of(value, pathlib.PurePath):
        return os.fspath(value)
    return None
