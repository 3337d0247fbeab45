"""Operations defined here only, by their classes alone, go through every layer of exprdiff.

Nothing outside this file learns about `Gauss` or `Parallel`: printing, LaTeX,
DOT, export, save/load, the SymPy bridge, symbolic derivatives,
simplification, gradient checking and fitting all read what the classes say.
"""

import numpy as np
import pytest

from exprdiff import (
    BinaryOp,
    Constant,
    Input,
    Parameter,
    UnaryOp,
    check_grads,
    diff,
    from_sympy,
    load,
    optimize,
    save,
    simplify,
    to_dot,
    to_latex,
    to_python,
    to_sympy,
    topological_order,
)
from exprdiff.core.printing import SUM
from exprdiff.symbolic.finite_differences import numeric_grad

sympy = pytest.importorskip("sympy")  # the optional extra; installed by the dev extra in CI


class Gauss(UnaryOp):
    """``exp(-x**2)``: a one-operand op with every attribute a layer reads."""

    __slots__ = ()
    function_name = "gauss"
    latex_template = r"\mathcal{G}\left(#1\right)"
    numpy_code = "np.exp(-{0} ** 2)"
    sympy_name = "gauss"  # not SymPy's: the bridge defines it from sympy_form

    def forward(self, x):
        return np.exp(-x * x)

    def vjp(self, g, x, out):
        return -2 * g * x * out

    @staticmethod
    def sympy_form(sp, x):
        return sp.exp(-x**2)

    @staticmethod
    def sympy_derivative(sp, x):
        return -2 * x * sp.gauss(x)


class Parallel(BinaryOp):
    """``a*b/(a + b)``, resistors in parallel: an infix op with its own symbol."""

    __slots__ = ()
    symbol = "∥"
    precedence = SUM + 5  # a level of its own: looser than *, tighter than +
    associativity = "both"  # (a ∥ b) ∥ c is a ∥ (b ∥ c)
    spaced = True
    latex_template = r"#1 \parallel #2"
    numpy_code = "{0} * {1} / ({0} + {1})"
    sympy_name = "parallel"

    def forward(self, a, b):
        return a * b / (a + b)

    def vjp_lhs(self, g, a, b, out):
        return g * (b / (a + b)) ** 2

    def vjp_rhs(self, g, a, b, out):
        return g * (a / (a + b)) ** 2

    @staticmethod
    def sympy_form(sp, a, b):
        return a * b / (a + b)


w, v, x = Parameter("w"), Parameter("v"), Input("x")
MODEL = Parallel(Gauss(w * x) + 1, v) * 2
PARAMS, INPUTS = {w: 0.7, v: 1.5}, {x: 1.3}


def model_value(w_value, v_value, x_value):
    a = np.exp(-((w_value * x_value) ** 2)) + 1
    return 2 * a * v_value / (a + v_value)


def test_value_and_gradient():
    """The engine computes the hand-written value and a gradient equal to central differences."""
    assert MODEL(PARAMS, INPUTS) == pytest.approx(model_value(0.7, 1.5, 1.3), rel=1e-15)
    assert MODEL.grad(PARAMS, INPUTS) == pytest.approx(numeric_grad(MODEL, PARAMS, INPUTS), rel=1e-8)


def test_str():
    """Text: the function name, and the infix symbol with its precedence and associativity."""
    assert str(MODEL) == "((gauss(w*x) + 1) ∥ v)*2"
    a, b, c = Parameter("a"), Parameter("b"), Parameter("c")
    assert str(Parallel(a, Parallel(b, c))) == "a ∥ b ∥ c"  # associative: no parentheses
    assert str(Parallel(a * b, c - a)) == "a*b ∥ (c - a)"


def test_latex():
    """LaTeX from the two templates, parentheses from the precedence."""
    assert to_latex(MODEL) == (
        r"\left(\left(\mathcal{G}\left(w \cdot x\right) + 1\right) \parallel v\right) \cdot 2")


def test_dot():
    """The DOT picture labels the boxes by function name and by symbol."""
    source = to_dot(MODEL, PARAMS, INPUTS)
    assert "<b>gauss</b>" in source and "<b>∥</b>" in source
    value = f"value {MODEL(PARAMS, INPUTS):.4g}"
    assert value in source


def test_to_python_runs_without_exprdiff():
    """The exported source, executed, gives the engine's value and gradient."""
    namespace: dict = {}
    exec(to_python(MODEL, wrt=[w, v]), namespace)
    value, grads = namespace["model"](w=0.7, v=1.5, x=1.3)
    assert value == pytest.approx(MODEL(PARAMS, INPUTS), rel=1e-15)
    engine = MODEL.grad(PARAMS, INPUTS)
    assert grads == pytest.approx({"w": engine[w], "v": engine[v]}, rel=1e-13)


def test_save_and_load_given_the_classes(tmp_path):
    """save writes the ops by class name; load builds them back when given the classes."""
    path = tmp_path / "model.json"
    save(path, MODEL, PARAMS)
    with pytest.raises(ValueError, match=r"unknown operation 'Gauss'.*ops=\[Gauss\]"):
        load(path)
    loaded, params = load(path, ops=[Gauss, Parallel])
    assert str(loaded) == str(MODEL)
    assert {type(node) for node in topological_order(loaded)} >= {Gauss, Parallel}
    x_loaded = next(node for node in topological_order(loaded) if isinstance(node, Input))
    assert loaded(params, {x_loaded: 1.3}) == MODEL(PARAMS, INPUTS)


def test_to_sympy_and_back():
    """SymPy gets functions it can differentiate, evaluate and rewrite; from_sympy maps them back."""
    converted = to_sympy(MODEL)
    assert str(converted) == "2*parallel(gauss(w*x) + 1, v)"
    symbols = {s.name: s for s in converted.free_symbols}
    at = {symbols["w"]: 0.7, symbols["v"]: 1.5, symbols["x"]: 1.3}
    assert float(converted.subs(at).evalf(30)) == pytest.approx(MODEL(PARAMS, INPUTS), rel=1e-14)
    derivative = sympy.diff(converted, symbols["w"])
    assert "gauss(w*x)" in str(derivative)  # Gauss's sympy_derivative, not exp(...)
    assert float(derivative.subs(at).evalf(30)) == pytest.approx(MODEL.grad(PARAMS, INPUTS)[w], rel=1e-13)
    assert converted.rewrite(sympy.exp).has(sympy.exp)
    with pytest.raises(ValueError, match="no exprdiff operation for gauss"):
        from_sympy(converted, [w, v, x])
    back = from_sympy(converted, [w, v, x], ops=[Gauss, Parallel])
    assert {type(node) for node in topological_order(back)} >= {Gauss, Parallel}
    assert back(PARAMS, INPUTS) == pytest.approx(MODEL(PARAMS, INPUTS), rel=1e-15)


def test_diff_and_simplify():
    """Symbolic derivatives come from the op's own rules; simplify folds and rebuilds the op."""
    derivative = diff(MODEL, w)
    assert derivative(PARAMS, INPUTS) == pytest.approx(MODEL.grad(PARAMS, INPUTS)[w], rel=1e-14)
    assert "gauss(w*x)" in str(derivative)
    assert str(simplify(Gauss(w * 1 + 0) * 1)) == "gauss(w)"
    folded = simplify(Parallel(Constant(3.0), Constant(6.0)) + Gauss(Constant(0.0)))
    assert folded.equals(Constant(3.0))


def test_check_grads_agrees_three_ways():
    """Reverse mode, symbolic derivatives and finite differences agree, second order included."""
    check = check_grads(MODEL, PARAMS, {x: np.array([0.3, -1.2, 2.0])})
    check.assert_ok()
    assert all(p.second_order is not None for p in check.parameters)


def test_optimize_fits_it():
    """Gradient descent finds the width of a Gauss bump from samples of it."""
    y = Input("y")
    xs = np.linspace(-2.0, 2.0, 9)
    loss = (Gauss(w * x) - y) ** 2
    fitted = optimize(loss, {w: 0.3}, {x: xs, y: np.exp(-((0.8 * xs) ** 2))},
                      epochs=300, learning_rate=0.5)
    assert fitted[w] == pytest.approx(0.8, rel=1e-9)
    assert fitted.final_loss < 1e-20
