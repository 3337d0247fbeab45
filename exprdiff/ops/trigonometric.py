"""Trigonometry beyond `Sin`, `Cos` and `Arcsin`: tangents, inverses, angles, `Hypot`.

Derivatives are written in forms that stay accurate near the ends of the
domains (``(1 - x)*(1 + x)`` rather than ``1 - x**2`` under `Arccos`'s root);
`Hypot`'s value never overflows and its derivatives come from it.  At
``arccos``'s ends, ``x = ±1``, the derivative is ``-inf`` with NumPy's divide
warning, as ``log'(0)`` is ``inf``.
"""

from __future__ import annotations

import numpy as np

from exprdiff.core.nodes import BinaryOp, UnaryOp

__all__ = ["Arccos", "Arctan", "Arctan2", "Deg2rad", "Hypot", "Rad2deg", "Tan"]


class Tan(UnaryOp):
    """``tan(x)``; its derivative ``1 + tan(x)**2`` comes from the value."""

    __slots__ = ()
    vjp_uses_operands = False
    ufunc = np.tan
    latex_template = r"\tan\left(#1\right)"
    sympy_name = "tan"

    def forward(self, x):
        return np.tan(x)

    def vjp(self, g, x, out):
        return g * (1 + out * out)


class Arccos(UnaryOp):
    """``arccos(x)``, for ``-1 <= x <= 1`` (NaN outside); its derivative is ``-inf`` at ±1."""

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.arccos
    latex_template = r"\arccos\left(#1\right)"
    sympy_name = "acos"

    def forward(self, x):
        return np.arccos(x)

    def vjp(self, g, x, out):
        return -g / np.sqrt((1 - x) * (1 + x))


class Arctan(UnaryOp):
    """``arctan(x)``."""

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.arctan
    latex_template = r"\arctan\left(#1\right)"
    sympy_name = "atan"

    def forward(self, x):
        return np.arctan(x)

    def vjp(self, g, x, out):
        return g / (1 + x * x)


#: the smallest positive float: ``max(r, _TINY)`` is ``r`` except at 0, where ``0/_TINY`` is 0
_TINY = 5e-324


def _arctan2_jax(a, b):
    """`Arctan2` in JAX: NumPy's value everywhere, slopes 0 at the origin (JAX's are NaN)."""
    import jax  # only when JAX code runs: importing exprdiff never imports JAX
    import jax.numpy as jnp

    origin = (a == 0) & (b == 0)
    inside = jnp.arctan2(a, jnp.where(origin, 1.0, b))  # finite slopes everywhere
    return jnp.where(origin, jax.lax.stop_gradient(jnp.arctan2(a, b)), inside)


def _arctan2_torch(a, b):
    """`Arctan2` in PyTorch: the value everywhere, slopes 0 at the origin."""
    import torch

    origin = (a == 0) & (b == 0)
    inside = torch.arctan2(a, torch.where(origin, 1.0, b))
    return torch.where(origin, torch.arctan2(a, b).detach(), inside)


def _hypot_jax(a, b):
    """`Hypot` in JAX: slopes ``a/hypot``, ``b/hypot``, and 0 at the origin (not NaN)."""
    import jax.numpy as jnp

    origin = (a == 0) & (b == 0)
    return jnp.where(origin, 0.0, jnp.hypot(jnp.where(origin, 1.0, a), b))


def _hypot_torch(a, b):
    """`Hypot` in PyTorch: slopes ``a/hypot``, ``b/hypot``, and 0 at the origin."""
    import torch

    origin = (a == 0) & (b == 0)
    return torch.where(origin, 0.0, torch.hypot(torch.where(origin, 1.0, a), b))


class Arctan2(BinaryOp):
    """``arctan2(a, b)``: the angle of the point ``(b, a)``, as `numpy.arctan2`.

    The derivatives are ``b / (a**2 + b**2)`` and ``-a / (a**2 + b**2)``; at
    the origin both are 0, as PyTorch gives.  As in PyTorch and JAX, the
    squares overflow (with NumPy's warning, the derivatives then 0) beyond
    ``|a|, |b| ~ 1e154``, where the true derivatives are below ``1e-154``.

    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> Arctan2(a, b)({a: 3.0, b: 4.0}), Arctan2(a, b).grad({a: 3.0, b: 4.0})
    (0.6435011087932844, {Parameter('a'): 0.16, Parameter('b'): -0.12})
    """

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.arctan2
    # the origin's slopes 0 through a second where (JAX's and autograd's are NaN there)
    jax_code = "_arctan2_jax({0}, {1})"
    jax_helpers = (_arctan2_jax,)
    torch_code = "_arctan2_torch({0}, {1})"
    torch_helpers = (_arctan2_torch,)
    latex_template = r"\operatorname{atan2}\left(#1, #2\right)"
    sympy_name = "atan2"

    def forward(self, a, b):
        return np.arctan2(a, b)

    def vjp_lhs(self, g, a, b, out):
        return g * b / np.maximum(a * a + b * b, _TINY)

    def vjp_rhs(self, g, a, b, out):
        return -g * a / np.maximum(a * a + b * b, _TINY)


class Hypot(BinaryOp):
    """``hypot(a, b) = sqrt(a**2 + b**2)``, without overflow (`numpy.hypot`).

    The derivatives are ``a / hypot`` and ``b / hypot``, from the value; at
    the origin both are 0, as ``Abs'(0)`` (the subgradient a norm takes there:
    ``torch.linalg.vector_norm``'s; ``torch.hypot`` gives NaN).

    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> Hypot(a, b)({a: 3e300, b: 4e300}), Hypot(a, b).grad({a: 3.0, b: 4.0})
    (5e+300, {Parameter('a'): 0.6, Parameter('b'): 0.8})
    """

    __slots__ = ()
    ufunc = np.hypot
    jax_code = "_hypot_jax({0}, {1})"
    jax_helpers = (_hypot_jax,)
    torch_code = "_hypot_torch({0}, {1})"
    torch_helpers = (_hypot_torch,)
    latex_template = r"\operatorname{hypot}\left(#1, #2\right)"
    sympy_name = "hypot"

    @staticmethod
    def sympy_form(sp, a, b):
        return sp.sqrt(a**2 + b**2)

    def forward(self, a, b):
        return np.hypot(a, b)

    def vjp_lhs(self, g, a, b, out):
        return g * a / np.maximum(out, _TINY)

    def vjp_rhs(self, g, a, b, out):
        return g * b / np.maximum(out, _TINY)


class Deg2rad(UnaryOp):
    """``deg2rad(x) = x * pi / 180``: degrees to radians (``np.radians`` too)."""

    __slots__ = ()
    vjp_uses_out = False
    vjp_uses_operands = False
    ufunc = np.deg2rad
    numpy_functions = (np.radians,)
    latex_template = r"\operatorname{deg2rad}\left(#1\right)"
    sympy_name = "deg2rad"

    @staticmethod
    def sympy_form(sp, x):
        return x * sp.pi / 180

    def forward(self, x):
        return np.deg2rad(x)

    def vjp(self, g, x, out):
        return g * (np.pi / 180)


class Rad2deg(UnaryOp):
    """``rad2deg(x) = x * 180 / pi``: radians to degrees (``np.degrees`` too)."""

    __slots__ = ()
    vjp_uses_out = False
    vjp_uses_operands = False
    ufunc = np.rad2deg
    numpy_functions = (np.degrees,)
    latex_template = r"\operatorname{rad2deg}\left(#1\right)"
    sympy_name = "rad2deg"

    @staticmethod
    def sympy_form(sp, x):
        return x * 180 / sp.pi

    def forward(self, x):
        return np.rad2deg(x)

    def vjp(self, g, x, out):
        return g * (180 / np.pi)
