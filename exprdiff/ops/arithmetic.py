"""Arithmetic: the operations Python's operators build.

Each ``vjp*`` rule (vector-Jacobian product) receives ``g``, the gradient with respect to the
operation's value, and returns the gradient for one operand (the chain rule
applied once).  Written with operators and ufuncs only, each rule also builds
the symbolic derivative when handed nodes.
"""

from __future__ import annotations

import numpy as np

from exprdiff.core.nodes import BinaryOp, UnaryOp

__all__ = ["Add", "Divide", "Multiply", "Negate", "Power", "Subtract"]


class Add(BinaryOp):
    """``a + b``"""

    __slots__ = ()
    vjp_uses_out = False
    vjp_uses_operands = False
    symbol = "+"
    ufunc = np.add

    def forward(self, a, b):
        return a + b

    def vjp_lhs(self, g, a, b, out):
        return g

    def vjp_rhs(self, g, a, b, out):
        return g


class Subtract(BinaryOp):
    """``a - b``"""

    __slots__ = ()
    vjp_uses_out = False
    vjp_uses_operands = False
    symbol = "-"
    ufunc = np.subtract

    def forward(self, a, b):
        return a - b

    def vjp_lhs(self, g, a, b, out):
        return g

    def vjp_rhs(self, g, a, b, out):
        return -g


class Multiply(BinaryOp):
    """``a * b``"""

    __slots__ = ()
    vjp_uses_out = False
    symbol = "*"
    ufunc = np.multiply

    def forward(self, a, b):
        return a * b

    def vjp_lhs(self, g, a, b, out):
        return g * b

    def vjp_rhs(self, g, a, b, out):
        return g * a


class Divide(BinaryOp):
    """``a / b``"""

    __slots__ = ()
    symbol = "/"
    ufunc = np.true_divide

    def forward(self, a, b):
        return a / b

    def vjp_lhs(self, g, a, b, out):
        return g / b

    def vjp_rhs(self, g, a, b, out):
        return -g * out / b  # d(a/b)/db = -(a/b)/b, reusing the value


class Power(BinaryOp):
    """``a ** b``: any base with a constant exponent; a positive base otherwise.

    The exponent's rule uses ``log(a)``, so it needs ``a > 0``; it is only
    called when the exponent depends on a Parameter.
    """

    __slots__ = ()
    symbol = "**"
    ufunc = np.power

    # np.power, not **: on float64 scalars ** calls the C library's pow, which
    # differs in the last bit from the ufunc that arrays use
    def forward(self, a, b):
        return np.power(a, b)

    def vjp_lhs(self, g, a, b, out):
        return g * b * np.power(a, b - 1)

    def vjp_rhs(self, g, a, b, out):
        return g * out * np.log(a)


class Negate(UnaryOp):
    """``-x``"""

    __slots__ = ()
    vjp_uses_out = False
    vjp_uses_operands = False
    symbol = "-"
    ufunc = np.negative

    def forward(self, x):
        return -x

    def vjp(self, g, x, out):
        return -g
