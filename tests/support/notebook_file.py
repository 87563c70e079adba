"""What the property and order tests share: a session notebook file on disk
and a fresh top-to-bottom run of cells, the yardstick of the promise."""
from __future__ import annotations

import json
import os


def write_notebook(path, cells: list[tuple[str, str]], tags: dict[str, object] | None = None) -> None:
    """Save code ``cells`` (id, source) in page order, with ``metadata.tags``
    as ``tags`` gives them per id (any JSON, malformed included), and make
    sure the file's modification time moves forward so the kernel rereads it."""
    tags = tags or {}
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "id": cell_id, "execution_count": None, "outputs": [],
                           "metadata": {"tags": tags[cell_id]} if cell_id in tags else {}, "source": code}
                          for cell_id, code in cells]}
    path = str(path)
    previous = os.stat(path).st_mtime_ns if os.path.exists(path) else 0
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(notebook, handle)
    stamp = max(os.stat(path).st_mtime_ns, previous + 1_000_000)
    os.utime(path, ns=(stamp, stamp))


def run_all(cells: list[tuple[str, str]]):
    """A fresh namespace running every cell once, in notebook order: the
    namespace, and the first error (None when every cell ran)."""
    namespace: dict = {}
    for cell_id, code in cells:
        try:
            exec(compile(code, f"<run-all {cell_id}>", "exec"), namespace)
        except Exception as error:  # noqa: BLE001 - any error voids the promise
            return namespace, f"{cell_id}: {type(error).__name__}: {error}"
    return namespace, None
