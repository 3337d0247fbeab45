"""Every operation's value and derivative rule, checked against NumPy, central differences and
JAX (float64, when installed), to the second derivative, on one sample and on batches.

The points come from each op's domain in the op table (tests/op_table.py), its ends included
(a thousandth of the width inside): ±1 for arcsin, -1 for log1p, 1 for arccosh.
"""

import warnings

import numpy as np
import pytest
from op_table import TABLE

from exprdiff import Abs, Arcsin, Input, Parameter, ReLU, Sigmoid, Sign, Softplus, diff
from exprdiff.ops import BUILTIN_OPS
from exprdiff.symbolic.finite_differences import numeric_grad

SMOOTH_ROWS = sorted(name for name, row in TABLE.items() if not row.condition)
JAX_ROWS = sorted(name for name, row in TABLE.items() if row.jax is not None)


@pytest.fixture(scope="module")
def jax():
    """JAX in float64, or a skip when it is not installed."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def test_every_operation_has_a_row():
    """The op table (tests/op_table.py) covers exactly the elementwise built-in operations.

    The array operations (not elementwise) have their own tests in test_arrays.py.
    """
    assert sorted(TABLE) == sorted(op.__name__ for op in BUILTIN_OPS if op.elementwise)


def _points(domains, rng, count=5):
    """Operand values: each domain's lowest and highest points, then random ones."""
    ends = [[d.ends[0] for d in domains], [d.ends[1] for d in domains]]
    return ends + [[d.sample(rng) for d in domains] for _ in range(count)]


def _setup(name):
    row = TABLE[name]
    params = [Parameter(f"p{i}") for i in range(len(row.domains))]
    return row, params, row.build(*params)


@pytest.mark.parametrize("name", sorted(TABLE))
class TestEveryOperation:
    """Values match NumPy and gradients match central differences, scalar and batched."""

    def test_scalar_value_and_gradient(self, name):
        """On scalar parameters, at the domain's ends and inside, value and grad are NumPy's
        and central differences' (a condition's gradient is exactly 0)."""
        row, params, expr = _setup(name)
        rng = np.random.default_rng(0)
        for values in _points(row.domains, rng):
            bound = dict(zip(params, values))
            value = expr(bound)
            if row.condition:
                assert type(value) is bool and value == bool(row.reference(*values))
                assert expr.grad(bound) == {p: 0.0 for p in params}
                continue
            assert value == pytest.approx(row.reference(*values), rel=1e-12, abs=1e-15)
            exact, numeric = expr.grad(bound), numeric_grad(expr, bound)
            for p in params:
                assert type(exact[p]) is float
                assert exact[p] == pytest.approx(numeric[p], rel=1e-6, abs=1e-8)

    def test_batched_gradient_is_the_sum_over_the_batch(self, name):
        """With a batch of inputs beside scalar parameters, grad is the sum of per-sample grads."""
        row, params, _ = _setup(name)
        rng = np.random.default_rng(1)
        batch = Input("batch")
        # the first operand varies over a batch of 6 samples: p0 * batch
        expr = row.build(params[0] * batch, *params[1:])
        values = [d.sample(rng) for d in row.domains]
        samples = rng.uniform(0.5, 1.0, size=6)
        bound = dict(zip(params, values))
        out = expr(bound, {batch: samples})
        expected = row.reference(values[0] * samples, *values[1:])
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)
        if row.condition:
            return
        exact = expr.grad(bound, {batch: samples})
        numeric = numeric_grad(expr, bound, {batch: samples})
        per_sample = [expr.grad(bound, {batch: s}) for s in samples]
        for p in params:
            assert exact[p] == pytest.approx(numeric[p], rel=1e-6, abs=1e-8)
            assert exact[p] == pytest.approx(sum(g[p] for g in per_sample), rel=1e-12)

    def test_array_parameter_gradient(self, name):
        """Array-valued parameters get array gradients of their own shape."""
        row, params, expr = _setup(name)
        rng = np.random.default_rng(2)
        bound = dict(zip(params, [d.sample(rng, (2, 3)) for d in row.domains]))
        exact, numeric = expr.grad(bound), numeric_grad(expr, bound)
        for p in params:
            assert exact[p].shape == (2, 3)
            np.testing.assert_allclose(exact[p], numeric[p], rtol=1e-6, atol=1e-8)

    def test_one_sample_is_a_one_element_batch(self, name):
        """A scalar and a one-element batch give the same bits, value and gradient, and the same
        warnings (every path has one semantics)."""
        row, params, expr = _setup(name)
        rng = np.random.default_rng(3)
        for values in _points(row.domains, rng, count=2):
            scalar, batch = dict(zip(params, values)), {p: np.array([v]) for p, v in zip(params, values)}
            with warnings.catch_warnings(record=True) as scalar_warnings:
                warnings.simplefilter("always")
                value, grads = expr(scalar), expr.grad(scalar)
            with warnings.catch_warnings(record=True) as batch_warnings:
                warnings.simplefilter("always")
                batch_value, batch_grads = expr(batch), expr.grad(batch)
            np.testing.assert_array_equal(np.array([value]), batch_value)
            for p in params:
                np.testing.assert_array_equal(np.array([grads[p]]), batch_grads[p])
            assert ({str(w.message) for w in scalar_warnings}
                    == {str(w.message) for w in batch_warnings})


@pytest.mark.parametrize("name", SMOOTH_ROWS)
def test_second_derivative_through_diff_of_diff(name):
    """diff(diff(op, p_i), p_j), evaluated, is the central difference of the first derivative."""
    row, params, expr = _setup(name)
    rng = np.random.default_rng(4)
    for values in _points(row.domains, rng, count=3):
        bound = dict(zip(params, values))
        for p in params:
            first = diff(expr, p)
            for q in params:
                second = diff(first, q)(bound)
                numeric = numeric_grad(first, bound, step=1e-5)[q] if q in first.grad(bound) \
                    else 0.0
                scale = max(1.0, abs(second))
                assert second == pytest.approx(numeric, rel=1e-4, abs=1e-5 * scale), (p, q)


@pytest.mark.parametrize("name", JAX_ROWS)
def test_first_and_second_derivatives_are_jaxs(name, jax):
    """JAX in float64 (jax.grad, and jax.grad of jax.grad) gives the same derivatives, at the
    domain's ends and inside, on scalars and on arrays."""
    row, params, expr = _setup(name)
    rng = np.random.default_rng(5)

    def total(*operands):
        return jax.numpy.sum(row.jax(jax, *operands))

    for values in _points(row.domains, rng, count=3):
        bound = dict(zip(params, values))
        grads = expr.grad(bound)
        for i, p in enumerate(params):
            first = jax.grad(total, argnums=i)
            assert grads[p] == pytest.approx(float(first(*values)), rel=1e-10, abs=1e-12)
            derivative = diff(expr, p)
            for j, q in enumerate(params):
                expected = float(jax.grad(first, argnums=j)(*values))
                second = diff(derivative, q)(bound)
                assert second == pytest.approx(expected, rel=1e-9, abs=1e-11), (p, q)
    arrays = [d.sample(rng, (2, 3)) for d in row.domains]
    grads = expr.grad(dict(zip(params, arrays)))
    for i, p in enumerate(params):
        expected = np.asarray(jax.grad(total, argnums=i)(*arrays))
        np.testing.assert_allclose(grads[p], expected, rtol=1e-10, atol=1e-12)


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
