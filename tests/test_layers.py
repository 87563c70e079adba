"""The import contract: layers are packages and every arrow points down.

``vocabulary`` < ``analysis`` < ``core`` < ``present`` < ``sql`` < ``jupyter``;
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
