"""NumPy functions on nodes build the right nodes, or raise TypeError naming the function (issue 11.5)."""

import numpy as np
import pytest

import exprdiff.ops
from exprdiff import Clip, Input, MatMul, Mean, Multiply, Parameter, Sum, Transpose, UnaryOp
from exprdiff.core import nodes
from exprdiff.ops import __all__ as OPERATIONS

x, w = Input("x"), Parameter("w")
DATA = np.array([[1.0, 2.0, 6.0], [3.0, -4.0, 0.5]])


def test_mean_is_a_mean_not_a_division_by_one():
    """np.mean(x) built x/1 (the whole array); now Mean, over all elements or an axis."""
    assert type(np.mean(x)) is Mean and np.mean(x).axis is None
    assert np.mean(x)({}, {x: DATA}) == np.mean(DATA)
    np.testing.assert_array_equal(np.mean(x, axis=1)({}, {x: DATA}), np.mean(DATA, axis=1))


def test_dot_is_the_matrix_product_not_elementwise():
    """np.dot(x, x) built x*x; now MatMul, equal to np.dot for vectors and matrices."""
    v = np.array([1.0, 2.0, 3.0])
    assert type(np.dot(x, x)) is MatMul
    assert np.dot(x, x)({}, {x: v}) == np.dot(v, v) == 14.0
    np.testing.assert_array_equal(np.dot(x, w)({w: DATA.T}, {x: DATA}), np.dot(DATA, DATA.T))
    np.testing.assert_array_equal(np.dot(DATA, w)({w: v}), np.dot(DATA, v))


def test_dot_with_a_number_multiplies_and_with_stacks_refuses():
    """np.dot(2, x) is 2*x, as in NumPy; np.dot with a 3-D array is no matrix product."""
    assert type(np.dot(2.0, x)) is Multiply and np.dot(2.0, x)({}, {x: 3.0}) == 6.0
    with pytest.raises(TypeError, match=r"numpy.dot on an expression node: an array of shape \(2, 2, 2\)"):
        np.dot(np.ones((2, 2, 2)), x)


def test_sum_and_add_reduce_build_sums():
    """np.sum(x) raised an unreadable NotImplemented error; np.add.reduce sums over axis 0."""
    assert type(np.sum(x)) is Sum and np.sum(x).axis is None
    assert np.sum(x)({}, {x: DATA}) == np.sum(DATA)
    np.testing.assert_array_equal(np.sum(x, 0)({}, {x: DATA}), np.sum(DATA, 0))
    assert np.add.reduce(x).axis == 0
    np.testing.assert_array_equal(np.add.reduce(x)({}, {x: DATA}), np.add.reduce(DATA))
    assert np.add.reduce(x, axis=None)({}, {x: DATA}) == np.sum(DATA)
    assert np.sum(w * w).grad({w: np.array([1.0, 2.0])})[w].tolist() == [2.0, 4.0]


def test_transpose_and_clip():
    """np.transpose and np.clip (positional bounds, keywords, one bound None) build the nodes."""
    assert type(np.transpose(x)) is Transpose and np.transpose(x, (1, 0)).axes == (1, 0)
    np.testing.assert_array_equal(np.transpose(x)({}, {x: DATA}), DATA.T)
    for node in (np.clip(x, 0, 2), np.clip(x, a_min=0, a_max=2), np.clip(x, min=0, max=2)):
        assert type(node) is Clip and (node.low, node.high) == (0.0, 2.0)
        np.testing.assert_array_equal(node({}, {x: DATA}), np.clip(DATA, 0, 2))
    assert np.clip(x, None, 1).low == -np.inf and np.clip(x, 1, None).high == np.inf


@pytest.mark.parametrize("call, name", [
    (lambda: np.median(x), "numpy.median"),
    (lambda: np.linalg.norm(x), "numpy.linalg.norm"),
    (lambda: np.cumsum(x), "numpy.cumsum"),
    (lambda: np.shape(x), "numpy.shape"),
    (lambda: np.heaviside(x, 0.5), "numpy.heaviside"),
    (lambda: np.logical_xor(x, x), "numpy.logical_xor"),
    (lambda: np.add.accumulate(x), "numpy.add.accumulate"),
    (lambda: np.subtract.reduce(x), "numpy.subtract.reduce"),
    (lambda: np.add.outer(x, x), "numpy.add.outer"),
], ids=lambda item: item if isinstance(item, str) else "")
def test_other_functions_raise_type_error_naming_them(call, name):
    """A NumPy function no operation implements says so, by name, instead of a wrong node."""
    with pytest.raises(TypeError, match=rf"^{name} has no exprdiff form: it cannot be applied to the expression node x"):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: np.sum(x, keepdims="yes"), "numpy.sum on an expression node: Sum: keepdims must be True or False"),
    (lambda: np.mean(x, dtype=np.float32), "numpy.mean on an expression node: dtype=<class 'numpy.float32'> has no"),
    (lambda: np.add(x, 1.0, out=np.zeros(1)), "numpy.add on an expression node takes the operands only; out has no"),
    (lambda: np.add.reduce(x, dtype=np.float32), "numpy.add.reduce on an expression node: dtype=<class 'numpy.float32'> has no"),
    (lambda: np.clip(x), "numpy.clip on an expression node: give a lower or an upper bound"),
    (lambda: np.sum(x, where=True), "numpy.sum on an expression node: .*where"),
])
def test_arguments_without_a_form_raise_type_error(call, message):
    """Keyword arguments that exprdiff has no form for are refused, naming function and argument."""
    with pytest.raises(TypeError, match=message):
        call()


def test_registries_are_derived_from_the_operation_classes():
    """Each op's numpy_functions and reduces are registered for it, and a new op class adds
    its own functions by naming them: no table written out by hand."""
    for name in OPERATIONS:
        op = getattr(exprdiff.ops, name)
        for function in op.__dict__.get("numpy_functions", ()):
            table = nodes._OPERATION_FOR_UFUNC if isinstance(function, np.ufunc) \
                else nodes._OPERATION_FOR_FUNCTION
            assert table[function] is op
        if op.__dict__.get("reduces") is not None:
            assert nodes._OPERATION_FOR_REDUCE[op.reduces] is op
    assert nodes._OPERATION_FOR_REDUCE[np.add] is Sum

    class RunningTotal(UnaryOp):
        numpy_functions = (np.nancumsum,)

        def forward(self, x):
            return np.cumsum(x)

    # as for ufuncs, a user's class joins the table only through register_ufunc (issue 10's
    # ownership rule): its attribute alone changes nothing
    with pytest.raises(TypeError, match="numpy.nancumsum has no exprdiff form"):
        np.nancumsum(x)
    assert exprdiff.register_ufunc(RunningTotal) is RunningTotal
    assert type(np.nancumsum(x)) is RunningTotal
    assert np.nancumsum(x)({}, {x: np.array([1.0, 2.0])}).tolist() == [1.0, 3.0]
