"""Central finite differences: the independent check on every derivative rule."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from exprdiff.core.nodes import Node

__all__ = ["numeric_grad"]


def numeric_grad(
    expr: Node, params: Mapping, inputs: Mapping | None = None, *, step: float = 1e-6
) -> dict:
    """Gradient of the sum of ``expr``'s elements by central differences.

    Same keys and shapes as `Node.grad`, computed only by evaluating:
    each element of each parameter is moved by ``±step`` (scaled by its size).

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> round(numeric_grad(w**3, {w: 2.0})[w], 6)
    12.0
    """
    inputs = inputs or {}
    result = {}
    for param in expr.grad(params, inputs):
        value = np.array(params[param], dtype=np.float64)
        grad = np.zeros_like(value)
        for position in np.ndindex(value.shape):
            h = step * max(1.0, abs(value[position]))
            moved = dict(params)
            for sign in (1, -1):
                shifted = value.copy()
                shifted[position] += sign * h
                moved[param] = shifted if value.ndim else float(shifted)
                grad[position] += sign * np.sum(expr(moved, inputs)) / (2 * h)
        result[param] = grad if value.ndim else float(grad)
    return result
