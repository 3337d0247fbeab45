"""Newton's method: exact Hessian, damping when it is not positive definite, fast convergence."""

import numpy as np
import pytest

from exprdiff import (
    GradientDescent,
    Input,
    Log,
    MissingValueError,
    Parameter,
    Sigmoid,
    newton,
    optimize,
)
from exprdiff.fit.newton_method import Newton
from exprdiff.fit.optimizers import OPTIMIZERS
from exprdiff.fit.training_data import as_arrays

x1, x2, label = Input("x1"), Input("x2"), Input("label")
w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
AND = [{x1: 0, x2: 0, label: 0}, {x1: 0, x2: 1, label: 0},
       {x1: 1, x2: 0, label: 0}, {x1: 1, x2: 1, label: 1}]


def stack_samples(data):
    return as_arrays(data, [x1, x2, label])[0]


def and_loss(l2=0.01):
    p = Sigmoid(w1 * x1 + w2 * x2 + b)
    return -(label * Log(p) + (1.0 - label) * Log(1.0 - p)) + l2 * (w1**2 + w2**2 + b**2)


def gradient_descent_steps(loss, params, data, learning_rate, tolerance):
    """Plain full-batch gradient descent; the number of steps to reach the tolerance."""
    params, inputs = dict(params), stack_samples(data)
    for step in range(100_000):
        grad = {p: g / 4 for p, g in loss.grad(params, inputs).items()}
        if max(abs(g) for g in grad.values()) <= tolerance:
            return step, params
        params = {p: params[p] - learning_rate * grad[p] for p in params}
    return None, params


def test_newton_fits_the_regularised_and_perceptron_in_a_handful_of_iterations():
    """Newton reaches gradient 1e-8 in at most 6 iterations; gradient descent needs thousands."""
    loss = and_loss()
    start = {w1: 1.0, w2: 1.0, b: 0.0}
    fit = newton(loss, start, AND)
    assert fit.converged and fit.iterations <= 6
    grad = loss.grad(fit.params, stack_samples(AND))
    assert max(abs(g) for g in grad.values()) < 4e-8
    steps, gd_params = gradient_descent_steps(loss, start, AND, 0.3, 1e-8)
    assert steps > 1000
    for p in start:
        assert fit.params[p] == pytest.approx(gd_params[p], abs=1e-6)
    assert fit.history == sorted(fit.history, reverse=True)
    # the fitted perceptron computes AND
    out = Sigmoid(w1 * x1 + w2 * x2 + b)(fit.params, stack_samples(AND))
    assert (out > 0.5).tolist() == [False, False, False, True]


def test_newton_does_not_touch_the_initial_dict_and_accepts_dict_of_arrays():
    """The initial params are not modified; a dict of arrays is the same data as sample dicts."""
    start = {w1: 1.0, w2: 1.0, b: 0.0}
    fit = newton(and_loss(), start, stack_samples(AND))
    assert start == {w1: 1.0, w2: 1.0, b: 0.0}
    assert fit.params == pytest.approx(newton(and_loss(), start, AND).params)


def test_damping_handles_a_hessian_that_is_not_positive_definite():
    """Started where the Hessian is negative, the damped step still goes downhill to a minimum."""
    a = Parameter("a")
    loss = a**4 - 2 * a**2  # Hessian 12a^2 - 4 < 0 near 0; minima at a = +-1
    fit = newton(loss, {a: 0.1}, {})
    assert fit.converged
    assert abs(fit.params[a]) == pytest.approx(1.0, abs=1e-9)
    assert fit.history[-1] == pytest.approx(-1.0)


def test_quadratic_is_solved_in_one_step():
    """On a quadratic the first Newton step lands on the minimum."""
    w, x, y = Parameter("w"), Input("x"), Input("y")
    fit = newton((w * x - y) ** 2, {w: -3.0}, {x: np.array([1.0, 2.0]), y: np.array([2.0, 4.0])})
    assert fit.iterations == 1 and fit.params[w] == pytest.approx(2.0, abs=1e-12)


def test_missing_initial_value_names_the_parameter():
    """A loss parameter absent from initial_params raises KeyError naming it."""
    with pytest.raises(MissingValueError, match="initial_params has no value for Parameter 'b'"):
        newton(and_loss(), {w1: 1.0, w2: 1.0}, AND)


def test_non_finite_start_is_refused_with_the_value():
    """A start where the mean loss is not finite raises ValueError saying so."""
    with pytest.raises(ValueError, match="mean loss at the initial parameters is nan"):
        newton((w1 * x1 + w2 * x2 + b - 100.0) ** 0.5, {w1: 1.0, w2: 1.0, b: 40.0}, AND)


def test_the_written_cross_entropy_of_a_sigmoid_starts_where_it_used_to_be_nan():
    """At b = 40 the written form -(y*log(p) + (1-y)*log(1-p)) was nan (log(1 - sigmoid(40))
    underflows); the planner fuses it into a stable cross-entropy, so Newton starts from the
    right loss, (40 + 41 + 41 + 0) / 4, where the sigmoids are saturated."""
    p = Sigmoid(w1 * x1 + w2 * x2 + b)
    naive = -(label * Log(p) + (1.0 - label) * Log(1.0 - p))
    fitted = newton(naive, {w1: 1.0, w2: 1.0, b: 40.0}, AND)
    assert fitted.history[0] == pytest.approx(30.5, rel=1e-15)
    assert fitted.final_loss <= fitted.history[0]


def test_array_parameters_are_refused_naming_them():
    """Newton needs scalar parameters: an array value raises ValueError naming the parameter."""
    w, x = Parameter("w"), Input("x")
    with pytest.raises(ValueError, match=r"w has shape \(2,\)"):
        newton((w * x) ** 2, {w: np.ones(2)}, {x: np.ones(2)})


def test_newton_is_an_optimize_method():
    """optimize(..., optimizer="newton") reaches gradient 1e-9 in 5 epochs; GD not in 1000."""
    loss, data = and_loss(), stack_samples(AND)
    start = {w1: 1.0, w2: 1.0, b: 0.0}
    fitted = optimize(loss, start, AND, optimizer="newton", epochs=5)
    assert fitted.epochs == 5 and fitted.stop_reason == "epochs"
    assert max(abs(g) / 4 for g in loss.grad(fitted, data).values()) < 1e-9
    assert fitted.losses == sorted(fitted.losses, reverse=True)
    assert fitted.final_loss == pytest.approx(newton(loss, start, AND).final_loss, rel=1e-12)
    descended = optimize(loss, start, AND, epochs=1000, learning_rate=0.3)
    assert max(abs(g) / 4 for g in loss.grad(descended, data).values()) > 1e-7
    assert type(fitted[w1]) is float and start == {w1: 1.0, w2: 1.0, b: 0.0}


def test_newton_works_with_tolerance_and_minibatches():
    """Newton stops on tolerance like any optimizer, and runs per mini-batch with batch_size."""
    loss = and_loss()
    start = {w1: 1.0, w2: 1.0, b: 0.0}
    fitted = optimize(loss, start, AND, optimizer="newton", epochs=100, tolerance=1e-12)
    assert fitted.stop_reason == "tolerance" and fitted.epochs < 10
    batched = optimize(loss, start, AND, optimizer=Newton(), epochs=3, batch_size=2, seed=0)
    assert batched.epochs == 3 and np.isfinite(batched.final_loss)


def test_newton_is_registered_and_needs_the_loss():
    """"newton" is a known optimizer name; its plain step() refuses, saying why."""
    assert OPTIMIZERS["newton"] is Newton and OPTIMIZERS["gd"] is GradientDescent
    with pytest.raises(TypeError, match="needs the loss and the data"):
        Newton().step({w1: 1.0}, {w1: 0.5}, 0.1)


def test_inconsistent_samples_are_reported():
    """Per-sample dicts missing an input raise naming the sample."""
    with pytest.raises(KeyError, match="training_data sample 1"):
        newton(and_loss(), {w1: 1.0, w2: 1.0, b: 0.0},
               [{x1: 0, x2: 1, label: 0}, {x1: 1, label: 1}])
