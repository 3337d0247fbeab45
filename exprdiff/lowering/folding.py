"""Values known while generating code: computed then, by the same functions, with the same bits.

Lowering computes an operation at once when all its operands are known
(constants, the reverse pass's all-ones seed): `fold` runs the very function
the code would run, on the values the code would have, and keeps the result
only when that raised no floating-point warning and is finite, so the code
behaves as it would have.  Also here: the shapes of elementwise results and
the test for the all-ones value a product may drop.

>>> fold(lambda a, b: a * b, [np.float64(2.0), 0.5]), fold(lambda a: a / 0.0, [1.0])
(np.float64(1.0), None)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exprdiff.lowering.program import UNKNOWN, Val

__all__ = ["NONE", "broadcast", "fold", "is_one", "kind_of_value", "setting_key"]

FOLD_SIZE = 100_000  # constants up to this many elements are computed while generating
NONE = object()  # "not remembered yet" (where None is a remembered "no template")


def fold(compute, values: list) -> Any:
    """``compute(*values)`` if it runs without a floating-point warning and is finite, else None."""
    try:
        with np.errstate(all="raise"):
            value = compute(*values)
    except Exception:  # noqa: BLE001 - it then runs when the code runs, as written
        return None
    if type(value) is np.ndarray:
        if value.dtype != np.float64 or value.size > FOLD_SIZE or not np.isfinite(value).all():
            return None
        value.setflags(write=False)
        return value
    if isinstance(value, (float, np.floating)) and np.isfinite(value):
        return value
    return None


def kind_of_value(value: Any) -> Any:
    return value.shape if type(value) is np.ndarray else None


def broadcast(shapes: list) -> Any:
    """The shape of an elementwise result: None if every operand is a scalar."""
    arrays = []
    for shape in shapes:
        if shape is UNKNOWN:
            return UNKNOWN
        if shape is not None and (not arrays or shape != arrays[0]):
            arrays.append(shape)
    if not arrays:
        return None
    return arrays[0] if len(arrays) == 1 else np.broadcast_shapes(*arrays)


def is_one(val: Val, numpy_scalars: bool = False) -> bool:
    """A value known to be 1 everywhere, of a type whose product leaves the other's type
    (a NumPy float64 too in code whose scalars all are, ``numpy_scalars``)."""
    const = val.const
    if type(const) is float or (numpy_scalars and type(const) is np.float64):
        return const == 1.0
    return type(const) is np.ndarray and bool((const == 1.0).all())


def setting_key(value: Any) -> Any:
    """A setting as a dictionary key that tells -0.0 from 0.0 (and NaN from nothing)."""
    return ("f", float(value).hex()) if type(value) is float else value
