"""Benchmark: the seed article's AND-gate fit (2000 epochs of full-batch gradient descent).

exprdiff's `optimize` beside a hand-written NumPy loop doing the same
arithmetic (same stable sigmoid, same backward formulas, loss recorded each
epoch), and PyTorch when it is installed.  Prints the best of several repeats
and the ratios.  Target: exprdiff within 3x of the NumPy loop.

Run: python bench/bench_fit.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from exprdiff import Input, Log, Parameter, Sigmoid, optimize

EPOCHS, LEARNING_RATE = 2000, 0.3
X1 = np.array([0.0, 0.0, 1.0, 1.0])
X2 = np.array([0.0, 1.0, 0.0, 1.0])
LABEL = np.array([0.0, 0.0, 0.0, 1.0])


def exprdiff_fit() -> tuple[float, float, float]:
    x1, x2, label = Input("x1"), Input("x2"), Input("label")
    w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    p = Sigmoid(w1 * x1 + w2 * x2 + b)
    loss = -(label * Log(p) + (1.0 - label) * Log(1.0 - p))
    data = {x1: X1, x2: X2, label: LABEL}
    fitted = optimize(loss, {w1: 1.0, w2: 1.0, b: 0.0}, data, epochs=EPOCHS,
                      learning_rate=LEARNING_RATE)
    return fitted[w1], fitted[w2], fitted[b]


def numpy_fit() -> tuple[float, float, float]:
    w1, w2, b = 1.0, 1.0, 0.0
    n = len(LABEL)
    losses = []
    for _ in range(EPOCHS):
        z = w1 * X1 + w2 * X2 + b
        e = np.exp(-np.absolute(z))
        p = np.where(z >= 0, 1.0, e) / (1.0 + e)
        q = 1.0 - p
        loss = -(LABEL * np.log(p) + (1.0 - LABEL) * np.log(q))
        losses.append(float(loss.sum()) / n)
        g_p = -(LABEL / p) + (1.0 - LABEL) / q
        g_z = g_p * p * (1.0 - p)
        w1 = w1 - LEARNING_RATE * (float((g_z * X1).sum()) / n)
        w2 = w2 - LEARNING_RATE * (float((g_z * X2).sum()) / n)
        b = b - LEARNING_RATE * (float(g_z.sum()) / n)
    return w1, w2, b


def torch_fit() -> tuple[float, float, float]:
    import torch

    x1, x2, label = (torch.tensor(a, dtype=torch.float64) for a in (X1, X2, LABEL))
    w = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (1.0, 1.0, 0.0)]
    sgd = torch.optim.SGD(w, lr=LEARNING_RATE)
    for _ in range(EPOCHS):
        sgd.zero_grad()
        p = torch.sigmoid(w[0] * x1 + w[1] * x2 + w[2])
        loss = -(label * torch.log(p) + (1.0 - label) * torch.log(1.0 - p)).mean()
        loss.backward()
        sgd.step()
    return tuple(float(v.detach()) for v in w)


def best_times(contenders: dict, repeats: int) -> dict:
    """Min-of-repeats seconds per contender, the runs interleaved so load hits all alike."""
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(repeats):
        for name, function in contenders.items():
            start = time.perf_counter()
            function()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    repeats = parser.parse_args().repeats

    reference = numpy_fit()
    assert np.allclose(exprdiff_fit(), reference, rtol=1e-9), "the two fits disagree"
    contenders = {"hand-written NumPy": numpy_fit, "exprdiff optimize": exprdiff_fit}
    try:
        import torch  # noqa: F401

        contenders["PyTorch (eager, SGD)"] = torch_fit
    except ImportError:
        print("PyTorch not installed: skipped")

    best = best_times(contenders, repeats)
    floor = best["hand-written NumPy"]
    print(f"AND-gate fit, {EPOCHS} epochs, 4 samples, best of {repeats}:")
    for name, seconds in best.items():
        print(f"  {name:24s} {seconds * 1e3:8.1f} ms   {seconds / floor:5.2f}x")
    print("target: exprdiff within 3x of hand-written NumPy")


if __name__ == "__main__":
    main()
