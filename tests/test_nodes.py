"""Node construction: leaves, operators, wrapping, immutability, identity."""

import numpy as np
import pytest

from exprdiff import (
    Abs,
    Add,
    BinaryOp,
    Constant,
    Divide,
    Exp,
    Input,
    Multiply,
    Negate,
    Node,
    Parameter,
    Power,
    Subtract,
    UnaryOp,
)


class TestOperatorsBuildNamedClasses:
    """Each Python operator builds the documented operation class."""

    @pytest.mark.parametrize(
        "build, cls",
        [
            (lambda a, b: a + b, Add),
            (lambda a, b: a - b, Subtract),
            (lambda a, b: a * b, Multiply),
            (lambda a, b: a / b, Divide),
            (lambda a, b: a**b, Power),
        ],
    )
    def test_binary_operators(self, build, cls):
        """Forward and reflected forms build the class with operands in order."""
        a, b = Parameter("a"), Parameter("b")
        node = build(a, b)
        assert type(node) is cls and node.lhs is a and node.rhs is b
        reflected = build(2.0, b)
        assert type(reflected) is cls and reflected.rhs is b
        assert isinstance(reflected.lhs, Constant) and reflected.lhs.value == 2.0

    def test_unary_operators(self):
        """Unary minus builds Negate, abs() builds Abs and unary plus is the node itself."""
        a = Parameter("a")
        assert type(-a) is Negate and (-a).child is a
        assert type(abs(a)) is Abs and abs(a).child is a
        assert +a is a

    def test_numpy_scalar_on_the_left(self):
        """A NumPy scalar or array on the left gives a node, not an object array."""
        p = Parameter("p")
        for left in (np.float64(2.0), np.int64(2), np.array([1.0, 2.0])):
            node = left * p
            assert type(node) is Multiply and node.rhs is p
        assert type(np.float64(1.0) - p) is Subtract

    def test_numpy_ufuncs_build_nodes(self):
        """NumPy ufuncs with an operation behind them build that operation."""
        x = Input("x")
        assert type(np.exp(x)) is Exp
        assert type(np.add(x, 1)) is Add

    def test_unsupported_operand_is_a_type_error(self):
        """Adding a string to a node is Python's usual TypeError."""
        with pytest.raises(TypeError, match="unsupported operand"):
            Parameter("a") + "b"


class TestConstantWrapping:
    """Numbers and arrays become Constants holding float64 values."""

    def test_numbers_become_floats(self):
        """Ints, floats, bools and NumPy scalars are stored as Python floats."""
        for value in (2, 2.0, True, np.float32(2.0), np.int8(2)):
            assert type(Constant(value).value) is float
        assert Constant(3).value == 3.0

    def test_arrays_are_read_only_float64_copies(self):
        """A Constant keeps a read-only float64 copy, so later edits of the source do not leak."""
        source = np.array([1, 2, 3])
        constant = Constant(source)
        source[0] = 100
        assert constant.value.dtype == np.float64
        assert constant.value.tolist() == [1.0, 2.0, 3.0]
        with pytest.raises(ValueError):
            constant.value[0] = 5.0

    @pytest.mark.parametrize("bad", ["text", None, 1 + 2j, object(), ["a", "b"]])
    def test_non_numeric_values_are_refused(self, bad):
        """A Constant of something that is not a real number fails, naming Constant."""
        with pytest.raises(TypeError, match="Constant"):
            Constant(bad)

    def test_a_node_is_not_a_constant_value(self):
        """Constant(node) is refused rather than wrapped twice."""
        with pytest.raises(TypeError, match="Constant needs a number"):
            Constant(Parameter("p"))


class TestImmutability:
    """Nodes cannot change after construction."""

    @pytest.mark.parametrize(
        "node, field",
        [
            (Parameter("w"), "name"),
            (Constant(1.0), "value"),
            (Add(1, 2), "lhs"),
            (Exp(1), "child"),
            (Parameter("w"), "new_attribute"),
        ],
    )
    def test_assignment_raises(self, node, field):
        """Setting any attribute raises AttributeError naming the class and attribute."""
        with pytest.raises(AttributeError, match=f"{type(node).__name__}.*{field}"):
            setattr(node, field, 3)

    def test_deletion_raises(self):
        """Deleting an attribute raises AttributeError too."""
        with pytest.raises(AttributeError, match="immutable"):
            del Parameter("w").name


class TestIdentity:
    """Equality and hashing are identity-based; ordering is refused."""

    def test_equal_names_are_different_nodes(self):
        """Two Parameters with the same name are distinct dict keys."""
        a1, a2 = Parameter("a"), Parameter("a")
        assert a1 != a2 and a1 == a1
        assert len({a1: 1, a2: 2}) == 2

    def test_structurally_equal_expressions_are_not_equal(self):
        """== compares identity, so x + 1 == x + 1 is False and stays a bool."""
        x = Input("x")
        assert (x + 1 == x + 1) is False

    @pytest.mark.parametrize("compare, text, value", [
        (lambda a, b: a < b, "a < b", True), (lambda a, b: a <= b, "a <= b", True),
        (lambda a, b: a > b, "a > b", False), (lambda a, b: a >= b, "a >= b", False),
        (lambda a, b: 1.0 < a, "a > 1", False), (lambda a, b: np.float64(1.0) > a, "1 > a", True),
        (lambda a, b: np.less_equal(a, b), "a <= b", True),
    ])
    def test_ordering_builds_conditions(self, compare, text, value):
        """<, <=, >, >= build condition nodes (SymPy's relationals), also with a number or a
        NumPy scalar on the left; they evaluate to booleans."""
        a, b = Parameter("a"), Parameter("b")
        condition = compare(a, b)
        assert str(condition) == text and not type(condition).differentiable
        assert condition({a: 0.5, b: 2.0}) is value
        assert condition({a: np.array([0.5, 3.0]), b: 2.0}).tolist() == [value, not value]

    @pytest.mark.parametrize("use", [
        bool, lambda c: not c, lambda c: c and 1, lambda c: c or 1,
        lambda c: 1 if c else 0,
    ])
    def test_the_truth_value_of_a_node_raises(self, use):
        """bool() of any node (a condition too) raises TypeError: its truth value is only known
        once it is evaluated, so `if a < b:` and `sorted(nodes)` fail loudly."""
        a, b = Parameter("a"), Parameter("b")
        for node in (a < b, a + b, a):
            with pytest.raises(TypeError, match="truth value of an expression is only known "
                                                "once it is evaluated"):
                use(node)
        with pytest.raises(TypeError, match="truth value"):
            sorted([a, b])
        with pytest.raises(TypeError, match="is a condition"):  # comparing truth values
            sorted([a < b, a > b])

    def test_iterating_a_node_raises(self):
        """A node can be indexed, but not iterated: its length is known only once evaluated."""
        x = Input("x")
        with pytest.raises(TypeError, match="cannot be iterated: the length of x"):
            list(x)
        with pytest.raises(TypeError, match="cannot be iterated"):
            first, second = x


class TestStructure:
    """Operands are readable through named fields and `children`."""

    def test_children(self):
        """Leaves have no children; ops list their operands in order."""
        a, x = Parameter("a"), Input("x")
        assert a.children == () and Constant(1).children == ()
        assert (a * x).children == (a, x)
        assert Exp(a).children == (a,)

    def test_leaf_names(self):
        """Named leaves keep their name; unnamed ones get distinct automatic labels."""
        assert Parameter("w1").name == "w1" and Input("x").label == "x"
        p, q, x = Parameter(), Parameter(), Input()
        assert p.name is None
        assert p.label != q.label and p.label.startswith("param_")
        assert x.label.startswith("input_")
        assert str(p + q) == f"{p.label} + {q.label}"

    def test_leaf_name_must_be_text(self):
        """A non-string name is refused, naming the class."""
        with pytest.raises(TypeError, match="Parameter name"):
            Parameter(3)

    def test_bases(self):
        """Operations derive from UnaryOp/BinaryOp, and everything from Node."""
        a = Parameter("a")
        assert isinstance(a + 1, BinaryOp) and isinstance(-a, UnaryOp)
        assert all(isinstance(n, Node) for n in (a, a + 1, -a, Constant(1)))
