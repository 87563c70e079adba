"""Round-trip cost of the reactive kernel next to plain ipykernel, same interpreter.

Both kernels run side by side; requests alternate between them in rounds so
machine noise hits both alike.  A round trip is execute_request sent until
the kernel reports idle for it (all outputs delivered).  Reported: medians and
their ratio, and the ratio of the fastest runs (steadier on a busy machine).

    python benchmarks/bench_kernel.py [--rounds 300]
"""
from __future__ import annotations

import argparse
import statistics
import time

from jupyter_client.manager import start_new_kernel

SCENARIOS = {
    # name: (code, send a cell id like JupyterLab does, rounds divisor)
    "trivial cell, no cell id (console/nbclient)": ("x = 1", False, 1),
    "trivial cell, with cell id (JupyterLab)": ("x = 1", True, 1),
    "trivial expression, with cell id": ("1 + 1", True, 1),
    "loop-heavy cell, with cell id": ("s = 0\nfor i in range(3_000_000):\n    s += i", True, 8),
}


def round_trip(kc, code: str, cell_id: str | None) -> float:
    msg = kc.session.msg("execute_request", {
        "code": code, "silent": False, "store_history": True,
        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    if cell_id:
        msg["metadata"]["cellId"] = cell_id
    start = time.perf_counter()
    kc.shell_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    while True:
        m = kc.get_iopub_msg(timeout=60)
        if (m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status"
                and m["content"]["execution_state"] == "idle"):
            break
    elapsed = time.perf_counter() - start
    while True:  # drain the reply
        r = kc.get_shell_msg(timeout=60)
        if r["parent_header"].get("msg_id") == msg_id:
            return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    kernels = {name: start_new_kernel(kernel_name=name) for name in ("python3", "reactive")}
    try:
        print(f"{'scenario':48} {'ipykernel':>11} {'reactive':>11} {'ratio':>7} {'min ratio':>9}")
        for scenario, (code, with_id, divisor) in SCENARIOS.items():
            rounds = max(10, args.rounds // divisor)
            times: dict[str, list[float]] = {name: [] for name in kernels}
            for i in range(rounds + 5):
                for name, (_, kc) in kernels.items():
                    t = round_trip(kc, code, f"bench-{scenario}" if with_id else None)
                    if i >= 5:  # warm-up
                        times[name].append(t)
            base = statistics.median(times["python3"])
            reactive = statistics.median(times["reactive"])
            fastest = min(times["reactive"]) / min(times["python3"])
            print(f"{scenario:48} {base * 1e3:9.2f}ms {reactive * 1e3:9.2f}ms "
                  f"{reactive / base:7.3f} {fastest:9.3f}")
    finally:
        for km, kc in kernels.values():
            kc.stop_channels()
            km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
