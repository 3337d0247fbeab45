# ruff: noqa: E402  (the BLAS thread count is set before NumPy is imported)
"""Training the digits classifier: exprdiff's dense MLP beside NumPy, PyTorch and JAX.

Run: python bench/bench_digits.py

The work: a 64-64-10 tanh MLP on the 1437 training images of the fixed
80/20 split of scikit-learn's digits, per-sample softmax cross-entropy,
full-batch Adam (learning rate 0.01) for 200 steps, recording the loss at
each step.  Every version starts from the same weights and must end at the
same weights.  Target (issue 13): exprdiff within 1.0x of hand-written NumPy.
"""

from __future__ import annotations

import functools
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see bench/README.md

import numpy as np
from timing import compare

from exprdiff import Input, optimize
from exprdiff.datasets import digits, train_test_split
from exprdiff.losses import softmax_cross_entropy
from exprdiff.nn import DenseMLP

STEPS, RATE, SEED = 200, 0.01, 0
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
X_ALL, Y_ALL = digits(scaled=True)
X, X_TEST, LABELS, LABELS_TEST = train_test_split(X_ALL, Y_ALL, test_fraction=0.2, seed=SEED)
ONE_HOT = np.eye(10)[LABELS]


def exprdiff_model():
    x, y = Input("x"), Input("y")
    logits, params = DenseMLP(x, 64, [64, 10], "tanh", seed=SEED)
    return softmax_cross_entropy(logits, y), params, {x: X, y: LABELS}


def train_exprdiff(loss, params, data) -> list:
    fitted = optimize(loss, params, data, epochs=STEPS, learning_rate=RATE, optimizer="adam")
    return [fitted[p] for p in params]


def adam(weights: list, grads: list, moments: list, step: int) -> list:
    """One Adam update of every weight, written out by hand."""
    updated = []
    for k, (w, g) in enumerate(zip(weights, grads)):
        m, v = moments[k]
        m = BETA1 * m + (1 - BETA1) * g
        v = BETA2 * v + (1 - BETA2) * g * g
        moments[k] = (m, v)
        m_hat, v_hat = m / (1 - BETA1**step), v / (1 - BETA2**step)
        updated.append(w - RATE * m_hat / (np.sqrt(v_hat) + EPS))
    return updated


def train_numpy(weights: list) -> list:
    """Forward pass, mean cross-entropy, backward pass and Adam, written out by hand."""
    n = len(LABELS)
    moments = [(np.zeros_like(w), np.zeros_like(w)) for w in weights]
    losses = []
    for step in range(1, STEPS + 1):
        w0, b0, w1, b1 = weights
        h = np.tanh(X @ w0 + b0)
        z = h @ w1 + b1
        peak = z.max(axis=1, keepdims=True)
        e = np.exp(z - peak)
        total = e.sum(axis=1, keepdims=True)
        losses.append(np.mean(np.log(total[:, 0]) + peak[:, 0] - z[np.arange(n), LABELS]))
        d_z = (e / total - ONE_HOT) / n
        d_h = (d_z @ w1.T) * (1 - h * h)
        grads = [X.T @ d_h, d_h.sum(axis=0), h.T @ d_z, d_z.sum(axis=0)]
        weights = adam(weights, grads, moments, step)
    return weights


def train_torch(torch, weights: list) -> list:
    params = [torch.tensor(np.asarray(w), requires_grad=True) for w in weights]
    optimizer = torch.optim.Adam(params, lr=RATE, betas=(BETA1, BETA2), eps=EPS)
    x, y = torch.tensor(X), torch.tensor(LABELS)
    losses = []
    for _ in range(STEPS):
        w0, b0, w1, b1 = params
        loss = torch.nn.functional.cross_entropy(torch.tanh(x @ w0 + b0) @ w1 + b1, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return [p.detach().numpy() for p in params]


@functools.cache
def jax_step(jax):
    """The jit-compiled JAX training step (loss, gradient, Adam), compiled once."""
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def loss(params, x, labels):
        w0, b0, w1, b1 = params
        z = jnp.tanh(x @ w0 + b0) @ w1 + b1
        picked = jnp.take_along_axis(z, labels[:, None], axis=1)[:, 0]
        return jnp.mean(jax.nn.logsumexp(z, axis=1) - picked)

    @jax.jit
    def step(params, moments, x, labels, t):
        value, grads = jax.value_and_grad(loss)(params, x, labels)
        new_params, new_moments = [], []
        for w, g, (m, v) in zip(params, grads, moments):
            m = BETA1 * m + (1 - BETA1) * g
            v = BETA2 * v + (1 - BETA2) * g * g
            m_hat, v_hat = m / (1 - BETA1**t), v / (1 - BETA2**t)
            new_params.append(w - RATE * m_hat / (jnp.sqrt(v_hat) + EPS))
            new_moments.append((m, v))
        return new_params, new_moments, value

    return step


def train_jax(jax, weights: list) -> list:
    step = jax_step(jax)
    params = [jax.numpy.asarray(np.asarray(w)) for w in weights]
    moments = [(jax.numpy.zeros_like(w), jax.numpy.zeros_like(w)) for w in params]
    x, labels = jax.numpy.asarray(X), jax.numpy.asarray(LABELS)
    losses = []
    for t in range(1, STEPS + 1):
        params, moments, value = step(params, moments, x, labels, float(t))
        losses.append(value)
    jax.block_until_ready(params)
    return [np.asarray(p) for p in params]


def main() -> None:
    loss, params, data = exprdiff_model()
    title = f"digits MLP 64-64-10, {len(LABELS)} images, {STEPS} Adam steps"
    compare(title, [params[p] for p in params],
            numpy=train_numpy, exprdiff=lambda: train_exprdiff(loss, params, data),
            torch=train_torch, jax=train_jax, target="<= 1.0x",
            cold=lambda: train_exprdiff(*exprdiff_model()),
            exact=dict(rtol=1e-7, atol=1e-10), close=dict(rtol=1e-5, atol=1e-7), repeat=5)

if __name__ == "__main__":
    main()
