"""A user's script, type-checked with ``mypy --strict`` against the installed exprdiff.

It builds the perceptron of DESIGN.md, evaluates it, takes its gradient and
fits it, as a typed program would (tests/test_packaging.py checks it and
runs it).  `assert_type` pins what the public API promises: a missing or
loosened hint, which mypy reads as ``Any``, fails the check.  A value is
``Any`` by design: a float for a scalar result, an array for a batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from typing_extensions import assert_type

import exprdiff
from exprdiff import FitResult, Input, Log, Node, Parameter, Sigmoid, optimize
from exprdiff.gates import gate_data, perceptron

x1, x2, label = Input("x1"), Input("x2"), Input("label")
w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")

model = Sigmoid(w1 * x1 + w2 * x2 + b)
assert_type(model, Sigmoid)
loss = -(label * Log(model) + (1.0 - label) * Log(1.0 - model))
assert_type(loss, Node)

params: dict[Parameter, float] = {w1: 1.0, w2: 1.0, b: 0.0}
value = model(params, {x1: 0, x2: 1})
gradient = model.grad(params, {x1: 0, x2: 1})
assert_type(gradient, dict[Parameter, Any])

data = [{x1: 0, x2: 0, label: 0}, {x1: 0, x2: 1, label: 0},
        {x1: 1, x2: 0, label: 0}, {x1: 1, x2: 1, label: 1}]
fitted = optimize(loss, params, data, epochs=2000, learning_rate=0.3)
assert_type(fitted, FitResult)
assert_type(fitted.losses, list[float])
assert_type(fitted.final_loss, float)

table = gate_data("AND", x1, x2, label, form="arrays")
assert_type(table, dict[Input, np.ndarray])
again = optimize(loss, fitted, table, epochs=10, optimizer="adam", learning_rate=0.01)
batch = model(again, {x1: np.array([0.0, 1.0]), x2: np.array([1.0, 1.0])})

built, start = perceptron(x1, x2)
assert_type(start, dict[Parameter, float])
assert_type(exprdiff.__version__, str)

print(value, gradient[w2], round(fitted[w1], 6), fitted.losses[-1] > fitted.final_loss)
print(np.round(batch, 3), built(start, {x1: 1, x2: 1}) == model(params, {x1: 1, x2: 1}))
