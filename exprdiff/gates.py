"""Two-input logic gates: truth tables as training data, and the models that learn them.

The tables (`GATES`, `CORNERS`, `LINEARLY_SEPARABLE`, `targets`,
`gate_data`, `format_truth_table`) live in `exprdiff.truth_tables` and are
importable from here; this module builds the models that learn them.  A
perceptron (one sigmoid neuron) draws a single straight boundary, so it
learns the linearly separable gates; XOR and XNOR need the hidden layer of
`two_layer_network`.

>>> from exprdiff import Input
>>> x1, x2, label = Input("x1"), Input("x2"), Input("label")
>>> GATES["XOR"]
(0, 1, 1, 0)
>>> gate_data("and", x1, x2, label)[3]
{Input('x1'): 1, Input('x2'): 1, Input('label'): 1}
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from exprdiff.core.nodes import Input, Node, Parameter
from exprdiff.ops import Log, Sigmoid, Softplus
from exprdiff.truth_tables import (
    CORNERS,
    GATES,
    LINEARLY_SEPARABLE,
    format_truth_table,
    gate_data,
    targets,
)

__all__ = [
    "CORNERS",
    "GATES",
    "LINEARLY_SEPARABLE",
    "format_truth_table",
    "gate_data",
    "gate_loss",
    "outputs_at_corners",
    "perceptron",
    "targets",
    "two_layer_network",
]


def gate_loss(output: Node, label: Input) -> Node:
    """Binary cross-entropy of a probability ``output`` against a 0/1 ``label``, per sample.

    The seed article's ``-(label*log(p) + (1 - label)*log(1 - p))``.  Written
    that way it becomes NaN once ``p`` rounds to exactly 0 or 1 (a sigmoid
    does beyond logits of about ±37), so when ``output`` is ``Sigmoid(z)``
    the same function is built from ``z`` as ``softplus(z) - label*z``,
    which is finite for every ``z`` and has the gradient ``sigmoid(z) - label``.

    >>> from exprdiff import Input, Parameter, Sigmoid
    >>> z, label = Parameter("z"), Input("label")
    >>> print(gate_loss(Sigmoid(z), label))
    softplus(z) - label*z
    >>> round(gate_loss(Sigmoid(z), label)({z: 0.0}, {label: 1}), 6)  # log 2
    0.693147
    >>> gate_loss(Sigmoid(z), label)({z: 1000.0}, {label: 0})  # confidently wrong
    1000.0
    """
    if isinstance(output, Sigmoid):
        logit = output.child
        return Softplus(logit) - label * logit
    return -(label * Log(output) + (1.0 - label) * Log(1.0 - output))


def perceptron(
    x1: Input, x2: Input, *, seed: int | None = None
) -> tuple[Node, dict[Parameter, float]]:
    """One sigmoid neuron ``sigmoid(w1*x1 + w2*x2 + b)`` and its initial parameters.

    With ``seed=None`` it starts where the seed article does, w1 = w2 = 1 and
    b = 0; with an int seed the weights are drawn from a standard normal
    distribution (b = 0).

    >>> from exprdiff import Input
    >>> x1, x2 = Input("x1"), Input("x2")
    >>> model, params = perceptron(x1, x2)
    >>> print(model)
    sigmoid(w1*x1 + w2*x2 + b)
    >>> sorted(params.values())
    [0.0, 1.0, 1.0]
    """
    w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    if seed is None:
        weights = (1.0, 1.0)
    else:
        weights = tuple(float(v) for v in np.random.default_rng(seed).standard_normal(2))
    return Sigmoid(w1 * x1 + w2 * x2 + b), {w1: weights[0], w2: weights[1], b: 0.0}


def two_layer_network(
    x1: Input, x2: Input, *, hidden: int = 3, seed: int | None = 0
) -> tuple[Node, dict[Parameter, float]]:
    """A hidden layer of sigmoid neurons feeding one sigmoid output, and initial parameters.

    Hidden neuron ``j`` is ``sigmoid(hj.w1*x1 + hj.w2*x2 + hj.b)`` and the
    output is ``sigmoid(out.w1*h1 + ... + out.b)``.  Weights are drawn from a
    standard normal distribution with a NumPy Generator seeded by ``seed``
    (the same seed, the same start); biases start at 0.  Two hidden neurons
    can represent XOR; three (the default) make gradient descent from a
    random start find it far more reliably.

    >>> from exprdiff import Input
    >>> x1, x2 = Input("x1"), Input("x2")
    >>> model, params = two_layer_network(x1, x2, hidden=2)
    >>> print(model)
    sigmoid(out.w1*sigmoid(h1.w1*x1 + h1.w2*x2 + h1.b)
            + out.w2*sigmoid(h2.w1*x1 + h2.w2*x2 + h2.b) + out.b)
    >>> len(params)
    9
    """
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 1:
        raise ValueError(f"hidden must be a positive number of neurons, got {hidden!r}")
    rng = np.random.default_rng(seed)
    params: dict[Parameter, float] = {}
    neurons = []
    for j in range(1, hidden + 1):
        w1, w2, b = Parameter(f"h{j}.w1"), Parameter(f"h{j}.w2"), Parameter(f"h{j}.b")
        params.update({w1: float(rng.standard_normal()), w2: float(rng.standard_normal()), b: 0.0})
        neurons.append(Sigmoid(w1 * x1 + w2 * x2 + b))
    total = None
    for j, neuron in enumerate(neurons, start=1):
        weight = Parameter(f"out.w{j}")
        params[weight] = float(rng.standard_normal())
        total = weight * neuron if total is None else total + weight * neuron
    bias = Parameter("out.b")
    params[bias] = 0.0
    return Sigmoid(total + bias), params


def outputs_at_corners(model: Node, x1: Input, x2: Input, params: Mapping) -> np.ndarray:
    """The model's values at `CORNERS`, from one batched evaluation.

    >>> from exprdiff import Input
    >>> x1, x2 = Input("x1"), Input("x2")
    >>> model, params = perceptron(x1, x2)
    >>> outputs_at_corners(model, x1, x2, params).round(6)
    array([0.5     , 0.731059, 0.731059, 0.880797])
    """
    first, second = np.array(CORNERS, dtype=np.float64).T
    return np.broadcast_to(model(params, {x1: first, x2: second}), (len(CORNERS),)).copy()
