"""Leading `%%cell NAME` / `%%keep` lines, parsed before the engine or IPython sees the code."""
import pytest

from reactive_kernel.analysis.directives import Directives, parse


@pytest.mark.parametrize("code, expected", [
    ("x = 1", Directives("x = 1")),
    ("%%cell a\nq = 1\n", Directives("q = 1", "a", False)),
    ("%%keep\nx = x + 1", Directives("x = x + 1", None, True)),
    ("%%cell b\n%%keep\nprint(q)", Directives("print(q)", "b", True)),
    ("%%keep\n%%cell b\nprint(q)", Directives("print(q)", "b", True)),
    ("  %%cell  spaced  \nz = 2", Directives("z = 2", "spaced", False)),
    # only leading lines count, and each directive once
    ("x = 1\n%%cell a", Directives("x = 1\n%%cell a")),
    ("%%cell a\n%%cell b\ny = 2", Directives("%%cell b\ny = 2", "a", False)),
    # other cell magics are IPython's
    ("%%time\nx = 1", Directives("%%time\nx = 1")),
    ("%%cell a\n%%time\nx = 1", Directives("%%time\nx = 1", "a", False)),
    ("%%cellular\nx", Directives("%%cellular\nx")),
])
def test_parse(code, expected):
    assert parse(code) == expected
