"""The op test table: every built-in elementwise operation, its NumPy reference, its domain.

Adding a built-in elementwise operation is its class plus one row here; every
test that runs "every op" (tests/test_ops.py, _models.every_op and the tests
built on it, tests/test_checking.py) takes the operands' domains from the row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

import exprdiff
from exprdiff import Abs, ReLU, Sigmoid, Sign, Softplus


@dataclass(frozen=True)
class Domain:
    """Operand values an op is tested on: inside ``(low, high)``, where it is smooth.

    ``both_signs`` doubles the interval onto the negative side (for ops whose
    trouble is only at zero).  Tested points keep a margin of a thousandth of
    the width from the ends, so central differences stay inside.
    """

    low: float
    high: float
    both_signs: bool = False

    @property
    def ends(self) -> tuple[float, float]:
        """The lowest and highest points tested: just inside the ends."""
        margin = 1e-3 * (self.high - self.low)
        return self.low + margin, self.high - margin

    def sample(self, rng: np.random.Generator, shape: tuple = ()) -> Any:
        """Random points of the domain (a float for ``shape=()``)."""
        low, high = self.ends
        value = rng.uniform(low, high, size=shape)
        if self.both_signs:
            value = value * rng.choice([-1.0, 1.0], size=shape)
        return value if shape else float(value)

    def place(self, node: Any, lowest: float, highest: float) -> Any:
        """``a + s*node``, mapping values of ``node`` in ``[lowest, highest]`` into the domain."""
        low, high = self.ends
        scale = (high - low) / (highest - lowest)
        return (low - scale * lowest) + scale * node


class Row(NamedTuple):
    """How to build the op from operand nodes, NumPy's value for it, a domain per operand."""

    build: Callable[..., Any]
    reference: Callable[..., Any]
    domains: list[Domain]


SMOOTH = Domain(-2.0, 2.0)
POSITIVE = Domain(0.2, 3.0)
AWAY_FROM_ZERO = Domain(0.3, 2.0, both_signs=True)
TABLE: dict[str, Row] = {
    "Add": Row(lambda a, b: a + b, np.add, [SMOOTH, SMOOTH]),
    "Subtract": Row(lambda a, b: a - b, np.subtract, [SMOOTH, SMOOTH]),
    "Multiply": Row(lambda a, b: a * b, np.multiply, [SMOOTH, SMOOTH]),
    "Divide": Row(lambda a, b: a / b, np.divide, [SMOOTH, AWAY_FROM_ZERO]),
    "Power": Row(lambda a, b: a**b, np.power, [POSITIVE, SMOOTH]),
    "Negate": Row(lambda a: -a, np.negative, [SMOOTH]),
    "Exp": Row(exprdiff.Exp, np.exp, [SMOOTH]),
    "Log": Row(exprdiff.Log, np.log, [POSITIVE]),
    "Sqrt": Row(exprdiff.Sqrt, np.sqrt, [POSITIVE]),
    "Abs": Row(Abs, np.abs, [AWAY_FROM_ZERO]),
    "Sign": Row(Sign, np.sign, [AWAY_FROM_ZERO]),
    "Sin": Row(exprdiff.Sin, np.sin, [SMOOTH]),
    "Cos": Row(exprdiff.Cos, np.cos, [SMOOTH]),
    "Tanh": Row(exprdiff.Tanh, np.tanh, [SMOOTH]),
    "Arcsin": Row(exprdiff.Arcsin, np.arcsin, [Domain(-1.0, 1.0)]),
    "Sigmoid": Row(Sigmoid, lambda x: 1 / (1 + np.exp(-x)), [SMOOTH]),
    "ReLU": Row(ReLU, lambda x: np.maximum(x, 0), [AWAY_FROM_ZERO]),
    "Softplus": Row(Softplus, lambda x: np.log1p(np.exp(x)), [SMOOTH]),
    "Clip": Row(lambda x: exprdiff.Clip(x, -1.0, 1.0), lambda x: np.clip(x, -1, 1), [SMOOTH]),
}
