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

from exprdiff.core.nodes import BinaryOp, Node, UnaryOp
from exprdiff.core.printing import FRACTION, POWER, SUM

__all__ = ["Add", "Divide", "Multiply", "Negate", "Power", "Subtract"]  # op classes only


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


def power(a, b):
    """``a ** b`` by `numpy.power`, computed the same whatever the layout of the operands.

    NumPy computes a power whose exponent is one number for the whole loop by
    special forms for the exponents 2, 0.5 and -1 (``a*a``, ``sqrt(a)``,
    ``1/a``) and an exponent that varies by the general formula, which can
    differ in the last bit (and for 0.5 at ``-inf`` and ``-0.0``).  This takes
    the special forms wherever a varying exponent has those values, so that a
    sample computes as it does in any batch.  The function behind `Power`
    (and copied into exported code); on nodes it builds a `Power`.

    >>> float(power(3.0, 2.0)), power(np.array([3.0, 4.0]), np.array([2.0, 0.5])).tolist()
    (9.0, [9.0, 2.0])
    """
    out = np.power(a, b)
    if type(b) is np.ndarray and b.ndim and type(out) is np.ndarray:
        base, exponent = np.broadcast_to(a, out.shape), np.broadcast_to(b, out.shape)
        for special, ufunc, operands in ((2.0, np.multiply, (base, base)), (0.5, np.sqrt, (base,)),
                                         (-1.0, np.divide, (1.0, base))):
            where = exponent == special
            if where.any():
                ufunc(*operands, out=out, where=where)
    return out


class Power(BinaryOp):
    """``a ** b``: any base with a constant exponent; a positive base otherwise.

    The exponent's rule uses ``log(a)``, so it needs ``a > 0``; it is only
    called when the exponent depends on a Parameter.  Where the calculus has
    no answer the rules follow PyTorch (and JAX): the derivative in ``a`` is
    0 wherever ``b == 0``, ``a = 0`` included (``x**0`` is the constant 1),
    and the derivative in ``b`` at ``a = 0`` is 0 for ``b >= 0`` (and NaN for
    ``b < 0``, where ``0**b`` is infinite).

    >>> from exprdiff import Constant, Parameter
    >>> x, y = Parameter("x"), Parameter("y")
    >>> (x**0).grad({x: 0.0}), (Constant(0.0) ** y).grad({y: 2.0})
    ({Parameter('x'): 0.0}, {Parameter('y'): 0.0})
    """

    __slots__ = ()
    symbol = "**"
    ufunc = np.power
    precedence = POWER
    associativity = "right"
    latex_template = "#1^{#2}"
    numpy_code = "power({0}, {1})"
    numpy_helpers = (power,)

    @staticmethod
    def sympy_form(sp, a, b):
        return a**b

    # `power`, not **: on float64 scalars ** calls the C library's pow, which differs
    # in the last bit from the ufunc that arrays use, and see `power` for the ufunc
    def forward(self, a, b):
        return power(a, b)

    def vjp_lhs(self, g, a, b, out):
        return g * b * power(a, _lowered(b))

    def vjp_rhs(self, g, a, b, out):
        return g * out * _log_or_zero(a)


def _lowered(b):
    """``b - 1``, but 0 where ``b == 0``: then ``b * a**(...)`` is 0 there, not ``0 * inf``.

    Numbers and arrays compute it directly; for nodes a scalar Constant is
    decided now (``x**2`` still differentiates to ``2*x**1``), any other
    exponent becomes ``b - sign(|b|)``, the same values.
    """
    if isinstance(b, Node):
        value = getattr(b, "value", None)
        if type(value) is float:
            return b if value == 0 else b - 1
        return b - np.sign(np.absolute(b))
    if type(b) is np.ndarray:
        zero = b == 0
        return b - ~zero if zero.any() else b - 1  # the same numbers; no zero, one pass less
    return b - 1 if b != 0 else b


def _log_or_zero(a):
    """``log(a)``, but 0 where ``a == 0`` (so that ``0**b`` has the slope 0 in ``b >= 0``)."""
    if isinstance(a, Node):
        value = getattr(a, "value", None)
        if type(value) is float:
            return np.log(a) if value != 0 else 0.0 * a
        return np.log(a + (1 - np.sign(np.absolute(a))))
    if type(a) is np.ndarray:
        zero = a == 0
        return np.log(a + zero) if zero.any() else np.log(a)
    return np.log(a) if a != 0 else a - a


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
