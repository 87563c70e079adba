"""What storing and loading a cell's values costs (issue 22's cache, storage layer).

For a 100 MB numpy array and a 1-million-row DataFrame: ``CacheStore.put``
and ``CacheStore.get`` (screening, pickling with out-of-band buffers,
signing, an atomic write; reading, verifying, unpickling) next to plain
``pickle.dumps`` / ``pickle.loads`` of the same value in memory and
``pickle.dump`` / ``pickle.load`` through a file in the same directory.
Seconds as min / median / max over ``--runs`` runs, and the ratio of the
medians to ``pickle.dumps`` / ``pickle.loads``.

    python benchmarks/bench_cache_store.py [--runs 5] [--location DIR_OR_URL]

The location defaults to a temporary directory (local disk); ``memory://``
measures everything but the disk.
"""
from __future__ import annotations

import argparse
import hashlib
import pickle
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reactive_kernel.cache import CacheStore, Entry, Signer  # noqa: E402


def values() -> dict[str, object]:
    rows = 1_000_000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": np.arange(rows), "x": rng.random(rows), "y": rng.normal(size=rows),
                          "when": pd.date_range("2024-01-01", periods=rows, freq="s"),
                          "kind": pd.Categorical(np.array(["a", "b", "c", "d"])[rng.integers(0, 4, rows)]),
                          "label": np.array([f"item {i % 1000}" for i in range(1000)], dtype=object)[
                              rng.integers(0, 1000, rows)]})
    return {"100 MB float64 array": rng.random(100 * 1024 * 1024 // 8),
            "1M-row DataFrame (6 columns, one of str)": frame}


def timed(action, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return times, result


def spread(times: list[float]) -> str:
    return f"{min(times):7.3f} {statistics.median(times):7.3f} {max(times):7.3f}"


def bench(name: str, value: object, store: CacheStore, scratch: Path, runs: int) -> None:
    key = hashlib.sha256(f"value = {name!r}".encode()).hexdigest()
    entry = Entry({"value": value}, code=f"value = {name!r}")
    rows = {}
    rows["pickle.dumps"], data = timed(lambda: pickle.dumps(value, protocol=5), runs)
    rows["pickle.loads"], _ = timed(lambda: pickle.loads(data), runs)
    path = scratch / f"plain-{uuid.uuid4().hex}.pickle"

    def dump_file():
        with open(path, "wb") as file:
            pickle.dump(value, file, protocol=5)

    def load_file():
        with open(path, "rb") as file:
            return pickle.load(file)

    rows["pickle.dump to a file"], _ = timed(dump_file, runs)
    rows["pickle.load from a file"], _ = timed(load_file, runs)
    path.unlink()
    rows["CacheStore.put"], size = timed(lambda: store.put(key, entry), runs)
    rows["CacheStore.get"], loaded = timed(lambda: store.get(key), runs)
    assert loaded is not None
    base = {"put": statistics.median(rows["pickle.dumps"]), "get": statistics.median(rows["pickle.loads"])}
    print(f"\n{name}: pickle {len(data) / 1e6:.1f} MB, entry {size / 1e6:.1f} MB")
    print(f"  {'':26} {'min':>7} {'median':>7} {'max':>7}   ratio to pickle.dumps/loads (medians)")
    for label, times in rows.items():
        against = base["get"] if ("load" in label or label.endswith("get")) else base["put"]
        print(f"  {label:26} {spread(times)}   {statistics.median(times) / against:5.2f}x")
    store.remove(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--location", default=None, help="a directory or fsspec URL (default: a temporary directory)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as scratch:
        scratch = Path(scratch)
        location = options.location or str(scratch / "cache")
        store = CacheStore(location, signer=Signer.for_data_dir(scratch / "jupyter-data"))
        print(f"cache at {location}; {options.runs} runs; seconds (min median max)")
        for name, value in values().items():
            bench(name, value, store, scratch, options.runs)
        store.clear()


if __name__ == "__main__":
    main()
