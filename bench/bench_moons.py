# ruff: noqa: E402  (the BLAS thread count is set before NumPy is imported)
"""Training micrograd's moons MLP: exprdiff (dense and scalar style) beside NumPy, PyTorch, JAX.

Run: python bench/bench_moons.py

The work: a 2-16-16-1 ReLU MLP on 100 two-moons samples, per-sample hinge
loss plus 1e-4 times the sum of squared parameters, 100 full-batch SGD steps
with the learning rate decaying from 1.0 to 0.109, recording the loss at each
step (as `optimize` does).  Every version starts from the same weights and
must end at the same weights.

Targets (issue 13): the dense builder within 1.0x of the hand-written NumPy
loop (one matrix product per layer forward and backward, the analytic
gradient, the same per-step mean loss); the scalar-style model (one node per
weight, 337 Parameters) trains its 100 steps in at most 0.1 s.
"""

from __future__ import annotations

import functools
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see bench/README.md

import numpy as np
from timing import best_time, compare, machine_load

from exprdiff import Input, optimize
from exprdiff.datasets import two_moons
from exprdiff.losses import hinge, l2_penalty
from exprdiff.nn import MLP, DenseMLP

STEPS, ALPHA, SEED = 100, 1e-4, 0
X, LABELS = two_moons(100, noise=0.1, seed=SEED)
Y = 2.0 * LABELS - 1.0


def rate(epoch: int) -> float:
    """micrograd's schedule: 1.0 at the first step, down by 0.9/100 per step."""
    return 1.0 - 0.9 * (epoch - 1) / STEPS


def dense_model():
    x, y = Input("x"), Input("y")
    score, params = DenseMLP(x, 2, [16, 16, 1], "relu", seed=SEED)
    loss = hinge(score, y) + l2_penalty(params, ALPHA)
    return loss, params, {x: X, y: Y}


def scalar_model():
    x0, x1, y = Input("x0"), Input("x1"), Input("y")
    score, params = MLP([x0, x1], [16, 16, 1], "relu", seed=SEED)
    loss = hinge(score, y) + l2_penalty(params, ALPHA)
    return loss, params, {x0: X[:, 0], x1: X[:, 1], y: Y}


def train_exprdiff(loss, params, data) -> list:
    fitted = optimize(loss, params, data, epochs=STEPS, learning_rate=rate, optimizer="gd")
    return [fitted[p] for p in params]


def train_numpy(weights: list) -> list:
    """The same forward pass, loss, backward pass and update, written out by hand."""
    w0, b0, w1, b1, w2, b2 = weights
    n = len(Y)
    losses = []
    for epoch in range(1, STEPS + 1):
        z0 = X @ w0 + b0
        h0 = np.maximum(z0, 0.0)
        z1 = h0 @ w1 + b1
        h1 = np.maximum(z1, 0.0)
        margin = 1.0 - Y * (h1 @ w2 + b2)
        penalty = ALPHA * sum(np.sum(w * w) for w in (w0, b0, w1, b1, w2, b2))
        losses.append(np.mean(np.maximum(margin, 0.0)) + penalty)
        d_score = (margin > 0) * -Y / n
        d_w2, d_b2 = h1.T @ d_score, d_score.sum()
        d_z1 = np.outer(d_score, w2) * (z1 > 0)
        d_w1, d_b1 = h0.T @ d_z1, d_z1.sum(axis=0)
        d_z0 = (d_z1 @ w1.T) * (z0 > 0)
        d_w0, d_b0 = X.T @ d_z0, d_z0.sum(axis=0)
        lr = rate(epoch)
        w0, b0 = w0 - lr * (d_w0 + 2 * ALPHA * w0), b0 - lr * (d_b0 + 2 * ALPHA * b0)
        w1, b1 = w1 - lr * (d_w1 + 2 * ALPHA * w1), b1 - lr * (d_b1 + 2 * ALPHA * b1)
        w2, b2 = w2 - lr * (d_w2 + 2 * ALPHA * w2), b2 - lr * (d_b2 + 2 * ALPHA * b2)
    return [w0, b0, w1, b1, w2, b2]


def train_torch(torch, weights: list) -> list:
    params = [torch.tensor(np.asarray(w), dtype=torch.float64, requires_grad=True)
              for w in weights]
    x, y = torch.tensor(X), torch.tensor(Y)
    losses = []
    for epoch in range(1, STEPS + 1):
        w0, b0, w1, b1, w2, b2 = params
        h = torch.relu(torch.relu(x @ w0 + b0) @ w1 + b1)
        penalty = ALPHA * sum((p * p).sum() for p in params)
        loss = torch.relu(1.0 - y * (h @ w2 + b2)).mean() + penalty
        for p in params:
            p.grad = None
        loss.backward()
        losses.append(loss.item())
        with torch.no_grad():
            for p in params:
                p -= rate(epoch) * p.grad
    return [p.detach().numpy() for p in params]


@functools.cache
def jax_step(jax):
    """The jit-compiled JAX training step, compiled once per process."""
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def loss(params, x, y):
        w0, b0, w1, b1, w2, b2 = params
        h = jax.nn.relu(jax.nn.relu(x @ w0 + b0) @ w1 + b1)
        penalty = ALPHA * sum(jnp.sum(p * p) for p in params)
        return jnp.mean(jax.nn.relu(1.0 - y * (h @ w2 + b2))) + penalty

    @jax.jit
    def step(params, x, y, lr):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        return [p - lr * g for p, g in zip(params, grads)], value

    return step


def train_jax(jax, weights: list) -> list:
    step = jax_step(jax)
    params = [jax.numpy.asarray(np.asarray(w)) for w in weights]
    x, y = jax.numpy.asarray(X), jax.numpy.asarray(Y)
    losses = []
    for epoch in range(1, STEPS + 1):
        params, value = step(params, x, y, rate(epoch))
        losses.append(value)
    jax.block_until_ready(params)
    return [np.asarray(p) for p in params]


def main() -> None:
    loss, params, data = dense_model()
    title = f"moons MLP 2-16-16-1, {len(Y)} samples, {STEPS} SGD steps"
    compare(title, [params[p] for p in params],
            numpy=train_numpy, exprdiff=lambda: train_exprdiff(loss, params, data),
            torch=train_torch, jax=train_jax, target="<= 1.0x",
            cold=lambda: train_exprdiff(*dense_model()),
            exact=dict(rtol=1e-9, atol=1e-12), close=dict(rtol=1e-5, atol=1e-8), repeat=9)

    scalar_loss, scalar_params, scalar_data = scalar_model()
    reference = train_numpy([params[p] for p in params])
    scalar_fit = train_exprdiff(scalar_loss, scalar_params, scalar_data)
    check_scalar(scalar_fit, reference)
    seconds = best_time(lambda: train_exprdiff(scalar_loss, scalar_params, scalar_data), repeat=5)
    cold = best_time(lambda: train_exprdiff(*scalar_model()), repeat=3)
    print(f"scalar-style MLP ({len(scalar_params)} scalar Parameters, one node per weight): "
          f"{STEPS} steps in {seconds:.3f} s (target <= 0.1 s); a new expression's first fit, "
          f"compiling included: {cold:.3f} s  [{machine_load()}]")


def check_scalar(fitted: list, reference: list) -> None:
    """The scalar-style network ends at the dense reference's weights (same numbers drawn)."""
    w0, b0, w1, b1, w2, b2 = reference
    dense = np.concatenate([np.column_stack([w0.T, b0]).ravel(),
                            np.column_stack([w1.T, b1]).ravel(), np.append(w2, b2)])
    if not np.allclose(fitted, dense, rtol=1e-9, atol=1e-12):
        raise AssertionError("the scalar-style network ends at other weights than the reference")


if __name__ == "__main__":
    main()
