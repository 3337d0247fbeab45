"""Plan-time rewrites: exact where they say so, stable where they say so, on every path alike."""

import warnings

import numpy as np
import pytest
from _models import same_bits

from exprdiff import (
    ClassScore,
    Constant,
    Exp,
    Input,
    Log,
    LogSumExp,
    Parameter,
    Sigmoid,
    Softmax,
    Sqrt,
    Sum,
    Tanh,
    diff,
    node_gradients,
    to_python,
)
from exprdiff.core import interpreter
from exprdiff.core.plan import execution_plan
from exprdiff.losses import softmax_cross_entropy
from exprdiff.lowering.rewrites import CSE_LIMIT
from exprdiff.ops.activations import stable_sigmoid
from exprdiff.ops.fused import LogSoftmax, SigmoidCrossEntropy, SoftmaxCrossEntropy
from exprdiff.symbolic.finite_differences import numeric_grad

w, v, z, x, y = Parameter("w"), Parameter("v"), Parameter("z"), Input("x"), Input("y")
SPECIAL = np.array([-np.inf, -1e300, -3.5, -0.0, 0.0, 1e-310, 2.0, 1e300, np.inf, np.nan])


def graph_of(expr):
    return execution_plan(expr).graph_of(expr)


def both_ways(expr, params, inputs=None):
    """(rewritten, as written): value and gradient of each."""
    with np.errstate(all="ignore"):
        return (interpreter.value_and_gradient(expr, params, inputs or {}),
                interpreter.value_and_gradient(expr, params, inputs or {}, rewrites=False))


# -- exact rewrites: every bit is the written form's ---------------------------------------
EXACT = {
    "x*1": lambda a: a * 1.0,
    "1*x": lambda a: 1.0 * a,
    "x/1": lambda a: a / 1.0,
    "x**1": lambda a: a**1.0,
    "x-0": lambda a: a - 0.0,
    "--x": lambda a: a.__neg__().__neg__(),
    "x + -0.0": lambda a: a + (-0.0),
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_exact_identities_change_no_bit(name):
    """Identities drop the operation, and values and gradients keep every bit (NaN, inf, -0.0)."""
    expr = Tanh(w) + EXACT[name](w * x)
    assert len(execution_plan(expr).plan.nodes(graph_of(expr))) < len(
        interpreter.plan_for(expr).nodes(expr))
    (got, got_grads), (want, want_grads) = both_ways(expr, {w: 1.5}, {x: SPECIAL})
    assert same_bits(got, want) and same_bits(got_grads[w], want_grads[w])


def test_adding_zero_keeps_the_value_but_not_the_sign_of_a_zero():
    """x + 0 is x: equal values everywhere; only -0.0 + 0.0, which IEEE makes +0.0, stays -0.0."""
    expr = w * x + 0.0
    assert graph_of(expr) is not expr
    (got, _), (want, _) = both_ways(expr, {w: 1.0}, {x: SPECIAL})
    np.testing.assert_array_equal(got, want)  # equal as numbers (NaN in the same places)
    assert np.signbit(got[3]) and not np.signbit(want[3])


def test_common_subexpressions_are_computed_once_with_the_same_bits():
    """Structurally equal subtrees (built twice) become one node; nothing changes bitwise."""
    expr = Sin2 = Exp(w * x) * Tanh(w) + Exp(w * x) * Tanh(w)
    plan = execution_plan(Sin2).plan
    assert plan.size < len(interpreter.plan_for(expr).nodes(expr))
    (got, grads), (want, want_grads) = both_ways(expr, {w: 0.3}, {x: np.linspace(-2, 2, 5)})
    assert same_bits(got, want) and same_bits(grads[w], want_grads[w])


def test_constant_subtrees_are_folded_exactly():
    """An operation on constants becomes its value, computed as the engine would compute it."""
    expr = Sqrt(Constant(2.0) * np.pi) * w + Exp(Constant(0.5)) * x
    graph = graph_of(expr)
    kinds = {type(node).__name__ for node in interpreter.plan_for(graph).nodes(graph)}
    assert "Sqrt" not in kinds and "Exp" not in kinds
    (got, grads), (want, want_grads) = both_ways(expr, {w: 1.25}, {x: 3.0})
    assert same_bits(got, want) and same_bits(grads[w], want_grads[w])


def test_folding_leaves_what_would_warn_or_overflow():
    """log(0) and exp(1000) are not folded: evaluating still warns, as written."""
    expr = Log(Constant(0.0)) * w + Exp(Constant(1000.0)) * w
    kinds = [type(node).__name__ for node in interpreter.plan_for(graph_of(expr)).nodes(graph_of(expr))]
    assert "Log" in kinds and "Exp" in kinds
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="warn"):
            assert np.isnan(expr({w: 1.0}))
    messages = {str(w.message) for w in caught}
    assert any("divide by zero" in m for m in messages)
    assert any("overflow" in m for m in messages)


def test_rewrites_keep_every_leaf_and_the_gradients_keys_in_order():
    """The rewritten graph reads the same leaves; grad keeps the written order of Parameters."""
    bce = -(y * Log(Sigmoid(w * x + v)) + (1.0 - y) * Log(1.0 - Sigmoid(w * x + v)))
    grads = bce.grad({v: 0.1, w: 0.2}, {x: 1.0, y: 1.0})
    assert list(grads) == [w, v]
    leaves = {n for n in interpreter.plan_for(graph_of(bce)).nodes(graph_of(bce))
              if not n.children and type(n).leaf_kind != "constant"}
    assert leaves == {w, v, x, y}


@pytest.mark.parametrize("build, slope", [
    (lambda a: 0.0 + a, np.ones_like),
    (lambda a: 0.0 + Exp(a), np.exp),
    (lambda a: Exp(a) * 1.0, np.exp),
])
@pytest.mark.parametrize("point", [np.array([0.5]), np.array([0.5, -1.0]), 0.5])
def test_a_root_rewritten_away_keeps_the_value_its_gradient_reads(build, slope, point):
    """Found by the fuzzer: grad released the root's value when the root as written (0 + e)
    does not read it, though the rewritten root (a Parameter, or exp) does: a TypeError, or
    exp's slope read as 1. Every call, interpreted and compiled, gives the true slope."""
    p = Parameter("p")
    expr = build(p)
    for _ in range(3):  # interpreted, then compiled
        got = expr.grad({p: point})[p]
        assert type(got) is (float if np.ndim(point) == 0 else np.ndarray)
        np.testing.assert_array_equal(got, slope(point))


# -- stable fused forms: the written value where that is finite, finite where it is not --------
@pytest.mark.parametrize("build, name", [
    (lambda a: Log(Sigmoid(a)), "-softplus(-"),
    (lambda a: Log(1.0 - Sigmoid(a)), "-softplus("),
])
def test_log_of_a_sigmoid_is_a_softplus(build, name):
    """log(sigmoid(z)) = -softplus(-z) and log(1 - sigmoid(z)) = -softplus(z): the same values
    to rounding where the written form is finite, and -1000 (not -inf) at the far end."""
    expr = build(z)
    assert str(graph_of(expr)).startswith(name)
    # where the written form is accurate (further out, 1 - sigmoid(z) cancels, and the
    # written value is the one that is off)
    zs = np.linspace(-5.0, 5.0, 41)
    (got, grads), (want, want_grads) = both_ways(expr, {z: zs})
    np.testing.assert_allclose(got, want, rtol=1e-13)
    np.testing.assert_allclose(grads[z], want_grads[z], rtol=1e-12)
    far = 1000.0 if name == "-softplus(" else -1000.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten form neither overflows nor warns
        assert expr({z: far}) == -1000.0
        assert expr.grad({z: far})[z] == (1.0 if far < 0 else -1.0)


ORDERS = {
    "the seed's": lambda p, t: -(t * Log(p) + (1.0 - t) * Log(1.0 - p)),
    "terms swapped": lambda p, t: -((1.0 - t) * Log(1.0 - p) + t * Log(p)),
    "factors swapped": lambda p, t: -(Log(p) * t + Log(1.0 - p) * (1.0 - t)),
}


@pytest.mark.parametrize("order", sorted(ORDERS))
def test_cross_entropy_of_a_sigmoid_is_fused(order):
    """BCE through a sigmoid becomes SigmoidCrossEntropy: the written value (where finite) and
    the gradient sigmoid(z) - y exactly; at z = -1000, y = 1 the loss is 1000, not inf."""
    logit = w * x + v
    loss = ORDERS[order](Sigmoid(logit), y)
    assert type(graph_of(loss)) is SigmoidCrossEntropy
    points = np.linspace(-15.0, 15.0, 31)
    labels = np.where(points > 0.5, 1.0, 0.0)
    (got, grads), (want, want_grads) = both_ways(loss, {w: 1.0, v: 0.0}, {x: points, y: labels})
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads[w], want_grads[w], rtol=1e-12)
    for point, label in ((0.3, 1.0), (-2.0, 0.0), (7.0, 0.0)):
        g = interpreter.gradient(loss, {w: 1.0, v: 0.0}, {x: point, y: label})[v]
        assert g == stable_sigmoid(point) - label  # the fused gradient, sigmoid(z) - y
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert loss({w: 1.0, v: 0.0}, {x: -1000.0, y: 1.0}) == 1000.0


def test_a_clipped_cross_entropy_is_left_as_written():
    """losses.binary_cross_entropy clips p, which changes values: no rewrite applies."""
    from exprdiff.losses import binary_cross_entropy

    loss = binary_cross_entropy(Sigmoid(w * x), y)
    assert "sigmoid_cross_entropy" not in str(graph_of(loss))


def test_log_of_a_softmax_is_a_log_softmax():
    """log(softmax(z)) becomes LogSoftmax: the same values, finite where softmax underflows."""
    expr = Log(Softmax(z))
    assert type(graph_of(expr)) is LogSoftmax
    values = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -2.0]])
    (got, grads), (want, want_grads) = both_ways(Sum(expr * x), {z: values}, {x: [1.0, 2.0, 0.5]})
    np.testing.assert_allclose(got, want, rtol=1e-14)
    np.testing.assert_allclose(grads[z], want_grads[z], rtol=1e-13, atol=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(expr({z: np.array([0.0, 1000.0])}), [-1000.0, 0.0])


@pytest.mark.parametrize("labels", [np.array([2.0, 0.0, 1.0]), np.eye(3)[[2, 0, 1]]],
                         ids=["indices", "one-hot"])
def test_softmax_cross_entropy_is_fused_with_its_value_bit_for_bit(labels):
    """logsumexp(z) - class_score(z, y) becomes SoftmaxCrossEntropy: the same value bit for
    bit, and the gradient softmax - onehot (the written rules' to rounding)."""
    loss = softmax_cross_entropy(z, y)
    assert type(graph_of(loss)) is SoftmaxCrossEntropy
    assert type(graph_of(LogSumExp(z) - ClassScore(z, y))) is SoftmaxCrossEntropy
    logits = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -2.0], [1.0, 1.0, 1.0]])
    (got, grads), (want, want_grads) = both_ways(loss, {z: logits}, {y: labels})
    assert same_bits(got, want)
    np.testing.assert_allclose(grads[z], want_grads[z], rtol=1e-13, atol=1e-16)


def test_every_path_runs_the_rewritten_graph():
    """The interpreter, compiled code and exported source agree on the fused value at z=-1000,
    where the written form is -inf: no path computes the written graph."""
    expr = Log(Sigmoid(w * x))
    namespace: dict = {}
    exec(to_python(expr, wrt=[w]), namespace)
    for _ in range(3):  # interpreted, then compiled
        assert expr({w: 1.0}, {x: -1000.0}) == -1000.0
        assert expr.grad({w: 1.0}, {x: -1000.0})[w] == -1000.0
    assert namespace["model"](w=1.0, x=-1000.0) == (-1000.0, {"w": -1000.0})


def test_node_gradients_and_symbolic_diff_see_the_graph_as_written():
    """node_gradients reports every node the user built; diff builds from the written graph."""
    p = Sigmoid(w)
    loss = Log(p)
    adjoints = node_gradients(loss, {w: 0.5})
    assert p in adjoints and adjoints[p] == pytest.approx(1 / stable_sigmoid(0.5))
    assert "sigmoid" in str(diff(loss, w))


# -- the fused operations themselves --------------------------------------------------------
@pytest.mark.parametrize("build, params, inputs", [
    (lambda: SigmoidCrossEntropy(w * 2.0, v), {w: 0.3, v: 0.7}, {}),
    (lambda: Sum(LogSoftmax(w) * x), {w: np.array([[0.1, -0.4, 0.9]])}, {x: [1.0, 0.5, 2.0]}),
    (lambda: Sum(SoftmaxCrossEntropy(w, v)), {w: np.array([[0.1, -0.4, 0.9]]),
                                              v: np.array([[0.2, 0.3, 0.5]])}, {}),
    (lambda: Sum(SoftmaxCrossEntropy(w, x)), {w: np.array([[0.1, -0.4, 0.9]])}, {x: [2.0]}),
], ids=["sigmoid cross-entropy", "log-softmax", "softmax cross-entropy, soft labels",
        "softmax cross-entropy, indices"])
def test_fused_operations_differentiate_correctly(build, params, inputs):
    """Each fused operation's rules agree with central differences."""
    expr = build()
    exact, numeric = expr.grad(params, inputs), numeric_grad(expr, params, inputs)
    for param in params:
        np.testing.assert_allclose(exact[param], numeric[param], rtol=1e-6, atol=1e-8)


def test_sigmoid_cross_entropy_differentiates_symbolically():
    """Its rule also builds nodes: diff of the fused node is sigmoid(z) - y."""
    derivative = diff(SigmoidCrossEntropy(z, y), z)
    assert derivative({z: 0.25}, {y: 1.0}) == pytest.approx(stable_sigmoid(0.25) - 1.0)


def test_huge_graphs_skip_the_subexpression_table():
    """Above CSE_LIMIT nodes equal subtrees are not merged (no table), and evaluation works."""
    chain = w
    for _ in range(CSE_LIMIT // 2 + 10):
        chain = Tanh(chain) * 1.0  # the identity still goes, node by node
    plan = execution_plan(chain).plan
    assert plan.size == CSE_LIMIT // 2 + 11
    assert chain({w: 0.5}) == interpreter.evaluate(chain, {w: 0.5}, {}, rewrites=False)
