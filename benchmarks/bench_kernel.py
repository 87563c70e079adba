"""Round-trip cost of the reactive kernel next to plain ipykernel, same interpreter.

Both kernels run side by side; requests alternate between them in rounds so
machine noise hits both alike.  A round trip is execute_request sent until
the kernel reports idle for it (all outputs delivered).  Reported: medians and
their ratio, and the spread of the per-round ratios (10th to 90th percentile).

"edit with one dependent" compares what a person does in each kernel: with
the reactive kernel, run the edited cell (its dependent reruns by itself);
with plain ipykernel, run the edited cell and then the dependent.

    python benchmarks/bench_kernel.py [--rounds 300]
"""
from __future__ import annotations

import argparse
import statistics
import time

from jupyter_client.manager import start_new_kernel

SCENARIOS = {
    # name: (setup cells, cells run per round by plain ipykernel, by the reactive
    # kernel, rounds divisor); a cell is (code, cell id or None)
    "trivial cell, no cell id (console/nbclient)": ([], [("x = 1", None)], None, 1),
    "trivial cell, with cell id (JupyterLab)": ([], [("x = 1", "t")], None, 1),
    "trivial expression, with cell id": ([], [("1 + 1", "e")], None, 1),
    "edit with one dependent, with cell ids": (
        [("a = 0", "ea"), ("b = a + 1", "eb")], [("a = 1", "ea"), ("b = a + 1", "eb")], [("a = 1", "ea")], 1),
    "loop-heavy cell, with cell id": ([], [("s = 0\nfor i in range(3_000_000):\n    s += i", "l")], None, 8),
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
        print(f"{'scenario':42} {'ipykernel':>11} {'reactive':>11} {'ratio':>7} {'p10-p90 of round ratios':>24}")
        for scenario, (setup, plain_cells, reactive_cells, divisor) in SCENARIOS.items():
            cells = {"python3": plain_cells, "reactive": reactive_cells or plain_cells}
            for name, (_, kc) in kernels.items():
                for code, cell_id in setup:
                    round_trip(kc, code, cell_id)
            rounds = max(10, args.rounds // divisor)
            times: dict[str, list[float]] = {name: [] for name in kernels}
            for i in range(rounds + 5):
                for name, (_, kc) in kernels.items():
                    t = sum(round_trip(kc, code, cell_id) for code, cell_id in cells[name])
                    if i >= 5:  # warm-up
                        times[name].append(t)
            base = statistics.median(times["python3"])
            reactive = statistics.median(times["reactive"])
            ratios = sorted(r / p for r, p in zip(times["reactive"], times["python3"]))
            low, high = ratios[len(ratios) // 10], ratios[(9 * len(ratios)) // 10]
            print(f"{scenario:42} {base * 1e3:9.2f}ms {reactive * 1e3:9.2f}ms "
                  f"{reactive / base:7.3f} {low:11.3f} - {high:.3f}")
    finally:
        for km, kc in kernels.values():
            kc.stop_channels()
            km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
