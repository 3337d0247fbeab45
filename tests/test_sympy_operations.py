"""The SymPy bridge knows the operations of issue 12 both ways, reads real material (two AI
Feynman formulas) and gives user operations that name a ufunc their SymPy function."""

import numpy as np
import pytest

import exprdiff
from exprdiff import Parameter, UnaryOp, from_sympy, to_sympy

sympy = pytest.importorskip("sympy")


@pytest.mark.parametrize("formula, point", [
    ("asin(n*sin(theta2))", {"n": 1.33, "theta2": 0.4}),  # Snell's law, AI Feynman I.26.2
    ("asin(lambd/(n*d))", {"lambd": 0.5, "n": 2.0, "d": 0.6}),  # a grating, AI Feynman I.30.5
])
def test_ai_feynman_formulas_convert_with_sympys_exact_gradients(formula, point):
    """The two AI Feynman formulas exprdiff could not express come through from_sympy with
    arcsin, and their gradients agree with SymPy's exact derivatives."""
    symbols = {name: sympy.Symbol(name, real=True) for name in point}
    expression = sympy.sympify(formula, locals=symbols)
    params = {name: Parameter(name) for name in point}
    model = from_sympy(expression, list(params.values()))
    assert any(isinstance(node, exprdiff.Arcsin) for node in exprdiff.topological_order(model))
    values = {params[name]: value for name, value in point.items()}
    at = {symbols[name]: value for name, value in point.items()}
    assert model(values) == pytest.approx(float(expression.subs(at)), rel=1e-15)
    grads = model.grad(values)
    for name, symbol in symbols.items():
        exact = float(sympy.diff(expression, symbol).subs(at))
        assert grads[params[name]] == pytest.approx(exact, rel=1e-14), name
    back = sympy.simplify(to_sympy(model) - expression)
    assert back == 0


@pytest.mark.parametrize("written, expected", [
    ("Max(x, 0)", "relu(x)"),
    ("Max(x, y)", "maximum(x, y)"),
    ("Max(x, y, 2)", "maximum(maximum(2, x), y)"),
    ("Min(x, 1)", "minimum(1, x)"),
    ("Mod(x, y)", "mod(x, y)"),
    ("floor(x) + ceiling(y)", "ceil(y) + floor(x)"),  # in SymPy's order of terms
    ("atan2(x, y) + acosh(y) + asinh(x) + atanh(x)",
     "arccosh(y) + arcsinh(x) + arctan2(x, y) + arctanh(x)"),
    ("tan(x)*sinh(y)/cosh(x)", "sinh(y)*tan(x)/cosh(x)"),
    ("Piecewise((x, x > y), (y, True))", "where(x > y, x, y)"),
    ("Piecewise((x, (x > 0) & (y <= 1)), (0, True))", "where((y <= 1) & (x > 0), x, 0)"),
])
def test_sympys_functions_read_as_the_operations(written, expected):
    """SymPy's own functions become exprdiff's operations (a particular application such as
    Max(x, 0) the op it stands for)."""
    x, y = Parameter("x"), Parameter("y")
    symbols = {"x": sympy.Symbol("x", real=True), "y": sympy.Symbol("y", real=True)}
    assert str(from_sympy(sympy.sympify(written, locals=symbols), [x, y])) == expected


def test_sympys_codegen_functions_read_by_name():
    """sympy.codegen's log1p, expm1, log2, log10, exp2 and hypot (SymPy's numerically careful
    functions) read as the operations of the same names."""
    from sympy.codegen.cfunctions import exp2, expm1, hypot, log1p, log2, log10

    x, y = Parameter("x"), Parameter("y")
    a, b = sympy.symbols("x y", real=True)
    for function, op in ((log1p, exprdiff.Log1p), (expm1, exprdiff.Expm1), (log2, exprdiff.Log2),
                         (log10, exprdiff.Log10), (exp2, exprdiff.Exp2)):
        assert type(from_sympy(function(a), [x])) is op
    assert type(from_sympy(hypot(a, b), [x, y])) is exprdiff.Hypot


def test_the_defined_functions_differentiate_as_exprdiff_does():
    """In SymPy, floor's derivative is 0, mod's are 1 and -floor(a/b), and fmax's and fmin's at
    a tie 1 and 0, as exprdiff's rules."""
    x, y = Parameter("x"), Parameter("y")
    a, b = sympy.symbols("x y", real=True)
    assert sympy.diff(to_sympy(exprdiff.Floor(x)), a) == 0
    written = to_sympy(exprdiff.Mod(x, y))
    assert sympy.diff(written, a) == 1 and str(sympy.diff(written, b)) == "-floor(x/y)"
    assert sympy.diff(to_sympy(exprdiff.Maximum(x, y)), a).subs({a: 1, b: 1}) == sympy.S.Half
    # fmax and fmin give a tie wholly to a (PyTorch's rule), in SymPy too: Max would split it
    for op in (exprdiff.Fmax, exprdiff.Fmin):
        written = to_sympy(op(x, y))
        assert [sympy.diff(written, s).subs({a: 1, b: 1}) for s in (a, b)] == [1, 0]
        assert list(op(x, y).grad({x: 1.0, y: 1.0}).values()) == [1.0, 0.0]
        assert [sympy.diff(written, s).subs({a: 2, b: 1}) for s in (a, b)] == \
            ([1, 0] if op is exprdiff.Fmax else [0, 1])


def test_a_user_op_with_a_ufunc_is_that_function_in_sympy():
    """A user's op that sets only ufunc = np.tan converts as tan (the built-in op computing that
    ufunc says what it is), and comes back as the user's class when passed."""

    class MyTan(UnaryOp):
        ufunc = np.tan

        def forward(self, x):
            return np.tan(x)

        def vjp(self, g, x, out):
            return g * (1 + out * out)

    x = Parameter("x")
    a = sympy.Symbol("x", real=True)
    assert to_sympy(MyTan(x) + 1) == sympy.tan(a) + 1
    assert type(from_sympy(to_sympy(MyTan(x)), [x], ops=[MyTan])) is MyTan
    assert type(from_sympy(to_sympy(MyTan(x)), [x])) is exprdiff.Tan


def test_settings_ops_convert_by_their_forms():
    """LeakyReLU, ELU, Round and Clip have settings: SymPy gets their forms (Piecewise, floor,
    Min/Max), whose values read back equal."""
    x = Parameter("x")
    points = [-1.5, -0.25, 0.5, 2.5, 3.5]
    for expr in (exprdiff.LeakyReLU(x, 0.2), exprdiff.ELU(x, 0.7), exprdiff.Round(x),
                 exprdiff.Round(x, 1), exprdiff.Clip(x, -1.0, 2.0)):
        back = from_sympy(to_sympy(expr), [x])
        for point in points:
            assert back({x: point}) == pytest.approx(expr({x: point}), rel=1e-15), (expr, point)
