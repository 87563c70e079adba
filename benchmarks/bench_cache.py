"""The cell cache (issue 22) next to plain ipykernel, in the same run.

A notebook whose first cells take seconds (read a generated CSV, fit a
model) and whose last cell is cheap::

    [1] %%cache                        [2] %%cache                          [3]
        import pandas as pd                from sklearn.ensemble import ...     guess = model.predict(...)
        frame = pd.read_csv("data.csv")    model = ...fit(frame[...], ...)

Scenarios, each run ``--runs`` times, interleaved so machine noise hits
all alike; reported as min / median / max of the per-run ratios (and the
seconds behind them):

- **warm**: reactive kernel, warm cache, restart + run the last cell, next
  to plain ipykernel's Restart & Run All (target >= 10x faster);
- **cold**: reactive kernel, restart + run the last cell with an empty
  cache (misses, then entries written) next to the same with the cache off
  (target <= 1.05x);
- **writing**: a Run All (each cell requested in turn) with every cell
  stored (``%reactive cache auto 0``) next to the same with the cache off:
  what writing entries costs.

The CSV is generated once in ``--workdir`` (4 float columns and a target;
``--size`` bytes, default 200M; ``--size 1G`` for the issue's figure).

    python benchmarks/bench_cache.py [--size 200M] [--runs 3] [--workdir /tmp/bench-cache]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time

from jupyter_client.manager import start_new_kernel

CELLS = [
    ("load", "%%cache\nimport pandas as pd\nframe = pd.read_csv('data.csv')\nlen(frame)"),
    ("fit", "%%cache\nfrom sklearn.ensemble import HistGradientBoostingRegressor\n"
            "model = HistGradientBoostingRegressor(max_iter=60, random_state=0)\n"
            "model.fit(frame[['a', 'b', 'c', 'd']], frame['y'])\nprint('fitted')"),
    ("guess", "import numpy as np\nguess = float(model.predict(np.array([[0.1, 0.2, 0.3, 0.4]]))[0])\nguess"),
]


def parse_size(text: str) -> int:
    text = text.strip().upper().rstrip("B")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    return int(float(text.rstrip("KMG")) * scale)


def make_csv(path: str, size: int) -> None:
    """About ``size`` bytes of CSV, written in blocks (a 1 GB frame is not built at once)."""
    import numpy as np
    import pandas as pd

    if os.path.exists(path) and abs(os.path.getsize(path) - size) < size * 0.05:
        return
    rng = np.random.default_rng(0)
    draft = path + ".draft"
    with open(draft, "w") as file:
        file.write("a,b,c,d,y\n")
        written, block = 0, 200_000
        while written < size:
            x = rng.random((block, 4))
            y = 3 * x[:, 0] - 2 * x[:, 1] ** 2 + np.sin(6 * x[:, 2]) + 0.1 * rng.standard_normal(block)
            text = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "d": x[:, 3], "y": y}).to_csv(
                index=False, header=False, float_format="%.6f")
            file.write(text)
            written += len(text)
    os.replace(draft, path)


class Kernel:
    def __init__(self, name: str, workdir: str, cache: str):
        # one thread for OpenMP and BLAS: a fit's threads spinning on a shared
        # machine made its time (CPU time too) vary fourfold from run to run
        threads = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        env = {**os.environ, **threads, "REACTIVE_KERNEL_CACHE": cache, "JUPYTER_DATA_DIR": os.path.join(workdir, "data"),
               "JPY_SESSION_NAME": os.path.join(workdir, "nb.ipynb")}
        self.manager, self.client = start_new_kernel(kernel_name=name, env=env, cwd=workdir)

    def execute(self, code: str, cell_id: str | None = None) -> dict:
        kc = self.client
        msg = kc.session.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                                 "user_expressions": {}, "allow_stdin": False,
                                                 "stop_on_error": True})
        if cell_id is not None:
            msg["metadata"]["cellId"] = cell_id
        kc.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        while True:
            reply = kc.get_shell_msg(timeout=3600)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        while True:
            m = kc.get_iopub_msg(timeout=3600)
            if (m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status"
                    and m["content"]["execution_state"] == "idle"):
                break
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{cell_id}: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")
        return reply

    def cpu(self) -> float:
        """The kernel process's CPU time so far (all its threads), asked silently."""
        kc = self.client
        msg_id = kc.execute("", silent=True, user_expressions={"t": "__import__('time').process_time()"})
        while True:
            reply = kc.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == msg_id:
                return float(reply["content"]["user_expressions"]["t"]["data"]["text/plain"])

    def restart(self) -> None:
        self.manager.restart_kernel(now=True)
        self.client.wait_for_ready(timeout=120)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run_all(kernel: Kernel, plain: bool = False) -> None:
    """Each cell requested in turn; plain ipykernel gets the code without
    the ``%%cache`` line (a magic it does not have), otherwise the same."""
    for cell_id, code in CELLS:
        kernel.execute(code.removeprefix("%%cache\n") if plain else code, cell_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="200M", help="the CSV's size (200M, 1G)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/bench-cache")
    args = parser.parse_args()
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    cache = os.path.join(workdir, "cache")
    size = parse_size(args.size)
    print(f"generating {size / 2**20:.0f} MB of CSV in {workdir} (once)...", flush=True)
    make_csv(os.path.join(workdir, "data.csv"), size)
    import nbformat

    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code, id=cell_id)
                                                   for cell_id, code in CELLS]), os.path.join(workdir, "nb.ipynb"))
    shutil.rmtree(cache, ignore_errors=True)
    plain, reactive = Kernel("python3", workdir, cache), Kernel("reactive", workdir, cache)
    #: wall seconds, and the kernel process's CPU seconds (far less noisy on a shared machine)
    cpu: dict[str, list[float]] = {}
    figures: dict[str, list[float]] = {k: [] for k in (
        "ipykernel restart + run all", "reactive warm: restart + run last",
        "reactive warm: run last (after restart)", "reactive cold: run last", "reactive off: run last",
        "run all, every cell stored", "run all, cache off")}
    try:
        run_all(reactive)  # warms the cache
        for run in range(args.runs):
            print(f"run {run + 1}/{args.runs}", flush=True)
            figures["ipykernel restart + run all"].append(timed(lambda: (plain.restart(), run_all(plain, plain=True))))
            cpu.setdefault("ipykernel restart + run all", []).append(plain.cpu())  # the process's whole life
            restart = timed(reactive.restart)
            last = timed(lambda: reactive.execute(CELLS[-1][1], CELLS[-1][0]))
            figures["reactive warm: restart + run last"].append(restart + last)
            figures["reactive warm: run last (after restart)"].append(last)
            cpu.setdefault("reactive warm: restart + run last", []).append(reactive.cpu())
            for mode, label in (("clear", "reactive cold: run last"), ("off", "reactive off: run last")):
                reactive.restart()
                reactive.execute(f"%reactive cache {mode}")
                before = reactive.cpu()
                figures[label].append(timed(lambda: reactive.execute(CELLS[-1][1], CELLS[-1][0])))
                cpu.setdefault(label, []).append(reactive.cpu() - before)
            for mode, label in (("auto 0", "run all, every cell stored"), ("off", "run all, cache off")):
                reactive.restart()
                reactive.execute("%reactive cache clear")
                reactive.execute(f"%reactive cache {mode}")
                before = reactive.cpu()
                figures[label].append(timed(lambda: run_all(reactive)))
                cpu.setdefault(label, []).append(reactive.cpu() - before)
            reactive.restart()
            reactive.execute("%reactive cache clear")
            run_all(reactive)  # warm again for the next run
    finally:
        plain.close()
        reactive.close()
    for title, table in (("wall seconds", figures), ("kernel CPU seconds", cpu)):
        print(f"\nCSV {size / 2**20:.0f} MB, {args.runs} runs; {title}: min / median / max")
        for label, values in table.items():
            print(f"  {label:42} {min(values):7.2f} / {statistics.median(values):7.2f} / {max(values):7.2f}")

        def ratio(label: str, top: str, bottom: str) -> None:
            values = [a / b for a, b in zip(table[top], table[bottom])]
            print(f"  {label:42} {min(values):7.2f} / {statistics.median(values):7.2f} / {max(values):7.2f}")

        print(f"ratios of {title}, per run: min / median / max")
        ratio("warm speed-up (ipykernel / reactive)", "ipykernel restart + run all", "reactive warm: restart + run last")
        ratio("cold / off (target <= 1.05)", "reactive cold: run last", "reactive off: run last")
        ratio("run all stored / off (writing cost)", "run all, every cell stored", "run all, cache off")


if __name__ == "__main__":
    main()
