"""Printing: infix text with minimal parentheses that Python parses back to the same tree."""

import numpy as np
import pytest

from exprdiff import Constant, Exp, Input, Parameter, Sigmoid, Tanh
from exprdiff.core.printing import to_str

a, b, c = Parameter("a"), Parameter("b"), Parameter("c")
x = Input("x")

CASES = [
    (a + b * c, "a + b*c"),
    ((a + b) * c, "(a + b)*c"),
    (a - (b - c), "a - (b - c)"),
    ((a - b) - c, "a - b - c"),
    (a / (b * c), "a/(b*c)"),
    (a / b / c, "a/b/c"),
    (a ** b ** c, "a**b**c"),
    ((a ** b) ** c, "(a**b)**c"),
    (-a ** 2, "-a**2"),
    ((-a) ** 2, "(-a)**2"),
    (-(a + b), "-(a + b)"),
    (-(-a), "-(-a)"),  # noqa: B002
    (a * -b, "a*(-b)"),
    (a - (-2), "a - (-2)"),
    (a ** -1, "a**(-1)"),
    (2 * a + 0.5, "2*a + 0.5"),
    (Sigmoid(a * x + b), "sigmoid(a*x + b)"),
    (1 - Tanh(x) ** 2, "1 - tanh(x)**2"),
    (Exp(-x) * a, "exp(-x)*a"),
]


@pytest.mark.parametrize("expr, text", CASES, ids=[t for _, t in CASES])
def test_minimal_parentheses(expr, text):
    """Each expression prints with exactly the parentheses Python's grammar needs."""
    assert str(expr) == text


@pytest.mark.parametrize("expr, text", CASES, ids=[t for _, t in CASES])
def test_text_parses_back_to_the_same_values(expr, text):
    """eval of the printed text, with the leaves in scope, rebuilds an equal-valued tree."""
    scope = {"a": a, "b": b, "c": c, "x": x, "sigmoid": Sigmoid, "tanh": Tanh, "exp": Exp}
    rebuilt = eval(text, scope)
    params, inputs = {a: 1.3, b: 0.7, c: 1.1}, {x: 0.4}
    assert rebuilt(params, inputs) == pytest.approx(expr(params, inputs), rel=1e-14)
    assert str(rebuilt) == text


def test_constants():
    """Integral floats print as integers, others in shortest repr, small arrays as lists."""
    assert str(Constant(2.0)) == "2"
    assert str(Constant(0.1)) == "0.1"
    assert str(Constant(1e20)) == "1e+20"
    assert str(Constant([1, 2.5])) == "[1, 2.5]"
    assert str(Constant(np.zeros((3, 4)))) == "array(shape=(3, 4))"


def test_repr_names_the_type():
    """repr shows the node type and the expression; leaves repr as constructors."""
    assert repr(Sigmoid(a)) == "<Sigmoid sigmoid(a)>"
    assert repr(a) == "Parameter('a')"
    assert repr(Constant(2)) == "Constant(2.0)"
    unnamed = Input()
    assert repr(unnamed) == f"Input() #{unnamed.label}"


def test_limit_truncates():
    """A limit cuts long text and marks the cut with an ellipsis."""
    long = a
    for _ in range(100):
        long = long + b
    text = to_str(long, limit=20)
    assert len(text) == 20 and text.endswith("…") and text.startswith("a + b + b")


def test_shared_dag_prints_within_the_limit():
    """A 60-level shared DAG (2**60 leaves expanded) prints a bounded, cut text."""
    node = a
    for _ in range(60):
        node = node * node + node
    assert len(to_str(node, limit=1000)) == 1000


def test_right_operand_starting_with_a_minus_is_parenthesised():
    """b*(-2*a) and a + (-b*c) keep parentheses, so no operator meets a minus sign."""
    assert to_str(b * (Constant(-2.0) * a)) == "b*(-2*a)"
    assert to_str(a + (-b) * c) == "a + (-b*c)"
    assert to_str(a * (b * Constant(-2.0))) == "a*b*(-2)"
    assert to_str(Constant(-2.0) * a * b) == "-2*a*b"


def test_a_user_infix_operation_prints_by_its_class():
    """An infix op of one's own groups to the left by default, so a%(b%c) keeps its parentheses."""
    from exprdiff import BinaryOp

    class Mod(BinaryOp):
        symbol = "%"

        def forward(self, a, b):
            return a % b

    assert str(Mod(a, Mod(b, c))) == "a%(b%c)"
    assert str(Mod(Mod(a, b), c)) == "a%b%c"
    assert str(Mod(a, b * c)) == "a%(b*c)"  # the same level as *, as in Python's grammar
    assert str(Mod(a, b) * c) == "a%b*c"
