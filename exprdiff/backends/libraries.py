"""Importing JAX and PyTorch on demand, with an error that names the extra to install.

Importing exprdiff never imports either library; the functions that need
one call `import_jax` or `import_torch` first.

>>> import_library("math", "jax", "to_jax").__name__
'math'
>>> import_library("no_such_library_here", "jax", "to_jax")
Traceback (most recent call last):
...
ImportError: to_jax needs no_such_library_here, which is not installed: pip install "exprdiff[jax]"
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["import_jax", "import_library", "import_torch"]


def import_library(module: str, extra: str, needed_by: str) -> ModuleType:
    """``module`` imported, or an `ImportError` saying what needs it and which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{needed_by} needs {module}, which is not installed: "
            f'pip install "exprdiff[{extra}]"'
        ) from error


def import_jax(needed_by: str) -> ModuleType:
    """The ``jax`` module (the ``exprdiff[jax]`` extra)."""
    return import_library("jax", "jax", needed_by)


def import_torch(needed_by: str) -> ModuleType:
    """The ``torch`` module (the ``exprdiff[torch]`` extra)."""
    return import_library("torch", "torch", needed_by)
