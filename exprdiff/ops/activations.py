"""Activation functions, in forms that neither overflow nor warn for large inputs.

SymPy has no function for any of the three, so each names one that
`exprdiff.keep.sympy_bridge` defines from its ``sympy_form`` (what it rewrites
to and evaluates as) and ``sympy_derivative``.
"""

from __future__ import annotations

import numpy as np

from exprdiff.core.nodes import Node, UnaryOp

#: the operations; `sigmoid` and `stable_sigmoid` are their helpers
__all__ = ["ReLU", "Sigmoid", "Softplus"]


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
    sympy_name = "sigmoid"

    def forward(self, x):
        return stable_sigmoid(x)

    def vjp(self, g, x, out):
        return g * out * (1 - out)

    @staticmethod
    def sympy_form(sp, x):
        return 1 / (1 + sp.exp(-x))

    @staticmethod
    def sympy_derivative(sp, x):
        return sp.sigmoid(x) * (1 - sp.sigmoid(x))


class ReLU(UnaryOp):
    """``relu(x) = max(x, 0)``; its derivative at 0 is 0 (PyTorch's convention)."""

    __slots__ = ()
    vjp_uses_operands = False
    latex_template = r"\operatorname{ReLU}\left(#1\right)"
    numpy_code = "np.maximum({0}, 0.0)"
    sympy_name = "relu"

    def forward(self, x):
        return np.maximum(x, 0.0)

    def vjp(self, g, x, out):
        return g * np.sign(out)  # 1 where x > 0, else 0

    @staticmethod
    def sympy_form(sp, x):
        return sp.Max(x, 0)

    @staticmethod
    def sympy_derivative(sp, x):
        return sp.Heaviside(x, 0)  # relu'(0) = 0, as in exprdiff


class Softplus(UnaryOp):
    """``softplus(x) = log(1 + exp(x))``, stable for any magnitude of ``x``."""

    __slots__ = ()
    vjp_uses_out = False
    numpy_code = "np.logaddexp(0.0, {0})"
    sympy_name = "softplus"

    def forward(self, x):
        return np.logaddexp(0.0, x)

    def vjp(self, g, x, out):
        return g * sigmoid(x)

    @staticmethod
    def sympy_form(sp, x):
        return sp.log(1 + sp.exp(x))

    @staticmethod
    def sympy_derivative(sp, x):
        return sp.sigmoid(x)
