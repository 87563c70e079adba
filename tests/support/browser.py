"""What browser tests share: a notebook file for the reactive kernel, and
what every browser test keeps when it fails (the page as it was and the
server's log)."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

#: the kernelspec a notebook saved for the reactive kernel names
REACTIVE_KERNELSPEC = {"name": "reactive", "display_name": "Python 3 (reactive)", "language": "python"}

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def keep_failure(page, server, name: str) -> None:
    """A screenshot and the Jupyter server's log in tests/artifacts/, named ``name``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"))
    (ARTIFACTS / f"{name}-server.log").write_text(server.log())


def write_reactive_notebook(path: Path, cells: list) -> None:
    """A notebook of code ``cells`` (sources, or (id, source) pairs) that
    JupyterLab and Notebook 7 open with the reactive kernel."""
    notebook = new_notebook(cells=[new_code_cell(c) if isinstance(c, str) else new_code_cell(c[1], id=c[0])
                                   for c in cells])
    notebook.metadata["kernelspec"] = dict(REACTIVE_KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.write(notebook, path)
