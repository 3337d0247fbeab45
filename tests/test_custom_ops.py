"""User-defined operations: subclass, write forward and vjp, and the engine uses them."""

import numpy as np
import pytest

from exprdiff import BinaryOp, Input, Parameter, Sigmoid, UnaryOp
from exprdiff.symbolic.finite_differences import numeric_grad


class Cube(UnaryOp):
    """x**3, written as a user would."""

    def forward(self, x):
        return x**3

    def vjp(self, g, x, out):
        return g * 3 * x**2


class Hypot(BinaryOp):
    """sqrt(a**2 + b**2), a two-operand user operation without an infix symbol."""

    def forward(self, a, b):
        return np.hypot(a, b)

    def vjp_lhs(self, g, a, b, out):
        return g * a / out

    def vjp_rhs(self, g, a, b, out):
        return g * b / out


def test_unary_user_operation():
    """A user UnaryOp evaluates, differentiates (matching finite differences) and prints."""
    w, x = Parameter("w"), Input("x")
    expr = Sigmoid(Cube(w * x))
    params, inputs = {w: 0.7}, {x: np.array([0.5, -1.0, 2.0])}
    np.testing.assert_allclose(expr(params, inputs), 1 / (1 + np.exp(-(0.7 * inputs[x]) ** 3)))
    assert expr.grad(params, inputs)[w] == pytest.approx(numeric_grad(expr, params, inputs)[w], rel=1e-6)
    assert str(expr) == "sigmoid(cube(w*x))"


def test_binary_user_operation():
    """A user BinaryOp without a symbol prints as a call and gets both operands' gradients."""
    a, b = Parameter("a"), Parameter("b")
    expr = Hypot(a, b * 2)
    params = {a: 3.0, b: 2.0}
    assert expr(params) == 5.0
    assert expr.grad(params) == pytest.approx(numeric_grad(expr, params), rel=1e-7)
    assert str(expr) == "hypot(a, b*2)"


def test_only_needed_rules_run():
    """A rule for an operand that leads to no Parameter is never called."""

    class LeftOnly(BinaryOp):
        def forward(self, a, b):
            return a * b

        def vjp_lhs(self, g, a, b, out):
            return g * b

    w, x = Parameter("w"), Input("x")
    assert LeftOnly(w, x).grad({w: 2.0}, {x: 3.0}) == {w: 3.0}
    with pytest.raises(NotImplementedError, match="LeftOnly defines no derivative rule for its right operand"):
        LeftOnly(x, w).grad({w: 2.0}, {x: 3.0})
