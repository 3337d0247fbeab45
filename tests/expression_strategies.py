"""Hypothesis strategies: random expression DAGs (with shared subexpressions) and points."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from exprdiff import Constant, Cos, Exp, Input, Parameter, Sigmoid, Sin, Softplus, Tanh

W1, W2 = Parameter("w1"), Parameter("w2")
X = Input("x")
LEAVES = (W1, W2, X)
CONSTANTS = (0.5, 2.0, 3.0, -1.5)
UNARY = (lambda a: -a, Sin, Cos, Tanh, Sigmoid, Softplus, lambda a: Exp(Tanh(a)),
         lambda a: a**2, lambda a: a**3)
BINARY = (lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b)
#: names the printed form uses, for parsing ``str(expr)`` back with ``eval``
NAMESPACE = {"w1": W1, "w2": W2, "x": X, "sin": Sin, "cos": Cos, "tanh": Tanh,
             "sigmoid": Sigmoid, "softplus": Softplus, "exp": Exp}


@st.composite
def expressions(draw, max_steps: int = 7):
    """An expression built step by step; each step may reuse any earlier node."""
    pool = list(LEAVES) + [Constant(draw(st.sampled_from(CONSTANTS)))]
    for _ in range(draw(st.integers(1, max_steps))):
        if draw(st.booleans()):
            op = draw(st.sampled_from(UNARY))
            operand = draw(st.sampled_from(pool))
            if operand in LEAVES or operand.children:  # no op on a bare constant
                pool.append(op(operand))
        else:
            op = draw(st.sampled_from(BINARY))
            a, b = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
            if a.children or b.children or a in LEAVES or b in LEAVES:
                pool.append(op(a, b))
    return pool[-1] if pool[-1].children else W1 * pool[-1] + X


def points():
    """Parameter values and a batch of three inputs, multiples of 0.01 in [-2, 2].

    (Values such as 1e-200 would only test underflow: ``x/y/y`` and the
    simplified ``x/y**2`` differ once ``y**2`` leaves the float range.)
    """
    value = st.integers(-200, 200).map(lambda k: k / 100)
    return st.tuples(value, value, st.lists(value, min_size=3, max_size=3)).map(
        lambda t: ({W1: t[0], W2: t[1]}, {X: np.array(t[2])}))
