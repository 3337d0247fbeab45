"""Clipping a value into an interval."""

from __future__ import annotations

import math
import numbers

import numpy as np

from exprdiff.core.nodes import Node, UnaryOp, as_node
from exprdiff.core.values import short_repr

__all__ = ["Clip"]


def _clip_jax(x, low, high):
    """`Clip` in JAX: slope 1/2 on a bound, 0 everywhere when ``low == high``."""
    import jax
    import jax.numpy as jnp

    clipped = jnp.minimum(jnp.maximum(x, low), high)
    return jax.lax.stop_gradient(clipped) if low == high else clipped


def _clip_torch(x, low, high):
    """`Clip` in PyTorch: slope 1/2 on a bound, 0 everywhere when ``low == high``."""
    import torch

    clipped = torch.minimum(torch.maximum(x, x.new_tensor(low)), x.new_tensor(high))
    return clipped.detach() if low == high else clipped


class Clip(UnaryOp):
    """``x`` limited to ``[low, high]``, as `numpy.clip`.

    The derivative is 1 strictly inside the interval, 0 outside and 1/2
    exactly on a bound (the mean of the one-sided slopes; PyTorch gives 1
    there); when ``low == high`` the value is constant and the derivative 0
    everywhere.  It is written with comparisons, so the same rule also runs
    symbolically, and without a branch per element.

    >>> from exprdiff import Parameter
    >>> p = Parameter("p")
    >>> Clip(p, low=0.0, high=1.0)({p: [-0.5, 0.25, 3.0]})
    array([0.  , 0.25, 1.  ])
    >>> Clip(p, low=0.0, high=1.0).grad({p: [-0.5, 0.25, 3.0]})[p]
    array([0., 1., 0.])
    """

    __slots__ = ("low", "high")
    vjp_uses_out = False
    settings = ("low", "high")
    numpy_code = "np.clip({0}, {low}, {high})"
    numpy_functions = (np.clip,)
    # np.clip returns x itself when it equals a bound (the sign of a zero kept)
    math_code = "({low} if {0} < {low} else ({high} if {0} > {high} else {0}))"
    math_finite = True
    # maximum and minimum split the slope where they tie: 1/2 on a bound, as vjp says
    # (torch.clamp's slope is 1 there); equal bounds: a constant, slope 0 (not 1/4)
    jax_code = "_clip_jax({0}, {low}, {high})"
    jax_helpers = (_clip_jax,)
    torch_code = "_clip_torch({0}, {low}, {high})"
    torch_helpers = (_clip_torch,)

    def __init__(self, child: object, low: float, high: float) -> None:
        low, high = _bound("low", low), _bound("high", high)
        if math.isnan(low) or math.isnan(high) or not low <= high:
            raise ValueError(f"Clip needs low <= high, got low={low!r}, high={high!r}")
        self._init(child=as_node(child), low=low, high=high)

    @classmethod
    def from_numpy(cls, function, a, a_min=None, a_max=None, out=None, *, min=None, max=None):
        """``np.clip(a, low, high)`` (or ``min=``/``max=``); a missing bound is infinite."""
        if out is not None:
            raise TypeError("out= has no exprdiff form (nodes are immutable values)")
        low = a_min if min is None else min
        high = a_max if max is None else max
        if low is None and high is None:
            raise TypeError("give a lower or an upper bound (or both)")
        return cls(a, -math.inf if low is None else low, math.inf if high is None else high)

    @staticmethod
    def sympy_form(sp, x, low=-math.inf, high=math.inf):
        bound = {math.inf: sp.oo, -math.inf: -sp.oo}
        return sp.Min(sp.Max(x, bound.get(low, low)), bound.get(high, high))

    def forward(self, x):
        return np.clip(x, self.low, self.high)  # a float64 scalar for a scalar, as NumPy gives

    def vjp(self, g, x, out):
        if self.low == self.high:  # a constant: both one-sided slopes are 0, at the bound too
            return 0 * g
        return g * _inside(x, self.low, self.high)


def _inside(x, low, high):
    """1 strictly inside ``[low, high]``, 1/2 on a bound, 0 outside: from comparisons (nodes
    when handed nodes); for numbers and arrays just the comparison when nothing is on a bound."""
    inside = (x > low) & (x < high)
    if isinstance(x, Node):  # a condition is no number: where
        return np.where(inside, 1.0, np.where((x >= low) & (x <= high), 0.5, 0.0))
    on_bound = (x == low) | (x == high)
    return inside + 0.5 * on_bound if np.any(on_bound) else inside


def _bound(name: str, value: object) -> float:
    """A bound as a float: a real number (not a bool) within the float64 range."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"Clip: {name} must be a real number, got {short_repr(value)}")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"Clip: {name} {short_repr(value)} is out of the float64 range") from None
