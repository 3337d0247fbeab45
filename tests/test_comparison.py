"""The PyTorch and JAX listings of docs/comparison.md run and agree with exprdiff."""

import re
from pathlib import Path

import numpy as np
import pytest

from exprdiff import Input, Log, Parameter, Sigmoid

PAGE = Path(__file__).resolve().parent.parent / "docs" / "comparison.md"
BLOCKS = dict(
    (library, code)
    for code in re.findall(r"```python\n(# runs with: \w+\n.*?)```", PAGE.read_text(), flags=re.S)
    for library in re.findall(r"# runs with: (\w+)", code)
)


def _exprdiff_answer():
    x1, x2, label = Input("x1"), Input("x2"), Input("label")
    w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    p = Sigmoid(w1 * x1 + w2 * x2 + b)
    loss = -(label * Log(p) + (1 - label) * Log(1 - p))
    batch = {x1: np.array([0.0, 0.0, 1.0, 1.0]), x2: np.array([0.0, 1.0, 0.0, 1.0]),
             label: np.array([0.0, 0.0, 0.0, 1.0])}
    params = {w1: 1.0, w2: 1.0, b: 0.0}
    grads = {q.name: g / 4 for q, g in loss.grad(params, batch).items()}
    return float(np.mean(loss(params, batch))), grads


def test_page_has_both_listings():
    """The page carries one listing for PyTorch and one for JAX."""
    assert sorted(BLOCKS) == ["jax", "torch"]


@pytest.mark.slow
@pytest.mark.parametrize("library", ["torch", "jax"])
def test_listing_agrees_with_exprdiff(library):
    """The library's listing gives exprdiff's mean loss and gradient to 1e-12."""
    pytest.importorskip(library)
    scope: dict = {}
    exec(compile(BLOCKS[library], f"{PAGE.name}[{library}]", "exec"), scope)
    mean_loss, grads = _exprdiff_answer()
    assert scope["mean_loss"] == pytest.approx(mean_loss, rel=1e-12)
    assert scope["grads"].keys() == grads.keys()
    for name, g in grads.items():
        assert scope["grads"][name] == pytest.approx(g, rel=1e-12)
