"""Elementary functions of one operand (see `exprdiff.ops.arithmetic` for ``g``)."""

from __future__ import annotations

import numpy as np

from exprdiff.core.nodes import UnaryOp
from exprdiff.ops.activations import Sigmoid, Softplus
from exprdiff.ops.arithmetic import Negate, Subtract, is_number
from exprdiff.ops.arrays import Softmax
from exprdiff.ops.fused import LogSoftmax

__all__ = ["Abs", "Arcsin", "Cos", "Exp", "Log", "Sign", "Sin", "Sqrt", "Tanh"]


class Exp(UnaryOp):
    """``exp(x)``"""

    __slots__ = ()
    vjp_uses_operands = False
    latex_template = r"\exp\left(#1\right)"
    ufunc = np.exp
    method_name = "exp"
    sympy_name = "exp"
    math_code = "math.exp({0})"
    math_finite = True

    def forward(self, x):
        return np.exp(x)

    def vjp(self, g, x, out):
        return g * out


class Log(UnaryOp):
    """Natural logarithm ``log(x)``."""

    __slots__ = ()
    vjp_uses_out = False
    latex_template = r"\log\left(#1\right)"
    ufunc = np.log
    method_name = "log"
    sympy_name = "log"
    math_code = "math.log({0})"
    math_finite = True

    def forward(self, x):
        return np.log(x)

    def rewrite(self):
        """``log(sigmoid(z))`` is ``-softplus(-z)``, ``log(1 - sigmoid(z))`` is ``-softplus(z)``
        and ``log(softmax(z))`` is `LogSoftmax`.

        Each is the same value where the written form is finite, up to
        rounding, and finite where it underflows: ``log(sigmoid(-1000))`` is
        -1000, not -inf (with a divide-by-zero warning), and its gradient is
        ``sigmoid(-z)`` = 1, not nan.
        """
        x = self.child
        if type(x) is Sigmoid:
            return Negate(Softplus(Negate(x.child)))
        if type(x) is Subtract and is_number(x.lhs, 1.0) and type(x.rhs) is Sigmoid:
            return Negate(Softplus(x.rhs.child))
        if type(x) is Softmax:
            return LogSoftmax(x.child, axis=x.axis)
        return None

    def vjp(self, g, x, out):
        return g / x


class Sqrt(UnaryOp):
    """``sqrt(x)``"""

    __slots__ = ()
    vjp_uses_operands = False
    latex_template = r"\sqrt{#1}"
    ufunc = np.sqrt
    method_name = "sqrt"
    sympy_name = "sqrt"
    math_code = "math.sqrt({0})"
    math_finite = True

    def forward(self, x):
        return np.sqrt(x)

    def vjp(self, g, x, out):
        return g / (2 * out)


class Abs(UnaryOp):
    """``abs(x)``; its derivative at 0 is 0 (PyTorch's convention)."""

    __slots__ = ()
    vjp_uses_out = False
    latex_template = r"\left|#1\right|"
    ufunc = np.absolute
    sympy_name = "Abs"
    math_code = "abs({0})"
    math_finite = True
    # jnp.abs has slope 1 at 0; this has slope 0 there (torch.absolute already does)
    jax_code = "jnp.where({0} == 0.0, 0.0, jnp.abs({0}))"

    def forward(self, x):
        return np.absolute(x)

    def vjp(self, g, x, out):
        return g * np.sign(x)


class Sign(UnaryOp):
    """``sign(x)``: -1, 0 or 1; its derivative is 0 everywhere it exists."""

    __slots__ = ()
    vjp_uses_out = False
    vjp_uses_operands = False
    ufunc = np.sign
    sympy_name = "sign"
    math_code = "(1.0 if {0} > 0.0 else (-1.0 if {0} < 0.0 else 0.0))"
    math_finite = True

    def forward(self, x):
        return np.sign(x)

    def vjp(self, g, x, out):
        return 0 * g


class Sin(UnaryOp):
    """``sin(x)``"""

    __slots__ = ()
    vjp_uses_out = False
    latex_template = r"\sin\left(#1\right)"
    ufunc = np.sin
    sympy_name = "sin"
    math_code = "math.sin({0})"
    math_finite = True

    def forward(self, x):
        return np.sin(x)

    def vjp(self, g, x, out):
        return g * np.cos(x)


class Cos(UnaryOp):
    """``cos(x)``"""

    __slots__ = ()
    vjp_uses_out = False
    latex_template = r"\cos\left(#1\right)"
    ufunc = np.cos
    sympy_name = "cos"
    math_code = "math.cos({0})"
    math_finite = True

    def forward(self, x):
        return np.cos(x)

    def vjp(self, g, x, out):
        return -g * np.sin(x)


class Tanh(UnaryOp):
    """``tanh(x)``"""

    __slots__ = ()
    vjp_uses_operands = False
    latex_template = r"\tanh\left(#1\right)"
    ufunc = np.tanh
    method_name = "tanh"
    sympy_name = "tanh"
    math_code = "math.tanh({0})"
    math_finite = True

    def forward(self, x):
        return np.tanh(x)

    def vjp(self, g, x, out):
        return g * (1 - np.power(out, 2))  # np.power: see Power.forward


class Arcsin(UnaryOp):
    """``arcsin(x)``, for ``-1 <= x <= 1`` (NaN outside); its derivative is infinite at ±1.

    >>> from exprdiff import Parameter
    >>> p = Parameter("p")
    >>> Arcsin(p)({p: 0.5}), Arcsin(p).grad({p: 0.6})
    (0.5235987755982989, {Parameter('p'): 1.25})
    """

    __slots__ = ()
    vjp_uses_out = False
    latex_template = r"\arcsin\left(#1\right)"
    ufunc = np.arcsin
    sympy_name = "asin"

    def forward(self, x):
        return np.arcsin(x)

    def vjp(self, g, x, out):
        # (1 - x)*(1 + x), not 1 - x**2: exact near ±1, and no ``**``, which on a float64
        # scalar calls the C library's pow and can differ in the last bit from an array's
        return g / np.sqrt((1 - x) * (1 + x))
