"""Where a trivial request's time goes, inside each kernel, side by side.

``bench_kernel.py`` times round trips from outside; this one wraps methods
inside the kernel process (ipykernel's and, in the reactive kernel, the
engine's and the adapter's) and reports each one's time per request and how
often it is called, for plain ipykernel and for the reactive kernel with a
companion comm open.  The wrappers are installed by a silent request, which
both kernels leave to plain IPython (the reactive engine never sees it).
Nested parts overlap (``dispatch_shell`` holds all the others), and wrapping
adds its own cost to each call, so read differences between the two
columns, not sums.  ``--clock cpu`` (the default) counts the calling
thread's CPU time, which a busy machine disturbs far less than the wall
time of ``--clock wall`` (that one also counts waits, such as a flush's
round trip to the IO thread).  Figures of the README's "Performance"
section and of the closing notes come from it.

    python benchmarks/bench_request_parts.py [--requests 2000] [--code "x = 1"] [--clock cpu|wall]
"""
from __future__ import annotations

import argparse

from jupyter_client.manager import start_new_kernel

from bench_kernel import execute, open_companion

#: (module, class, method) per part, by label; those whose module the kernel
#: has not imported are left out
PARTS = {
    "ipykernel: dispatch_shell": ("ipykernel.kernelbase", "Kernel", "dispatch_shell"),
    "ipykernel: execute_request": ("ipykernel.kernelbase", "Kernel", "execute_request"),
    "ipykernel: do_execute": ("ipykernel.ipkernel", "IPythonKernel", "do_execute"),
    "ipykernel: stdout/stderr flush (IO thread round trip)": ("ipykernel.iostream", "OutStream", "flush"),
    "IPython: run_cell": ("IPython.core.interactiveshell", "InteractiveShell", "run_cell"),
    "IPython: transform_cell": ("IPython.core.interactiveshell", "InteractiveShell", "transform_cell"),
    "reactive: do_execute": ("reactive_kernel.jupyter.kernel", "ReactiveKernel", "do_execute"),
    "reactive: reading the request": ("reactive_kernel.jupyter.kernel", "ReactiveKernel", "_prepare"),
    "reactive: set_parent (a request dispatched)":
        ("reactive_kernel.jupyter.kernel", "ReactiveKernel", "set_parent"),
    "reactive: planning": ("reactive_kernel.core.engine", "Engine", "request"),
    "reactive: walking the plan": ("reactive_kernel.jupyter.execution", "Walk", "__call__"),
    "reactive: preparing a step": ("reactive_kernel.core.run", "Run", "_prepare"),
    "reactive: recording a step": ("reactive_kernel.core.run", "Run", "finish"),
    "reactive: the companion's delta": ("reactive_kernel.jupyter.companion", "Companion", "finished"),
    # the last step's recording, the view, the delta and the report, after
    # ipykernel's flush (with --clock wall, also the rest of the grace slept)
    "reactive: in the output grace": ("reactive_kernel.jupyter.kernel", "ReactiveKernel", "finish_metadata"),
    "reactive: noting a waiting request (shell channel thread)":
        ("reactive_kernel.jupyter.request", "WaitingRequests", "arrived"),
}

WRAP = r'''
def __bench_wrap(parts):
    import functools, importlib, inspect, sys, time
    totals = {}

    def note(label, start):
        entry = totals.setdefault(label, [0.0, 0])
        entry[0] += time.perf_counter() - start
        entry[1] += 1

    for label, (module, owner, name) in parts.items():
        if module not in sys.modules:
            continue
        cls = getattr(importlib.import_module(module), owner)
        original = cls.__dict__.get(name)
        if original is None:
            continue
        def timed(original=original, label=label):
            if inspect.iscoroutinefunction(original):
                async def wrapper(*args, **kwargs):
                    start = time.perf_counter()
                    try:
                        return await original(*args, **kwargs)
                    finally:
                        note(label, start)
            else:
                def wrapper(*args, **kwargs):
                    start = time.perf_counter()
                    try:
                        return original(*args, **kwargs)
                    finally:
                        note(label, start)
            return functools.wraps(original)(wrapper)
        setattr(cls, name, timed())
    return totals
__bench_totals = __bench_wrap(%r)
'''


def silent(kc, code: str, expression: str | None = None):
    """Run ``code`` silently (plain IPython in both kernels); the value of ``expression``."""
    msg_id = kc.execute(code, silent=True, user_expressions={"v": expression} if expression else {})
    while True:
        reply = kc.get_shell_msg(timeout=120)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    assert reply["content"]["status"] == "ok", reply["content"]
    if expression:
        return eval(reply["content"]["user_expressions"]["v"]["data"]["text/plain"])
    return None


CLOCKS = {"cpu": "thread_time", "wall": "perf_counter"}


def measure(name: str, requests: int, code: str, warmup: int = 50, clock: str = "cpu") -> dict[str, tuple[float, float]]:
    """label -> (µs per request, calls per request) over ``requests`` requests of ``code``."""
    manager, kc = start_new_kernel(kernel_name=name)
    try:
        if name == "reactive":
            open_companion(kc)
        for _ in range(warmup):
            execute(kc, code, "t")
        silent(kc, (WRAP % (PARTS,)).replace("time.perf_counter()", f"time.{CLOCKS[clock]}()"))
        silent(kc, "__bench_totals.clear()")
        for _ in range(requests):
            execute(kc, code, "t")
        totals = silent(kc, "", "{k: tuple(v) for k, v in __bench_totals.items()}")
    finally:
        kc.stop_channels()
        manager.shutdown_kernel(now=True)
    return {label: (seconds / requests * 1e6, calls / requests) for label, (seconds, calls) in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--code", default="x = 1")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    args = parser.parse_args()
    plain, reactive = (measure(name, args.requests, args.code, clock=args.clock) for name in ("python3", "reactive"))
    print(f"{args.requests} requests of {args.code!r} (a cell id; the reactive kernel with a companion comm),"
          f" {args.clock} time")
    print(f"{'part':60} {'ipykernel':>18} {'reactive':>18}")
    for label in PARTS:
        row = [plain.get(label), reactive.get(label)]
        if row == [None, None]:
            continue
        cells = ["" if r is None else f"{r[0]:8.1f} µs ×{r[1]:4.2f}" for r in row]
        print(f"{label:60} {cells[0]:>18} {cells[1]:>18}")


if __name__ == "__main__":
    main()
