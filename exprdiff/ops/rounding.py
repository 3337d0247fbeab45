"""Rounding and remainders: `Floor`, `Ceil`, `Round`, `Mod`.

`Floor`, `Ceil` and `Round` are piecewise constant: their derivative is 0
everywhere (also at the jumps, where it does not exist), as in PyTorch and
JAX, so a gradient does not flow through them.  `Mod` is NumPy's
``mod``/``remainder``, ``a - floor(a/b)*b`` (the sign of ``b``); its
derivatives are what that definition implies: 1 for ``a`` and
``-floor(a/b)`` for ``b``, the one-sided values from the right at the jumps
(where ``a/b`` is an integer), as in PyTorch.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from exprdiff.core.nodes import BinaryOp, UnaryOp, as_node
from exprdiff.core.printing import PRODUCT

__all__ = ["Ceil", "Floor", "Mod", "Round"]


class Floor(UnaryOp):
    """``floor(x)``: the largest integer not above ``x``; derivative 0."""

    __slots__ = ()
    vjp_uses_out = False
    vjp_uses_operands = False
    ufunc = np.floor
    latex_template = r"\left\lfloor #1 \right\rfloor"
    sympy_name = "floor"

    @staticmethod
    def sympy_form(sp, x):
        return sp.functions.floor(x)  # SymPy's own (sp.floor is this op's function)

    @staticmethod
    def sympy_derivative(sp, x):
        return sp.Integer(0)

    def forward(self, x):
        return np.floor(x)

    def vjp(self, g, x, out):
        return 0 * g


class Ceil(UnaryOp):
    """``ceil(x)``: the smallest integer not below ``x``; derivative 0."""

    __slots__ = ()
    vjp_uses_out = False
    vjp_uses_operands = False
    ufunc = np.ceil
    latex_template = r"\left\lceil #1 \right\rceil"
    sympy_name = "ceiling"

    @staticmethod
    def sympy_form(sp, x):
        return sp.functions.ceiling(x)

    @staticmethod
    def sympy_derivative(sp, x):
        return sp.Integer(0)

    def forward(self, x):
        return np.ceil(x)

    def vjp(self, g, x, out):
        return 0 * g


class Round(UnaryOp):
    """``round(x, decimals)`` as `numpy.round` (``np.rint`` too, ``np.around``): to
    ``decimals`` digits, halves to even; derivative 0.

    >>> from exprdiff import Parameter
    >>> x = Parameter("x")
    >>> Round(x)({x: [0.5, 1.5, 2.7]}), Round(x, decimals=1)({x: 2.75})
    (array([0., 2., 3.]), 2.8)
    """

    __slots__ = ("decimals",)
    vjp_uses_out = False
    vjp_uses_operands = False
    settings = ("decimals",)
    numpy_functions = (np.round, np.around, np.rint)
    numpy_code = "np.round({0}, {decimals})"
    jax_code = "jnp.round({0}, {decimals})"  # halves to even, slope 0, as NumPy and exprdiff
    torch_code = "torch.round({0}, decimals={decimals})"
    latex_template = r"\operatorname{round}\left(#1\right)"

    def __init__(self, child: object, decimals: int = 0) -> None:
        if not isinstance(decimals, numbers.Integral) or isinstance(decimals, bool):
            raise TypeError(f"Round: decimals must be an int, got {decimals!r}")
        self._init(child=as_node(child), decimals=int(decimals))

    @classmethod
    def from_numpy(cls, function: Any, a: Any, decimals: int = 0, out: Any = None) -> Round:
        """``np.round(a, decimals)``, ``np.around``, ``np.rint(a)``; ``out`` has no form."""
        if out is not None:
            raise TypeError("out= has no exprdiff form (nodes are immutable values)")
        return cls(a, decimals)

    @staticmethod
    def sympy_form(sp, x, decimals=0):
        # round half to even, exactly: floor, plus 1 above the half, the parity at it
        scale = sp.Integer(10) ** decimals
        low = sp.floor(x * scale)
        rest, half = x * scale - low, sp.Rational(1, 2)
        odd = low - 2 * sp.floor(low / 2)
        up = sp.Piecewise((1, rest > half), (0, rest < half), (odd, True))
        return (low + up) / scale

    def forward(self, x):
        return np.round(x, self.decimals)

    def vjp(self, g, x, out):
        return 0 * g


class Mod(BinaryOp):
    """``mod(a, b) = a - floor(a/b)*b``, NumPy's ``mod`` and ``remainder`` (the sign of ``b``).

    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> Mod(a, b)({a: -5.5, b: 2.0}), Mod(a, b).grad({a: -5.5, b: 2.0})
    (0.5, {Parameter('a'): 1.0, Parameter('b'): 3.0})
    """

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.remainder  # np.mod is the same ufunc
    latex_template = r"#1 \bmod #2"
    latex_precedence = PRODUCT - 1  # (a b) mod c, but x (a mod b)
    sympy_name = "mod"

    @staticmethod
    def sympy_form(sp, a, b):
        return sp.Mod(a, b)

    @staticmethod
    def sympy_derivative(sp, a, b):
        return sp.Integer(1), -sp.floor(a / b)

    def forward(self, a, b):
        return np.remainder(a, b)

    def vjp_lhs(self, g, a, b, out):
        return g

    def vjp_rhs(self, g, a, b, out):
        return -g * np.floor(a / b)
