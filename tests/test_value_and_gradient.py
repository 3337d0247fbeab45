"""value_and_gradient, the fit's one-pass entry into the engine, agrees with evaluate and grad."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exprdiff import Input, MissingValueError, Parameter, Sigmoid, Tanh
from exprdiff.core.interpreter import value_and_gradient
from exprdiff.symbolic.finite_differences import numeric_grad

W, V, B = Parameter("w"), Parameter("v"), Parameter("b")
X, Y = Input("x"), Input("y")


def cases():
    shared = Tanh(W * X + B)
    return [
        # (expression, params, inputs): scalars, batches, broadcasting, sharing, a leaf root
        (W * W + 3.0 * W, {W: 2.0}, {}),
        (Sigmoid(W * X + B), {W: 1.5, B: -0.5}, {X: np.array([0.0, 1.0, 2.0])}),
        (shared * shared + shared * V, {W: 0.3, B: 0.1, V: -2.0}, {X: np.linspace(-1, 1, 5)}),
        ((V * X - Y) ** 2, {V: np.array([[1.0], [2.0]])},
         {X: np.array([1.0, 2.0, 3.0]), Y: np.array([[0.0, 1.0, 2.0]])}),
        (W, {W: np.array([1.0, 2.0])}, {}),
    ]


@pytest.mark.parametrize("expr, params, inputs", cases(), ids=range(len(cases())))
def test_value_and_gradient_equal_evaluate_and_grad(expr, params, inputs):
    """The pair is exactly (expr(params, inputs), expr.grad(params, inputs))."""
    value, grads = value_and_gradient(expr, params, inputs)
    np.testing.assert_array_equal(value, expr(params, inputs))
    expected = expr.grad(params, inputs)
    assert list(grads) == list(expected)
    for param, g in grads.items():
        assert np.shape(g) == np.shape(params[param])
        assert type(g) is type(expected[param])
        np.testing.assert_array_equal(g, expected[param])


@pytest.mark.parametrize("expr, params, inputs", cases(), ids=range(len(cases())))
def test_gradients_match_finite_differences(expr, params, inputs):
    """Every case's gradient (with broadcasting summed back) agrees with central differences."""
    _, grads = value_and_gradient(expr, params, inputs)
    numeric = numeric_grad(expr, params, inputs)
    for param, g in grads.items():
        np.testing.assert_allclose(g, numeric[param], rtol=1e-6, atol=1e-8)


def test_missing_values_are_still_named():
    """The one-pass path names a missing Input and refuses a non-dict just as evaluate does."""
    with pytest.raises(MissingValueError, match="no value for Input 'x'"):
        value_and_gradient(W * X, {W: 1.0}, {})
    with pytest.raises(TypeError, match="inputs must be a dict keyed by nodes, got list"):
        value_and_gradient(W * X, {W: 1.0}, [1.0])


@settings(max_examples=30, deadline=None)
@given(w=st.floats(-3, 3), b=st.floats(-3, 3),
       xs=st.lists(st.floats(-3, 3), min_size=1, max_size=5))
def test_batched_gradient_is_the_sum_of_per_sample_gradients(w, b, xs):
    """Over a batch, the gradient is the sum of the per-sample gradients."""
    expr = Sigmoid(W * X + B) * Tanh(W - X)
    _, batched = value_and_gradient(expr, {W: w, B: b}, {X: np.array(xs)})
    for param in (W, B):
        total = sum(expr.grad({W: w, B: b}, {X: x})[param] for x in xs)
        assert batched[param] == pytest.approx(total, rel=1e-9, abs=1e-12)
