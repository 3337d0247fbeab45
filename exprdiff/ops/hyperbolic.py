"""Hyperbolic functions beyond `Tanh`, and their inverses.

The inverses' derivatives are written so that they neither overflow nor lose
digits: `Arcsinh`'s ``1/sqrt(1 + x**2)`` is ``1/cosh(arcsinh(x))`` (finite
and accurate for ``|x|`` up to the float range, where ``x**2`` overflows past
1e154), `Arccosh`'s ``1/sqrt(x**2 - 1)`` is ``1/(sqrt(x - 1)*sqrt(x + 1))``
and `Arctanh`'s ``1/(1 - x**2)`` is ``1/((1 - x)*(1 + x))``.  At the ends of
their domains (``arccosh`` at 1, ``arctanh`` at ±1) the derivative is ``inf``
with NumPy's divide warning, as ``log'(0)`` is.
"""

from __future__ import annotations

import numpy as np

from exprdiff.core.nodes import UnaryOp

__all__ = ["Arccosh", "Arcsinh", "Arctanh", "Cosh", "Sinh"]


class Sinh(UnaryOp):
    """``sinh(x)``."""

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.sinh
    latex_template = r"\sinh\left(#1\right)"
    sympy_name = "sinh"

    def forward(self, x):
        return np.sinh(x)

    def vjp(self, g, x, out):
        return g * np.cosh(x)


class Cosh(UnaryOp):
    """``cosh(x)``."""

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.cosh
    latex_template = r"\cosh\left(#1\right)"
    sympy_name = "cosh"

    def forward(self, x):
        return np.cosh(x)

    def vjp(self, g, x, out):
        return g * np.sinh(x)


class Arcsinh(UnaryOp):
    """``arcsinh(x)``, accurate for any magnitude; its derivative ``1/sqrt(1 + x**2)`` is
    computed as ``1/cosh(out)``, which cannot overflow (``x**2`` does past 1e154) and is
    accurate to a few ulp times ``|out|`` (at most 710).

    >>> from exprdiff import Parameter
    >>> x = Parameter("x")
    >>> round(Arcsinh(x)({x: 1e300}), 9), round(Arcsinh(x).grad({x: 1e300})[x] * 1e300, 12)
    (691.468675079, 1.0)
    """

    __slots__ = ()
    vjp_uses_operands = False
    ufunc = np.arcsinh
    latex_template = r"\operatorname{arsinh}\left(#1\right)"
    sympy_name = "asinh"

    def forward(self, x):
        return np.arcsinh(x)

    def vjp(self, g, x, out):
        return g / np.cosh(out)


class Arccosh(UnaryOp):
    """``arccosh(x)``, for ``x >= 1`` (NaN below); its derivative is ``inf`` at 1."""

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.arccosh
    latex_template = r"\operatorname{arcosh}\left(#1\right)"
    sympy_name = "acosh"

    def forward(self, x):
        return np.arccosh(x)

    def vjp(self, g, x, out):
        return g / (np.sqrt(x - 1) * np.sqrt(x + 1))


class Arctanh(UnaryOp):
    """``arctanh(x)``, for ``-1 <= x <= 1`` (NaN outside); its derivative is ``inf`` at ±1."""

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.arctanh
    latex_template = r"\operatorname{artanh}\left(#1\right)"
    sympy_name = "atanh"

    def forward(self, x):
        return np.arctanh(x)

    def vjp(self, g, x, out):
        return g / ((1 - x) * (1 + x))
