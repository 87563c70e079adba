"""The kernel's cache policy, in process (issue 22): which cells are stored
and served, what the engine cannot see, and what a served cell leaves.

A request is walked as the kernel walks it (``Run.loader`` serves, a
completed step is saved), over a real store in a temporary directory; the
kernel's own wiring is tested in tests/test_cache_kernel.py."""
from __future__ import annotations

import logging
import time

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from reactive_kernel.analysis.cells import analyze
from reactive_kernel.core.engine import Engine as _Engine
from reactive_kernel.jupyter.cache import (
    CellCache, opted_in, parse_size, recording_of, unseen_effects, without_opt_in,
)
from reactive_kernel.jupyter.outputs import nbformat_outputs
from reactive_kernel.vocabulary import OK

LOG = logging.getLogger("test")


def Engine() -> _Engine:
    """An engine that reads cells as IPython does (``%%cache`` is a cell magic),
    its namespace named as IPython's is."""
    return _Engine({"__name__": "__main__"}, transform=TransformerManager().transform_cell)


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path


def cache_for(engine: Engine, where) -> CellCache:
    return CellCache(engine, LOG, location=str(where / "cache"), data_dir=str(where / "data"))


def request(engine: Engine, cache: CellCache, cell_id: str, code: str, ran: list) -> list:
    """One request walked as the kernel walks it; what each step did."""
    run = engine.request(cell_id, code)
    run.loader = lambda step, key: cache.load(run, step, key) is not None
    for step in run:
        # what the %%cache magic does: its body runs as it is
        exec(compile(without_opt_in(step.cell.code), step.cell.id, "exec"), engine.namespace)
        ran.append(step.cell.id)
        run.finish(step, OK)
        cache.save(run, step, True, None, seconds=2.0)
    return [(e.cell_id, e.role, e.cached) for e in run.report.ran]


def test_opting_in_sizes_and_labels():
    assert opted_in("%%cache\nx = 1") and opted_in("  %%cache  \nx = 1") and opted_in("%%cache")
    assert not opted_in("%%cached\nx = 1") and not opted_in("x = 1\n%%cache") and not opted_in("")
    assert without_opt_in("%%cache\nx = 1") == "x = 1" and without_opt_in("x = 1") == "x = 1"
    assert parse_size("10G") == 10 << 30 and parse_size("500 MB") == 500 << 20
    assert parse_size("1.5k") == 1536 and parse_size("123") == 123
    assert parse_size("none") is None and parse_size("0") is None
    with pytest.raises(ValueError):
        parse_size("lots")


def test_what_the_engine_cannot_see():
    import datetime
    import subprocess
    import uuid

    namespace = {"time": time, "datetime": datetime.datetime, "uuid": uuid, "subprocess": subprocess,
                 "sleep_for": 1}

    def unseen(code):
        return unseen_effects(analyze(code).calls, namespace)

    assert unseen("t = time.time()") == ["time.time (the clock)"]
    assert unseen("d = datetime.now()") == ["datetime.now (the clock)"]
    assert unseen("i = uuid.uuid4()\nj = uuid.uuid4()") == ["uuid.uuid4 (a random id)"]
    assert unseen("answer = input('?')") == ["input (a person's input)"]
    assert unseen("subprocess.run(['ls'])") == ["subprocess.run (another program)"]
    assert unseen("time.sleep(sleep_for)\nx = sum(range(10))") == []
    assert unseen("def f():\n    return time.time()") == []  # defined, not called


def test_the_policy_says_why_a_cell_is_not_stored(cache_dir):
    import time as clock

    engine = Engine()
    engine.namespace["time"] = clock
    cache = cache_for(engine, cache_dir)
    engine.run("plain", "x = 1")
    engine.run("clocked", "t = time.time()")
    plain, clocked = engine.cells["plain"], engine.cells["clocked"]
    assert "not opted in" in cache.why_not_stored(plain, 10.0)
    cache.auto, cache.threshold = True, 1.0
    assert "under the auto mode's threshold" in cache.why_not_stored(plain, 0.5)
    assert cache.why_not_stored(plain, 1.5) is None
    assert "time.time (the clock)" in cache.why_not_stored(clocked, 5.0)
    cache.enabled = False
    assert "the cache is off" in cache.why_not_stored(plain, 5.0)


def test_a_cell_writing_a_file_or_seeding_for_another_is_never_cached(cache_dir, monkeypatch):
    import random

    monkeypatch.chdir(cache_dir)
    engine = Engine()
    cache = cache_for(engine, cache_dir)
    cache.auto, cache.threshold = True, 0.0
    engine.run("w", "with open('out.txt', 'w') as f:\n    f.write('x')")
    assert "writes the file out.txt" in cache.why_not_stored(engine.cells["w"], 5.0)
    engine.namespace["random"] = random
    engine.run("s", "random.seed(1)\nk = 3")
    engine.run("d", "v = random.random()")
    assert "random:random" in cache.why_not_stored(engine.cells["s"], 5.0)


def test_a_restart_serves_opted_in_and_unrun_ancestors_only_where_entries_exist(cache_dir):
    cells = [("a", "%%cache\nbase = [1, 2, 3]"), ("b", "scaled = [v * 10 for v in base]"),
             ("c", "total = sum(scaled)")]
    first = Engine()
    cache, ran = cache_for(first, cache_dir), []
    for cell_id, code in cells:
        request(first, cache, cell_id, code, ran)
    assert ran == ["a", "b", "c"] and len(cache.store.entries()) == 1  # only the %%cache cell
    restarted = Engine()
    restarted.know_sources(cells)
    cache, ran = cache_for(restarted, cache_dir), []
    steps = request(restarted, cache, "c", cells[2][1], ran)
    assert steps == [("a", "ancestor", True), ("b", "ancestor", False), ("c", "target", False)]
    assert ran == ["b", "c"] and restarted.namespace["total"] == 60
    assert cache.notes["a"].what == "served" and "not opted in" in cache.notes["b"].why


def test_auto_mode_serves_any_role_and_a_rebuild_ancestor_is_served_without_opting_in(cache_dir):
    cells = [("a", "base = [1, 2, 3]"), ("b", "n = len(base)"), ("c", "base = 'other'")]
    engine = Engine()
    cache, ran = cache_for(engine, cache_dir), []
    cache.auto, cache.threshold = True, 0.0
    for cell_id, code in cells:
        request(engine, cache, cell_id, code, ran)
    cache.auto = False
    ran.clear()
    # b again, edited: it reads base from a, whose value c replaced: a reruns only to rebuild it
    steps = request(engine, cache, "b", "n = len(base) + 0", ran)
    assert ("a", "ancestor", True) in steps and "a" not in ran
    run = engine.request("b", "n = len(base) + 1")
    assert isinstance(run.rebuilds, frozenset)
    for step in run:
        exec(step.cell.code, engine.namespace)
        run.finish(step, OK)
    assert engine.namespace["n"] == 4 and engine.namespace["base"] == "other"


def test_a_served_notebook_function_lives_in_the_notebook(cache_dir):
    cells = [("k", "k = 2"), ("f", "%%cache\ndef double(v):\n    return v * k\nclass Box:\n"
                                     "    def get(self):\n        return k\n    @staticmethod\n"
                                     "    def twice():\n        return 2 * k"),
             ("use", "r = double(5)")]
    first = Engine()
    cache, ran = cache_for(first, cache_dir), []
    for cell_id, code in cells:
        request(first, cache, cell_id, code, ran)
    restarted = Engine()
    restarted.know_sources(cells)
    cache, ran = cache_for(restarted, cache_dir), []
    request(restarted, cache, "use", cells[2][1], ran)
    assert "f" not in ran and restarted.namespace["r"] == 10
    ns = restarted.namespace
    assert ns["double"].__globals__ is ns
    ns["k"] = 7  # reads the notebook's k, as a function defined there does
    assert ns["double"](1) == 7 and ns["Box"]().get() == 7 and ns["Box"].twice() == 14


def test_stored_outputs_come_back_as_a_recording():
    outputs = [{"output_type": "stream", "name": "stdout", "text": "hi\n"},
               {"output_type": "display_data", "data": {"text/plain": "d"}, "metadata": {}},
               {"output_type": "execute_result", "execution_count": 3, "data": {"text/plain": "r"}, "metadata": {}},
               {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t"]}]
    assert nbformat_outputs(recording_of(outputs).parts, 3) == outputs


def test_credentials_are_never_stored_and_labels_are_masked(cache_dir):
    cells = [("url", "%%cache\nsize = len('postgresql://admin:hunter2@db.example.com/prod')"),
             ("secret", "%%cache\ndsn = 'postgresql://admin:hunter2@db.example.com/prod'")]
    engine = Engine()
    cache, ran = cache_for(engine, cache_dir), []
    for cell_id, code in cells:
        request(engine, cache, cell_id, code, ran)
    labels = [info.label for info in cache.store.entries()]
    assert len(labels) == 1 and "size = len(" in labels[0] and "hunter2" not in labels[0]
    assert cache.notes["secret"].what == "not stored" and "credential" in cache.notes["secret"].why
    assert "hunter2" not in "\n".join(cache.explain("url", "url"))
