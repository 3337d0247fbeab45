"""Habits from micrograd and PyTorch end in a message that shows the exprdiff way."""

import warnings

import numpy as np
import pytest

from exprdiff import Constant, Input, MissingValueError, Node, Parameter, UnaryOp, node_gradients
from exprdiff.core.habits import GradMethod

W, X = Parameter("w"), Input("x")


def test_backward_shows_grad_and_node_gradients():
    """loss.backward() raises TypeError naming loss.grad(params, inputs) and node_gradients."""
    loss = (W * X - 1) ** 2
    with pytest.raises(TypeError) as caught:
        loss.backward()
    message = str(caught.value)
    assert "(w*x - 1)**2).backward()" in message
    assert "loss.grad(params, inputs)" in message
    assert "node_gradients(loss, params, inputs)" in message
    assert "backprop_steps(loss, params, inputs)" in message


def test_backward_of_a_leaf():
    """A leaf's backward() names the same calls, with the leaf's name."""
    with pytest.raises(TypeError, match=r"(?s)^w\.backward\(\) is how micrograd.*loss\.grad"):
        W.backward()


@pytest.mark.parametrize("node, where", [
    (W, r"params\[w\] in the dict you evaluate with, expr\(params, inputs\)"),
    (X, r"inputs\[x\] in the dict you evaluate with"),
    (Constant(2.0), r"A Constant keeps its number in \.value"),
    (W * X, r"computed when asked: expr\(params, inputs\).*node_gradients"),
])
def test_data_says_where_the_value_lives(node, where):
    """Reading .data raises AttributeError saying where that kind of node's value is."""
    with pytest.raises(AttributeError, match=where) as caught:
        _ = node.data
    assert "has no .data" in str(caught.value)
    assert not hasattr(node, "data")  # duck typing still sees no .data


def test_data_update_of_the_training_loop_explains():
    """micrograd's `p.data += -lr * p.grad` stops at the read of p.data, naming params."""
    with pytest.raises(AttributeError, match=r"Parameter 'w' has no \.data.*params\[w\]"):
        W.data += -0.05 * 1.0


@pytest.mark.parametrize("use", [
    lambda g: g + 1, lambda g: 1 + g, lambda g: -0.05 * g, lambda g: g * 2, lambda g: g / 2,
    lambda g: -g, lambda g: float(g), lambda g: round(g, 3), lambda g: f"{g:.3f}",
    lambda g: g == 6, lambda g: g > 0, lambda g: np.asarray(g), lambda g: g[0],
])
def test_grad_used_as_a_number_explains(use):
    """w.grad is a method: arithmetic, float(), formatting, comparing raise TypeError naming
    loss.grad(params, inputs) and the dict lookup grads[w]."""
    with pytest.raises(TypeError) as caught:
        use(W.grad)
    message = str(caught.value)
    assert message.startswith("w.grad is a method, not a number")
    assert "grads = loss.grad(params, inputs)" in message and "grads[w]" in message
    assert "node_gradients(loss, params, inputs)[node]" in message


def test_grad_is_still_the_method():
    """Calling it gives the gradient dict; printed, it says how to call it; it compares as a method."""
    assert W.grad is not W.grad and W.grad == W.grad and W.grad != X.grad
    assert isinstance(W.grad, GradMethod) and hash(W.grad) == hash(W.grad)
    assert (W * X).grad({W: 2.0}, {X: 3.0}) == {W: 3.0}
    assert repr(W.grad) == "<bound method grad of Parameter('w'): call it as grad(params, inputs)>"
    assert Node.grad.__name__ == "grad" and "Gradient of the sum" in Node.grad.__doc__
    assert f"{W.grad}" == repr(W.grad)


def test_an_inner_nodes_grad_names_it():
    """For an operation the message names it in parentheses."""
    with pytest.raises(TypeError, match=r"(?s)^\(w\*x\)\.grad is a method.*grads\[\(w\*x\)\]"):
        (W * X).grad + 1


def test_setting_grad_or_data_explains():
    """p.grad = 0 (zeroing) and p.data = 1.0 say nodes are immutable and what to do instead."""
    with pytest.raises(AttributeError, match=r"cannot set 'grad'.*nothing to set or zero"):
        W.grad = 0.0
    with pytest.raises(AttributeError, match=r"cannot set 'data'.*params = \{\*\*params, w: 1\.0\}"):
        W.data = 1.0
    with pytest.raises(AttributeError, match=r"cannot set 'requires_grad'.*make the node a Parameter"):
        X.requires_grad = True
    with pytest.raises(AttributeError, match=r"^Parameter nodes are immutable: cannot set 'name'$"):
        W.name = "v"


def test_float_and_item_of_a_leafless_expression():
    """An expression of constants converts to its value: float() and item() give a float."""
    expr = Constant(2.0) * 3 + Constant(np.array([0.5]))
    assert float(Constant(2.0) * 3 + 1) == 7.0 and type(float(Constant(1.5))) is float
    assert expr.item() == 6.5 and type(expr.item()) is float
    assert float(Constant(np.array([[4.0]]))) == 4.0


def test_float_with_leaves_names_the_values_needed():
    """float() and item() of an expression with leaves raise TypeError naming each leaf."""
    with pytest.raises(TypeError) as caught:
        float(W * X + 1)
    assert str(caught.value) == (
        "float() of w*x + 1 needs the values of Parameter 'w' and Input 'x': evaluate it with "
        "expr(params, inputs), here expr({w: ...}, {x: ...})")
    with pytest.raises(TypeError, match=r"^item\(\) of w\*2 needs the values of Parameter 'w'.*"
                                        r"here expr\(\{w: \.\.\.\}\)$"):
        (W * 2).item()


def test_item_of_an_array_value_names_the_shape():
    """More than one element raises ValueError naming the shape, as NumPy's item does."""
    with pytest.raises(ValueError, match=r"item\(\) of \[1, 2\] \+ 1: its value has shape \(2,\)"):
        (Constant(np.array([1.0, 2.0])) + 1).item()


def test_parameter_given_a_value_says_it_takes_a_name():
    """micrograd's Value(2.0) habit: Parameter(2.0) names the params dict, Input(2.0) inputs."""
    with pytest.raises(TypeError, match=r"a Parameter takes a name, not a value; write "
                                        r"w = Parameter\('w'\) and give its value in params, "
                                        r"\{w: 2\.0\}"):
        Parameter(2.0)
    with pytest.raises(TypeError, match=r"write x = Input\('x'\) and give its value in inputs"):
        Input(3)
    with pytest.raises(TypeError, match=r"^Input name must be a str or None, got \['x'\]$"):
        Input(["x"])


def test_a_user_op_with_the_old_backward_rule_keeps_working():
    """An op defining the pre-0.2 backward(self, g, x, out) still differentiates (with a
    DeprecationWarning); called with arguments it is the rule, without them the help."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        class Cube(UnaryOp):
            def forward(self, x):
                return x**3

            def backward(self, g, x, out):
                return g * 3 * x**2

    assert [w.category for w in caught] == [DeprecationWarning]
    assert "Cube.backward is deprecated" in str(caught[0].message)
    cube = Cube(W)
    assert cube.grad({W: 2.0}) == {W: 12.0}
    assert cube.backward(1.0, 2.0, 8.0) == 12.0
    with pytest.raises(TypeError, match=r"(?s)cube\(w\)\.backward\(\) is how micrograd.*loss\.grad"):
        cube.backward()


def test_params_keyed_by_an_inner_node_is_named():
    """The articles' "wiggle e": a params dict keyed by e = a*b raises TypeError naming e,
    saying only Parameters take values and pointing at node_gradients."""
    a, b = Parameter("a"), Parameter("b")
    e = a * b
    expr = e + 1
    with pytest.raises(TypeError) as caught:
        expr({a: 2.0, b: -3.0, e: -5.9})
    message = str(caught.value)
    assert message.startswith("params is keyed by Multiply 'a*b', which is not a Parameter")
    assert "only Parameters take values from params" in message
    assert "node_gradients(expr, params, inputs)[node]" in message
    with pytest.raises(TypeError, match=r"params is keyed by Input 'x'.*inputs, the second dict"):
        (a * X)({a: 1.0, X: 2.0}, {X: 2.0})
    with pytest.raises(TypeError, match=r"params is keyed by Constant '2'.*keeps its own value"):
        expr({a: 2.0, b: -3.0, Constant(2.0): 1.0})
    with pytest.raises(TypeError, match=r"^inputs is keyed by Multiply 'a\*b', which is not an Input"):
        expr({a: 2.0, b: -3.0}, {e: 1.0})
    with pytest.raises(TypeError, match="which is not a Parameter"):
        expr.grad({a: 2.0, b: -3.0, e: -5.9})
    with pytest.raises(TypeError, match="which is not a Parameter"):
        node_gradients(expr, {a: 2.0, b: -3.0, e: -5.9})


def test_extra_parameters_and_names_are_still_allowed():
    """Parameters of other expressions (one dict for a whole model) and Inputs in inputs are fine."""
    a, unused = Parameter("a"), Parameter("unused")
    assert (a * X)({a: 2.0, unused: 5.0}, {X: 3.0, Input("label"): 1.0}) == 6.0
    assert (a * X)({a: 2.0, "note": "ignored"}, {X: 3.0}) == 6.0


def test_missing_parameter_with_a_same_named_other_one():
    """A params dict holding a different Parameter named 'w' says they match by identity."""
    loaded = Parameter("w")
    with pytest.raises(MissingValueError) as caught:
        (W * 2)({loaded: 1.0})
    message = str(caught.value)
    assert "no value for Parameter 'w'" in message
    assert ("A different Parameter also named 'w' was supplied: Parameters match by identity; "
            "reuse the same object or load both from one file") in message
    assert caught.value.node is W
    with pytest.raises(MissingValueError, match="A different Input also named 'x' was supplied"):
        (W * X)({W: 1.0}, {Input("x"): 1.0})
