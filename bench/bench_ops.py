"""Every built-in operation: one exprdiff forward + gradient call beside hand-written NumPy.

Run: python bench/bench_ops.py [--repeat N] [NAME ...]
Target (issue 12): each operation within 1.5x of the hand-written NumPy code.

For each operation of ``exprdiff.ops.BUILTIN_OPS`` (the script refuses to run if one has
no case here) the expression is the operation on Parameters holding arrays of 10^5
elements (a 1000 x 100 matrix for the operations along an axis), and ``expr.grad(params)``,
one forward and one reverse pass, is timed beside a hand-written NumPy function that
computes the same value and the gradient of its sum as a backward pass writes it: the
upstream gradient (ones) times the local derivative.  Both are first checked to give the
same numbers.  The two are timed in turns, round-robin, and each keeps the minimum over
the repeats, so that a busy moment of a shared machine hits both alike; the table says how
loaded the machine was (``os.getloadavg``).
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import best_times  # noqa: E402

import exprdiff  # noqa: E402
from exprdiff.ops import BUILTIN_OPS  # noqa: E402

N = 100_000
TARGET = 1.5
RNG = np.random.default_rng(12)


def uniform(low: float, high: float, shape: tuple = (N,)) -> np.ndarray:
    return RNG.uniform(low, high, size=shape)


def signed(low: float, high: float, shape: tuple = (N,)) -> np.ndarray:
    """Magnitudes in [low, high] with random signs (no zeros: away from kinks)."""
    return uniform(low, high, shape) * RNG.choice([-1.0, 1.0], size=shape)


def ones(out: np.ndarray) -> np.ndarray:
    return np.ones(np.shape(out))


def unary(f: Callable, df: Callable) -> Callable:
    """The hand-written forward and backward of an elementwise ``f`` with derivative ``df``."""
    def hand(x):
        out = f(x)
        return out, [ones(out) * df(x, out)]
    return hand


def binary(f: Callable, da: Callable, db: Callable) -> Callable:
    def hand(a, b):
        out = f(a, b)
        g = ones(out)
        return out, [g * da(a, b, out), g * db(a, b, out)]
    return hand


def zero_gradient(f: Callable) -> Callable:
    """A condition: the value, and zero gradients (nothing flows through it)."""
    def hand(*operands):
        return f(*operands), [np.zeros_like(x) for x in operands]
    return hand


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


SQ2PI, CUBIC, LN2 = math.sqrt(2 / math.pi), 0.044715, math.log(2)
X, Y = signed(0.2, 2.0), signed(0.2, 2.0)
MATRIX, OTHER = uniform(-1.0, 1.0, (1000, 100)), uniform(-1.0, 1.0, (100, 100))


def hand_gelu(x):
    t = np.tanh(SQ2PI * (x + CUBIC * x**3))
    out = 0.5 * x * (1 + t)
    slope = SQ2PI * (1 + 3 * CUBIC * x * x)
    return out, [ones(out) * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * slope)]


def hand_silu(x):
    s = sigmoid(x)
    out = x * s
    return out, [ones(out) * (s * (1 + x * (1 - s)))]


def hand_where(a, b):
    c = a > 0
    out = np.where(c, a, b)
    g = ones(out)
    return out, [g * c, g * ~c]


def hand_matmul(a, b):
    out = np.dot(a, b)  # np.dot: several times faster than @ on the transposed operands
    g = ones(out)
    return out, [np.dot(g, b.T), np.dot(a.T, g)]


def along_rows(f: Callable, df: Callable) -> Callable:
    """A reduction along axis 1 of a matrix: ``df(x, out)`` is the local derivative; the
    gradient is made in the operand's shape, as a backward pass hands it on."""
    def hand(x):
        out = f(x)
        grad = np.empty(x.shape)
        grad[...] = ones(out)[:, None] * df(x, out[:, None])
        return out, [grad]
    return hand


def hand_logsumexp(x):
    peak = np.max(x, axis=1, keepdims=True)
    e = np.exp(x - peak)
    total = np.sum(e, axis=1, keepdims=True)
    out = (peak + np.log(total))[:, 0]
    return out, [ones(out)[:, None] * (e / total)]


def hand_softmax(x):
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    out = e / np.sum(e, axis=1, keepdims=True)
    g = ones(out)
    return out, [out * (g - np.sum(g * out, axis=1, keepdims=True))]


def hand_extreme(reduce: Callable) -> Callable:
    def hand(x):
        out = reduce(x, axis=1)
        hit = x == out[:, None]
        return out, [ones(out)[:, None] * hit / np.sum(hit, axis=1, keepdims=True)]
    return hand


LABELS = RNG.integers(0, 100, size=1000).astype(float)
INDICES = RNG.integers(0, N, size=N)


def hand_class_score(logits):
    rows = np.arange(len(LABELS))
    out = logits[rows, LABELS.astype(int)]
    grad = np.zeros(logits.shape)
    grad[rows, LABELS.astype(int)] = ones(out)
    return out, [grad]


def hand_index(x):
    out = x[INDICES]
    return out, [np.bincount(INDICES, weights=ones(out), minlength=N)]


def hand_std(x):
    out = np.std(x, axis=1)
    centred = x - np.mean(x, axis=1, keepdims=True)
    return out, [ones(out)[:, None] * centred / (x.shape[1] * out[:, None])]


def hand_var(x):
    out = np.var(x, axis=1)
    centred = x - np.mean(x, axis=1, keepdims=True)
    return out, [ones(out)[:, None] * centred * (2 / x.shape[1])]


def hand_joined(join: Callable, split: Callable) -> Callable:
    def hand(a, b):
        out = join([a, b])
        return out, split(ones(out))
    return hand


ex = exprdiff
#: name -> (the expression on Parameters, their values, the hand-written forward and backward)
CASES: dict[str, tuple[Callable, list, Callable]] = {
    "Add": (lambda a, b: a + b, [X, Y], binary(np.add, lambda a, b, o: 1.0, lambda a, b, o: 1.0)),
    "Subtract": (lambda a, b: a - b, [X, Y],
                 binary(np.subtract, lambda a, b, o: 1.0, lambda a, b, o: -1.0)),
    "Multiply": (lambda a, b: a * b, [X, Y],
                 binary(np.multiply, lambda a, b, o: b, lambda a, b, o: a)),
    "Divide": (lambda a, b: a / b, [X, Y],
               binary(np.divide, lambda a, b, o: 1 / b, lambda a, b, o: -o / b)),
    "Power": (lambda a, b: a**b, [uniform(0.5, 2.0), uniform(-2.0, 2.0)],
              binary(np.power, lambda a, b, o: b * a ** (b - 1), lambda a, b, o: o * np.log(a))),
    "Negate": (lambda x: -x, [X], unary(np.negative, lambda x, o: -1.0)),
    "Exp": (ex.Exp, [X], unary(np.exp, lambda x, o: o)),
    "Log": (ex.Log, [uniform(0.2, 3.0)], unary(np.log, lambda x, o: 1 / x)),
    "Sqrt": (ex.Sqrt, [uniform(0.2, 3.0)], unary(np.sqrt, lambda x, o: 0.5 / o)),
    "Abs": (ex.Abs, [X], unary(np.abs, lambda x, o: np.sign(x))),
    "Sign": (ex.Sign, [X], unary(np.sign, lambda x, o: 0.0)),
    "Sin": (ex.Sin, [X], unary(np.sin, lambda x, o: np.cos(x))),
    "Cos": (ex.Cos, [X], unary(np.cos, lambda x, o: -np.sin(x))),
    "Tanh": (ex.Tanh, [X], unary(np.tanh, lambda x, o: 1 - o * o)),
    "Arcsin": (ex.Arcsin, [uniform(-0.99, 0.99)],
               unary(np.arcsin, lambda x, o: 1 / np.sqrt(1 - x * x))),
    "Tan": (ex.Tan, [uniform(-1.3, 1.3)], unary(np.tan, lambda x, o: 1 + o * o)),
    "Arccos": (ex.Arccos, [uniform(-0.99, 0.99)],
               unary(np.arccos, lambda x, o: -1 / np.sqrt(1 - x * x))),
    "Arctan": (ex.Arctan, [X], unary(np.arctan, lambda x, o: 1 / (1 + x * x))),
    "Arctan2": (ex.Arctan2, [X, Y], binary(np.arctan2, lambda a, b, o: b / (a * a + b * b),
                                           lambda a, b, o: -a / (a * a + b * b))),
    "Hypot": (ex.Hypot, [X, Y], binary(np.hypot, lambda a, b, o: a / o, lambda a, b, o: b / o)),
    "Deg2rad": (ex.Deg2rad, [X], unary(np.deg2rad, lambda x, o: np.pi / 180)),
    "Rad2deg": (ex.Rad2deg, [X], unary(np.rad2deg, lambda x, o: 180 / np.pi)),
    "Sinh": (ex.Sinh, [X], unary(np.sinh, lambda x, o: np.cosh(x))),
    "Cosh": (ex.Cosh, [X], unary(np.cosh, lambda x, o: np.sinh(x))),
    "Arcsinh": (ex.Arcsinh, [X], unary(np.arcsinh, lambda x, o: 1 / np.sqrt(1 + x * x))),
    "Arccosh": (ex.Arccosh, [uniform(1.01, 4.0)],
                unary(np.arccosh, lambda x, o: 1 / np.sqrt(x * x - 1))),
    "Arctanh": (ex.Arctanh, [uniform(-0.99, 0.99)],
                unary(np.arctanh, lambda x, o: 1 / (1 - x * x))),
    "Log1p": (ex.Log1p, [uniform(-0.9, 2.0)], unary(np.log1p, lambda x, o: 1 / (1 + x))),
    "Expm1": (ex.Expm1, [X], unary(np.expm1, lambda x, o: o + 1)),
    "Log2": (ex.Log2, [uniform(0.2, 3.0)], unary(np.log2, lambda x, o: 1 / (x * LN2))),
    "Log10": (ex.Log10, [uniform(0.2, 3.0)],
              unary(np.log10, lambda x, o: 1 / (x * math.log(10)))),
    "Exp2": (ex.Exp2, [X], unary(np.exp2, lambda x, o: o * LN2)),
    "Logaddexp": (ex.Logaddexp, [X, Y], binary(np.logaddexp, lambda a, b, o: np.exp(a - o),
                                               lambda a, b, o: np.exp(b - o))),
    "Logaddexp2": (ex.Logaddexp2, [X, Y], binary(np.logaddexp2, lambda a, b, o: np.exp2(a - o),
                                                 lambda a, b, o: np.exp2(b - o))),
    "Square": (ex.Square, [X], unary(np.square, lambda x, o: 2 * x)),
    "Reciprocal": (ex.Reciprocal, [X], unary(np.reciprocal, lambda x, o: -o * o)),
    "Cbrt": (ex.Cbrt, [X], unary(np.cbrt, lambda x, o: 1 / (3 * o * o))),
    "Floor": (ex.Floor, [X], unary(np.floor, lambda x, o: 0.0)),
    "Ceil": (ex.Ceil, [X], unary(np.ceil, lambda x, o: 0.0)),
    "Round": (ex.Round, [X], unary(np.round, lambda x, o: 0.0)),
    "Mod": (ex.Mod, [X, uniform(1.0, 2.0)],
            binary(np.mod, lambda a, b, o: 1.0, lambda a, b, o: -np.floor(a / b))),
    "Sigmoid": (ex.Sigmoid, [X], unary(sigmoid, lambda x, o: o * (1 - o))),
    "ReLU": (ex.ReLU, [X], unary(lambda x: np.maximum(x, 0), lambda x, o: x > 0)),
    "Softplus": (ex.Softplus, [X], unary(lambda x: np.logaddexp(0, x), lambda x, o: sigmoid(x))),
    "LeakyReLU": (ex.LeakyReLU, [X], unary(lambda x: np.where(x > 0, x, 0.01 * x),
                                           lambda x, o: np.where(x > 0, 1.0, 0.01))),
    "ELU": (ex.ELU, [X], unary(lambda x: np.where(x > 0, x, np.expm1(x)),
                               lambda x, o: np.where(x > 0, 1.0, o + 1))),
    "GELU": (ex.GELU, [X], hand_gelu),
    "SiLU": (ex.SiLU, [X], hand_silu),
    "Clip": (lambda x: ex.Clip(x, -1.0, 1.0), [X],
             unary(lambda x: np.clip(x, -1, 1), lambda x, o: (x > -1) & (x < 1))),
    "Where": (lambda a, b: ex.Where(a > 0, a, b), [X, Y], hand_where),
    "Maximum": (ex.Maximum, [X, Y], binary(np.maximum, lambda a, b, o: (a > b) + 0.5 * (a == b),
                                           lambda a, b, o: (b > a) + 0.5 * (a == b))),
    "Minimum": (ex.Minimum, [X, Y], binary(np.minimum, lambda a, b, o: (a < b) + 0.5 * (a == b),
                                           lambda a, b, o: (b < a) + 0.5 * (a == b))),
    "Fmax": (ex.Fmax, [X, Y], binary(np.fmax, lambda a, b, o: (a >= b) | np.isnan(b),
                                     lambda a, b, o: ~((a >= b) | np.isnan(b)))),
    "Fmin": (ex.Fmin, [X, Y], binary(np.fmin, lambda a, b, o: (a <= b) | np.isnan(b),
                                     lambda a, b, o: ~((a <= b) | np.isnan(b)))),
    "Greater": (ex.Greater, [X, Y], zero_gradient(np.greater)),
    "GreaterEqual": (ex.GreaterEqual, [X, Y], zero_gradient(np.greater_equal)),
    "Less": (ex.Less, [X, Y], zero_gradient(np.less)),
    "LessEqual": (ex.LessEqual, [X, Y], zero_gradient(np.less_equal)),
    "LogicalAnd": (lambda a, b: (a > 0) & (b > 0), [X, Y],
                   zero_gradient(lambda a, b: np.logical_and(a > 0, b > 0))),
    "LogicalOr": (lambda a, b: (a > 0) | (b > 0), [X, Y],
                  zero_gradient(lambda a, b: np.logical_or(a > 0, b > 0))),
    "LogicalNot": (lambda a: ~(a > 0), [X], zero_gradient(lambda a: np.logical_not(a > 0))),
    "Isnan": (ex.Isnan, [X], zero_gradient(np.isnan)),
    "MatMul": (lambda a, b: a @ b, [MATRIX, OTHER], hand_matmul),
    "Sum": (lambda x: ex.Sum(x, axis=1), [MATRIX],
            along_rows(lambda x: np.sum(x, axis=1), lambda x, o: 1.0)),
    "Mean": (lambda x: ex.Mean(x, axis=1), [MATRIX],
             along_rows(lambda x: np.mean(x, axis=1), lambda x, o: 1 / x.shape[1])),
    "SumOfSquares": (lambda x: ex.SumOfSquares(x, axis=1), [MATRIX],
                     along_rows(lambda x: np.sum(x * x, axis=1), lambda x, o: 2 * x)),
    "LogSumExp": (lambda x: ex.LogSumExp(x, axis=1), [MATRIX], hand_logsumexp),
    "Softmax": (lambda x: ex.Softmax(x, axis=1), [MATRIX], hand_softmax),
    # the gradient handed back is an array of its own, not a view (as exprdiff returns it)
    "Transpose": (lambda x: x.T, [MATRIX], lambda x: (x.T, [np.transpose(ones(x.T)).copy()])),
    "ClassScore": (lambda x: ex.ClassScore(x, LABELS), [MATRIX], hand_class_score),
    "Max": (lambda x: ex.Max(x, axis=1), [MATRIX], hand_extreme(np.max)),
    "Min": (lambda x: ex.Min(x, axis=1), [MATRIX], hand_extreme(np.min)),
    "Prod": (lambda x: ex.Prod(x, axis=1), [uniform(0.9, 1.1, (1000, 100))],  # no overflow
             along_rows(lambda x: np.prod(x, axis=1), lambda x, o: o / x)),
    "Var": (lambda x: ex.Var(x, axis=1), [MATRIX], hand_var),
    "Std": (lambda x: ex.Std(x, axis=1), [MATRIX], hand_std),
    "Reshape": (lambda x: x.reshape(100, 1000), [MATRIX],
                lambda x: (x.reshape(100, 1000), [ones(x.reshape(100, 1000)).reshape(x.shape)])),
    "ExpandDims": (lambda x: ex.ExpandDims(x, 1), [X],
                   lambda x: (x[:, None], [np.reshape(ones(x[:, None]), x.shape)])),
    "Squeeze": (ex.Squeeze, [X[:, None].copy()],  # a column
                lambda x: (x[:, 0], [np.reshape(ones(x[:, 0]), x.shape)])),
    "BroadcastTo": (lambda x: ex.BroadcastTo(x, (1000, 100)), [uniform(-1.0, 1.0, (100,))],
                    lambda x: (np.broadcast_to(x, (1000, 100)),
                               [np.sum(ones(np.broadcast_to(x, (1000, 100))), axis=0)])),
    "Concatenate": (lambda a, b: ex.Concatenate(a, b), [X, Y],
                    hand_joined(np.concatenate, lambda g: [g[:N], g[N:]])),
    "Stack": (lambda a, b: ex.Stack(a, b), [X, Y],
              hand_joined(np.stack, lambda g: [g[0], g[1]])),
    "Index": (lambda x: x[INDICES], [X], hand_index),
}


def check(name: str, expr, params: dict, hand: Callable, arrays: list) -> None:
    """Fail loudly unless exprdiff and the hand-written code give the same numbers."""
    value, grads = hand(*arrays)
    np.testing.assert_allclose(expr(params), value, rtol=1e-10, err_msg=name)
    found = expr.grad(params)
    for param, grad in zip(params, grads, strict=True):
        np.testing.assert_allclose(found[param], np.broadcast_to(grad, np.shape(params[param])),
                                   rtol=1e-9, atol=1e-12, err_msg=name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these operations")
    parser.add_argument("--repeat", type=int, default=15, help="interleaved rounds (default 15)")
    args = parser.parse_args(argv)
    missing = sorted({op.__name__ for op in BUILTIN_OPS} - set(CASES))
    if missing:
        raise SystemExit(f"no benchmark case for {', '.join(missing)}")
    names = args.names or [op.__name__ for op in BUILTIN_OPS]
    load = os.getloadavg()
    print(f"one forward + gradient call on 10^5 elements, minimum of {args.repeat} interleaved "
          f"rounds; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on "
          f"{os.cpu_count()} cores")
    print(f"| operation | exprdiff (ms) | NumPy (ms) | ratio | within {TARGET}x |")
    print("| --- | ---: | ---: | ---: | :---: |")
    slow = []
    for name in names:
        build, arrays, hand = CASES[name]
        params = {exprdiff.Parameter(f"p{i}"): value for i, value in enumerate(arrays)}
        expr = build(*params)
        with np.errstate(all="ignore"):
            check(name, expr, params, hand, arrays)
            runs = {"exprdiff": functools.partial(expr.grad, params),
                    "numpy": functools.partial(hand, *arrays)}
            times = best_times(runs, repeat=args.repeat)
        ratio = times["exprdiff"] / times["numpy"]
        if ratio > TARGET:
            slow.append(name)
        print(f"| `{name}` | {times['exprdiff'] * 1e3:.3f} | {times['numpy'] * 1e3:.3f} | "
              f"{ratio:.2f} | {'yes' if ratio <= TARGET else '**no**'} |")
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"above {TARGET}x: {', '.join(slow) or 'none'}")
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
