"""The engine frees intermediate arrays early, and the operations' flags that allow it are true."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_table import TABLE, example

import exprdiff.ops
from exprdiff import Exp, Input, Parameter, Tanh
from exprdiff.core.interpreter import value_and_gradient, values_and_adjoints
from exprdiff.symbolic.finite_differences import numeric_grad

OPERATIONS = [getattr(exprdiff.ops, name) for name in exprdiff.ops.__all__]
RNG = np.random.default_rng(3)


def _operands(op, node):
    """Valid operand values for the example node of each operation (in its domain)."""
    if op is exprdiff.ops.MatMul:
        return (RNG.uniform(0.5, 1.5, (3, 4)), RNG.uniform(0.5, 1.5, (4, 2)))
    if op is exprdiff.ops.ClassScore:
        return (RNG.uniform(0.5, 1.5, (3, 4)), np.eye(4)[[0, 2, 1]])
    if op is exprdiff.ops.BroadcastTo:
        return (RNG.uniform(0.5, 1.5, (3,)),)
    row = TABLE.get(op.__name__)
    values = []
    for slot, child in enumerate(node.children):
        if not type(child).differentiable:  # a condition operand: booleans
            values.append(RNG.uniform(size=(3, 4)) > 0.5)
        elif row is not None:
            values.append(row.domains[slot].sample(RNG, (3, 4)))
        else:
            values.append(RNG.uniform(0.5, 1.5, (3, 4)))
    return tuple(values)


def _instance(op):
    return example(op, *(Parameter(f"p{i}") for i in range(3)))


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.__name__)
def test_flags_say_what_the_rules_read(op):
    """An operation that says its rules do not read out (or its operands) gives the same
    gradient when they are replaced by their shapes, as the engine does when it frees them."""
    node = _instance(op)
    operands = _operands(op, node)
    out = node.forward(*operands)
    g = np.ones(np.shape(out)) * 0.7
    for slot in range(len(operands)):
        expected = node.partial(slot, g, operands, out)
        given_out = np.shape(out) if not op.vjp_uses_out else out
        given_operands = tuple(np.shape(v) for v in operands) \
            if not op.vjp_uses_operands else operands
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


_SHAPE_KEEPING = [
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: a - Tanh(b),
    lambda a, b: exprdiff.ops.Softmax(a, axis=1) * b,
    lambda a, b: exprdiff.ops.Clip(a, low=-0.8, high=0.9),
    lambda a, b: exprdiff.ops.Transpose(exprdiff.ops.Transpose(a)) * 0.5,
    lambda a, b: exprdiff.ops.Sigmoid(a) + Exp(b * 0.1),
]


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, len(_SHAPE_KEEPING) - 1), st.integers(0, 10**6),
                             st.integers(0, 10**6)), min_size=1, max_size=12),
    seed=st.integers(0, 2**16),
)
def test_released_values_never_change_results(steps, seed):
    """On random DAGs with shared nodes, releasing arrays early changes no value and no gradient:
    evaluation, value_and_gradient and the all-values reverse pass agree, and match differences."""
    rng = np.random.default_rng(seed)
    w, v, x = Parameter("w"), Parameter("v"), Input("x")
    nodes = [w, v, x]
    for op, i, j in steps:
        nodes.append(_SHAPE_KEEPING[op](nodes[i % len(nodes)], nodes[j % len(nodes)]))
    root = nodes[-1]
    params = {w: rng.uniform(-1, 1, (4, 3)), v: rng.uniform(-1, 1, (4, 3))}
    inputs = {x: rng.uniform(-1, 1, (4, 3))}
    value, grads = value_and_gradient(root, params, inputs)
    np.testing.assert_array_equal(root(params, inputs), value)
    all_nodes, all_values, _ = values_and_adjoints(root, params, inputs)
    np.testing.assert_array_equal(all_values[-1], value)
    approx = numeric_grad(root, params, inputs)
    for param in grads:
        np.testing.assert_allclose(grads[param], approx[param], rtol=1e-5, atol=1e-6)


def test_a_first_evaluation_of_a_deep_chain_costs_at_most_300_bytes_per_node():
    """Issue 11.16: plans cost 0.5-0.9 KB per node; the plan and values of a first
    evaluation of a 100 000-node chain now peak under 300 bytes per node (about 200;
    bench/bench_memory.py measures a 10^6-node chain)."""
    from exprdiff import Sin

    w = Parameter("w")
    chain = w
    for _ in range(100_000):
        chain = Sin(chain)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        value = chain({w: 0.5})
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert (peak / 100_001) <= 300, f"{peak / 100_001:.0f} bytes per node"
    h = 0.5
    for _ in range(100_000):
        h = np.sin(h)
    assert value == h


def test_a_gradient_call_releases_the_root_value_its_rules_do_not_read(monkeypatch):
    """The interpreter's grad hands out no value: a root whose rules do not read it has its
    value released before the reverse pass (whose arrays may then reuse its memory);
    value_and_gradient keeps it, and both give the same gradient.  (Compiled code returns the
    value beside the gradients, so it keeps it.)"""
    import weakref

    monkeypatch.setenv("EXPRDIFF_COMPILED", "0")

    from exprdiff import UnaryOp

    alive = []

    class Halve(UnaryOp):
        vjp_uses_out = False

        def forward(self, x):
            out = 0.5 * x
            alive.append(weakref.ref(out))
            return out

        def vjp(self, g, x, out):
            alive.append(alive[-1]() is not None)
            return 0.5 * g

    w = Parameter("w")
    grads = Halve(w).grad({w: np.ones(3)})
    assert alive[-1] is False
    value, same = value_and_gradient(Halve(w), {w: np.ones(3)})
    assert alive[-1] is True and value.tolist() == [0.5] * 3
    np.testing.assert_array_equal(grads[w], same[w])
