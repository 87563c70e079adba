"""Bad input never hangs a cell or loses state: malformed request metadata,
text the wire cannot carry, aborted requests; every execute_request gets
exactly one reply, with ``metadata.reactive``."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from reactive_kernel.core.engine import Engine
from reactive_kernel.jupyter.request import MetadataReader
from tests.support.client import KernelSession


@pytest.fixture(scope="module")
def kernel():
    with KernelSession() as session:
        yield session


MALFORMED = [
    {"cellId": {"a": 1}},
    {"cellId": ["x"]},
    {"cellId": 5},
    {"cellId": ""},
    {"cellId": None},
    {"deletedCells": "ab"},
    {"deletedCells": [1, 2]},
    {"deletedCells": ["ok", 3]},
    {"deletedCells": {"a": 1}},
    {"reactive": "keep"},
    {"reactive": {"mode": 3}},
    {"reactive": {"mode": "sideways"}},
    {"reactive": ["keep"]},
]


@pytest.mark.parametrize("metadata", MALFORMED, ids=[repr(m) for m in MALFORMED])
def test_malformed_metadata_is_ignored_and_the_cell_runs(kernel, metadata):
    kernel.execute("a = 1", "a")
    kernel.execute("b = 2", "b")
    result = kernel.execute("probe = a + b", None, metadata=metadata, timeout=30)
    assert result.status == "ok"
    assert "reactive" in result.reply["metadata"]
    assert kernel.value("(a, b, probe)") == "(1, 2, 3)"  # "ab" deleted neither a nor b


def test_metadata_reader_never_half_applies():
    reader = MetadataReader()
    assert reader.read({"deletedCells": ["x", 3]}).deleted == ()
    assert reader.read({"deletedCells": ["x", "y"]}).deleted == ("x", "y")
    assert reader.read({"cellId": ""}).cell_id is None
    assert reader.read("not a dict").cell_id is None
    assert reader.read({"reactive": {"mode": "keep"}}).mode == "keep"


def test_text_with_a_lone_surrogate_is_escaped_not_dropped(kernel):
    result = kernel.execute("print('a\\ud800b')\n'x\\udfffy'", "surrogate", timeout=30)
    assert result.status == "ok"
    assert "a\\ud800b" in result.text()
    assert "x\\udfffy" in result.text()


def test_aborted_reply_carries_reactive_metadata(kernel):
    failing = kernel.send("1 / 0", "boom")
    queued = kernel.send("after = 1", "after")
    failed, aborted = kernel.collect([failing, queued], timeout=30)
    assert failed.status == "error"
    assert aborted.status == "aborted"
    assert aborted.reactive["error"]["kind"] == "aborted"
    assert aborted.reactive["cell_id"] == "after"


def test_tracebacks_show_no_frame_of_the_kernel(kernel):
    kernel.execute("base = 1", "base")
    kernel.execute("derived = base + 1", "derived")
    result = kernel.execute("base = undefined_name", "base")
    assert result.status == "error"
    assert "reactive_kernel" not in result.text()


def test_deleting_a_name_is_its_cells_value_readers_do_not_rerun_providers():
    e = Engine()
    e.run("c1", "tmp = 1")
    e.run("c2", "del tmp")
    e.run("c3", "seen = 'tmp' in globals()")
    for _ in range(3):
        report = e.run("c4", "x = 1\ntry:\n    tmp\nexcept NameError:\n    x = 2")
        assert [r.cell_id for r in report.ran] == ["c4"]
    assert e.namespace["x"] == 2


@pytest.mark.parametrize("code", ["-" * 100_000 + "1", "x = " + "(" * 300 + "1" + ")" * 300, "if True:\nx = 1"])
def test_code_the_parser_cannot_handle_is_shown_as_ipython_shows_it(kernel, code):
    kernel.execute("kept = 42", "kept")
    result = kernel.execute(code, "odd", timeout=60)
    assert result.status == "error"
    assert result.reactive["error"]["kind"] == "syntax"
    assert "reactive_kernel" not in result.text()
    assert kernel.value("kept") == "42"


HOSTILE = '''class Hostile:
    def __getattribute__(self, name):
        raise RuntimeError('no ' + name)
    def __eq__(self, other):
        raise RuntimeError('eq')
    def __hash__(self):
        raise RuntimeError('hash')
    def __bool__(self):
        raise RuntimeError('bool')
    def __repr__(self):
        raise RuntimeError('repr')
    def __iter__(self):
        raise RuntimeError('iter')
'''


def test_hostile_objects_change_nothing_but_their_own_cells():
    e = Engine()
    e.run("c1", HOSTILE)
    e.run("c2", "h = Hostile()\nbox = [h]\nplain = [1, 2]")
    e.run("c3", "box.append(1)")
    e.run("c4", "n = len(box) + len(plain)")
    assert e.namespace["n"] == 4
    report = e.run("c2", "h = Hostile()\nbox = [h]\nplain = [1, 2]")
    assert [r.status for r in report.ran] == ["ok", "ok", "ok"]
    assert e.namespace["n"] == 4


def test_hostile_object_in_the_real_kernel(kernel):
    kernel.execute(HOSTILE, "hostile-class")
    made = kernel.execute("h = Hostile()\nitems = [h]", "hostile-make")
    used = kernel.execute("items.append(2)\ncount = len(items)", "hostile-use")
    assert made.status == used.status == "ok"
    assert "reactive" in used.reply["metadata"]
    assert kernel.value("count") == "2"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["print('\\ud800')", "x = '\\x00'", "\x00", "'\\udfff'", "(" * 400 + ")" * 400,
                     "y = 1\n" * 2000, "  indented = 1", "%%cell\n", "%%keep\nk = 1", "del print",
                     "del tmp_not_there"]),
)


@settings(max_examples=int(os.environ.get("BAD_INPUT_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cell_id=json_values, deleted=json_values, options=json_values, code=odd_text)
def test_any_metadata_and_text_get_one_reply_with_reactive_metadata(kernel, cell_id, deleted, options, code):
    kernel.execute("sentinel = 'intact'", "sentinel")
    metadata = {"cellId": cell_id, "deletedCells": deleted, "reactive": options}
    msg_id = kernel.send(code, None, metadata=metadata, stop_on_error=False)
    result = kernel.collect([msg_id], timeout=60)[0]
    assert result.status in ("ok", "error")
    assert "reactive" in result.reply["metadata"]
    assert "reactive_kernel" not in result.text()
    if deleted != ["sentinel"]:
        assert kernel.value("sentinel") == "'intact'"
