"""Static reads, writes and mutations of one cell (the semantics file's
"Reads and writes" section), one row per construct."""
from __future__ import annotations

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from reactive_kernel.analysis.cells import CellSyntaxError, Effect, analyze, is_graph_name
from reactive_kernel.analysis.cells import python_body_magics
from reactive_kernel.analysis.names import RETURNED


def S(*names):
    return frozenset(names)


# (id, code, reads, writes, mutations)
CASES = [
    # assignment
    ("assign", "x = 1", S(), S("x"), S()),
    ("assign-chain", "x = y = 1", S(), S("x", "y"), S()),
    ("assign-unpack", "x, *y = z", S("z"), S("x", "y"), S()),
    ("assign-list-target", "[a, b] = c", S("c"), S("a", "b"), S()),
    ("augassign", "x += 1", S("x"), S("x"), S()),
    ("annassign-value", "x: int = 1", S("int"), S("x"), S()),
    ("annassign-no-value", "x: int", S("int"), S(), S()),
    # for / with targets
    ("for-target", "for i in r:\n    pass\n", S("r"), S("i"), S()),
    ("for-body", "for i in r:\n    total = i\n", S("r"), S("i", "total"), S()),
    ("with-target", "with open(f) as fh:\n    pass\n", S("open", "f"), S("fh"), S()),
    ("async-with-in-def", "async def f():\n    async with a as b:\n        pass\n", S(), S("f"), S()),
    # imports
    ("import-dotted", "import a.b", S(), S("a"), S()),
    ("import-as", "import a.b as c", S(), S("c"), S()),
    ("from-import", "from a import b as c, d", S(), S("c", "d"), S()),
    ("star-import-static", "from a import *", S(), S(), S()),
    # def / class
    ("def-free-names", "def f(p, q=d0, *a, **k):\n    return p + g + q + a + k\n", S("d0"), S("f"), S()),
    ("def-decorator", "@deco\ndef f():\n    pass\n", S("deco"), S("f"), S()),
    ("def-annotations", "def f(a: T) -> R:\n    return a\n", S("T", "R"), S("f"), S()),
    ("def-locals-not-names", "def f(a):\n    b = a\n    return b\n", S(), S("f"), S()),
    ("def-local-import", "def f():\n    import os\n    return os\n", S(), S("f"), S()),
    ("def-nested", "def f():\n    def g():\n        return h\n    return g\n", S(), S("f"), S()),
    ("def-body-reads-later-binding", "def f():\n    return y\ny = 1\n", S(), S("f", "y"), S()),
    # a function's global writes happen in the cells that call it
    ("def-global-assign", "def f():\n    global x\n    x = 1\n", S(), S("f"), S()),
    ("def-global-assign-called", "def f():\n    global x\n    x = 1\nf()", S(), S("f", "x"), S()),
    ("def-called-in-cell", "def f():\n    return k\ny = f()", S("k"), S("f", "y"), S()),
    ("class-bases", "class C(Base, metaclass=M):\n    y = z\n    def m(self):\n        return w\n",
     S("Base", "M", "z"), S("C"), S()),
    ("class-decorator", "@dataclass\nclass C:\n    a: int = 0\n", S("dataclass", "int"), S("C"), S()),
    # class attributes are invisible to comprehensions and methods in the body:
    # their x is the global one
    ("class-body-comprehension", "class C:\n    x = 1\n    y = [x for _ in r]\n", S("x", "r"), S("C"), S()),
    ("class-method-global", "class A:\n    x = 1\n    def m(self):\n        return x\n", S(), S("A"), S()),
    ("class-attribute-own", "class A:\n    x = 1\n    y = x + 1\n", S(), S("A"), S()),
    # lambdas
    ("lambda", "f = lambda a, b=dflt: a + c", S("dflt"), S("f"), S()),
    ("lambda-in-place", "y = sorted(r, key=lambda v: v[k])", S("sorted", "r", "k"), S("y"), S()),
    ("lambda-walrus-is-local", "(lambda: (w := 1))()", S(), S(), S()),
    # walrus
    ("walrus", "(y := 3)", S(), S("y"), S()),
    ("walrus-in-comprehension", "[(t := i) for i in r]", S("r"), S("t"), S()),
    # global statement at top level
    ("global-toplevel", "global q\nq = 1", S(), S("q"), S()),
    # match captures
    ("match", "match v:\n    case [a, *rest]:\n        pass\n    case {'k': b, **others}:\n        pass\n"
     "    case P(x=c) as whole:\n        pass\n",
     S("v", "P"), S("a", "rest", "b", "others", "c", "whole"), S()),
    # del
    ("del-name", "del x", S("x"), S("x"), S()),
    ("del-after-bind", "x = 1\ndel x", S(), S("x"), S()),
    ("del-subscript", "del n[k]", S("n", "k"), S("n"), S("n")),
    # mutation
    ("setattr", "n.attr = v", S("n", "v"), S("n"), S("n")),
    ("setattr-deep", "a.b.c = 1", S("a"), S("a"), S("a")),
    ("setitem", "n[k] = v", S("n", "k", "v"), S("n"), S("n")),
    ("setitem-attr", "n[k].m = v", S("n", "k", "v"), S("n"), S("n")),
    ("aug-setitem", "n[k] += v", S("n", "k", "v"), S("n"), S("n")),
    # method calls are effect candidates, decided with the receiver's type
    ("method-call", "lst.append(1)", S("lst"), S(), S()),
    ("method-call-kwargs", "df.drop(c, inplace=True)", S("df", "c"), S(), S()),
    ("method-call-await", "await x.close()", S("x"), S(), S()),
    ("method-call-result-used", "y = lst.copy()", S("lst"), S("y"), S()),
    ("call-on-call-result", "f(x).append(1)", S("f", "x"), S(), S()),
    ("mutation-of-own-binding", "lst = []\nlst.append(1)", S(), S("lst"), S()),
    ("plain-call", "print(x)", S("print", "x"), S(), S()),
    # comprehensions
    ("comprehension-var", "y = [i for i in r]", S("r"), S("y"), S()),
    ("comprehension-nested", "y = {k: v for k in a for v in b if k != z}", S("a", "b", "z"), S("y"), S()),
    ("comprehension-shadowing", "x = [x for x in x]", S("x"), S("x"), S()),
    ("generator", "total = sum(i * w for i in r)", S("sum", "w", "r"), S("total"), S()),
    # try / except
    ("try-except", "try:\n    x = 1\nexcept ValueError as e:\n    pass\n", S("ValueError"), S("x", "e"), S()),
    ("try-except-star", "try:\n    pass\nexcept* ValueError as eg:\n    pass\n", S("ValueError"), S("eg"), S()),
    # IPython history names
    ("history-names", "y = _ + __ + ___ + _i3 + _ii + Out[1] + In[1] + _5", S(), S("y"), S()),
    ("history-assign", "_ = 1\n_5 = 2\nOut = {}", S(), S(), S()),
    # x = x + 1 and order within the cell
    ("x-plus-one", "x = x + 1", S("x"), S("x"), S()),
    ("read-after-own-bind", "y = 1\nz = y", S(), S("y", "z"), S()),
    ("read-before-own-bind", "z = y\ny = 1", S("y"), S("y", "z"), S()),
    ("del-then-bind", "del x\nx = 1", S("x"), S("x"), S()),
    ("default-arg-reads-own-name", "def f(x=x):\n    pass\n", S("x"), S("f"), S()),
]


@pytest.mark.parametrize(
    "code, reads, writes, mutations",
    [pytest.param(*row[1:], id=row[0]) for row in CASES],
)
def test_names(code, reads, writes, mutations):
    names = analyze(code, magics=python_body_magics())
    assert (names.reads, names.writes, names.mutations) == (reads, writes, mutations)


@pytest.mark.parametrize(
    "code, effects",
    [
        ("lst.append(1)", [Effect("method", "lst", "append")]),
        ("last = L.pop()", [Effect("method", "L", "pop")]),
        ("out.append(L.append(x))", [Effect("method", "out", "append"), Effect("method", "L", "append"),
                                     Effect("arg", "x", callee=("L", "append"), position=0)]),
        ("df.drop(c, inplace=True)", [Effect("method", "df", "drop", inplace=True),
                                      Effect("arg", "c", callee=("df", "drop"), position=0)]),
        ("box[0].append(1)", [Effect("method", "box", "append", chained=True)]),
        ("add(L)", [Effect("arg", "L", callee=("add",), position=0)]),
        ("np.add(a, 1, out=a)", [Effect("method", "np", "add"), Effect("arg", "a", callee=("np", "add"), position=0),
                                 Effect("arg", "a", callee=("np", "add"), position="out")]),
        ("for v in it:\n    pass", [Effect("iter", "it")]),
        ("y = [v for v in it]", [Effect("iter", "it")]),
        # the receiver is what f returned: maybe x itself, or a global f
        # returns (decided with f's value and summary)
        ("f(x).append(1)", [Effect("method", "x", "append", callee=("f",), chained=True),
                            Effect("method", "f", "append", callee=("f",), position=RETURNED, chained=True),
                            Effect("arg", "x", callee=("f",), position=0)]),
        # a name the cell bound may hold another cell's object (decided with its value)
        ("lst = []\nlst.append(1)", [Effect("method", "lst", "append")]),
        ("for v in rows:\n    v.append(1)", [Effect("iter", "rows"), Effect("method", "v", "append"),
                                             Effect("method", "rows", "append", chained=True)]),
    ],
)
def test_effect_candidates(code, effects):
    assert list(analyze(code).effects) == effects


#: each of Python's binding forms, binding ``n``
BINDING_FORMS = [
    "n = 1", "n, m = p", "[*n] = p", "n: int = 1", "for n in p:\n    pass", "with p as n:\n    pass",
    "import n", "import n.sub", "from p import n", "from p import q as n", "def n():\n    pass",
    "class n:\n    pass", "(n := 1)", "try:\n    pass\nexcept E as n:\n    pass",
    "match p:\n    case [*n]:\n        pass", "match p:\n    case {**n}:\n        pass",
    "match p:\n    case q as n:\n        pass", "match p:\n    case n:\n        pass",
]


#: the forms that bind ``n`` on some paths only (a loop that runs no time, a
#: handler or case not taken): a use on the binding path reads nothing
CONDITIONAL = {form for form in BINDING_FORMS if form.startswith(("for ", "try:", "match "))}


@pytest.mark.parametrize("form", BINDING_FORMS)
def test_a_binding_form_binds_alike_in_a_cell_and_in_a_function(form):
    if form in CONDITIONAL:  # the use on the path that binds (the last ``pass``)
        head, _, _ = form.rpartition("pass")
        cell = analyze(head + "use(n)")
    else:
        cell = analyze(form + "\nuse(n)")
    assert "n" in cell.writes and "n" not in cell.reads
    body = "\n".join("    " + line for line in form.splitlines())
    function = analyze(f"def f():\n{body}\n    use(n)\n").functions["f"]
    assert "n" not in function.reads and "use" in function.reads


@pytest.mark.parametrize("form", sorted(CONDITIONAL))
def test_a_name_bound_on_some_paths_only_is_also_read_after_them(form):
    """Past the statement, ``n`` is what this cell bound or, on the path
    that skipped the binding, what an earlier cell bound: a read of it."""
    cell = analyze(form + "\nuse(n)")
    assert "n" in cell.writes and "n" in cell.reads


@pytest.mark.parametrize("code, reads", [
    ("if a:\n    x = 1\nuse(x)", {"a", "use", "x"}),
    ("if a:\n    x = 1\nelse:\n    x = 2\nuse(x)", {"a", "use"}),
    ("if a:\n    x = 1\nelif b:\n    x = 2\nuse(x)", {"a", "b", "use", "x"}),
    ("if a:\n    x = 1\n    use(x)", {"a", "use"}),
    ("x = 0\nif a:\n    x = 1\nuse(x)", {"a", "use"}),
    ("while a:\n    x = 1\nuse(x)", {"a", "use", "x"}),
    ("try:\n    import m\nexcept ImportError:\n    m = None\nuse(m)", {"ImportError", "use"}),
    ("try:\n    r = f()\nexcept ValueError:\n    pass\nuse(r)", {"ValueError", "f", "use", "r"}),
    ("try:\n    r = f()\nfinally:\n    g = 1\nuse(r, g)", {"f", "use"}),
    ("with a as b:\n    x = 1\nuse(x)", {"a", "use"}),
])
def test_what_the_paths_through_a_statement_leave_bound(code, reads):
    assert set(analyze(code).reads) == reads


def test_function_summary_keeps_parameter_and_global_effects():
    names = analyze("def add(l, v):\n    l.append(v)\n    log.append(v)\n    tmp = []\n    tmp.append(1)\n")
    summary = names.functions["add"]
    assert summary.params == ("l", "v")
    assert summary.reads == S("log")
    assert {e for e in summary.effects if e.kind == "method"} == {
        Effect("method", "l", "append"), Effect("method", "log", "append")}


def test_class_summary_has_methods_and_their_reads():
    names = analyze("class P:\n    def val(self):\n        return k * self.v\n"
                    "    def move(self):\n        self.v += 1\n")
    summary = names.functions["P"]
    assert summary.reads == S("k")
    assert set(summary.methods) == {"val", "move"}
    assert Effect("store", "self") in summary.methods["move"].effects


def test_bindings_exclude_mutations():
    names = analyze("lst.append(1)\ny = 2")
    assert names.bindings == S("y")


@pytest.mark.parametrize("name", ["_", "__", "___", "_i", "_ii", "_i3", "_5", "_ih", "_oh", "In", "Out",
                                  "get_ipython", "__builtins__", "__name__"])
def test_history_and_shell_names_are_not_graph_names(name):
    assert not is_graph_name(name)


@pytest.mark.parametrize("name", ["x", "_x", "df_", "i", "In_", "Output", "_private", "x__"])
def test_user_names_are_graph_names(name):
    assert is_graph_name(name)


# -- IPython-transformed code --------------------------------------------------
transform = TransformerManager().transform_cell


@pytest.mark.parametrize(
    "code, reads, writes",
    [
        pytest.param("%time x = 1", S(), S("x"), id="time-line-magic"),
        pytest.param("%time y = x + 1", S("x"), S("y"), id="time-line-magic-reads"),
        pytest.param("%%time\ny = x * 2\n", S("x"), S("y"), id="time-cell-magic"),
        pytest.param("!ls", S(), S(), id="shell-escape"),
        pytest.param("files = !ls", S(), S("files"), id="shell-assign"),
        pytest.param("%matplotlib inline", S(), S(), id="line-magic"),
        pytest.param("x?", S(), S(), id="help"),
        pytest.param("%%capture out\nprint(z)\n", S("print", "z"), S("out"), id="capture-cell-magic"),
    ],
)
def test_transformed_ipython_code(code, reads, writes):
    names = analyze(transform(code), magics=python_body_magics())
    # get_ipython is bound by IPython: never a graph name
    assert (names.reads, names.writes) == (reads, writes)


@pytest.mark.parametrize("code", ["x = ", "def f(:\n    pass", "x = 1\n  y = 2", "for in x: pass", "return = 3"])
def test_syntax_errors_raise_cell_syntax_error(code):
    with pytest.raises(CellSyntaxError) as info:
        analyze(code)
    assert isinstance(info.value.error, SyntaxError)
    assert "line" in str(info.value)
