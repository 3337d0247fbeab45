"""The truth tables of the two-input logic gates: the data, and the table printed beside it.

The four corners ``(x1, x2)`` are always in the order of `CORNERS`:
(0, 0), (0, 1), (1, 0), (1, 1).  These names are imported from
`exprdiff.gates` (with the models that learn the gates) and from
`exprdiff.datasets` (with the other data sets); this module holds them so
that data and models each live in a module of their own.

>>> from exprdiff import Input
>>> x1, x2, label = Input("x1"), Input("x2"), Input("label")
>>> GATES["XOR"]
(0, 1, 1, 0)
>>> gate_data("and", x1, x2, label)[3]
{Input('x1'): 1, Input('x2'): 1, Input('label'): 1}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Literal, overload

import numpy as np

from exprdiff.core.nodes import Input

__all__ = [
    "CORNERS", "GATES", "LINEARLY_SEPARABLE", "format_truth_table", "gate_data", "targets",
]

#: the inputs ``(x1, x2)`` of every truth table, in this order
CORNERS: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (1, 0), (1, 1))

#: each gate's outputs at `CORNERS`
GATES: Mapping[str, tuple[int, int, int, int]] = MappingProxyType({
    "AND": (0, 0, 0, 1),
    "OR": (0, 1, 1, 1),
    "NAND": (1, 1, 1, 0),
    "NOR": (1, 0, 0, 0),
    "XOR": (0, 1, 1, 0),
    "XNOR": (1, 0, 0, 1),
})

#: the gates one straight line separates, so that a perceptron can learn them
LINEARLY_SEPARABLE: frozenset[str] = frozenset({"AND", "OR", "NAND", "NOR"})


def targets(gate: str) -> tuple[int, int, int, int]:
    """The gate's outputs at `CORNERS`; the name is case-insensitive.

    >>> targets("nand")
    (1, 1, 1, 0)
    """
    key = gate.upper() if isinstance(gate, str) else gate
    if key not in GATES:
        raise ValueError(f"unknown gate {gate!r}: choose one of {', '.join(GATES)}")
    return GATES[key]


@overload
def gate_data(
    gate: str, x1: Input, x2: Input, label: Input, *, form: Literal["list"] = ...
) -> list[dict[Input, int]]: ...
@overload
def gate_data(
    gate: str, x1: Input, x2: Input, label: Input, *, form: Literal["arrays"]
) -> dict[Input, np.ndarray]: ...
@overload
def gate_data(
    gate: str, x1: Input, x2: Input, label: Input, *, form: str
) -> list[dict[Input, int]] | dict[Input, np.ndarray]: ...
def gate_data(
    gate: str, x1: Input, x2: Input, label: Input, *, form: str = "list"
) -> list[dict[Input, int]] | dict[Input, np.ndarray]:
    """The gate's truth table as training data for `exprdiff.optimize`.

    ``form="list"`` gives four per-sample dicts (the tutorials' form),
    ``form="arrays"`` one dict of float64 arrays with the samples in order.

    >>> from exprdiff import Input
    >>> x1, x2, label = Input("x1"), Input("x2"), Input("label")
    >>> gate_data("or", x1, x2, label, form="arrays")[label]
    array([0., 1., 1., 1.])
    """
    outputs = targets(gate)
    if form == "list":
        return [{x1: a, x2: b, label: t} for (a, b), t in zip(CORNERS, outputs, strict=True)]
    if form == "arrays":
        first, second = np.array(CORNERS, dtype=np.float64).T
        return {x1: first, x2: second, label: np.array(outputs, dtype=np.float64)}
    raise ValueError(f"form must be 'list' or 'arrays', got {form!r}")


def format_truth_table(gate: str, digits: int = 6, **columns: Sequence[float] | np.ndarray) -> str:
    """An aligned text table: the inputs, one column per keyword, and the target.

    >>> print(format_truth_table("and", before=[0.5, 0.731, 0.731, 0.881], digits=3))
    x1  x2  before  target
     0   0   0.500       0
     0   1   0.731       0
     1   0   0.731       0
     1   1   0.881       1
    """
    outputs = targets(gate)
    names = list(columns)
    for name in names:
        if len(columns[name]) != len(CORNERS):
            raise ValueError(f"column {name!r} needs {len(CORNERS)} values, one per corner, "
                             f"got {len(columns[name])}")
    widths = [max(len(name), digits + 2) for name in names]
    cells = [n.rjust(w) for n, w in zip(names, widths, strict=True)]
    lines = ["  ".join(["x1", "x2", *cells, "target"])]
    for row, ((a, b), target) in enumerate(zip(CORNERS, outputs, strict=True)):
        cells = [f"{columns[n][row]:{w}.{digits}f}" for n, w in zip(names, widths, strict=True)]
        lines.append("  ".join([f"{a:2d}", f"{b:2d}"] + cells + [f"{target:6d}"]))
    return "\n".join(lines)
