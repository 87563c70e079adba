"""Issue 21, stateful library objects: asking a job manager, an executor or
a pool, or handing it work, does not change the object later cells see, so a
reader reruns alone instead of rebuilding the manager (and restarting its
background jobs).  The knowledge is data in ``core/effects_table.py``."""
from __future__ import annotations

from reactive_kernel.core.engine import Engine
from tests.test_needless_reruns import ran, run_cells


def test_background_job_status_is_a_read():
    cells = [("m", "from IPython.lib import backgroundjobs as bg\njobs = bg.BackgroundJobManager()"),
             ("j", "import time\njob = jobs.new(time.sleep, 0.01)"),
             ("s", "jobs.status()\nrunning = len(jobs.running)")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("s", cells[2][1])) == ["s"]
    assert "jobs" in e.graph.names["j"].mutations  # starting a job does change the manager


def test_submitting_to_an_executor_reruns_only_the_submitting_cell():
    cells = [("x", "from concurrent.futures import ThreadPoolExecutor\nex = ThreadPoolExecutor(2)"),
             ("f", "fut = ex.submit(sum, [1, 2])\nv = fut.result()"), ("g", "w = v + 1")]
    e = Engine()
    run_cells(e, cells)
    assert ran(e.run("f", cells[1][1])) == ["f"]  # v is the same number: w stays
    assert e.namespace["w"] == 4
    assert "ex" in e.graph.names["f"].reads and "ex" not in e.graph.names["f"].mutations


def test_a_pool_map_is_a_read_and_close_a_change():
    cells = [("p", "from multiprocessing.pool import ThreadPool\npool = ThreadPool(2)"),
             ("m", "squares = pool.map(abs, [-1, -2])"), ("c", "pool.close()")]
    e = Engine()
    run_cells(e, cells)
    assert "pool" not in e.graph.names["m"].mutations
    assert "pool" in e.graph.names["c"].mutations
