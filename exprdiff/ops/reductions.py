"""Reductions beyond sums and means: `Max`, `Min`, `Prod`, `Var`, `Std`.

Each takes ``axis`` (None: every element) and ``keepdims`` as NumPy does,
and is built by NumPy's function on a node (``np.max(x, axis=0)``), by the
ufunc's ``reduce`` (``np.maximum.reduce``) or by the method (``x.max()``).
Their derivatives follow PyTorch: `Max` and `Min` share the gradient evenly
among the elements that tie for the extreme (as ``torch.amax``), and it is
NaN where the extreme is NaN; `Prod`'s derivative, the product of the other
elements, is exact where elements are 0; `Std`'s derivative is 0 where the
standard deviation is 0 (all elements equal).
"""

from __future__ import annotations

import numbers

import numpy as np

from exprdiff.ops.arrays import _Reduction, _spread, _torch_dims

__all__ = ["Max", "Min", "Prod", "Std", "Var"]


def _prod_torch(x, axis, keepdims):
    """`Prod` in PyTorch, whose ``prod`` takes one dim: the axes moved last and flattened.

    Autograd's derivative of ``prod`` is exact where elements are 0, as `Prod`'s."""
    if type(axis) is int:
        return x.prod(dim=axis, keepdim=keepdims)
    dims = tuple(a % x.ndim for a in _torch_dims(x, axis)) if x.ndim else ()
    if not dims:
        return x
    kept = [a for a in range(x.ndim) if a not in dims]
    moved = x.permute(*kept, *dims).reshape(*[x.shape[a] for a in kept], -1)
    out = moved.prod(dim=-1)
    if keepdims:
        out = out.reshape([1 if a in dims else x.shape[a] for a in range(x.ndim)])
    return out


def _variance_jax(x, axis, ddof, keepdims):
    """`Var` in JAX, centred as `centred` does (exactly 0 over equal elements, where
    ``jnp.var``'s mean may be an ulp off)."""
    import jax.numpy as jnp

    x = jnp.asarray(x)  # a sample's scalar too
    count = x.size // max(jnp.sum(x, axis=axis, keepdims=True).size, 1)
    differences = x - jnp.sum(x, axis=axis, keepdims=True) / count
    differences = differences - jnp.sum(differences, axis=axis, keepdims=True) / count
    return jnp.sum(differences * differences, axis=axis, keepdims=keepdims) / (count - ddof)


def _std_jax(x, axis, ddof, keepdims):
    """`Std` in JAX: ``sqrt(var)`` with slope 0 where it is 0 (JAX's ``jnp.std`` gives NaN)."""
    import jax.numpy as jnp

    var = _variance_jax(x, axis, ddof, keepdims)
    flat = var == 0
    return jnp.where(flat, 0.0, jnp.sqrt(jnp.where(flat, 1.0, var)))


def _variance_torch(x, axis, ddof, keepdims):
    """`Var` in PyTorch, centred as `centred` does."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float64) if not isinstance(x, torch.Tensor) else x
    dims = _torch_dims(x, axis)
    count = x.numel() // max(x.sum(dim=dims, keepdim=True).numel(), 1)
    differences = x - x.sum(dim=dims, keepdim=True) / count
    differences = differences - differences.sum(dim=dims, keepdim=True) / count
    return (differences * differences).sum(dim=dims, keepdim=keepdims) / (count - ddof)


def _std_torch(x, axis, ddof, keepdims):
    """`Std` in PyTorch: ``sqrt(var)`` with slope 0 where it is 0, as `Std`'s."""
    import torch

    var = _variance_torch(x, axis, ddof, keepdims)
    flat = var == 0
    return torch.where(flat, 0.0, torch.sqrt(torch.where(flat, 1.0, var)))


class Max(_Reduction):
    """The largest element along ``axis`` (`numpy.max`, ``np.amax``); ties share the gradient.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> Max(w)({w: [1.0, 3.0, 3.0]}), Max(w).grad({w: [1.0, 3.0, 3.0]})[w]
    (3.0, array([0. , 0.5, 0.5]))
    """

    __slots__ = ()
    numpy_code = "np.max({0}, axis={axis}, keepdims={keepdims})"
    # both libraries share the gradient evenly among ties, as vjp does
    jax_code = "jnp.max({0}, axis={axis}, keepdims={keepdims})"
    torch_code = "torch.amax({0}, dim=_torch_dims({0}, {axis}), keepdim={keepdims})"
    torch_helpers = (_torch_dims,)
    numpy_functions = (np.max, np.amax)
    reduces = np.maximum
    method_name = "max"

    def forward(self, x):
        return np.max(x, axis=self.axis, keepdims=self.keepdims)

    def vjp(self, g, x, out):
        return _share_among_ties(self, g, x, out)


class Min(_Reduction):
    """The smallest element along ``axis`` (`numpy.min`, ``np.amin``); ties share the gradient.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> Min(w, axis=1).grad({w: [[1.0, 1.0], [0.0, 2.0]]})[w]
    array([[0.5, 0.5],
           [1. , 0. ]])
    """

    __slots__ = ()
    numpy_code = "np.min({0}, axis={axis}, keepdims={keepdims})"
    jax_code = "jnp.min({0}, axis={axis}, keepdims={keepdims})"
    torch_code = "torch.amin({0}, dim=_torch_dims({0}, {axis}), keepdim={keepdims})"
    torch_helpers = (_torch_dims,)
    numpy_functions = (np.min, np.amin)
    reduces = np.minimum
    method_name = "min"

    def forward(self, x):
        return np.min(x, axis=self.axis, keepdims=self.keepdims)

    def vjp(self, g, x, out):
        return _share_among_ties(self, g, x, out)


def _share_among_ties(op: _Reduction, g, x, out):
    """The gradient of an extreme: ``g`` split evenly among the elements equal to it."""
    if type(x) is not np.ndarray:
        return g
    hit = x == op.kept(out, x)
    count = np.add.reduce(hit, axis=op.axis, keepdims=True)
    return hit * (op.kept(g, x) / count)


class Prod(_Reduction):
    """The product of the elements along ``axis`` (`numpy.prod`).

    The derivative for each element is the product of the others: ``out / x``
    when no element of the slice is 0 and the value is finite, else computed
    from running products from both ends, so a zero element gets the product
    of the rest and the others 0 (two zeros: all 0), as in PyTorch.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> Prod(w).grad({w: [2.0, 0.0, 3.0]})[w]
    array([0., 6., 0.])
    """

    __slots__ = ()
    numpy_code = "np.prod({0}, axis={axis}, keepdims={keepdims})"
    jax_code = "jnp.prod({0}, axis={axis}, keepdims={keepdims})"
    torch_code = "_prod_torch({0}, {axis}, {keepdims})"
    torch_helpers = (_prod_torch, _torch_dims)
    numpy_functions = (np.prod,)
    reduces = np.multiply

    def forward(self, x):
        return np.multiply.reduce(x, axis=self.axis, keepdims=self.keepdims)

    def vjp(self, g, x, out):
        if type(x) is not np.ndarray:
            return g
        g = self.kept(g, x)
        if np.all(out != 0) and np.all(np.isfinite(out)):  # no zero element
            return g * (self.kept(out, x) / x)
        return g * _product_of_others(x, self.axis)


def _product_of_others(x: np.ndarray, axis) -> np.ndarray:
    """For each element, the product of the other elements of its slice along ``axis``."""
    if x.size == 0:
        return np.zeros(x.shape)
    axes = tuple(range(x.ndim)) if axis is None else (axis,) if type(axis) is int else axis
    axes = tuple(a % x.ndim for a in axes)
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    rows = moved.reshape(moved.shape[: x.ndim - len(axes)] + (-1,))
    ones = np.ones(rows.shape[:-1] + (1,))
    before = np.concatenate([ones, np.cumprod(rows[..., :-1], axis=-1)], axis=-1)
    after = np.concatenate([np.cumprod(rows[..., :0:-1], axis=-1)[..., ::-1], ones], axis=-1)
    others = (before * after).reshape(moved.shape)
    return np.moveaxis(others, tuple(range(x.ndim - len(axes), x.ndim)), axes)


def _count(x: np.ndarray, axis) -> int:
    """How many elements each slice along ``axis`` reduces."""
    if axis is None:
        return x.size
    return int(np.prod([x.shape[a] for a in ((axis,) if type(axis) is int else axis)]))


def centred(x, axis):
    """``x`` minus its mean along ``axis`` (None: every element), the mean corrected by the
    mean of the differences (the corrected two-pass algorithm): exactly 0 where a slice's
    elements are all equal, where the plain mean may be an ulp off (``[-0.2] * 3``).

    >>> centred(np.array([-0.2, -0.2, -0.2]), None).tolist()
    [0.0, 0.0, 0.0]
    """
    total = np.add.reduce(x, axis=axis, keepdims=True)
    count = np.size(x) // max(np.size(total), 1)
    differences = x - total / count
    correction = np.add.reduce(differences, axis=axis, keepdims=True) / count
    if type(differences) is np.ndarray:
        return np.subtract(differences, correction, out=differences)
    return differences - correction


def variance(x, axis, ddof, keepdims):
    """The variance along ``axis``, ``sum(centred**2) / max(n - ddof, 0)``, the function
    behind `Var` and `Std` (exported code calls it too): `numpy.var`'s value, but exactly 0
    for a slice of equal elements (see `centred`).

    >>> float(variance(np.array([1.0, 3.0]), None, 0, False))
    1.0
    """
    squares = centred(x, axis)
    squares = np.multiply(squares, squares, out=squares) if type(squares) is np.ndarray \
        else squares * squares
    total = np.add.reduce(squares, axis=axis, keepdims=keepdims)
    return total / max(np.size(x) // max(np.size(total), 1) - ddof, 0)


def _ddof_setting(op: str, ddof: object) -> int:
    if isinstance(ddof, bool) or not isinstance(ddof, numbers.Integral) or ddof < 0:
        raise TypeError(f"{op}: ddof must be an int >= 0, got {ddof!r}")
    return int(ddof)


class Var(_Reduction):
    """The variance along ``axis``, ``sum((x - mean)**2) / (n - ddof)`` (`numpy.var`), centred
    by the corrected two-pass algorithm (`centred`): exactly 0 for a slice of equal elements.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> Var(w)({w: [1.0, 3.0]}), Var(w, ddof=1).grad({w: [1.0, 3.0]})[w]
    (1.0, array([-2.,  2.]))
    """

    __slots__ = ("ddof",)
    settings = ("axis", "ddof", "keepdims")
    numpy_code = "variance({0}, {axis}, {ddof}, {keepdims})"
    numpy_helpers = (centred, variance)
    jax_code = "_variance_jax({0}, {axis}, {ddof}, {keepdims})"
    jax_helpers = (_variance_jax,)
    torch_code = "_variance_torch({0}, {axis}, {ddof}, {keepdims})"
    torch_helpers = (_variance_torch, _torch_dims)
    numpy_functions = (np.var,)
    vjp_uses_out = False

    def __init__(self, child: object, axis: int | tuple[int, ...] | None = None,
                 ddof: int = 0, keepdims: bool = False) -> None:
        super().__init__(child, axis, keepdims)
        object.__setattr__(self, "ddof", _ddof_setting(type(self).__name__, ddof))

    @classmethod
    def from_numpy(cls, function, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        """``np.var(a, axis, ddof=..., keepdims=...)`` (``np.std`` alike); ``dtype`` and
        ``out`` have no form."""
        if dtype not in (None, float, np.float64) or out is not None:
            raise TypeError("dtype= and out= have no exprdiff form")
        return cls(a, axis=axis, ddof=ddof, keepdims=keepdims)

    def forward(self, x):
        return variance(x, self.axis, self.ddof, self.keepdims)

    def vjp(self, g, x, out):
        if type(x) is not np.ndarray:
            return 0 * g * x  # the variance of one number is 0 (or NaN for ddof >= 1)
        differences = centred(x, self.axis)
        scale = 2.0 / (_count(x, self.axis) - self.ddof)
        return _spread(g, x, self.axis, self.keepdims) * differences * scale


class Std(Var):
    """The standard deviation along ``axis``, ``sqrt(var)`` (`numpy.std`); its derivative is
    0 where it is 0 (all elements of the slice equal), as in PyTorch.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> Std(w)({w: [1.0, 3.0]}), Std(w).grad({w: [1.0, 3.0]})[w], Std(w).grad({w: [2.0, 2.0]})[w]
    (1.0, array([-0.5,  0.5]), array([0., 0.]))
    """

    __slots__ = ()
    numpy_code = "np.sqrt(variance({0}, {axis}, {ddof}, {keepdims}))"
    numpy_helpers = (centred, variance)
    jax_code = "_std_jax({0}, {axis}, {ddof}, {keepdims})"
    jax_helpers = (_std_jax, _variance_jax)
    torch_code = "_std_torch({0}, {axis}, {ddof}, {keepdims})"
    torch_helpers = (_std_torch, _variance_torch, _torch_dims)
    numpy_functions = (np.std,)
    vjp_uses_out = True

    def forward(self, x):
        return np.sqrt(variance(x, self.axis, self.ddof, self.keepdims))

    def vjp(self, g, x, out):
        if type(x) is not np.ndarray:
            return 0 * g * x
        differences = centred(x, self.axis)
        spread = self.kept(out, x)
        scale = np.where(spread > 0, spread * (_count(x, self.axis) - self.ddof), np.inf)
        return _spread(g, x, self.axis, self.keepdims) * (differences / scale)
