"""The articles' backward pass, filled in node by node, and its pictures after each step."""

import numpy as np
import pytest
from dot_boxes import boxes_of, framed

from exprdiff import Constant, Input, MissingValueError, Parameter, node_gradients, to_dot
from exprdiff import topological_order as order
from exprdiff.show.backprop import BackpropStep, backprop_steps

A, B, C, F = Parameter("a"), Parameter("b"), Parameter("c"), Parameter("f")
E = A * B
D = E + C
L = D * F
VALUES = {A: 2.0, B: -3.0, C: 10.0, F: -2.0}
LABELS = {E: "e", D: "d", L: "L"}
NODES = order(L)
NAMES = {A: "a", B: "b", C: "c", D: "d", E: "e", F: "f", L: "L"}

#: the articles' numbers: the value and the final gradient of each node
VALUE = {"a": 2, "b": -3, "c": 10, "f": -2, "e": -6, "d": 4, "L": -8}
GRAD = {"L": 1, "d": -2, "f": 4, "e": -2, "c": -2, "a": 6, "b": -4}
#: which gradients are known after each step of the walk: L, then d and f, e and c, a and b
KNOWN = [{"L"}, {"L", "d", "f"}, {"L", "d", "f", "e", "c"}, set(GRAD)]


def picture(grads, **options):
    """The boxes of the picture with these gradients, by node name: [title, value, grad]."""
    source = to_dot(L, VALUES, labels=LABELS, grads=grads, **options)
    return {NAMES[node]: cells for node, cells in boxes_of(source, NODES).items()}, source


def check_boxes(boxes, known):
    """Every box shows its value; the known gradients are the articles', the others '?'."""
    assert set(boxes) == set(VALUE)
    for name, (title, value, grad) in boxes.items():
        assert title.split(":")[0] == name
        assert value == f"value {VALUE[name]}"
        assert grad == (f"grad {GRAD[name]}" if name in known else "grad ?")


def test_forward_values_are_the_articles():
    """a = 2, b = -3, c = 10, f = -2 give e = -6, d = 4 and L = -8."""
    assert (E(VALUES), D(VALUES), L(VALUES)) == (-6.0, 4.0, -8.0)


def test_backward_pass_filled_in_by_hand():
    """The articles' walk with exprdiff's API: set L's gradient to 1, then apply each node's
    local derivative by hand; after each step the picture shows exactly the gradients
    filled in so far, the others as not yet known."""
    grads = {L: 1.0}
    steps = [dict(grads)]
    grads[D] = grads[L] * F(VALUES)  # dL/dd = f
    grads[F] = grads[L] * D(VALUES)  # dL/df = d
    steps.append(dict(grads))
    grads[E] = grads[D] * 1.0  # a sum passes its gradient through
    grads[C] = grads[D] * 1.0
    steps.append(dict(grads))
    grads[A] = grads[E] * B(VALUES)  # de/da = b
    grads[B] = grads[E] * A(VALUES)  # de/db = a
    steps.append(dict(grads))
    for filled, known in zip(steps, KNOWN, strict=True):
        boxes, _ = picture(filled)
        check_boxes(boxes, known)
    assert grads == {**node_gradients(L, VALUES)}  # the engine agrees, node for node


def test_backprop_steps_walk_the_same_way():
    """backprop_steps yields the seed and one step per operation, L, d and e, each with the
    gradients known after it; drawing each gives the same boxes as the walk by hand."""
    steps = list(backprop_steps(L, VALUES))
    assert [step.number for step in steps] == [0, 1, 2, 3]
    assert [NAMES[step.node] for step in steps] == ["L", "L", "d", "e"]
    assert [{NAMES[n]: g for n, g in step.passed.items()} for step in steps] == [
        {"L": 1.0}, {"d": -2.0, "f": 4.0}, {"e": -2.0, "c": -2.0}, {"a": 6.0, "b": -4.0}]
    for step, known in zip(steps, KNOWN, strict=True):
        assert {NAMES[n]: g for n, g in step.grads.items()} == {n: GRAD[n] for n in known}
        boxes, source = picture(step.grads, highlight=[step.node, *step.passed])
        check_boxes(boxes, known)
        assert {NAMES[n] for n in framed(source, NODES)} == {NAMES[step.node]} | {
            NAMES[n] for n in step.passed}
    assert steps[-1].grads == node_gradients(L, VALUES)
    assert isinstance(steps[0], BackpropStep)


def test_each_step_has_its_own_dict():
    """Changing one step's grads leaves the others as they were."""
    first, second, *_ = backprop_steps(L, VALUES)
    first.grads[A] = 99.0
    assert A not in second.grads and set(first.grads) == {L, A}


def test_a_node_used_twice_accumulates():
    """For a*a + a the gradient of a is 1 after the root's step, then 1 + 6 = 7: the contributions
    of every use add up, and each step says what it passed."""
    a = Parameter("a")
    product = a * a
    steps = list(backprop_steps(product + a, {a: 3.0}))
    assert [step.grads.get(a) for step in steps] == [None, 1.0, 7.0]
    assert steps[2].passed == {a: 6.0} and steps[2].node is product


def test_constants_get_no_gradient():
    """In (w - 1)**2 the constants 1 and 2 receive nothing; the picture shows them n/a, never nan."""
    w = Parameter("w")
    loss = (w - 1) ** 2
    steps = list(backprop_steps(loss, {w: -1.0}))
    constants = [node for node in order(loss) if isinstance(node, Constant)]
    assert len(constants) == 2 and all(c not in steps[-1].grads for c in constants)
    assert steps[-1].grads[w] == -4.0
    boxes = boxes_of(to_dot(loss, {w: -1.0}, grads=steps[-1].grads), order(loss))
    assert [boxes[c][2] for c in constants] == ["grad n/a", "grad n/a"]


def test_arrays_and_inputs():
    """Over a batch the seed is ones shaped like the value; Inputs get gradients too."""
    w, x = Parameter("w"), Input("x")
    steps = list(backprop_steps(w * x, {w: 2.0}, {x: np.array([1.0, 2.0, 3.0])}))
    np.testing.assert_array_equal(steps[0].grads[steps[0].node], np.ones(3))
    assert steps[-1].grads[w] == 6.0
    np.testing.assert_array_equal(steps[-1].grads[x], [2.0, 2.0, 2.0])


def test_a_leaf_root_is_one_step():
    """A lone Parameter: only the seed."""
    w = Parameter("w")
    assert [(s.number, s.node, s.grads) for s in backprop_steps(w, {w: 5.0})] == [(0, w, {w: 1.0})]


def test_missing_values_fail_when_called():
    """The forward pass runs at the call, so a missing value is named before any step."""
    with pytest.raises(MissingValueError, match="no value for Parameter 'f'"):
        backprop_steps(L, {A: 2.0, B: -3.0, C: 10.0})
