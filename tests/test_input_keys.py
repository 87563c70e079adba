"""Issue 22, the engine's side of the cell cache: input keys (core/keys.py)
and a Run that takes a step's values from a cache instead of running it.

The cache here is a dict filled after each completed step, standing for the
persistent store of ``reactive_kernel.cache`` (tested in
tests/test_cache_store.py and through the kernel)."""
from __future__ import annotations

import copy
import types

from reactive_kernel.core.engine import Engine
from reactive_kernel.core.keys import InputKeys
from reactive_kernel.vocabulary import OK

CELLS = [("load", "import math\ncalls = globals().get('calls', 0)\nbase = [1, 2, 3]"),
         ("scale", "k = 10\nscaled = [v * k for v in base]"),
         ("total", "total = sum(scaled) + math.floor(0.5)")]


def run(engine: Engine, cell_id: str, code: str, cache: dict, ran: list):
    """Request a cell; steps whose key the cache holds are loaded."""
    r = engine.request(cell_id, code)

    def loader(step, key):
        entry = cache.get(key)
        if entry is None:
            return False
        engine.namespace.update({n: _stored(v) for n, v in entry.items()})
        return True

    r.loader = loader
    for step in r:
        exec(compile(step.cell.code, step.cell.id, "exec"), engine.namespace)
        ran.append(step.cell.id)
        r.finish(step, OK)
        key = r.keys.get(step.cell.id)
        if key is not None:
            cache[key] = {n: _stored(engine.namespace[n]) for n in step.cell.bound if n.isidentifier()}
    return r.report


def _stored(value):
    """A copy, as a store's round trip gives (modules by reference)."""
    return value if isinstance(value, types.ModuleType) else copy.deepcopy(value)


def keys(engine: Engine) -> dict:
    k = InputKeys(engine.graph, engine.cells, engine.transform)
    return {c: k.key(c) for c, _ in CELLS}


def test_keys_change_with_an_ancestors_code_and_only_below_it():
    e = Engine()
    for c, code in CELLS:
        e.run(c, code)
    before = keys(e)
    assert all(before.values())
    e.run("scale", "k = 20\nscaled = [v * k for v in base]")
    after = keys(e)
    assert after["load"] == before["load"]
    assert after["scale"] != before["scale"] and after["total"] != before["total"]
    e.run("scale", CELLS[1][1])
    assert keys(e) == before  # the same code and inputs: the same keys


def test_after_a_restart_the_ancestors_come_from_the_cache():
    cache, ran = {}, []
    first = Engine()
    for c, code in CELLS:
        run(first, c, code, cache, ran)
    assert ran == ["load", "scale", "total"]
    restarted = Engine()  # a new kernel: the page's cells are known, none ran
    restarted.know_sources(CELLS)
    ran.clear()
    report = run(restarted, "total", CELLS[2][1], cache, ran)
    assert ran == []  # nothing executed: the target too had an entry
    assert [(e.cell_id, e.cached) for e in report.ran] == [("load", True), ("scale", True), ("total", True)]
    assert restarted.namespace["total"] == 60 and restarted.stale_cells() == []
    assert report.to_json()["ran"][0] == {"cell_id": "load", "role": "ancestor", "status": "ok", "cached": True}


def test_an_edit_on_screen_is_never_served_from_an_older_entry():
    cache, ran = {}, []
    first = Engine()
    for c, code in CELLS:
        run(first, c, code, cache, ran)
    restarted = Engine()
    edited = [CELLS[0], ("scale", "k = 3\nscaled = [v * k for v in base]"), CELLS[2]]
    restarted.know_sources(edited)
    ran.clear()
    run(restarted, "total", CELLS[2][1], cache, ran)
    assert ran == ["scale", "total"]  # load from the cache, the edited cell and its reader run
    assert restarted.namespace["total"] == 18


def test_an_unseeded_draw_has_no_key():
    e = Engine()
    e.run("r", "import random\nx = random.random()")
    e.run("s", "y = x * 2")
    k = InputKeys(e.graph, e.cells)
    assert k.key("r") is None and k.key("s") is None


def test_a_failing_loader_costs_nothing():
    e = Engine()
    r = e.request("a", "a = 1")
    r.loader = lambda step, key: 1 / 0
    for step in r:
        exec(step.cell.code, e.namespace)
        r.finish(step, OK)
    assert e.namespace["a"] == 1 and r.report.ran[0].cached is False


KEYS_SCRIPT = """
import json
from reactive_kernel.core.engine import Engine
from reactive_kernel.core.keys import InputKeys
cells = json.loads({cells!r})
engine = Engine()
for cell_id, code in cells:
    engine.run(cell_id, code)
keys = InputKeys(engine.graph, engine.cells, engine.transform)
print(json.dumps({{c: keys.key(c) for c, _ in cells}}))
"""


def test_keys_are_the_same_in_another_process():
    """Two kernels share one cache directory: the same cells must give the
    same keys whatever the process's hash seed."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path
    engine = Engine()
    for cell_id, code in CELLS:
        engine.run(cell_id, code)
    here = keys(engine)
    assert all(here.values())
    script = KEYS_SCRIPT.format(cells=json.dumps(CELLS))
    for seed in ("0", "12345"):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).resolve().parents[1], env={**os.environ, "PYTHONHASHSEED": seed})
        assert json.loads(done.stdout) == here
