"""Arithmetic: the operations Python's operators build.

Each ``vjp*`` rule (vector-Jacobian product) receives ``g``, the gradient with respect to the
operation's value, and returns the gradient for one operand (the chain rule
applied once).  Written with operators and ufuncs only, each rule also builds
the symbolic derivative when handed nodes.  The class attributes say how each
prints (`exprdiff.core.nodes.Node`); SymPy writes these with its own
operators, so ``sympy_form`` applies Python's.
"""

from __future__ import annotations

import numpy as np

from exprdiff.core.nodes import BinaryOp, UnaryOp
from exprdiff.core.printing import FRACTION, POWER, SUM

__all__ = ["Add", "Divide", "Multiply", "Negate", "Power", "Subtract"]


class Add(BinaryOp):
    """``a + b``"""

    __slots__ = ()
    vjp_uses_out = False
    vjp_uses_operands = False
    symbol = "+"
    ufunc = np.add
    precedence = SUM
    associativity = "both"
    spaced = True
    latex_template = "#1 + #2"
    numpy_code = "{0} + {1}"

    @staticmethod
    def sympy_form(sp, a, b):
        return a + b

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
    precedence = SUM
    spaced = True
    latex_template = "#1 - #2"
    numpy_code = "{0} - {1}"

    @staticmethod
    def sympy_form(sp, a, b):
        return a - b

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
    associativity = "both"
    latex_template = r"#1 \cdot #2"
    latex_coefficient_template = "#1 #2"  # 6 x
    numpy_code = "{0} * {1}"

    @staticmethod
    def sympy_form(sp, a, b):
        return a * b

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
    latex_template = r"\frac{#1}{#2}"
    latex_precedence = FRACTION
    numpy_code = "{0} / {1}"

    @staticmethod
    def sympy_form(sp, a, b):
        return a / b

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
    precedence = POWER
    associativity = "right"
    latex_template = "#1^{#2}"
    numpy_code = "{0} ** {1}"

    @staticmethod
    def sympy_form(sp, a, b):
        return a**b

    def forward(self, a, b):
        return a**b

    def vjp_lhs(self, g, a, b, out):
        return g * b * a ** (b - 1)

    def vjp_rhs(self, g, a, b, out):
        return g * out * np.log(a)


class Negate(UnaryOp):
    """``-x``"""

    __slots__ = ()
    vjp_uses_out = False
    vjp_uses_operands = False
    symbol = "-"
    ufunc = np.negative
    latex_template = "-#1"
    numpy_code = "-{0}"

    @staticmethod
    def sympy_form(sp, x):
        return -x

    def forward(self, x):
        return -x

    def vjp(self, g, x, out):
        return -g
