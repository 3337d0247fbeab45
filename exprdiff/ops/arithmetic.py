"""Arithmetic: the operations Python's operators build.

Each ``backward*`` receives ``g``, the gradient with respect to the
operation's value, and returns the gradient for one operand (the chain rule
applied once).  Written with operators and ufuncs only, each rule also builds
the symbolic derivative when handed nodes.
"""

from __future__ import annotations

import numpy as np

from exprdiff.nodes import BinaryOp, UnaryOp

__all__ = ["Add", "Divide", "Multiply", "Negate", "Power", "Subtract"]


class Add(BinaryOp):
    """``a + b``"""

    __slots__ = ()
    backward_uses_out = False
    backward_uses_operands = False
    symbol = "+"
    ufunc = np.add

    def forward(self, a, b):
        return a + b

    def backward_lhs(self, g, a, b, out):
        return g

    def backward_rhs(self, g, a, b, out):
        return g


class Subtract(BinaryOp):
    """``a - b``"""

    __slots__ = ()
    backward_uses_out = False
    backward_uses_operands = False
    symbol = "-"
    ufunc = np.subtract

    def forward(self, a, b):
        return a - b

    def backward_lhs(self, g, a, b, out):
        return g

    def backward_rhs(self, g, a, b, out):
        return -g


class Multiply(BinaryOp):
    """``a * b``"""

    __slots__ = ()
    backward_uses_out = False
    symbol = "*"
    ufunc = np.multiply

    def forward(self, a, b):
        return a * b

    def backward_lhs(self, g, a, b, out):
        return g * b

    def backward_rhs(self, g, a, b, out):
        return g * a


class Divide(BinaryOp):
    """``a / b``"""

    __slots__ = ()
    symbol = "/"
    ufunc = np.true_divide

    def forward(self, a, b):
        return a / b

    def backward_lhs(self, g, a, b, out):
        return g / b

    def backward_rhs(self, g, a, b, out):
        return -g * out / b  # d(a/b)/db = -(a/b)/b, reusing the value


class Power(BinaryOp):
    """``a ** b``: any base with a constant exponent; a positive base otherwise.

    The exponent's rule uses ``log(a)``, so it needs ``a > 0``; it is only
    called when the exponent depends on a Parameter.
    """

    __slots__ = ()
    symbol = "**"
    ufunc = np.power

    def forward(self, a, b):
        return a**b

    def backward_lhs(self, g, a, b, out):
        return g * b * a ** (b - 1)

    def backward_rhs(self, g, a, b, out):
        return g * out * np.log(a)


class Negate(UnaryOp):
    """``-x``"""

    __slots__ = ()
    backward_uses_out = False
    backward_uses_operands = False
    symbol = "-"
    ufunc = np.negative

    def forward(self, x):
        return -x

    def backward(self, g, x, out):
        return -g
