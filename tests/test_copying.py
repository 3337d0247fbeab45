"""copy.copy, copy.deepcopy and pickle work on expressions, iteratively, keeping sharing (issue 11.11)."""

import copy
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from _models import Cube

from exprdiff import (
    Clip,
    Constant,
    Input,
    Parameter,
    Sigmoid,
    Sin,
    Sum,
    Transpose,
    topological_order,
)

w, v, x = Parameter("w"), Parameter("v"), Input("x")


def model():
    """A DAG with a shared subexpression, settings, an array constant and a user-defined op."""
    shared = Sigmoid(w * x + v)
    return Sum(Clip(shared * shared, 0.1, 0.9) + Transpose(Constant([[1.0, 2.0]]), (1, 0))) \
        + Cube(shared), {w: 0.5, v: -1.0}


def leaves_by_name(expr):
    return {node.label: node for node in topological_order(expr) if hasattr(node, "label")}


def assert_same_model(original, params, twin, twin_params):
    """Same structure (distinct-node count, so sharing), new nodes, the same values and gradients."""
    nodes, twins = topological_order(original), topological_order(twin)
    assert len(nodes) == len(twins) and twin.equals(original) is False  # new leaves: not equal
    assert not set(map(id, nodes)) & set(map(id, twins))
    assert [type(n) for n in nodes] == [type(n) for n in twins]
    assert sorted(p.label for p in twin_params) == sorted(p.label for p in params)
    assert all(p in set(twins) for p in twin_params)  # the params are keyed by the copied leaves
    data = np.array([0.5, 2.0, -1.0])
    value = original(params, {x: data})
    twin_x = leaves_by_name(twin)["x"]
    np.testing.assert_array_equal(twin(twin_params, {twin_x: data}), value)
    grads, twin_grads = original.grad(params, {x: data}), twin.grad(twin_params, {twin_x: data})
    assert {p.label: g for p, g in grads.items()} == {p.label: g for p, g in twin_grads.items()}


def test_a_shallow_copy_of_an_immutable_node_is_the_node():
    """copy.copy raised "nodes are immutable"; a node's shallow copy is itself, like a tuple's."""
    expr, _ = model()
    assert copy.copy(expr) is expr and copy.copy(w) is w


def test_deepcopy_copies_the_graph_with_its_params():
    """deepcopy((expr, params)) gives new nodes, the params keyed by the new Parameters."""
    expr, params = model()
    twin, twin_params = copy.deepcopy((expr, params))
    assert_same_model(expr, params, twin, twin_params)


def test_pickle_round_trip_keeps_sharing_and_params():
    """pickle.loads(pickle.dumps((expr, params))) is the same model, params keyed by its leaves."""
    expr, params = model()
    twin, twin_params = pickle.loads(pickle.dumps((expr, params)))
    assert_same_model(expr, params, twin, twin_params)
    shared = twin.rhs.child
    assert twin.lhs.child.lhs.child.lhs is shared and twin.lhs.child.lhs.child.rhs is shared


def test_unnamed_leaves_keep_their_identity_within_one_pickle():
    """An unnamed Parameter stays one node: the expression's and the dict key."""
    p = Parameter()
    expr, params = pickle.loads(pickle.dumps((p * p + 1, {p: 3.0})))
    assert expr(params) == 10.0 and expr.lhs.lhs is next(iter(params))


@pytest.fixture(scope="module")
def deep_chain():
    chain = w
    for _ in range(100_000):
        chain = Sin(chain)
    return chain, chain({w: 0.5})


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_deep_graphs_copy_without_recursion(how, deep_chain):
    """A chain of 100 000 nodes copies and pickles (both once recursed per level)."""
    chain, value = deep_chain
    twin, params = (copy.deepcopy((chain, {w: 0.5})) if how == "deepcopy"
                    else pickle.loads(pickle.dumps((chain, {w: 0.5}))))
    assert twin(params) == value


def _evaluate_in_worker(payload: bytes) -> float:
    expr, params, data = pickle.loads(payload)
    return float(np.sum(expr(params, data)))


def test_a_model_travels_to_a_multiprocessing_worker():
    """A worker process evaluates a pickled model (multiprocessing pickles what it sends)."""
    expr, params = model()
    expected = float(np.sum(expr(params, {x: np.ones(3)})))
    # spawn, not fork: forking a process that has imported JAX (other tests do) is unsafe
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        payload = pickle.dumps((expr, params, {x: np.ones(3)}))
        assert pool.submit(_evaluate_in_worker, payload).result(timeout=60) == expected
