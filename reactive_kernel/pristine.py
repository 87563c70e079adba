"""Python's builtins as they were when the kernel started.

A notebook may replace a builtin for everyone (``builtins.sorted = None``,
a library patching ``open``); ipykernel keeps serving, so the kernel's own
code must too.  Each of its modules names this copy as its ``__builtins__``
(``from ..pristine import BUILTINS as __builtins__``) before defining
anything: functions look builtins up in the mapping their module had when
they were defined, so the user's replacements never reach the kernel's code
(and the user's code still sees them, as under ipykernel).
"""
import builtins

#: taken once, at the kernel's start, before any user code ran
BUILTINS = dict(vars(builtins))
