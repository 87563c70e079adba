"""Each cell's text is transformed once: IPython's static transforms are
memoized by text, the dynamic ones (which depend on the namespace) are not.
Whether a cell awaits is asked of its text once, and ``run_cell_async``
answers for its signature at once."""
import inspect

import pytest
from IPython.core import prefilter
from IPython.core.async_helpers import _should_be_async
from IPython.core.inputtransformer2 import TransformerManager
from IPython.core.interactiveshell import InteractiveShell

from reactive_kernel.jupyter.outputs import display_id, is_anchor
from reactive_kernel.jupyter.shell import ReactiveShell, StaticTransforms

CELLS = [
    "x = 1",
    "%time y = 2",
    "files = !ls\nlen(files)",
    "%%capture out\nprint('hidden')",
    "a = %env HOME",
    "   indented = 1",
    ">>> prompt = 1",
    "len?",
]


def test_static_transforms_match_ipython_and_are_memoized():
    memo, ipython = StaticTransforms(), TransformerManager()
    for _ in range(2):
        for cell in CELLS:
            assert memo.transform_cell(cell) == ipython.transform_cell(cell)
    assert len(memo._memo) == len(CELLS)


def test_a_transformer_added_later_applies_to_a_cell_seen_before():
    memo = StaticTransforms()
    assert memo.transform_cell("y = 1") == "y = 1\n"
    memo.cleanup_transforms.append(lambda lines: [line.replace("1", "2") for line in lines])
    assert memo.transform_cell("y = 1") == "y = 2\n"
    memo.cleanup_transforms.pop()
    assert memo.transform_cell("y = 1") == "y = 1\n"


AWAITING = ["import asyncio\nawait asyncio.sleep(0)\n", "x = 1\n", "return 5\n", "async def f():\n    await g()\n",
            "[await a async for a in b]\n", "def (:\n"]


def test_whether_a_cell_awaits_is_ipythons_answer_kept_by_text():
    shell = ReactiveShell.__new__(ReactiveShell)  # (the memo needs no running shell)
    shell._awaiting, shell.autoawait = None, True
    for _ in range(2):
        assert [shell.should_run_async(c, transformed_cell=c) for c in AWAITING] == \
            [_should_be_async(c) for c in AWAITING] == [True, False, False, False, True, False]
    assert len(shell._awaiting) == len(AWAITING)
    # a transform that failed, or autoawait off, is never "awaits"
    assert shell.should_run_async(AWAITING[0], transformed_cell=AWAITING[0], preprocessing_exc_tuple=(1, 2, 3)) is False
    shell.autoawait = False
    assert shell.should_run_async(AWAITING[0], transformed_cell=AWAITING[0]) is False


def test_run_cell_async_is_ipythons_with_its_signature_known():
    ours, theirs = ReactiveShell.run_cell_async, InteractiveShell.run_cell_async
    assert ours.__code__ is theirs.__code__ and ours.__kwdefaults__ == theirs.__kwdefaults__
    assert inspect.signature(ours) == inspect.signature(theirs)
    assert "__signature__" in vars(ours) and "__signature__" not in vars(theirs)


def test_dynamic_transforms_follow_the_namespace(kernel):
    """``pwd`` alone is the %pwd magic (automagic) until a variable takes the
    name. Above ``pwd = 5`` it stays the magic, as in Restart & Run All (the
    later value is hidden while it runs); below, it shows the variable."""
    first = kernel.execute("pwd", "c1")
    assert first.status == "ok" and "/" in first.text()
    kernel.execute("pwd = 5", "c2")
    again = kernel.execute("pwd", "c1")
    assert again.status == "ok" and again.text() == first.text()
    below = kernel.execute("pwd", "c3")
    assert below.status == "ok"
    assert below.text().splitlines()[0] == "5"


def test_an_input_transformer_registered_later_applies_to_a_rerun(kernel):
    kernel.execute("y = 1", "c1")
    assert kernel.value("y") == "1"
    kernel.execute("get_ipython().input_transformers_cleanup.append("
                   "lambda lines: [line.replace('y = 1', 'y = 2') for line in lines])")
    kernel.execute("y = 1", "c1")
    assert kernel.value("y") == "2"


def test_a_silent_cells_display_is_published_before_idle(kernel):
    """The display that ends a request waits for the IO thread's next wake-up
    (ipykernel's private queue): it still arrives, once, within the request."""
    assert kernel.value("get_ipython().kernel.publisher.queued.supported") == "True"
    for i in range(20):
        (own,) = kernel.execute(f"v{i} = {i}", f"c{i}").messages
        assert own["msg_type"] == "display_data" and is_anchor(own["content"]["data"])
        assert own["content"]["transient"]["display_id"] == display_id(f"c{i}")


@pytest.fixture(scope="module")
def shell():
    return ReactiveShell()


#: (cell, the namespace before, after, names moved, kept): a one-line cell's
#: transform is kept across names moving only when IPython's would not change
MOVES = [
    ("x = 1", {"x": 1}, {}, {"x"}, True),  # a clean rerun: its own name cleared
    ("y = x + 1", {"x": 1, "y": 2}, {"y": 2}, {"x"}, True),  # not its first name
    ("a = 1\nb = a", {"a": 1}, {}, {"a", "b"}, True),  # two lines: never against the namespace
    ("%time z = 1", {"get_ipython": 1}, {}, {"get_ipython"}, True),  # the prefilter sees the magic call
    ("%time z = 1", {"z": 1}, {}, {"z"}, True),
    ("pwd", {"pwd": 5}, {}, {"pwd"}, False),  # the variable gone: the magic again
    ("pwd", {}, {"pwd": 5}, {"pwd"}, False),  # a later cell's variable put back
    ("ls -l", {}, {"ls": 1}, {"ls"}, False),  # an alias
    ("m", {"m": "MACRO"}, {}, {"m"}, False),  # a macro then
    ("m", {}, {"m": "MACRO"}, {"m"}, False),  # a macro now
    ("shout", {}, {"shout": "AUTOCALL"}, {"shout"}, False),
]


def _value(value):
    from IPython.core.autocall import IPyAutocall
    from IPython.core.macro import Macro

    if value == "MACRO":
        return Macro("print('macro')\n")
    if value == "AUTOCALL":
        return type("Shout", (IPyAutocall,), {"__call__": lambda self: None})()
    return value


def _move(shell, code, before, after, moved):
    """Transform ``code`` against ``before``, change the namespace to ``after``
    and say which names moved; whether the transform was kept, asserting a
    kept one is what IPython gives now."""
    names = set(before) | set(after)
    saved = {n: shell.user_ns.pop(n) for n in names if n in shell.user_ns}
    shell.user_ns.update({n: _value(v) for n, v in before.items()})
    shell.forget_transform()
    first = shell.transform_cell(code)
    for name in names:
        shell.user_ns.pop(name, None)
    shell.user_ns.update({n: _value(v) for n, v in after.items()})
    shell.forget_transform(moved)
    kept = shell._transformed is not None
    if kept:
        assert shell.transform_cell(code) == first == InteractiveShell.transform_cell(shell, code)
    for name in names:
        shell.user_ns.pop(name, None)
    shell.user_ns.update(saved)
    return kept


@pytest.mark.parametrize("code,before,after,moved,kept", MOVES, ids=[f"{m[0]!r} {sorted(m[3])}" for m in MOVES])
def test_a_transform_is_kept_across_moved_names_only_when_ipythons_is_the_same(shell, code, before, after, moved,
                                                                               kept):
    assert _move(shell, code, before, after, moved) is kept


def test_a_transform_is_forgotten_when_ipython_reads_more_than_the_first_name(shell):
    assert _move(shell, "x = 1", {"x": 1}, {}, {"x"})
    shell.autocall = 1
    try:
        assert not _move(shell, "x = 1", {"x": 1}, {}, {"x"})
    finally:
        shell.autocall = 0
    shell.input_transformers_post.append(lambda lines: lines)
    try:
        assert not _move(shell, "a = 1\nb = a", {"a": 1}, {}, {"a"})
    finally:
        shell.input_transformers_post.pop()
    manager = shell.prefilter_manager

    class Checker(prefilter.PrefilterChecker):
        def check(self, line_info):
            return None

    checker = Checker(shell=shell, prefilter_manager=manager)
    try:
        assert not _move(shell, "x = 1", {"x": 1}, {}, {"x"})
    finally:
        manager.unregister_checker(checker)
    assert _move(shell, "x = 1", {"x": 1}, {}, {"x"})
    shell.user_ns["x"] = 1
    shell.transform_cell("x = 1")
    shell.forget_transform()  # a new request: forgotten whatever moved
    assert shell._transformed is None


def test_a_first_name_whose_object_raises_when_looked_at_is_transformed_as_ipython_does(shell):
    class Hostile:
        def __getattribute__(self, name):
            raise RuntimeError(name)

    shell.user_ns["hostile"] = Hostile()
    try:
        shell.forget_transform()
        assert shell.transform_cell("hostile.append(1)") == InteractiveShell.transform_cell(shell, "hostile.append(1)")
        shell.forget_transform({"hostile"})
        assert shell._transformed is None  # looked at again, by IPython
    finally:
        del shell.user_ns["hostile"]
