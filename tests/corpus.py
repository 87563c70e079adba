"""Support code for the third-party notebook corpus (../shared/corpus).

A notebook is run the way a frontend runs it: one kernel started with
jupyter_client in a scratch copy of the notebook's folder, one execute_request
per code cell carrying ``metadata.cellId``, and IOPub applied to per-cell
output lists like JupyterLab does (``clear_output``, display ids updated in
place wherever they were shown).  On top of that: text normalisation, the
cell-by-cell comparison of a reactive Run All with a plain one, namespace
fingerprints, numeric-literal edits, and the default selection.

Used by tests/test_corpus.py and benchmarks/corpus_report.py.
"""
from __future__ import annotations

import ast
import builtins
import fnmatch
import json
import os
import queue
import random
import re
import shutil
import statistics
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

from reactive_kernel.jupyter.outputs import is_anchor

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("CORPUS_DIR", ROOT.parent / "shared" / "corpus"))
NOTEBOOKS = CORPUS / "notebooks"

CELL_TIMEOUT = float(os.environ.get("CORPUS_CELL_TIMEOUT", 120))
#: default selection: sum of MANIFEST seconds_plain (plain Run All, kernel start included)
BUDGET = float(os.environ.get("CORPUS_BUDGET", 150))
#: notebooks with raising cells are all selected by default when at most this slow
RAISING_CAP = 12.0
#: other notebooks are added to the default selection only when at most this slow
CHEAP = 6.0
ACTIONS = int(os.environ.get("CORPUS_ACTIONS", 4))
#: kernel names; CORPUS_REACTIVE=python3 validates the harness with plain ipykernel on both sides
PLAIN = "python3"
REACTIVE = os.environ.get("CORPUS_REACTIVE", "reactive")


# -- the corpus ------------------------------------------------------------------------

def manifest() -> list[dict]:
    """MANIFEST entries, with ``name`` = the path under notebooks/ (e.g. pydata-book/ch06.ipynb)."""
    path = CORPUS / "MANIFEST.json"
    if not path.exists():
        return []
    entries = json.loads(path.read_text())["notebooks"]
    for e in entries:
        e["name"] = e["path"].removeprefix("notebooks/")
    return sorted(entries, key=lambda e: e["name"])


def folder(entry: dict) -> str:
    return entry["name"].split("/", 1)[0]


def select(entries: list[dict], spec: str | None = None, budget: float = BUDGET) -> list[dict]:
    """The notebooks to run; see tests/test_corpus.py's docstring."""
    spec = os.environ.get("CORPUS", "") if spec is None else spec
    if spec == "all":
        return list(entries)
    if spec:
        globs = [g.strip() for g in spec.split(",") if g.strip()]
        return [e for e in entries if any(fnmatch.fnmatch(e["name"], g)
                                          or e["name"].startswith(g.rstrip("/") + "/") for g in globs)]
    chosen = {e["name"]: e for e in entries
              if e["cells_that_raise"] and e["seconds_plain"] <= RAISING_CAP}
    by_folder: dict[str, list[dict]] = {}
    for e in sorted(entries, key=lambda e: (e["seconds_plain"], e["name"])):
        by_folder.setdefault(folder(e), []).append(e)
    for queue_ in by_folder.values():  # every folder: its cheapest notebook
        chosen.setdefault(queue_[0]["name"], queue_[0])
    spent = sum(e["seconds_plain"] for e in chosen.values())
    # then the cheapest of the rest, taking turns over the folders, while the budget lasts
    turns = sorted((rank, e["seconds_plain"], e["name"]) for q in by_folder.values()
                   for rank, e in enumerate(x for x in q if x["name"] not in chosen))
    named = {e["name"]: e for e in entries}
    for _, seconds, name in turns:
        if seconds <= CHEAP and spent + seconds <= budget:
            chosen[name] = named[name]
            spent += seconds
    return sorted(chosen.values(), key=lambda e: e["name"])


@dataclass
class Cell:
    index: int  # in the notebook's full cells list (markdown included), as MANIFEST counts
    id: str
    code: str


def code_cells(entry: dict) -> list[Cell]:
    nb = nbformat.read(CORPUS / entry["path"], as_version=4)
    return [Cell(i, c.get("id") or f"cell-{i}", c.source)
            for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def kernel_name(name: str) -> str:
    """``python3`` may be missing from a venv's kernelspecs: fall back to ipykernel's own."""
    try:
        KernelSpecManager().get_kernel_spec(name)
        return name
    except NoSuchKernel:
        if name != "python3":
            raise
        from ipykernel.kernelspec import install
        prefix = tempfile.mkdtemp(prefix="corpus-kernelspec-")
        install(prefix=prefix)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [str(Path(prefix) / "share" / "jupyter"), os.environ.get("JUPYTER_PATH", "")])
        return name


# -- a frontend ------------------------------------------------------------------------

@dataclass
class Reply:
    """One execute_request as the frontend saw it."""
    cell_id: str
    status: str  # ok | error | aborted | timeout | dead
    ename: str | None
    reactive: dict | None
    seconds: float


class Frontend:
    """A kernel in a scratch copy of a notebook's folder, and the notebook's
    output areas as JupyterLab keeps them."""

    def __init__(self, name: str, entry: dict, cache: bool = False):
        self.kernel_name = name
        # the whole source folder: notebooks read ../data and the like
        self.scratch = Path(tempfile.mkdtemp(prefix="corpus-"))
        rel = Path(entry["path"]).relative_to("notebooks")
        shutil.copytree(NOTEBOOKS / rel.parts[0], self.scratch / rel.parts[0], symlinks=True)
        self.cwd = self.scratch / rel.parent
        env = {**os.environ, "PYTHONHASHSEED": "0"}  # same set/dict-of-str order in every kernel
        #: cache mode: the cell cache on in auto mode with threshold 0, entries, signing key and
        #: the session's saved notebook in a folder of their own (outside the notebook's folder,
        #: which the notebook may list)
        self.cache = cache
        self.session: Path | None = None
        if cache:
            self.cache_root = Path(tempfile.mkdtemp(prefix="corpus-cache-"))
            self.session = self.cache_root / "notebook.ipynb"
            self.save(code_cells(entry))
            env.update(REACTIVE_KERNEL_CACHE=str(self.cache_root / "entries"),
                       JUPYTER_DATA_DIR=str(self.cache_root / "data"), JPY_SESSION_NAME=str(self.session))
        self.km = KernelManager(kernel_name=kernel_name(name))
        self.km.start_kernel(cwd=str(self.cwd), env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=90)
        self.outputs: dict[str, list[dict]] = {}
        self.displays: dict[str, list[tuple[str, int]]] = {}
        self._clear_wait: set[str] = set()
        self.dead = False
        if cache:
            self.cache_on()

    # the cell cache (cache mode)
    def cache_on(self) -> None:
        """``%reactive cache auto 0``: every cell that completes is stored (where
        the policy allows) and served in any role.  A kernel forgets it on restart."""
        self.silent("%reactive cache auto 0")
        shown = self.silent("print(get_ipython().kernel.cache.settings())")
        if "auto (cells that run 0 s" not in shown and not self.dead:
            raise RuntimeError(f"the cache did not go into auto mode: {shown!r}")

    def save(self, cells: list[Cell]) -> None:
        """The session's notebook file as a frontend saves it: the current codes
        under the requests' cell ids (what a restarted kernel knows its cells by)."""
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c.code, id=c.id) for c in cells])
        nbformat.write(nb, str(self.session))

    def restart(self, cells: list[Cell]) -> None:
        """Save, restart the kernel (the page keeps its outputs), turn the cache on again."""
        self.save(cells)
        self.km.restart_kernel(now=True)
        self.kc.wait_for_ready(timeout=90)
        self.cache_on()

    # requests
    def send(self, code: str, cell_id: str | None, silent: bool = False) -> str:
        content = {"code": code, "silent": silent, "store_history": not silent,
                   "user_expressions": {}, "allow_stdin": False, "stop_on_error": False}
        metadata = {"cellId": cell_id} if cell_id else {}
        msg = self.kc.session.msg("execute_request", content, metadata=metadata)
        self.kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def run(self, cell_id: str, code: str, timeout: float = CELL_TIMEOUT) -> Reply:
        """Run a cell; its outputs replace the cell's previous ones."""
        if self.dead:
            return Reply(cell_id, "dead", None, None, 0.0)
        start = time.perf_counter()
        self.outputs[cell_id] = []
        self._forget(cell_id)
        msg_id = self.send(code, cell_id)
        status = self._pump(msg_id, lambda m: self._apply(cell_id, m), timeout)
        reply = self._reply(msg_id, timeout) if status == "ok" else None
        if reply is None:
            return Reply(cell_id, "dead" if status == "ok" else status, None, None,
                         time.perf_counter() - start)
        c = reply["content"]
        return Reply(cell_id, c["status"], c.get("ename"), reply.get("metadata", {}).get("reactive"),
                     time.perf_counter() - start)

    def silent(self, code: str, timeout: float = 120) -> str:
        """stdout of a silent request (never registered, no history)."""
        if self.dead:
            return ""
        out: list[str] = []
        msg_id = self.send(code, None, silent=True)

        def keep(m):
            if m["msg_type"] == "stream" and m["content"]["name"] == "stdout":
                out.append(m["content"]["text"])
        if self._pump(msg_id, keep, timeout) == "ok":
            self._reply(msg_id, timeout)
        return "".join(out)

    def _pump(self, msg_id: str, handle, timeout: float) -> str:
        """IOPub until the kernel is idle for msg_id; interrupt after ``timeout``."""
        deadline = time.monotonic() + timeout
        interrupted = False
        while True:
            try:
                m = self.kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                if not self.km.is_alive():
                    self.dead = True
                    return "dead"
                if time.monotonic() > deadline:
                    if interrupted:
                        self.dead = True
                        return "dead"
                    self.km.interrupt_kernel()
                    interrupted, deadline = True, time.monotonic() + 30
                continue
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "status":
                if m["content"]["execution_state"] == "idle":
                    if interrupted:
                        self._reply(msg_id, 10)
                        return "timeout"
                    return "ok"
                continue
            handle(m)

    def _reply(self, msg_id: str, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                r = self.kc.get_shell_msg(timeout=1)
            except queue.Empty:
                continue
            if r["parent_header"].get("msg_id") == msg_id:
                return r
        return None

    # output areas
    def _forget(self, cell_id: str) -> None:
        for did, places in self.displays.items():
            self.displays[did] = [p for p in places if p[0] != cell_id]

    def _apply(self, cell_id: str, m: dict) -> None:
        kind, c = m["msg_type"], m["content"]
        if kind == "clear_output":
            if c.get("wait"):
                self._clear_wait.add(cell_id)
            else:
                self.outputs[cell_id] = []
                self._forget(cell_id)
            return
        if kind == "update_display_data":
            did = c.get("transient", {}).get("display_id")
            for target, i in self.displays.get(did, []):
                old = self.outputs[target][i]
                self.outputs[target][i] = {**old, "data": c.get("data", {}),
                                           "metadata": c.get("metadata", {})}
            return
        if kind not in ("stream", "display_data", "execute_result", "error"):
            return
        if cell_id in self._clear_wait:
            self._clear_wait.discard(cell_id)
            self.outputs[cell_id] = []
            self._forget(cell_id)
        area = self.outputs.setdefault(cell_id, [])
        if kind == "stream":
            if area and area[-1]["output_type"] == "stream" and area[-1]["name"] == c["name"]:
                area[-1]["text"] += c["text"]
            else:
                area.append({"output_type": "stream", "name": c["name"], "text": c["text"]})
            return
        out = {"output_type": kind, **{k: c.get(k) for k in ("data", "metadata", "ename")}}
        area.append(out)
        did = c.get("transient", {}).get("display_id")
        if did:
            self.displays.setdefault(did, []).append((cell_id, len(area) - 1))

    def view(self, cell_id: str) -> dict:
        """A cell's output area as compared: stream text, text/plain of results
        and displays, error names."""
        streams, plain, errors, texts = [], [], [], []
        for o in self.outputs.get(cell_id, []):
            if o["output_type"] == "stream":
                streams.append(o["text"])
                texts.append(o["text"])
            elif o["output_type"] == "error":
                errors.append(o["ename"])
            elif is_anchor(o.get("data") or {}):
                continue  # a silent cell's invisible display
            else:
                text = (o.get("data") or {}).get("text/plain", "")
                plain.append("".join(text) if isinstance(text, list) else text)
                texts.append(plain[-1] + "\n")
        return {"stream": normalize("".join(streams), self.scratch),
                "plain": [normalize(t, self.scratch) for t in plain], "errors": errors,
                # everything shown as text, in order: tells "same text, other output kinds" apart
                "text": " ".join(normalize("".join(texts), self.scratch).split())}

    # namespace
    def fingerprint(self) -> dict[str, str] | None:
        out = self.silent(FINGERPRINT_CALL)
        for line in out.splitlines():
            if line.startswith(_FP_MARK):
                return json.loads(line[len(_FP_MARK):])
        return None

    def readers(self, cell_id: str) -> set[str] | None:
        """Cells that read what ``cell_id`` writes, asked of the reactive engine (None: unknown)."""
        out = self.silent("try:\n    print('READERS' + __import__('json').dumps(sorted("
                          f"get_ipython().kernel.engine.readers({cell_id!r}))))\n"
                          "except Exception:\n    pass")
        for line in out.splitlines():
            if line.startswith("READERS"):
                return set(json.loads(line[len("READERS"):]))
        return None

    def plan_links(self, cell_ids: list[str]) -> dict | None:
        """How the cells of a plan are tied together, asked of the reactive
        engine's graph (None: unknown): per cell, the names it reads from other
        cells of the plan (name -> provider), the names it gives to them
        (name -> readers), for each given name the nearest later writer (the
        reason an input is gone) and whether that writer mutates or imports it,
        and the cell's own mutations, bindings and imports."""
        out = self.silent(PLAN_LINKS_CALL % (cell_ids,))
        for line in out.splitlines():
            if line.startswith(_LINKS_MARK):
                return json.loads(line[len(_LINKS_MARK):])
        return None

    def close(self) -> None:
        try:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)
            if self.cache:
                shutil.rmtree(self.cache_root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# -- normalisation ---------------------------------------------------------------------

_RULES = [
    (re.compile(r"\x1b\[[0-9;]*[A-Za-z]"), ""),
    (re.compile(r"0x[0-9a-fA-F]{4,}"), "0x?"),
    (re.compile(r"/tmp/ipykernel_\d+/\d+\.py|<ipython-input-[^>]*>|/tmp/[\w./-]*?\.py"), "<cell>"),
    (re.compile(r"(?m)^(\S*?):\d+: (\w*Warning)"), r"\1:?: \2"),
    (re.compile(r"(?m)^.*(\d+%\|| it/s|s/it\]).*$\n?"), ""),  # tqdm
    (re.compile(r"(?m)^(Wall time|CPU times|Time|Date):.*$"), r"\1: ?"),
    (re.compile(r"(?m)^.*per loop \(mean ± std.*$"), "<timeit>"),
    # %timeit's note when its runs varied a lot: printed or not by the machine's load
    (re.compile(r"(?m)^The slowest run took .* times longer than the fastest\..*$\n?"), ""),
    (re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4}\b"), "<date>"),
    (re.compile(r"\b\d\d:\d\d:\d\d\b"), "<time>"),
    (re.compile(r"\b\d+(\.\d+)?\s?(s|ms|µs|us|ns|sec|seconds)\b"), "<t>"),
    (re.compile(r"(?<![\d.])\d{14,16}(?![\d.])"), "<id>"),  # id() values
    (re.compile(r"[ \t]+$", re.M), ""),
]


def terminal(text: str) -> str:
    """What a terminal shows: a carriage return rewrites its line."""
    return "\n".join(next((p for p in reversed(line.split("\r")) if p), "") if "\r" in line else line
                     for line in text.split("\n"))


def normalize(text: str, scratch: Path | None = None) -> str:
    text = terminal(text)
    if scratch is not None:
        text = text.replace(str(scratch), "<scratch>")
    text = re.sub(r"/tmp/corpus-\w+", "<scratch>", text)
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return text


# -- Run All ---------------------------------------------------------------------------

@dataclass
class RunAll:
    kernel: str
    cells: list[dict]  # per code cell: index, id, status, ename, reactive, view, seconds
    seconds: float
    fingerprint: dict | None = None

    def failed_ids(self) -> set[str]:
        return {c["id"] for c in self.cells if c["status"] != "ok"}


def run_all(front: Frontend, cells: list[Cell], fingerprint: bool = False) -> RunAll:
    start = time.perf_counter()
    replies = [front.run(c.id, c.code) for c in cells]
    seconds = time.perf_counter() - start
    rows = [{"index": c.index, "id": c.id, "status": r.status, "ename": r.ename,
             "reactive": r.reactive, "seconds": round(r.seconds, 3), "view": front.view(c.id)}
            for c, r in zip(cells, replies)]
    return RunAll(front.kernel_name, rows, seconds, front.fingerprint() if fingerprint else None)


_PLAIN_CACHE: dict[tuple, RunAll] = {}


def plain_run_all(entry: dict, cells: list[Cell], run: int = 0) -> RunAll:
    """A fresh plain-ipykernel Run All of these codes, with a fingerprint; cached
    per notebook, code version and run number (two runs expose non-determinism)."""
    key = (entry["name"], tuple(c.code for c in cells), run)
    if key not in _PLAIN_CACHE:
        with Frontend(PLAIN, entry) as front:
            _PLAIN_CACHE[key] = run_all(front, cells, fingerprint=True)
    return _PLAIN_CACHE[key]


def is_cancelled(row: dict) -> bool:
    """Reported by the reactive kernel as not run because an upstream cell failed."""
    if row["ename"] and ("Upstream" in row["ename"] or "Cancel" in row["ename"]):
        return True
    ran = (row["reactive"] or {}).get("ran") or []
    return any(e.get("cell_id") == row["id"] and e.get("status") == "cancelled" for e in ran)


def run_counts(rows: list[dict]) -> dict[str, int]:
    """How often each cell ran over a sequence of replies (cancelled entries are not runs)."""
    counts: dict[str, int] = {}
    for row in rows:
        for e in (row["reactive"] or {}).get("ran") or []:
            if e.get("status") != "cancelled":
                counts[e.get("cell_id")] = counts.get(e.get("cell_id"), 0) + 1
    return counts


def _kinds(view: dict) -> dict:
    return {"stream": bool(view["stream"]), "text/plain": len(view["plain"]), "errors": view["errors"]}


def folded(plain: dict, reactive: dict) -> bool:
    """The reactive cell shows one text/plain display holding the text (and
    tracebacks) that plain ipykernel shows as streams, results and errors."""
    return (_kinds(plain) != _kinds(reactive) and not reactive["stream"] and not reactive["errors"]
            and len(reactive["plain"]) == 1 and plain["text"] in reactive["text"]
            and all(e in reactive["text"] for e in plain["errors"]))


def compare_run_all(plain: RunAll, reactive: RunAll, plain2: RunAll | None = None) -> tuple[list[dict], dict]:
    """Differences (kind, cell index, detail) of a reactive Run All from a plain
    one, and counts of the allowed ones.  Outputs that differ between two plain
    Run Alls (``plain2``: unseeded random, clocks) are not compared."""
    diffs: list[dict] = []
    allowed = {"cancelled_upstream": 0, "non_deterministic_outputs": 0, "folded_same_text": 0}
    noisy = {p["id"] for p, q in zip(plain.cells, plain2.cells) if p["view"] != q["view"]} if plain2 else set()
    counts = run_counts(reactive.cells)
    failed_in_plain = plain.failed_ids()

    def diff(kind, row, **detail):
        diffs.append({"kind": kind, "index": row["index"], "id": row["id"], **detail})

    for p, r in zip(plain.cells, reactive.cells):
        meta = r["reactive"] or {}
        error = meta.get("error") or {}
        if isinstance(error, dict) and error.get("kind") == "cycle":
            diff("refused", r, message=error.get("message"))
            continue
        if r["reactive"] is None and REACTIVE != PLAIN:
            diff("no metadata.reactive", r)
        n = counts.get(r["id"], 0)
        syntax = (error.get("kind") if isinstance(error, dict) else None) == "syntax" or \
            r["ename"] in ("SyntaxError", "IndentationError")
        if REACTIVE != PLAIN and r["status"] in ("ok", "error") and not (n == 1 or (n == 0 and (syntax or is_cancelled(r)))):
            by = [row["index"] for row in reactive.cells
                  if any(e.get("cell_id") == r["id"] for e in (row["reactive"] or {}).get("ran") or [])]
            diff("ran more than once" if n > 1 else "not in ran", r, count=n, in_replies_of_cells=by)
        if p["status"] != "ok" and r["status"] != "ok" and is_cancelled(r):
            allowed["cancelled_upstream"] += 1
            continue
        if p["status"] == "ok" and r["status"] != "ok":
            # allowed by the spec: the cell reads from a cell that failed (in
            # plain too), where plain computes from an outdated value
            cause = (error.get("cell_id") if isinstance(error, dict) else None)
            if is_cancelled(r) and cause in failed_in_plain:
                allowed["cancelled_upstream"] += 1
                continue
            diff("fails here, ok in plain", r, ename=r["ename"], status=r["status"], cause=cause)
            continue
        if p["status"] != r["status"] or p["ename"] != r["ename"]:
            diff("error name", r, plain=p["ename"], reactive=r["ename"] or r["status"])
            continue
        if r["id"] in noisy:
            allowed["non_deterministic_outputs"] += 1
            continue
        pv, rv = p["view"], r["view"]
        if folded(pv, rv):
            # the kernel's documented choice (README, "Choices where the
            # specification is silent"): the requested cell's outputs stream
            # live, then become one replaceable display with the same text,
            # so later reruns can update the cell in place; counted, not hidden
            allowed["folded_same_text"] += 1
            continue
        if pv["errors"] != rv["errors"]:
            diff("error outputs", r, plain=pv["errors"], reactive=rv["errors"])
        if pv["stream"] != rv["stream"]:
            diff("stream", r, plain=pv["stream"][-300:], reactive=rv["stream"][-300:])
        if pv["plain"] != rv["plain"]:
            diff("text/plain", r, plain=[t[:300] for t in pv["plain"]],
                 reactive=[t[:300] for t in rv["plain"]])
    return diffs, allowed


# -- namespace fingerprints --------------------------------------------------------------

_FP_MARK = "CORPUS-FINGERPRINT "
FINGERPRINT_SRC = r'''
import hashlib, json, re, sys, types
_ADDR = re.compile(r" at 0x[0-9a-fA-F]+| object at 0x[0-9a-fA-F]+|0x[0-9a-fA-F]{6,}")
_SKIP = {"In", "Out", "get_ipython", "exit", "quit", "open"}

def _h(b):
    return hashlib.sha1(b if isinstance(b, bytes) else str(b).encode("utf-8", "replace")).hexdigest()[:16]

def _code(co):
    parts = [co.co_code.hex(), repr(co.co_names)]
    for c in co.co_consts:
        parts.append(_code(c) if isinstance(c, types.CodeType) else _ADDR.sub("", repr(c)))
    return _h("|".join(parts))

def _digest(v, depth=0):
    np = sys.modules.get("numpy"); pd = sys.modules.get("pandas")
    if isinstance(v, types.ModuleType):
        return "module:" + v.__name__
    if isinstance(v, (types.FunctionType, types.MethodType)):
        f = getattr(v, "__func__", v)
        return "function:%s:%s" % (f.__qualname__, _code(f.__code__))
    if isinstance(v, type):
        body = [(k, _code(m.__code__)) for k, m in sorted(vars(v).items()) if hasattr(m, "__code__")]
        return "class:%s.%s:%s" % (v.__module__, v.__qualname__, _h(repr(body)))
    if np is not None and isinstance(v, np.ndarray):
        data = repr(v.tolist()) if v.dtype == object else v.tobytes()
        return "ndarray:%s:%s:%s" % (v.dtype, v.shape, _h(data))
    if np is not None and isinstance(v, np.random.Generator):
        return "rng:" + _h(repr(v.bit_generator.state))
    if np is not None and isinstance(v, np.random.RandomState):
        return "randomstate:" + _h(repr(v.get_state(legacy=False)))
    if pd is not None and isinstance(v, (pd.DataFrame, pd.Series, pd.Index)):
        head = repr((type(v).__name__, v.shape, repr(v.dtypes if isinstance(v, pd.DataFrame) else v.dtype)))
        try:
            body = pd.util.hash_pandas_object(v, index=not isinstance(v, pd.Index)).values.tobytes()
            if isinstance(v, pd.DataFrame):
                body += repr(list(v.columns)).encode()
        except Exception:
            body = (v.to_frame() if isinstance(v, pd.Index) else v).to_csv().encode()
        return "pandas:" + _h(head.encode() + body)
    if pd is not None and isinstance(v, pd.Categorical):
        return "categorical:" + _h(v.codes.tobytes() + repr(list(v.categories)).encode() + repr(v.ordered).encode())
    if depth < 3 and isinstance(v, (list, tuple)):
        return "%s[%s]" % (type(v).__name__, ",".join(_digest(x, depth + 1) for x in v))
    if depth < 3 and isinstance(v, (set, frozenset)):
        return "%s{%s}" % (type(v).__name__, ",".join(sorted(_digest(x, depth + 1) for x in v)))
    if depth < 3 and type(v) is dict:
        return "dict{%s}" % ",".join("%s:%s" % (_digest(k, depth + 1), _digest(x, depth + 1)) for k, x in v.items())
    try:
        text = repr(v)
    except Exception:
        return "type:" + type(v).__qualname__
    return type(v).__qualname__ + ":" + _h(_ADDR.sub("", text))

def _fingerprint(ns):
    out = {}
    for k, v in list(ns.items()):
        if k.startswith("_") or k in _SKIP:
            continue
        try:
            d = _digest(v)
        except Exception as e:
            d = "type:%s" % type(v).__qualname__
        out[k] = d if len(d) <= 80 else _h(d)
    return out

print(MARK + json.dumps(_fingerprint(NS), sort_keys=True))
'''
FINGERPRINT_CALL = ("__import__('builtins').exec(%r, {'MARK': %r, 'NS': get_ipython().user_ns})"
                    % (FINGERPRINT_SRC, _FP_MARK))


_LINKS_MARK = "CORPUS-LINKS "
PLAN_LINKS_SRC = r'''
import json
g = get_ipython().kernel.engine.graph
def _names(c):
    n = g.names[c]
    return {"mutations": sorted(getattr(n, "mutations", ())), "imports": sorted(getattr(n, "imports", ())),
            "bindings": sorted(set(n.writes) - set(getattr(n, "mutations", ())))}
out = {}
for c in PLAN:
    if c not in g.names:
        out[c] = None
        continue
    reads = {k: p for k, p in g.providers(c).items() if p in PLAN and p != c}
    gives = {}
    for r in PLAN:
        if r != c and r in g.names:
            for k, p in g.providers(r).items():
                if p == c:
                    gives.setdefault(k, []).append(r)
    later = {}
    for k in gives:
        w = g.later_writer(c, k)
        if w is not None and w in g.names:
            wn = _names(w)
            later[k] = {"cell": w, "mutates": k in wn["mutations"], "imports": k in wn["imports"]}
        else:
            later[k] = None
    out[c] = {"reads": reads, "gives": gives, "later": later, **_names(c)}
print(MARK + json.dumps(out))
'''
PLAN_LINKS_CALL = ("try:\n    __import__('builtins').exec(%r, {'MARK': %r, 'PLAN': %%r, "
                   "'get_ipython': get_ipython})\nexcept Exception:\n    pass") % (PLAN_LINKS_SRC, _LINKS_MARK)


def differing(a: dict, b: dict) -> set[str]:
    return {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}


# -- random actions ----------------------------------------------------------------------

def rng_for(entry: dict) -> random.Random:
    return random.Random(zlib.crc32(entry["name"].encode()))


def numbers(code: str) -> list[ast.Constant]:
    """Numeric literals of a cell that parses as plain Python (no magics)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and type(n.value) in (int, float)
            and n.lineno == n.end_lineno]


def bump_number(code: str, node: ast.Constant) -> str:
    """The code with that literal increased by one."""
    lines = code.split("\n")
    line = lines[node.lineno - 1].encode()  # col offsets are utf-8 byte offsets
    new = repr(node.value + 1).encode()
    lines[node.lineno - 1] = (line[:node.col_offset] + new + line[node.end_col_offset:]).decode()
    return "\n".join(lines)


def imported_names(cells: list[Cell]) -> set[str]:
    names = set()
    for c in cells:
        try:
            tree = ast.parse(c.code)
        except (SyntaxError, ValueError):
            continue
        for n in ast.walk(tree):
            if isinstance(n, (ast.Import, ast.ImportFrom)):
                names |= {(a.asname or a.name).split(".")[0] for a in n.names}
    return names


def self_dependent(code: str, modules: set[str]) -> bool:
    """Whether rerunning the cell legitimately needs an ancestor first: it reads a
    name it also binds (``x = x + 1``) or may mutate an object it does not bind
    (``L.append``, ``d[k] = v``, ``obj.attr = v``).  Unparsable cells count as True."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return True
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    stores = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}
    if loads & stores:
        return True
    for n in ast.walk(tree):
        if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.ctx, (ast.Store, ast.Del)):
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            base = n.func.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if not (isinstance(base, ast.Name) and base.id in modules) and not isinstance(base, ast.Constant):
                return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id not in dir(builtins) \
                and n.func.id not in modules:
            return True  # a notebook function may mutate its arguments or globals
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            return True
    return False


def touched(code: str, modules: set[str]) -> set[str]:
    """Names a cell binds or may change in place (statically, generously)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in n.names}
        base = None
        if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.ctx, (ast.Store, ast.Del)):
            base = n.value
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            base = n.func.value
        elif isinstance(n, ast.Call):
            names |= {a.id for a in n.args if isinstance(a, ast.Name)}
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            base = base.value
        if isinstance(base, ast.Name) and base.id not in modules:
            names.add(base.id)
    return names


def loads(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def needs_only_itself(cells: list[Cell], i: int, modules: set[str]) -> bool:
    """Whether rerunning cells[i] after a Run All needs no ancestor: it changes
    nothing it reads, and no later cell rebinds or may change what it reads."""
    if self_dependent(cells[i].code, modules):
        return False
    later = set().union(*(touched(c.code, modules) for c in cells[i + 1:]))
    return not (loads(cells[i].code) & later)


_GLOBAL_RNG = re.compile(r"\b(np\.random|numpy\.random|random)\.(?!seed\b|default_rng\b|RandomState\b)\w+\(")


def global_rng_cells(cells: list[Cell]) -> set[str]:
    """Cells that draw from a global random generator (np.random.*, random.*):
    rerunning one draws new numbers, which the spec leaves out of run-all equivalence."""
    return {c.id for c in cells if _GLOBAL_RNG.search(c.code)}


def tainted_by(cells: list[Cell], sources: set[str], modules: set[str]) -> set[str]:
    """Names the source cells bind or change, and names computed from them later."""
    names: set[str] = set()
    for c in cells:
        if c.id in sources or loads(c.code) & names:
            names |= touched(c.code, modules)
    return names


def bucket(n: int) -> str:
    return "1" if n <= 1 else "2" if n == 2 else "3-5" if n <= 5 else "6-10" if n <= 10 else ">10"


BUCKETS = ["0", "1", "2", "3-5", "6-10", ">10"]


def histogram(sizes: list[int]) -> dict[str, int]:
    h = {b: 0 for b in BUCKETS}
    for n in sizes:
        h["0" if n == 0 else bucket(n)] += 1
    return h


class NotebookRun:
    """One notebook: its plain Run All (cached) and a reactive kernel after Run All,
    shared by test_run_all and test_random_actions (and the report).  ``cache``:
    the reactive kernel runs with the cell cache in auto mode, threshold 0
    (every cell stored where the policy allows), and the random actions
    include a restart."""

    def __init__(self, entry: dict, cache: bool = False):
        self.entry = entry
        self.cache = cache
        self.cells = code_cells(entry)
        self._front: Frontend | None = None
        self._reactive: RunAll | None = None

    @property
    def plain(self) -> RunAll:
        return plain_run_all(self.entry, self.cells)

    @property
    def front(self) -> Frontend:
        if self._front is None:
            self._front = Frontend(REACTIVE, self.entry, cache=self.cache)
            self._reactive = run_all(self._front, self.cells)
        return self._front

    @property
    def reactive(self) -> RunAll:
        self.front
        return self._reactive

    def compare(self) -> tuple[list[dict], dict]:
        return compare_run_all(self.plain, self.reactive, plain_run_all(self.entry, self.cells, 1))

    def random_actions(self, n_actions: int = ACTIONS) -> dict:
        return random_actions(self.entry, self.front, self.reactive, n_actions, restarts=1 if self.cache else 0)

    def details(self, random: dict | None = None) -> dict:
        """Per-notebook figures (what benchmarks/corpus_report.py prints and saves)."""
        diffs, allowed = self.compare()
        counts = run_counts(self.reactive.cells)
        out = {
            "notebook": self.entry["name"], "code_cells": len(self.cells), "cache": self.cache,
            "seconds_plain": round(self.plain.seconds, 2), "seconds_reactive": round(self.reactive.seconds, 2),
            "differences": diffs, "allowed": allowed,
            "refusals": sum(d["kind"] == "refused" for d in diffs),
            "ran_more_than_once": sorted(c for c, n in counts.items() if n > 1),
            "plain_failed": [c["index"] for c in self.plain.cells if c["status"] != "ok"],
            "reactive_failed": [c["index"] for c in self.reactive.cells if c["status"] != "ok"],
        }
        if random is not None:
            out["random"] = random
        return out

    def close(self) -> None:
        if self._front is not None:
            self._front.close()
        for key in [k for k in _PLAIN_CACHE if k[0] == self.entry["name"]]:
            del _PLAIN_CACHE[key]


def random_actions(entry: dict, front: Frontend, first: RunAll, n_actions: int = ACTIONS,
                   restarts: int = 0) -> dict:
    """Seeded reruns of unchanged cells and numeric edits in a reactive kernel
    after Run All.  After Run All and after each action, the namespace is
    compared with a fresh plain Run All of the current codes when nothing but
    cells that fail in plain is stale.

    ``restarts`` (cache mode) adds that many restart actions at seeded places:
    save the notebook, restart the kernel, run a random cell (its ancestors
    are served from the cache), then Run All; the outputs of that Run All are
    compared with a fresh plain one (``output_differences``) and the
    namespace as after any action."""
    cells = code_cells(entry)
    rng = rng_for(entry)
    base0, base1 = plain_run_all(entry, cells, 0), plain_run_all(entry, cells, 1)
    noisy = differing(base0.fingerprint or {}, base1.fingerprint or {})
    modules = imported_names(cells)
    kinds = (["rerun", "edit"] * n_actions)[:n_actions]
    rng.shuffle(kinds)
    for _ in range(restarts):
        kinds.insert(rng.randrange(len(kinds) + 1), "restart")
    actions: list[dict] = []
    current = list(cells)
    cancelled: set[str] = set()  # cells whose last plan cancelled them (bindings removed by design)
    reran_rng: set[str] = set()  # cells drawing from a global RNG that ran again
    for row in first.cells:
        _track_cancelled(cancelled, row["reactive"])
    state = {"action": "run all", "cell": None, "ran": None}
    last = first.cells[-1]["reactive"] if first.cells else None
    before = front.fingerprint()
    actions.append(_compare_state(front, entry, current, state, last, noisy, cancelled, modules, before))
    for kind in kinds:
        if front.dead:
            break
        if kind == "restart":
            record, reactive = _restart(front, entry, current, rng, base1 if current == cells else None)
            cancelled.clear()  # a new kernel: nothing it holds was cancelled
            for reply_reactive in record.pop("reactives"):
                _track_cancelled(cancelled, reply_reactive)
            reran_rng |= set(record["executed_ids"]) & global_rng_cells(current)
            record["global_rng_reran"] = sorted(tainted_by(current, reran_rng, modules))
            before = front.fingerprint()
            actions.append(_compare_state(front, entry, current, record, reactive, noisy, cancelled, modules,
                                          before))
            continue
        editable = [(i, nodes) for i, c in enumerate(current) if (nodes := numbers(c.code))]
        if kind == "edit" and not editable:
            kind = "rerun"
        if kind == "rerun":
            i = rng.randrange(len(current))
            cell = current[i]
            readers = front.readers(cell.id)
            reply = front.run(cell.id, cell.code)
        else:
            i, nodes = rng.choice(editable)
            old = current[i]
            cell = Cell(old.index, old.id, bump_number(old.code, rng.choice(nodes)))
            current[i] = cell
            readers = None
            if front.cache:
                front.save(current)  # as a frontend autosaves the edit
            reply = front.run(cell.id, cell.code)
        ran = (reply.reactive or {}).get("ran") or []
        record = {"action": kind, "cell": cell.index, "cell_id": cell.id, "status": reply.status,
                  "ename": reply.ename, "ran": len(ran), "readers": sorted(readers) if readers is not None else None,
                  "roles": [(e.get("cell_id"), e.get("role"), e.get("status")) for e in ran],
                  "needs_only_itself": needs_only_itself(current, i, modules)}
        if kind == "rerun" and readers is not None:
            record["unexplained"] = unexplained_descendants(front, ran)
        links = front.plan_links([e.get("cell_id") for e in ran]) if ran else {}
        after = front.fingerprint()
        record["executed"] = sum(e.get("status") != "cancelled" for e in ran)
        if links is not None and before is not None and after is not None:
            record["changed"] = sorted(differing(before, after))
            record["why"] = explain_plan(ran, links, before, after, {c.id: c.index for c in current},
                                         stale_before=set(actions[-1].get("stale") or []))
            record["excess"] = [w["cell"] for w in record["why"] if w["executed"] and not w["by_value"]]
            record["spurious"] = [w["cell"] for w in record["why"] if w["executed"] and not w["by_spec"]]
        before = after
        _track_cancelled(cancelled, reply.reactive)
        reran_rng |= {e.get("cell_id") for e in ran} & global_rng_cells(current)
        record["global_rng_reran"] = sorted(tainted_by(current, reran_rng, modules))
        actions.append(_compare_state(front, entry, current, record, reply.reactive, noisy, cancelled, modules,
                                      after))
    return {"notebook": entry["name"], "actions": actions, "noisy": sorted(noisy)}


def _restart(front: Frontend, entry: dict, current: list[Cell], rng: random.Random,
             plain2: RunAll | None) -> tuple[dict, dict | None]:
    """Cache mode's restart action: save, restart, run a random cell (its
    ancestors are served), then run, in page order, every cell that plan did
    not run, so each cell runs once after the restart, as in a Run All.  Those
    cells' outputs are compared with a fresh plain Run All's.  Returns the
    record and the last reply's ``metadata.reactive``."""
    front.restart(current)
    i = rng.randrange(len(current))
    cell = current[i]
    reply = front.run(cell.id, cell.code)
    ran = (reply.reactive or {}).get("ran") or []
    done = {e.get("cell_id") for e in ran}
    rest = run_all(front, [c for c in current if c.id not in done])
    replies = [reply.reactive] + [row["reactive"] for row in rest.cells]
    every = [e for r in replies for e in (r or {}).get("ran") or []]
    plain = plain_run_all(entry, current, 0)
    noisy = plain2 or plain_run_all(entry, current, 1)
    ids = {row["id"] for row in rest.cells}

    def only(run: RunAll) -> RunAll:
        return RunAll(run.kernel, [row for row in run.cells if row["id"] in ids], run.seconds)
    diffs, _ = compare_run_all(only(plain), rest, only(noisy))
    record = {"action": "restart", "cell": cell.index, "cell_id": cell.id, "status": reply.status,
              "ename": reply.ename, "ran": len(ran), "readers": None, "needs_only_itself": False,
              "roles": [(e.get("cell_id"), e.get("role"), e.get("status"), bool(e.get("cached"))) for e in ran],
              # cells served instead of run: by the random cell's request, then by the requests after it
              "served": sum(bool(e.get("cached")) for e in ran),
              "served_run_all": sum(bool(e.get("cached")) for r in replies[1:] for e in (r or {}).get("ran") or []),
              "executed": sum(e.get("status") != "cancelled" and not e.get("cached") for e in every),
              "executed_ids": sorted({e.get("cell_id") for e in every
                                      if e.get("status") != "cancelled" and not e.get("cached")}),
              "output_differences": [d for d in diffs if not _ancestor_again(d)],
              # core, cache on or off: after the random cell's plan ran a later cell that rebinds
              # a name, each request reading the name from an earlier binder reruns that binder
              # as an ancestor (its outputs labelled in the requesting cell, with no companion)
              "ancestors_again": [d for d in diffs if _ancestor_again(d)], "reactives": replies}
    return record, (replies[-1] if replies else None)


def _ancestor_again(diff: dict) -> bool:
    """A difference that is only a cell run again as an ancestor: counted
    more than once, or shown labelled in the requesting cell above its own
    outputs, which are plain's."""
    if diff["kind"] == "ran more than once":
        return True
    return diff["kind"] == "text/plain" and \
        [t for t in diff["reactive"] if not (t.startswith("── ") and " ──\n" in t)] == diff["plain"]


#: digests of values whose equality is equality of value (rebinding one to an
#: equal value is not a change, spec "What is not a change")
_SCALAR = re.compile(r"^(int|float|complex|bool|str|bytes|NoneType):")


def explain_plan(ran: list[dict], links: dict, before: dict, after: dict, index: dict[str, int],
                 stale_before: set[str] = frozenset()) -> list[dict]:
    """Why each cell of a plan ran, and whether it had to.

    Per cell: ``reads`` (name -> provider cell index, within the plan),
    ``gives`` (name -> reader indices), ``cause`` (words: why it ran, as the
    graph says), ``by_spec`` (the spec asks for it: the target; a cell
    rebuilding an input gone (overwritten or mutated later, or by its reader)
    for a cell that had to run, or a stale ancestor of one; a descendant
    reading a binding of a cell that had to run, which is no re-import, no
    equal scalar, no rebuild's unchanged value (unless the descendant changes
    it in place: the rebuilt object lacks that change), or a value that
    changed) and ``by_value`` (stricter: a descendant counts only if a name it
    reads from the plan holds another value after the action than before it,
    by the namespace fingerprints, or it changes in place an object a counted
    cell bound anew; ancestors as above).  Names without a fingerprint
    (private, resources) count as changed.

    ``stale_before``: the cells stale before the action.  A stale provider's
    values are new by the spec (its code or inputs changed, or it never
    completed), whatever they compare to; a rebuild (a current cell run only
    to restore a gone input) reproduces its values.  Needs run both ways (a
    descendant needs its provider's rebuild, a rebuild counts only for a
    needed reader), so the passes repeat until nothing changes."""
    changed = differing(before, after)
    opaque = {k for k in before.keys() | after.keys() if (after.get(k) or before.get(k) or "").startswith("type:")}

    def value_changed(name: str) -> bool:
        return name in changed or name in opaque or (name not in before and name not in after)

    rows: dict[str, dict] = {}
    for e in ran:
        c = e.get("cell_id")
        link = links.get(c) or {}
        rows[c] = {"cell": index.get(c), "cell_id": c, "role": e.get("role"), "status": e.get("status"),
                   "executed": e.get("status") != "cancelled",
                   "reads": {k: index.get(p) for k, p in sorted((link.get("reads") or {}).items())},
                   "gives": {k: [index.get(r) for r in rs] for k, rs in sorted((link.get("gives") or {}).items())},
                   "mutations": link.get("mutations") or [], "cause": "", "by_spec": False, "by_value": False}
    order = [e.get("cell_id") for e in ran]

    def rebuild(c: str) -> bool:
        """A current cell in the plan only to restore an input gone: an
        ancestor, or a descendant reading nothing from the plan."""
        if c in stale_before:
            return False
        return rows[c]["role"] == "ancestor" or (
            rows[c]["role"] == "descendant" and not any(p in rows for p in ((links.get(c) or {}).get("reads") or {}).values()))

    def forwards() -> None:
        """Descendants depend on earlier plan cells."""
        for c in order:
            row, link = rows[c], links.get(c) or {}
            if row["role"] == "target":
                row.update(cause="requested", by_spec=True, by_value=True)
                continue
            if row["role"] != "descendant":
                continue
            reasons, spec, value = [], row["by_spec"], row["by_value"]
            for name, p in sorted((link.get("reads") or {}).items()):
                prov, plink = rows.get(p), links.get(p) or {}
                if prov is None:
                    continue
                where = f"{name} from cell {index.get(p)}"
                if (name in (plink.get("imports") or []) or (after.get(name) or "").startswith("module:")) \
                        and not value_changed(name):
                    reasons.append(f"{where}: re-import, same object")
                elif rebuild(p) and not value_changed(name) and name in row["mutations"]:
                    # the rebuilt object lacks this cell's change, which Run All's has
                    reasons.append(f"{where}: rebuilt ancestor's value, its change replayed")
                    spec, value = spec or prov["executed"], value or prov["executed"]
                elif rebuild(p) and not value_changed(name):
                    reasons.append(f"{where}: rebuilt ancestor's value, unchanged")
                elif name in (plink.get("mutations") or []) and name not in (plink.get("bindings") or []) \
                        and not value_changed(name):
                    reasons.append(f"{where}: changed in place by it, value unchanged")
                    spec = spec or prov["by_spec"]
                elif not value_changed(name) and _SCALAR.match(after.get(name) or ""):
                    reasons.append(f"{where}: rebound to an equal scalar")
                else:
                    what = "new value" if value_changed(name) else \
                        "stale provider's value, equal" if p in stale_before else "rebound, equal value"
                    reasons.append(f"{where}: {what}")
                    spec = spec or prov["by_spec"]
                    value = value or value_changed(name)
                if name in row["mutations"] and name in (plink.get("bindings") or []) and prov["by_value"]:
                    reasons[-1] += "; replays its change of the new object"
                    value = True
            row.update(cause="; ".join(reasons) or row["cause"] or "reads nothing from the plan",
                       by_spec=spec, by_value=value)

    def backwards() -> None:
        """A cell is needed when a cell that had to run reads an input it
        rebuilds (an ancestor: also one it provides while stale)."""
        for c in reversed(order):
            row, link = rows[c], links.get(c) or {}
            if row["role"] == "target" or (row["role"] == "descendant" and not rebuild(c)):
                continue
            reasons, spec, value = [], row["by_spec"], row["by_value"]
            for name, readers in sorted((link.get("gives") or {}).items()):
                later = (link.get("later") or {}).get(name)
                needers = [r for r in readers if r in rows]
                if later is None:
                    if c not in stale_before:  # no reason for it to run
                        if row["role"] == "ancestor":
                            reasons.append(f"{name} for cell(s) {[index.get(r) for r in needers]}: not gone")
                        continue
                    why = "not gone (stale ancestor)"
                elif later["imports"] and name in (link.get("imports") or []):
                    why = f"re-imported by cell {index.get(later['cell'])}"
                elif later["cell"] in needers:
                    why = f"gone: {'mutated' if later['mutates'] else 'rebound'} by its reader cell {index.get(later['cell'])}"
                else:
                    why = f"gone: {'mutated' if later['mutates'] else 'rebound'} later by cell {index.get(later['cell'])}"
                reimport = why.startswith("re-imported")
                reasons.append(f"{name} for cell(s) {[index.get(r) for r in needers]}: {why}")
                if not reimport:
                    spec = spec or any(rows[r]["by_spec"] for r in needers)
                    value = value or any(rows[r]["by_value"] for r in needers)
            if reasons or row["role"] == "ancestor":
                row.update(cause="; ".join(reasons) or "gives nothing to the plan", by_spec=spec, by_value=value)

    while True:
        known = [(row["by_spec"], row["by_value"]) for row in rows.values()]
        forwards()
        backwards()
        if known == [(row["by_spec"], row["by_value"]) for row in rows.values()]:
            return [rows[c] for c in order]


def unexplained_descendants(front: Frontend, ran: list[dict]) -> list[str] | None:
    """Descendants in a plan that read nothing written by another cell of the
    plan, and that no other cell of the plan reads from (a cell after the
    target may run to rebuild an input of a later one that is gone: spec,
    "A cell's input is gone")."""
    ids = [e.get("cell_id") for e in ran]
    readers = {c: front.readers(c) for c in ids}
    if any(r is None for r in readers.values()):
        return None
    unexplained = []
    for e in ran:
        cell = e.get("cell_id")
        if e.get("role") != "descendant" or e.get("status") == "cancelled":
            continue
        others = set(ids) - {cell}
        reads_from_plan = any(cell in readers[other] for other in others)
        read_by_plan = bool(readers[cell] & others)
        if not (reads_from_plan or read_by_plan):
            unexplained.append(cell)
    return unexplained


def _track_cancelled(cancelled: set[str], reactive: dict | None) -> None:
    for e in (reactive or {}).get("ran") or []:
        (cancelled.add if e.get("status") == "cancelled" else cancelled.discard)(e.get("cell_id"))


def _compare_state(front: Frontend, entry: dict, current: list[Cell], record: dict,
                   reactive: dict | None, noisy: set[str], cancelled: set[str], modules: set[str],
                   mine: dict | None = None) -> dict:
    """Compare namespaces when every stale cell also fails in plain.  Names that
    stale cancelled cells bind are left out (plain ran those cells up to their
    error, the reactive kernel removed their bindings on purpose); of the names
    a stale failing cell binds only presence is compared (plain keeps what the
    cell bound before raising)."""
    stale = set((reactive or {}).get("stale") or [])
    plain = plain_run_all(entry, current, 0)
    record["stale"] = sorted(stale)
    record["compared"] = False
    if front.dead:
        record["dead"] = True
        return record
    if stale <= plain.failed_ids():
        mine = front.fingerprint() if mine is None else mine
        if mine is not None and plain.fingerprint is not None:
            record["compared"] = True
            by_id = {c.id: c for c in current}
            skip = set().union(*(touched(by_id[c].code, modules) for c in stale & cancelled if c in by_id))
            # a failing cell binds what it reaches before raising: compare only presence
            partial = set().union(*(touched(by_id[c].code, modules) for c in stale - cancelled if c in by_id))
            skip |= {k for k in partial if k in plain.fingerprint and k in mine}
            skip |= set(record.get("global_rng_reran") or ())
            # names saved from library settings (README "Known limits": not graph resources)
            skip |= set().union(*(from_library_settings(c.code) for c in current))
            record["differs"] = {k: [plain.fingerprint.get(k), mine.get(k)]
                                 for k in sorted(differing(plain.fingerprint, mine) - noisy - skip)}
    return record


#: reads of library settings (pandas options, matplotlib's rcParams, numpy's
#: print options): state no graph name holds (README, "Known limits")
_SETTINGS = re.compile(r"^\s*(\w+)\s*=\s*[^\n]*(?:\.options\.|get_option\(|rcParams|get_printoptions\()", re.M)


def from_library_settings(code: str) -> set[str]:
    """Names a cell binds from a library setting (``PREVIOUS_MAX_ROWS =
    pd.options.display.max_rows``): a rerun of that cell reads the setting
    its own last run (or a later cell) left, which Run All never sees."""
    return set(_SETTINGS.findall(code))


# -- figures ------------------------------------------------------------------------------

def ratio_summary(pairs: list[tuple[float, float]]) -> dict:
    """(reactive, plain) seconds per notebook -> ratio of sums, median/min/max of ratios."""
    pairs = [(r, p) for r, p in pairs if p > 0]
    if not pairs:
        return {}
    ratios = [r / p for r, p in pairs]
    return {"sum_reactive": round(sum(r for r, _ in pairs), 2), "sum_plain": round(sum(p for _, p in pairs), 2),
            "ratio_of_sums": round(sum(r for r, _ in pairs) / sum(p for _, p in pairs), 3),
            "median_ratio": round(statistics.median(ratios), 3),
            "min_ratio": round(min(ratios), 3), "max_ratio": round(max(ratios), 3)}

