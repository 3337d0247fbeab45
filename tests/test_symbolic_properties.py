"""Properties of diff, simplify and printing on random expressions (hypothesis)."""

import numpy as np
from expression_strategies import NAMESPACE, W1, W2, X, expressions, points
from hypothesis import assume, given, settings

from exprdiff import as_node, evaluate_derivatives, gradients, simplify

SETTINGS = settings(max_examples=60, deadline=None)


def finite_value(expr, params, inputs):
    """The value when it is finite and moderate, else None."""
    with np.errstate(all="ignore"):
        value = np.asarray(expr(params, inputs))
    return value if np.all(np.isfinite(value)) and np.max(np.abs(value)) < 1e6 else None


@SETTINGS
@given(expressions(), points())
def test_simplify_keeps_the_value_where_it_is_defined(expr, point):
    """Wherever the original is finite, the simplified expression has the same value."""
    params, inputs = point
    value = finite_value(expr, params, inputs)
    assume(value is not None)
    with np.errstate(all="ignore"):
        simplified = np.broadcast_to(simplify(expr)(params, inputs), value.shape)
    np.testing.assert_allclose(simplified, value, rtol=1e-7, atol=1e-7)


@SETTINGS
@given(expressions())
def test_simplify_is_idempotent(expr):
    """Simplifying a simplified expression gives a structurally equal one."""
    once = simplify(expr)
    assert simplify(once).equals(once), f"{once} -> {simplify(once)}"


@SETTINGS
@given(expressions(), points())
def test_symbolic_gradients_agree_with_reverse_mode(expr, point):
    """Evaluated symbolic derivatives, summed over the batch, equal the numeric grad."""
    params, inputs = point
    assume(finite_value(expr, params, inputs) is not None)
    with np.errstate(all="ignore"):
        numeric = expr.grad(params, inputs)
        symbolic = evaluate_derivatives(expr, gradients(expr), params, inputs)
    assume(all(np.isfinite(v) and abs(v) < 1e6 for v in numeric.values()))
    assert list(symbolic) == list(numeric)
    for param in numeric:
        np.testing.assert_allclose(symbolic[param], numeric[param], rtol=1e-6, atol=1e-6)


@SETTINGS
@given(expressions(), points())
def test_printed_text_parses_back_to_the_same_values(expr, point):
    """``eval(str(expr))`` with the leaves and functions in scope rebuilds the same values."""
    params, inputs = point
    value = finite_value(expr, params, inputs)
    assume(value is not None)
    for candidate in (expr, simplify(expr)):
        rebuilt = as_node(eval(str(candidate), {"__builtins__": {}}, dict(NAMESPACE)))
        with np.errstate(all="ignore"):
            again = np.broadcast_to(rebuilt(params, inputs), value.shape)
        np.testing.assert_allclose(again, value, rtol=1e-7, atol=1e-7)


def test_strategy_builds_shared_subexpressions():
    """The generator's leaves are the shared module-level nodes the namespace names."""
    assert NAMESPACE["w1"] is W1 and NAMESPACE["w2"] is W2 and NAMESPACE["x"] is X
