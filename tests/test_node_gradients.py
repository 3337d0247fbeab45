"""node_gradients: the derivative of the root with respect to every node of the graph."""

import warnings

import numpy as np
import pytest
from _models import every_op_params, rebuild, two_two_one

from exprdiff import Constant, Input, Parameter, Sin, node_gradients, topological_order
from exprdiff.symbolic.finite_differences import numeric_grad


def test_backprop_example_gives_the_textbook_adjoints():
    """L = (a*b + c)*f at a=2, b=-3, c=10, f=-2 has the adjoints of the backprop tutorials."""
    a, b, c, f = (Parameter(name) for name in "abcf")
    e = a * b
    d = e + c
    loss = d * f
    adjoints = node_gradients(loss, {a: 2.0, b: -3.0, c: 10.0, f: -2.0})
    assert adjoints == {a: 6.0, b: -4.0, e: -2.0, c: -2.0, d: -2.0, f: 4.0, loss: 1.0}


def test_parameter_entries_equal_grad():
    """For Parameters the adjoints are exactly `Node.grad`'s entries."""
    net = two_two_one()
    inputs = {net["x1"]: 1.0, net["x2"]: 0.0, net["label"]: 1.0}
    adjoints = node_gradients(net["loss"], net["params"], inputs)
    for param, gradient in net["loss"].grad(net["params"], inputs).items():
        assert adjoints[param] == gradient


def test_every_inner_node_adjoint_matches_a_perturbation():
    """Adding a Parameter eps at a node and differentiating for eps gives that node's adjoint."""
    net = two_two_one()
    inputs = {net["x1"]: 1.0, net["x2"]: 0.0, net["label"]: 1.0}
    adjoints = node_gradients(net["loss"], net["params"], inputs)
    eps = Parameter("eps")
    for node in topological_order(net["loss"]):
        shifted = rebuild(net["loss"], {node: node + eps})
        params = {**net["params"], eps: 0.0}
        expected = numeric_grad(shifted, params, inputs)[eps]
        assert adjoints[node] == pytest.approx(expected, rel=1e-6, abs=1e-9), str(node)
        assert adjoints[node] == pytest.approx(shifted.grad(params, inputs)[eps], rel=1e-12)


@pytest.mark.parametrize("name, expr, params, inputs", every_op_params())
def test_input_adjoints_match_finite_differences(name, expr, params, inputs):
    """Each op's adjoint for an Input equals central differences in that input."""
    (x,) = inputs
    as_param = Parameter("x_as_param")
    moved = rebuild(expr, {x: as_param})
    expected = numeric_grad(moved, {**params, as_param: inputs[x]})[as_param]
    assert node_gradients(expr, params, inputs)[x] == pytest.approx(expected, rel=1e-6)


def test_broadcast_nodes_get_adjoints_of_their_own_shape():
    """An array Constant broadcast against a scalar gets an array adjoint; the scalar a sum."""
    x = Input("x")
    weights = Constant(np.array([1.0, 2.0, 3.0]))
    adjoints = node_gradients(x * weights, {}, {x: 2.0})
    assert adjoints[x] == 6.0
    np.testing.assert_array_equal(adjoints[weights], [2.0, 2.0, 2.0])
    assert adjoints[weights].flags.writeable


def test_constant_exponent_of_negative_base_is_nan_without_warning():
    """d/d2 of (x - 3)**2 at x = 1 does not exist as a real number: nan, and no warning."""
    x = Input("x")
    two = Constant(2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        adjoints = node_gradients((x - 3) ** two, {}, {x: 1.0})
    assert np.isnan(adjoints[two])
    assert adjoints[x] == -4.0


def test_leaf_root_has_unit_adjoint():
    """A Parameter on its own has adjoint 1 (ones for an array)."""
    w = Parameter("w")
    assert node_gradients(w, {w: 3.0}) == {w: 1.0}
    np.testing.assert_array_equal(node_gradients(w, {w: np.zeros(2)})[w], [1.0, 1.0])


@pytest.mark.slow
def test_deep_chain_of_100000_nodes():
    """node_gradients walks a 100 000-node chain without recursion."""
    x = Input("x")
    chain = x
    for _ in range(100_000):
        chain = Sin(chain)
    adjoints = node_gradients(chain, {}, {x: 0.1})
    assert len(adjoints) == 100_001
    assert 0 < adjoints[x] < 1
    assert isinstance(next(iter(adjoints)), Input)
