"""where(condition, a, b) and its conditions: values, NaN-free gradients on every path, printing,
saving, export and SymPy."""

import warnings

import numpy as np
import pytest

import exprdiff
from exprdiff import (
    Constant,
    Greater,
    Input,
    LogicalNot,
    Parameter,
    Sqrt,
    Where,
    diff,
    from_sympy,
    to_latex,
    to_python,
    to_sympy,
)
from exprdiff.core.names import named_leaves
from exprdiff.keep.serialization import dumps, loads

x, y, c = Parameter("x"), Parameter("y"), Input("c")
POINTS = np.array([-1.0, 0.0, 4.0])


def quietly(function):
    with np.errstate(invalid="ignore", divide="ignore"):
        return function()


def test_where_picks_elementwise_as_numpy():
    """Values are np.where's, with broadcasting, from conditions or constant masks."""
    expr = Where(x > 0, x, -x)
    np.testing.assert_array_equal(expr({x: POINTS}), np.where(POINTS > 0, POINTS, -POINTS))
    mask = Where(np.array([True, False, True]), x, 0.0)
    assert mask({x: 2.0}).tolist() == [2.0, 0.0, 2.0]
    assert Where(c, x, y)({x: 1.0, y: 2.0}, {c: 0.0}) == 2.0  # an Input: nonzero is true
    assert np.where(x > 0, x, 0.0).equals(Where(x > 0, x, 0.0))


def test_the_branch_not_taken_gives_no_nan_gradient():
    """The jnp.where trap (jax#1052): where(x > 0, sqrt(x), 0) at x = -1 has gradient 0, not NaN,
    with no warning from the gradient; at 4 it is 1/(2*2)."""
    expr = Where(x > 0, Sqrt(x), 0.0)
    grads = quietly(lambda: expr.grad({x: POINTS}))
    assert grads[x].tolist() == [0.0, 0.0, 0.25]
    assert quietly(lambda: expr.grad({x: -1.0})) == {x: 0.0}
    assert quietly(lambda: expr.grad({x: np.array([-1.0])}))[x].tolist() == [0.0]


def test_jax_gives_nan_there_and_the_double_where_agrees_with_exprdiff():
    """JAX itself returns NaN for the plain form; its FAQ's double where gives exprdiff's answer."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def plain(v):
        return jnp.sum(jnp.where(v > 0, jnp.sqrt(v), 0.0))

    def double(v):
        return jnp.sum(jnp.where(v > 0, jnp.sqrt(jnp.where(v > 0, v, 1.0)), 0.0))

    assert np.isnan(np.asarray(jax.grad(plain)(jnp.array(POINTS)))[0])
    expected = np.asarray(jax.grad(double)(jnp.array(POINTS)))
    exact = quietly(lambda: Where(x > 0, Sqrt(x), 0.0).grad({x: POINTS}))[x]
    np.testing.assert_array_equal(exact, expected)


@pytest.mark.parametrize("make", [
    lambda: Where(x > 0, Sqrt(x) * 3 + exprdiff.Log(x), x * x),
    lambda: Where(x <= 0, x, exprdiff.Log(x)) + Where(x > 0, 0.0, exprdiff.Arcsin(x / 3)),
    lambda: Where(x > 0, Where(x < 1, Sqrt(1 - x), Sqrt(x - 1)), 2 * x),
    lambda: Where((x > -0.5) & ~(x > 3), exprdiff.Arccos(x / 3), 0.0),
], ids=["log and sqrt", "two wheres", "nested", "combined condition"])
def test_every_path_is_nan_free_and_the_same(make):
    """Numeric gradient, symbolic derivative and exported code agree, NaN-free, on points where
    the branch not taken is undefined (the exported code bit for bit; the simplified symbolic
    derivative up to rounding)."""
    expr = make()
    points = np.array([-2.0, -1.0, -0.25, 0.5, 2.0, 4.0])
    numeric = quietly(lambda: expr.grad({x: points}))[x]
    assert np.all(np.isfinite(numeric))
    symbolic = quietly(lambda: diff(expr, x)({x: points}))
    np.testing.assert_allclose(numeric, symbolic, rtol=1e-14, atol=0)
    namespace: dict = {}
    exec(to_python(expr, wrt=[x]), namespace)
    exported = quietly(lambda: namespace["model"](x=points))[1]["x"]
    np.testing.assert_array_equal(numeric, exported)
    for i, point in enumerate(points):  # one sample at a time: the same bits
        assert quietly(lambda point=point: expr.grad({x: point}))[x] == numeric[i]


def test_a_branch_also_used_elsewhere_keeps_its_derivative_there():
    """The mask covers only what flows through the where: sqrt(x) used outside it too is
    differentiated there as usual (NaN at -1, as the expression itself is)."""
    root = Sqrt(x)
    expr = Where(x > 0, root, 0.0) + root
    grads = quietly(lambda: expr.grad({x: np.array([-1.0, 4.0])}))[x]
    assert np.isnan(grads[0]) and grads[1] == 0.5


@pytest.mark.parametrize("compiled", ["0", "numpy"])
def test_a_condition_broadcasting_with_a_smaller_branch(compiled, monkeypatch):
    """A condition of shape (3,) choosing from a branch of shape (2, 1): the branch's mask is
    the condition over the broadcast shape (2, 3), reduced to (2, 1) (found by the fuzzer
    through to_jax; the engine raised ValueError 'could not be broadcast')."""
    monkeypatch.setenv("EXPRDIFF_COMPILED", compiled)
    w, v, rows = Parameter("w"), Parameter("v"), Input("rows")
    expr = Where(w > 0, Sqrt(rows * v), w)
    data = {rows: np.array([[-1.0], [4.0]])}
    for _ in range(3):  # interpreted first, then compiled where that is on
        never = quietly(lambda: expr.grad({w: np.array([-1.0, -2.0, -3.0]), v: 2.0}, data))
        assert never[v] == 0.0 and never[w].tolist() == [2.0, 2.0, 2.0]  # no NaN from sqrt(-2)
    once = {w: np.array([1.0, -2.0, -3.0]), v: 2.0}
    data = {rows: np.array([[1.0], [4.0]])}
    grads = expr.grad(once, data)
    assert grads[v] == pytest.approx(1 / (2 * np.sqrt(2)) + 4 / (2 * np.sqrt(8)), rel=1e-15)
    assert grads[w].tolist() == [0.0, 2.0, 2.0]


def test_symbolic_derivatives_read_well():
    """diff simplifies the masks it builds: where(x > 0, 1/(2*sqrt(x)), 0)."""
    expr = Where(x > 0, Sqrt(x), 0.0)
    assert str(diff(expr, x)) == "where(x > 0, 1/(2*sqrt(x)), 0)"
    assert str(diff(diff(expr, x), x)) == "where(x > 0, -1/(4*sqrt(x)**3), 0)"
    derivative = diff(Where(x > y, x * y, y), y)
    assert str(derivative) == "where(x > y, 0, 1) + where(x > y, x, 0)"
    assert derivative({x: np.array([2.0, 0.0]), y: 1.0}).tolist() == [2.0, 1.0]


def test_conditions_have_no_derivative():
    """A condition is not differentiable: a Parameter only under one gets gradient 0, and no
    rule runs for it."""
    assert (x > y).grad({x: 1.0, y: 2.0}) == {x: 0.0, y: 0.0}
    assert Where(x > y, 1.0, 2.0).grad({x: np.ones(2), y: 0.0})[x].tolist() == [0.0, 0.0]
    assert str(diff(Where(x > 0, 1.0, 2.0), x)) == "0"
    assert not Greater.differentiable and Where.differentiable


def test_conditions_combine_and_print_as_python_reads_them():
    """&, |, ~ build conditions; printing keeps Python's precedence, so the text parses back."""
    combined = (x > 0) & ~(y <= 1) | (x < y)
    assert str(combined) == "(x > 0) & ~(y <= 1) | (x < y)"
    assert str(x + 1 > y * 2) == "x + 1 > y*2"
    assert str(LogicalNot(x > 0)) == "~(x > 0)"
    values = {x: np.array([-1.0, 2.0, 0.5]), y: np.array([3.0, 5.0, 0.0])}
    parsed = eval(str(combined), {}, {"x": x, "y": y})
    np.testing.assert_array_equal(parsed(values), combined(values))
    np.testing.assert_array_equal(
        combined(values), np.logical_or(np.logical_and(values[x] > 0, ~(values[y] <= 1)),
                                        values[x] < values[y]))


@pytest.mark.parametrize("misuse", [
    lambda: x * (x > 0), lambda: (x > 0) + 1, lambda: exprdiff.Exp(x > 0),
    lambda: exprdiff.Sum(x > y), lambda: Greater(x > y, 0.0), lambda: Where(x > 0, y > 0, 1.0),
    lambda: np.sqrt(x <= y),
])
def test_conditions_are_used_only_by_where_and_logic(misuse):
    """A condition is a truth value: used as a number it raises TypeError at once, naming the
    operation and showing the where that gives its value as a number."""
    with pytest.raises(TypeError, match=r"is a condition \(a truth value, not a number\): "
                                        r"conditions are used by where\(condition, a, b\)"):
        misuse()
    assert Where(x > 0, 1.0, 0.0)({x: np.array([-1.0, 2.0])}).tolist() == [0.0, 1.0]


def test_latex_of_where_and_conditions():
    """A where is a cases environment; conditions use the relation symbols."""
    assert to_latex(Where(x > 0, x, -x)) == (
        r"\begin{cases} {x} & \text{if } {x > 0} \\ {-x} & \text{otherwise} \end{cases}")
    assert to_latex((x >= 1) | (y <= 2)) == r"\left(x \geq 1\right) \lor \left(y \leq 2\right)"


def test_where_saves_exports_and_draws():
    """save/load rebuilds the same where; exported code and DOT know it."""
    expr = Where((x > 0) & (c < 1), x * c, y)
    loaded, _ = loads(dumps(expr))
    assert str(loaded) == str(expr) and type(loaded) is Where
    values, inputs = {x: np.array([1.0, -1.0]), y: 3.0}, {c: np.array([0.5, 0.5])}
    leaves = named_leaves(loaded)
    np.testing.assert_array_equal(
        loaded({leaves["x"]: values[x], leaves["y"]: 3.0}, {leaves["c"]: inputs[c]}),
        expr(values, inputs))
    namespace: dict = {}
    exec(to_python(expr, wrt=[x, y]), namespace)
    value, grads = namespace["model"](x=values[x], y=3.0, c=inputs[c])
    np.testing.assert_array_equal(value, expr(values, inputs))
    expected = expr.grad(values, inputs)
    np.testing.assert_array_equal(grads["x"], expected[x])
    assert grads["y"] == expected[y]
    assert "where" in exprdiff.to_dot(expr) and "&amp;" in exprdiff.to_dot(expr)


def test_sympy_piecewise_both_ways():
    """to_sympy writes a where as Piecewise; from_sympy reads Piecewise back as nested wheres
    (NaN where no piece holds, as SymPy leaves it undefined)."""
    sympy = pytest.importorskip("sympy")
    a = sympy.Symbol("x", real=True)
    written = to_sympy(Where(x > 0, x * 2, -x))
    assert written == sympy.Piecewise((2 * a, a > 0), (-a, True))
    back = from_sympy(written, [x])
    assert isinstance(back, Where) and back({x: 3.0}) == 6.0 and back({x: -3.0}) == 3.0
    three = from_sympy(sympy.Piecewise((a, a < -1), (a**2, a < 1), (1, True)), [x])
    assert three({x: np.array([-2.0, 0.5, 3.0])}).tolist() == [-2.0, 0.25, 1.0]
    partial = from_sympy(sympy.Piecewise((a, a > 0)), [x])
    assert partial({x: 1.0}) == 1.0 and np.isnan(partial({x: -1.0}))
    both = from_sympy(sympy.And(a > 0, a < 1, a < 2), [x])
    assert both({x: 0.5}) is True and both({x: 1.5}) is False


def test_a_number_condition_from_sympy_and_simplify():
    """SymPy's true/false become constants; simplifying a derivative (pointwise) picks the
    branch of a constant condition and drops a where of equal branches, which simplify keeps
    for the shape it broadcasts to; both turn where(~c, a, b) into where(c, b, a)."""
    from exprdiff.symbolic.simplification import simplify_pointwise

    sympy = pytest.importorskip("sympy")
    assert from_sympy(sympy.true, []).equals(Constant(1.0))
    assert [str(e) for e in simplify_pointwise([Where(Constant(0.0), x, y), Where(x > 0, y, y)])
            ] == ["y", "y"]
    kept = exprdiff.simplify(Where(x > 0, y, y))
    assert str(kept) == "where(x > 0, y, y)"
    assert kept({x: np.zeros(3), y: 1.0}).shape == (3,)
    assert str(exprdiff.simplify(Where(~(x > 0), x, y))) == "where(x > 0, y, x)"


def test_bad_where_calls_say_what_is_wrong():
    """Too few operands and np.where with the condition alone raise TypeError saying so."""
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'y'"):
        Where(x > 0, x)
    with pytest.raises(TypeError, match=r"numpy.where on an expression node: np.where\(condition\) "
                                        "alone gives indices"):
        np.where(x > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Where(x > 0, x, 0.0)({x: -1.0}) == 0.0


@pytest.mark.parametrize("size", [3, 4095, 4096, 10_000])
def test_where_value_is_np_where_below_and_above_the_bit_mask_size(size):
    """where_value gives np.where's bits whether it clears bits (large) or calls it (small):
    NaN, infinities and signed zeros included."""
    from exprdiff.core.values import select, where_value

    rng = np.random.default_rng(size)
    values = rng.choice([-0.0, 0.0, np.nan, np.inf, -np.inf, 1.5, -2.5], size=size)
    condition = rng.random(size) > 0.5
    for got, want in ((where_value(condition, values, 0.0), np.where(condition, values, 0.0)),
                      (select(condition, values, holds=False), np.where(condition, 0.0, values))):
        assert np.array_equal(got.view(np.int64), want.view(np.int64))


@pytest.mark.parametrize("size", [3, 4095, 4096])
def test_compiled_where_calls_np_where_itself_below_the_bit_mask_size(size, monkeypatch):
    """Compiled code knows the condition's size: below where_value's bit-mask size it calls
    np.where directly (where_value repeats that size as a literal), with the same bits."""
    import inspect

    from exprdiff.core.values import WHERE_MASK_SIZE, where_value

    assert f">= {WHERE_MASK_SIZE}" in inspect.getsource(where_value)
    monkeypatch.setenv("EXPRDIFF_COMPILED", "numpy")
    rng = np.random.default_rng(size)
    values = rng.choice([-0.0, 0.0, np.nan, np.inf, 1.5, -2.5], size=size)
    expr = Where(c > 0.5, x, 0.0) * 1.0
    function = exprdiff.compiled(expr)
    inputs = {c: rng.random(size)}
    want = where_value(inputs[c] > 0.5, values, 0.0)
    for _ in range(2):  # generic code, then code for these shapes
        got = function({x: values}, inputs)
        assert np.array_equal(got.view(np.int64), want.view(np.int64))
    assert ("np.where(" in function.source) is (size < WHERE_MASK_SIZE)


def test_a_branch_shared_with_the_condition_keeps_its_mask_in_compiled_code(monkeypatch):
    """Found by the fuzzer: in where(p1 > -p0, p1 + 0.37, -p0) the condition reads the branch
    -p0; generated code ran the condition's (zero) rules too, which reset the branch's mask,
    and gave p0 the gradient -0.0 where the interpreter gives 0.0. Conditions pass no
    derivative on: compiled code now skips them, as the interpreter does."""
    from exprdiff.core import interpreter

    monkeypatch.setenv("EXPRDIFF_COMPILED", "numpy")
    p0, p1 = Parameter("p0"), Parameter("p1")
    expr = Where(p1 > -p0, p1 + 0.37, -p0)
    function = exprdiff.compiled(expr, wrt=[p1, p0])
    want = interpreter.value_and_gradient(expr, {p0: 1.0, p1: 0.0})
    for _ in range(2):  # generic code, then code for these shapes
        value, grads = function({p0: 1.0, p1: 0.0})
        assert value == want[0] and grads[p1] == want[1][p1] == 1.0
        assert grads[p0] == 0.0 and not np.signbit(grads[p0]) and not np.signbit(want[1][p0])
    assert "fit_gradient(0.0" not in function.source
