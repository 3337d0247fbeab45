"""diff, gradients and hessian: built from the ops' own rules, pointwise, shared, deep-safe."""

import numpy as np
import pytest

from exprdiff import (
    Constant,
    Input,
    Log,
    Parameter,
    Sigmoid,
    Tanh,
    UnaryOp,
    diff,
    evaluate_derivatives,
    evaluate_hessian,
    gradient_function,
    gradients,
    hessian,
    hessian_function,
    topological_order,
)
from exprdiff.symbolic.finite_differences import numeric_grad

x = Input("x")


def size(*exprs):
    """Distinct nodes over several expressions together."""
    seen = set()
    for expr in exprs:
        seen.update(topological_order(expr))
    return len(seen)


# -- the derivative walk-through ------------------------------------------------
def test_derivative_of_the_quadratic_prints_short_and_evaluates_to_14():
    """simplify(diff(3x^2 - 4x + 5, x)) is `6*x - 4`, five nodes, 14 at x = 3."""
    derivative = diff(3 * x**2 - 4 * x + 5, x)
    assert str(derivative) == "6*x - 4"
    assert size(derivative) == 5
    assert derivative({}, {x: 3.0}) == 14.0


def test_derivative_of_sigmoid_is_sigmoid_times_one_minus_sigmoid():
    """diff(Sigmoid(x), x) prints sigmoid(x)*(1 - sigmoid(x)) and matches finite differences."""
    derivative = diff(Sigmoid(x), x)
    assert str(derivative) == "sigmoid(x)*(1 - sigmoid(x))"
    grid = np.linspace(-6.0, 6.0, 25)
    h = 1e-6
    finite = (Sigmoid(x)({}, {x: grid + h}) - Sigmoid(x)({}, {x: grid - h})) / (2 * h)
    np.testing.assert_allclose(derivative({}, {x: grid}), finite, rtol=1e-7, atol=1e-10)


def test_second_derivative_of_the_cube_is_12_at_2():
    """diff(diff(x**3, x), x) evaluates to 12 at x = 2 and prints as 6*x."""
    second = diff(diff(x**3, x), x)
    assert second({}, {x: 2.0}) == 12.0
    assert str(second) == "6*x"


def test_raw_derivatives_are_what_the_rules_built():
    """simplified=False returns the rules' output, seed included; simplification is the default."""
    w = Parameter("w")
    assert str(diff(w * x, w, simplified=False)) == "1*x"
    assert str(diff(w * x, w)) == "x"


def test_derivative_of_an_expression_without_the_variable_is_zero():
    """An expression that does not contain the variable has derivative Constant(0)."""
    w = Parameter("w")
    derivative = diff(3 * x + 1, w)
    assert isinstance(derivative, Constant) and derivative.value == 0.0


def test_derivatives_come_from_the_ops_own_rules():
    """A user-defined op's vjp builds its symbolic derivative, with nodes as arguments."""
    calls = []

    class Cube(UnaryOp):
        def forward(self, a):
            return a**3

        def vjp(self, g, a, out):
            calls.append((g, a, out))
            return g * 3 * a**2

    expr = Cube(x)
    assert str(diff(expr, x)) == "3*x**2"
    g, a, out = calls[0]
    assert a is x and out is expr and isinstance(g, Constant)


# -- errors ------------------------------------------------------------------------
def test_non_elementwise_operation_raises_naming_it():
    """An operation with elementwise = False makes diff raise NotImplementedError naming it."""

    class Total(UnaryOp):
        elementwise = False

        def forward(self, a):
            return np.sum(a)

        def vjp(self, g, a, out):
            return g + 0 * a

    with pytest.raises(NotImplementedError, match=r"Total \(total\(x\*x\)\) is not an elementwise"):
        diff(Total(x * x), x)
    with pytest.raises(NotImplementedError, match="Total"):
        gradients(Total(Parameter("w") * x))


def test_missing_rule_raises_naming_the_op():
    """An op without a derivative rule fails with NotImplementedError naming it."""

    class Mystery(UnaryOp):
        def forward(self, a):
            return a

    with pytest.raises(NotImplementedError, match="Mystery defines no derivative rule"):
        diff(Mystery(x), x)


def test_rule_that_does_not_build_an_expression_raises_naming_the_op():
    """A rule returning something other than a node or number is reported with the op's name."""

    class Clipped(UnaryOp):
        def forward(self, a):
            return np.clip(a, 0, 1)

        def vjp(self, g, a, out):
            return np.where(True, "nonsense", "x")

    with pytest.raises(TypeError, match="Clipped built a ndarray"):
        diff(Clipped(x), x)


def test_diff_needs_a_leaf_variable():
    """Differentiating with respect to a non-leaf raises TypeError naming it."""
    with pytest.raises(TypeError, match=r"Parameter or an Input, got <Multiply 2\*x>"):
        diff(x * x, 2 * x)


# -- gradients -----------------------------------------------------------------------
AND = [(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 1)]


def perceptron():
    x1, x2, label = Input("x1"), Input("x2"), Input("label")
    w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    p = Sigmoid(w1 * x1 + w2 * x2 + b)
    loss = -(label * Log(p) + (1.0 - label) * Log(1.0 - p))
    columns = np.array(AND, dtype=float).T
    return loss, {w1: 0.3, w2: -0.7, b: 0.1}, dict(zip((x1, x2, label), columns, strict=True))


def test_gradients_sum_to_the_numeric_grad_over_a_batch():
    """Evaluated gradient expressions, summed over the 4-sample batch, equal Node.grad."""
    loss, params, inputs = perceptron()
    symbolic = evaluate_derivatives(loss, gradients(loss), params, inputs)
    numeric = loss.grad(params, inputs)
    assert list(symbolic) == list(numeric)
    for p in numeric:
        assert symbolic[p] == pytest.approx(numeric[p], rel=1e-12)


def test_gradients_are_pointwise_per_sample_derivatives():
    """Each element of an evaluated derivative is that sample's own gradient."""
    loss, params, inputs = perceptron()
    derivatives = gradients(loss)
    for i in range(4):
        sample = {key: value[i] for key, value in inputs.items()}
        per_sample = loss.grad(params, sample)
        for p, d in derivatives.items():
            assert np.broadcast_to(d(params, inputs), (4,))[i] == pytest.approx(per_sample[p])


def test_array_parameter_derivative_sums_down_to_its_shape():
    """For an array parameter the summed derivative has the parameter's shape and grad's values."""
    w, b = Parameter("w"), Parameter("b")
    data = Input("data")
    expr = Tanh(w * data + b) ** 2
    params = {w: np.array([0.5, -1.0, 2.0]), b: 0.25}
    inputs = {data: np.arange(12.0).reshape(4, 3) / 10}
    symbolic = evaluate_derivatives(expr, gradients(expr), params, inputs)
    numeric = expr.grad(params, inputs)
    assert symbolic[w].shape == (3,)
    np.testing.assert_allclose(symbolic[w], numeric[w], rtol=1e-12)
    assert symbolic[b] == pytest.approx(numeric[b], rel=1e-12)


def test_constant_derivative_is_broadcast_over_the_batch():
    """A derivative that is a constant counts once per sample, as grad does."""
    w = Parameter("w")
    expr = w + x
    assert str(gradients(expr)[w]) == "1"
    result = evaluate_derivatives(expr, gradients(expr), {w: 1.0}, {x: np.zeros(5)})
    assert result == {w: 5.0} == expr.grad({w: 1.0}, {x: np.zeros(5)})


def mlp(inputs, widths):
    params, layer = [], list(inputs)
    for width in widths:
        new = []
        for _ in range(width):
            weights = [Parameter(f"w{len(params) + i}") for i in range(len(layer))]
            bias = Parameter(f"b{len(params)}")
            params += weights + [bias]
            new.append(Tanh(sum((w * v for w, v in zip(weights, layer, strict=True)), bias)))
        layer = new
    return layer, params


def test_gradients_of_an_mlp_share_subexpressions():
    """All gradients of a 369-parameter MLP loss together stay within 3x the loss's size."""
    xs = [Input(f"x{i}") for i in range(4)]
    (out,), params = mlp(xs, [16, 16, 1])
    target = Input("y")
    loss = (out - target) ** 2
    assert len(params) == 369
    derivatives = gradients(loss)
    assert set(derivatives) == set(params)
    assert size(*derivatives.values()) <= 3 * size(loss)
    rng = np.random.default_rng(0)
    values = {p: rng.normal() for p in params}
    inputs = {v: rng.normal(size=5) for v in xs + [target]}
    numeric = loss.grad(values, inputs)
    symbolic = gradient_function(loss)(values, inputs)
    for p in params:
        assert symbolic[p] == pytest.approx(numeric[p], rel=1e-9, abs=1e-12)


def test_gradient_function_matches_grad():
    """gradient_function(expr) returns the same dict as expr.grad."""
    loss, params, inputs = perceptron()
    assert gradient_function(loss)(params, inputs) == pytest.approx(loss.grad(params, inputs))


@pytest.mark.slow
def test_deep_chain_differentiates_without_recursion():
    """diff and gradients work on an expression of 100 000 nodes (66 668 operations deep)."""
    w = Parameter("w")
    expr = w
    for _ in range(33_333):
        expr = Tanh(expr) * 1.0
    assert size(expr) == 100_000
    raw = diff(expr, w, simplified=False)
    value = raw({w: 0.1})
    assert 1e-6 < value < 1e-3  # the product of 33 333 factors (1 - tanh**2) < 1
    assert value == pytest.approx(expr.grad({w: 0.1})[w], rel=1e-9)
    assert gradients(expr)[w]({w: 0.1}) == pytest.approx(value, rel=1e-9)


# -- hessian ------------------------------------------------------------------------
def test_hessian_entries_print_and_match_finite_differences():
    """hessian(a**2*b) is [[2b, 2a], [2a, 0]] and agrees with differences of the gradient."""
    a, b = Parameter("a"), Parameter("b")
    expr = a**2 * b + Log(a * b)
    matrix = hessian(expr)
    assert str(matrix[0][1]) == str(matrix[1][0])
    values = {a: 1.5, b: 0.5}
    exact = evaluate_hessian(expr, matrix, values, {})
    h = 1e-6
    for j, q in enumerate((a, b)):
        up = expr.grad({**values, q: values[q] + h})
        down = expr.grad({**values, q: values[q] - h})
        for i, p in enumerate((a, b)):
            assert exact[i, j] == pytest.approx((up[p] - down[p]) / (2 * h), rel=1e-6)
    assert [[str(e) for e in row] for row in hessian(a**2 * b)] == [["2*b", "2*a"], ["2*a", "0"]]


def test_hessian_sums_pointwise_second_derivatives_over_the_batch():
    """Over a batch the evaluated Hessian is the sum of the per-sample Hessians."""
    loss, params, inputs = perceptron()
    matrix = hessian(loss)
    total = evaluate_hessian(loss, matrix, params, inputs)
    per_sample = sum(
        evaluate_hessian(loss, matrix, params, {k: v[i] for k, v in inputs.items()})
        for i in range(4)
    )
    np.testing.assert_allclose(total, per_sample, rtol=1e-12)
    np.testing.assert_allclose(total, total.T, rtol=1e-12)


def test_hessian_function_gives_mean_value_gradient_and_hessian():
    """hessian_function returns the batch means that Newton's method uses."""
    loss, params, inputs = perceptron()
    value, grad, matrix = hessian_function(loss)(params, inputs)
    assert value == pytest.approx(np.mean(loss(params, inputs)))
    numeric = loss.grad(params, inputs)
    np.testing.assert_allclose(grad, [numeric[p] / 4 for p in numeric], rtol=1e-12)
    np.testing.assert_allclose(matrix, evaluate_hessian(loss, hessian(loss), params, inputs) / 4)


def test_hessian_function_rejects_array_parameters_naming_them():
    """A non-scalar parameter value raises ValueError naming the parameter and its shape."""
    w = Parameter("w")
    with pytest.raises(ValueError, match=r"w has shape \(2,\)"):
        hessian_function((w * x) ** 2)({w: np.ones(2)}, {x: 1.0})


def test_hessian_rejects_non_parameters():
    """hessian(expr, params) with a non-Parameter raises TypeError naming it."""
    with pytest.raises(TypeError, match="takes Parameters, got Input\\('x'\\)"):
        hessian(x * x, [x])


def test_finite_differences_helper_agrees_with_symbolic_gradients():
    """numeric_grad (central differences) and the symbolic gradients agree on the perceptron."""
    loss, params, inputs = perceptron()
    symbolic = evaluate_derivatives(loss, gradients(loss), params, inputs)
    finite = numeric_grad(loss, params, inputs)
    for p in symbolic:
        assert symbolic[p] == pytest.approx(finite[p], rel=1e-6)


def test_evaluating_without_a_parameter_value_names_it():
    """The numeric helpers raise MissingValueError naming a Parameter with no value."""
    from exprdiff import MissingValueError

    w = Parameter("w")
    expr = (w * x) ** 2
    with pytest.raises(MissingValueError, match="Parameter 'w'"):
        hessian_function(expr)({}, {x: 1.0})
    with pytest.raises(MissingValueError, match="Parameter 'w'"):
        evaluate_derivatives(expr, gradients(expr), {}, {x: 1.0})
    with pytest.raises(MissingValueError, match="Parameter 'w'"):
        gradient_function(expr)({}, {x: 1.0})
