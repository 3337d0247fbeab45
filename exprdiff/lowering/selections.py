"""Where each gradient is selected, in generated code: the interpreter's `Where` rule.

For plans with an operation that selects among its operands (`exprdiff.ops.Where`),
the interpreter's reverse pass (``_backpropagate_selected`` in
`exprdiff.core.interpreter`) tracks, beside each gradient, a boolean mask of
where it is selected, and zeroes what an elementwise operation passes on
where it is not: so the branch not taken gives an exact 0, never ``0 * nan``.
Generated code does the same with these functions, called in the same
order on the same values, so its gradients are the interpreter's bit for bit.
Which nodes carry a mask is known while generating; whether a mask applies
through an operation that is not elementwise (only a 0-d mask does) is
decided when the code runs, as the interpreter decides it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exprdiff.core.values import fit_mask, select, shape_of, where_value

__all__ = ["MASK_HELPERS", "masked_part", "merged_mask", "passed_mask"]


def masked_part(mask: Any, grad: Any, elementwise: bool) -> Any:
    """``grad`` zeroed where ``mask`` is false (a mask of None: everywhere selected).

    Through an operation that is not elementwise only a whole-value (0-d)
    mask applies, as in the interpreter.

    >>> masked_part(np.array([True, False]), np.array([2.0, np.nan]), True)
    array([2., 0.])
    """
    if mask is None or not (elementwise or np.ndim(mask) == 0):
        return grad
    return select(mask, grad)


def passed_mask(mask: Any, elementwise: bool, chosen: Any, like: Any) -> Any:
    """The mask an operand receives: the operation's own (where it applies), and where the
    operation chooses that operand (``chosen``, None: everywhere), brought to the shape of
    the operand's value ``like``; None for everywhere.

    >>> passed_mask(None, True, np.array([True, False]), np.zeros(2))
    array([ True, False])
    """
    passed = mask if mask is not None and (elementwise or np.ndim(mask) == 0) else None
    if chosen is not None:
        passed = chosen if passed is None else np.logical_and(passed, chosen)
    return None if passed is None else fit_mask(passed, shape_of(like))


def merged_mask(previous: Any, passed: Any) -> Any:
    """An operand reached from two operations is selected where either selects it.

    >>> merged_mask(np.array([True, False]), np.array([False, False]))
    array([ True, False])
    >>> print(merged_mask(None, np.array([True])))
    None
    """
    if previous is None or passed is None:
        return None
    return np.logical_or(previous, passed)


#: what generated code with masks calls (and exported code copies)
MASK_HELPERS = (masked_part, passed_mask, merged_mask, select, where_value, fit_mask, shape_of)
