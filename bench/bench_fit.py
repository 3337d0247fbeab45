# ruff: noqa: E402  (the BLAS thread count is set before NumPy is imported)
"""Benchmark: the seed article's AND-gate fit (2000 epochs of full-batch gradient descent).

Run: python bench/bench_fit.py [--repeats 15]

exprdiff's `optimize` on the seed's loss, ``-(y*log(p) + (1-y)*log(1-p))``
of ``p = sigmoid(w1*x1 + w2*x2 + b)``, with the training data given as a
dict of arrays and as the tutorials' list of per-sample dicts, beside the
loop a careful engineer writes in NumPy: the two features as one matrix,
one matrix product forward and one backward, the stable loss
``logaddexp(0, z) - y*z`` averaged each epoch (the mean loss `optimize`
reports), and the analytic gradient ``sigmoid(z) - y``.  Also PyTorch
(eager) and JAX (a jit-compiled step) when installed.

Targets (issue 13): exprdiff within 1.0x of the NumPy loop in both data
forms; stretch, with the tiny-batch plain-float path: within 0.5x.
"""

from __future__ import annotations

import argparse
import functools
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see bench/README.md

import numpy as np
from timing import best_times, machine_load, optional

from exprdiff import Input, Log, Parameter, Sigmoid, optimize

EPOCHS, RATE = 2000, 0.3
X1 = np.array([0.0, 0.0, 1.0, 1.0])
X2 = np.array([0.0, 1.0, 0.0, 1.0])
LABEL = np.array([0.0, 0.0, 0.0, 1.0])


def model():
    x1, x2, label = Input("x1"), Input("x2"), Input("label")
    w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    p = Sigmoid(w1 * x1 + w2 * x2 + b)
    loss = -(label * Log(p) + (1.0 - label) * Log(1.0 - p))
    arrays = {x1: X1, x2: X2, label: LABEL}
    samples = [{x1: a, x2: c, label: y} for a, c, y in zip(X1, X2, LABEL)]
    return loss, {w1: 1.0, w2: 1.0, b: 0.0}, arrays, samples, (w1, w2, b)


def exprdiff_fit(loss, start, data, order, **options) -> list[float]:
    fitted = optimize(loss, start, data, epochs=EPOCHS, learning_rate=RATE, **options)
    return [fitted[p] for p in order]


def cold_fit() -> list[float]:
    """The fit of a freshly built expression: planning and compiling included."""
    loss, start, arrays, _, order = model()
    return exprdiff_fit(loss, start, arrays, order)


def numpy_fit() -> list[float]:
    """What a careful engineer writes: one matrix, stable loss, analytic gradient."""
    features = np.column_stack([X1, X2])
    y = LABEL
    n = len(y)
    w = np.array([1.0, 1.0])
    b = 0.0
    losses = []
    for _ in range(EPOCHS):
        z = features @ w + b
        losses.append(float(np.mean(np.logaddexp(0.0, z) - y * z)))
        e = np.exp(-np.abs(z))
        p = np.where(z >= 0, 1.0, e) / (1.0 + e)
        d = (p - y) / n
        w = w - RATE * (d @ features)
        b = b - RATE * d.sum()
    return [float(w[0]), float(w[1]), float(b)]


def torch_fit(torch) -> list[float]:
    x = torch.tensor(np.column_stack([X1, X2]))
    y = torch.tensor(LABEL)
    w = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    sgd = torch.optim.SGD([w, b], lr=RATE)
    losses = []
    for _ in range(EPOCHS):
        sgd.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(x @ w + b, y)
        loss.backward()
        losses.append(loss.item())
        sgd.step()
    w, b = w.detach(), b.detach()
    return [float(w[0]), float(w[1]), float(b)]


@functools.cache
def jax_step(jax):
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def loss(params, x, y):
        w, b = params
        z = x @ w + b
        return jnp.mean(jnp.logaddexp(0.0, z) - y * z)

    @jax.jit
    def step(params, x, y):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        return [p - RATE * g for p, g in zip(params, grads)], value

    return step


def jax_fit(jax) -> list[float]:
    step = jax_step(jax)
    x = jax.numpy.asarray(np.column_stack([X1, X2]))
    y = jax.numpy.asarray(LABEL)
    params = [jax.numpy.asarray([1.0, 1.0]), jax.numpy.asarray(0.0)]
    losses = []
    for _ in range(EPOCHS):
        params, value = step(params, x, y)
        losses.append(value)
    jax.block_until_ready(params)
    return [float(params[0][0]), float(params[0][1]), float(params[1])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    repeats = parser.parse_args().repeats

    loss, start, arrays, samples, order = model()
    reference = numpy_fit()
    contenders = {
        "hand-written NumPy": numpy_fit,
        "exprdiff, dict of arrays": lambda: exprdiff_fit(loss, start, arrays, order),
        "exprdiff, list of dicts": lambda: exprdiff_fit(loss, start, samples, order),
        "exprdiff, compiled=False": lambda: exprdiff_fit(loss, start, arrays, order,
                                                         compiled=False),
        "exprdiff, new expression (compiles)": lambda: cold_fit(),
    }
    for name in ("exprdiff, dict of arrays", "exprdiff, list of dicts"):
        assert np.allclose(contenders[name](), reference, rtol=1e-9), f"{name} disagrees"
    torch, jax = optional("torch"), optional("jax")
    if torch is not None:
        torch.set_num_threads(1)
        assert np.allclose(torch_fit(torch), reference, rtol=1e-9)
        contenders["PyTorch eager (1 thread)"] = lambda: torch_fit(torch)
    if jax is not None:
        assert np.allclose(jax_fit(jax), reference, rtol=1e-9)
        contenders["JAX, jit-compiled step"] = lambda: jax_fit(jax)

    best = best_times(contenders, repeat=repeats)
    floor = best["hand-written NumPy"]
    print(f"AND-gate fit, {EPOCHS} epochs, 4 samples, best of {repeats}  [{machine_load()}]")
    for name, seconds in best.items():
        print(f"  {name:36s} {seconds * 1e3:8.1f} ms  {seconds / floor:6.2f}x"
              f"  ({seconds / EPOCHS * 1e6:5.2f} us per epoch)")
    print("targets: exprdiff <= 1.0x of hand-written NumPy in both forms; stretch <= 0.5x")


if __name__ == "__main__":
    main()
