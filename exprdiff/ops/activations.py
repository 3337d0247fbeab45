"""Activation functions, in forms that neither overflow nor warn for large inputs."""

from __future__ import annotations

import numpy as np

from exprdiff.core.nodes import Node, UnaryOp

__all__ = ["ReLU", "Sigmoid", "Softplus", "sigmoid", "stable_sigmoid"]


def sigmoid(x):
    """The logistic function of a number or array; of a node, a `Sigmoid` node.

    Numbers give NumPy float64 scalars (see `stable_sigmoid`).

    >>> float(sigmoid(0.0)), float(sigmoid(-1000.0))
    (0.5, 0.0)
    """
    if isinstance(x, Node):
        return Sigmoid(x)
    return stable_sigmoid(x)


def stable_sigmoid(x):
    """The logistic function of a number or array (NumPy only: exported code copies it).

    A number gives a NumPy float64 scalar, never a Python float, so that what
    follows computes by NumPy's rules on one sample as on a batch (``1/0`` is
    ``inf`` with a warning, not a `ZeroDivisionError`).

    >>> float(stable_sigmoid(1000.0)), type(stable_sigmoid(0.0)).__name__
    (1.0, 'float64')
    """
    # exp(-|x|) cannot overflow; for x >= 0 this is exactly 1 / (1 + exp(-x)).
    e = np.exp(-np.absolute(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


class Sigmoid(UnaryOp):
    """``sigmoid(x) = 1 / (1 + exp(-x))``, stable for any magnitude of ``x``."""

    __slots__ = ()
    vjp_uses_operands = False
    latex_template = r"\sigma\left(#1\right)"
    numpy_code = "stable_sigmoid({0})"
    numpy_helpers = (stable_sigmoid,)

    def forward(self, x):
        return stable_sigmoid(x)

    def vjp(self, g, x, out):
        return g * out * (1 - out)


class ReLU(UnaryOp):
    """``relu(x) = max(x, 0)``; its derivative at 0 is 0 (PyTorch's convention)."""

    __slots__ = ()
    vjp_uses_operands = False
    latex_template = r"\operatorname{ReLU}\left(#1\right)"
    numpy_code = "np.maximum({0}, 0.0)"

    def forward(self, x):
        return np.maximum(x, 0.0)

    def vjp(self, g, x, out):
        return g * np.sign(out)  # 1 where x > 0, else 0


class Softplus(UnaryOp):
    """``softplus(x) = log(1 + exp(x))``, stable for any magnitude of ``x``."""

    __slots__ = ()
    vjp_uses_out = False
    numpy_code = "np.logaddexp(0.0, {0})"

    def forward(self, x):
        return np.logaddexp(0.0, x)

    def vjp(self, g, x, out):
        return g * sigmoid(x)
