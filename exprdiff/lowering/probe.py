"""Shapes and kinds of every value of a plan, measured by running it once.

Code specialised to a shape signature needs to know, for each node, whether
its value is an array (and its shape) or a scalar, and the same for each
gradient contribution a derivative rule returns, before the reverse pass
sums it to its operand's shape.  Rather than asking every operation for a
shape rule, the lowering runs the plan once on the values of the call that
asked for compiled code, forward and in reverse, and records them.

A *kind* is a shape tuple for a NumPy array (``()`` for a 0-d array) and
None for a scalar (a Python or NumPy float).

>>> from exprdiff import Input, Parameter
>>> from exprdiff.core.plan import execution_plan
>>> w, x = Parameter("w"), Input("x")
>>> execution = execution_plan(w * x)
>>> found = probe(execution, w * x, {w: 2.0}, {x: np.ones(3)}, wanted={0})
>>> found.values, found.contributions
([None, (3,), (3,)], {(2, 0): (3,)})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from exprdiff.core.interpreter import _forward, root_adjoint
from exprdiff.core.values import fit_to_shape

__all__ = ["Probe", "kind_of", "probe"]


def kind_of(value: Any) -> tuple | None:
    """A value's kind: its shape if it is an array, None for a scalar.

    A tuple stands for an array the engine has released (its shape).

    >>> kind_of(np.zeros((2, 1))), kind_of(2.5), kind_of(np.float64(1)), kind_of((3,))
    ((2, 1), None, None, (3,))
    """
    kind = type(value)
    if kind is np.ndarray:
        return value.shape
    if kind is tuple and all(type(size) is int for size in value):
        return value
    return None  # a scalar (or the tuple a multi-output root gives)


class Probe:
    """The kinds of one run: ``values[i]`` per plan position, ``contributions[(i, slot)]``."""

    __slots__ = ("values", "contributions", "seed")

    def __init__(self, values: list, contributions: dict, seed: Any) -> None:
        self.values, self.contributions, self.seed = values, contributions, seed


def probe(execution: Any, root: Any, params: Mapping, inputs: Mapping,
          wanted: set | None = None) -> Probe:
    """Run ``execution`` once on these values (warnings silenced) and record every kind.

    ``wanted`` are the plan positions of the Parameters whose gradients the
    code will compute (None: none, a forward pass only).  Errors propagate:
    code is only generated for calls the interpreter completes.
    """
    plan, graph = execution.plan, execution.graph_of(root)
    with np.errstate(all="ignore"):  # the interpreter's own run warns, when it runs
        steps = plan.gradient_steps if wanted else plan.evaluate_steps
        values = _forward(graph, plan, params, inputs, steps, shown=root)
        kinds = [kind_of(value) for value in values]
        contributions: dict = {}
        seed = root_adjoint(values[-1])
        if wanted:
            _reverse(plan, graph, values, seed, wanted, contributions)
    return Probe(kinds, contributions, seed)


def _reverse(plan: Any, graph: Any, values: list, seed: Any, wanted: set,
             contributions: dict) -> None:
    """The reverse pass over the positions that lead to ``wanted``, recording contributions."""
    nodes = plan.nodes(graph)
    kids = operand_positions(plan)
    leads = leading_to(kids, wanted, nodes)
    grads: list = [None] * len(values)
    grads[-1] = seed
    for i in range(len(values) - 1, -1, -1):
        if not kids[i] or not leads[i]:
            continue
        node, g, out = nodes[i], grads[i], values[i]
        if g is None:  # reached only through conditions: no gradient flows here
            continue
        grads[i] = values[i] = None  # as the interpreter frees them: memory stays as low
        operands = tuple(values[k] for k in kids[i])
        for slot, k in enumerate(kids[i]):
            if not leads[k]:
                continue
            part = node.partial(slot, g, operands, out)
            contributions[(i, slot)] = kind_of(part)
            like = values[k]
            if type(like) is np.ndarray or type(like) is tuple:
                shape = like if type(like) is tuple else like.shape
                if type(part) is not np.ndarray or part.shape != shape:
                    part = fit_to_shape(part, shape)
            elif type(part) is np.ndarray:
                part = part.sum()
            grads[k] = part if grads[k] is None else grads[k] + part


def operand_positions(plan: Any) -> list[tuple[int, ...]]:
    """For each plan position, the positions of its operands (empty for leaves)."""
    kids: list[tuple[int, ...]] = [()] * plan.size
    for i, _, operands in plan.steps:
        kids[i] = operands
    if plan.root_step is not None:
        kids[plan.root_step[0]] = plan.root_step[2]
    return kids


def leading_to(kids: list, wanted: set, nodes: list) -> list[bool]:
    """For each position: whether it is in ``wanted`` or one of its operands leads there
    through a differentiable operation (a condition passes no derivative on), as
    `exprdiff.core.plan.nodes_leading_to` decides it for the interpreter."""
    leads = [False] * len(kids)
    for i, operands in enumerate(kids):
        leads[i] = i in wanted or (type(nodes[i]).differentiable
                                   and any(leads[k] for k in operands))
    return leads
