"""Array operations: values against NumPy, gradients against finite differences, shape errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import exprdiff.ops
from exprdiff import (
    Add,
    ClassScore,
    Clip,
    Divide,
    Input,
    LogSumExp,
    MatMul,
    Mean,
    Multiply,
    Parameter,
    Softmax,
    Subtract,
    Sum,
    SumOfSquares,
    Transpose,
)
from exprdiff.symbolic.finite_differences import numeric_grad

RNG = np.random.default_rng(0)


def assert_grad_matches(expr, params, inputs=None, rtol=1e-5, atol=1e-6):
    """The engine's gradient equals central differences, key by key and shape by shape."""
    exact = expr.grad(params, inputs)
    approx = numeric_grad(expr, params, inputs)
    assert exact.keys() == approx.keys()
    for param, value in exact.items():
        assert np.shape(value) == np.shape(params[param]), param
        np.testing.assert_allclose(value, approx[param], rtol=rtol, atol=atol, err_msg=str(param))


def random(*shape):
    return RNG.normal(size=shape) if shape else float(RNG.normal())


# -- MatMul ---------------------------------------------------------------------
MATMUL_SHAPES = [
    ((2, 3), (3, 4)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((3,), (3,)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((1, 2, 3), (4, 3, 2)),
    ((3,), (5, 3, 4)),
    ((5, 2, 3), (3,)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_value_and_gradients(shapes):
    """`a @ b` equals numpy.matmul, and both operands' gradients match finite differences."""
    a, b = Parameter("a"), Parameter("b")
    params = {a: random(*shapes[0]), b: random(*shapes[1])}
    expr = a @ b
    assert isinstance(expr, MatMul)
    np.testing.assert_allclose(expr(params), np.matmul(params[a], params[b]))
    assert_grad_matches(expr * expr, params)  # a non-constant upstream gradient


@settings(max_examples=40, deadline=None)
@given(hnp.mutually_broadcastable_shapes(
    signature=np.matmul.signature, max_dims=3, min_side=1, max_side=3))
def test_matmul_gradients_for_any_stacked_shapes(shapes):
    """Gradients of `a @ b` match finite differences for every shape matmul accepts."""
    a, b = Parameter("a"), Parameter("b")
    params = {a: random(*shapes.input_shapes[0]), b: random(*shapes.input_shapes[1])}
    assert_grad_matches(Sum(Softmax(a @ b, axis=None) * (a @ b)), params)


def test_matmul_from_numpy_on_the_left():
    """A NumPy array on the left of `@` builds a MatMul node, not an array of objects."""
    w = Parameter("w")
    expr = np.ones((2, 3)) @ w
    assert isinstance(expr, MatMul)
    np.testing.assert_allclose(expr({w: np.eye(3)}), np.ones((2, 3)))


def test_matmul_prints_infix():
    """MatMul prints with `@` and parenthesises sums around it."""
    x, w, b = Input("x"), Parameter("w"), Parameter("b")
    assert str((x + b) @ w) == "(x + b) @ w"
    assert str(x @ w + b) == "x @ w + b"


def test_matmul_shape_error_names_op_and_shapes():
    """A (3, 4) weight applied to 5 features raises ValueError naming MatMul and both shapes."""
    x, w = Input("x"), Parameter("layer0.w")
    expr = Sum(x @ w)
    with pytest.raises(ValueError) as caught:
        expr({w: np.ones((3, 4))}, {x: np.ones((10, 5))})
    message = str(caught.value)
    assert "MatMul" in message and "x @ layer0.w" in message
    assert "(10, 5)" in message and "(3, 4)" in message and "do not broadcast" not in message
    with pytest.raises(ValueError, match=r"MatMul.*\(3, 4\) and \(5,\)"):
        (w @ x)({w: np.ones((3, 4))}, {x: np.ones(5)})


def test_matmul_of_scalars_is_explained():
    """MatMul of a scalar value raises ValueError saying both operands need an axis."""
    x, w = Input("x"), Parameter("w")
    with pytest.raises(ValueError, match=r"MatMul.*shapes \(\) and \(3,\).*at least one axis"):
        (x @ w)({w: np.ones(3)}, {x: 2.0})


def test_matmul_stack_mismatch_is_explained():
    """Stacks of matrices that do not broadcast are named as such."""
    a, b = Parameter("a"), Parameter("b")
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) and \(5, 4, 1\).*stacked"):
        (a @ b)({a: np.ones((2, 3, 4)), b: np.ones((5, 4, 1))})


# -- reductions --------------------------------------------------------------------
AXES = [None, 0, 1, -1, (0, 2), (-1, 0)]


REFERENCE = {
    Sum: np.sum, Mean: np.mean, SumOfSquares: lambda x, axis: np.sum(x * x, axis=axis),
}


@pytest.mark.parametrize("op", [Sum, Mean, SumOfSquares])
@pytest.mark.parametrize("axis", AXES, ids=str)
def test_reduction_value_and_gradient(op, axis):
    """Sum, Mean and SumOfSquares equal NumPy's along every axis choice, gradients too."""
    w = Parameter("w")
    params = {w: random(2, 3, 4)}
    expr = op(w, axis=axis)
    expected = REFERENCE[op](params[w], axis=axis)
    np.testing.assert_allclose(expr(params), expected)
    assert_grad_matches(op(w * w, axis=axis) * op(w, axis=axis), params)


@pytest.mark.parametrize("op", [Sum, Mean])
def test_reduction_of_a_scalar(op):
    """Reducing a scalar over all axes is the scalar itself, gradient 1."""
    w = Parameter("w")
    assert op(w)({w: 2.5}) == 2.5
    assert op(3 * w).grad({w: 2.5}) == {w: 3.0}
    assert SumOfSquares(w)({w: 2.5}) == 6.25 and SumOfSquares(w).grad({w: 2.5}) == {w: 5.0}


def test_mean_of_batch_divides_gradient():
    """The mean over a batch divides each sample's gradient by the batch size."""
    w, x = Parameter("w"), Input("x")
    grads = Mean(w * x).grad({w: 2.0}, {x: [1.0, 2.0, 3.0, 6.0]})
    assert grads[w] == pytest.approx(3.0)


def test_reduction_bad_axis_is_a_value_error_naming_the_op():
    """An axis out of range fails at evaluation with ValueError naming the operation."""
    w = Parameter("w")
    with pytest.raises(ValueError, match=r"Sum \(sum\(w, axis=2\)\).*axis 2"):
        Sum(w, axis=2)({w: np.ones((2, 3))})


@pytest.mark.parametrize("bad", [1.5, "0", True, (0, "1"), [0.0]])
def test_axis_must_be_int_tuple_or_none(bad):
    """Constructing a reduction with a non-integer axis raises TypeError naming it."""
    with pytest.raises(TypeError, match=r"Sum: axis must be None, an int or a tuple of ints"):
        Sum(Parameter("w"), axis=bad)


def test_axis_setting_is_stored_json_friendly():
    """Settings are stored as None, int or tuple of ints and printed with the call."""
    w = Parameter("w")
    assert Sum(w, axis=[0, 1]).axis == (0, 1)
    assert Mean(w, axis=np.int64(1)).axis == 1
    assert Sum(w).axis is None and LogSumExp(w).axis == -1 and Softmax(w).axis == -1
    assert Sum.settings == ("axis", "keepdims") and Transpose.settings == ("axes",)
    assert str(Mean(w, axis=0)) == "mean(w, axis=0)"
    with pytest.raises(AttributeError, match="immutable"):
        Sum(w).axis = 1


def test_array_ops_are_not_elementwise():
    """The array operations, tested here and in test_shaping.py (reductions, reshaping,
    joining, indexing), are exactly the non-elementwise ones exported."""
    arrays = {MatMul, Sum, Mean, SumOfSquares, Transpose, LogSumExp, Softmax, ClassScore,
              *(getattr(exprdiff.ops, name) for name in (
                  "Max", "Min", "Prod", "Var", "Std", "Reshape", "ExpandDims", "Squeeze",
                  "BroadcastTo", "Concatenate", "Stack", "Index"))}
    exported = {getattr(exprdiff.ops, name) for name in exprdiff.ops.__all__}
    assert {op for op in exported if not op.elementwise} == arrays
    assert Clip.elementwise is True


# -- LogSumExp and Softmax -------------------------------------------------------------
def _hand_logsumexp(x, axis):
    peak = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(peak, axis=axis) + np.log(np.sum(np.exp(x - peak), axis=axis))


@pytest.mark.parametrize("axis", [-1, 0, 1, None, (0, 1)], ids=str)
def test_logsumexp_and_softmax_values_and_gradients(axis):
    """LogSumExp and Softmax equal the textbook formulas, with matching gradients."""
    z = Parameter("z")
    params = {z: random(3, 4)}
    value = params[z]
    np.testing.assert_allclose(LogSumExp(z, axis=axis)(params), _hand_logsumexp(value, axis))
    expected = np.exp(value) / np.sum(np.exp(value), axis=axis, keepdims=True)
    np.testing.assert_allclose(Softmax(z, axis=axis)(params), expected)
    weights = random(3, 4)
    assert_grad_matches(LogSumExp(z * weights, axis=axis) ** 2, params)
    assert_grad_matches(Softmax(z, axis=axis) * weights, params)


def test_logsumexp_and_softmax_are_stable_for_large_inputs():
    """Inputs of magnitude 1e3 give finite values and gradients without warnings."""
    z = Parameter("z")
    params = {z: np.array([[1000.0, -1000.0, 999.0], [-1000.0, -1001.0, -1000.0]])}
    lse = LogSumExp(z)(params)
    np.testing.assert_allclose(lse, [1000 + np.log1p(np.exp(-1.0)), -1000 + np.log1p(
        np.exp(-1.0) + 1.0)])
    probabilities = Softmax(z)(params)
    assert np.all(np.isfinite(probabilities))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    grads = LogSumExp(z).grad(params)[z]
    np.testing.assert_allclose(grads, probabilities)


def test_logsumexp_of_all_minus_infinity_is_minus_infinity():
    """A slice of all -inf (everything masked) gives -inf, with no warning or NaN."""
    z = Input("z")
    value = LogSumExp(z)({}, {z: [[-np.inf, -np.inf], [0.0, -np.inf]]})
    np.testing.assert_array_equal(value, [-np.inf, 0.0])


def test_softmax_rows_sum_to_one_and_gradient_of_sum_is_zero():
    """Softmax rows sum to 1, so the gradient of their total is zero."""
    z = Parameter("z")
    params = {z: random(4, 5)}
    np.testing.assert_allclose(Sum(Softmax(z)).grad(params)[z], 0.0, atol=1e-12)


# -- Transpose -----------------------------------------------------------------------
@pytest.mark.parametrize("axes", [None, (1, 0, 2), (2, 0, 1)], ids=str)
def test_transpose_value_and_gradient(axes):
    """Transpose equals numpy.transpose; its gradient routes each element back."""
    w = Parameter("w")
    params = {w: random(2, 3, 4)}
    np.testing.assert_array_equal(Transpose(w, axes)(params), np.transpose(params[w], axes))
    assert_grad_matches(Transpose(w, axes) * random(*np.transpose(params[w], axes).shape), params)


def test_transpose_of_scalar_and_matrix_product():
    """Transpose of a scalar is the scalar; (x @ w).T equals w.T @ x.T."""
    w, x = Parameter("w"), Input("x")
    assert Transpose(w)({w: 2.0}) == 2.0
    assert Transpose(w).grad({w: 2.0}) == {w: 1.0}
    params, inputs = {w: random(3, 2)}, {x: random(4, 3)}
    np.testing.assert_allclose(Transpose(x @ w)(params, inputs),
                               (Transpose(w) @ Transpose(x))(params, inputs))


def test_transpose_axes_must_be_a_tuple():
    """A single int is not a permutation: Transpose raises TypeError."""
    with pytest.raises(TypeError, match="Transpose: axes must be None or a tuple"):
        Transpose(Parameter("w"), axes=1)


# -- ClassScore ------------------------------------------------------------------------
def test_class_score_gradients_integer_and_one_hot():
    """ClassScore picks the labelled logit; integer and one-hot labels agree, gradients too."""
    z, y = Parameter("z"), Input("y")
    params = {z: random(5, 3)}
    labels = np.array([0, 2, 1, 1, 0])
    one_hot = np.eye(3)[labels]
    picked = params[z][np.arange(5), labels]
    np.testing.assert_allclose(ClassScore(z, y)(params, {y: labels}), picked)
    np.testing.assert_allclose(ClassScore(z, y)(params, {y: one_hot}), picked)
    weights = random(5)
    for labels_value in (labels, one_hot):
        assert_grad_matches(ClassScore(z * z, y) * weights, params, {y: labels_value})


def test_class_score_soft_labels_carry_gradient():
    """With one-hot (or probability) labels given as a Parameter, they get a gradient too."""
    z, y = Parameter("z"), Parameter("y")
    params = {z: random(2, 3), y: random(2, 3)}
    assert_grad_matches(ClassScore(z, y) ** 2, params)


@pytest.mark.parametrize("labels, message", [
    ([0, 3], r"integers from 0 to 2, got 3"),
    ([0, -1], r"got -1"),
    ([0.5, 1], r"got 0.5"),
    ([0, np.nan], r"got nan"),
    ([0, np.inf], r"got inf"),
    ([0, -(2.0**63)], r"got -9.22337e\+18"),  # the most negative int64: its unsigned view
    ([[0, 1]], r"labels of shape \(1, 2\) fit neither logits of shape \(2, 3\)"),
])
def test_class_score_bad_labels(labels, message):
    """Labels out of range, fractional, NaN or of the wrong shape raise ValueError naming them."""
    z, y = Parameter("z"), Input("y")
    with pytest.raises(ValueError, match=r"ClassScore.*" + message):
        ClassScore(z, y)({z: np.zeros((2, 3))}, {y: labels})


# -- Clip ------------------------------------------------------------------------------
def test_clip_value_and_gradient_with_bounds():
    """Clip equals numpy.clip; its slope is 1 inside, 0 outside, 1/2 on a bound."""
    p = Parameter("p")
    values = np.array([-2.0, 0.0, 0.3, 1.0, 5.0])
    expr = Clip(p, 0.0, 1.0)
    np.testing.assert_array_equal(expr({p: values}), np.clip(values, 0, 1))
    np.testing.assert_array_equal(expr.grad({p: values})[p], [0.0, 0.5, 1.0, 0.5, 0.0])
    assert_grad_matches(Clip(p * p, -1.0, 2.0), {p: np.array([-3.0, 0.4, 0.9, 2.0])})
    assert Clip(p, 0.0, 1.0)({p: 3.0}) == 1.0
    assert str(expr) == "clip(p, low=0.0, high=1.0)"


def test_clip_needs_ordered_bounds():
    """Clip with low > high (or NaN) raises ValueError naming both bounds."""
    with pytest.raises(ValueError, match=r"low <= high, got low=1.0, high=0.0"):
        Clip(Parameter("p"), 1.0, 0.0)


# -- broadcasting gradients ------------------------------------------------------------
BROADCAST_CASES = [
    ((8, 3), (3,)),       # a bias vector added to a batch
    ((8, 3), (1, 3)),
    ((8, 3), (8, 1)),     # a per-sample column
    ((8, 3), ()),         # a scalar parameter
    ((4, 1), (1, 3)),     # outer broadcast on both sides
    ((2, 1, 3), (4, 3)),
    ((3,), (2, 4, 3)),    # the parameter is the larger one
]


@pytest.mark.parametrize("op", [Add, Subtract, Multiply, Divide])
@pytest.mark.parametrize("shapes", BROADCAST_CASES, ids=str)
def test_broadcast_gradients_are_summed_to_each_operand_shape(op, shapes):
    """Broadcast operands get gradients shaped like their own values, matching differences."""
    a, b = Parameter("a"), Parameter("b")
    params = {a: random(*shapes[0]), b: random(*shapes[1]) + 3.0}
    assert_grad_matches(op(a, b) * op(a, b), params)


def test_bias_gradient_is_the_column_sum():
    """The gradient of sum(x @ w + b) for a bias vector is the batch size in every entry."""
    x, w, b = Input("x"), Parameter("w"), Parameter("b")
    grads = (x @ w + b).grad({w: random(2, 3), b: np.zeros(3)}, {x: random(7, 2)})
    np.testing.assert_array_equal(grads[b], [7.0, 7.0, 7.0])
    assert grads[w].shape == (2, 3)


@settings(max_examples=60, deadline=None)
@given(
    hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, min_side=1, max_side=3),
    st.sampled_from([Add, Subtract, Multiply]),
)
def test_broadcast_gradients_property(shapes, op):
    """For any mutually broadcastable shapes, gradients match finite differences."""
    a, b, c = Parameter("a"), Parameter("b"), Parameter("c")
    params = {a: random(*shapes.input_shapes[0]), b: random(*shapes.input_shapes[1]),
              c: random(*shapes.input_shapes[2])}
    assert_grad_matches(Sum(op(a, b) * c * op(b, a), axis=None), params)


def test_shared_broadcast_parameter_accumulates():
    """A bias used twice at different broadcast shapes gets both contributions."""
    x, b = Input("x"), Parameter("b")
    params, inputs = {b: random(3)}, {x: random(5, 3)}
    expr = Sum((x + b) * (x + b)) + Sum(b * b)
    assert_grad_matches(expr, params, inputs)


# -- depth -----------------------------------------------------------------------------
@pytest.mark.slow
def test_deep_chain_of_array_ops():
    """A 100 000-node chain of Transpose and Mean evaluates and differentiates iteratively."""
    w = Parameter("w")
    node = w
    for _ in range(50_000):
        node = Transpose(node) * 1.0
    value = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(Mean(node)({w: value}), value.mean())
    np.testing.assert_allclose(Mean(node).grad({w: value})[w], np.full((2, 3), 1 / 6))


def test_transpose_with_negative_axes_has_the_gradient_of_the_same_permutation():
    """Issue 11.1: axes=(-1, 0, 1) is the permutation (2, 0, 1), value and gradient alike,
    with equal dimensions (once a wrong gradient) and unequal ones (once a broadcast error)."""
    w = Parameter("w")
    for shape in [(2, 2, 2), (2, 3, 4)]:
        params = {w: random(*shape)}
        weights = random(*np.transpose(params[w], (2, 0, 1)).shape)
        negative = Sum(Transpose(w, axes=(-1, 0, 1)) * weights)
        positive = Sum(Transpose(w, axes=(2, 0, 1)) * weights)
        assert negative(params) == positive(params)
        np.testing.assert_array_equal(negative.grad(params)[w], positive.grad(params)[w])
        np.testing.assert_array_equal(negative.grad(params)[w],
                                      np.transpose(weights, np.argsort((2, 0, 1))))
        assert_grad_matches(negative, params)


@pytest.mark.parametrize("axes", [(0, 0, 1), (3, 0, 1), (-4, 0, 1), (0, 2)], ids=str)
def test_transpose_axes_must_be_a_permutation(axes):
    """Axes that repeat or leave the range of a permutation raise ValueError naming them."""
    with pytest.raises(ValueError, match=r"Transpose: axes must be a permutation .* got \(" + str(axes[0])):
        Transpose(Parameter("w"), axes=axes)


def test_softmax_and_logsumexp_of_opposite_extremes_do_not_warn():
    """Softmax([1e308, -1e308]) warned of an overflow (-1e308 - 1e308); its value [1, 0] is exact,
    and so are LogSumExp's value and both gradients."""
    import warnings

    z = Parameter("z")
    point = {z: np.array([1e308, -1e308])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(Softmax(z)(point), [1.0, 0.0])
        np.testing.assert_array_equal((Softmax(z) * np.array([1.0, 2.0])).grad(point)[z], [0.0, 0.0])
        assert LogSumExp(z)(point) == 1e308
        np.testing.assert_array_equal(LogSumExp(z).grad(point)[z], [1.0, 0.0])


def test_class_score_of_one_sample_is_a_scalar():
    """Found by the fuzzer: integer labels on 1-D logits gave a 0-d array, which MatMul took for
    a matrix (np.dot multiplies by it) while every other path refused a scalar operand."""
    z, y = Parameter("z"), Input("y")
    value = ClassScore(z, y)({z: np.array([1.0, 5.0, 7.0])}, {y: 2.0})
    assert type(value) is float and value == 7.0
    assert type(ClassScore(z, y).forward(np.array([1.0, 5.0, 7.0]), 1.0)) is np.float64
    with pytest.raises(ValueError, match=r"MatMul .*: matrix product of shapes \(\) and \(3,\)"):
        (ClassScore(z, y) @ z)({z: np.array([1.0, 5.0, 7.0])}, {y: 2.0})


def test_clip_with_equal_bounds_has_slope_zero_everywhere():
    """Found by the fuzzer: Clip(x, -2, -2) is the constant -2, yet its slope at x = -2 was 1/2
    (the bound rule); both one-sided slopes are 0 there."""
    p = Parameter("p")
    points = np.array([-3.0, -2.0, -1.0])
    assert Clip(p, -2.0, -2.0).grad({p: points})[p].tolist() == [0.0, 0.0, 0.0]
    assert_grad_matches(Clip(p, -2.0, -2.0), {p: points})
    assert Clip(p, -2.0, 1.0).grad({p: points})[p].tolist() == [0.0, 0.5, 1.0]
