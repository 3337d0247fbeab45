"""Indexing with constant indices: ``x[0]``, ``x[:, 1]``, ``x[::-1]``, ``x[[0, 2, 2]]``, masks.

``node[key]`` builds an `Index`; the key is NumPy's (integers, slices,
``None``, ``...``, integer arrays and boolean masks) and is fixed when the
expression is built: an index that depends on values would have no
derivative.  The derivative scatters the gradient back into the operand's
shape and *adds* where an integer array names an element more than once
(``np.add.at``), so ``x[[0, 0]]`` differentiates to 2 at ``x[0]``.

The key is kept as a setting in a JSON-friendly form (`key_setting`), from
which `index_key` rebuilds NumPy's index.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from exprdiff.core.nodes import Node, UnaryOp, as_node
from exprdiff.core.values import scalar_or_array, short_repr

__all__ = ["Index"]


def key_setting(key: Any) -> tuple:
    """NumPy's index ``key`` as a tuple of JSON-friendly items (what `Index` stores).

    An integer stays itself; a slice is ``("slice", start, stop, step)``,
    ``None`` ``("newaxis",)``, ``...`` ``("ellipsis",)``, an integer array
    ``("array", shape, flat values)`` and a boolean mask ``("mask", shape, flat
    values)``.

    >>> key_setting((0, slice(1, None)))
    (0, ('slice', 1, None, None))
    >>> key_setting([2, 2])
    (('array', (2,), (2, 2)),)
    """
    items = key if isinstance(key, tuple) else (key,)
    return tuple(_item_setting(item) for item in items)


def _item_setting(item: Any) -> Any:
    if isinstance(item, Node):
        raise TypeError(
            f"indices must be constants (numbers, slices, arrays), not the expression {item}: "
            "an index that depends on values has no derivative"
        )
    if isinstance(item, (bool, np.bool_)):
        return ("mask", (), (bool(item),))
    if isinstance(item, numbers.Integral):
        return int(item)
    if isinstance(item, slice):
        parts = (item.start, item.stop, item.step)
        if not all(p is None or (isinstance(p, numbers.Integral) and not isinstance(p, bool))
                   for p in parts):
            raise TypeError(f"slice bounds must be ints or None, got {item!r}")
        if item.step == 0:
            raise ValueError("slice step cannot be zero")
        return ("slice", *(None if p is None else int(p) for p in parts))
    if item is None:
        return ("newaxis",)
    if item is Ellipsis:
        return ("ellipsis",)
    array = np.asarray(item)
    if array.dtype == bool:
        return ("mask", array.shape, tuple(bool(v) for v in array.ravel()))
    if array.dtype.kind in "iu" or (array.size == 0 and array.dtype.kind == "f"):
        return ("array", array.shape, tuple(int(v) for v in array.ravel()))
    raise TypeError(
        f"indices must be integers, slices, None, ..., integer arrays or boolean masks, "
        f"got {short_repr(item)}"
    )


def index_key(setting: tuple) -> tuple:
    """NumPy's index from a `key_setting` (a helper exported code copies too).

    >>> index_key((0, ("slice", 1, None, None)))
    (0, slice(1, None, None))
    """
    key = []
    for item in setting:
        if not isinstance(item, (tuple, list)):
            key.append(item)
        elif item[0] == "slice":
            key.append(slice(item[1], item[2], item[3]))
        elif item[0] == "newaxis":
            key.append(None)
        elif item[0] == "ellipsis":
            key.append(Ellipsis)
        else:
            dtype = bool if item[0] == "mask" else np.intp
            key.append(np.array(item[2], dtype=dtype).reshape(item[1]))
    return tuple(key)


def index_value(x, setting):
    """``x[key]`` for the key a `key_setting` stores (a helper exported code copies too).

    >>> index_value(np.arange(4.0), (("slice", None, None, -1),))
    array([3., 2., 1., 0.])
    """
    value = np.asarray(x)[index_key(setting)]
    return value if value.ndim else value[()]


def _index_jax(x, setting):
    """``x[key]`` in JAX (NumPy's indexing rules; the key is constant, so masks trace)."""
    import jax.numpy as jnp

    return jnp.asarray(x)[index_key(setting)]


def _index_torch(x, setting):
    """``x[key]`` in PyTorch with NumPy's rules: basic keys directly, the others (negative
    steps, integer arrays, masks, which PyTorch reads otherwise) as positions in the
    flattened operand, found by NumPy; autograd adds up repeated positions."""
    import torch

    key = index_key(setting)
    if all(isinstance(item, int) or item is None or item is Ellipsis
           or (isinstance(item, slice) and (item.step is None or item.step > 0))
           for item in key):
        return x[key]
    # a copy: a reversed view of a length-1 axis counts as contiguous, yet has a negative
    # stride, which torch.as_tensor refuses
    positions = np.array(np.arange(x.numel()).reshape(tuple(x.shape))[key], copy=True)
    return x.reshape(-1)[torch.as_tensor(positions, device=x.device)]


def _item_text(item: Any) -> str:
    if not isinstance(item, (tuple, list)):
        return str(item)
    kind = item[0]
    if kind == "slice":
        start, stop, step = ("" if p is None else str(p) for p in item[1:])
        return f"{start}:{stop}" + (f":{step}" if step else "")
    if kind == "newaxis":
        return "None"
    if kind == "ellipsis":
        return "..."
    values = np.array(item[2], dtype=bool if kind == "mask" else np.intp).reshape(item[1])
    return repr(values.tolist())


class Index(UnaryOp):
    """``x[key]`` with a constant NumPy index (see the module docstring); built by ``x[key]``.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> picked = w[[0, 2, 2]]
    >>> print(picked)
    w[[0, 2, 2]]
    >>> picked({w: [1.0, 2.0, 3.0]}), picked.grad({w: [1.0, 2.0, 3.0]})[w]
    (array([1., 3., 3.]), array([1., 0., 2.]))
    """

    __slots__ = ("key", "_index", "_repeats", "_counted", "_negative")
    settings = ("key",)
    elementwise = False
    returns_view = True  # compiled code copies it before handing it out
    vjp_uses_out = False
    vjp_uses_operands = False
    subscript = True
    method_name = "getitem"
    numpy_code = "index_value({0}, {key})"
    numpy_helpers = (index_key, index_value)
    jax_code = "_index_jax({0}, {key})"
    jax_helpers = (_index_jax, index_key)
    torch_code = "_index_torch({0}, {key})"
    torch_helpers = (_index_torch, index_key)

    def __init__(self, child: object, key: Any) -> None:
        setting = key_setting(index_key(key) if _is_setting(key) else key)
        if sum(1 for item in setting if item == ("ellipsis",)) > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        index = index_key(setting)
        arrays = [item for item in index if isinstance(item, np.ndarray) and item.dtype != bool]
        # repeated elements need a scatter-add; unique ones (the usual case) a plain assignment
        repeats = bool(arrays) and (len(arrays) > 1 or len(np.unique(arrays[0])) < arrays[0].size
                                    or np.any(arrays[0] < 0))
        # one integer array alone, on a vector: np.bincount adds up the repeats fastest
        counted = repeats and len(index) == 1 and len(arrays) == 1
        negative = bool(arrays) and bool(np.any(arrays[0] < 0))
        self._init(child=as_node(child), key=setting, _index=index, _repeats=repeats,
                   _counted=counted, _negative=negative)

    def subscript_text(self) -> str:
        """The key as Python writes it: ``[0, 1:3]``."""
        return "[" + ", ".join(_item_text(item) for item in self.key) + "]"

    def forward(self, x):
        return scalar_or_array(np.asarray(x)[self._index])

    def vjp(self, g, x, out):
        shape = x if type(x) is tuple else np.shape(x)
        if self._counted and len(shape) == 1:
            positions = self._index[0].ravel()
            if self._negative:  # negative indices count from the end
                positions = positions % shape[0]
            weights = np.broadcast_to(g, self._index[0].shape).ravel()
            return np.bincount(positions, weights=weights, minlength=shape[0])
        grad = np.zeros(shape)
        if self._repeats:
            np.add.at(grad, self._index, g)
        else:
            grad[self._index] = g
        return grad if shape else grad[()]


def _is_setting(key: Any) -> bool:
    """Whether ``key`` is already in `key_setting`'s form (a saved node being rebuilt)."""
    return isinstance(key, tuple) and any(
        isinstance(item, tuple) and item and isinstance(item[0], str) for item in key)
