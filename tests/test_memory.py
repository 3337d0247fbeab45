"""The engine frees intermediate arrays early, and the operations' flags that allow it are true."""

import tracemalloc

import numpy as np
import pytest

import exprdiff.ops
from exprdiff import Exp, Input, Parameter, Tanh
from exprdiff.graph import value_and_gradient
from exprdiff.nodes import BinaryOp

OPERATIONS = [getattr(exprdiff.ops, name) for name in exprdiff.ops.__all__]
RNG = np.random.default_rng(3)


def _operands(op):
    """Valid operand values for one instance of each operation (positive, away from kinks)."""
    if op is exprdiff.ops.MatMul:
        return (RNG.uniform(0.5, 1.5, (3, 4)), RNG.uniform(0.5, 1.5, (4, 2)))
    if op is exprdiff.ops.ClassScore:
        return (RNG.uniform(0.5, 1.5, (3, 4)), np.eye(4)[[0, 2, 1]])
    if issubclass(op, BinaryOp):
        return (RNG.uniform(0.5, 1.5, (3, 4)), RNG.uniform(0.5, 1.5, (3, 4)))
    return (RNG.uniform(0.2, 0.8, (3, 4)),)


def _instance(op):
    children = [Parameter(f"p{i}") for i in range(2 if issubclass(op, BinaryOp) else 1)]
    return op(*children, 0.1, 0.9) if op is exprdiff.ops.Clip else op(*children)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.__name__)
def test_flags_say_what_the_rules_read(op):
    """An operation that says its rules do not read out (or its operands) gives the same
    gradient when they are replaced by their shapes, as the engine does when it frees them."""
    node = _instance(op)
    operands = _operands(op)
    out = node.forward(*operands)
    g = np.ones(np.shape(out)) * 0.7
    for slot in range(len(operands)):
        expected = node.partial(slot, g, operands, out)
        given_out = np.shape(out) if not op.backward_uses_out else out
        given_operands = tuple(np.shape(v) for v in operands) \
            if not op.backward_uses_operands else operands
        np.testing.assert_allclose(node.partial(slot, g, given_operands, given_out), expected)


def _peak_bytes(function) -> int:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_evaluation_keeps_few_arrays_alive():
    """Evaluating a chain of 20 operations on a 1 MB array peaks at a few arrays, not 20."""
    x = Input("x")
    node = x
    for _ in range(10):
        node = Exp(node * 0.01)
    value = np.ones(125_000)  # 1 MB
    size = value.nbytes
    assert _peak_bytes(lambda: node({}, {x: value})) < 4 * size


def test_gradient_keeps_only_what_the_rules_read():
    """The gradient of a chain of 20 sums and negations keeps no forward arrays (no rule reads them)."""
    w = Parameter("w")
    node = w
    for _ in range(10):
        node = -(node + 1.0)
    value = np.ones(125_000)
    grads = node.grad({w: value})
    np.testing.assert_array_equal(grads[w], np.ones(125_000))
    assert _peak_bytes(lambda: node.grad({w: value})) < 5 * value.nbytes


def test_rules_that_read_out_still_get_it():
    """Operations whose rules read their value get it in the reverse pass (tanh chains)."""
    w = Parameter("w")
    node = w
    for _ in range(5):
        node = Tanh(node * 0.5 + 0.1)
    value = RNG.normal(size=(50, 3))
    grad = node.grad({w: value})[w]
    h = value
    slope = np.ones_like(value)
    for _ in range(5):
        h = np.tanh(h * 0.5 + 0.1)
        slope = slope * 0.5 * (1 - h**2)
    np.testing.assert_allclose(grad, slope)


def test_value_read_by_the_root_is_kept():
    """A value whose last reader is the root itself is not released before the root runs."""
    p, x = Parameter("p"), Input("x")
    shared = p + x
    expr = shared * Tanh(shared)  # Tanh reads `shared` first, the root last
    values = np.array([0.5, -1.0, 2.0])
    expected = (1.0 + values) * np.tanh(1.0 + values)
    np.testing.assert_allclose(expr({p: 1.0}, {x: values}), expected)
    value, grads = value_and_gradient(expr, {p: 1.0}, {x: values})
    np.testing.assert_allclose(value, expected)
    s = 1.0 + values
    assert grads[p] == pytest.approx(np.sum(np.tanh(s) + s * (1 - np.tanh(s) ** 2)))
