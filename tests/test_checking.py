"""check_grads: three independent answers agree for every op, and disagreement is caught."""

import numpy as np
import pytest
from op_table import TABLE

from exprdiff import (
    GradCheck,
    Input,
    Parameter,
    Sigmoid,
    UnaryOp,
    Where,
    check_grads,
)
from exprdiff.symbolic.checking import ParameterCheck

w, v, b, c = Parameter("w"), Parameter("v"), Parameter("b"), Parameter("c")
x = Input("x")
BATCH = {x: np.array([0.2, 0.5, 0.9])}



@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_op_agrees_three_ways_to_second_order(name):
    """Reverse mode, symbolic and finite differences agree (first and second order) per op."""
    row = TABLE[name]
    # w*x + b, v*x + c and w + v*x lie in 0.6 .. 2.4 over the batch: mapped into each domain
    values = [w * x + b, v * x + c, w + v * x]
    operands = [domain.place(value, 0.6, 2.4) for domain, value in zip(row.domains, values)]
    params = {w: 1.3, b: 0.4, v: -0.7, c: 1.9}
    expr = row.build(*operands)
    if row.condition:  # boolean values: taken through the where they choose in
        expr = Where(expr, operands[0] * w, v * x)
    check = check_grads(expr, params, BATCH)
    check.assert_ok()
    assert check.parameters and all(p.second_order is not None for p in check.parameters)


def test_a_wrong_derivative_rule_is_reported():
    """An op whose rule is wrong fails the check, and the report names the parameter."""

    class WrongSquare(UnaryOp):
        def forward(self, a):
            return a * a

        def vjp(self, g, a, out):
            return g * 3 * a

    check = check_grads(WrongSquare(w * x), {w: 1.5}, BATCH)
    assert not check.ok
    assert check.parameters[0].first_order > 0.1
    with pytest.raises(AssertionError, match=r"w +first order .*<-- disagrees"):
        check.assert_ok()


def test_array_parameters_get_first_order_checks():
    """Array parameters are checked to first order; second order shows n/a."""
    weights = Parameter("weights")
    data = Input("data")
    expr = Sigmoid(weights * data + b) ** 2
    params = {weights: np.array([0.5, -1.0]), b: 0.1}
    check = check_grads(expr, params, {data: np.array([[1.0, 2.0], [0.5, -0.3]])})
    check.assert_ok()
    by_name = {p.name: p for p in check.parameters}
    assert by_name["weights"].second_order is None and by_name["b"].second_order is not None
    assert "weights  first order" in repr(check) and "second order n/a" in repr(check)


def test_non_elementwise_op_checks_without_symbolic_answers():
    """With an op that is not elementwise, the symbolic answer is left out and the reason shown."""

    class Total(UnaryOp):
        elementwise = False

        def forward(self, a):
            return np.sum(a)

        def vjp(self, g, a, out):
            return g * np.ones_like(a)

    check = check_grads(Total(w * x) ** 2, {w: 0.5}, BATCH)
    assert check.ok
    assert "Total" in check.symbolic_note and "Total" in repr(check)


def test_report_is_readable():
    """The repr states the verdict, the worst error and one line per parameter."""
    check = GradCheck((ParameterCheck("w1", 1e-10, 3e-9), ParameterCheck("b", 0.5, None)), 1e-5)
    assert repr(check) == (
        "GradCheck(FAILED, worst 5.0e-01, tolerance 1e-05)\n"
        "  w1  first order 1.0e-10  second order 3.0e-09\n"
        "  b   first order 5.0e-01  second order n/a   <-- disagrees"
    )
    assert check.worst == 0.5 and not check.ok


def test_nan_gradients_count_as_disagreement():
    """A NaN anywhere is a failure, not a silent pass."""
    from exprdiff.symbolic.checking import _disagreement

    assert _disagreement(np.nan, np.nan) == float("inf")
    assert _disagreement(1.0, 1.0 + 1e-12) < 1e-11
