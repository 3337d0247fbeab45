"""One sample computes exactly as a one-element batch: NumPy's rules, never Python's (issue 11.2).

The engine enters scalars as float64 scalars and every operation keeps them
so (no Python floats, whose ``1/0`` raises and whose ``(-1)**0.5`` is
complex), and it calls ufuncs rather than operators that NumPy implements
differently for scalars (``**`` on a float64 scalar calls the C library's
``pow``, which differs in the last bit from ``np.power`` on arrays).

These tests run with ``EXPRDIFF_COMPILED=numpy``: NumPy's code on scalars too.
By default repeated scalar calls take compiled plain-float code (the `math`
module, issue 13), whose transcendental functions are within
``PLAIN_FLOAT_ULPS`` of NumPy's, not bit for bit (tests/test_compiled.py).
"""

import warnings

import numpy as np
import pytest

from exprdiff import Abs, Clip, Input, Log, Parameter, Sigmoid, Tanh


@pytest.fixture(autouse=True)
def numpy_on_scalars(monkeypatch):
    """NumPy's code on scalars on every path (see the module docstring)."""
    monkeypatch.setenv("EXPRDIFF_COMPILED", "numpy")


def run(expr, params, inputs):
    """Value, gradient and the warning categories raised computing them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = expr(params, inputs)
        grads = expr.grad(params, inputs)
    return value, grads, sorted({w.category.__name__ for w in caught})


def as_batch(values):
    return {node: np.array([value]) for node, value in values.items()}


def assert_scalar_is_one_element_batch(expr, params, inputs):
    """Scalar and one-element batch: the same bits, NaN and inf included, and the same warnings."""
    value, grads, warned = run(expr, params, inputs)
    batch_value, batch_grads, batch_warned = run(expr, as_batch(params), as_batch(inputs))
    assert type(value) is float and batch_value.shape == (1,)
    np.testing.assert_array_equal(np.array([value]), batch_value)
    assert grads.keys() == batch_grads.keys()
    for param, g in grads.items():
        assert type(g) is float
        np.testing.assert_array_equal(np.array([g]), batch_grads[param])
    assert warned == batch_warned
    return value, grads, warned


w, x = Parameter("w"), Input("x")


def test_clip_to_the_power_of_a_sigmoid_is_nan_on_one_sample_too():
    """(-1)**0.5 is NaN with a RuntimeWarning, on a sample as on a batch (it was 1.0)."""
    value, _, warned = assert_scalar_is_one_element_batch(
        Abs(Clip(w, -2, 2) ** Sigmoid(x)), {w: -1.0}, {x: 0.0})
    assert np.isnan(value) and warned == ["RuntimeWarning"]


def test_log_sigmoid_gradient_at_minus_1000_follows_numpy():
    """log(sigmoid(w)) at -1000: the same on a sample and a batch (no ZeroDivisionError); the
    plan-time rewrite to -softplus(-w) makes it the right finite answer, -1000 with slope 1,
    where the written form gives -inf and a nan gradient with warnings."""
    value, grads, warned = assert_scalar_is_one_element_batch(Log(Sigmoid(w)), {w: -1000.0}, {})
    assert value == -1000.0 and grads[w] == 1.0 and warned == []


def test_a_quotient_of_sigmoids_divides_by_zero_to_inf():
    """sigmoid(w)/sigmoid(x) at x = -1000 is inf with a warning, as on a batch."""
    value, grads, warned = assert_scalar_is_one_element_batch(
        Sigmoid(w) / Sigmoid(x), {w: 0.0}, {x: -1000.0})
    assert value == np.inf and grads[w] == np.inf and warned == ["RuntimeWarning"]


def test_clipped_power_overflows_to_inf():
    """10**1000 is inf with an overflow warning (it was an OverflowError)."""
    value, _, warned = assert_scalar_is_one_element_batch(
        Clip(x, 0, 10) ** Clip(w, -1e3, 1e3), {w: 1000.0}, {x: 10.0})
    assert value == np.inf and warned == ["RuntimeWarning"]


def test_sigmoid_and_clip_give_float64_scalars():
    """The forward functions keep a float64 scalar a float64 scalar."""
    assert type(Sigmoid(w).forward(np.float64(0.5))) is np.float64
    assert type(Clip(w, 0, 1).forward(np.float64(0.5))) is np.float64


@pytest.mark.parametrize("build", [lambda a, b: a**b, lambda a, b: Tanh(a) * b, lambda a, b: a ** 2 * b],
                         ids=["power", "tanh", "square"])
def test_powers_are_bit_identical_on_scalars_and_batches(build):
    """Over 2000 random points, powers (and tanh's rule, out**2) agree to the last bit."""
    a, b = Parameter("a"), Parameter("b")
    rng = np.random.default_rng(0)
    bases, exponents = rng.uniform(0.1, 10, 2000), rng.normal(0, 3, 2000)
    expr = build(a, b)
    batch_value = expr({a: bases, b: exponents})
    batch_grads = expr.grad({a: bases, b: exponents})
    for i in range(len(bases)):
        point = {a: float(bases[i]), b: float(exponents[i])}
        assert expr(point) == batch_value[i]
        grads = expr.grad(point)
        assert grads[a] == batch_grads[a][i] and grads[b] == batch_grads[b][i]


# -- issue 11.7: x**0 and 0**y -------------------------------------------------------------
def test_zero_exponent_has_derivative_zero_everywhere():
    """d/dx x**0 is 0 at x = 0 (it was 0*inf = nan), on scalars, batches and array parameters,
    as diff(x**0, x) says."""
    from exprdiff import Constant, diff

    for exponent in (0.0, Constant(0.0), Input("zero")):
        expr = w**exponent
        inputs = {exponent: 0.0} if isinstance(exponent, Input) else {}
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # and nothing warns
            assert expr.grad({w: 0.0}, inputs) == {w: 0.0}
            np.testing.assert_array_equal(
                expr.grad({w: np.array([0.0, 2.0, -3.0, np.inf])}, inputs)[w], [0.0, 0.0, 0.0, 0.0])
    assert diff(w**0, w)({w: 0.0}) == 0.0


def test_an_exponent_that_is_zero_in_some_batch_elements():
    """Elements whose exponent is 0 get the derivative 0 in the base; the others b*a**(b-1)."""
    a, b = Parameter("a"), Parameter("b")
    grads = (a**b).grad({a: np.array([0.0, 0.0, 2.0]), b: np.array([0.0, 2.0, 3.0])})
    np.testing.assert_array_equal(grads[a], [0.0, 0.0, 12.0])


def test_zero_base_has_slope_zero_in_a_nonnegative_exponent():
    """d/dy 0**y is 0 for y >= 0 (as PyTorch and JAX), NaN for y < 0; batches agree."""
    from exprdiff import Constant

    y = Parameter("y")
    expr = Constant(0.0) ** y
    assert expr.grad({y: 2.0}) == {y: 0.0}
    assert expr.grad({y: 0.0}) == {y: 0.0}
    with pytest.warns(RuntimeWarning):
        assert np.isnan(expr.grad({y: -1.0})[y])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(expr.grad({y: np.array([2.0, 0.0, -1.0])})[y], [0.0, 0.0, np.nan])
    base = Parameter("base")
    assert (base**y).grad({base: 0.0, y: 2.0}) == {base: 0.0, y: 0.0}
    assert_scalar_is_one_element_batch(base**y, {base: 0.0, y: 2.0}, {})


def test_exponents_that_vary_over_a_batch_round_as_one_exponent():
    """Found by the fuzzer: NumPy computes x**2, x**0.5 and x**-1 by special forms (x*x, sqrt,
    1/x) only when the exponent is one number for the whole loop, so a batch whose exponents
    vary rounded differently (and gave inf, not NaN, for (-inf)**0.5) from each sample alone."""
    a, b = Parameter("a"), Parameter("b")
    rng = np.random.default_rng(7)
    bases = np.concatenate([rng.uniform(0.1, 40, 600), [-np.inf, -0.0, 0.0, -4.0, np.inf]])
    exponents = np.resize([2.0, 0.5, -1.0, 1.3, 3.0], bases.size)  # each special exponent, varying
    for expr in (a**b, (a**b) * b, a ** (b + 1.0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            batch_value = expr({a: bases, b: exponents})
            batch_grads = expr.grad({a: bases, b: exponents})
            for i in range(bases.size):
                point = {a: float(bases[i]), b: float(exponents[i])}
                np.testing.assert_array_equal(expr(point), batch_value[i])
                np.testing.assert_array_equal(np.signbit(expr(point)), np.signbit(batch_value[i]))
                grads = expr.grad(point)
                np.testing.assert_array_equal([grads[a], grads[b]], [batch_grads[a][i], batch_grads[b][i]])


def test_a_negative_zero_gradient_keeps_its_sign_through_a_zero_d_array():
    """A rule that gives a 0-d array for a scalar operand (LeakyReLU's np.where) hands on its
    element, -0.0 included, as the exported code does (NumPy's sum of array(-0.0) is +0.0);
    found by the differential fuzzer."""
    from exprdiff import Cos, LeakyReLU, Square, to_python

    p = Parameter("p")
    expr = Cos(Square(LeakyReLU(p, 0.01)))
    g = expr.grad({p: 0.0})[p]
    assert g == 0.0 and np.signbit(g)
    namespace: dict = {}
    exec(to_python(expr, wrt=[p]), namespace)
    exported = namespace["model"](p=0.0)[1]["p"]
    assert exported == 0.0 and np.signbit(exported)
