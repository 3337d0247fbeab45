"""An independent oracle: exprdiff's symbolic derivatives agree with SymPy's."""

import math

import sympy
from expression_strategies import W1, X, expressions
from hypothesis import assume, given, settings

from exprdiff import Input, ReLU, Sigmoid, Softplus, Tanh, diff, to_sympy

x = Input("x")
POINTS = (0.37, 1.3)


def agree(expr, var, symbol_name):
    """d expr / d var from exprdiff and from sympy.diff, compared at a few points."""
    ours = to_sympy(diff(expr, var))
    theirs = sympy.diff(to_sympy(expr), sympy.Symbol(symbol_name, real=True))
    for point in POINTS:
        values = {s: point for s in theirs.free_symbols | ours.free_symbols}
        a, b = complex(ours.evalf(subs=values)), complex(theirs.evalf(subs=values))
        if not (math.isfinite(abs(a)) and math.isfinite(abs(b))):
            continue
        assert abs(a - b) <= 1e-9 * max(1.0, abs(b)), f"{ours} vs {theirs} at {point}"


def test_derivatives_of_composed_functions_match_sympy():
    """Chains of every smooth built-in function give SymPy's derivative."""
    for expr in (Sigmoid(x) * Tanh(x**2), Softplus(3 * x - 1) / (1 + x**2),
                 ReLU(x) * x**3, (x**x) ** 2, Tanh(Sigmoid(x) + x) - 1 / x):
        agree(expr, x, "x")


@settings(max_examples=40, deadline=None)
@given(expressions(max_steps=5))
def test_random_expressions_match_sympy(expr):
    """On random expressions, diff with respect to a Parameter and an Input agrees with SymPy."""
    assume(len(str(expr)) < 400)
    agree(expr, W1, "w1")
    agree(expr, X, "x")
