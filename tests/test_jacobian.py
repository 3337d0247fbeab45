"""Weighted gradients (grad with a cotangent) and whole Jacobians, against finite differences and
JAX's jacrev in float64."""

import numpy as np
import pytest

from exprdiff import (
    Input,
    Parameter,
    Sigmoid,
    Sqrt,
    Sum,
    Tanh,
    Where,
    diff,
    jacobian,
)

W, b, x = Parameter("W"), Parameter("b"), Input("x")
RNG = np.random.default_rng(12)
PARAMS = {W: RNG.normal(size=(3, 2)), b: RNG.normal(size=2)}
INPUTS = {x: RNG.normal(size=(4, 3))}
LAYER = Tanh(x @ W + b)  # a (4, 2) value


def numeric_jacobian(expr, params, inputs, step=1e-6):
    """d value / d param by central differences, shaped value.shape + param.shape."""
    result = {}
    value_shape = np.shape(expr(params, inputs))
    for param, value in params.items():
        value = np.asarray(value, dtype=np.float64)
        jac = np.zeros(value_shape + value.shape)
        for position in np.ndindex(value.shape):
            moved = []
            for sign in (1, -1):
                shifted = value.copy()
                shifted[position] += sign * step
                moved.append(np.asarray(expr({**params, param: shifted}, inputs)))
            jac[(Ellipsis, *position)] = (moved[0] - moved[1]) / (2 * step)
        result[param] = jac
    return result


def test_the_jacobian_of_a_layer_is_the_finite_differences():
    """jacobian gives value.shape + param.shape per Parameter, equal to central differences."""
    exact = jacobian(LAYER, PARAMS, INPUTS)
    numeric = numeric_jacobian(LAYER, PARAMS, INPUTS)
    assert exact[W].shape == (4, 2, 3, 2) and exact[b].shape == (4, 2, 2)
    for param in PARAMS:
        np.testing.assert_allclose(exact[param], numeric[param], rtol=1e-6, atol=1e-9)


def test_the_jacobian_is_jaxs_jacrev():
    """JAX's jacrev of the same layer, in float64, gives the same numbers."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def layer(weights, bias):
        return jnp.tanh(INPUTS[x] @ weights + bias)

    expected = jax.jacrev(layer, argnums=(0, 1))(PARAMS[W], PARAMS[b])
    exact = jacobian(LAYER, PARAMS, INPUTS)
    np.testing.assert_allclose(exact[W], np.asarray(expected[0]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(exact[b], np.asarray(expected[1]), rtol=1e-12, atol=1e-14)


def test_a_scalar_value_s_jacobian_is_its_gradient():
    """For a scalar value the Jacobian is the gradient: a float for a scalar parameter."""
    w = Parameter("w")
    assert jacobian(w * w * 3, {w: 2.0}) == {w: 12.0}
    loss = Sum(LAYER * LAYER)
    exact, grads = jacobian(loss, PARAMS, INPUTS), loss.grad(PARAMS, INPUTS)
    for param in PARAMS:
        np.testing.assert_allclose(exact[param], grads[param], rtol=1e-13)


def test_a_cotangent_weighs_the_elements():
    """grad(cotangent=c) is the gradient of sum(c * value): c contracted with the Jacobian."""
    weights = RNG.normal(size=(4, 2))
    exact = LAYER.grad(PARAMS, INPUTS, cotangent=weights)
    jac = jacobian(LAYER, PARAMS, INPUTS)
    for param in PARAMS:
        np.testing.assert_allclose(exact[param], np.tensordot(weights, jac[param], axes=2),
                                   rtol=1e-12)
    summed = (LAYER * weights).grad(PARAMS, INPUTS)
    for param in PARAMS:
        np.testing.assert_allclose(exact[param], summed[param], rtol=1e-12)


def test_a_cotangent_broadcasts_both_ways():
    """A scalar cotangent scales the gradient; one of more axes than the value sums over them."""
    w, t = Parameter("w"), Input("t")
    expr = w * t
    assert expr.grad({w: 2.0}, {t: [1.0, 2.0]}, cotangent=3.0) == {w: 9.0}
    assert expr.grad({w: 2.0}, {t: [1.0, 2.0]}, cotangent=[[1.0, 1.0], [2.0, 0.0]]) == {w: 5.0}
    assert (w * w).grad({w: 3.0}, cotangent=[1.0, 2.0]) == {w: 18.0}


def test_a_cotangent_that_does_not_broadcast_names_both_shapes():
    """A cotangent of the wrong shape raises ValueError with both shapes; a non-number TypeError."""
    with pytest.raises(ValueError, match=r"the cotangent of shape \(3,\) does not broadcast with "
                                         r"the value of shape \(4, 2\)"):
        LAYER.grad(PARAMS, INPUTS, cotangent=np.ones(3))
    with pytest.raises(TypeError, match="the cotangent: the value must be a real number"):
        LAYER.grad(PARAMS, INPUTS, cotangent="ones")


def test_the_jacobian_through_a_where_has_no_nan():
    """The Jacobian of where(x > 0, sqrt(x), 0) is diagonal, 0 where the root is not taken."""
    v = Parameter("v")
    with np.errstate(invalid="ignore"):
        jac = jacobian(Where(v > 0, Sqrt(v), 0.0), {v: np.array([-1.0, 4.0])})[v]
    np.testing.assert_array_equal(jac, [[0.0, 0.0], [0.0, 0.25]])


def test_the_jacobian_of_an_elementwise_function_is_its_symbolic_derivative_on_the_diagonal():
    """For an elementwise function of a vector parameter, J is diag(diff(f, p))."""
    v = Parameter("v")
    expr = Sigmoid(3 * v) * v
    point = {v: np.array([-0.5, 0.1, 2.0])}
    np.testing.assert_allclose(jacobian(expr, point)[v], np.diag(diff(expr, v)(point)),
                               rtol=1e-14)
