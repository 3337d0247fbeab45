# ruff: noqa: E402  (the BLAS thread count is set before NumPy is imported)
"""One gradient of a physics formula: exprdiff's `grad` beside SymPy's lambdify and JAX's jit.

Run: python bench/bench_grad.py [--repeats 7]

The AI Feynman formula I.6.2, ``exp(-(theta/sigma)**2/2) / (sqrt(2*pi)*sigma)``,
differentiated with respect to ``theta`` and ``sigma``:

* at one point, beside SymPy's ``lambdify(cse=True)`` of its two symbolic
  derivatives (with its default NumPy module, and with ``modules="math"``);
  target (issue 13): exprdiff within 2x of lambdify;
* on a batch of 200 points (``theta`` and ``sigma`` arrays; the gradient of
  the summed value), beside ``jax.jit(jax.grad(...))`` on float64; target:
  within 1.2x of JAX.

Also the AND perceptron's full-batch gradient beside hand-written NumPy
(issue 2's benchmark).  Every contender is checked to give the same numbers.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import timeit

import numpy as np
from timing import machine_load, optional

from exprdiff import Exp, Input, Parameter, Sigmoid

THETA, SIGMA = 0.7, 1.3
RNG = np.random.default_rng(0)
THETAS = RNG.uniform(-2.0, 2.0, 200)
SIGMAS = RNG.uniform(0.5, 2.0, 200)


def feynman():
    theta, sigma = Parameter("theta"), Parameter("sigma")
    return Exp(-((theta / sigma) ** 2) / 2) / ((2 * np.pi) ** 0.5 * sigma), theta, sigma


def per_call(function, number: int, repeats: int) -> float:
    """Seconds per call, the minimum over repeats."""
    return min(timeit.repeat(function, number=number, repeat=repeats)) / number


def interleaved(functions: dict, number: int, repeats: int) -> dict:
    """Min-of-repeats per call for each function, the rounds interleaved."""
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(repeats):
        for name, function in functions.items():
            best[name] = min(best[name], per_call(function, number, 1))
    return best


def report(title: str, times: dict, baseline: str, target: str) -> None:
    print(f"{title}  [{machine_load()}]")
    for name, seconds in times.items():
        print(f"  {name:38s} {seconds * 1e6:9.2f} us  {seconds / times[baseline]:6.2f}x")
    print(f"  target: {target}")


def one_point(repeats: int) -> None:
    f, theta, sigma = feynman()
    params = {theta: THETA, sigma: SIGMA}
    contenders = {"exprdiff grad": lambda: f.grad(params)}
    sympy = optional("sympy")
    if sympy is None:
        print("SymPy not installed: the one-point comparison is skipped")
        return
    t, s = sympy.symbols("theta sigma")
    formula = sympy.exp(-((t / s) ** 2) / 2) / (sympy.sqrt(2 * sympy.pi) * s)
    derivatives = [sympy.diff(formula, v) for v in (t, s)]
    numpy_lambda = sympy.lambdify((t, s), derivatives, cse=True)
    math_lambda = sympy.lambdify((t, s), derivatives, cse=True, modules="math")
    ours = f.grad(params)
    for lam in (numpy_lambda, math_lambda):
        assert np.allclose([ours[theta], ours[sigma]], lam(THETA, SIGMA), rtol=1e-13)
    contenders["SymPy lambdify(cse=True), NumPy module"] = lambda: numpy_lambda(THETA, SIGMA)
    contenders["SymPy lambdify(cse=True), math module"] = lambda: math_lambda(THETA, SIGMA)
    times = interleaved(contenders, 20_000, repeats)
    report("Feynman I.6.2, gradient at one point", times, "SymPy lambdify(cse=True), NumPy module",
           "exprdiff <= 2x lambdify(cse=True)")
    print(f"  exprdiff / lambdify with math: "
          f"{times['exprdiff grad'] / times['SymPy lambdify(cse=True), math module']:.2f}x")


def batch(repeats: int) -> None:
    f, theta, sigma = feynman()
    params = {theta: THETAS, sigma: SIGMAS}
    contenders = {"exprdiff grad": lambda: f.grad(params)}
    jax = optional("jax")
    if jax is None:
        print("JAX not installed: the batch comparison is skipped")
        return
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def total(t, s):
        return jnp.sum(jnp.exp(-((t / s) ** 2) / 2) / (jnp.sqrt(2 * jnp.pi) * s))

    jitted = jax.jit(jax.grad(total, argnums=(0, 1)))
    t_jax, s_jax = jnp.asarray(THETAS), jnp.asarray(SIGMAS)
    ours = f.grad(params)
    theirs = jitted(t_jax, s_jax)
    assert np.allclose(ours[theta], theirs[0], rtol=1e-12)
    assert np.allclose(ours[sigma], theirs[1], rtol=1e-12)
    contenders["JAX jit(grad), JAX arrays"] = lambda: jax.block_until_ready(jitted(t_jax, s_jax))
    contenders["JAX jit(grad), NumPy arrays"] = lambda: jax.block_until_ready(
        jitted(THETAS, SIGMAS))
    times = interleaved(contenders, 2_000, repeats)
    report("Feynman I.6.2, gradient on a 200-point batch", times, "JAX jit(grad), JAX arrays",
           "exprdiff <= 1.2x JAX jit(grad)")


def perceptron(repeats: int) -> None:
    x1, x2 = Input("x1"), Input("x2")
    w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    model = Sigmoid(w1 * x1 + w2 * x2 + b)
    features = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    params = {w1: 1.0, w2: 1.0, b: 0.0}
    inputs = {x1: features[:, 0], x2: features[:, 1]}
    w = np.array([1.0, 1.0])

    def by_hand():
        z = features @ w + 0.0
        e = np.exp(-np.abs(z))
        p = np.where(z >= 0, 1.0, e) / (1.0 + e)
        dz = p * (1.0 - p)
        return dz @ features, dz.sum()

    ours = model.grad(params, inputs)
    grad_w, grad_b = by_hand()
    assert np.allclose([ours[w1], ours[w2], ours[b]], [*grad_w, grad_b], rtol=1e-13)
    times = interleaved({"exprdiff grad": lambda: model.grad(params, inputs),
                         "hand-written NumPy": by_hand}, 20_000, repeats)
    report("AND perceptron, 4-sample batch, one gradient", times, "hand-written NumPy",
           "exprdiff <= 3x (issue 2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats
    one_point(repeats)
    batch(repeats)
    perceptron(repeats)


if __name__ == "__main__":
    main()
