"""Property: interrupt a cascade at any moment, then run what is stale, and
the namespace is Restart & Run All's (issue 20), through the real kernel.

Random notebooks of plain and ``await`` cells (each reading an earlier one,
so cascades branch and join), an edit of the first cell, an interrupt at a
random moment of the cascade it starts; then "Run stale cells" (each stale
cell requested in notebook order, as the companion's button does).  Every
request gets one reply, and afterwards every value equals a fresh run's.
"""
from __future__ import annotations

import ast
import itertools
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support.client import KernelSession

_prefixes = itertools.count()


@pytest.fixture(scope="module")
def kernel():
    with KernelSession() as session:
        session.execute("import asyncio, time\nimport numpy as np", "setup")
        yield session


@st.composite
def notebooks(draw):
    """(kind, source index, constant) per cell after the first."""
    size = draw(st.integers(4, 14))
    return [(draw(st.sampled_from(["plain", "await", "numpy"])), draw(st.integers(0, i - 1)),
             draw(st.integers(1, 9))) for i in range(1, size)]


def code(prefix: str, i: int, kind: str, source: int, k: int) -> str:
    reads, writes = f"{prefix}{source}", f"{prefix}{i}"
    if kind == "plain":
        return f"{writes} = {reads} + {k}\ntime.sleep(0.01)"
    if kind == "await":
        return f"await asyncio.sleep(0.01)\n{writes} = {reads} * 2 + {k}"
    return f"{writes} = int(np.int64({reads}) - {k})\ntime.sleep(0.01)"


def expected(first: int, cells) -> list[int]:
    values = [first]
    for kind, source, k in cells:
        v = values[source]
        values.append(v + k if kind == "plain" else v * 2 + k if kind == "await" else v - k)
    return values


def values(kernel: KernelSession, prefix: str, n: int) -> list:
    return ast.literal_eval(kernel.value(f"[globals().get('{prefix}{{}}'.format(i)) for i in range({n})]"))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=notebooks(), delay=st.floats(0.0, 0.15), first=st.integers(10, 99))
def test_an_interrupted_cascade_and_run_stale_cells_give_restart_and_run_all(kernel, cells, delay, first):
    prefix = f"p{next(_prefixes)}_"
    ids = [f"{prefix}c{i}" for i in range(len(cells) + 1)]
    sources = [f"{prefix}0 = 1"] + [code(prefix, i + 1, *cell) for i, cell in enumerate(cells)]
    for source, cell_id in zip(sources, ids):
        assert kernel.execute(source, cell_id).status == "ok"

    timer = threading.Timer(delay, kernel.manager.interrupt_kernel)
    timer.start()
    sources[0] = f"{prefix}0 = {first}"
    edit = kernel.execute(sources[0], ids[0], timeout=60)
    timer.join()
    time.sleep(0.05)  # an interrupt that came after the reply lands while idle (ignored)
    assert edit.reply["content"]["status"] in ("ok", "error")
    assert kernel.manager.is_alive()

    # "Run stale cells": each stale cell, in notebook order, until none is left
    for _ in range(len(ids)):
        stale = set(ast.literal_eval(kernel.value("sorted(get_ipython().kernel.engine.stale)")))
        mine = [i for i, cell_id in enumerate(ids) if cell_id in stale]
        if not mine:
            break
        assert kernel.execute(sources[mine[0]], ids[mine[0]], timeout=60).status == "ok"
    assert values(kernel, prefix, len(ids)) == expected(first, cells)
