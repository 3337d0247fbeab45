"""Evaluating the symbolic gradients of `gradients(expr)` vs the numeric `grad`.

Run: python bench/bench_symbolic.py
Target (issue 4): evaluating all gradient expressions (in one pass, through one
plan: `gradient_function`) costs at most 1.5x one numeric `grad` call.

Two models: the AND-gate perceptron's cross-entropy loss over the 4-sample
batch (beside a hand-written NumPy forward + backward of the same loss), and an
MLP-shaped scalar model (4-16-16-1 tanh network, squared error, 369
parameters) over a batch of 8.
"""

from __future__ import annotations

import timeit

import numpy as np

from exprdiff import Input, Log, Parameter, Sigmoid, Tanh, gradient_function

X1 = np.array([0.0, 0.0, 1.0, 1.0])
X2 = np.array([0.0, 1.0, 0.0, 1.0])
LABEL = np.array([0.0, 0.0, 0.0, 1.0])


def and_by_hand(w1: float, w2: float, b: float) -> dict[str, float]:
    """Gradient of the summed cross-entropy of sigmoid(w1*x1 + w2*x2 + b), in NumPy."""
    p = 1.0 / (1.0 + np.exp(-(w1 * X1 + w2 * X2 + b)))
    dz = p - LABEL
    return {"w1": float(dz @ X1), "w2": float(dz @ X2), "b": float(dz.sum())}


def best_time(function, number: int, repeat: int = 7) -> float:
    """Seconds per call: the minimum over repeats (the least disturbed run)."""
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number


def and_model():
    x1, x2, label = Input("x1"), Input("x2"), Input("label")
    w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    p = Sigmoid(w1 * x1 + w2 * x2 + b)
    loss = -(label * Log(p) + (1.0 - label) * Log(1.0 - p))
    return loss, {w1: 0.3, w2: -0.2, b: 0.1}, {x1: X1, x2: X2, label: LABEL}


def mlp_model():
    rng = np.random.default_rng(0)
    inputs = [Input(f"x{i}") for i in range(4)]
    params, layer = [], list(inputs)
    for width in (16, 16, 1):
        new = []
        for _ in range(width):
            weights = [Parameter(f"w{len(params) + i}") for i in range(len(layer))]
            bias = Parameter(f"b{len(params)}")
            params += weights + [bias]
            new.append(Tanh(sum((w * v for w, v in zip(weights, layer)), bias)))
        layer = new
    target = Input("y")
    loss = (layer[0] - target) ** 2
    values = {p: rng.normal() / 2 for p in params}
    data = {v: rng.normal(size=8) for v in inputs + [target]}
    return loss, values, data


def compare(name: str, loss, params, inputs, number: int) -> float:
    symbolic = gradient_function(loss)
    numeric = loss.grad(params, inputs)
    evaluated = symbolic(params, inputs)
    assert all(np.isclose(evaluated[p], numeric[p], rtol=1e-9, atol=1e-12) for p in numeric)
    t_numeric = best_time(lambda: loss.grad(params, inputs), number)
    t_symbolic = best_time(lambda: symbolic(params, inputs), number)
    print(name)
    print(f"  numeric grad                   {t_numeric * 1e6:9.1f} us")
    print(f"  symbolic gradients, evaluated  {t_symbolic * 1e6:9.1f} us")
    print(f"  ratio symbolic / numeric       {t_symbolic / t_numeric:9.2f}x   (target <= 1.5x)")
    return t_symbolic


def main() -> None:
    loss, params, inputs = and_model()
    t_symbolic = compare("AND perceptron loss, 4-sample batch", loss, params, inputs, 5_000)
    t_hand = best_time(lambda: and_by_hand(0.3, -0.2, 0.1), 5_000)
    print(f"  hand-written NumPy             {t_hand * 1e6:9.1f} us"
          f"   (symbolic is {t_symbolic / t_hand:.1f}x)")
    loss, params, inputs = mlp_model()
    compare("MLP 4-16-16-1 (369 parameters), squared error, batch of 8",
            loss, params, inputs, 50)


if __name__ == "__main__":
    main()
