"""reactive-kernel: a Jupyter kernel for Python with reactive, reproducible reruns.

Layers, bottom up (docs/architecture.md): ``vocabulary``, ``analysis/``,
``core/`` (the engine: ``reactive_kernel.core.engine.Engine``), ``present/``,
``sql/``, ``jupyter/`` (the kernel: ``reactive_kernel.jupyter.kernel``).
This module imports none of them, so any layer may read ``__version__``.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
