"""Model files saved by exprdiff 0.1.0 keep loading to the same values (tests/golden/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from exprdiff import load
from exprdiff.core.names import named_leaves

GOLDEN = Path(__file__).parent / "golden"
EXPECTED = json.loads((GOLDEN / "expected.json").read_text())["cases"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden_file_gives_the_recorded_value_and_gradient(name):
    """Each golden file loads, and its value and gradient equal those recorded by 0.1.0 bit for bit."""
    case = EXPECTED[name]
    expr, params = load(GOLDEN / f"{name}.json")
    leaves = named_leaves(expr)
    inputs = {leaves[key]: np.asarray(value) for key, value in case["inputs"].items()}
    value = expr(params, inputs)
    np.testing.assert_array_equal(np.asarray(value), np.asarray(case["value"]))
    grad = expr.grad(params, inputs)
    assert sorted(p.name for p in grad) == sorted(case["grad"])
    for param, g in grad.items():
        np.testing.assert_array_equal(np.asarray(g), np.asarray(case["grad"][param.name]))


def test_every_golden_file_is_checked():
    """No golden model file is left without recorded values."""
    files = {path.stem for path in GOLDEN.glob("*.json")} - {"expected"}
    assert files == set(EXPECTED)
