"""Arithmetic: the operations Python's operators build.

Each ``vjp*`` rule (vector-Jacobian product) receives ``g``, the gradient with respect to the
operation's value, and returns the gradient for one operand (the chain rule
applied once).  Written with operators and ufuncs only, each rule also builds
the symbolic derivative when handed nodes.
"""

from __future__ import annotations

import numpy as np

from exprdiff.core.nodes import BinaryOp, Constant, UnaryOp
from exprdiff.ops.activations import Softplus
from exprdiff.ops.arrays import ClassScore, LogSumExp
from exprdiff.ops.fused import SigmoidCrossEntropy, SoftmaxCrossEntropy

__all__ = ["Add", "Divide", "Multiply", "Negate", "Power", "Subtract"]


def is_number(node: object, value: float) -> bool:
    """Whether ``node`` is a scalar `Constant` equal to ``value`` (for rewrite rules).

    >>> is_number(Constant(1.0), 1.0), is_number(Constant(-0.0), 0.0)
    (True, True)
    """
    return type(node) is Constant and type(node.value) is float and node.value == value


class Add(BinaryOp):
    """``a + b``"""

    __slots__ = ()
    vjp_uses_out = False
    vjp_uses_operands = False
    symbol = "+"
    ufunc = np.add
    math_code = "{0} + {1}"

    def forward(self, a, b):
        return a + b

    def rewrite(self):
        """``x + 0`` and ``0 + x`` are ``x`` (where ``x`` is -0.0 the sum would be +0.0)."""
        if is_number(self.rhs, 0.0):
            return self.lhs
        if is_number(self.lhs, 0.0):
            return self.rhs
        return None

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
    math_code = "{0} - {1}"

    def forward(self, a, b):
        return a - b

    def rewrite(self):
        """``x - 0`` is ``x`` (exactly); ``logsumexp(z) - class_score(z, y)`` along the last
        axis, softmax cross-entropy, is the fused `SoftmaxCrossEntropy` (the same value and
        gradient, bit for bit, computed with less work)."""
        a, b = self.lhs, self.rhs
        if is_number(b, 0.0):
            return a
        if type(a) is LogSumExp and type(b) is ClassScore and a.child is b.lhs and a.axis == -1:
            return SoftmaxCrossEntropy(b.lhs, b.rhs)
        return None

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
    math_code = "{0} * {1}"

    def forward(self, a, b):
        return a * b

    def rewrite(self):
        """``x*1`` and ``1*x`` are ``x`` (exactly)."""
        a, b = self.lhs, self.rhs
        if is_number(b, 1.0):
            return a
        if is_number(a, 1.0):
            return b
        return None

    def vjp_lhs(self, g, a, b, out):
        return g * b

    def vjp_rhs(self, g, a, b, out):
        return g * a


class Divide(BinaryOp):
    """``a / b``"""

    __slots__ = ()
    symbol = "/"
    ufunc = np.true_divide
    math_code = "{0} / {1}"

    def forward(self, a, b):
        return a / b

    def rewrite(self):
        """``x/1`` is ``x`` (exactly)."""
        return self.lhs if is_number(self.rhs, 1.0) else None

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
    math_code = "math.pow({0}, {1})"
    math_finite = True

    def forward(self, a, b):
        return a**b

    def rewrite(self):
        """``x**1`` is ``x`` (exactly)."""
        return self.lhs if is_number(self.rhs, 1.0) else None

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
    math_code = "-{0}"
    math_finite = True

    def forward(self, x):
        return -x

    def rewrite(self):
        """``--x`` is ``x``; binary cross-entropy through a sigmoid is `SigmoidCrossEntropy`.

        Once ``log(sigmoid(z))`` and ``log(1 - sigmoid(z))`` are rewritten (see
        ``Log``), the cross-entropy ``-(y*log(p) + (1 - y)*log(1 - p))`` of
        ``p = sigmoid(z)`` reads ``-(y*-softplus(-z) + (1 - y)*-softplus(z))``,
        in either order of the terms and factors; that becomes one fused node,
        whose gradient for ``z`` is ``sigmoid(z) - y``.
        """
        x = self.child
        if type(x) is Negate:
            return x.child
        return _cross_entropy_of_sigmoid(x)

    def vjp(self, g, x, out):
        return -g


def _product_with(node, want) -> object | None:
    """For ``node = a * b``: the factor beside the one ``want(factor)`` accepts, else None."""
    if type(node) is not Multiply:
        return None
    if want(node.rhs):
        return node.lhs, node.rhs
    if want(node.lhs):
        return node.rhs, node.lhs
    return None


def _negated_softplus(node, negated: bool):
    """``z`` if ``node`` is ``-softplus(-z)`` (``negated``) or ``-softplus(z)``, else None."""
    if type(node) is not Negate or type(node.child) is not Softplus:
        return None
    inner = node.child.child
    if negated:
        return inner.child if type(inner) is Negate else None
    return inner


def _cross_entropy_of_sigmoid(total):
    """``SigmoidCrossEntropy(z, y)`` for ``y*-softplus(-z) + (1 - y)*-softplus(z)``, else None."""
    if type(total) is not Add:
        return None
    for first, second in ((total.lhs, total.rhs), (total.rhs, total.lhs)):
        positive = _product_with(first, lambda f: _negated_softplus(f, True) is not None)
        negative = _product_with(second, lambda f: _negated_softplus(f, False) is not None)
        if positive is None or negative is None:
            continue
        y, term = positive
        one_minus_y, other = negative
        z = _negated_softplus(term, True)
        if z is not _negated_softplus(other, False):
            continue
        if type(one_minus_y) is Subtract and is_number(one_minus_y.lhs, 1.0) \
                and one_minus_y.rhs is y:
            return SigmoidCrossEntropy(z, y)
    return None
