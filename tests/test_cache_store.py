"""The persistent cell cache's storage layer (reactive_kernel/cache, issue 22):
keys, serialization, signing, the fsspec store.  Real files in temporary
directories and ``memory://``; other processes are real subprocesses."""
from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import uuid
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reactive_kernel.cache import CacheStore, Entry, MISSES, Signer, Unstorable, default_location
from reactive_kernel.cache.fileformat import ALIGN, PREFIX_SIZE, read_header
from reactive_kernel.cache.signing import SIGNATURE_SIZE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def signer(tmp_path):
    return Signer.for_data_dir(tmp_path / "jupyter-data")


@pytest.fixture(params=["directory", "file-url", "memory"])
def store(request, tmp_path, signer):
    location = {"directory": str(tmp_path / "cache"), "file-url": f"file://{tmp_path}/cache",
                "memory": f"memory://cache-{uuid.uuid4().hex}"}[request.param]
    cache = CacheStore(location, signer=signer)
    yield cache
    cache.clear()


@pytest.fixture
def local(tmp_path, signer):
    return CacheStore(tmp_path / "cache", signer=signer)


def key(n: object) -> str:
    """A key as the engine makes them (a sha256; core.keys, tests/test_input_keys.py)."""
    return hashlib.sha256(f"cell {n}".encode()).hexdigest()


def run_python(code: str, *args: str, env: dict | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def entry_path(cache: CacheStore, k: str) -> Path:
    return Path(cache.root) / "entries" / k


def pickle_offset(path: Path) -> int:
    with open(path, "rb") as file:
        read_header(file)
        offset = file.tell()
    return offset + (-offset % ALIGN)


class WritesMarker:
    """Unpickling it runs ``open(path, 'w')``: an entry holding it proves whether it was loaded."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def test_the_default_location_is_the_users_cache_directory():
    assert Path(default_location()).name == "reactive-kernel"


# -- round trips ----------------------------------------------------------------

def test_plain_values_round_trip_and_shared_objects_stay_shared(store):
    shared = [1, 2]
    values = {"n": 42, "s": "héllo", "items": [1, "two", 3.0, None], "table": {"a": [1, {"b": (2, 3)}]},
              "first": shared, "second": shared}
    outputs = [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]
    k = key("plain")
    size = store.put(k, Entry(values, mutations={"log": ["x"]}, outputs=outputs, code="n = 42\ns = 'héllo'",
                              seconds=2.5))
    found = store.fetch(k)
    assert found.hit and found.reason == "hit"
    entry = found.entry
    assert entry.bindings == values and entry.mutations == {"log": ["x"]} and entry.outputs == outputs
    assert entry.bindings["first"] is entry.bindings["second"]
    assert (entry.code, entry.seconds, entry.size) == ("n = 42\ns = 'héllo'", 2.5, size)


def test_numpy_arrays_are_stored_as_raw_buffers_and_come_back_writable(store):
    big = np.random.default_rng(0).random((1000, 1000))  # 8 MB
    fortran = np.asfortranarray(np.arange(60_000, dtype=np.int32).reshape(300, 200))
    strided = np.arange(100_000)[::3]  # not contiguous: pickled in band
    k = key("arrays")
    size = store.put(k, Entry({"big": big, "fortran": fortran, "strided": strided}))
    raw = big.nbytes + fortran.nbytes + strided.nbytes
    assert raw <= size < raw + 8 * 1024  # out-of-band: no copy, no encoding, a header and padding
    loaded = store.get(k).bindings
    np.testing.assert_array_equal(loaded["big"], big)
    np.testing.assert_array_equal(loaded["fortran"], fortran)
    np.testing.assert_array_equal(loaded["strided"], strided)
    assert loaded["fortran"].flags.f_contiguous
    assert all(array.flags.writeable for array in loaded.values())
    loaded["big"][0, 0] = -1.0  # a loaded array is the notebook's to change


def test_pandas_frames_round_trip(store):
    rows = 100_000
    frame = pd.DataFrame({"x": np.arange(rows), "y": np.linspace(0, 1, rows),
                          "when": pd.date_range("2024-01-01", periods=rows, freq="min"),
                          "kind": pd.Categorical(np.array(["a", "b", "c"])[np.arange(rows) % 3]),
                          "name": [f"n{i % 7}" for i in range(rows)]})
    k = key("frame")
    store.put(k, Entry({"df": frame, "s": frame["y"]}))
    loaded = store.get(k).bindings
    pd.testing.assert_frame_equal(loaded["df"], frame)
    pd.testing.assert_series_equal(loaded["s"], frame["y"])


NOTEBOOK_CODE = """
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y
    def norm2(self):
        return self.x ** 2 + self.y ** 2

def scale(p, k=2):
    return Point(p.x * k, p.y * k)

p = scale(Point(1, 2))
"""


def test_functions_and_classes_defined_in_the_notebook_are_stored_by_value(local, tmp_path):
    namespace = {"__name__": "__main__"}
    exec(compile(NOTEBOOK_CODE, "<cell>", "exec"), namespace)
    k = key("notebook definitions")
    local.put(k, Entry({name: namespace[name] for name in ("Point", "scale", "p")}))
    loaded = local.get(k).bindings
    assert loaded["scale"](loaded["p"], 3).norm2() == 180
    # another process has no Point or scale in its __main__: they travel in the entry
    script = f"""
        from reactive_kernel.cache import CacheStore, Signer
        store = CacheStore({str(local.root)!r}, signer=Signer.for_data_dir({str(tmp_path / 'jupyter-data')!r}))
        values = store.get({k!r}).bindings
        print(type(values["p"]).__name__, values["p"].norm2(), values["scale"](values["p"]).x)
    """
    assert run_python(script).split() == ["Point", "20", "4"]


def test_an_entry_whose_module_is_gone_is_unloadable_not_an_error(local, tmp_path, monkeypatch):
    (tmp_path / "gone_module.py").write_text("class Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import gone_module
    k = key("gone module")
    local.put(k, Entry({"t": gone_module.Thing()}))
    del sys.modules["gone_module"]
    (tmp_path / "gone_module.py").unlink()
    found = local.fetch(k)
    assert (found.entry, found.reason) == (None, "unloadable") and "gone_module" in found.detail


# -- signatures -------------------------------------------------------------------

def _poisoned(cache: CacheStore, tmp_path: Path, name: str) -> tuple[str, Path]:
    marker = tmp_path / name
    k = key(name)
    cache.put(k, Entry({"x": WritesMarker(marker)}))
    assert not marker.exists()
    return k, marker


def test_a_changed_byte_is_refused_and_nothing_is_unpickled(local, tmp_path):
    k, marker = _poisoned(local, tmp_path, "marker-a")
    path = entry_path(local, k)
    content = path.read_bytes()
    start = content.index(b"marker-a", pickle_offset(path))
    path.write_bytes(content[:start] + b"marker-b" + content[start + 8:])  # redirect what would run
    found = local.fetch(k)
    assert (found.entry, found.reason, found.detail) == (None, "bad-signature", "the content changed after it was signed")
    assert MISSES["bad-signature"] in local.explain(k)
    assert not marker.exists() and not (tmp_path / "marker-b").exists()


def test_an_entry_without_its_signature_is_refused(local, tmp_path):
    k, marker = _poisoned(local, tmp_path, "marker-unsigned")
    path = entry_path(local, k)
    path.write_bytes(path.read_bytes()[:-SIGNATURE_SIZE])
    assert local.fetch(k).reason == "unsigned"
    assert not marker.exists()


def test_an_entry_signed_with_another_key_is_refused(tmp_path, signer):
    other = CacheStore(tmp_path / "shared", signer=Signer.for_data_dir(tmp_path / "someone-else"))
    k, marker = _poisoned(other, tmp_path, "marker-other-key")
    mine = CacheStore(tmp_path / "shared", signer=signer)
    found = mine.fetch(k)
    assert found.reason == "bad-signature" and "signed with key" in found.detail
    assert not marker.exists()
    # the entry is a real threat: its writer, who holds the key, does run it
    assert other.fetch(k).hit and marker.exists()


@pytest.mark.parametrize("damage, reason", [
    (lambda b: b[: len(b) // 2], "truncated"),
    (lambda b: b[:PREFIX_SIZE - 1], "truncated"),
    (lambda b: b + b"\0", "truncated"),
    (lambda b: b[:8] + (99).to_bytes(4, "little") + b[12:], "format"),
    (lambda b: b"PK\3\4" + b[4:], "not-an-entry"),
    (lambda b: b"", "truncated"),
])
def test_damaged_files_are_no_entry_with_a_reason(local, tmp_path, damage, reason):
    k, marker = _poisoned(local, tmp_path, "marker-damaged")
    path = entry_path(local, k)
    path.write_bytes(damage(path.read_bytes()))
    found = local.fetch(k)
    assert (found.entry, found.reason) == (None, reason)
    assert local.explain(k).startswith(MISSES[reason])
    assert not marker.exists()


def test_an_entry_moved_under_another_key_is_refused(local, tmp_path):
    k, marker = _poisoned(local, tmp_path, "marker-moved")
    other = key("another cell")
    entry_path(local, other).write_bytes(entry_path(local, k).read_bytes())
    assert local.fetch(other).reason == "not-an-entry"
    assert not marker.exists()


def test_a_missing_entry_and_a_malformed_key(store):
    assert store.fetch(key("never stored")).reason == "absent"
    assert store.get(key("never stored")) is None
    assert store.explain(key("never stored")) == MISSES["absent"]
    for malformed in ("../../etc/passwd", key("x").upper(), key("x")[:-1]):
        with pytest.raises(ValueError):  # a key names a file: only entry_key's digests are keys
            store.fetch(malformed)
        with pytest.raises(ValueError):
            store.put(malformed, Entry({}))


def test_the_signing_key_is_created_private_once_and_reused(tmp_path):
    first = Signer.for_data_dir(tmp_path / "data")
    path = tmp_path / "data" / "reactive_kernel" / "cache-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Signer.for_data_dir(tmp_path / "data").fingerprint == first.fingerprint
    assert Signer.for_data_dir(tmp_path / "elsewhere").fingerprint != first.fingerprint
    assert [p.name for p in path.parent.iterdir()] == ["cache-key"]  # no draft left behind


# -- refusals ---------------------------------------------------------------------

def _generator():
    yield 1


@pytest.mark.parametrize("make, expected", [
    (lambda tmp: _generator(), "generator"),
    (lambda tmp: threading.Lock(), "lock"),
    (lambda tmp: open(tmp / "open.txt", "w"), "open file"),
    (lambda tmp: [1, {"inner": threading.Thread(target=print)}], "thread"),
    (lambda tmp: __import__("socket").socket(), "socket"),
    (lambda tmp: __import__("sqlite3").connect(":memory:"), "database connection"),
    (lambda tmp: __import__("sqlalchemy").create_engine("sqlite://"), "SQLAlchemy engine"),
])
def test_unstorable_values_refuse_the_whole_entry(store, tmp_path, make, expected):
    k = key("refused")
    store.put(k, Entry({"kept": 1}))
    before = store.entries()
    value = make(tmp_path)
    try:
        with pytest.raises(Unstorable) as refused:
            store.put(k, Entry({"fine": np.arange(10), "bad": value}))
    finally:
        getattr(value, "close", lambda: None)()
    assert refused.value.name == "bad" and expected in refused.value.reason
    assert store.entries() == before and store.get(k).bindings == {"kept": 1}
    assert store.fs.ls(store._path("tmp")) == []


def test_a_value_that_does_not_pickle_names_itself():
    class Local:  # defined in a function, importable by no name: cloudpickle stores it by value
        pass

    store = CacheStore(f"memory://cache-{uuid.uuid4().hex}", signer=Signer(b"k" * 32))
    store.put(key("local class"), Entry({"fine": Local()}))
    assert type(store.get(key("local class")).bindings["fine"]).__name__ == "Local"
    with pytest.raises(Unstorable) as refused:
        store.put(key("weakref"), Entry({"n": 1}, mutations={"ref": weakref.ref(Local)}))
    assert refused.value.name == "ref" and "does not pickle" in refused.value.reason
    assert store.get(key("weakref")) is None


@pytest.mark.parametrize("values, where", [
    ({"url": "postgresql://alice:hunter2@db.example.com/sales"}, "url"),
    ({"urls": ["https://example.com", ("mysql://bob:s3cret@h/db",)]}, "urls[1][0]"),
    ({"config": {"host": "h", "password": "hunter2"}}, "config['password']"),
    ({"conf": {"nested": {"aws_secret_access_key": "AKIAxyz0123456789"}}}, "conf['nested']['aws_secret_access_key']"),
    ({"token": "ghp_" + "a1" * 20}, "token"),
    ({"page": "x" * 200_000 + " Authorization: Bearer abcdef0123456789xyz " + "y" * 200_000}, "page"),
])
def test_credentials_are_never_stored(store, values, where):
    with pytest.raises(Unstorable) as refused:
        store.put(key("credential"), Entry(values))
    assert refused.value.name == where and "credential" in refused.value.reason
    assert store.entries() == []


def test_credentials_in_outputs_and_known_passwords_are_refused(store):
    shown = [{"output_type": "execute_result", "data": {"text/plain": "'sqlite://u:pw123@h/x'"}, "metadata": {}}]
    with pytest.raises(Unstorable) as refused:
        store.put(key("output"), Entry({"n": 1}, outputs=shown))
    assert refused.value.name == "outputs"
    with pytest.raises(Unstorable):
        store.put(key("known"), Entry({"pw": "correct horse"}), known_secrets=["correct horse"])
    assert store.entries() == []


def test_values_that_only_look_near_credentials_are_stored(store):
    values = {"url": "https://example.com/data.csv?page=2", "config": {"password": "{password}", "user": "alice"},
              "tokens": {"pad_token": "<pad>"}, "text": "pass the salt " * 10_000}
    k = key("harmless")
    store.put(k, Entry(values))
    assert store.get(k).bindings == values


def test_the_code_kept_in_an_entry_is_masked(local):
    k = key("masked code")
    local.put(k, Entry({"n": 1}, code="engine = create_engine('postgresql://alice:hunter2@h/db')\nn = 1"))
    assert b"hunter2" not in entry_path(local, k).read_bytes()
    assert local.get(k).code.startswith("engine = create_engine('postgresql://alice:***@h/db')")


# -- listing, limits, eviction -------------------------------------------------

def test_entries_lists_and_clear_empties(store):
    for n in range(3):
        store.put(key(n), Entry({"n": n}, code=f"n = {n}\nprint(n)", seconds=n))
    store.get(key(0))
    listing = store.entries()
    assert [info.label for info in listing] == ["n = 0", "n = 2", "n = 1"]  # most recently used first
    assert all(info.size > 0 and info.created <= info.last_used for info in listing)
    assert store.size() == sum(info.size for info in listing)
    store.clear()
    assert store.entries() == [] and store.get(key(0)) is None


def test_least_recently_used_entries_are_evicted_under_the_limit(store):
    megabyte = np.zeros(1 << 17)  # 1 MiB of float64
    store.limit = int(3.5 * megabyte.nbytes)
    for n in range(3):
        store.put(key(n), Entry({"a": megabyte + n}))
    assert store.get(key(0)) is not None  # 0 is now more recent than 1 and 2
    store.put(key(3), Entry({"a": megabyte + 3}))
    assert {info.key for info in store.entries()} == {key(0), key(2), key(3)}
    assert store.size() <= store.limit
    with pytest.raises(Unstorable) as refused:
        store.put(key("huge"), Entry({"a": np.zeros(1 << 20)}))
    assert "limit" in refused.value.reason
    assert len(store.entries()) == 3


# -- several processes -----------------------------------------------------------

WRITER = """
import sys
import numpy as np
import hashlib
from reactive_kernel.cache import CacheStore, Entry, Signer
root, data, who, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = CacheStore(root, signer=Signer.for_data_dir(data))
k = hashlib.sha256(b"shared cell").hexdigest()
for n in range(rounds):
    value = who * 1000 + n
    store.put(k, Entry({"n": value, "a": np.full(300_000 + 1000 * (n % 7), value, dtype=np.int64)}))
"""

READER = """
import sys, os
import hashlib
from reactive_kernel.cache import CacheStore, Signer
root, data, done = sys.argv[1], sys.argv[2], sys.argv[3]
store = CacheStore(root, signer=Signer.for_data_dir(data))
k = hashlib.sha256(b"shared cell").hexdigest()
seen = {}
while True:
    last = os.path.exists(done)
    found = store.fetch(k)
    seen[found.reason] = seen.get(found.reason, 0) + 1
    if found.hit:
        values = found.entry.bindings
        assert (values["a"] == values["n"]).all(), "an entry mixes two writes"
    if last:
        break
print(" ".join(f"{reason}={count}" for reason, count in sorted(seen.items())))
"""


def test_two_kernels_sharing_a_directory_never_load_a_partial_entry(tmp_path):
    root, data, done = tmp_path / "shared", tmp_path / "jupyter-data", tmp_path / "done"
    Signer.for_data_dir(data)
    CacheStore(root, signer=Signer.for_data_dir(data))
    launch = lambda code, *args: subprocess.Popen(  # noqa: E731
        [sys.executable, "-c", code, *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    readers = [launch(READER, root, data, done) for _ in range(2)]
    writers = [launch(WRITER, root, data, who, 40) for who in (1, 2)]
    for writer in writers:
        _, err = writer.communicate(timeout=240)
        assert writer.returncode == 0, err
    done.touch()
    counts = []
    for reader in readers:
        out, err = reader.communicate(timeout=240)
        assert reader.returncode == 0, err
        counts.append(dict(item.split("=") for item in out.split()))
    for seen in counts:
        assert set(seen) <= {"hit", "absent"}, seen  # never truncated, unsigned or a bad signature
        assert "hit" in seen  # the last look, after both writers finished, found the entry
    assert list((root / "tmp").iterdir()) == []
