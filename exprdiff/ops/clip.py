"""Clipping a value into an interval."""

from __future__ import annotations

import math

import numpy as np

from exprdiff.core.nodes import UnaryOp, as_node

__all__ = ["Clip"]


class Clip(UnaryOp):
    """``x`` limited to ``[low, high]``, as `numpy.clip`.

    The derivative is 1 strictly inside the interval, 0 outside and 1/2
    exactly on a bound (the mean of the one-sided slopes).  It is written
    with `Sign` so the same rule also runs symbolically.

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
    # np.clip returns x itself when it equals a bound (the sign of a zero kept)
    math_code = "({low} if {0} < {low} else ({high} if {0} > {high} else {0}))"
    math_finite = True
    # maximum and minimum split the slope where they tie: 1/2 on a bound, as vjp says
    # (torch.clamp's slope is 1 there)
    jax_code = "jnp.minimum(jnp.maximum({0}, {low}), {high})"
    torch_code = "torch.minimum(torch.maximum({0}, {0}.new_tensor({low})), {0}.new_tensor({high}))"

    def __init__(self, child: object, low: float, high: float) -> None:
        low, high = float(low), float(high)
        if math.isnan(low) or math.isnan(high) or not low <= high:
            raise ValueError(f"Clip needs low <= high, got low={low!r}, high={high!r}")
        self._init(child=as_node(child), low=low, high=high)

    def forward(self, x):
        value = np.clip(x, self.low, self.high)
        return value if type(value) is np.ndarray else float(value)

    def vjp(self, g, x, out):
        return g * (np.sign(x - self.low) * np.sign(self.high - x) + 1) / 2
