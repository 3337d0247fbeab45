"""Reshaping and joining arrays: `Reshape`, `ExpandDims`, `Squeeze`, `BroadcastTo`,
`Concatenate` and `Stack`, as the NumPy functions of the same names.

None of these computes anything: their derivatives move the gradient back
into the operands' shapes (`BroadcastTo`'s sums over the broadcast axes, as
the engine does for any broadcast).  The rules of the one-operand ones read
only the operand's shape, so the engine frees the operand's values early.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from exprdiff.core.nodes import NaryOp, UnaryOp, as_node
from exprdiff.core.values import scalar_or_array, short_repr
from exprdiff.ops.arrays import _axis_setting

__all__ = ["BroadcastTo", "Concatenate", "ExpandDims", "Reshape", "Squeeze", "Stack"]


def _shape_of_operand(x: Any) -> tuple[int, ...]:
    """An operand's shape: the engine hands a freed operand's shape itself (a tuple)."""
    return x if type(x) is tuple else np.shape(x)


def _reshaped(g: Any, x: Any) -> Any:
    """The gradient ``g`` in the operand's shape."""
    shape = _shape_of_operand(x)
    return g.reshape(shape) if type(g) is np.ndarray else np.reshape(g, shape)


def _shape_setting(op: str, shape: object, allow_unknown: bool) -> tuple[int, ...]:
    """A shape keyword: an int or a tuple of ints >= 0 (one -1 allowed where it is inferred)."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"{op}: the shape must be an int or a tuple of ints, got "
                        f"{short_repr(shape)}")
    shape = tuple(int(n) for n in shape)
    unknown = shape.count(-1) if allow_unknown else 0
    if unknown > 1 or any(n < 0 for n in shape if n != -1 or not allow_unknown):
        raise ValueError(f"{op}: sizes must be >= 0{' (one may be -1)' if allow_unknown else ''}, "
                         f"got {shape}")
    return shape


def _expand_dims_torch(x, axis):
    """`numpy.expand_dims` in PyTorch (several axes, negative ones counted in the result)."""
    axes = (axis,) if type(axis) is int else axis
    ndim = x.ndim + len(axes)
    for a in sorted(a % ndim for a in axes):
        x = x.unsqueeze(a)
    return x


def _squeeze_torch(x, axis):
    """`numpy.squeeze` in PyTorch."""
    return x.squeeze() if axis is None else x.squeeze(axis)


def _tensors(values):
    """The operands as tensors (constants may be 0-d arrays or numbers)."""
    import torch

    like = next((v for v in values if isinstance(v, torch.Tensor)), None)
    return [v if isinstance(v, torch.Tensor) else torch.as_tensor(v, dtype=like.dtype)
            for v in values]


def _concatenate_torch(values, axis):
    """`numpy.concatenate` in PyTorch (``axis=None``: the operands flattened)."""
    import torch

    values = _tensors(values)
    if axis is None:
        return torch.cat([v.reshape(-1) for v in values])
    return torch.cat(values, dim=axis)


def _stack_torch(values, axis):
    """`numpy.stack` in PyTorch."""
    import torch

    return torch.stack(_tensors(values), dim=axis)


class _Rearranging(UnaryOp):
    """Base of the ops that only rearrange their operand's elements: not elementwise, their
    value a view of the operand (compiled code copies it before handing it out), their
    derivative rule reading neither the operand nor the value (only its shape)."""

    __slots__ = ()
    elementwise = False
    returns_view = True
    vjp_uses_out = False
    vjp_uses_operands = False


class Reshape(_Rearranging):
    """The operand with a new shape, as `numpy.reshape` (one size may be -1; ``np.ravel``
    too, and the methods ``x.reshape(...)``, ``x.ravel()``).

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> Reshape(x, (2, -1))({}, {x: [1.0, 2.0, 3.0, 4.0]})
    array([[1., 2.],
           [3., 4.]])
    """

    __slots__ = ("newshape",)
    settings = ("newshape",)
    numpy_code = "scalar_or_array(np.reshape({0}, {newshape}))"
    jax_code = "jnp.reshape({0}, {newshape})"
    torch_code = "{0}.reshape({newshape})"
    numpy_helpers = (scalar_or_array,)
    numpy_functions = (np.reshape, np.ravel)
    method_name = "reshape"

    def __init__(self, child: object, newshape: int | tuple[int, ...]) -> None:
        self._init(child=as_node(child), newshape=_shape_setting("Reshape", newshape, True))

    @classmethod
    def from_numpy(cls, function: Any, a: Any, shape: Any = None, order: str = "C", *,
                   newshape: Any = None, copy: Any = None) -> Reshape:
        """``np.reshape(a, shape)`` and ``np.ravel(a)``; only C order has a form."""
        if order != "C":
            raise TypeError(f"order={order!r} has no exprdiff form (only 'C')")
        if function is np.ravel:
            return cls(a, (-1,))
        shape = newshape if shape is None else shape
        if shape is None:
            raise TypeError("give the new shape")
        return cls(a, shape)

    def forward(self, x):
        if type(x) is np.ndarray:  # the method: the function's dispatch costs as much here
            return scalar_or_array(x.reshape(self.newshape))
        return scalar_or_array(np.reshape(x, self.newshape))

    def vjp(self, g, x, out):
        return _reshaped(g, x)


class ExpandDims(_Rearranging):
    """The operand with new length-1 axes at ``axis``, as `numpy.expand_dims`.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> ExpandDims(x, 1)({}, {x: [1.0, 2.0]})
    array([[1.],
           [2.]])
    """

    __slots__ = ("axis",)
    settings = ("axis",)
    function_name = "expand_dims"
    numpy_code = "np.expand_dims({0}, {axis})"
    jax_code = "jnp.expand_dims({0}, {axis})"
    torch_code = "_expand_dims_torch({0}, {axis})"
    torch_helpers = (_expand_dims_torch,)
    numpy_functions = (np.expand_dims,)

    def __init__(self, child: object, axis: int | tuple[int, ...]) -> None:
        axis = _axis_setting("ExpandDims", "axis", axis)
        if axis is None:
            raise TypeError("ExpandDims: axis must be an int or a tuple of ints, got None")
        self._init(child=as_node(child), axis=axis)

    def forward(self, x):
        return np.expand_dims(x, self.axis)

    def vjp(self, g, x, out):
        return _reshaped(g, x)


class Squeeze(_Rearranging):
    """The operand without its length-1 axes (those of ``axis``), as `numpy.squeeze`.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> Squeeze(x)({}, {x: [[1.0], [2.0]]})
    array([1., 2.])
    """

    __slots__ = ("axis",)
    settings = ("axis",)
    numpy_code = "scalar_or_array(np.squeeze({0}, {axis}))"
    jax_code = "jnp.squeeze({0}, {axis})"
    torch_code = "_squeeze_torch({0}, {axis})"
    torch_helpers = (_squeeze_torch,)
    numpy_helpers = (scalar_or_array,)
    numpy_functions = (np.squeeze,)

    def __init__(self, child: object, axis: int | tuple[int, ...] | None = None) -> None:
        self._init(child=as_node(child), axis=_axis_setting("Squeeze", "axis", axis))

    def forward(self, x):
        return scalar_or_array(np.squeeze(x, self.axis))

    def vjp(self, g, x, out):
        return _reshaped(g, x)


class BroadcastTo(_Rearranging):
    """The operand broadcast to ``newshape``, as `numpy.broadcast_to`; its derivative sums
    over the broadcast axes.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> BroadcastTo(w, (2, 3)).grad({w: [1.0, 2.0, 3.0]})[w]
    array([2., 2., 2.])
    """

    __slots__ = ("newshape",)
    settings = ("newshape",)
    function_name = "broadcast_to"
    numpy_code = "scalar_or_array(np.broadcast_to({0}, {newshape}))"
    jax_code = "jnp.broadcast_to({0}, {newshape})"
    torch_code = "torch.broadcast_to({0}, {newshape})"
    numpy_helpers = (scalar_or_array,)
    numpy_functions = (np.broadcast_to,)

    def __init__(self, child: object, newshape: int | tuple[int, ...]) -> None:
        self._init(child=as_node(child), newshape=_shape_setting("BroadcastTo", newshape, False))

    @classmethod
    def from_numpy(cls, function: Any, array: Any, shape: Any, subok: bool = False) -> BroadcastTo:
        """``np.broadcast_to(array, shape)``."""
        return cls(array, shape)

    def forward(self, x):
        return scalar_or_array(np.broadcast_to(x, self.newshape))

    def vjp(self, g, x, out):
        return g  # the engine sums it down to the operand's shape


class Concatenate(NaryOp):
    """The operands joined along an existing ``axis`` (None: flattened), as `numpy.concatenate`.

    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> joined = Concatenate(a, b, axis=0)
    >>> joined({a: [1.0, 2.0], b: [3.0]})
    array([1., 2., 3.])
    >>> joined.grad({a: [1.0, 2.0], b: [3.0]}, cotangent=[1.0, 2.0, 3.0])[b]
    array([3.])
    """

    __slots__ = ("axis",)
    settings = ("axis",)
    elementwise = False
    vjp_uses_out = False
    numpy_code = "np.concatenate([{operands}], axis={axis})"
    jax_code = "jnp.concatenate([{operands}], axis={axis})"
    torch_code = "_concatenate_torch([{operands}], {axis})"
    torch_helpers = (_concatenate_torch, _tensors)
    numpy_functions = (np.concatenate,)

    def __init__(self, *operands: object, axis: int | None = 0) -> None:
        axis = _axis_setting("Concatenate", "axis", axis)
        if isinstance(axis, tuple):
            raise TypeError(f"Concatenate: axis must be an int or None, got {axis!r}")
        super().__init__(*operands)
        object.__setattr__(self, "axis", axis)

    @classmethod
    def from_numpy(cls, function: Any, arrays: Any, axis: int | None = 0, out: Any = None, *,
                   dtype: Any = None, casting: str = "same_kind") -> Concatenate:
        """``np.concatenate([a, b, ...], axis)``; ``out`` and ``dtype`` have no form."""
        if out is not None or dtype not in (None, float, np.float64):
            raise TypeError("out= and dtype= have no exprdiff form")
        return cls(*arrays, axis=axis)

    def forward(self, *values):
        return np.concatenate(values, axis=self.axis)

    def partial(self, slot, g, operands, out):
        shapes = [np.shape(value) for value in operands]
        if self.axis is None:
            start = sum(int(np.prod(shape)) for shape in shapes[:slot])
            return np.reshape(g[start:start + int(np.prod(shapes[slot]))], shapes[slot])
        axis = self.axis % g.ndim
        start = sum(shape[axis] for shape in shapes[:slot])
        index = [slice(None)] * g.ndim
        index[axis] = slice(start, start + shapes[slot][axis])
        return g[tuple(index)]


class Stack(NaryOp):
    """The operands stacked along a new ``axis``, as `numpy.stack`.

    >>> from exprdiff import Input
    >>> a, b = Input("a"), Input("b")
    >>> Stack(a, b, axis=1)({}, {a: [1.0, 2.0], b: [3.0, 4.0]})
    array([[1., 3.],
           [2., 4.]])
    """

    __slots__ = ("axis",)
    settings = ("axis",)
    elementwise = False
    vjp_uses_out = False
    vjp_uses_operands = False
    numpy_code = "np.stack([{operands}], axis={axis})"
    jax_code = "jnp.stack([{operands}], axis={axis})"
    torch_code = "_stack_torch([{operands}], {axis})"
    torch_helpers = (_stack_torch, _tensors)
    numpy_functions = (np.stack,)

    def __init__(self, *operands: object, axis: int = 0) -> None:
        axis = _axis_setting("Stack", "axis", axis)
        if not isinstance(axis, int):
            raise TypeError(f"Stack: axis must be an int, got {axis!r}")
        super().__init__(*operands)
        object.__setattr__(self, "axis", axis)

    @classmethod
    def from_numpy(cls, function: Any, arrays: Any, axis: int = 0, out: Any = None, *,
                   dtype: Any = None, casting: str = "same_kind") -> Stack:
        """``np.stack([a, b, ...], axis)``; ``out`` and ``dtype`` have no form."""
        if out is not None or dtype not in (None, float, np.float64):
            raise TypeError("out= and dtype= have no exprdiff form")
        return cls(*arrays, axis=axis)

    def forward(self, *values):
        return np.stack(values, axis=self.axis)

    def partial(self, slot, g, operands, out):
        index = [slice(None)] * g.ndim
        index[self.axis % g.ndim] = slot
        return g[tuple(index)]
