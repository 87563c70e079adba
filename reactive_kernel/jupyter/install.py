"""``python -m reactive_kernel install``: put the kernelspec where Jupyter looks."""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager

SPEC_DIR = Path(__file__).resolve().parent.parent / "kernelspec"
DEFAULT_NAME = "reactive"
DEFAULT_DISPLAY_NAME = "Python 3 (reactive)"


def spec_source() -> Path:
    """The kernelspec shipped with the package: from the source tree, else the
    copy the wheel installed under share/jupyter/kernels."""
    if (SPEC_DIR / "kernel.json").exists():
        return SPEC_DIR
    return Path(sys.prefix) / "share" / "jupyter" / "kernels" / DEFAULT_NAME


def install(user=False, prefix=None, name=DEFAULT_NAME, display_name=DEFAULT_DISPLAY_NAME) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / name
        shutil.copytree(spec_source(), target)
        spec_file = target / "kernel.json"
        spec = json.loads(spec_file.read_text())
        spec["argv"][0] = sys.executable  # the interpreter that has this package
        spec["display_name"] = display_name
        spec_file.write_text(json.dumps(spec, indent=1))
        return KernelSpecManager().install_kernel_spec(
            str(target), kernel_name=name, user=user, prefix=prefix
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reactive_kernel install",
                                     description="Install the reactive kernel's kernelspec.")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="for the current user")
    where.add_argument("--sys-prefix", action="store_true", help="into sys.prefix (a venv/conda env)")
    where.add_argument("--prefix", help="under PREFIX/share/jupyter/kernels")
    parser.add_argument("--name", default=DEFAULT_NAME)
    parser.add_argument("--display-name", default=DEFAULT_DISPLAY_NAME)
    args = parser.parse_args(argv)
    prefix = sys.prefix if args.sys_prefix else args.prefix
    path = install(user=args.user, prefix=prefix, name=args.name, display_name=args.display_name)
    print(f"Installed kernelspec {args.name} in {path}")
