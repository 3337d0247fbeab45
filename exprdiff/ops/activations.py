"""Activation functions, in forms that neither overflow nor warn for large inputs."""

from __future__ import annotations

import math

import numpy as np

from exprdiff.core.nodes import Node, UnaryOp

__all__ = ["ReLU", "Sigmoid", "Softplus", "sigmoid", "stable_sigmoid"]


def sigmoid(x):
    """The logistic function of a number or array; of a node, a `Sigmoid` node.

    >>> sigmoid(0.0), sigmoid(-1000.0)
    (0.5, 0.0)
    """
    if isinstance(x, Node):
        return Sigmoid(x)
    return stable_sigmoid(x)


def stable_sigmoid(x):
    """The logistic function of a number or array (NumPy only: exported code copies it).

    >>> stable_sigmoid(1000.0)
    1.0
    """
    # exp(-|x|) cannot overflow; for x >= 0 this is exactly 1 / (1 + exp(-x)).
    e = np.exp(-np.absolute(x))
    value = np.where(x >= 0, 1.0, e) / (1.0 + e)
    return value if value.ndim else float(value)


def _sigmoid_math(x: float) -> float:
    """`stable_sigmoid` over Python floats (compiled scalar code)."""
    e = math.exp(-abs(x))
    return (1.0 if x >= 0 else e) / (1.0 + e)


def _softplus_math(x: float) -> float:
    """``np.logaddexp(0.0, x)`` over Python floats, step for step (compiled scalar code)."""
    if x == 0.0:
        return 0.0 + 0.6931471805599453  # log(2), as NumPy adds it
    if -x > 0:
        return 0.0 + math.log1p(math.exp(x))
    return x + math.log1p(math.exp(-x))


class Sigmoid(UnaryOp):
    """``sigmoid(x) = 1 / (1 + exp(-x))``, stable for any magnitude of ``x``."""

    __slots__ = ()
    vjp_uses_operands = False
    latex_template = r"\sigma\left(#1\right)"
    numpy_code = "stable_sigmoid({0})"
    numpy_helpers = (stable_sigmoid,)
    math_code = "_sigmoid_math({0})"
    math_finite = True
    math_helpers = (_sigmoid_math,)
    # stable, and differentiated as out * (1 - out), as vjp does
    jax_code = "jax.nn.sigmoid({0})"
    torch_code = "torch.sigmoid({0})"

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
    math_code = "({0} if {0} > 0.0 else 0.0)"  # np.maximum(-0.0, 0.0) is 0.0
    math_finite = True
    # slope 0 at 0 (jnp.maximum(x, 0.0) would split it: 1/2)
    jax_code = "jax.nn.relu({0})"
    torch_code = "torch.relu({0})"

    def forward(self, x):
        return np.maximum(x, 0.0)

    def vjp(self, g, x, out):
        return g * np.sign(out)  # 1 where x > 0, else 0


class Softplus(UnaryOp):
    """``softplus(x) = log(1 + exp(x))``, stable for any magnitude of ``x``."""

    __slots__ = ()
    vjp_uses_out = False
    numpy_code = "np.logaddexp(0.0, {0})"
    math_code = "_softplus_math({0})"
    math_finite = True
    math_helpers = (_softplus_math,)
    # NumPy's formula (torch's own softplus turns linear above 20: not the same value)
    jax_code = "jnp.logaddexp(0.0, {0})"
    torch_code = "torch.logaddexp({0}.new_zeros(()), {0})"

    def forward(self, x):
        return np.logaddexp(0.0, x)

    def vjp(self, g, x, out):
        return g * sigmoid(x)
