"""One full-batch `grad` of the AND-gate perceptron vs the same forward + backward in NumPy.

Run: python bench/bench_grad.py
Target (issue 2): exprdiff within 3x of the hand-written NumPy code.
"""

from __future__ import annotations

import timeit

import numpy as np

from exprdiff import Input, Parameter, Sigmoid

X1_DATA = np.array([0.0, 0.0, 1.0, 1.0])
X2_DATA = np.array([0.0, 1.0, 0.0, 1.0])


def by_hand(w1: float, w2: float, b: float) -> dict[str, float]:
    """Forward and backward of sigmoid(w1*x1 + w2*x2 + b), summed over the batch."""
    z = w1 * X1_DATA + w2 * X2_DATA + b
    p = 1.0 / (1.0 + np.exp(-z))
    dz = p * (1.0 - p)
    return {
        "w1": float(np.sum(dz * X1_DATA)),
        "w2": float(np.sum(dz * X2_DATA)),
        "b": float(np.sum(dz)),
    }


def best_time(function, number: int = 20_000, repeat: int = 7) -> float:
    """Seconds per call: the minimum over repeats (the least disturbed run)."""
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number


def main() -> None:
    x1, x2 = Input("x1"), Input("x2")
    w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    perceptron = Sigmoid(w1 * x1 + w2 * x2 + b)
    params = {w1: 1.0, w2: 1.0, b: 0.0}
    inputs = {x1: X1_DATA, x2: X2_DATA}

    ours = perceptron.grad(params, inputs)
    reference = by_hand(1.0, 1.0, 0.0)
    assert np.allclose([ours[w1], ours[w2], ours[b]], list(reference.values()), rtol=1e-14)

    t_ours = best_time(lambda: perceptron.grad(params, inputs))
    t_hand = best_time(lambda: by_hand(1.0, 1.0, 0.0))
    print("AND perceptron, 4-sample batch, one gradient")
    print(f"  exprdiff grad      {t_ours * 1e6:8.1f} us")
    print(f"  hand-written NumPy {t_hand * 1e6:8.1f} us")
    print(f"  ratio              {t_ours / t_hand:8.2f}x   (target <= 3x)")


if __name__ == "__main__":
    main()
