"""Pictures of a backward pass in progress, n/a for constants, the colour key and shapes."""

import numpy as np
import pytest
from dot_boxes import boxes_of, framed

from exprdiff import Input, Parameter, Sum, to_dot
from exprdiff import topological_order as order

W, X = Parameter("w"), Input("x")


def test_grads_without_values_show_only_gradients():
    """grads alone: each box has its title and a grad cell, known or '?'."""
    expr = W * X
    boxes = boxes_of(to_dot(expr, grads={expr: 1.0, W: 5.0}), order(expr))
    assert boxes == {W: ["w", "grad 5"], X: ["x", "grad ?"], expr: ["*", "grad 1"]}


def test_hand_filled_arrays_are_summarised():
    """A gradient given by hand as an array is summarised like the engine's."""
    expr = W * X
    source = to_dot(expr, {W: 2.0}, {X: np.arange(3.0)}, grads={X: np.full(3, 2.0)})
    assert boxes_of(source, order(expr))[X] == ["x", "value shape (3,): [0, 1, 2]",
                                                "grad shape (3,): [2, 2, 2]"]


def test_constants_show_not_applicable_and_never_nan():
    """The exponent 2 of (w - 1)**2 at w = -1 has no real derivative; it shows n/a, as does 1."""
    loss = (W - 1) ** 2
    source = to_dot(loss, {W: -1.0})
    boxes = boxes_of(source, order(loss))
    assert "nan" not in source
    assert [cells[2] for node, cells in boxes.items() if not node.children and node is not W] == [
        "grad n/a", "grad n/a"]
    assert boxes[W] == ["w", "value -1", "grad -4"]


@pytest.mark.parametrize("call, error, message", [
    (lambda: to_dot(W * X, grads={Parameter("other"): 1.0}), ValueError,
     r"grads has 1 node\(s\) that are not in the expression, such as Parameter\('other'\)"),
    (lambda: to_dot(W * X, grads=[(W, 1.0)]), TypeError, r"grads must be a dict \{node: gradient\}"),
    (lambda: to_dot(W * X, highlight=Input("y")), ValueError,
     r"highlight names Input\('y'\), which is not in the expression"),
])
def test_bad_grads_or_highlight_are_named(call, error, message):
    """A gradient or highlight for a node not in the picture, or grads not a dict, is named."""
    with pytest.raises(error, match=message):
        call()


def test_highlight_frames_the_chosen_boxes():
    """highlight takes a node or several; those boxes get the orange frame, and the key says so."""
    expr = W * X + 1
    assert framed(to_dot(expr, highlight=expr), order(expr)) == {expr}
    source = to_dot(expr, highlight=[W, X])
    assert framed(source, order(expr)) == {W, X} and "this step" in source
    assert "this step" not in to_dot(expr)


def key_rows(source: str) -> list[str]:
    import re

    line = next(line for line in source.splitlines() if line.startswith("  key ["))
    return [re.sub("<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", line)]


def test_the_key_names_the_kinds_drawn():
    """The colour key lists the kinds of box present, and the marks used."""
    rows = key_rows(to_dot((W * X - 1) ** 2, {W: 1.0}, {X: 2.0}, grads={}))
    assert rows == ["key", "Parameter (trained)", "Input (data)", "Constant", "operation",
                    "grad ?: not yet known", "grad n/a: not needed"]
    assert key_rows(to_dot(W * W)) == ["key", "Parameter (trained)", "operation"]
    assert "key [" not in to_dot(W * W, key=False)


def test_matmul_box_shows_the_shapes():
    """A dense layer's @ box shows its operands' shapes and its own; a reduction likewise; an
    array box stacks its cells."""
    x, w = Input("x"), Parameter("layer.w")
    product = x @ w
    total = Sum(product)
    source = to_dot(total, {w: np.ones((2, 16))}, {x: np.ones((100, 2))})
    boxes = boxes_of(source, order(total))
    assert boxes[product][0] == "@ (100, 2) @ (2, 16) → (100, 16)"
    assert boxes[total][0] == "sum(axis=None) (100, 16) → ()"
    assert boxes[w][1] == "value shape (2, 16): [1, 1, 1, 1, …]"
    assert "</tr><tr>" in next(line for line in source.splitlines() if line.startswith("  n2 "))
    assert boxes_of(to_dot(product), order(product))[product] == ["@"]  # no values, no shapes
