"""Node.equals: structural equality, separate from identity-based ==."""

import numpy as np
import pytest

from exprdiff import Constant, Input, Parameter, Sigmoid

x = Input("x")


def test_same_structure_is_equal_but_not_identical():
    """Two separately built equal expressions are equal() but not ==."""
    a, b = Sigmoid(2 * x + 1), Sigmoid(2 * x + 1)
    assert a.equals(b) and a != b


def test_differences_are_found():
    """Operand order, op type, constants and distinct same-named leaves all make a difference."""
    assert not (x + 1).equals(1 + x)
    assert not (x + 1).equals(x - 1)
    assert not (x + 1).equals(x + 2)
    assert not x.equals(Input("x"))
    assert not Parameter("w").equals(Input("w"))
    assert not (x + 1).equals("x + 1")


def test_constants_compare_by_value_and_shape():
    """Array constants compare elementwise with their shapes; NaN matches NaN."""
    assert Constant([1.0, 2.0]).equals(Constant(np.array([1.0, 2.0])))
    assert not Constant([1.0, 2.0]).equals(Constant([[1.0, 2.0]]))
    assert Constant(float("nan")).equals(Constant(float("nan")))


@pytest.mark.slow
def test_deep_and_shared_graphs_compare_in_linear_time():
    """A 100 000-deep chain and a 200-level shared DAG (2^200 paths) compare quickly."""
    a, b = x, x
    for _ in range(100_000):
        a, b = a * 2 + x, b * 2 + x
    assert a.equals(b)
    assert not a.equals(b + 0)
    a, b = x, x
    for _ in range(200):
        a, b = a * a + a, b * b + b
    assert a.equals(b)
