"""Every operation's value and derivative rule, checked against NumPy and central differences."""

import warnings

import numpy as np
import pytest
from op_table import TABLE

from exprdiff import Abs, Arcsin, Input, Parameter, ReLU, Sigmoid, Sign, Softplus, diff
from exprdiff.ops import BUILTIN_OPS
from exprdiff.symbolic.finite_differences import numeric_grad


def test_every_operation_has_a_row():
    """The op table (tests/op_table.py) covers exactly the elementwise built-in operations.

    The array operations (not elementwise) have their own tests in test_arrays.py.
    """
    assert sorted(TABLE) == sorted(op.__name__ for op in BUILTIN_OPS if op.elementwise)


def _points(domains, rng, count=5):
    """Operand values: each domain's lowest and highest points, then random ones."""
    ends = [[d.ends[0] for d in domains], [d.ends[1] for d in domains]]
    return ends + [[d.sample(rng) for d in domains] for _ in range(count)]


@pytest.mark.parametrize("name", sorted(TABLE))
class TestEveryOperation:
    """Values match NumPy and gradients match central differences, scalar and batched."""

    def test_scalar_value_and_gradient(self, name):
        """On scalar parameters, at the domain's ends and inside, value and grad are NumPy's
        and central differences'."""
        build, reference, domains = TABLE[name]
        rng = np.random.default_rng(0)
        params = [Parameter(f"p{i}") for i in range(len(domains))]
        expr = build(*params)
        for values in _points(domains, rng):
            bound = dict(zip(params, values))
            assert expr(bound) == pytest.approx(reference(*values), rel=1e-12, abs=1e-15)
            exact, numeric = expr.grad(bound), numeric_grad(expr, bound)
            for p in params:
                assert type(exact[p]) is float
                assert exact[p] == pytest.approx(numeric[p], rel=1e-6, abs=1e-8)

    def test_batched_gradient_is_the_sum_over_the_batch(self, name):
        """With a batch of inputs beside scalar parameters, grad is the sum of per-sample grads."""
        build, reference, domains = TABLE[name]
        rng = np.random.default_rng(1)
        params = [Parameter(f"p{i}") for i in range(len(domains))]
        batch = Input("batch")
        # the first operand varies over a batch of 6 samples: p0 * batch
        expr = build(params[0] * batch, *params[1:])
        values = [d.sample(rng) for d in domains]
        samples = rng.uniform(0.5, 1.0, size=6)
        bound = dict(zip(params, values))
        out = expr(bound, {batch: samples})
        expected = reference(values[0] * samples, *values[1:])
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)
        exact = expr.grad(bound, {batch: samples})
        numeric = numeric_grad(expr, bound, {batch: samples})
        per_sample = [expr.grad(bound, {batch: s}) for s in samples]
        for p in params:
            assert exact[p] == pytest.approx(numeric[p], rel=1e-6, abs=1e-8)
            assert exact[p] == pytest.approx(sum(g[p] for g in per_sample), rel=1e-12)

    def test_array_parameter_gradient(self, name):
        """Array-valued parameters get array gradients of their own shape."""
        build, _, domains = TABLE[name]
        rng = np.random.default_rng(2)
        params = [Parameter(f"p{i}") for i in range(len(domains))]
        expr = build(*params)
        bound = dict(zip(params, [d.sample(rng, (2, 3)) for d in domains]))
        exact, numeric = expr.grad(bound), numeric_grad(expr, bound)
        for p in params:
            assert exact[p].shape == (2, 3)
            np.testing.assert_allclose(exact[p], numeric[p], rtol=1e-6, atol=1e-8)


class TestStableForms:
    """Sigmoid and Softplus neither overflow nor warn at large magnitudes (warnings are errors)."""

    def test_sigmoid_at_large_magnitudes(self):
        """sigmoid(±1000) is exactly 1 and 0, with finite derivatives of 0."""
        x = Parameter("x")
        assert Sigmoid(x)({x: 1000.0}) == 1.0
        assert Sigmoid(x)({x: -1000.0}) == 0.0
        assert Sigmoid(x).grad({x: -1000.0})[x] == 0.0
        values = Sigmoid(x)({x: np.array([-1e3, -30.0, 0.0, 30.0, 1e3])})
        tail = np.exp(-30.0) / (1 + np.exp(-30.0))
        np.testing.assert_allclose(values, [0.0, tail, 0.5, 1 - tail, 1.0], rtol=1e-15)

    def test_sigmoid_matches_the_textbook_formula_for_nonnegative_inputs(self):
        """For x >= 0 the stable form is bit-for-bit 1 / (1 + exp(-x))."""
        x = Parameter("x")
        for value in (0.0, 1.0, 2.0, 7.5):
            assert Sigmoid(x)({x: value}) == 1 / (1 + np.exp(-value))

    def test_softplus_at_large_magnitudes(self):
        """softplus(1000) is 1000, softplus(-1000) is 0, derivatives 1 and 0."""
        x = Parameter("x")
        assert Softplus(x)({x: 1000.0}) == 1000.0
        assert Softplus(x)({x: -1000.0}) == 0.0
        assert Softplus(x).grad({x: 1000.0})[x] == 1.0
        assert Softplus(x).grad({x: -1000.0})[x] == 0.0


class TestKinks:
    """Derivatives at kinks follow PyTorch's conventions."""

    @pytest.mark.parametrize("op", [ReLU, Abs, Sign])
    def test_derivative_at_zero_is_zero(self, op):
        """ReLU'(0), Abs'(0) and Sign'(0) are 0."""
        x = Parameter("x")
        assert op(x).grad({x: 0.0})[x] == 0.0

    def test_relu_derivative_either_side(self):
        """ReLU' is 1 for positive and 0 for negative inputs, elementwise."""
        x = Parameter("x")
        assert ReLU(x).grad({x: np.array([-2.0, 0.0, 3.0])})[x].tolist() == [0.0, 0.0, 1.0]


class TestPower:
    """Power: constant exponents on any base, node exponents on positive bases."""

    def test_constant_exponent_on_a_negative_base(self):
        """x**3 at x = -2 is -8 with derivative 12; the exponent's log rule is never run."""
        x = Parameter("x")
        assert (x**3)({x: -2.0}) == -8.0
        assert (x**3).grad({x: -2.0}) == {x: 12.0}

    def test_node_exponent_on_a_positive_base(self):
        """d/db a**b = a**b * log(a)."""
        a, b = Parameter("a"), Parameter("b")
        grads = (a**b).grad({a: 2.0, b: 3.0})
        assert grads[a] == pytest.approx(12.0)
        assert grads[b] == pytest.approx(8 * np.log(2.0))

    def test_input_exponent_does_not_need_a_positive_base(self):
        """An exponent that is an Input gets no gradient, so a negative base is fine."""
        a, n = Parameter("a"), Input("n")
        assert (a**n).grad({a: -2.0}, {n: 2.0}) == {a: -4.0}


class TestArcsin:
    """Arcsin at and beyond the ends of its domain, and its symbolic derivative."""

    def test_near_the_ends(self):
        """Close to ±1 the value is NumPy's and the derivative 1/sqrt(1 - x**2), the differences'."""
        p = Parameter("p")
        for value in (-0.999, -0.99, 0.99, 0.999):
            assert Arcsin(p)({p: value}) == np.arcsin(value)
            exact = Arcsin(p).grad({p: value})[p]
            assert exact == pytest.approx(1 / np.sqrt(1 - value**2), rel=1e-14)
            assert exact == pytest.approx(numeric_grad(Arcsin(p), {p: value}, step=1e-8)[p], rel=1e-5)

    def test_at_the_ends_the_derivative_is_infinite(self):
        """arcsin(±1) = ±pi/2; the derivative there is inf, with NumPy's divide warning (as Sqrt's at 0)."""
        p = Parameter("p")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert Arcsin(p)({p: [-1.0, 1.0]}).tolist() == [-np.pi / 2, np.pi / 2]
        with pytest.warns(RuntimeWarning, match="divide by zero"):
            assert Arcsin(p).grad({p: np.array([-1.0, 1.0])})[p].tolist() == [np.inf, np.inf]

    def test_symbolic_derivative(self):
        """diff(arcsin(x), x) is 1/sqrt((1 - x)*(1 + x)), the engine's rule (exact near ±1)."""
        x = Input("x")
        assert str(diff(Arcsin(x), x)) == "1/sqrt((1 - x)*(1 + x))"
