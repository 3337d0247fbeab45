"""NumPy's own functions on nodes build the operations of issue 12 (with their keywords), the
convenience methods build the same nodes as the classes, and a model written against NumPy
builds an expression unchanged (tests/test_numpy_functions.py has the mechanism's own tests)."""

import numpy as np
import pytest

import exprdiff
from exprdiff import Input, Parameter, Sigmoid, Tanh
from exprdiff.symbolic.finite_differences import numeric_grad

a, b = Parameter("a"), Parameter("b")
RNG = np.random.default_rng(8)
VALUES = {a: RNG.uniform(0.2, 0.9, size=(3, 4)), b: RNG.uniform(0.2, 0.9, size=(3, 4))}

#: (NumPy applied to nodes, the exprdiff operation it must equal)
SAME = {
    "np.sum keepdims": (lambda: np.sum(a, axis=0, keepdims=True), lambda: exprdiff.Sum(a, 0, True)),
    "np.mean axis": (lambda: np.mean(a, axis=1), lambda: exprdiff.Mean(a, axis=1)),
    "np.prod": (lambda: np.prod(a, axis=1, keepdims=True), lambda: exprdiff.Prod(a, 1, True)),
    "np.multiply.reduce": (lambda: np.multiply.reduce(a), lambda: exprdiff.Prod(a, axis=0)),
    "np.max": (lambda: np.max(a, axis=0), lambda: exprdiff.Max(a, axis=0)),
    "np.amax": (lambda: np.amax(a), lambda: exprdiff.Max(a)),
    "np.maximum.reduce": (lambda: np.maximum.reduce(a, axis=1), lambda: exprdiff.Max(a, 1)),
    "np.min": (lambda: np.min(a, keepdims=True), lambda: exprdiff.Min(a, keepdims=True)),
    "np.amin": (lambda: np.amin(a, axis=(0, 1)), lambda: exprdiff.Min(a, axis=(0, 1))),
    "np.var": (lambda: np.var(a, axis=0, ddof=1), lambda: exprdiff.Var(a, axis=0, ddof=1)),
    "np.std": (lambda: np.std(a, keepdims=True), lambda: exprdiff.Std(a, keepdims=True)),
    "np.dot": (lambda: np.dot(a, b.T), lambda: exprdiff.MatMul(a, exprdiff.Transpose(b))),
    "np.matmul": (lambda: np.matmul(a.T, b), lambda: exprdiff.MatMul(exprdiff.Transpose(a), b)),
    "np.transpose": (lambda: np.transpose(a, (1, 0)), lambda: exprdiff.Transpose(a, (1, 0))),
    "np.reshape": (lambda: np.reshape(a, (2, 6)), lambda: exprdiff.Reshape(a, (2, 6))),
    "np.ravel": (lambda: np.ravel(a), lambda: exprdiff.Reshape(a, -1)),
    "np.expand_dims": (lambda: np.expand_dims(a, 1), lambda: exprdiff.ExpandDims(a, 1)),
    "np.squeeze": (lambda: np.squeeze(np.expand_dims(a, 0)),
                   lambda: exprdiff.Squeeze(exprdiff.ExpandDims(a, 0))),
    "np.broadcast_to": (lambda: np.broadcast_to(a[0], (2, 4)),
                        lambda: exprdiff.BroadcastTo(a[0], (2, 4))),
    "np.concatenate": (lambda: np.concatenate([a, b], axis=1),
                       lambda: exprdiff.Concatenate(a, b, axis=1)),
    "np.concat": (lambda: np.concat((a, b)), lambda: exprdiff.Concatenate(a, b)),
    "np.stack": (lambda: np.stack([a, b], axis=-1), lambda: exprdiff.Stack(a, b, axis=-1)),
    "np.where": (lambda: np.where(a > b, a, b * 2), lambda: exprdiff.Where(a > b, a, b * 2)),
    "np.clip": (lambda: np.clip(a, 0.3, 0.7), lambda: exprdiff.Clip(a, 0.3, 0.7)),
    "np.maximum": (lambda: np.maximum(a, b), lambda: exprdiff.Maximum(a, b)),
    "np.minimum": (lambda: np.minimum(a, 0.5), lambda: exprdiff.Minimum(a, 0.5)),
    "np.fmax": (lambda: np.fmax(a, b), lambda: exprdiff.Fmax(a, b)),
    "np.square": (lambda: np.square(a), lambda: exprdiff.Square(a)),
    "np.round": (lambda: np.round(a * 10, 1), lambda: exprdiff.Round(a * 10, 1)),
    "np.around": (lambda: np.around(a), lambda: exprdiff.Round(a)),
    "np.rint": (lambda: np.rint(a), lambda: exprdiff.Round(a)),
    "np.radians": (lambda: np.radians(a), lambda: exprdiff.Deg2rad(a)),
    "np.degrees": (lambda: np.degrees(a), lambda: exprdiff.Rad2deg(a)),
    "np.mod": (lambda: np.mod(a, b), lambda: exprdiff.Mod(a, b)),
    "np.remainder": (lambda: np.remainder(a, 0.3), lambda: exprdiff.Mod(a, 0.3)),
    "np.arcsin": (lambda: np.arcsin(a), lambda: exprdiff.Arcsin(a)),
    "np.arctan2": (lambda: np.arctan2(a, b), lambda: exprdiff.Arctan2(a, b)),
    "np.hypot": (lambda: np.hypot(a, b), lambda: exprdiff.Hypot(a, b)),
    "np.logaddexp2": (lambda: np.logaddexp2(a, b), lambda: exprdiff.Logaddexp2(a, b)),
    "np.log1p": (lambda: np.log1p(a), lambda: exprdiff.Log1p(a)),
    "np.cbrt": (lambda: np.cbrt(a), lambda: exprdiff.Cbrt(a)),
    "np.reciprocal": (lambda: np.reciprocal(a), lambda: exprdiff.Reciprocal(a)),
    "np.floor": (lambda: np.floor(a * 3), lambda: exprdiff.Floor(a * 3)),
    "np.greater": (lambda: np.where(np.greater(a, b), 1.0, a), lambda: exprdiff.Where(a > b, 1.0, a)),
    "np.logical_and": (lambda: np.where(np.logical_and(a > 0.5, b > 0.5), a, b),
                       lambda: exprdiff.Where((a > 0.5) & (b > 0.5), a, b)),
    "np.isnan": (lambda: np.where(np.isnan(a), 0.0, a), lambda: exprdiff.Where(exprdiff.Isnan(a), 0.0, a)),
}


@pytest.mark.parametrize("name", sorted(SAME))
def test_numpy_on_nodes_builds_the_operation(name):
    """The NumPy call builds a node structurally equal to the operation written out, with the
    same value and gradient."""
    numpy_form, exprdiff_form = (make() for make in SAME[name])
    assert numpy_form.equals(exprdiff_form), (str(numpy_form), str(exprdiff_form))
    np.testing.assert_array_equal(numpy_form(VALUES), exprdiff_form(VALUES))
    got, want = numpy_form.grad(VALUES), exprdiff_form.grad(VALUES)
    for param in want:
        np.testing.assert_array_equal(got[param], want[param])


def test_a_model_written_against_numpy_builds_unchanged():
    """np.tanh(W @ x + b) and np.mean((y - p)**2) are expressions: values and gradients are
    NumPy's and the central differences'."""
    W, bias, x, y = Parameter("W"), Parameter("bias"), Input("x"), Input("y")

    def model(xp, weights, offsets, inputs, targets):
        hidden = xp.tanh(weights @ inputs + offsets)
        return xp.mean((targets - np.sum(hidden, axis=0)) ** 2)

    loss = model(np, W, bias, x, y)
    params = {W: RNG.normal(size=(3, 2)), bias: RNG.normal(size=(3, 1))}
    data = {x: RNG.normal(size=(2, 5)), y: RNG.normal(size=5)}
    assert loss(params, data) == pytest.approx(model(np, params[W], params[bias], data[x], data[y]),
                                               rel=1e-14)
    exact, numeric = loss.grad(params, data), numeric_grad(loss, params, data)
    for param in params:
        np.testing.assert_allclose(exact[param], numeric[param], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("call, name", [
    (lambda: np.cumsum(a), "numpy.cumsum"),
    (lambda: np.sort(a), "numpy.sort"),
    (lambda: np.linalg.norm(a), "numpy.linalg.norm"),
    (lambda: np.trace(a), "numpy.trace"),
    (lambda: np.heaviside(a, 0.5), "numpy.heaviside"),
    (lambda: np.maximum.accumulate(a), "numpy.maximum.accumulate"),
])
def test_other_numpy_functions_name_themselves(call, name):
    """Anything without an exprdiff form raises TypeError naming the function."""
    with pytest.raises(TypeError, match=rf"^{name} has no exprdiff form"):
        call()


@pytest.mark.parametrize("method, op", [
    (lambda x: x.exp(), lambda x: exprdiff.Exp(x)), (lambda x: x.log(), lambda x: exprdiff.Log(x)),
    (lambda x: x.sqrt(), lambda x: exprdiff.Sqrt(x)), (lambda x: x.tanh(), lambda x: Tanh(x)),
    (lambda x: x.sigmoid(), lambda x: Sigmoid(x)), (lambda x: x.relu(), lambda x: exprdiff.ReLU(x)),
    (lambda x: x.sum(), lambda x: exprdiff.Sum(x)),
    (lambda x: x.sum(axis=1, keepdims=True), lambda x: exprdiff.Sum(x, 1, True)),
    (lambda x: x.mean(axis=0), lambda x: exprdiff.Mean(x, axis=0)),
    (lambda x: x.max(axis=1), lambda x: exprdiff.Max(x, axis=1)),
    (lambda x: x.min(), lambda x: exprdiff.Min(x)),
    (lambda x: x.T, lambda x: exprdiff.Transpose(x)),
    (lambda x: x.transpose(1, 0), lambda x: exprdiff.Transpose(x, (1, 0))),
    (lambda x: x.transpose((1, 0)), lambda x: exprdiff.Transpose(x, (1, 0))),
    (lambda x: x.reshape(4, 3), lambda x: exprdiff.Reshape(x, (4, 3))),
    (lambda x: x.reshape((4, 3)), lambda x: exprdiff.Reshape(x, (4, 3))),
    (lambda x: x.reshape(-1), lambda x: exprdiff.Reshape(x, (-1,))),
    (lambda x: x.ravel(), lambda x: exprdiff.Reshape(x, (-1,))),
    (lambda x: x[1:, 0], lambda x: exprdiff.Index(x, (slice(1, None), 0))),
])
def test_methods_return_the_node_the_class_would(method, op):
    """x.exp(), x.sum(axis=...), x.T, x.reshape(...): the same node as the class, same values."""
    built, expected = method(a), op(a)
    assert type(built) is type(expected) and built.equals(expected)
    np.testing.assert_array_equal(built(VALUES), expected(VALUES))


def test_the_shape_of_a_node_is_not_promised():
    """.shape raises AttributeError explaining that values are known only once evaluated (so
    hasattr(node, 'shape') is False); the value's shape is the answer."""
    with pytest.raises(AttributeError, match="the shape of an expression is only known once it is "
                                             "evaluated: a may take values of any shape"):
        _ = a.shape
    assert not hasattr(a * 2, "shape")
    assert a.T(VALUES).shape == (4, 3)
