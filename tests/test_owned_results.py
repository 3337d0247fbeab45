"""Every array a call returns is the caller's own: no aliasing of each other or of inputs (issue 11.4).

And the engine copies only where it must: a fresh array a rule computed is
returned as it is.
"""

import numpy as np

from exprdiff import Constant, Input, Parameter, Transpose, UnaryOp, node_gradients
from exprdiff.core.interpreter import value_and_gradient

w, v, x = Parameter("w"), Parameter("v"), Input("x")


def test_gradients_of_a_sum_are_separate_arrays():
    """Add hands the same gradient to both operands; the dict holds two independent arrays."""
    g = (w + v).grad({w: np.ones(2), v: np.ones(2)})
    assert g[w] is not g[v] and not np.shares_memory(g[w], g[v])
    g[w] *= 0.1
    np.testing.assert_array_equal(g[v], [1.0, 1.0])


def test_a_transposed_value_is_not_a_view_of_the_callers_array():
    """Writing into Transpose(w)'s value leaves the caller's array alone."""
    a = np.ones((2, 2))
    out = Transpose(w)({w: a})
    out[0] = 9.0
    np.testing.assert_array_equal(a, np.ones((2, 2)))


def test_a_leaf_root_returns_a_copy_of_the_callers_value():
    """w({w: a}) and x({}, {x: a}) are equal to a, not a itself."""
    a = np.arange(3.0)
    for root, params, inputs in ((w, {w: a}, {}), (x, {}, {x: a})):
        out = root(params, inputs)
        assert out is not a and not np.shares_memory(out, a)
        np.testing.assert_array_equal(out, a)
        value, _ = value_and_gradient(root, params, inputs)
        assert not np.shares_memory(value, a)


def test_a_constant_root_returns_a_writable_copy():
    """A Constant's array is read-only inside the node; its value comes back writable."""
    c = Constant([1.0, 2.0])
    out = c()
    out[0] = 5.0
    np.testing.assert_array_equal(c.value, [1.0, 2.0])


def test_gradient_of_a_leaf_root_is_not_the_callers_array():
    """The gradient of w itself (ones) is a fresh array, writable."""
    a = np.zeros(3)
    g = w.grad({w: a})[w]
    g += 1.0
    np.testing.assert_array_equal(a, np.zeros(3))
    np.testing.assert_array_equal(w.grad({w: a})[w], np.ones(3))


def test_node_gradients_are_separate_arrays():
    """node_gradients gives each node its own adjoint array."""
    total = w + v
    grads = node_gradients(total * 2.0, {w: np.ones(2), v: np.ones(2)})
    assert not np.shares_memory(grads[w], grads[v])
    assert not np.shares_memory(grads[w], grads[total])


def test_fresh_gradients_are_not_copied():
    """The hot path pays for no copy: the array a rule returned is the one in the dict."""
    made = []

    class Twice(UnaryOp):
        def forward(self, x):
            return 2.0 * x

        def vjp(self, g, x, out):
            made.append(2.0 * g)
            return made[-1]

    grads = Twice(w).grad({w: np.ones(3)})
    assert grads[w] is made[-1]


def test_slices_of_one_gradient_are_handed_out_without_copies_and_stay_independent():
    """Concatenate and Stack hand their operands disjoint slices of one gradient: handed out
    as they are (no copy), and each is still the caller's own: writing one leaves the others
    and the value alone."""
    import weakref

    from exprdiff import Concatenate, Stack

    made = []

    class Keep(UnaryOp):  # the gradient arriving at the join, known by a weak reference
        def forward(self, x):
            return 1.0 * x

        def vjp(self, g, x, out):
            gradient = 3.0 * g
            made.append(weakref.ref(gradient))
            return gradient

    grads = Keep(Concatenate(w, v)).grad({w: np.ones(2), v: np.ones(3)})
    assert grads[w].base is made[-1]() and grads[v].base is made[-1]()
    grads[w][:] = 7.0
    np.testing.assert_array_equal(grads[v], [3.0, 3.0, 3.0])
    grads = Stack(w, v, w).grad({w: np.ones(2), v: np.ones(2)})
    grads[v][:] = 7.0
    np.testing.assert_array_equal(grads[w], [2.0, 2.0])
    value, grads = value_and_gradient(Concatenate(w, w), {w: np.ones(2)})
    np.testing.assert_array_equal(grads[w], [2.0, 2.0])
    assert not np.shares_memory(value, grads[w])
