"""The reverse pass one step at a time, as the from-scratch articles fill it in by hand.

`backprop_steps` runs the forward pass, then yields a `BackpropStep` per
step of reverse-mode accumulation: first the seed (the root's own gradient,
1), then one step per operation, the root's first and then in reverse
topological order, each passing its gradient to its operands through its
local derivative rules.  Every step carries the gradients known so far, so
``to_dot(expr, params, inputs, grads=step.grads, highlight=step.node)``
draws the picture after it, frame after frame (`exprdiff.show.animation`
makes those frames a GIF).  The numbers are the engine's own: after the last
step they are `exprdiff.node_gradients` (Constants left out, nothing needs
their gradient).

>>> from exprdiff import Parameter
>>> a, b, c, f = Parameter("a"), Parameter("b"), Parameter("c"), Parameter("f")
>>> e = a * b
>>> d = e + c
>>> L = d * f
>>> names = {a: "a", b: "b", c: "c", d: "d", e: "e", f: "f", L: "L"}
>>> for step in backprop_steps(L, {a: 2.0, b: -3.0, c: 10.0, f: -2.0}):
...     passed = ", ".join(f"{names[n]} gets {g:g}" for n, g in step.passed.items())
...     print(f"step {step.number}: {names[step.node]}: {passed}")
step 0: L: L gets 1
step 1: L: d gets -2, f gets 4
step 2: d: e gets -2, c gets -2
step 3: e: a gets 6, b gets -4
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

import numpy as np

from exprdiff.core.interpreter import reverse_pass_steps
from exprdiff.core.nodes import Node

__all__ = ["BackpropStep", "backprop_steps"]


class BackpropStep(NamedTuple):
    """One step of the reverse pass: what was done and every gradient known after it.

    ``number`` counts from 0, the seed; ``node`` is the node just processed
    (at step 0 the root, whose gradient is set to 1); ``grads`` maps every
    node whose gradient is known so far to that gradient (a node used twice
    shows the sum of the contributions received so far) and is a new dict at
    each step; ``passed`` maps each operand this step passed a gradient to
    onto the contribution it passed (at step 0, the root onto 1).

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> first, second = backprop_steps(3 * w, {w: 2.0})
    >>> second.node is first.node, second.grads[w], second.passed[w]
    (True, 3.0, 3.0)
    """

    number: int
    node: Node
    grads: dict
    passed: dict


def backprop_steps(expr: Node, params: Mapping | None = None,
                   inputs: Mapping | None = None) -> Iterator[BackpropStep]:
    """The reverse pass of ``expr`` at ``params`` and ``inputs``, one `BackpropStep` at a time.

    The forward pass runs, and raises any error naming the node (a missing
    value, say), when this is called; the steps are then computed as they
    are asked for.  Each operation is one step, even one whose operands are
    all Constants; Constants never receive a gradient (`exprdiff.show.dot`
    draws theirs as not applicable).

    >>> from exprdiff import Input, Parameter
    >>> w, x = Parameter("w"), Input("x")
    >>> steps = list(backprop_steps((w * x - 1) ** 2, {w: 0.5}, {x: 4.0}))
    >>> len(steps), steps[-1].grads[w], steps[-1].grads[x]
    (4, 8.0, 1.0)
    """
    nodes, values, reverse = reverse_pass_steps(expr, params, inputs)
    root, out = nodes[-1], values[-1]
    seed = np.ones(out.shape) if isinstance(out, np.ndarray) else 1.0
    return _steps(BackpropStep(0, root, {root: seed}, {root: seed}), nodes, reverse)


def _steps(seed: BackpropStep, nodes: list, reverse: Iterator) -> Iterator[BackpropStep]:
    yield seed
    known = dict(seed.grads)
    for number, (i, updates) in enumerate(reverse, start=1):
        passed = {}
        for k, contribution, adjoint in updates:
            known[nodes[k]] = adjoint
            passed[nodes[k]] = contribution
        yield BackpropStep(number, nodes[i], dict(known), passed)
