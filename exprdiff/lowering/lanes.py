"""Tiny batches as lanes of plain floats: a program where an array of a few samples is floats.

For a batch of a handful of samples (the logic-gate fits: four), NumPy's
cost is nearly all dispatch, so the plain-float path
(`exprdiff.lowering.plain_floats`) extends to it: each value of shape
``(L,)`` becomes ``L`` Python floats, one per sample (a *lane*), each
operation is written once per lane, and scalars stay one float.  Sums over
the batch are written in exactly the order NumPy's pairwise summation adds
(`pairwise_sum`), so they are bit for bit NumPy's; the results come back as
arrays.  The same checks and fall-back to NumPy apply as for scalars.

>>> program = LanedProgram(3)
>>> x = program.lane_argument("_x", ["_x0", "_x1", "_x2"])
>>> total = program.sum_all(program.emit("{0} * 2.0", [x], shape=(3,)))
>>> program.lines([])
['_1_0 = _x0 * 2.0', '_1_1 = _x1 * 2.0', '_1_2 = _x2 * 2.0', '_2 = 0.0 + (_1_0 + _1_1 + _1_2)']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exprdiff.lowering.program import Program, Val

__all__ = ["MAX_LANES", "LanedProgram", "pairwise_sum"]

#: batches up to this many samples may be computed as lanes of floats
MAX_LANES = 8


def pairwise_sum(terms: list[str]) -> str:
    """Source adding ``terms`` in the order ``np.add.reduce`` adds a float64 vector's elements.

    NumPy adds fewer than 8 elements one after another, up to 128 in eight
    interleaved partial sums combined pairwise, and splits longer vectors
    in halves; the reduction starts from 0.0 (so ``[-0.0]`` sums to 0.0).

    >>> pairwise_sum(["a", "b", "c"])
    '0.0 + (a + b + c)'
    """
    return f"0.0 + ({_pairwise(terms)})"


def _pairwise(terms: list[str]) -> str:
    n = len(terms)
    if n < 8:
        return " + ".join(terms) if terms else "-0.0"
    if n <= 128:
        partial = list(terms[:8])
        i = 8
        while i < n - n % 8:
            partial = [f"({partial[j]} + {terms[i + j]})" for j in range(8)]
            i += 8
        total = (f"(({partial[0]} + {partial[1]}) + ({partial[2]} + {partial[3]})) + "
                 f"(({partial[4]} + {partial[5]}) + ({partial[6]} + {partial[7]}))")
        for term in terms[i:]:
            total = f"({total}) + {term}"
        return total
    half = n // 2
    half -= half % 8
    return f"({_pairwise(terms[:half])}) + ({_pairwise(terms[half:])})"


class LanedProgram(Program):
    """A `Program` whose arrays of shape ``(lanes,)`` are written as one float per lane."""

    registers = False  # lanes are floats: each keeps its own name

    def __init__(self, lanes: int) -> None:
        super().__init__()
        self.count = lanes
        self.lanes_of: dict[int, list[str]] = {}  # Val index -> the names of its lanes

    def lanes(self, val: Val) -> list[str] | None:
        return self.lanes_of.get(val.index) if val.index >= 0 else getattr(val, "_lanes", None)

    def lane_argument(self, name: str, lanes: list[str]) -> Val:
        """A value read before the statements, one float per lane (named ``lanes``)."""
        val = self._new(name, (self.count,))
        self.lanes_of[val.index] = list(lanes)
        return val

    def constant(self, value: Any, shape: Any, *, fresh: bool = False) -> Val:
        if isinstance(value, np.ndarray) and value.shape == (self.count,):
            parts = [super(LanedProgram, self).constant(float(v), None).text for v in value]
            val = self._new(None, (self.count,), const=value)
            self.lanes_of[val.index] = parts
            return val
        return super().constant(value, shape, fresh=fresh)

    def emit(self, code: str, operands: list[Val], *, shape: Any, fresh: bool = True,
             targets: int = 1) -> Val:
        lanes = [self.lanes(operand) for operand in operands]
        if not any(lanes):
            return super().emit(code, operands, shape=shape, fresh=fresh, targets=targets)
        val = self._new(None, (self.count,), fresh=True)
        names = [f"{val.text}_{j}" for j in range(self.count)]
        self.lanes_of[val.index] = names
        residual = None
        if targets == 2:
            residual = self._new(None, (self.count,), fresh=True)
            self.lanes_of[residual.index] = [f"{residual.text}_{j}" for j in range(self.count)]
            val.residual = residual
        for j in range(self.count):
            texts = [lane[j] if lane else operand.text for lane, operand in zip(lanes, operands)]
            target = names[j] if residual is None else \
                f"{names[j]}, {self.lanes_of[residual.index][j]}"
            self.statements.append((2, -1, f"{target} = {code.format(*texts)}", (), False))
        return val

    def sum_all(self, val: Val) -> Val:
        lanes = self.lanes(val)
        if lanes is None:
            return super().sum_all(val)
        total = self._new(None, None)
        self.statements.append((2, -1, f"{total.text} = {pairwise_sum(lanes)}", (), False))
        return total

    def reduce_leading(self, val: Val, axis: Any, shape: tuple) -> Val:
        return self.sum_all(val)  # lanes are one axis: reducing it is the whole sum

    def broadcast(self, val: Val, shape: tuple) -> Val:
        copy = self._new(None, shape)
        self.lanes_of[copy.index] = [val.text] * self.count
        return copy

    def text_of(self, val: Val) -> str:
        lanes = self.lanes(val)
        return val.text if lanes is None else f"_array([{', '.join(lanes)}])"

    def texts(self, val: Val) -> list[str]:
        """Every float a value is made of (its lanes, or itself)."""
        return self.lanes(val) or [val.text]

