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


def jnp(name: str) -> Callable[..., Any]:
    """The JAX reference ``jax.numpy.<name>``, as a `Row` takes it (the jax module first)."""
    return lambda jax, *operands: getattr(jax.numpy, name)(*operands)


class Row(NamedTuple):
    """How to build the op from operand nodes, NumPy's value for it, a domain per operand,
    the same function in JAX (``jax(jax_module, *operands)``) for its derivatives, and
    whether it is a condition (boolean values, no derivative)."""

    build: Callable[..., Any]
    reference: Callable[..., Any]
    domains: list[Domain]
    jax: Callable[..., Any] | None = None
    condition: bool = False


SMOOTH = Domain(-2.0, 2.0)
POSITIVE = Domain(0.2, 3.0)
AWAY_FROM_ZERO = Domain(0.3, 2.0, both_signs=True)
UNIT = Domain(-1.0, 1.0)  # arcsin, arccos, arctanh: up to the ends, where the slope is infinite
#: away from integers (and from halves, for round): where rounding is locally constant
FRACTIONAL = Domain(0.05, 0.45, both_signs=True)
TABLE: dict[str, Row] = {
    "Add": Row(lambda a, b: a + b, np.add, [SMOOTH, SMOOTH], jnp("add")),
    "Subtract": Row(lambda a, b: a - b, np.subtract, [SMOOTH, SMOOTH], jnp("subtract")),
    "Multiply": Row(lambda a, b: a * b, np.multiply, [SMOOTH, SMOOTH], jnp("multiply")),
    "Divide": Row(lambda a, b: a / b, np.divide, [SMOOTH, AWAY_FROM_ZERO], jnp("divide")),
    "Power": Row(lambda a, b: a**b, np.power, [POSITIVE, SMOOTH], jnp("power")),
    "Negate": Row(lambda a: -a, np.negative, [SMOOTH], jnp("negative")),
    "Exp": Row(exprdiff.Exp, np.exp, [SMOOTH], jnp("exp")),
    "Log": Row(exprdiff.Log, np.log, [POSITIVE], jnp("log")),
    "Sqrt": Row(exprdiff.Sqrt, np.sqrt, [POSITIVE], jnp("sqrt")),
    "Abs": Row(Abs, np.abs, [AWAY_FROM_ZERO], jnp("abs")),
    "Sign": Row(Sign, np.sign, [AWAY_FROM_ZERO], jnp("sign")),
    "Sin": Row(exprdiff.Sin, np.sin, [SMOOTH], jnp("sin")),
    "Cos": Row(exprdiff.Cos, np.cos, [SMOOTH], jnp("cos")),
    "Tanh": Row(exprdiff.Tanh, np.tanh, [SMOOTH], jnp("tanh")),
    "Arcsin": Row(exprdiff.Arcsin, np.arcsin, [UNIT], jnp("arcsin")),
    "Tan": Row(exprdiff.Tan, np.tan, [Domain(-1.3, 1.3)], jnp("tan")),
    "Arccos": Row(exprdiff.Arccos, np.arccos, [UNIT], jnp("arccos")),
    "Arctan": Row(exprdiff.Arctan, np.arctan, [Domain(-4.0, 4.0)], jnp("arctan")),
    # b > 0 keeps away from the branch cut along the negative b axis
    "Arctan2": Row(exprdiff.Arctan2, np.arctan2, [SMOOTH, POSITIVE], jnp("arctan2")),
    "Hypot": Row(exprdiff.Hypot, np.hypot, [AWAY_FROM_ZERO, SMOOTH], jnp("hypot")),
    "Deg2rad": Row(exprdiff.Deg2rad, np.deg2rad, [Domain(-200.0, 200.0)], jnp("deg2rad")),
    "Rad2deg": Row(exprdiff.Rad2deg, np.rad2deg, [SMOOTH], jnp("rad2deg")),
    "Sinh": Row(exprdiff.Sinh, np.sinh, [SMOOTH], jnp("sinh")),
    "Cosh": Row(exprdiff.Cosh, np.cosh, [SMOOTH], jnp("cosh")),
    "Arcsinh": Row(exprdiff.Arcsinh, np.arcsinh, [Domain(-5.0, 5.0)], jnp("arcsinh")),
    "Arccosh": Row(exprdiff.Arccosh, np.arccosh, [Domain(1.0, 4.0)], jnp("arccosh")),
    "Arctanh": Row(exprdiff.Arctanh, np.arctanh, [UNIT], jnp("arctanh")),
    "Log1p": Row(exprdiff.Log1p, np.log1p, [Domain(-1.0, 2.0)], jnp("log1p")),
    "Expm1": Row(exprdiff.Expm1, np.expm1, [SMOOTH], jnp("expm1")),
    "Log2": Row(exprdiff.Log2, np.log2, [POSITIVE], jnp("log2")),
    "Log10": Row(exprdiff.Log10, np.log10, [POSITIVE], jnp("log10")),
    "Exp2": Row(exprdiff.Exp2, np.exp2, [SMOOTH], jnp("exp2")),
    "Logaddexp": Row(exprdiff.Logaddexp, np.logaddexp, [SMOOTH, SMOOTH], jnp("logaddexp")),
    "Logaddexp2": Row(exprdiff.Logaddexp2, np.logaddexp2, [SMOOTH, SMOOTH], jnp("logaddexp2")),
    "Square": Row(exprdiff.Square, np.square, [SMOOTH], jnp("square")),
    "Reciprocal": Row(exprdiff.Reciprocal, np.reciprocal, [AWAY_FROM_ZERO], jnp("reciprocal")),
    "Cbrt": Row(exprdiff.Cbrt, np.cbrt, [AWAY_FROM_ZERO], jnp("cbrt")),
    "Floor": Row(exprdiff.Floor, np.floor, [FRACTIONAL], jnp("floor")),
    "Ceil": Row(exprdiff.Ceil, np.ceil, [FRACTIONAL], jnp("ceil")),
    "Round": Row(exprdiff.Round, np.round, [FRACTIONAL], jnp("round")),
    # a/b stays between integers: mod is smooth there
    "Mod": Row(exprdiff.Mod, np.mod, [Domain(0.1, 0.9, both_signs=True), Domain(1.0, 2.0)],
               jnp("mod")),
    "Sigmoid": Row(Sigmoid, lambda x: 1 / (1 + np.exp(-x)), [SMOOTH],
                   lambda jax, x: jax.nn.sigmoid(x)),
    "ReLU": Row(ReLU, lambda x: np.maximum(x, 0), [AWAY_FROM_ZERO], lambda jax, x: jax.nn.relu(x)),
    "Softplus": Row(Softplus, lambda x: np.log1p(np.exp(x)), [SMOOTH],
                    lambda jax, x: jax.nn.softplus(x)),
    "LeakyReLU": Row(lambda x: exprdiff.LeakyReLU(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x),
                     [AWAY_FROM_ZERO], lambda jax, x: jax.nn.leaky_relu(x, 0.1)),
    "ELU": Row(exprdiff.ELU, lambda x: np.where(x > 0, x, np.expm1(x)), [AWAY_FROM_ZERO],
               lambda jax, x: jax.nn.elu(x)),
    "GELU": Row(exprdiff.GELU,
                lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
                [Domain(-4.0, 4.0)], lambda jax, x: jax.nn.gelu(x, approximate=True)),
    "SiLU": Row(exprdiff.SiLU, lambda x: x / (1 + np.exp(-x)), [Domain(-4.0, 4.0)],
                lambda jax, x: jax.nn.silu(x)),
    "Clip": Row(lambda x: exprdiff.Clip(x, -1.0, 1.0), lambda x: np.clip(x, -1, 1), [SMOOTH],
                lambda jax, x: jax.numpy.clip(x, -1.0, 1.0)),
    "Where": Row(lambda c, a, b: exprdiff.Where(c > 0, a, b), lambda c, a, b: np.where(c > 0, a, b),
                 [AWAY_FROM_ZERO, SMOOTH, SMOOTH],
                 lambda jax, c, a, b: jax.numpy.where(c > 0, a, b)),
    # no ties at the ends, a kink: tests/test_ops.py checks the conventions at ties
    "Maximum": Row(exprdiff.Maximum, np.maximum, [SMOOTH, Domain(-1.5, 2.5)], jnp("maximum")),
    "Minimum": Row(exprdiff.Minimum, np.minimum, [SMOOTH, Domain(-1.5, 2.5)], jnp("minimum")),
    "Fmax": Row(exprdiff.Fmax, np.fmax, [SMOOTH, Domain(-1.5, 2.5)], jnp("fmax")),
    "Fmin": Row(exprdiff.Fmin, np.fmin, [SMOOTH, Domain(-1.5, 2.5)], jnp("fmin")),
    "Greater": Row(exprdiff.Greater, np.greater, [SMOOTH, SMOOTH], condition=True),
    "GreaterEqual": Row(exprdiff.GreaterEqual, np.greater_equal, [SMOOTH, SMOOTH],
                        condition=True),
    "Less": Row(exprdiff.Less, np.less, [SMOOTH, SMOOTH], condition=True),
    "LessEqual": Row(exprdiff.LessEqual, np.less_equal, [SMOOTH, SMOOTH], condition=True),
    "LogicalAnd": Row(lambda a, b: (a > 0) & (b > 0), lambda a, b: np.logical_and(a > 0, b > 0),
                      [SMOOTH, SMOOTH], condition=True),
    "LogicalOr": Row(lambda a, b: (a > 0) | (b > 0), lambda a, b: np.logical_or(a > 0, b > 0),
                     [SMOOTH, SMOOTH], condition=True),
    "LogicalNot": Row(lambda a: ~(a > 0), lambda a: np.logical_not(a > 0), [SMOOTH],
                      condition=True),
    "Isnan": Row(exprdiff.Isnan, np.isnan, [SMOOTH], condition=True),
}


def example(op: type, a: Any, b: Any, c: Any) -> Any:
    """A node of the built-in operation ``op`` on (some of) ``a``, ``b``, ``c``, with its
    settings: every operation, elementwise or not, for the tests that take each through
    save/load, the SymPy bridge, DOT and the registries."""
    special = {
        "Clip": lambda: op(a, low=0.0, high=1.0),
        "Where": lambda: op(a > b, b, c),
        "Reshape": lambda: op(a, (-1,)),
        "ExpandDims": lambda: op(a, 0),
        "BroadcastTo": lambda: op(a, (2, 3)),
        "Index": lambda: op(a, (0, slice(None, None, -1))),
        "Concatenate": lambda: op(a, b, c, axis=0),
        "Stack": lambda: op(a, b, c, axis=0),
    }
    if op.__name__ in special:
        return special[op.__name__]()
    return op(*(a, b, c)[: op.arity])
