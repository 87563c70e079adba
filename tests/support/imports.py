"""The package's import graph, read from its own source with ``ast``.

Used by the layer-contract test (``tests/test_layers.py``) and by
``benchmarks/structure.py``, which prints the figures the architecture
issue asked for (files per package, import levels, circles, longest
functions).  Nothing is imported or run: the files are read as text.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "reactive_kernel"

#: layers from the bottom up; a module may import its own layer and lower ones
LAYERS = ("root", "pristine", "vocabulary", "analysis", "core", "cache", "present", "sql", "jupyter", "main")
#: third-party packages that make code Jupyter code
JUPYTER = frozenset({"IPython", "ipykernel", "jupyter_client", "jupyter_core", "zmq", "traitlets",
                     "comm", "ipywidgets", "nbformat"})
#: layers allowed to import them (sql's magics parse options with IPython's magic_arguments)
JUPYTER_LAYERS = frozenset({"sql", "jupyter", "main"})


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    #: under ``if TYPE_CHECKING:``: a type annotation only, never run
    typing_only: bool


@dataclass
class Module:
    name: str
    path: Path
    imports: list[Import] = field(default_factory=list)
    #: top-level names of third-party packages it imports
    external: set[str] = field(default_factory=set)


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "root"
    if parts[1] in ("__main__",):
        return "main"
    return parts[1]


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        return [node.module] if node.module else []
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    prefix = ".".join(base + ([node.module] if node.module else []))
    if node.module:
        return [prefix]
    return [f"{prefix}.{alias.name}" for alias in node.names]


def _typing_blocks(tree: ast.Module) -> set[int]:
    """Ids of import nodes inside ``if TYPE_CHECKING:`` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return inside


def read_package(root: Path = PACKAGE) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        modules[name] = Module(name, path)
    for module in modules.values():
        tree = ast.parse(module.path.read_text(), str(module.path))
        typing_only = _typing_blocks(tree)
        is_package = module.path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                targets = _resolve(module.name, is_package, node)
            else:
                continue
            for target in targets:
                if target.split(".")[0] != root.name:
                    module.external.add(target.split(".")[0])
                    continue
                while target not in modules and "." in target:  # `from .pkg import name`
                    target = target.rsplit(".", 1)[0]
                if target != module.name:
                    module.imports.append(Import(module.name, target, node.lineno, id(node) in typing_only))
    return modules


def edges(modules: dict[str, Module]) -> set[tuple[str, str]]:
    """Every import, ``TYPE_CHECKING`` ones included: a module that names
    another's types depends on it as much as one that calls it."""
    return {(i.source, i.target) for m in modules.values() for i in m.imports}


def longest_functions(modules: dict[str, Module], count: int = 10) -> list[tuple[int, str]]:
    """The ``count`` longest functions and methods, as (lines, "module:name")."""
    found = []
    for module in modules.values():
        tree = ast.parse(module.path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append((node.end_lineno - node.lineno + 1, f"{module.name}:{node.name}"))
    return sorted(found, reverse=True)[:count]
