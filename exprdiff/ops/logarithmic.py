"""Exponentials and logarithms beyond `Exp` and `Log`, in their numerically careful forms.

`Log1p` and `Expm1` keep every digit near 0 (``log(1 + 1e-18)`` is 0, but
``log1p(1e-18)`` is ``1e-18``); `Logaddexp` and `Logaddexp2` compute
``log(exp(a) + exp(b))`` without overflow for arguments of any size, and
their derivatives (``sigmoid(a - b)``) are accurate for any arguments.  SymPy has none of
these functions, so each names one that `exprdiff.keep.sympy_bridge` defines
from its ``sympy_form``.
"""

from __future__ import annotations

import math

import numpy as np

from exprdiff.core.nodes import BinaryOp, UnaryOp
from exprdiff.ops.activations import sigmoid

__all__ = ["Exp2", "Expm1", "Log1p", "Log2", "Log10", "Logaddexp", "Logaddexp2"]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


class Log1p(UnaryOp):
    """``log1p(x) = log(1 + x)``, accurate near 0; its derivative is ``inf`` at -1.

    >>> from exprdiff import Parameter
    >>> x = Parameter("x")
    >>> Log1p(x)({x: 1e-18})
    1e-18
    """

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.log1p
    latex_template = r"\log\left(1 + #1\right)"
    sympy_name = "log1p"

    @staticmethod
    def sympy_form(sp, x):
        return sp.log(1 + x)

    def forward(self, x):
        return np.log1p(x)

    def vjp(self, g, x, out):
        return g / (1 + x)


class Expm1(UnaryOp):
    """``expm1(x) = exp(x) - 1``, accurate near 0; its derivative ``exp(x)`` is ``out + 1``
    (as PyTorch and JAX compute it)."""

    __slots__ = ()
    vjp_uses_operands = False
    ufunc = np.expm1
    latex_template = r"\left(e^{#1} - 1\right)"
    sympy_name = "expm1"

    @staticmethod
    def sympy_form(sp, x):
        return sp.exp(x) - 1

    def forward(self, x):
        return np.expm1(x)

    def vjp(self, g, x, out):
        return g * (out + 1)


class Log2(UnaryOp):
    """``log2(x)``, the base-2 logarithm."""

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.log2
    latex_template = r"\log_{2}\left(#1\right)"
    sympy_name = "log2"

    @staticmethod
    def sympy_form(sp, x):
        return sp.log(x) / sp.log(2)

    def forward(self, x):
        return np.log2(x)

    def vjp(self, g, x, out):
        return g / (x * _LN2)


class Log10(UnaryOp):
    """``log10(x)``, the base-10 logarithm."""

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.log10
    latex_template = r"\log_{10}\left(#1\right)"
    sympy_name = "log10"

    @staticmethod
    def sympy_form(sp, x):
        return sp.log(x) / sp.log(10)

    def forward(self, x):
        return np.log10(x)

    def vjp(self, g, x, out):
        return g / (x * _LN10)


class Exp2(UnaryOp):
    """``exp2(x) = 2**x``; its derivative comes from the value."""

    __slots__ = ()
    vjp_uses_operands = False
    ufunc = np.exp2
    latex_template = "2^{#1}"
    sympy_name = "exp2"

    @staticmethod
    def sympy_form(sp, x):
        return 2**x

    def forward(self, x):
        return np.exp2(x)

    def vjp(self, g, x, out):
        return g * out * _LN2


class Logaddexp(BinaryOp):
    """``logaddexp(a, b) = log(exp(a) + exp(b))``, without overflow for any arguments.

    The derivatives ``exp(a)/(exp(a) + exp(b))`` and ``exp(b)/(...)``, the
    softmax of the two, are computed as ``sigmoid(a - b)`` and
    ``sigmoid(b - a)``: accurate for arguments of any size (``exp(a - out)``
    loses digits when ``out`` is large), 1 and 0 where only ``a`` is
    infinite, NaN where both are ``-inf`` (as in PyTorch and JAX).

    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> Logaddexp(a, b)({a: 1000.0, b: 1000.0}), Logaddexp(a, b).grad({a: 1000.0, b: 1000.0})
    (1000.6931471805599, {Parameter('a'): 0.5, Parameter('b'): 0.5})
    """

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.logaddexp
    latex_template = r"\log\left(e^{#1} + e^{#2}\right)"
    sympy_name = "logaddexp"

    @staticmethod
    def sympy_form(sp, a, b):
        return sp.log(sp.exp(a) + sp.exp(b))

    def forward(self, a, b):
        return np.logaddexp(a, b)

    def vjp_lhs(self, g, a, b, out):
        return g * sigmoid(a - b)

    def vjp_rhs(self, g, a, b, out):
        return g * sigmoid(b - a)


class Logaddexp2(BinaryOp):
    """``logaddexp2(a, b) = log2(2**a + 2**b)``, without overflow; derivatives
    ``2**a/(2**a + 2**b) = sigmoid((a - b)*log(2))`` and ``sigmoid((b - a)*log(2))``."""

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.logaddexp2
    latex_template = r"\log_{2}\left(2^{#1} + 2^{#2}\right)"
    sympy_name = "logaddexp2"

    @staticmethod
    def sympy_form(sp, a, b):
        return sp.log(2**a + 2**b) / sp.log(2)

    def forward(self, a, b):
        return np.logaddexp2(a, b)

    def vjp_lhs(self, g, a, b, out):
        return g * sigmoid((a - b) * _LN2)

    def vjp_rhs(self, g, a, b, out):
        return g * sigmoid((b - a) * _LN2)
