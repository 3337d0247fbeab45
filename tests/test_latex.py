"""to_latex: fractions, powers, function names, subscripts, parentheses, depth."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exprdiff import (
    Abs,
    Constant,
    Exp,
    Input,
    Log,
    Parameter,
    ReLU,
    Sigmoid,
    Softplus,
    Sqrt,
    Tanh,
    UnaryOp,
    diff,
    to_latex,
)
from exprdiff.show.latex import _GREEK, latex_name

x, y = Input("x"), Input("y")
w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")

CASES = [
    (lambda: Sigmoid(w1 * x + w2 * y + b),
     r"\sigma\left(w_{1} \cdot x + w_{2} \cdot y + b\right)"),
    (lambda: diff(3 * x**2 - 4 * x + 5, x), r"6 x - 4"),
    (lambda: diff(Sigmoid(x), x),
     r"\sigma\left(x\right) \cdot \left(1 - \sigma\left(x\right)\right)"),
    (lambda: (x + 1) / (2 * y), r"\frac{x + 1}{2 y}"),
    (lambda: 1 / (1 + Exp(-x)), r"\frac{1}{1 + \exp\left(-x\right)}"),
    (lambda: (x / y) ** 2, r"\left(\frac{x}{y}\right)^{2}"),
    (lambda: x ** (y + 1), r"x^{y + 1}"),
    (lambda: (x**2) ** 3, r"\left(x^{2}\right)^{3}"),
    (lambda: -(x**2), r"-x^{2}"),
    (lambda: -(x + y), r"-\left(x + y\right)"),
    (lambda: x - (y - b), r"x - \left(y - b\right)"),
    (lambda: x * (-y), r"x \cdot \left(-y\right)"),
    (lambda: Log(Tanh(x)) + Sqrt(y) + Abs(b),
     r"\log\left(\tanh\left(x\right)\right) + \sqrt{y} + \left|b\right|"),
    (lambda: ReLU(x) + Softplus(y),
     r"\operatorname{ReLU}\left(x\right) + \operatorname{softplus}\left(y\right)"),
    (lambda: Constant(2) * Constant(3) ** x, r"2 \cdot 3^{x}"),
    (lambda: Constant(-2.0) ** x, r"\left(-2\right)^{x}"),
]


@pytest.mark.parametrize("build, expected", CASES, ids=[e for _, e in CASES])
def test_expected_latex(build, expected):
    """Each expression prints to exactly the expected LaTeX source."""
    assert to_latex(build()) == expected


@pytest.mark.parametrize("name, expected", [
    ("w1", "w_{1}"), ("w_12", "w_{12}"), ("x_out", r"x_{\mathrm{out}}"), ("alpha", r"\alpha"),
    ("theta_2", r"\theta_{2}"), ("label", r"\mathrm{label}"), ("x", "x"),
])
def test_names_become_subscripts_greek_or_upright(name, expected):
    """Leaf names become subscripted, Greek or upright LaTeX."""
    assert latex_name(name) == expected


def test_user_operation_without_template_prints_as_operatorname():
    """An op without latex_template prints as \\operatorname{name}; one with it uses it."""

    class Cube(UnaryOp):
        def forward(self, a):
            return a**3

    class Erf(UnaryOp):
        latex_template = r"\operatorname{erf}\left(#1\right)"

    assert to_latex(Cube(x)) == r"\operatorname{cube}\left(x\right)"
    assert to_latex(Erf(x) + 1) == r"\operatorname{erf}\left(x\right) + 1"


@pytest.mark.slow
def test_deep_expression_prints_and_limit_cuts():
    """A 100 000-deep expression prints iteratively; limit cuts the text with an ellipsis."""
    expr = x
    for _ in range(100_000):
        expr = Tanh(expr)
    text = to_latex(expr)
    assert text.count(r"\tanh") == 100_000
    short = to_latex(expr, limit=20)
    assert len(short) == 20 and short.endswith("…")


def test_user_infix_operation_and_nested_products_keep_their_grouping():
    """A user op's symbol is written (not dropped), and a right-nested a @ (b @ c) keeps its
    parentheses as its text does."""
    from exprdiff import BinaryOp

    class Mod(BinaryOp):
        symbol = "%"

    assert to_latex(Mod(x, Mod(y, b))) == r"x % \left(y % b\right)"
    assert to_latex(x @ (y @ b)) == r"x \left(y b\right)"
    assert to_latex((x @ y) @ b) == r"x y b"


# -- issue 11.13: any leaf name gives valid, inert LaTeX ----------------------------------------

#: the commands to_latex writes; after removing them, nothing special may remain
_COMMANDS = re.compile(r"\\(mathrm|operatorname|frac|sqrt|left|right|cdot|sigma|log|exp|tanh"
                       r"|backslash|hat|sim|" + "|".join(sorted(_GREEK)) + r")(?![A-Za-z])"
                       r"|\\[%#&{}_$]")


def assert_inert(latex: str) -> None:
    """Only to_latex's own commands and escaped specials; braces balance; no comment starts."""
    rest = _COMMANDS.sub("", latex)
    assert not re.search(r"[\\%#&$^~]", rest.replace("^{", "")), (latex, rest)
    depth = 0
    for char in rest:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, latex
    assert depth == 0, latex
    assert latex.isprintable(), latex


def test_hostile_names_are_escaped():
    """'%' began a comment and '\\input{...}' ran a command; now both print as text."""
    latex = to_latex(Input("%") * Input(r"\input{/etc/passwd}"))
    assert latex == r"\mathrm{\%} \cdot \mathrm{\backslash{}input\{/etc/passwd\}}"
    assert_inert(latex)


@pytest.mark.parametrize("name", ["a_b^c", "x~y", "$$", "#1", "a&b", "}{", "{", "\\", "tab\tnul\x00", "_"])
def test_every_special_character_is_escaped(name):
    assert_inert(latex_name(name))
    assert_inert(to_latex(Sigmoid(Input(name)) / Parameter(name + "2")))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12))
def test_any_name_gives_inert_latex(name):
    """Whatever the name, the LaTeX holds only to_latex's commands and balanced braces."""
    assert_inert(to_latex(Input(name) ** 2 + Parameter(name) * 3))
