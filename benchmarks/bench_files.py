"""What the session's notebook file costs, next to plain ipykernel (issue 20, item 8).

Jupyter Server names the notebook a kernel serves (``JPY_SESSION_NAME``);
the reactive kernel reads it for the page order and the cells it may know
before they run.  Plain ipykernel ignores it, so every ratio here is what
the file costs the reactive kernel.

- first request, saved notebook holding a 6-million-character cell: a fresh
  kernel of each kind, the time of its first request (a cell of the
  notebook), over ``--starts`` fresh kernels; and the same with no file, so
  the file's share is visible;
- a trivial cell, repeated, while the session's file is a 200 MB file that
  is not JSON (``--rounds`` requests, kernels alternating).

    python benchmarks/bench_files.py [--starts 5] [--rounds 100] [--size-mb 200] [--cell-chars 6000000]
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from jupyter_client.manager import start_new_kernel

from bench_kernel import HEADER, KERNELS, execute, report


def big_cell(chars: int) -> str:
    """About ``chars`` characters of code binding ``big`` (data pasted into a cell)."""
    return "\n".join(["big = []"] + [f"big.append({i:>7})  # {'d' * 20}" for i in range(chars // 40)])


def write_notebook(path: str, cells: list[tuple[str, str]]) -> None:
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "id": cell_id, "metadata": {}, "execution_count": None,
                           "outputs": [], "source": code} for cell_id, code in cells]}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(notebook, handle)


def start(name: str, path: str | None):
    env = {**os.environ}
    if path:
        env["JPY_SESSION_NAME"] = path
    return start_new_kernel(kernel_name=name, env=env, cwd=os.path.dirname(path) if path else None)


def first_request(path: str | None, starts: int) -> dict[str, list[float]]:
    """Per kernel, the seconds of the first request of each fresh kernel."""
    times: dict[str, list[float]] = {name: [] for name in KERNELS}
    for _ in range(starts):
        for name in KERNELS:
            km, kc = start(name, path)
            try:
                t0 = time.perf_counter()
                execute(kc, "a = 1", "c1")
                times[name].append(time.perf_counter() - t0)
            finally:
                kc.stop_channels()
                km.shutdown_kernel(now=True)
    return times


def bench_big_cell(folder: str, starts: int, chars: int) -> None:
    path = os.path.join(folder, "data.ipynb")
    write_notebook(path, [("c1", "a = 1"), ("c2", big_cell(chars)), ("c3", "b = a + 1")])
    times = first_request(path, starts)
    report(f"first request, saved {chars / 1e6:g}M-char cell",
           times["python3"], times["reactive"])
    times = first_request(None, starts)
    report("  first request, no notebook file", times["python3"], times["reactive"])


def bench_broken_file(folder: str, rounds: int, megabytes: int) -> None:
    path = os.path.join(folder, "broken.ipynb")
    with open(path, "wb") as handle:
        handle.write(b'{"cells": [')
        chunk = b"x" * (1 << 20)
        for _ in range(megabytes):
            handle.write(chunk)
    kernels = {name: start(name, path) for name in KERNELS}
    try:
        times: dict[str, list[float]] = {name: [] for name in KERNELS}
        for i in range(rounds + 3):
            for name, (_, kc) in kernels.items():
                t0 = time.perf_counter()
                execute(kc, "x = 1", "t")
                if i >= 3:
                    times[name].append(time.perf_counter() - t0)
        report(f"trivial cell, {megabytes} MB non-JSON notebook file",
               times["python3"], times["reactive"])
    finally:
        for km, kc in kernels.values():
            kc.stop_channels()
            km.shutdown_kernel(now=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--cell-chars", type=int, default=6_000_000)
    args = parser.parse_args()
    print(HEADER)
    with tempfile.TemporaryDirectory() as folder:
        bench_big_cell(folder, args.starts, args.cell_chars)
        bench_broken_file(folder, args.rounds, args.size_mb)


if __name__ == "__main__":
    main()
