"""reactive-kernel: a Jupyter kernel for Python with reactive, reproducible reruns."""
from .core.engine import Engine

__version__ = "0.1.0"
__all__ = ["Engine", "__version__"]
