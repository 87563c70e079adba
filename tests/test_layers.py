"""The import contract: layers are packages and every arrow points down.

``pristine`` < ``vocabulary`` < ``analysis`` < ``core`` < ``present`` < ``sql`` < ``jupyter``;
Jupyter itself is imported only by ``sql`` and ``jupyter``; no import circles.
docs/architecture.md explains where each kind of change goes.
"""
from __future__ import annotations

import networkx as nx

from tests.support.imports import JUPYTER, JUPYTER_LAYERS, LAYERS, layer, read_package, edges

MODULES = read_package()


def test_every_module_is_in_a_layer():
    assert {layer(name) for name in MODULES} <= set(LAYERS)


def test_arrows_point_down():
    upward = []
    for module in MODULES.values():
        own = LAYERS.index(layer(module.name))
        for imp in module.imports:
            if LAYERS.index(layer(imp.target)) > own:
                upward.append(f"{imp.source} -> {imp.target} (line {imp.line})")
    assert not upward, "imports of a higher layer:\n" + "\n".join(upward)


def test_jupyter_is_imported_only_by_the_adapter_layers():
    found = [f"{m.name} imports {sorted(m.external & JUPYTER)}"
             for m in MODULES.values() if m.external & JUPYTER and layer(m.name) not in JUPYTER_LAYERS]
    assert not found, "\n".join(found)


def test_no_import_circles():
    graph = nx.DiGraph(edges(MODULES))
    circles = [c for c in nx.simple_cycles(graph)]
    assert not circles, f"import circles: {circles}"


def test_the_root_package_imports_nothing_of_its_own():
    """``reactive_kernel`` is imported by every layer (``__version__``):
    importing it must not pull in a layer."""
    assert not MODULES["reactive_kernel"].imports


def test_the_contract_catches_an_upward_import(tmp_path):
    """The checker itself: a core module importing jupyter is reported."""
    package = tmp_path / "reactive_kernel"
    for sub in ("core", "jupyter"):
        (package / sub).mkdir(parents=True)
        (package / sub / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "jupyter" / "kernel.py").write_text("X = 1\n")
    (package / "core" / "engine.py").write_text("from ..jupyter.kernel import X\nimport IPython\n")
    modules = read_package(package)
    (imp,) = modules["reactive_kernel.core.engine"].imports
    assert (imp.target, layer(imp.target)) == ("reactive_kernel.jupyter.kernel", "jupyter")
    assert modules["reactive_kernel.core.engine"].external == {"IPython"}


def test_every_module_that_defines_code_sees_the_builtins_of_the_kernels_start():
    """A notebook that replaces a builtin (``builtins.sorted = None``) must not
    break the kernel's own code: each module names ``pristine.BUILTINS`` as its
    ``__builtins__`` before defining anything (tests/test_faults.py shows why)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "reactive_kernel"
    missing = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        defines = [n.lineno for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        if not defines or path.name in ("pristine.py", "__main__.py"):
            continue
        binds = [n.lineno for n in tree.body if isinstance(n, ast.ImportFrom) and n.module and
                 n.module.endswith("pristine") and any(a.asname == "__builtins__" for a in n.names)]
        if not binds or binds[0] > min(defines):
            missing.append(str(path.relative_to(root)))
    assert missing == []
