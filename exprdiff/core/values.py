"""Turning what users supply (numbers, arrays, lists) into float64 values."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["WHERE_MASK_SIZE", "as_value", "fit_mask", "fit_shape", "fit_to_shape",
           "scalar_or_array", "select", "shape_of", "short_repr", "summed_to", "where_value"]

_NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float: everything float64 can hold


def as_value(value: object, owner: object) -> float | np.ndarray:
    """Return ``value`` as a Python float or a float64 array, or raise an error naming ``owner``.

    ``owner`` is whose value this is (a node or a description), for the error
    message.  Float64 arrays are returned as they are (never copied or written).
    Booleans, Python's and NumPy's alike (scalars and arrays), are the
    numbers 1.0 and 0.0.  A value that is not a real number (or an array of
    them) raises `TypeError`; a number beyond the float64 range (``10**400``)
    raises `ValueError`.

    >>> as_value(3, "x"), as_value([1, 2], "x"), as_value(np.True_, "x")
    (3.0, array([1., 2.]), 1.0)
    >>> as_value(10**400, "x")
    Traceback (most recent call last):
    ...
    ValueError: x: the value 1000000... is out of the float64 range (magnitudes up to about 1.8e308)
    """
    kind = type(value)
    if kind is float:
        return value
    if kind is np.ndarray:
        if value.dtype == np.float64:
            return value if value.ndim else float(value)
        if value.dtype.kind in _NUMERIC_KINDS:
            return value.astype(np.float64) if value.ndim else float(value)
        if value.dtype.kind == "O":
            return _from_objects(value, value, owner)
    elif isinstance(value, (numbers.Real, np.bool_)):
        try:
            return float(value)
        except OverflowError:
            raise _out_of_range(value, owner) from None
    elif isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value)
        except ValueError as error:  # ragged nesting
            raise TypeError(
                f"{_describe(owner)}: the value is not a rectangular array ({error})"
            ) from None
        if array.dtype.kind in _NUMERIC_KINDS:
            return array.astype(np.float64) if array.ndim else float(array)
        if array.dtype.kind == "O":
            return _from_objects(array, value, owner)
    raise _not_numeric(value, owner)


def _from_objects(array: np.ndarray, value: object, owner: object) -> float | np.ndarray:
    """An array of Python objects (ints beyond int64, say), if they are all real numbers."""
    if not all(isinstance(item, (numbers.Real, np.bool_)) for item in array.flat):
        raise _not_numeric(value, owner)
    try:
        converted = array.astype(np.float64)
    except OverflowError:
        raise _out_of_range(value, owner) from None
    return converted if converted.ndim else float(converted)


def _not_numeric(value: object, owner: object) -> TypeError:
    return TypeError(
        f"{_describe(owner)}: the value must be a real number or an array of real numbers, "
        f"got {type(value).__name__} {short_repr(value)}"
    )


def _out_of_range(value: object, owner: object) -> ValueError:
    return ValueError(
        f"{_describe(owner)}: the value {short_repr(value)} is out of the float64 range "
        "(magnitudes up to about 1.8e308)"
    )


def summed_to(derivative: Any, value: Any, like: Any) -> Any:
    """A pointwise derivative broadcast to ``value``'s shape and summed to ``like``'s: a
    float for a scalar ``like`` (as `Node.grad` gives a scalar Parameter's gradient).

    >>> summed_to(np.array([1.0, 2.0]), np.zeros(2), 0.5), summed_to(3.0, np.zeros(4), 0.5)
    (3.0, 12.0)
    """
    if type(like) is not np.ndarray or not like.ndim:  # a scalar Parameter
        if type(derivative) is not np.ndarray:  # the same at every element
            return float(derivative) * (value.size if type(value) is np.ndarray else 1)
        if type(value) is not np.ndarray or derivative.shape == value.shape:
            return float(np.add.reduce(derivative, axis=None))
        full = np.broadcast_to(derivative, np.broadcast_shapes(derivative.shape, value.shape))
        return float(full.sum())
    full = np.broadcast_to(derivative, np.broadcast_shapes(np.shape(derivative), np.shape(value)))
    return np.array(fit_shape(full, like), dtype=np.float64)


def fit_shape(grad: Any, like: Any) -> Any:
    """Sum a broadcast gradient back down to the shape of its operand's value ``like``.

    >>> float(fit_shape(np.ones(3), 2.0))
    3.0
    """
    if type(like) is not np.ndarray:  # a scalar operand (0-d values are scalars)
        return summed(grad) if type(grad) is np.ndarray else grad
    return fit_to_shape(grad, like.shape)


def summed(grad: np.ndarray) -> Any:
    """The sum of a gradient array's elements, for a scalar operand; a 0-d array's element
    as it is (NumPy's sum of ``array(-0.0)`` is ``+0.0``: its reduction starts from +0.0).

    >>> summed(np.array(-0.0)), summed(np.array([1.0, 2.0]))
    (np.float64(-0.0), np.float64(3.0))
    """
    return grad[()] if grad.ndim == 0 else grad.sum()


def fit_to_shape(grad: Any, shape: tuple) -> Any:
    """Sum a broadcast gradient back down to an array operand's ``shape``.

    >>> fit_to_shape(np.ones((3, 2)), (1, 2))
    array([[3., 3.]])
    """
    grad_shape = shape_of(grad)
    if grad_shape == shape:
        return grad
    extra = len(grad_shape) - len(shape)
    if extra >= 0:
        if extra:
            grad = np.add.reduce(grad, axis=tuple(range(extra)) if extra > 1 else 0)
        axes = tuple(a for a, size in enumerate(shape) if size == 1 and grad.shape[a] != 1)
        if axes:
            grad = np.add.reduce(grad, axis=axes, keepdims=True)
        if grad.shape == shape:
            return grad
    return np.broadcast_to(grad, shape)



def fit_mask(mask: Any, shape: tuple) -> Any:
    """A boolean mask over a broadcast value, brought to an operand's ``shape``: an element of
    the operand is marked where any element it was broadcast to is.

    >>> fit_mask(np.array([[True, False], [False, False]]), (1, 2))
    array([[ True, False]])
    >>> fit_mask(np.array([False, True]), ())
    np.True_
    >>> fit_mask(np.array([True, False, False]), (2, 1))
    array([[ True],
           [ True]])
    """
    mask_shape = np.shape(mask)
    if mask_shape == shape:
        return mask
    # a where's condition may broadcast with a branch of another shape (a condition (3,),
    # a branch (2, 1)): over the shape both broadcast to first, then reduced to the branch's
    both = np.broadcast_shapes(mask_shape, shape)
    if both != mask_shape:
        mask = np.broadcast_to(mask, both)
        mask_shape = both
    extra = len(mask_shape) - len(shape)
    if extra >= 0:
        if extra:
            mask = np.logical_or.reduce(mask, axis=tuple(range(extra)))
        axes = tuple(a for a, size in enumerate(shape) if size == 1 and mask.shape[a] != 1)
        if axes:
            mask = np.logical_or.reduce(mask, axis=axes, keepdims=True)
        if np.shape(mask) == shape:
            return mask
    return np.broadcast_to(mask, shape)


#: conditions of this many elements or more take `where_value`'s bit mask (it repeats the
#: number: exported code copies the function alone)
WHERE_MASK_SIZE = 4096


def where_value(condition: Any, x: Any, y: Any) -> Any:
    """``np.where(condition, x, y)``, bit for bit (NaN, infinities and signed zeros as NumPy
    gives them), a 0-d result as a NumPy scalar.

    Where one of ``x`` and ``y`` is the number 0.0 (a derivative rule's zero), the
    condition a boolean array (of 4096 elements or more) and the other a float64 array,
    it clears the bits of the elements not chosen instead: ``np.where``'s loop branches
    on each element, and on a condition without pattern most of those branches are
    mispredicted, which makes it several times slower.

    >>> where_value(np.array([True, False]), np.array([2.0, np.nan]), 0.0)
    array([2., 0.])
    """
    # below 4096 elements np.where's per-element branches cost less than the bit mask's five
    # calls (a literal: exported code copies this function without the module around it)
    if type(condition) is np.ndarray and condition.dtype == np.bool_ and condition.size >= 4096:
        for value, zero, holds in ((x, y, True), (y, x, False)):
            if (type(zero) is float and zero == 0.0 and not np.signbit(zero)
                    and type(value) is np.ndarray and value.dtype == np.float64):
                out = np.empty(np.broadcast_shapes(condition.shape, value.shape))
                bits = out.view(np.int64)
                np.copyto(bits, condition, casting="unsafe")  # 1 where value is chosen
                if holds:
                    np.negative(bits, out=bits)  # all 64 bits set where it is chosen
                else:
                    np.subtract(bits, 1, out=bits)
                np.bitwise_and(bits, value.view(np.int64), out=bits)
                return out
    return scalar_or_array(np.where(condition, x, y))


def select(condition: Any, value: Any, holds: bool = True) -> Any:
    """``where(condition, value, 0)``: ``value`` where the condition holds, else exactly 0
    (``holds=False``: where it does not hold), even where ``value`` is NaN or infinite; bit
    for bit `numpy.where` (`where_value`, fast), a where node when handed nodes.

    >>> select(np.array([True, False]), np.array([2.0, np.nan]))
    array([2., 0.])
    """
    return where_value(condition, value, 0.0) if holds else where_value(condition, 0.0, value)


def scalar_or_array(value: Any) -> Any:
    """``value``, with a 0-d array turned into its NumPy scalar (as ufuncs return them).

    >>> scalar_or_array(np.where(True, 1.0, 2.0)), scalar_or_array(np.zeros(2))
    (np.float64(1.0), array([0., 0.]))
    """
    if type(value) is np.ndarray and not value.ndim:
        return value[()]
    return value


def shape_of(value: object) -> tuple[int, ...]:
    """The NumPy shape of a value; ``()`` for a Python number."""
    return getattr(value, "shape", ())


def _describe(owner: object) -> str:
    if isinstance(owner, str):
        return owner
    return f"{type(owner).__name__} {str(owner)!r}"


def short_repr(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages.

    >>> short_repr("x" * 100, limit=8)
    "'xxxxxx…"
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
