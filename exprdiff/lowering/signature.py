"""Shape signatures: what compiled code is specialised to, read from the values of a call.

A signature lists, for each leaf of the plan the engine reads (Parameters,
then Inputs, in plan order), the kind of its value after the engine's own
conversion (`exprdiff.core.values.as_value`): None for a scalar, the shape
for a float64 array.  Compiled code checks its signature itself on every
call (a few ``type``/``shape`` comparisons) and declines values that do not
fit, so a new shape is compiled again rather than computed wrongly.

>>> from exprdiff import Input, Parameter
>>> from exprdiff.core.plan import execution_plan
>>> w, x = Parameter("w"), Input("x")
>>> read = read_leaves(execution_plan(w * x).plan, w * x, {w: 2}, {x: [1.0, 2.0]})
>>> read.signature
(None, (2,))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from exprdiff.core.values import as_value

__all__ = ["Leaves", "read_leaves"]

_FLOAT64 = np.dtype(np.float64)


class Leaves:
    """The leaves' values of one call, converted, with their signature.

    ``params`` and ``inputs`` are the caller's dicts when no value needed
    converting, else new dicts holding the converted values.
    """

    __slots__ = ("params", "inputs", "signature", "finite_scalars")

    def __init__(self, params: Mapping, inputs: Mapping, signature: tuple,
                 finite_scalars: bool) -> None:
        self.params, self.inputs, self.signature = params, inputs, signature
        self.finite_scalars = finite_scalars


def read_leaves(plan: Any, root: Any, params: Mapping | None,
                inputs: Mapping | None) -> Leaves | None:
    """The converted leaf values and their signature, or None if the interpreter should run.

    None means a value is missing or not numeric: the interpreter then raises
    the error that explains it.
    """
    given_params = {} if params is None else params
    given_inputs = {} if inputs is None else inputs
    kinds = []
    converted: list[dict | None] = [None, None]
    finite = True
    try:
        for slot, (leaves, given) in enumerate(((plan.parameters, given_params),
                                                (plan.inputs, given_inputs))):
            for _, node in leaves:
                node = root if node is None else node
                value = given[node]
                if type(value) is not float and not (
                    type(value) is np.ndarray and value.dtype is _FLOAT64 and value.ndim
                ):
                    new = as_value(value, node)
                    if converted[slot] is None:
                        converted[slot] = dict(given)
                    converted[slot][node] = new
                    value = new
                if type(value) is float:
                    kinds.append(None)
                    finite = finite and value - value == 0.0
                else:
                    kinds.append(value.shape)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return Leaves(
        given_params if converted[0] is None else converted[0],
        given_inputs if converted[1] is None else converted[1],
        tuple(kinds), finite,
    )
