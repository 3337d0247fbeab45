"""Derivatives at kinks, ties and the edges of domains: PyTorch's conventions, documented in
docs/operations.md, and the numerically careful forms."""

import warnings

import numpy as np
import pytest

import exprdiff
from exprdiff import Parameter, diff

a, b = Parameter("a"), Parameter("b")


def grads(expr, **values):
    """The gradient per parameter name, for arrays of the values given."""
    params = {a: np.array(values["a"], dtype=float)}
    if "b" in values:
        params[b] = np.array(values["b"], dtype=float)
    found = expr.grad(params)
    return [found[p].tolist() for p in params]


def silently(function):
    """Run ``function`` turning every warning into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return function()


# -- (exprdiff expression, torch function, operand values): the gradients must be PyTorch's ----
KINKS = {
    "maximum tie": (exprdiff.Maximum(a, b), "maximum", [1.0, 2.0, 3.0], [1.0, 2.0, 0.0]),
    "minimum tie": (exprdiff.Minimum(a, b), "minimum", [1.0, 2.0, 3.0], [1.0, 2.0, 0.0]),
    "fmax tie and nan": (exprdiff.Fmax(a, b), "fmax", [1.0, np.nan, 2.0, 1.0], [1.0, 1.0, np.nan, 3.0]),
    "fmin tie and nan": (exprdiff.Fmin(a, b), "fmin", [1.0, np.nan, 2.0, 1.0], [1.0, 1.0, np.nan, 0.0]),
    "relu at 0": (exprdiff.ReLU(a), "relu", [-1.0, 0.0, 1.0]),
    "abs at 0": (exprdiff.Abs(a), "abs", [-1.0, 0.0, 1.0]),
    "leaky relu at 0": (exprdiff.LeakyReLU(a, 0.1), lambda t, x: t.nn.functional.leaky_relu(x, 0.1),
                        [-1.0, 0.0, 1.0]),
    "elu at 0": (exprdiff.ELU(a, 0.5), lambda t, x: t.nn.functional.elu(x, 0.5), [-1.0, 0.0, 1.0]),
    "floor at integers": (exprdiff.Floor(a), "floor", [-1.0, 0.0, 2.5]),
    "ceil at integers": (exprdiff.Ceil(a), "ceil", [-1.0, 0.0, 2.5]),
    "round at halves": (exprdiff.Round(a), "round", [0.5, 1.5, 2.0]),
    "sign at 0": (exprdiff.Sign(a), "sign", [-1.0, 0.0, 1.0]),
    "mod at a multiple": (exprdiff.Mod(a, b), "remainder", [4.0, -4.0, 5.5, -5.5], [2.0, 2.0, 2.0, 2.0]),
    "arctan2 at the origin": (exprdiff.Arctan2(a, b), "atan2", [0.0, 1.0], [0.0, 1.0]),
    "amax ties": (exprdiff.Max(a), "amax", [1.0, 3.0, 3.0, 2.0]),
    "amin ties along an axis": (exprdiff.Min(a, axis=1), lambda t, x: t.amin(x, dim=1),
                                [[1.0, 1.0], [0.0, 2.0]]),
    "prod with one zero": (exprdiff.Prod(a), "prod", [2.0, 0.0, 3.0]),
    "prod with two zeros": (exprdiff.Prod(a), "prod", [2.0, 0.0, 0.0]),
    "std of equal elements": (exprdiff.Std(a), lambda t, x: t.std(x, unbiased=False), [2.0, 2.0]),
    "arcsin at the ends": (exprdiff.Arcsin(a), "asin", [-1.0, 1.0]),
    "arccos at the ends": (exprdiff.Arccos(a), "acos", [-1.0, 1.0]),
    "arctanh at the ends": (exprdiff.Arctanh(a), "atanh", [-1.0, 1.0]),
    "arccosh at 1": (exprdiff.Arccosh(a), "acosh", [1.0]),
    "log1p at -1": (exprdiff.Log1p(a), "log1p", [-1.0]),
    "cbrt at 0": (exprdiff.Cbrt(a), lambda t, x: t.pow(x, 1 / 3), [0.0]),
}


@pytest.mark.parametrize("case", sorted(KINKS))
def test_kinks_and_edges_follow_pytorch(case):
    """Each gradient at a kink, a tie or a domain's edge is the one PyTorch computes (up to
    the last bit: arctan2's derivatives divide by hypot(a, b) twice, never overflowing)."""
    torch = pytest.importorskip("torch")
    expr, function, *operands = KINKS[case]
    if isinstance(function, str):
        name = function

        def function(t, *xs):
            return getattr(t, name)(*xs)

    tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in operands]
    function(torch, *tensors).sum().backward()
    expected = [t.grad.numpy() for t in tensors]
    params = {p: np.array(v, dtype=float) for p, v in zip((a, b), operands)}
    with np.errstate(divide="ignore", invalid="ignore"):
        found = expr.grad(params)
    for p, want in zip(params, expected):
        np.testing.assert_allclose(found[p], want, rtol=2e-16, atol=0, err_msg=case)


def test_where_pytorch_differs_hypot_at_the_origin_is_zero():
    """hypot(0, 0): both derivatives 0 (the subgradient of a norm, as Abs'(0) and
    torch.linalg.vector_norm), where torch.hypot gives NaN; no warning."""
    assert silently(lambda: grads(exprdiff.Hypot(a, b), a=[0.0, 3.0], b=[0.0, 4.0])) == [
        [0.0, 0.6], [0.0, 0.8]]
    assert silently(lambda: exprdiff.Hypot(a, b).grad({a: 0.0, b: 0.0})) == {a: 0.0, b: 0.0}


def test_maximum_ties_split_the_gradient_in_the_symbolic_derivative_too():
    """diff gives the same half at a tie, and its value at a tie is the numeric one."""
    derivative = diff(exprdiff.Maximum(a, b), a)
    assert derivative({a: 2.0, b: 2.0}) == 0.5 == exprdiff.Maximum(a, b).grad({a: 2.0, b: 2.0})[a]
    assert derivative({a: np.array([1.0, 3.0]), b: 2.0}).tolist() == [0.0, 1.0]


def test_rounding_has_derivative_zero_everywhere():
    """floor, ceil and round: 0 everywhere, at their jumps too; symbolically 0."""
    for op in (exprdiff.Floor, exprdiff.Ceil, exprdiff.Round):
        assert grads(op(a * 3), a=[0.0, 1 / 3, 0.5, 2.0]) == [[0.0, 0.0, 0.0, 0.0]]
        assert str(diff(op(a * 3), a)) == "0"


def test_mod_derivatives_follow_numpys_definition():
    """mod(a, b) = a - floor(a/b)*b: 1 for a, -floor(a/b) for b; the sign of b as NumPy."""
    expr = exprdiff.Mod(a, b)
    assert expr({a: -5.5, b: 2.0}) == np.mod(-5.5, 2.0) == 0.5
    assert expr({a: 5.5, b: -2.0}) == np.mod(5.5, -2.0) == -0.5
    assert grads(expr, a=[5.5, -5.5, 5.5], b=[2.0, 2.0, -2.0]) == [[1.0, 1.0, 1.0],
                                                                  [-2.0, 3.0, 3.0]]


def test_infinite_slopes_at_domain_ends_warn_as_numpy():
    """At ±1 arcsin, arccos and arctanh have infinite slopes, with NumPy's divide warning (the
    values themselves are finite and quiet), as Log'(0)."""
    for op, sign in ((exprdiff.Arcsin, 1), (exprdiff.Arccos, -1)):
        assert silently(lambda op=op: op(a)({a: np.array([-1.0, 1.0])})).tolist() == \
            np.asarray(op.ufunc(np.array([-1.0, 1.0]))).tolist()
        with pytest.warns(RuntimeWarning, match="divide by zero"):
            assert op(a).grad({a: np.array([-1.0, 1.0])})[a].tolist() == [sign * np.inf] * 2
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert exprdiff.Arctanh(a).grad({a: 1.0}) == {a: np.inf}
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert exprdiff.Log(a).grad({a: 0.0}) == {a: np.inf}


class TestCarefulForms:
    """The numerically careful forms keep their digits and neither overflow nor warn."""

    def test_log1p_and_expm1_near_zero(self):
        """log1p(1e-18) and expm1(1e-18) are 1e-18 (log(1 + x) would be 0), slopes 1."""
        for op in (exprdiff.Log1p, exprdiff.Expm1):
            assert silently(lambda op=op: op(a)({a: 1e-18})) == 1e-18
            assert silently(lambda op=op: op(a).grad({a: 1e-18})) == {a: 1.0}

    def test_arcsinh_of_large_magnitudes(self):
        """arcsinh(±1e300) is finite and its slope 1/sqrt(1 + x**2) is 1e-300, not 0 (x**2
        overflows): computed as 1/cosh(arcsinh(x)), to about |arcsinh(x)| ulp."""
        values = np.array([-1e300, 1e200, 1e300])
        assert silently(lambda: np.all(np.isfinite(exprdiff.Arcsinh(a)({a: values}))))
        slopes = silently(lambda: exprdiff.Arcsinh(a).grad({a: values}))[a]
        np.testing.assert_allclose(slopes, 1 / np.abs(values), rtol=1e-13)

    def test_logaddexp_of_large_arguments(self):
        """logaddexp(±1000, ±1000) is exact, its derivatives exactly 1/2; one side much larger
        gives 1 and 0; logaddexp2 the same."""
        assert silently(lambda: exprdiff.Logaddexp(a, b)({a: -1000.0, b: -1000.0})) == \
            -1000 + np.log(2)
        assert silently(lambda: exprdiff.Logaddexp(a, b).grad({a: 1e300, b: 1e300})) == \
            {a: 0.5, b: 0.5}
        assert silently(lambda: grads(exprdiff.Logaddexp(a, b), a=[1000.0], b=[-1000.0])) == \
            [[1.0], [0.0]]
        assert silently(lambda: exprdiff.Logaddexp2(a, b).grad({a: 1000.0, b: 1000.0})) == \
            {a: 0.5, b: 0.5}

    def test_hypot_without_overflow(self):
        """hypot(3e300, 4e300) is 5e300; the slopes are 0.6 and 0.8."""
        assert silently(lambda: exprdiff.Hypot(a, b)({a: 3e300, b: 4e300})) == 5e300
        found = silently(lambda: exprdiff.Hypot(a, b).grad({a: 3e300, b: 4e300}))
        assert found[a] == pytest.approx(0.6, rel=1e-15) and found[b] == pytest.approx(0.8, rel=1e-15)

    @pytest.mark.parametrize("op", [exprdiff.SiLU, exprdiff.GELU, exprdiff.ELU, exprdiff.LeakyReLU,
                                    exprdiff.Sigmoid, exprdiff.Softplus])
    def test_activations_at_large_magnitudes(self, op):
        """The activations neither overflow nor warn at ±1000; their slopes are 0 or 1 there."""
        values = np.array([-1000.0, 1000.0])
        out = silently(lambda: op(a)({a: values}))
        slopes = silently(lambda: op(a).grad({a: values}))[a]
        assert np.all(np.isfinite(out)) and slopes[1] == 1.0 or op is exprdiff.Sigmoid
        assert abs(slopes[0]) <= 0.01


def test_gelu_is_the_tanh_approximation_within_5e_4_of_the_exact_one():
    """GELU is PyTorch's GELU(approximate="tanh") to the last bits, and within 5e-4 of the exact
    x * Phi(x) everywhere (docs/operations.md, GELU's docstring): gelu(1) = 0.841192."""
    from math import erf, sqrt

    x = np.linspace(-8.0, 8.0, 16001)
    value = exprdiff.GELU(a)({a: x})
    exact = np.array([0.5 * v * (1 + erf(v / sqrt(2))) for v in x])
    assert 4e-4 < np.max(np.abs(value - exact)) < 5e-4
    assert round(exprdiff.GELU(a)({a: 1.0}), 6) == 0.841192
    torch = pytest.importorskip("torch")
    tensor = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.gelu(tensor, approximate="tanh").sum().backward()
    # for x << 0, 1 + tanh(...) cancels: the last bits of the two tanh's show as ~x*eps
    np.testing.assert_allclose(value, torch.nn.functional.gelu(
        torch.tensor(x), approximate="tanh").numpy(), rtol=1e-14, atol=16 * 8 * 2.2e-16)
    np.testing.assert_allclose(exprdiff.GELU(a).grad({a: x})[a], tensor.grad.numpy(),
                               rtol=1e-13, atol=16 * 8 * 2.2e-16)
