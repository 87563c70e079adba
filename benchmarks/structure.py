"""The package's structure in figures: files and lines per layer, import
levels, circles and the longest functions, read from the source with ``ast``.

    python benchmarks/structure.py            # this checkout
    python benchmarks/structure.py --at REV   # another commit (git worktree, removed after)
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.imports import edges, layer, longest_functions, read_package  # noqa: E402


def report(package: Path) -> None:
    modules = read_package(package)
    graph = nx.DiGraph(edges(modules))
    graph.add_nodes_from(modules)
    files, lines = Counter(), Counter()
    for name, module in modules.items():
        files[layer(name)] += 1
        lines[layer(name)] += len(module.path.read_text().splitlines())
    print(f"{len(modules)} modules, {graph.number_of_edges()} imports")
    for name in files:
        print(f"  {name:<10} {files[name]:>3} files {lines[name]:>6} lines")
    circles = list(nx.simple_cycles(graph))
    condensed = nx.condensation(graph)
    print(f"import levels: {nx.dag_longest_path_length(condensed) + 1}")
    print(f"circles: {len(circles)}" + "".join(f"\n  {' -> '.join(c)}" for c in circles))
    print("longest functions:")
    for length, where in longest_functions(modules):
        print(f"  {length:>4} {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--at", help="a commit to measure instead of the working tree")
    args = parser.parse_args()
    if not args.at:
        report(ROOT / "reactive_kernel")
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", tmp, args.at],
                       check=True, capture_output=True)
        try:
            report(Path(tmp) / "reactive_kernel")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", tmp], check=True)


if __name__ == "__main__":
    main()
