"""Cost of the reactive kernel next to plain ipykernel, same interpreter, same run.

Kernels run side by side; requests alternate between them in rounds so
machine noise hits both alike.  A round trip is execute_request sent until
the kernel reports idle for it (all outputs delivered).  Reported: medians and
their ratio, and the spread of the per-round ratios (10th to 90th percentile).
Each scenario also reports the kernel process's CPU time per round (read in
the kernel with ``time.process_time()`` as a user expression, so ns
resolution): on a shared machine it is far less noisy than wall time.

Parts (issue 13's targets in brackets):

- start: start_new_kernel until the kernel answers kernel_info [<= 1.05x];
- per-cell cost, with 0, 10,000 and 100,000 names in the namespace (the
  names are added by a cell without id, which the reactive kernel does not
  keep) [trivial cell <= 1.03x]; "edit with one dependent" compares what a
  person does in each kernel: with the reactive kernel, run the edited cell
  (its dependent reruns by itself); with plain ipykernel, run the edited cell
  and then the dependent;
- floor: a trivial cell with a cell id that shows nothing, next to ipykernel
  sending the one display the reactive kernel gives every cell (issue 9), to
  tell that message's cost from the reactive machinery's;
- companion: the per-cell cases with a companion comm open (issue 19: no
  display of the kernel's own for the requested cell) [trivial cell <= 1.03x];
- bare: the reactive kernel with execute requests handled by ipykernel's
  own methods, next to ipykernel and to the reactive path: the floor under
  the reactive bookkeeping's per-cell cost (not in the default ``--only``);
- comms: the same requests with 0, 100 and 1,000 companion comms open, and
  with 1,000 the kernel closed as gone, in a notebook of 200 cells, four
  kernels side by side (issue 20: each comm made every request slower, 44 ms
  with 100, 281 ms with 1,000); ratios to the kernel without comms;
- a 3-million-step loop, in the kernel process's CPU time [<= 1.02x];
- session length: the same edit in a notebook of 20 and of 2,000 cells (four
  kernels in one round) [reactive 2,000 / 20 within 1.05x].

With ``--repeats N`` the per-cell parts run N times with fresh kernels, and a
summary gives each line's median ratio over the repeats and its range: one
run's ratio moves by a few percent on a 2-core machine, more than some of
the targets leave.

    python benchmarks/bench_kernel.py [--rounds 300] [--starts 12] [--repeats 1]
        [--only start,cells,floor,companion,bare,comms,loop,session]
"""
from __future__ import annotations

import argparse
import compileall
import os
import statistics
import time

import zmq
from jupyter_client.manager import start_new_kernel

from bench_engine import edited_cell, notebook

KERNELS = ("python3", "reactive")


def names(n: int) -> tuple[str, None]:
    return (f"globals().update({{f'v{{i}}': i for i in range({n})}})", None)


SCENARIOS = {
    # name: (setup cells, cells run per round by plain ipykernel, by the reactive
    # kernel, rounds divisor); a cell is (code, cell id or None).  Setup cells
    # are run once, in order, so the namespace grows from scenario to scenario.
    "trivial cell, no cell id (console/nbclient)": ([], [("x = 1", None)], None, 1),
    "trivial cell, with cell id (JupyterLab)": ([], [("x = 1", "t")], None, 1),
    "trivial expression, with cell id": ([], [("1 + 1", "e")], None, 1),
    "edit with one dependent, with cell ids": (
        [("a = 0", "ea"), ("b = a + 1", "eb")], [("a = 1", "ea"), ("b = a + 1", "eb")], [("a = 1", "ea")], 1),
    "trivial cell, 10,000 names": ([names(10_000)], [("x = 1", "t")], None, 1),
    "edit with one dependent, 10,000 names": ([], [("a = 1", "ea"), ("b = a + 1", "eb")], [("a = 1", "ea")], 1),
    "trivial cell, 100,000 names": ([names(100_000)], [("x = 1", "t")], None, 1),
    "edit with one dependent, 100,000 names": ([], [("a = 1", "ea"), ("b = a + 1", "eb")], [("a = 1", "ea")], 1),
}
LOOP = "s = 0\nfor i in range(3_000_000):\n    s += i"


_CLOCK = {"cpu": "__import__('time').process_time()"}


def execute(kc, code: str, cell_id: str | None, clock: bool = False) -> float | None:
    """Run a cell and wait until its outputs are delivered; with ``clock``,
    the kernel process's CPU time (all threads, ns resolution) read right
    after the cell (a user expression)."""
    msg = kc.session.msg("execute_request", {
        "code": code, "silent": False, "store_history": True,
        "user_expressions": _CLOCK if clock else {}, "allow_stdin": False, "stop_on_error": True})
    if cell_id:
        msg["metadata"]["cellId"] = cell_id
    kc.shell_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    while True:
        m = kc.get_iopub_msg(timeout=120)
        if (m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status"
                and m["content"]["execution_state"] == "idle"):
            break
    while True:  # drain the reply
        r = kc.get_shell_msg(timeout=120)
        if r["parent_header"].get("msg_id") == msg_id:
            if not clock:
                return None
            return float(r["content"]["user_expressions"]["cpu"]["data"]["text/plain"])


class Kernel:
    """A running kernel and the CPU clock reading of its last round.

    ``companion``: a comm to the kernel's ``reactive`` target is open, as the
    JupyterLab companion opens it (announcing it writes rerun outputs), so the
    kernel takes the companion's path: the requested cell as ipykernel sends
    it, a state message after every request."""

    def __init__(self, name: str, companion: bool = False):
        self.manager, self.client = start_new_kernel(kernel_name=name)
        self.clock: float | None = None
        if companion:
            open_companion(self.client)

    def round(self, cells) -> tuple[float, float | None]:
        """(wall seconds, kernel CPU seconds since the previous round's end)."""
        start = time.perf_counter()
        for i, (code, cell_id) in enumerate(cells):
            now = execute(self.client, code, cell_id, clock=i == len(cells) - 1)
        wall = time.perf_counter() - start
        cpu = None if self.clock is None else now - self.clock
        self.clock = now
        return wall, cpu

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def open_companion(kc, comm_id: str = "bench-companion", capabilities=("outputs", "deltas", "replies")) -> None:
    msg = kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": "reactive",
                                       "data": {"capabilities": list(capabilities)}})
    kc.shell_channel.send(msg)
    while True:
        m = kc.get_iopub_msg(timeout=60)
        if (m["parent_header"].get("msg_id") == msg["header"]["msg_id"] and m["msg_type"] == "status"
                and m["content"]["execution_state"] == "idle"):
            return


def without_comm_messages(kc) -> None:
    """The client no longer receives comm messages (topic ``comm-<id>``),
    only the kernel's own (``kernel.<id>.<type>``): the kernel still builds
    and sends them, but the client's cost of decoding a thousand per request
    is left out, as it is a frontend's, not the kernel's."""
    socket = kc.iopub_channel.socket
    socket.setsockopt(zmq.UNSUBSCRIBE, b"")
    socket.setsockopt(zmq.SUBSCRIBE, b"kernel.")


def compare(kernels: dict, cells: dict, rounds: int, warmup: int = 5) -> tuple[dict, dict]:
    """Per kernel, wall and CPU times of each round, rounds alternating."""
    walls: dict = {name: [] for name in kernels}
    cpus: dict = {name: [] for name in kernels}
    for i in range(rounds + warmup):
        for name, kernel in kernels.items():
            wall, cpu = kernel.round(cells[name])
            if i >= warmup:
                walls[name].append(wall)
                cpus[name].append(cpu)
    return walls, cpus


def line(label: str, base: list[float], other: list[float], unit: str = "ms") -> str:
    b, o = statistics.median(base), statistics.median(other)
    ratios = sorted(r / p for r, p in zip(other, base))
    low, high = ratios[len(ratios) // 10], ratios[(9 * len(ratios)) // 10]
    scale = 1e3 if unit == "ms" else 1.0
    return (f"{label:48} {b * scale:9.2f}{unit} {o * scale:9.2f}{unit} "
            f"{o / b:7.3f} {low:11.3f} - {high:.3f}")


#: per line label, the ratio each repeat measured
RATIOS: dict[str, list[float]] = {}
_LAST_TOP = [""]


def report(label: str, base: list[float], other: list[float]) -> None:
    """Print a line now and keep its ratio for the summary over repeats."""
    print(line(label, base, other), flush=True)
    if not label.startswith(" "):
        _LAST_TOP[0] = label
    key = label if not label.startswith(" ") else f"{_LAST_TOP[0]} / {label.strip()}"
    RATIOS.setdefault(key, []).append(statistics.median(other) / statistics.median(base))


def summary() -> None:
    print(f"\n{'over repeats':90} {'median ratio':>12} {'min - max':>15}")
    for key, ratios in RATIOS.items():
        print(f"{key:90} {statistics.median(ratios):12.3f} {min(ratios):7.3f} - {max(ratios):.3f}")


HEADER = f"{'scenario':48} {'baseline':>11} {'reactive':>11} {'ratio':>7} {'p10-p90 of round ratios':>24}"


def stop(kernels) -> None:
    for kernel in kernels.values():
        kernel.stop()


def bench_start(starts: int) -> None:
    """Kernel start: start_new_kernel returns once kernel_info is answered.

    The package is byte-compiled first, as an install does: ipykernel's
    modules load from .pyc files, and with PYTHONDONTWRITEBYTECODE set (or a
    read-only checkout) ours would otherwise be compiled at every start."""
    import reactive_kernel

    compileall.compile_dir(os.path.dirname(reactive_kernel.__file__), quiet=1)
    times: dict[str, list[float]] = {name: [] for name in KERNELS}
    for i in range(starts + 1):
        for name in KERNELS:
            t0 = time.perf_counter()
            km, kc = start_new_kernel(kernel_name=name)
            elapsed = time.perf_counter() - t0
            kc.stop_channels()
            km.shutdown_kernel(now=True)
            if i >= 1:
                times[name].append(elapsed)
    report(f"kernel start ({starts} starts each)", times["python3"], times["reactive"])


def bench_cells(rounds: int) -> None:
    kernels = {name: Kernel(name) for name in KERNELS}
    try:
        run_scenarios(kernels, SCENARIOS, rounds)
    finally:
        stop(kernels)


def run_scenarios(kernels: dict, scenarios, rounds: int, suffix: str = "") -> None:
    """Each scenario in turn on the same kernels (the namespace grows)."""
    for scenario in scenarios:
        setup, plain_cells, reactive_cells, divisor = SCENARIOS[scenario]
        cells = {"python3": plain_cells, "reactive": reactive_cells or plain_cells}
        for kernel in kernels.values():
            for code, cell_id in setup:
                execute(kernel.client, code, cell_id)
            kernel.clock = None
        walls, cpus = compare(kernels, cells, max(10, rounds // divisor))
        report(scenario + suffix, walls["python3"], walls["reactive"])
        report("  kernel CPU time", cpus["python3"], cpus["reactive"])


#: ipykernel publishing, after every cell with an id, the display the reactive
#: kernel gives a cell that shows nothing (issue 9: every cell has its own
#: display, so a later rerun can replace its output in place).  Sent as the
#: reactive kernel sends it: one session.send, no stream flush.
DISPLAY_FLOOR = """
from reactive_kernel.jupyter.outputs import anchor, display_id
_kernel = get_ipython().kernel
def _own_display(result):
    parent = _kernel.get_parent("shell")
    cell = (parent.get("metadata") or {}).get("cellId")
    if cell:
        data, metadata = anchor()
        _kernel.session.send(_kernel.iopub_socket, "display_data",
                             {"data": data, "metadata": metadata, "transient": {"display_id": display_id(cell)}},
                             parent, ident=_kernel._topic("display_data"))
get_ipython().events.register("post_run_cell", _own_display)
"""


def bench_floor(rounds: int) -> None:
    """A cell that shows nothing, with a cell id: the reactive kernel sends one
    IOPub message more than ipykernel (its invisible display).  Next to
    ipykernel doing just that, the rest is the reactive machinery's cost."""
    next_to_a_floor(rounds, DISPLAY_FLOOR, "ipykernel with one display per cell", "reactive", Kernel("reactive"))


def next_to_a_floor(rounds: int, floor: str, what: str, label: str, reactive: Kernel,
                    floor_kernel: Kernel | None = None) -> None:
    """A trivial cell on ipykernel, on ``floor_kernel`` (default: ipykernel)
    running ``floor`` (ipykernel: the messages the reactive kernel must send;
    ``what`` names it in the report) and on ``reactive``."""
    kernels = {"python3": Kernel("python3"), "floor": floor_kernel or Kernel("python3"), "reactive": reactive}
    try:
        execute(kernels["floor"].client, floor, None)
        cells = {name: [("x = 1", "t")] for name in kernels}
        walls, cpus = compare(kernels, cells, rounds)
        for suffix, times in (("", walls), (", kernel CPU", cpus)):
            report(f"{what}{suffix}", times["python3"], times["floor"])
            report(f"  {label} vs that{suffix}", times["floor"], times["reactive"])
            report(f"  {label} vs ipykernel{suffix}", times["python3"], times["reactive"])
    finally:
        stop(kernels)


def bench_companion(rounds: int) -> None:
    """Per-cell cost with the companion connected, announcing what the
    JupyterLab companion announces (issue 19: the requested cell is sent as
    ipykernel sends it, no display of the kernel's own; the state after the
    request rides in its reply, no comm message).  Then, for reference, what
    one comm message per request the size of a state delta costs ipykernel:
    what a companion of another client (a second tab) still gets per request."""
    kernels = {"python3": Kernel("python3"), "reactive": Kernel("reactive", companion=True)}
    try:
        run_scenarios(kernels, ("trivial cell, with cell id (JupyterLab)", "trivial expression, with cell id",
                                "edit with one dependent, with cell ids"), rounds, ", companion")
    finally:
        stop(kernels)
    next_to_a_floor(rounds, COMM_FLOOR, "ipykernel with one comm message per cell", "reactive + companion",
                    Kernel("reactive", companion=True))


def bench_bare(rounds: int) -> None:
    """The floor of the reactive kernel's own request path: the same kernel
    (its process, shell, companion comm and memoized IPython transforms) with
    execute requests handled by ipykernel's own code, next to ipykernel and
    to the reactive path, in one run.  What separates the last two from the
    bare kernel is the reactive bookkeeping of one trivial request."""
    next_to_a_floor(rounds, BARE, "reactive kernel, ipykernel's request path", "reactive + companion",
                    Kernel("reactive", companion=True), floor_kernel=Kernel("reactive", companion=True))


#: the reactive kernel handing execute requests to ipykernel's own methods
#: (the shell's transform memo stays: it is IPython's work, saved)
BARE = """
import types
from ipykernel.ipkernel import IPythonKernel as _IPythonKernel
_kernel = get_ipython().kernel
for _name in ("do_execute", "finish_metadata", "execute_request"):
    setattr(_kernel, _name, types.MethodType(getattr(_IPythonKernel, _name), _kernel))
_kernel.shell_handlers["execute_request"] = _kernel.execute_request
del _kernel.session.deserialize  # requests are no longer noted as they arrive
_kernel._execute_sleep = _kernel.output_grace  # ipykernel's own wait for outputs, back with its methods
"""


#: ipykernel sending, after every cell with an id, a comm message shaped and
#: sized as the reactive kernel's state delta for a trivial cell
COMM_FLOOR = """
from comm import create_comm as _create_comm
_kernel, _comm = get_ipython().kernel, _create_comm(target_name="bench-floor")
def _state(result):
    cell = ((_kernel.get_parent("shell").get("metadata")) or {}).get("cellId")
    if cell:
        count = get_ipython().execution_count
        _comm.send({"type": "state", "delta": True, "request": {"count": count, "cell_id": cell},
                    "order": "run", "cells": {cell: {"label": f"[{count}] x = 1", "state": "current",
                    "prompt": count, "status": "ok", "reads": [], "writes": ["x"], "note": None}},
                    "removed": [], "summary": {"line": "", "ran": []}})
get_ipython().events.register("post_run_cell", _state)
"""


#: the ``comms`` part's kernels: how many companion comms each has open, and
#: whether they are gone (closed by the kernel after asking, as it closes a
#: reloaded tab's comm) rather than silent but there
COMMS = {"0": (0, False), "100": (100, False), "1,000": (1000, False), "1,000 gone": (1000, True)}


def bench_comms(rounds: int, cells: int = 200) -> None:
    """Request time with 0, 100 and 1,000 companion comms open, and with
    1,000 the kernel has closed as gone, in a notebook of ``cells`` cells
    run once: four reactive kernels side by side, each line a ratio to the
    kernel without comms, with the spread of the per-round ratios.  The
    comms announce what the JupyterLab companion announces (``outputs``,
    ``deltas``) and never speak; the open ones are kept open for the run (the
    kernel would ask after 5 minutes' silence), the gone ones are asked and
    closed at once (the kernel's ``quiet`` and ``grace`` set to 0)."""
    kernels = {name: Kernel("reactive") for name in COMMS}
    try:
        book = notebook(cells)
        target = edited_cell(book)
        k = target[1:]
        for name, kernel in kernels.items():
            n, gone = COMMS[name]
            without_comm_messages(kernel.client)
            for cell_id, code in book:
                execute(kernel.client, code, cell_id)
            for i in range(n):
                open_companion(kernel.client, f"bench-{i}", ("outputs", "deltas"))
            quiet, grace = (0, 0) if gone else (1e9, 60)
            execute(kernel.client, f"get_ipython().kernel.companion.__dict__.update(quiet={quiet}, grace={grace})",
                    None)
            execute(kernel.client, "pass", None)  # asked, then (gone) closed
        for scenario, run in (("trivial cell", [("x = 1", "t")]),
                              ("edit with one dependent", [(f"x{k} = [{k}, 7]", target)])):
            for kernel in kernels.values():
                kernel.clock = None
            walls, cpus = compare(kernels, {name: run for name in kernels}, rounds)
            for label, times in (("", walls), (", kernel CPU", cpus)):
                for name in list(COMMS)[1:]:
                    report(f"{scenario}, {cells} cells, {name} / 0 comms{label}", times["0"], times[name])
    finally:
        stop(kernels)


def bench_loop(rounds: int) -> None:
    kernels = {name: Kernel(name) for name in KERNELS}
    try:
        cells = {name: [(LOOP, "l")] for name in KERNELS}
        walls, cpus = compare(kernels, cells, max(10, rounds // 8), warmup=2)
        report("3-million-step loop, kernel CPU time", cpus["python3"], cpus["reactive"])
        report("  wall time", walls["python3"], walls["reactive"])
    finally:
        stop(kernels)


def bench_session(rounds: int) -> None:
    """The same edit (one dependent) in a short and a long notebook, the
    reactive kernel without and with a companion (its per-request state
    must not grow with the notebook either)."""
    sizes = (20, 2000)
    kernels = {(name, n): Kernel(name) for name in KERNELS for n in sizes}
    kernels.update({("companion", n): Kernel("reactive", companion=True) for n in sizes})
    try:
        cells = {}
        for (name, n), kernel in kernels.items():
            book = notebook(n)
            for cell_id, code in book:
                execute(kernel.client, code, cell_id)
            target = edited_cell(book)
            k = target[1:]
            dependent = next(code for cell_id, code in book if cell_id == f"y{k}")
            edit = [(f"x{k} = [{k}, 7]", target)]
            cells[(name, n)] = edit + ([(dependent, f"y{k}")] if name == "python3" else [])
        walls, cpus = compare(kernels, cells, rounds)
        for label, times in (("", walls), (", kernel CPU", cpus)):
            for n in sizes:
                report(f"edit, one dependent, {n} cells{label}", times[("python3", n)], times[("reactive", n)])
            report(f"ipykernel 2000 / 20 cells{label}", times[("python3", 20)], times[("python3", 2000)])
            report(f"reactive 2000 / 20 cells{label}", times[("reactive", 20)], times[("reactive", 2000)])
            report(f"reactive + companion 2000 / 20 cells{label}", times[("companion", 20)],
                   times[("companion", 2000)])
    finally:
        stop(kernels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--starts", type=int, default=12)
    parser.add_argument("--only", default="start,cells,floor,companion,comms,loop,session")
    parser.add_argument("--repeats", type=int, default=1,
                        help="run the per-cell parts this many times, each with fresh kernels")
    args = parser.parse_args()
    parts = args.only.split(",")
    print(HEADER)
    if "start" in parts:
        bench_start(args.starts)
    for _ in range(args.repeats):
        if "cells" in parts:
            bench_cells(args.rounds)
        if "floor" in parts:
            bench_floor(args.rounds)
        if "companion" in parts:
            bench_companion(args.rounds)
        if "bare" in parts:
            bench_bare(args.rounds)
        if "comms" in parts:
            bench_comms(args.rounds)
        if "loop" in parts:
            bench_loop(args.rounds)
        if "session" in parts:
            bench_session(args.rounds)
    if args.repeats > 1:
        summary()


if __name__ == "__main__":
    main()
