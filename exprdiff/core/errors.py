"""Errors a user can act on, and the builders of their messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from exprdiff.core.plan import topological_order
from exprdiff.core.printing import to_str
from exprdiff.core.values import shape_of

__all__ = [
    "MissingValueError", "explain_failure", "missing_data_value", "missing_value",
    "not_a_parameter",
]


class MissingValueError(KeyError):
    """No value was supplied for an `Input` or `Parameter` the expression needs.

    It is a `KeyError`, so ``except KeyError`` still catches it, but its message
    is a sentence naming the node, where it is used and what was supplied.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> try:
    ...     (2 * x)({}, {})
    ... except MissingValueError as error:
    ...     print(error.node)
    x
    """

    def __init__(self, message: str, node: object = None) -> None:
        super().__init__(message)
        self.node = node

    def __str__(self) -> str:  # KeyError would quote the whole sentence
        return str(self.args[0])


def missing_value(node: Any, where: str, root: Any, params: Mapping,
                  inputs: Mapping) -> MissingValueError:
    """The error for a leaf of ``root`` that ``params`` or ``inputs`` (``where``) lacks.

    It names the leaf, the operation using it and what was supplied, with a
    hint when the value sits in the other dict or is keyed by name.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> print(missing_value(x, "inputs", 2 * x, {}, {"x": 1.0}))  # doctest: +ELLIPSIS
    no value for Input 'x' (used in 2*x); inputs supplied: {'x'}. The dicts are keyed by ...
    """
    user = next(
        (parent for parent in topological_order(root) if node in parent.children), None
    )
    place = f" (used in {to_str(user, limit=60)})" if user is not None else ""
    given = params if where == "params" else inputs
    supplied = ", ".join(sorted(_key_label(key) for key in given))
    message = (
        f"no value for {type(node).__name__} {to_str(node)!r}{place}; "
        f"{where} supplied: {{{supplied}}}"
    )
    other, other_name = (inputs, "inputs") if where == "params" else (params, "params")
    kind = type(node).__name__
    if node in other:
        message += f". It was found in {other_name}: {kind}s are read from {where}"
    elif any(type(key) is type(node) and key.label == node.label for key in given):
        message += (
            f". A different {kind} also named {node.label!r} was supplied: {kind}s match by "
            "identity; reuse the same object or load both from one file"
        )
    elif any(key == to_str(node) for key in list(params) + list(inputs)):
        message += ". The dicts are keyed by the nodes themselves, not by their names"
    return MissingValueError(message, node)


def not_a_parameter(node: Any, where: str) -> str:
    """Why ``node`` cannot be a key of ``params`` (or of ``inputs``): what takes values where.

    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> print(not_a_parameter(a * b, "params"))
    params is keyed by Multiply 'a*b', which is not a Parameter: only Parameters take values
    from params (and Inputs from inputs); an operation's value is always computed from its
    operands. To see how the result moves with it, node_gradients(expr, params,
    inputs)[node] gives that derivative
    """
    kind = type(node).leaf_kind
    what = f"{type(node).__name__} {to_str(node, limit=60)!r}"
    if kind == "input":
        return (f"params is keyed by {what}, which is not a Parameter: only Parameters take "
                f"values from params; an Input takes its value from inputs, the second dict, "
                f"expr(params, {{{node.label}: ...}})")
    if kind == "constant":
        because = "a Constant keeps its own value"
    else:
        because = ("an operation's value is always computed from its operands. To see how the "
                   "result moves with it, node_gradients(expr, params, inputs)[node] gives that "
                   "derivative")
    target = "a Parameter" if where == "params" else "an Input"
    return (f"{where} is keyed by {what}, which is not {target}: only Parameters take "
            f"values from params (and Inputs from inputs); {because}")


def _key_label(key: object) -> str:
    return to_str(key) if hasattr(key, "children") else repr(key)


def explain_failure(node: Any, operands: list, error: Exception) -> str:
    """What went wrong computing ``node`` from ``operands``: the op, its text and the cause.

    >>> import numpy as np
    >>> from exprdiff import Input
    >>> x, y = Input("x"), Input("y")
    >>> explain_failure(x + y, [np.zeros(2), np.zeros(3)], ValueError("..."))
    'Add (x + y): operand shapes (2,) and (3,) do not broadcast'
    """
    shapes = [shape_of(value) for value in operands]
    what = f"{type(node).__name__} ({to_str(node, limit=60)})"
    if isinstance(error, ValueError) and len(shapes) == 2 and node.elementwise:
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            return f"{what}: operand shapes {shapes[0]} and {shapes[1]} do not broadcast"
    return f"{what}: {error}"


def missing_data_value(node: object, where: str, supplied: Mapping) -> MissingValueError:
    """The error for a node ``where`` lacks, listing what it ``supplied`` instead.

    >>> from exprdiff import Input
    >>> print(missing_data_value(Input("x"), "training_data", {Input("x"): 1.0}))
    training_data has no value for Input 'x', which the loss needs; it supplies {x}.
    It holds a different node named 'x': values are matched to nodes by identity,
    so use the very Input objects the loss was built from
    """
    keys = ", ".join(getattr(key, "label", repr(key)) for key in supplied)
    message = f"{where} has no value for {_describe_leaf(node)}, which the loss needs; "
    message += f"it supplies {{{keys}}}"
    label = getattr(node, "label", None)
    if any(key is not node and getattr(key, "label", None) == label for key in supplied):
        message += (
            f". It holds a different node named {label!r}: values are matched to nodes "
            "by identity, so use the very Input objects the loss was built from"
        )
    elif label in supplied:
        message += ". The dicts are keyed by the nodes themselves, not by their names"
    return MissingValueError(message, node)


def _describe_leaf(node: object) -> str:
    return f"{type(node).__name__} {getattr(node, 'label', node)!r}"
