"""Errors a user can act on: each names what is wrong."""

import numpy as np
import pytest

from exprdiff import Constant, Input, MissingValueError, Parameter, Sigmoid, Tanh, UnaryOp

X1, X2 = Input("x1"), Input("x2")
W1, W2, B = Parameter("w1"), Parameter("w2"), Parameter("b")
PERCEPTRON = Sigmoid(W1 * X1 + W2 * X2 + B)
PARAMS = {W1: 1.0, W2: 1.0, B: 0.0}


class TestMissingValues:
    """A missing Input or Parameter raises MissingValueError naming it, its use and what was given."""

    @pytest.mark.parametrize("call", ["evaluate", "grad"])
    def test_missing_input(self, call):
        """The message names the Input, the operation using it and the inputs supplied."""
        expr = PERCEPTRON if call == "evaluate" else PERCEPTRON.grad
        with pytest.raises(MissingValueError) as caught:
            expr(PARAMS, {X1: 1.0})
        message = str(caught.value)
        assert "Input 'x2'" in message
        assert "used in w2*x2" in message
        assert "inputs supplied: {x1}" in message
        assert caught.value.node is X2

    def test_missing_parameter(self):
        """A missing Parameter is named with the params that were supplied."""
        with pytest.raises(MissingValueError, match=r"Parameter 'b' \(used in w1\*x1 \+ w2\*x2 \+ b\); params supplied: \{w1, w2\}"):
            PERCEPTRON({W1: 1.0, W2: 1.0}, {X1: 0, X2: 0})

    def test_it_is_a_key_error(self):
        """Code catching KeyError still catches it."""
        with pytest.raises(KeyError):
            PERCEPTRON({}, {})

    def test_value_in_the_wrong_dict_is_pointed_out(self):
        """An Input given in params is named with a hint about which dict to use."""
        with pytest.raises(MissingValueError, match="found in params: Inputs are read from inputs"):
            PERCEPTRON({**PARAMS, X1: 0, X2: 0}, {})

    def test_names_instead_of_nodes_are_pointed_out(self):
        """Dicts keyed by names get a hint that keys are the nodes themselves."""
        with pytest.raises(MissingValueError, match="keyed by the nodes themselves"):
            PERCEPTRON(PARAMS, {"x1": 0, "x2": 1})

    def test_unnamed_leaf_is_named_by_its_label(self):
        """An unnamed Input is named by its automatic label."""
        x = Input()
        with pytest.raises(MissingValueError, match=f"Input '{x.label}'"):
            (x + 1)({}, {})

    def test_dict_that_is_not_a_mapping(self):
        """Passing a list where a dict belongs is a TypeError naming the argument."""
        with pytest.raises(TypeError, match="inputs must be a dict keyed by nodes, got list"):
            PERCEPTRON(PARAMS, [0, 1])


class TestNonNumericValues:
    """A value that is not numeric raises TypeError naming the node."""

    @pytest.mark.parametrize("bad", ["one", None, {"a": 1}, np.array(["a"]), 1j])
    def test_bad_input_value(self, bad):
        """The message names the Input and shows the value's type."""
        with pytest.raises(TypeError, match=r"Input 'x1'.*real number.*" + type(bad).__name__):
            PERCEPTRON(PARAMS, {X1: bad, X2: 0})

    def test_bad_parameter_value(self):
        """A Parameter given a string is named too."""
        with pytest.raises(TypeError, match=r"Parameter 'w2': the value must be a real number"):
            PERCEPTRON.grad({**PARAMS, W2: "1.0"}, {X1: 0, X2: 0})

    def test_ragged_list(self):
        """A ragged nested list is refused as not rectangular."""
        with pytest.raises(TypeError, match=r"Input 'x1': the value is not a rectangular array"):
            PERCEPTRON(PARAMS, {X1: [[1, 2], [3]], X2: 0})


class TestShapeMismatch:
    """Shapes that do not broadcast raise ValueError naming the operation and both shapes."""

    @pytest.mark.parametrize("call", ["evaluate", "grad"])
    def test_batch_sizes_disagree(self, call):
        """x1 with 3 samples and x2 with 4 cannot be added."""
        expr = PERCEPTRON if call == "evaluate" else PERCEPTRON.grad
        with pytest.raises(ValueError, match=r"Add \(w1\*x1 \+ w2\*x2\): operand shapes \(3,\) and \(4,\) do not broadcast"):
            expr(PARAMS, {X1: np.zeros(3), X2: np.zeros(4)})

    def test_error_at_the_root(self):
        """The root operation is named when it is the one failing."""
        a, b = Parameter("a"), Parameter("b")
        with pytest.raises(ValueError, match=r"Multiply \(a\*b\): operand shapes \(2,\) and \(3,\)"):
            (a * b)({a: np.zeros(2), b: np.zeros(3)})


class TestMissingRules:
    """A user operation without a derivative rule fails clearly, naming the op."""

    def test_missing_vjp(self):
        """Evaluation works; grad raises NotImplementedError naming the class and the method."""

        class Cube(UnaryOp):
            def forward(self, x):
                return x**3

        w = Parameter("w")
        assert Cube(w)({w: 2.0}) == 8.0
        with pytest.raises(NotImplementedError, match=r"Cube defines no derivative rule.*vjp\(self, g, x, out\)"):
            Tanh(Cube(w)).grad({w: 2.0})

    def test_missing_forward(self):
        """An operation with no forward fails on evaluation, naming the class."""

        class Nothing(UnaryOp):
            pass

        with pytest.raises(NotImplementedError, match="Nothing defines no forward"):
            Nothing(1.0)()


# -- issue 11.9: numbers beyond float64, and booleans ---------------------------------
def test_a_value_beyond_the_float_range_is_a_value_error_naming_the_node():
    """10**400 raised a bare OverflowError naming nothing; now ValueError naming the node,
    for a number, a list and an object array alike."""
    import numpy as np

    w = Parameter("w")
    for value in (10**400, -(10**400), [1.0, 10**400], np.array([10**400], dtype=object)):
        with pytest.raises(ValueError, match=r"^Parameter 'w': the value .* is out of the float64 range"):
            w({w: value})
    assert w({w: 2**70}) == 2.0**70  # big, but inside the range


def test_booleans_are_one_and_zero_whatever_their_type():
    """True, np.True_ and boolean arrays are all read as 1.0 and 0.0 (np.True_ was refused)."""
    import numpy as np

    w = Parameter("w")
    assert w({w: True}) == w({w: np.True_}) == 1.0
    assert w({w: np.False_}) == 0.0
    assert (3 * w)({w: np.array([True, False])}).tolist() == [3.0, 0.0]
    assert Constant(np.True_).value == 1.0


def test_learning_rates_beyond_the_float_range_are_value_errors():
    """learning_rate=10**400 (or a schedule giving it) raised OverflowError; now ValueError."""
    from exprdiff import Adam, Input, optimize

    w, x = Parameter("w"), Input("x")
    with pytest.raises(ValueError, match="learning_rate must be a positive finite number, got 1000"):
        optimize(w * x, {w: 1.0}, [{x: 1.0}], learning_rate=10**400)
    with pytest.raises(ValueError, match="the learning_rate schedule gave 1000.* for epoch 1"):
        optimize(w * x, {w: 1.0}, [{x: 1.0}], learning_rate=lambda epoch: 10**400)
    with pytest.raises(ValueError, match="tolerance must be a finite number >= 0 or None, got 1000"):
        optimize(w * x, {w: 1.0}, [{x: 1.0}], tolerance=10**400)
    with pytest.raises(ValueError, match="eps must be positive, got 1000"):
        Adam(eps=10**400)
