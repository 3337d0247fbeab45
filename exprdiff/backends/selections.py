"""`Where`'s NaN-free gradient in JAX and PyTorch code: the engine's selected gradients.

The engine zeroes every derivative contribution that flows from inside a
branch of ``where`` where the branch is not taken (see `exprdiff.ops.Where`
and ``_backpropagate_selected`` in `exprdiff.core.interpreter`), so
``where(x > 0, sqrt(x), 0)`` has slope 0, not NaN, at ``x = -1``.  JAX and
autograd differentiate the code they are given, so the backends' forward
code says the same thing in a form they differentiate: each operand of an
operation that is selected only where a mask holds is passed through
``where(mask, x, stop_gradient(x))`` (`keep_gradient`), which is ``x``
itself in value and whose derivative is zero where the mask is false.  The
contribution is then zeroed *after* the operation's own local derivative
(``0 * inf`` never happens), which is JAX's "double where" done for the user.

The masks are the interpreter's: computed from the conditions' values, from
the root down (`passed_mask`, `merged_mask`), so generated code first computes
the values, then the masks, then once more the operations whose operands a
mask guards (every other value is reused: the program's common-subexpression
elimination).  These helpers run while JAX traces (shapes are known then) or
while PyTorch runs, and they take the library's few functions as ``lib``.

>>> import numpy as np
>>> lib = NUMPY_MASKS
>>> passed_mask(lib, None, True, np.array([True, False]), np.zeros(2))
array([ True, False])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MaskLibrary", "NUMPY_MASKS", "jax_masks", "keep_gradient", "merged_mask",
           "passed_mask", "torch_masks"]


@dataclass(frozen=True)
class MaskLibrary:
    """The array functions the mask helpers need, from one library."""

    shape: Callable[[Any], tuple]
    any: Callable[[Any, tuple, bool], Any]  # (mask, axes, keepdims)
    logical_and: Callable[[Any, Any], Any]
    logical_or: Callable[[Any, Any], Any]
    broadcast_to: Callable[[Any, tuple], Any]
    keep: Callable[[Any, Any], Any]  # (mask, x): x, with no derivative where mask is false


NUMPY_MASKS = MaskLibrary(np.shape, lambda m, axes, keep: np.any(m, axis=axes, keepdims=keep),
                          np.logical_and, np.logical_or, np.broadcast_to,
                          lambda m, x: np.where(m, x, x))


def jax_masks() -> MaskLibrary:
    """The mask functions in JAX (``stop_gradient`` outside the mask)."""
    import jax
    import jax.numpy as jnp

    return MaskLibrary(jnp.shape, lambda m, axes, keep: jnp.any(m, axis=axes, keepdims=keep),
                       jnp.logical_and, jnp.logical_or, jnp.broadcast_to,
                       lambda m, x: jnp.where(m, x, jax.lax.stop_gradient(x)))


def torch_masks() -> MaskLibrary:
    """The mask functions in PyTorch (``detach`` outside the mask)."""
    import torch

    def shape(x: Any) -> tuple:
        return tuple(x.shape) if isinstance(x, torch.Tensor) else np.shape(x)

    return MaskLibrary(shape, lambda m, axes, keep: m.any(dim=axes, keepdim=keep),
                       torch.logical_and, torch.logical_or, torch.broadcast_to,
                       lambda m, x: torch.where(m, x, x.detach()))


def _fit_mask(lib: MaskLibrary, mask: Any, shape: tuple) -> Any:
    """`exprdiff.core.values.fit_mask` in the library: a mask over a broadcast value brought
    to an operand's shape (marked where any element it was broadcast to is)."""
    mask_shape = lib.shape(mask)
    if mask_shape == shape:
        return mask
    both = np.broadcast_shapes(mask_shape, shape)  # a condition may broadcast with a branch
    if both != mask_shape:
        mask = lib.broadcast_to(mask, both)
        mask_shape = both
    extra = len(mask_shape) - len(shape)
    if extra >= 0:
        if extra:
            mask = lib.any(mask, tuple(range(extra)), False)
        now = lib.shape(mask)
        axes = tuple(a for a, size in enumerate(shape) if size == 1 and now[a] != 1)
        if axes:
            mask = lib.any(mask, axes, True)
        if lib.shape(mask) == shape:
            return mask
    return lib.broadcast_to(mask, shape)


def passed_mask(lib: MaskLibrary, mask: Any, elementwise: bool, chosen: Any, like: Any) -> Any:
    """The mask an operand receives from one operation (None: selected everywhere), as
    `exprdiff.lowering.selections.passed_mask`: the operation's own mask where it applies
    (elementwise, or a whole-value mask), and where the operation chooses the operand."""
    passed = mask if mask is not None and (elementwise or len(lib.shape(mask)) == 0) else None
    if chosen is not None:
        passed = chosen if passed is None else lib.logical_and(passed, chosen)
    return None if passed is None else _fit_mask(lib, passed, lib.shape(like))


def merged_mask(lib: MaskLibrary, previous: Any, passed: Any) -> Any:
    """An operand reached from two operations is selected where either selects it."""
    if previous is None or passed is None:
        return None
    return lib.logical_or(previous, passed)


def keep_gradient(lib: MaskLibrary, x: Any, mask: Any, elementwise: bool) -> Any:
    """``x``, whose derivative is zero where ``mask`` is false (None: ``x`` as it is).

    Through an operation that is not elementwise only a whole-value mask
    applies, as in the interpreter.
    """
    if mask is None or not (elementwise or len(lib.shape(mask)) == 0):
        return x
    return lib.keep(mask, x)
