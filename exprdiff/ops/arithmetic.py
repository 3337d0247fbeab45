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

from exprdiff.core.nodes import BinaryOp, Constant, Node, UnaryOp
from exprdiff.core.printing import FRACTION, POWER, SUM
from exprdiff.ops.activations import Softplus
from exprdiff.ops.arrays import ClassScore, LogSumExp
from exprdiff.ops.fused import SigmoidCrossEntropy, SoftmaxCrossEntropy

__all__ = ["Add", "Divide", "Multiply", "Negate", "Power", "Subtract"]  # op classes only


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
    precedence = SUM
    associativity = "both"
    spaced = True
    latex_template = "#1 + #2"
    numpy_code = "{0} + {1}"

    @staticmethod
    def sympy_form(sp, a, b):
        return a + b
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
    precedence = SUM
    spaced = True
    latex_template = "#1 - #2"
    numpy_code = "{0} - {1}"

    @staticmethod
    def sympy_form(sp, a, b):
        return a - b
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
    associativity = "both"
    latex_template = r"#1 \cdot #2"
    latex_coefficient_template = "#1 #2"  # 6 x
    numpy_code = "{0} * {1}"

    @staticmethod
    def sympy_form(sp, a, b):
        return a * b
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
    latex_template = r"\frac{#1}{#2}"
    latex_precedence = FRACTION
    numpy_code = "{0} / {1}"

    @staticmethod
    def sympy_form(sp, a, b):
        return a / b
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


def _power_jax(a, b):
    """`Power` in JAX with exprdiff's slopes where ``b == 0``: 0 in ``a`` (``a = 0``
    included, where ``jnp.power``'s rule gives 0 * inf) and ``log(a)`` in ``b``, kept by
    the value ``1 + b*log(a)`` there (taken as 0 for ``a <= 0``: exprdiff's is 0 at
    ``a = 0`` and NaN below)."""
    import jax.numpy as jnp

    at_zero = b == 0
    log_a = jnp.log(jnp.where(a > 0, a, 1.0))
    return jnp.where(at_zero, 1.0 + b * log_a, jnp.power(jnp.where(at_zero, 1.0, a), b))


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
    math_code = "math.pow({0}, {1})"
    math_finite = True
    jax_code = "_power_jax({0}, {1})"
    jax_helpers = (_power_jax,)

    @staticmethod
    def sympy_form(sp, a, b):
        return a**b

    # `power`, not **: on float64 scalars ** calls the C library's pow, which differs
    # in the last bit from the ufunc that arrays use, and see `power` for the ufunc
    def forward(self, a, b):
        return power(a, b)

    def specialized_code(self, slot: int | None, shapes: list) -> str | None:
        """``np.power`` itself for an exponent that is one number (`power`'s checks are for
        exponent arrays), so compiled code pays no call around it.

        >>> from exprdiff import Parameter
        >>> Power(Parameter("x"), 2.0).specialized_code(None, [(3,), None])
        'np.power({0}, {1})'
        """
        return "np.power({0}, {1})" if slot is None and shapes[1] is None else None

    def rewrite(self):
        """``x**1`` is ``x`` (exactly)."""
        return self.lhs if is_number(self.rhs, 1.0) else None

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
