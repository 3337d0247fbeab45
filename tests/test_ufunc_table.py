"""The ufunc table: built-in operations own it; a user operation joins only by register_ufunc."""

import numpy as np
import pytest

from exprdiff import Add, Exp, Input, Parameter, UnaryOp, register_ufunc
from exprdiff.core import nodes


class MyExp(UnaryOp):
    """A user op naming np.exp as its ufunc, without registering."""

    ufunc = np.exp

    def forward(self, x):
        return np.exp(x)

    def vjp(self, g, x, out):
        return g * out


class Spacing(UnaryOp):
    """A user op for a ufunc no built-in operation has."""

    ufunc = np.spacing

    def forward(self, x):
        return np.spacing(x)

    def vjp(self, g, x, out):
        return 0 * g


@pytest.fixture
def table():
    """The ufunc table, restored after the test."""
    saved = dict(nodes._OPERATION_FOR_UFUNC)
    yield nodes._OPERATION_FOR_UFUNC
    nodes._OPERATION_FOR_UFUNC.clear()
    nodes._OPERATION_FOR_UFUNC.update(saved)


def test_a_class_attribute_changes_nothing_for_other_callers():
    """With MyExp (ufunc = np.exp) defined, np.exp(x) still builds Exp, and x + 1 an Add."""
    x = Input("x")
    assert type(np.exp(x)) is Exp
    assert type(x + 1) is Add and type(np.add(x, 1)) is Add
    assert MyExp(x)({}, {x: 1.0}) == np.exp(1.0)  # the class itself works


def test_a_subclass_of_a_builtin_does_not_take_its_ufunc():
    """A subclass of Exp inherits ufunc = np.exp; np.exp(x) stays Exp."""

    class LoudExp(Exp):
        pass

    assert LoudExp.ufunc is np.exp
    assert type(np.exp(Input("x"))) is Exp


def test_an_unregistered_ufunc_is_numpys_type_error():
    """np.spacing has no operation until one is registered: NumPy's TypeError."""
    with pytest.raises(TypeError):
        np.spacing(Input("x"))


def test_a_registered_user_op_joins(table):
    """register_ufunc(Spacing) makes np.spacing(node) build Spacing; it returns the class."""
    assert register_ufunc(Spacing) is Spacing
    assert register_ufunc(Spacing) is Spacing  # registering again is harmless
    p = Parameter("p")
    built = np.spacing(p)
    assert type(built) is Spacing and built.child is p
    assert built({p: 1.0}) == np.spacing(1.0)
    assert table[np.spacing] is Spacing


def test_register_works_as_a_class_decorator(table):
    """@register_ufunc on the class definition."""

    @register_ufunc
    class Positive(UnaryOp):
        ufunc = np.positive

        def forward(self, x):
            return +x

    x = Input("x")
    assert type(np.positive(x)) is Positive and np.positive(x)({}, {x: 2.5}) == 2.5


def test_a_taken_ufunc_is_refused(table):
    """A ufunc that builds another class stays with it: ValueError naming both."""
    with pytest.raises(ValueError, match="np.exp already builds Exp; MyExp cannot take it over"):
        register_ufunc(MyExp)
    assert table[np.exp] is Exp


def test_what_cannot_be_registered(table):
    """An op without a ufunc is a ValueError; a leaf or a non-class a TypeError."""

    class Nothing(UnaryOp):
        pass

    with pytest.raises(ValueError, match="Nothing has no ufunc to register"):
        register_ufunc(Nothing)
    with pytest.raises(TypeError, match="an operation class"):
        register_ufunc(Parameter)
    with pytest.raises(TypeError, match="an operation class"):
        register_ufunc(np.exp)
