"""Activation functions, in forms that neither overflow nor warn for large inputs.

SymPy has none of these functions, so the smooth ones (``sigmoid``,
``softplus``, ``relu``, ``gelu``, ``silu``) each name one that
`exprdiff.keep.sympy_bridge` defines from its ``sympy_form`` (what it rewrites
to and evaluates as) and ``sympy_derivative``; `LeakyReLU` and `ELU`, which
have a setting, are SymPy ``Piecewise`` expressions.  At their kinks the
derivatives follow PyTorch: ``ReLU'(0) = 0``, ``LeakyReLU'(0) = slope``,
``ELU'(0) = alpha``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from exprdiff.core.nodes import Node, UnaryOp, as_node
from exprdiff.core.values import select

#: the operations; `sigmoid` and `stable_sigmoid` are their helpers
__all__ = ["ELU", "GELU", "LeakyReLU", "ReLU", "SiLU", "Sigmoid", "Softplus"]


def sigmoid(x):
    """The logistic function of a number or array; of a node, a `Sigmoid` node.

    Numbers give NumPy float64 scalars (see `stable_sigmoid`).

    >>> float(sigmoid(0.0)), float(sigmoid(-1000.0))
    (0.5, 0.0)
    """
    if isinstance(x, Node):
        return Sigmoid(x)
    return stable_sigmoid(x)


def stable_sigmoid(x):
    """The logistic function of a number or array (NumPy only: exported code copies it).

    A number gives a NumPy float64 scalar, never a Python float, so that what
    follows computes by NumPy's rules on one sample as on a batch (``1/0`` is
    ``inf`` with a warning, not a `ZeroDivisionError`).

    >>> float(stable_sigmoid(1000.0)), type(stable_sigmoid(0.0)).__name__
    (1.0, 'float64')
    """
    # exp(-|x|) cannot overflow; for x >= 0 this is exactly 1 / (1 + exp(-x)).
    # max(e, x >= 0) is 1 for x >= 0 (e <= 1) and e below: np.where's per-element
    # branch is several times slower on inputs of mixed signs
    if type(x) is not np.ndarray or not x.ndim:
        e = np.exp(-np.absolute(x))
        return np.maximum(e, x >= 0) / (1.0 + e)
    e = np.absolute(x)  # the same operations, in place: fewer fresh arrays
    np.exp(np.negative(e, out=e), out=e)
    top = np.maximum(e, x >= 0)
    return np.divide(top, np.add(e, 1.0, out=e), out=top)


def _sigmoid_math(x: float) -> float:
    """`stable_sigmoid` over Python floats (compiled scalar code)."""
    e = math.exp(-abs(x))
    return (1.0 if x >= 0 else e) / (1.0 + e)


def _softplus_math(x: float) -> float:
    """``np.logaddexp(0.0, x)`` over Python floats, step for step (compiled scalar code)."""
    if x == 0.0:
        return 0.0 + 0.6931471805599453  # log(2), as NumPy adds it
    if -x > 0:
        return 0.0 + math.log1p(math.exp(x))
    return x + math.log1p(math.exp(-x))


class Sigmoid(UnaryOp):
    """``sigmoid(x) = 1 / (1 + exp(-x))``, stable for any magnitude of ``x``."""

    __slots__ = ()
    vjp_uses_operands = False
    latex_template = r"\sigma\left(#1\right)"
    numpy_code = "stable_sigmoid({0})"
    method_name = "sigmoid"
    numpy_helpers = (stable_sigmoid,)
    sympy_name = "sigmoid"
    math_code = "_sigmoid_math({0})"
    math_finite = True
    math_helpers = (_sigmoid_math,)
    # stable, and differentiated as out * (1 - out), as vjp does
    jax_code = "jax.nn.sigmoid({0})"
    torch_code = "torch.sigmoid({0})"

    def forward(self, x):
        return stable_sigmoid(x)

    def vjp(self, g, x, out):
        return g * out * (1 - out)

    @staticmethod
    def sympy_form(sp, x):
        return 1 / (1 + sp.exp(-x))

    @staticmethod
    def sympy_derivative(sp, x):
        return sp.sigmoid(x) * (1 - sp.sigmoid(x))


class ReLU(UnaryOp):
    """``relu(x) = max(x, 0)``; its derivative at 0 is 0 (PyTorch's convention)."""

    __slots__ = ()
    vjp_uses_out = False  # x > 0 is out > 0, NaN included; the value can then be released
    latex_template = r"\operatorname{ReLU}\left(#1\right)"
    numpy_code = "np.maximum({0}, 0.0)"
    method_name = "relu"
    sympy_name = "relu"
    math_code = "({0} if {0} > 0.0 else 0.0)"  # np.maximum(-0.0, 0.0) is 0.0
    math_finite = True
    # slope 0 at 0 (jnp.maximum(x, 0.0) would split it: 1/2)
    jax_code = "jax.nn.relu({0})"
    torch_code = "torch.relu({0})"

    def forward(self, x):
        return np.maximum(x, 0.0)

    def vjp(self, g, x, out):
        return select(x > 0, g)  # 1 where x > 0, else 0

    @staticmethod
    def sympy_form(sp, x):
        return sp.Max(x, 0)

    @staticmethod
    def sympy_derivative(sp, x):
        return sp.Heaviside(x, 0)  # relu'(0) = 0, as in exprdiff


class Softplus(UnaryOp):
    """``softplus(x) = log(1 + exp(x))``, stable for any magnitude of ``x``."""

    __slots__ = ()
    vjp_uses_out = False
    numpy_code = "np.logaddexp(0.0, {0})"
    sympy_name = "softplus"
    math_code = "_softplus_math({0})"
    math_finite = True
    math_helpers = (_softplus_math,)
    # NumPy's formula (torch's own softplus turns linear above 20: not the same value)
    jax_code = "jnp.logaddexp(0.0, {0})"
    torch_code = "torch.logaddexp({0}.new_zeros(()), {0})"

    def forward(self, x):
        return np.logaddexp(0.0, x)

    def vjp(self, g, x, out):
        return g * sigmoid(x)

    @staticmethod
    def sympy_form(sp, x):
        return sp.log(1 + sp.exp(x))

    @staticmethod
    def sympy_derivative(sp, x):
        return sp.sigmoid(x)


def leaky_relu(x, slope):
    """``x`` where positive, else ``slope * x``: the larger of the two for ``slope <= 1``,
    the smaller above (copied into exported code).

    >>> leaky_relu(np.array([-2.0, 3.0]), 0.1)
    array([-0.2,  3. ])
    """
    return np.maximum(x, slope * x) if slope <= 1 else np.minimum(x, slope * x)


def _slope_setting(op: str, name: str, value: object) -> float:
    """A real number setting (a slope, an alpha), as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise TypeError(f"{op}: {name} must be a finite real number, got {value!r}")
    return float(value)


class LeakyReLU(UnaryOp):
    """``leaky_relu(x) = x`` for ``x > 0``, else ``slope * x`` (PyTorch's ``LeakyReLU``).

    Its derivative at 0 is ``slope``, as in PyTorch (``ReLU'(0) = 0`` is the
    case ``slope = 0``).

    >>> from exprdiff import Parameter
    >>> x = Parameter("x")
    >>> LeakyReLU(x, slope=0.1)({x: [-2.0, 3.0]}), LeakyReLU(x, 0.1).grad({x: [-2.0, 0.0, 3.0]})
    (array([-0.2,  3. ]), {Parameter('x'): array([0.1, 0.1, 1. ])})
    """

    __slots__ = ("slope",)
    vjp_uses_out = False
    settings = ("slope",)
    function_name = "leaky_relu"
    numpy_code = "leaky_relu({0}, {slope})"
    numpy_helpers = (leaky_relu,)
    # a where, not jax.nn.leaky_relu (its slope at 0 is 1): slope at 0 as PyTorch
    jax_code = "jnp.where({0} > 0, {0}, {slope} * {0})"
    torch_code = "torch.where({0} > 0, {0}, {slope} * {0})"
    latex_template = r"\operatorname{LeakyReLU}\left(#1\right)"

    def __init__(self, child: object, slope: float = 0.01) -> None:
        self._init(child=as_node(child), slope=_slope_setting("LeakyReLU", "slope", slope))

    @staticmethod
    def sympy_form(sp, x, slope=0.01):
        return sp.Piecewise((x, x > 0), (slope * x, True))

    def forward(self, x):
        return leaky_relu(x, self.slope)

    def vjp(self, g, x, out):
        return np.where(x > 0, g, self.slope * g)


class ELU(UnaryOp):
    """``elu(x) = x`` for ``x > 0``, else ``alpha * (exp(x) - 1)`` (PyTorch's ``ELU``).

    Computed with ``expm1``, so it is exact near 0 and never overflows (the
    exponential only sees ``x <= 0``); the derivative for ``x <= 0`` is
    ``out + alpha``, and at 0 it is ``alpha``, as in PyTorch.
    """

    __slots__ = ("alpha",)
    settings = ("alpha",)
    function_name = "elu"
    numpy_code = "np.maximum({0}, 0.0) + {alpha} * np.expm1(np.minimum({0}, 0.0))"
    # where, not maximum/minimum (whose slopes split at 0): alpha at 0, and no exp overflow
    jax_code = "jnp.where({0} > 0, {0}, {alpha} * jnp.expm1(jnp.where({0} > 0, 0.0, {0})))"
    torch_code = ("torch.where({0} > 0, {0}, {alpha} * "
                  "torch.expm1(torch.where({0} > 0, 0.0, {0})))")
    latex_template = r"\operatorname{ELU}\left(#1\right)"

    def __init__(self, child: object, alpha: float = 1.0) -> None:
        self._init(child=as_node(child), alpha=_slope_setting("ELU", "alpha", alpha))

    @staticmethod
    def sympy_form(sp, x, alpha=1.0):
        return sp.Piecewise((x, x > 0), (alpha * (sp.exp(x) - 1), True))

    def forward(self, x):
        return np.maximum(x, 0.0) + self.alpha * np.expm1(np.minimum(x, 0.0))

    def vjp(self, g, x, out):
        # 1 for x > 0, out + alpha (= alpha * exp(x)) for x <= 0
        return np.where(x > 0, g, g * (out + self.alpha))


_GELU_SCALE = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


def gelu(x):
    """GELU's tanh approximation of a number or array (copied into exported code).

    >>> float(gelu(1.0))
    0.8411919906082768
    """
    # sqrt(2/pi) and 0.044715 written out: exported code copies this function alone
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * (x * x * x))))


class GELU(UnaryOp):
    """``gelu(x) = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3)))``.

    The tanh approximation of the Gaussian error linear unit, PyTorch's
    ``GELU(approximate="tanh")`` (and JAX's default ``jax.nn.gelu``); it
    differs from the exact ``x * Phi(x)`` by less than 5e-4.  Finite for any
    input up to ``|x| ~ 1e102``, where ``x**3`` overflows.
    """

    __slots__ = ()
    vjp_uses_out = False
    function_name = "gelu"
    numpy_code = "gelu({0})"
    numpy_helpers = (gelu,)
    # the helper's very expression, which the libraries differentiate as vjp does
    jax_code = ("0.5 * {0} * (1.0 + jnp.tanh(0.7978845608028654 * "
                "({0} + 0.044715 * ({0} * {0} * {0}))))")
    torch_code = ("0.5 * {0} * (1.0 + torch.tanh(0.7978845608028654 * "
                  "({0} + 0.044715 * ({0} * {0} * {0}))))")
    latex_template = r"\operatorname{GELU}\left(#1\right)"
    sympy_name = "gelu"

    @staticmethod
    def sympy_form(sp, x):
        inner = sp.sqrt(2 / sp.pi) * (x + sp.Rational(44715, 1000000) * x**3)
        return x / 2 * (1 + sp.tanh(inner))

    def forward(self, x):
        return gelu(x)

    def vjp(self, g, x, out):
        square = x * x
        t = np.tanh(_GELU_SCALE * (x + _GELU_CUBIC * (square * x)))
        slope = _GELU_SCALE * (1 + (3 * _GELU_CUBIC) * square)
        return g * (0.5 * (1 + t) + (0.5 * x) * ((1 - t * t) * slope))


class SiLU(UnaryOp):
    """``silu(x) = x * sigmoid(x)`` (PyTorch's ``SiLU``, also called swish), stable for any
    magnitude; its derivative is ``sigmoid(x) + out * (1 - sigmoid(x))``."""

    __slots__ = ()
    function_name = "silu"
    numpy_code = "{0} * stable_sigmoid({0})"
    numpy_helpers = (stable_sigmoid,)
    jax_code = "{0} * jax.nn.sigmoid({0})"
    torch_code = "{0} * torch.sigmoid({0})"
    latex_template = r"\operatorname{SiLU}\left(#1\right)"
    sympy_name = "silu"

    @staticmethod
    def sympy_form(sp, x):
        return x / (1 + sp.exp(-x))

    def forward(self, x):
        return x * stable_sigmoid(x)

    def vjp(self, g, x, out):
        s = sigmoid(x)
        return g * (s + out * (1 - s))
