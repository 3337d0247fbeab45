"""Powers with their own NumPy function: `Square`, `Reciprocal`, `Cbrt`.

Each computes what its ufunc computes (``x*x``, ``1/x``, the real cube
root), and differentiates from the value where that is cheaper.  `Cbrt`'s
derivative ``1/(3*cbrt(x)**2)`` is ``inf`` at 0 with NumPy's divide warning,
as `Sqrt`'s is.  SymPy's own ``x**2`` and ``1/x`` are read back as `Power`
and `Divide`, so these three name functions that
`exprdiff.keep.sympy_bridge` defines from their ``sympy_form``.
"""

from __future__ import annotations

import functools

import numpy as np

from exprdiff.core.nodes import UnaryOp

__all__ = ["Cbrt", "Reciprocal", "Square"]


class Square(UnaryOp):
    """``square(x) = x*x``."""

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.square
    latex_template = r"\left(#1\right)^{2}"
    sympy_name = "square"

    @staticmethod
    def sympy_form(sp, x):
        return x**2

    def forward(self, x):
        return np.square(x)

    def vjp(self, g, x, out):
        return g * (2 * x)


class Reciprocal(UnaryOp):
    """``reciprocal(x) = 1/x`` (for floats: NumPy's integer reciprocal truncates)."""

    __slots__ = ()
    vjp_uses_operands = False
    ufunc = np.reciprocal
    latex_template = r"\frac{1}{#1}"
    sympy_name = "reciprocal"

    @staticmethod
    def sympy_form(sp, x):
        return 1 / x

    def forward(self, x):
        return np.reciprocal(x)

    def vjp(self, g, x, out):
        return -g * (out * out)


@functools.cache
def _torch_cbrt_function():
    """PyTorch has no cube root: one with `Cbrt`'s rule, ``g / (3 * out**2)`` (inf at 0),
    differentiable again through its saved output."""
    import torch

    class CubeRoot(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = torch.sign(x) * torch.abs(x).pow(1.0 / 3.0)
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g / (3 * (out * out))

    return CubeRoot.apply


def _cbrt_torch(x):
    """`Cbrt` in PyTorch (within an ulp or two of ``np.cbrt``: ``|x| ** (1/3)``)."""
    return _torch_cbrt_function()(x)


class Cbrt(UnaryOp):
    """``cbrt(x)``, the real cube root (negative for negative ``x``).

    >>> from exprdiff import Parameter
    >>> x = Parameter("x")
    >>> Cbrt(x)({x: -8.0}), Cbrt(x).grad({x: -8.0})
    (-2.0, {Parameter('x'): 0.08333333333333333})
    """

    __slots__ = ()
    vjp_uses_operands = False
    ufunc = np.cbrt
    torch_code = "_cbrt_torch({0})"
    torch_helpers = (_cbrt_torch,)
    latex_template = r"\sqrt[3]{#1}"
    sympy_name = "cbrt"

    @staticmethod
    def sympy_form(sp, x):
        return sp.sign(x) * sp.Abs(x) ** sp.Rational(1, 3)

    @staticmethod
    def sympy_derivative(sp, x):
        return 1 / (3 * sp.cbrt(x) ** 2)

    def forward(self, x):
        return np.cbrt(x)

    def vjp(self, g, x, out):
        return g / (3 * (out * out))
