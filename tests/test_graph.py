"""Evaluation and reverse-mode gradients: the contract of DESIGN.md section 1."""

import gc
import math
import threading
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exprdiff import Constant, Input, Log, Multiply, Parameter, Sigmoid, Sin, Tanh
from exprdiff.symbolic.finite_differences import numeric_grad

X1, X2, LABEL = Input("x1"), Input("x2"), Input("label")
W1, W2, B = Parameter("w1"), Parameter("w2"), Parameter("b")
PERCEPTRON = Sigmoid(W1 * X1 + W2 * X2 + B)
UNTRAINED = {W1: 1.0, W2: 1.0, B: 0.0}
TRUTH_TABLE = [(0, 0), (0, 1), (1, 0), (1, 1)]


class TestSeedArticleNumbers:
    """The numbers of the perceptron article this project grows from."""

    def test_untrained_perceptron_outputs(self):
        """w1 = w2 = 1, b = 0 gives the article's four outputs."""
        outputs = [PERCEPTRON(UNTRAINED, {X1: a, X2: b}) for a, b in TRUTH_TABLE]
        assert outputs == [0.5, 0.7310585786300049, 0.7310585786300049, 0.8807970779778823]
        assert all(type(value) is float for value in outputs)

    def test_multiply_gradient(self):
        """Multiply(m, x) with m = 3, x = 5 gives 15 and gradient {m: 5}."""
        m, x = Parameter("m"), Input("x")
        assert Multiply(m, x)({m: 3}, {x: 5}) == 15.0
        assert Multiply(m, x).grad({m: 3}, {x: 5}) == {m: 5.0}

    def test_perceptron_gradient_dict(self):
        """The gradient dict of DESIGN.md: w1 0, w2 = b = sigmoid'(1)."""
        grads = PERCEPTRON.grad(UNTRAINED, {X1: 0, X2: 1})
        slope = math.exp(-1) / (1 + math.exp(-1)) ** 2
        assert grads == {W1: 0.0, W2: pytest.approx(slope), B: pytest.approx(slope)}


class TestClassicBackprop:
    """Hand-checkable backpropagation examples."""

    def test_shared_operand_product(self):
        """z = (a + b) * (a + e) at a = 4, b = 6, e = 2 gives 16, 6, 10."""
        a, b, e = Parameter("a"), Parameter("b"), Parameter("e")
        z = (a + b) * (a + e)
        assert z.grad({a: 4, b: 6, e: 2}) == {a: 16.0, b: 6.0, e: 10.0}

    def test_product_of_sum(self):
        """f = (a*b)*(a + b) at a = -2, b = 3 gives df/da = -3."""
        a, b = Parameter("a"), Parameter("b")
        assert ((a * b) * (a + b)).grad({a: -2, b: 3})[a] == -3.0

    def test_a_plus_a_accumulates(self):
        """a + a has derivative 2: both uses accumulate."""
        a = Parameter("a")
        assert (a + a).grad({a: 3.0}) == {a: 2.0}


class TestResults:
    """Shapes and types of values and gradients."""

    def test_batch_evaluation_broadcasts(self):
        """Arrays of samples evaluate in one call, scalar parameters broadcasting."""
        x1, x2 = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
        batch = PERCEPTRON(UNTRAINED, {X1: x1, X2: x2})
        singles = [PERCEPTRON(UNTRAINED, {X1: a, X2: b}) for a, b in TRUTH_TABLE]
        assert batch.dtype == np.float64
        assert batch.tolist() == singles

    def test_batch_gradient_is_summed(self):
        """Over a batch, grad is the sum of the per-sample gradients, as floats."""
        grads = PERCEPTRON.grad(UNTRAINED, {X1: np.array([0, 0, 1, 1]), X2: np.array([0, 1, 0, 1])})
        singles = [PERCEPTRON.grad(UNTRAINED, {X1: a, X2: b}) for a, b in TRUTH_TABLE]
        for p in (W1, W2, B):
            assert type(grads[p]) is float
            assert grads[p] == pytest.approx(sum(g[p] for g in singles), rel=1e-15)

    def test_every_parameter_gets_an_entry(self):
        """A parameter whose gradient is zero still appears, as 0.0 or zeros of its shape."""
        w, v, x = Parameter("w"), Parameter("v"), Input("x")
        expr = w * x + v * 0.0 * x
        grads = expr.grad({w: 1.0, v: np.ones(3)}, {x: 0.0})
        assert grads[w] == 0.0
        assert grads[v].tolist() == [0.0, 0.0, 0.0]

    def test_array_parameter_gradient_shape(self):
        """A bias vector added to a batch gets a gradient shaped like the bias."""
        bias, x = Parameter("bias"), Input("x")
        expr = (x + bias) ** 2
        samples = np.arange(12.0).reshape(4, 3)
        grads = expr.grad({bias: np.zeros(3)}, {x: samples})
        np.testing.assert_allclose(grads[bias], 2 * samples.sum(axis=0))
        column = Parameter("column")
        grads = (x * column).grad({column: np.ones((4, 1))}, {x: samples})
        np.testing.assert_allclose(grads[column], samples.sum(axis=1, keepdims=True))

    def test_constant_and_leaf_roots(self):
        """A leaf or constant on its own evaluates and differentiates."""
        w = Parameter("w")
        assert w({w: 2}) == 2.0 and w.grad({w: 2}) == {w: 1.0}
        assert Constant(4)() == 4.0 and Constant(4).grad() == {}
        x = Input("x")
        assert x({}, {x: 3}) == 3.0 and x.grad({}, {x: 3}) == {}

    def test_dicts_are_not_mutated(self):
        """Neither evaluation nor grad changes the dicts or arrays they are given."""
        params = {W1: np.array([1.0, 2.0]), W2: 1.0, B: 0.0}
        inputs = {X1: np.array([0.5, 1.0]), X2: 2.0}
        before = ({k: np.copy(v) for k, v in params.items()}, {k: np.copy(v) for k, v in inputs.items()})
        PERCEPTRON(params, inputs)
        PERCEPTRON.grad(params, inputs)
        for supplied, saved in zip((params, inputs), before):
            assert supplied.keys() == saved.keys()
            for key in supplied:
                np.testing.assert_array_equal(supplied[key], saved[key])

    def test_extra_dict_entries_are_ignored(self):
        """Values for nodes the expression does not use are simply not read."""
        assert PERCEPTRON({**UNTRAINED, Parameter("unused"): 5.0}, {X1: 0, X2: 0, LABEL: 1}) == 0.5

    def test_values_of_other_types_are_converted(self):
        """Ints, bools, NumPy scalars, lists and 0-d arrays are accepted as float64."""
        w, x = Parameter("w"), Input("x")
        assert (w * x)({w: np.int32(2)}, {x: True}) == 2.0
        assert (w * x)({w: np.array(2.0)}, {x: [1, 2]}).tolist() == [2.0, 4.0]
        assert type((w * x).grad({w: np.array(2.0)}, {x: 3})[w]) is float


class TestSharing:
    """Each distinct node is computed once per call, however often it is shared."""

    def test_sixty_level_shared_dag(self, monkeypatch):
        """x_{k+1} = x_k*x_k + x_k over 60 levels runs 60 multiplies, not 2**60."""
        calls = []
        original = Multiply.forward
        monkeypatch.setattr(Multiply, "forward", lambda self, a, b: calls.append(1) or original(self, a, b))
        x0 = Parameter("x0")
        x = x0
        for _ in range(60):
            x = x * x + x
        value, derivative = -0.5, 1.0
        for _ in range(60):
            value, derivative = value * value + value, derivative * (2 * value + 1)
        assert x({x0: -0.5}) == pytest.approx(value, rel=1e-12)
        assert len(calls) == 60
        calls.clear()
        assert x.grad({x0: -0.5})[x0] == pytest.approx(derivative, rel=1e-12)
        assert len(calls) == 60


@pytest.mark.slow
class TestDeepGraphs:
    """Iterative traversal: depth is no limit."""

    def test_chain_of_100000_nodes(self):
        """A chain of 100 000 operations evaluates, differentiates and prints."""
        w = Parameter("w")
        expr = w
        for _ in range(50_000):
            expr = Sin(expr) * 0.5
        assert expr({w: 0.3}) == pytest.approx(0.0, abs=1e-300)
        assert expr.grad({w: 0.3})[w] == pytest.approx(0.0, abs=1e-300)
        chain = w
        for _ in range(100_000):
            chain = chain + 1.0
        assert chain({w: 0.5}) == 100_000.5
        assert chain.grad({w: 0.5}) == {w: 1.0}
        assert str(chain).startswith("w + 1 + 1")

    def test_python_sum_of_100000_terms(self):
        """sum() of 100 000 parameter terms: value and every gradient entry."""
        x = Input("x")
        weights = [Parameter(f"w{i}") for i in range(100_000)]
        total = sum(w * x for w in weights)
        params = {w: float(i) for i, w in enumerate(weights)}
        assert total(params, {x: 2.0}) == 2.0 * sum(range(100_000))
        grads = total.grad(params, {x: 2.0})
        assert len(grads) == 100_000 and set(grads.values()) == {2.0}


class TestPlans:
    """Plans are cached per root and hold no reference cycle."""

    def test_plan_is_cached_and_reused(self):
        """The second evaluation reuses the first call's plan object."""
        expr = Tanh(Parameter("w") * 2)
        expr({expr.child.lhs: 1.0})
        plan = expr._plan
        expr.grad({expr.child.lhs: 1.0})
        assert plan is not None and expr._plan is plan

    def test_no_reference_cycle(self):
        """An evaluated expression is freed by reference counting alone, without the gc."""
        gc.disable()
        try:
            w, x = Parameter("w"), Input("x")
            expr = Sigmoid(w * x + 1)
            expr({w: 1.0}, {x: 2.0})
            expr.grad({w: 1.0}, {x: 2.0})
            alive = weakref.ref(expr)
            del expr
            assert alive() is None
        finally:
            gc.enable()

    def test_concurrent_evaluation(self):
        """Threads evaluating one expression with different values all get their own answers."""
        loss = -(LABEL * Log(PERCEPTRON) + (1 - LABEL) * Log(1 - PERCEPTRON))
        inputs = {X1: np.array([0, 0, 1, 1]), X2: np.array([0, 1, 0, 1]), LABEL: np.array([0, 0, 0, 1])}
        settings_ = [{W1: w, W2: -w, B: 0.1 * w} for w in np.linspace(-2, 2, 16)]
        expected = [loss.grad(p, inputs) for p in settings_]
        results = [None] * len(settings_)

        def work(k):
            for _ in range(50):
                results[k] = loss.grad(settings_[k], inputs)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(len(settings_))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == expected


# -- property: random DAGs with shared subexpressions -------------------------
_BUILDERS = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * Tanh(b),
    lambda a, b: Sin(a),
    lambda a, b: Sigmoid(a) * b,
    lambda a, b: Tanh(a),
]


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, len(_BUILDERS) - 1), st.integers(0, 10**6), st.integers(0, 10**6)),
        min_size=1, max_size=14,
    ),
    values=st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3),
    samples=st.lists(st.floats(-1.0, 1.0), min_size=4, max_size=4),
)
def test_random_dags_match_finite_differences(steps, values, samples):
    """On random DAGs with shared nodes, grad agrees with central differences."""
    params = [Parameter(f"p{i}") for i in range(3)]
    x = Input("x")
    nodes = [*params, x]
    for op, i, j in steps:
        nodes.append(_BUILDERS[op](nodes[i % len(nodes)], nodes[j % len(nodes)]))
    root = nodes[-1]
    bound = dict(zip(params, values))
    inputs = {x: np.array(samples)}
    exact = root.grad(bound, inputs)
    numeric = numeric_grad(root, bound, inputs)
    assert exact.keys() == numeric.keys()
    for p in exact:
        assert exact[p] == pytest.approx(numeric[p], rel=1e-5, abs=1e-7)


class TestScalarSemantics:
    """Scalars follow NumPy's rules exactly as arrays do."""

    @pytest.mark.parametrize("build, values", [
        (lambda a, b: a / b, (1.0, 0.0)),
        (lambda a, b: a**b, (0.0, -1.0)),
        (lambda a, b: a**b, (1e200, 2.0)),
    ])
    def test_overflow_and_division_by_zero_give_inf_with_a_warning(self, build, values):
        """1/0, 0**-1 and 1e200**2 are inf with NumPy's RuntimeWarning, scalar or array alike."""
        a, b = Parameter("a"), Parameter("b")
        expr = build(a, b)
        with pytest.warns(RuntimeWarning):
            scalar = expr(dict(zip((a, b), values)))
        with pytest.warns(RuntimeWarning):
            array = expr({a: np.array([values[0]]), b: values[1]})
        assert scalar == math.inf and array.tolist() == [math.inf]
