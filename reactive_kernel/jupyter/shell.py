"""ReactiveShell: ipykernel's IPython shell, doing the work each request repeats once.

The engine, ipykernel and IPython each transform the same cell (magics,
``!cmd``); IPython's tokenizing transforms cost more than the whole engine
step of a trivial cell, and ipykernel alone asks twice per request.  Likewise
ipykernel asks twice per request whether the cell awaits at top level (each
time IPython compiles it) and once what ``run_cell_async`` accepts (each
time :mod:`inspect` works it out).  Together these cost plain ipykernel about
as much as the reactive bookkeeping of a trivial cell.

Memos:

- IPython's static transforms (:class:`StaticTransforms`) depend only on the
  text and on the transformer lists, so a cell run again unchanged (a rerun,
  a cascade) is not tokenized again.
- The whole transform, which adds the dynamic ones (a single line such as
  ``ls`` is a magic or a name depending on the namespace), is kept for one
  cell and forgotten at every request, so namespace changes are always seen;
  within a request, when names leave the namespace or come back for a step,
  only if they can change it (:meth:`ReactiveShell.forget_transform`).
- Whether a transformed text awaits at top level depends on the text alone.
- ``run_cell_async`` carries its signature (:func:`_knowing_its_signature`).
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import contextlib
import inspect
import re
import sys
import types
from typing import Iterable

from IPython.core import prefilter
from IPython.core.autocall import IPyAutocall
from IPython.core.inputtransformer2 import TransformerManager
from IPython.core.macro import Macro
from ipykernel.zmqshell import ZMQInteractiveShell
from traitlets import Instance

from .internals import prompt_shown

#: distinct cell texts whose static transform is kept
_KEPT = 512

#: a line's first name, as IPython's prefilter splits the line (``splitinput.line_split``)
_HEAD = re.compile(r"[^\S\n]*(?:[,;/%]|!!?|\?\??)?[^\S\n]*%{0,2}([^\W\d]\w*)")

#: IPython's own prefilter checkers: of a one-line cell they look up only its
#: first name (as a macro or autocall object, as a variable shadowing a magic)
_CHECKERS = frozenset({prefilter.EmacsChecker, prefilter.MacroChecker, prefilter.IPyAutocallChecker,
                       prefilter.AssignmentChecker, prefilter.AutoMagicChecker, prefilter.PythonOpsChecker,
                       prefilter.AutocallChecker})

#: values IPython's prefilter runs in their own way when a line starts with their name
_SPECIAL = (Macro, IPyAutocall)


class StaticTransforms(TransformerManager):
    """IPython's static transforms, memoized by cell text.  The memo is
    dropped when an extension adds or removes a transformer."""

    def __init__(self):
        super().__init__()
        self._memo: dict[str, str] = {}
        self._transformers: tuple = ()

    def transform_cell(self, cell: str) -> str:
        transformers = (*self.cleanup_transforms, *self.line_transforms, *self.token_transformers)
        memo = self._memo
        if transformers != self._transformers:
            memo.clear()
            self._transformers = transformers
        result = memo.get(cell)
        if result is None:
            result = _remember(memo, cell, super().transform_cell(cell))
        return result


def _remember(memo: dict, key: str, value):
    """Keep ``value`` for ``key``, forgetting the oldest past :data:`_KEPT` entries."""
    if len(memo) >= _KEPT:
        del memo[next(iter(memo))]
    memo[key] = value
    return value


def _special(value) -> bool:
    """Whether IPython's prefilter runs a line starting with ``value``'s name
    in its own way.  A user object that raises when looked at counts as
    special: the cell is then transformed again, by IPython itself."""
    try:
        return isinstance(value, _SPECIAL)
    except Exception:
        return True


def _knowing_its_signature(function: types.FunctionType) -> types.FunctionType:
    """``function`` itself (same code, globals, defaults, closure) carrying
    its signature, which :func:`inspect.signature` then returns at once."""
    copy = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                              function.__defaults__, function.__closure__)
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__dict__.update(function.__dict__)
    copy.__qualname__, copy.__doc__, copy.__module__ = function.__qualname__, function.__doc__, function.__module__
    copy.__signature__ = inspect.signature(function)
    return copy


class ReactiveShell(ZMQInteractiveShell):
    """Its class is named ``ZMQInteractiveShell`` (below): libraries tell a
    notebook from a terminal by that name (pandas' display width, plotly,
    tqdm), and a drop-in kernel must look the same to them."""

    input_transformer_manager = Instance(StaticTransforms, ())

    #: the cell's transform kept: (raw, transformed, the first name of its one
    #: line, whether that name held a macro or an autocall object then)
    _transformed: tuple[str, str, str | None, bool] | None = None
    #: while a planned cell runs: why a name it reads is undefined, if the
    #: engine knows (only a later cell binds it)
    explain_missing = None

    def transform_cell(self, raw_cell: str) -> str:
        __tracebackhide__ = True  # noqa: F841  (IPython's prefilter may raise from a user object)
        memo = self._transformed
        if memo is not None and memo[0] == raw_cell:
            return memo[1]
        result = super().transform_cell(raw_cell)
        head = self._dynamic_head(raw_cell)
        self._transformed = (raw_cell, result, head, _special(self.user_ns.get(head)))
        return result

    def forget_transform(self, moved: Iterable[str] | None = None) -> None:
        """Transform the next cell anew; with ``moved``, names that left the
        namespace or came back since, only if they can change the kept one.
        IPython transforms only a one-line cell against the namespace, and
        there looks up only its first name: as a macro or an autocall object,
        and, when the name is a magic's, as a variable that shadows it."""
        memo = self._transformed
        if memo is None or moved is None or memo[3] or self.input_transformers_post:
            self._transformed = None
            return
        head = memo[2]
        if head is None or head not in moved:
            return
        manager = self.prefilter_manager
        if (self.autocall or manager.transformers or not {type(c) for c in manager.checkers} <= _CHECKERS
                or self.find_magic(head) is not None or _special(self.user_ns.get(head))):
            self._transformed = None

    def _dynamic_head(self, raw_cell: str) -> str | None:
        """The first name of the cell's one line after the static transforms
        (None: more lines, which IPython transforms without the namespace)."""
        cell = self.input_transformer_manager.transform_cell(raw_cell)
        if len(cell.splitlines()) != 1:
            return None
        match = _HEAD.match(cell)
        return match.group(1) if match else None

    _awaiting: dict[str, bool] | None = None

    def should_run_async(self, raw_cell: str, *, transformed_cell: str | None = None,
                         preprocessing_exc_tuple=None) -> bool:
        if transformed_cell is None or preprocessing_exc_tuple is not None or not self.autoawait:
            return super().should_run_async(raw_cell, transformed_cell=transformed_cell,
                                            preprocessing_exc_tuple=preprocessing_exc_tuple)
        memo = self._awaiting
        if memo is None:
            memo = self._awaiting = {}
        found = memo.get(transformed_cell)
        if found is None:
            found = _remember(memo, transformed_cell, super().should_run_async(
                raw_cell, transformed_cell=transformed_cell, preprocessing_exc_tuple=None))
        return found

    run_cell_async = _knowing_its_signature(ZMQInteractiveShell.run_cell_async)

    def awaits(self, code: str) -> bool:
        """Whether the cell has a top-level ``await`` (IPython runs it as a task)."""
        try:
            transformed = self.transform_cell(code)
        except Exception:
            return False
        return self.should_run_async(code, transformed_cell=transformed, preprocessing_exc_tuple=None)

    async def run_unrequested(self, code: str, prompt: int | None):
        """Run a cell that was not requested, without history.  ``prompt``:
        the execution count its result and tracebacks show (a new one the
        caller took, or the one it showed when it last ran; None: the shell's)."""
        with prompt_shown(self, self.execution_count if prompt is None else prompt), self._quiet_for(code):
            if self.awaits(code):
                return await self.run_cell_async(
                    code, store_history=False, transformed_cell=self.transform_cell(code),
                    preprocessing_exc_tuple=None)
            return self.run_cell(code, store_history=False)

    @contextlib.contextmanager
    def _quiet_for(self, code: str):
        """A trailing ``;`` hides the result of the cell that runs: IPython
        asks its history's last cell, which is the requested one while a
        cell runs for it without history."""
        hook = self.displayhook
        try:
            transformed = self.transform_cell(code)
        except Exception:
            transformed = code
        hook.quiet = lambda: hook.semicolon_at_end_of_expression(transformed)
        try:
            yield
        finally:
            hook.__dict__.pop("quiet", None)

    def showtraceback(self, exc_tuple=None, *args, **kwargs):
        """A NameError for a name only a later cell binds says so."""
        __tracebackhide__ = True  # noqa: F841  (an error raised below never shows this frame)
        explain = self.explain_missing
        if explain is not None:
            error = (exc_tuple or sys.exc_info())[1]
            if isinstance(error, NameError) and isinstance(getattr(error, "name", None), str):
                message = explain(error.name)
                if message:
                    error.args = (message,)
        return super().showtraceback(exc_tuple, *args, **kwargs)


ReactiveShell.__name__ = ReactiveShell.__qualname__ = "ZMQInteractiveShell"
