"""The array operations beside exported code, saved files, SymPy and per-node adjoints."""

import numpy as np
import pytest

from exprdiff import (
    ClassScore,
    Clip,
    Input,
    LogSumExp,
    Mean,
    Parameter,
    Softmax,
    Sum,
    SumOfSquares,
    Tanh,
    Transpose,
    node_gradients,
    to_python,
)
from exprdiff.keep.serialization import dumps, loads
from exprdiff.keep.sympy_bridge import to_sympy
from exprdiff.losses import softmax_cross_entropy
from exprdiff.nn import DenseMLP
from exprdiff.symbolic.finite_differences import numeric_grad

RNG = np.random.default_rng(8)


def every_array_op():
    """One expression using every array operation and Clip, with values for it."""
    x, y, w, b = Input("x"), Input("y"), Parameter("w"), Parameter("b")
    h = Tanh(x @ w + b)  # (5, 3)
    parts = [
        Sum(h, axis=0) @ Mean(Transpose(h), axis=1),
        Sum(Softmax(h, axis=1) * Clip(h, low=-0.5, high=0.5)),
        Sum(LogSumExp(h) - ClassScore(h, y)),
        SumOfSquares(h, axis=(0, 1)),
    ]
    expr = parts[0] + parts[1] + parts[2] + parts[3]
    params = {w: RNG.normal(size=(4, 3)), b: RNG.normal(size=3)}
    inputs = {x: RNG.normal(size=(5, 4)), y: np.array([0, 2, 1, 1, 0])}
    return expr, params, inputs


def run_exported(source, values):
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace["model"](**values)


def by_label(*dicts):
    return {node.label: value for d in dicts for node, value in d.items()}


def test_exported_code_computes_every_array_op():
    """to_python writes NumPy code for every array operation that gives the engine's value."""
    expr, params, inputs = every_array_op()
    value = run_exported(to_python(expr), by_label(params, inputs))
    assert value == pytest.approx(expr(params, inputs), rel=1e-12)


def test_exported_dense_classifier_matches_the_engine():
    """A dense MLP's logits and its per-sample cross-entropy export to plain NumPy."""
    x, y = Input("x"), Input("y")
    logits, params = DenseMLP(x, 4, [6, 3], "tanh", seed=1)
    loss = softmax_cross_entropy(logits, y)
    inputs = {x: RNG.normal(size=(7, 4)), y: RNG.integers(0, 3, size=7)}
    np.testing.assert_allclose(run_exported(to_python(logits), by_label(params, {x: inputs[x]})),
                               logits(params, inputs), rtol=1e-13)
    np.testing.assert_allclose(run_exported(to_python(loss), by_label(params, inputs)),
                               loss(params, inputs), rtol=1e-13)


def test_exported_gradients_of_array_ops_come_from_their_templates():
    """Exported gradients through an array op use its numpy_vjp_code (MatMul has them);
    an array op without them (Transpose) is refused, named."""
    x, w = Input("x"), Parameter("w")
    namespace: dict = {}
    exec(to_python(Tanh(x @ w), wrt=[w]), namespace)
    values = {"x": np.ones((2, 3)), "w": np.full(3, 0.1)}
    _, grads = namespace["model"](**values)
    np.testing.assert_array_equal(grads["w"], Tanh(x @ w).grad({w: values["w"]},
                                                               {x: values["x"]})[w])
    with pytest.raises(NotImplementedError, match=r"gradient of Transpose"):
        to_python(Tanh(Transpose(w) @ x), wrt=[w])


def test_sympy_refuses_array_ops_by_name():
    """SymPy conversion handles elementwise ops; an array op is refused, named."""
    with pytest.raises(ValueError, match=r"not Softmax"):
        to_sympy(Softmax(Input("x")))


def test_saved_models_keep_array_ops_and_settings():
    """Saving and loading a model with every array op keeps its settings and values."""
    expr, params, inputs = every_array_op()
    loaded, loaded_params = loads(dumps(expr, params))
    by_name = {p.label: p for p in loaded_params}
    again = {by_name[p.label]: value for p, value in params.items()}
    new_inputs = {node: inputs[old] for old in inputs for node in _inputs(loaded)
                  if node.label == old.label}
    assert loaded(again, new_inputs) == pytest.approx(expr(params, inputs), rel=1e-14)
    assert "axis=(0, 1)" in str(loaded) and "low=-0.5, high=0.5" in str(loaded)


def _inputs(expr):
    from exprdiff import topological_order

    return [node for node in topological_order(expr) if isinstance(node, Input)]


def test_node_adjoints_of_a_dense_network():
    """Per-node adjoints through MatMul and reductions: the input's equals finite differences."""
    x, w = Input("x"), Parameter("w")
    expr = Sum(LogSumExp(Tanh(x @ w)))
    params, inputs = {w: RNG.normal(size=(3, 2))}, {x: RNG.normal(size=(4, 3))}
    as_param = Parameter("x_as_param")
    moved = Sum(LogSumExp(Tanh(as_param @ w)))
    expected = numeric_grad(moved, {**params, as_param: inputs[x]})[as_param]
    np.testing.assert_allclose(node_gradients(expr, params, inputs)[x], expected, rtol=1e-6)


@pytest.mark.parametrize("name, build", [
    ("Sum", lambda x, w: Sum(x * w)), ("MatMul", lambda x, w: Tanh(x @ w)),
    ("Softmax", lambda x, w: Softmax(x * w)), ("LogSumExp", lambda x, w: LogSumExp(x * w)),
    ("Transpose", lambda x, w: Tanh(Transpose(x * w))),
    ("SumOfSquares", lambda x, w: SumOfSquares(x * w)),
    ("ClassScore", lambda x, w: ClassScore(x * w, x)),
], ids=lambda value: value if isinstance(value, str) else "")
def test_symbolic_diff_refuses_array_ops_by_name(name, build):
    """Symbolic derivatives are elementwise: diff through an array op raises
    NotImplementedError naming it, while the numeric grad handles it."""
    from exprdiff.symbolic.derivatives import diff

    x, w = Input("x"), Parameter("w")
    expr = build(x, w)
    with pytest.raises(NotImplementedError, match=rf"{name} .*not an elementwise operation"):
        diff(expr, w)
    grads = expr.grad({w: np.full((2, 2), 0.5)}, {x: np.eye(2)})
    assert grads[w].shape == (2, 2)
