"""to_sympy / from_sympy: round trips on every op, derivatives agreeing with the engine."""

import numpy as np
import pytest
from _models import Cube, every_op_params, trained_xor

from exprdiff import (
    Constant,
    Input,
    Parameter,
    ReLU,
    Sigmoid,
    Sin,
    Softplus,
    from_sympy,
    to_sympy,
)

sympy = pytest.importorskip("sympy")  # the optional extra; installed by the dev extra in CI


def at(sym_expr, values: dict) -> float:
    symbols = {symbol.name: symbol for symbol in sym_expr.free_symbols}
    return float(sym_expr.subs({symbols[name]: v for name, v in values.items()
                                if name in symbols}).evalf(30))


@pytest.mark.parametrize("name, expr, params, inputs", every_op_params())
def test_every_op_round_trips_with_the_same_values(name, expr, params, inputs):
    """expr -> SymPy -> expr evaluates like the original at several points."""
    (w,), (x,) = params, inputs
    back = from_sympy(to_sympy(expr), [w, x])
    for w_value, x_value in [(0.7, 1.3), (1.9, 0.2), (0.05, 2.5)]:
        assert back({w: w_value}, {x: x_value}) == pytest.approx(
            expr({w: w_value}, {x: x_value}), rel=1e-13)


@pytest.mark.parametrize("name, expr, params, inputs", every_op_params())
def test_every_op_has_the_engines_value_and_derivative_in_sympy(name, expr, params, inputs):
    """SymPy's value and its derivative of the converted expression equal the engine's."""
    (w,), (x,) = params, inputs
    converted = to_sympy(expr)
    values = {"w": params[w], "x": inputs[x]}
    assert at(converted, values) == pytest.approx(expr(params, inputs), rel=1e-13)
    w_symbol = sympy.Symbol("w", real=True)
    derivative = sympy.diff(converted, w_symbol)
    expected = expr.grad(params, inputs)[w]
    assert at(derivative, values) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_activations_are_sympy_functions_that_rewrite():
    """sigmoid, softplus and relu print by name and rewrite to exp and Max."""
    x = Input("x")
    converted = to_sympy(Sigmoid(x) + Softplus(x) + ReLU(x))
    assert str(converted) == "relu(x) + sigmoid(x) + softplus(x)"
    s = sympy.Symbol("x", real=True)
    assert converted.rewrite(sympy.exp).rewrite(sympy.Max) == \
        1 / (1 + sympy.exp(-s)) + sympy.log(1 + sympy.exp(s)) + sympy.Max(s, 0)


def test_trained_network_round_trips():
    """The trained XOR loss converts both ways and keeps its batch values."""
    net = trained_xor()
    leaves = [*net["params"], net["x1"], net["x2"], net["label"]]
    back = from_sympy(to_sympy(net["loss"]), leaves)
    np.testing.assert_allclose(back(net["params"], net["data"]),
                               net["loss"](net["params"], net["data"]), rtol=1e-12)


def test_integers_stay_exact_and_floats_keep_their_bits():
    """2.0 becomes the integer 2, 0.1 a Float that reads back as exactly 0.1."""
    w = Parameter("w")
    converted = to_sympy(w**2.0 * 0.1)
    assert converted.has(sympy.Integer(2))
    back = from_sympy(converted, [w])
    assert back({w: 3.0}) == (w**2.0 * 0.1)({w: 3.0})


def test_from_sympy_accepts_name_and_symbol_mappings():
    """leaves may be a mapping from names or from symbols to nodes."""
    w = Parameter("w")
    s = sympy.Symbol("w")
    assert from_sympy(sympy.sin(s) * 2, {"w": w})({w: 0.5}) == pytest.approx(2 * np.sin(0.5))
    assert from_sympy(sympy.pi * s, {s: w})({w: 1.0}) == pytest.approx(np.pi)


def test_unknown_symbols_and_functions_are_named():
    """A symbol without a leaf or a function without an op raises ValueError naming it."""
    w = Parameter("w")
    with pytest.raises(ValueError, match=r"the symbol 'z' has no leaf.*known: w"):
        from_sympy(sympy.Symbol("z") + sympy.Symbol("w"), [w])
    with pytest.raises(ValueError, match="no exprdiff operation for gamma"):
        from_sympy(sympy.gamma(sympy.Symbol("w")), [w])
    with pytest.raises(ValueError, match="real numbers"):
        from_sympy(sympy.I * sympy.Symbol("w"), [w])


def test_array_constants_and_duplicate_names_are_refused():
    """to_sympy handles scalar expressions with distinctly named leaves."""
    w = Parameter("w")
    with pytest.raises(ValueError, match=r"a Constant has shape \(2,\)"):
        to_sympy(w * Constant(np.ones(2)))
    with pytest.raises(ValueError, match="both named 'w'"):
        to_sympy(w + Parameter("w"))


def test_user_ops_become_named_functions_and_come_back_when_passed():
    """A user op is a SymPy function of its name; from_sympy maps it back given ops=[Cube]."""
    w = Parameter("w")
    converted = to_sympy(Cube(w) + 1)
    assert str(converted) == "cube(w) + 1"
    with pytest.raises(ValueError, match="no exprdiff operation for cube"):
        from_sympy(converted, [w])
    back = from_sympy(converted, [w], ops=[Cube])
    assert back({w: 2.0}) == 9.0


def test_deep_expressions_convert():
    """A 300-deep chain converts both ways (deeper ones hit SymPy's own recursion)."""
    w = Parameter("w")
    chain = w
    for _ in range(300):
        chain = Sin(chain)
    back = from_sympy(to_sympy(chain), [w])
    assert back({w: 1.0}) == chain({w: 1.0})


def test_nested_activations_evaluate_numerically():
    """Found by the fuzzer: relu(sigmoid(...)) raised "not comparable" in evalf, and
    softplus(sigmoid(sin(w))) came out complex: each now evaluates its operand first."""
    import sympy

    from exprdiff import ReLU, Sigmoid, Sin, Softplus

    w = Parameter("w")
    for expr in (ReLU(Sigmoid(Sin(w) + Sin(w))), Sigmoid(ReLU(Sin(w) / (Sin(w) * Sin(w) + 0.5))),
                 Softplus(Sigmoid(Sin(w)))):
        symbolic = to_sympy(expr)
        value = symbolic.evalf(30, subs={sympy.Symbol("w", real=True): sympy.Rational(-1)})
        assert value.is_Number and value.is_extended_real
        assert float(value) == pytest.approx(expr({w: -1.0}), rel=1e-15)
