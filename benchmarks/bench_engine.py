"""Engine benchmark: cost of one edit (analysis + registration + planning),
memory per cell, and finding a cell's writes as the namespace grows.

Run:  .venv/bin/python benchmarks/bench_engine.py [--reps N]

Reports medians of many repetitions (time.perf_counter_ns) and the
5000/20-cell ratio; it asserts nothing about absolute times (machines differ).
Issue targets: an edit under 1 ms at 5,000 cells, within 1.2x of 20 cells.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc

from reactive_kernel.core.engine import Engine
from reactive_kernel.core.namespace import Snapshot, Watch


def notebook(n_cells: int) -> list[tuple[str, str]]:
    """A realistic mix: imports and a config cell read by many cells, pairs of
    load/derive cells, a rebinding (`data = data + ...`) chain of its own, a
    function reading a global.  The edited cell (`x{k} = ...`) has exactly one
    descendant (`y{k}`)."""
    cells = [
        ("imports", "import math\nimport json"),
        ("config", "scale = 3\noffset = 1"),
        ("helper", "def norm(v):\n    return (v - offset) / scale\n"),
    ]
    i = 0
    while len(cells) < n_cells:
        kind = i % 4
        if kind in (0, 1):
            cells.append((f"x{i}", f"x{i} = [{i}, {i} + 1, {i} + 2]"))
            cells.append((f"y{i}", f"y{i} = sum(math.sqrt(v) * scale for v in x{i}) + len(json.dumps(x{i}))"))
        elif kind == 2:
            cells.append((f"t{i}", f"t{i} = {{'k': {i}}}\nt{i}['n'] = norm({i})"))
        else:
            cells.append((f"p{i}", f"print_me_{i} = f'cell {{ {i} }} of {{scale}}'"))
        i += 1
    return cells[:n_cells]


def edited_cell(cells: list[tuple[str, str]]) -> str:
    xs = [c for c, _ in cells if c.startswith("x")]
    return xs[len(xs) // 2]


def build(n_cells: int, execute: bool = True) -> tuple[Engine, list[tuple[str, str]]]:
    engine = Engine()
    cells = notebook(n_cells)
    for cell_id, code in cells:
        if execute:
            engine.run(cell_id, code)
        else:
            engine.request(cell_id, code)
    return engine, cells


def time_edit(n_cells: int, reps: int) -> tuple[float, int]:
    engine, cells = build(n_cells)
    target = edited_cell(cells)
    k = target[1:]
    variants = [f"x{k} = [{k}, 7]", f"x{k} = [{k}, 8]"]
    samples = []
    steps = 0
    for rep in range(reps + 20):
        code = variants[rep % 2]
        gc.disable()
        start = time.perf_counter_ns()
        run = engine.request(target, code)
        elapsed = time.perf_counter_ns() - start
        gc.enable()
        steps = len(run.steps)
        if rep >= 20:  # warm-up
            samples.append(elapsed)
    return statistics.median(samples) / 1e3, steps  # µs


def memory_per_cell(n_cells: int) -> tuple[float, float, float]:
    """(engine bytes per cell registered only, per cell after running with
    large values, bytes per cell left once the namespace is emptied)."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    engine, _ = build(n_cells, execute=False)
    registered = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del engine
    gc.collect()

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    engine = Engine()
    for i in range(n_cells):  # every value: a list of 10,000 ints (~360 kB)
        engine.run(f"big{i}", f"big{i} = list(range({i}, {i} + 10000))")
    with_values = tracemalloc.get_traced_memory()[0] - base
    engine.namespace.clear()
    gc.collect()
    without_values = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return registered / n_cells, with_values / n_cells, without_values / n_cells


def time_writes(n_names: int, reps: int) -> tuple[float, float, float]:
    """(µs to find a trivial cell's writes by copying and comparing the
    namespace (the old way, still used for code that can bind names it does
    not name), µs with a Watch, µs for one whole trivial cell run)."""
    engine = Engine()
    namespace = engine.namespace
    namespace.update({f"v{i}": i for i in range(n_names)})
    engine.run("probe", "probe = 0")
    copies, watches, runs = [], [], []
    # separate loops: a copy of the namespace evicts the caches the next
    # measurement would otherwise pay for
    for rep in range(reps):
        start = time.perf_counter_ns()
        engine.run("probe", f"probe = {rep % 2}")
        runs.append(time.perf_counter_ns() - start)
    for rep in range(reps):
        start = time.perf_counter_ns()
        watch = Watch(namespace, ["probe"])
        namespace["probe"] = -rep
        watch.changes(namespace)
        watches.append(time.perf_counter_ns() - start)
    for rep in range(reps):
        start = time.perf_counter_ns()
        before = Snapshot(namespace)
        namespace["probe"] = rep
        before.changes(namespace)
        del before  # freeing the copy is part of its cost
        copies.append(time.perf_counter_ns() - start)
    return statistics.median(copies) / 1e3, statistics.median(watches) / 1e3, statistics.median(runs) / 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=300)
    args = parser.parse_args()

    print("Edit of one cell: engine.request (analysis + registration + planning), not executed")
    print(f"{'cells':>7} {'median µs':>10} {'planned steps':>14}")
    results = {}
    for n in (20, 5000):
        results[n], steps = time_edit(n, args.reps)
        print(f"{n:>7} {results[n]:>10.1f} {steps:>14}")
    print(f"ratio 5000/20: {results[5000] / results[20]:.2f}  (target: < 1.2, and < 1000 µs at 5000)")
    print()
    print("Engine memory per cell (tracemalloc)")
    for n in (20, 500):
        registered, with_values, without_values = memory_per_cell(n)
        print(f"{n:>7} cells: registered {registered / 1024:6.1f} KiB/cell; run with large values "
              f"{with_values / 1024:7.1f} KiB/cell; after emptying the namespace "
              f"{without_values / 1024:6.1f} KiB/cell (values are not kept by the engine)")
    print()
    print("Finding a trivial cell's writes (`probe = n`) as the namespace grows")
    print(f"{'names':>7} {'copy+compare µs':>16} {'Watch µs':>9} {'trivial cell run µs':>20}")
    for n in (0, 10_000, 100_000):
        copy, watch, run = time_writes(n, max(50, args.reps // 3))
        print(f"{n:>7} {copy:>16.1f} {watch:>9.1f} {run:>20.1f}")

if __name__ == "__main__":
    main()
