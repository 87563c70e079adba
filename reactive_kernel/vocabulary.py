"""The kernel's words, defined once.

Each word here travels: in ``metadata.reactive`` of replies and messages
(spec, "What every run reports"), in the ``reactive`` comm
(``companion/src/protocol.ts`` and ``docs/companion.md`` spell the same
words), and in what ``%reactive`` prints.  Modules compare and send these
constants, never their own spellings.
"""
from __future__ import annotations

from typing import Final, Literal

# -- how a cell runs again (the request's mode) --------------------------------
Mode = Literal["clean", "keep"]
#: remove the names the cell's previous run bound, then run (run-all equivalence)
CLEAN: Final = "clean"
#: run against the namespace as it is, as plain Jupyter does
KEEP: Final = "keep"
MODES: Final = (CLEAN, KEEP)

# -- why a cell is in a run plan ---------------------------------------------------
Role = Literal["ancestor", "target", "descendant"]
#: a stale cell the target needs, run before it
ANCESTOR: Final = "ancestor"
#: the cell the request was for
TARGET: Final = "target"
#: a cell that reads what the plan changed, run after its providers
DESCENDANT: Final = "descendant"

# -- how a step of a plan ended ------------------------------------------------------
Status = Literal["ok", "error", "cancelled", "interrupted"]
OK: Final = "ok"
ERROR: Final = "error"
#: not run: a cell it needs failed, or the run was interrupted before it
CANCELLED: Final = "cancelled"
#: stopped by the user while it ran: stale (not failed), so the next run that
#: needs it runs it again; the steps after it are ``cancelled``.  Also the
#: error kind of a request whose run was interrupted before its target
INTERRUPTED: Final = "interrupted"

# -- one word for a cell, as its badge and ``%reactive`` show it -------------------
CellState = Literal["ran", "reran", "stale", "failed", "failed-upstream", "cancelled", "unrun"]
#: current, last run as requested
RAN: Final = "ran"
#: current, last run for another cell
RERAN: Final = "reran"
#: its result may be outdated: run it to update
STALE: Final = "stale"
#: its last run raised; it stays stale until it runs again
FAILED: Final = "failed"
#: not run because a cell it needs failed
FAILED_UPSTREAM: Final = "failed-upstream"
#: known from the saved notebook, not run in this kernel yet
UNRUN: Final = "unrun"
#: (``cancelled``, defined above: interrupted while it ran, or the run was
#: interrupted before it; stale until it runs again)
CELL_STATES: Final = (RAN, RERAN, STALE, FAILED, FAILED_UPSTREAM, CANCELLED, UNRUN)

# -- what went wrong with a request as a whole (``error.kind``) ------------------------
ErrorKind = Literal["syntax", "internal", "upstream", "interrupted", "aborted"]
#: the cell does not parse: nothing was registered
SYNTAX: Final = "syntax"
#: a bug of the kernel's own; the cell ran as plain IPython
INTERNAL: Final = "internal"
#: the target was not run: a cell it needs failed
UPSTREAM: Final = "upstream"
#: (``interrupted``, defined above: the run was interrupted before the target ran)
#: the request was aborted by the queue (an earlier request failed)
ABORTED: Final = "aborted"
ERROR_KINDS: Final = (SYNTAX, INTERNAL, UPSTREAM, INTERRUPTED, ABORTED)

# -- where the notebook order came from (``order``) --------------------------------------
OrderSource = Literal["page", "notebook", "registration"]
#: the live page, reported by a companion
PAGE: Final = "page"
#: the session's saved notebook file
NOTEBOOK: Final = "notebook"
#: the order cells were first run
REGISTRATION: Final = "registration"

# -- what a companion does besides listening (``capabilities`` of its comm_open) ---------
Capability = Literal["outputs", "deltas", "replies"]
#: it writes the outputs of cells run for another cell into those cells itself
OUTPUTS: Final = "outputs"
#: it merges ``state`` deltas into the state it holds, so after a request it is
#: sent only the cells that changed (docs/companion.md, "Deltas")
DELTAS: Final = "deltas"
#: it reads the state after a request its own client sent from that
#: request's execute_reply (``metadata.reactive.state``), so such a request
#: costs no comm message (docs/companion.md, "State in the reply")
REPLIES: Final = "replies"
CAPABILITIES: Final = (OUTPUTS, DELTAS, REPLIES)
