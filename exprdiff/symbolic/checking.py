"""A gradient checker comparing three independent answers.

`check_grads` computes the gradient of an expression three ways: the numeric
reverse mode (`Node.grad`), the symbolic derivatives (`gradients`, evaluated
and summed over the batch) and central finite differences.  For scalar
parameters it also compares second derivatives: the evaluated symbolic
`hessian` against central differences of the reverse-mode gradient.  The
result reports, per parameter, the worst disagreement as a relative error
``|a - b| / max(1, |a|, |b|)``.

>>> from exprdiff import Input, Parameter, Sigmoid
>>> w, x = Parameter("w"), Input("x")
>>> check = check_grads(Sigmoid(w * x), {w: 0.5}, {x: [1.0, -2.0]})
>>> check.ok
True
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from exprdiff.core.nodes import Node
from exprdiff.core.tables import html_table
from exprdiff.symbolic.derivatives import evaluate_derivatives, evaluate_hessian, gradients, hessian
from exprdiff.symbolic.finite_differences import numeric_grad

__all__ = ["GradCheck", "ParameterCheck", "check_grads"]


@dataclass(frozen=True)
class ParameterCheck:
    """The worst disagreements found for one parameter.

    ``first_order`` compares reverse mode, symbolic and finite differences
    (the worst pair); ``second_order`` compares the symbolic Hessian's row with
    finite differences of the reverse-mode gradient (``None`` when not
    checked: array parameters, or ``second_order=False``).

    >>> ParameterCheck("w", 1e-10, 2e-9).worst
    2e-09
    """

    name: str
    first_order: float
    second_order: float | None

    @property
    def worst(self) -> float:
        if self.second_order is None:
            return self.first_order
        return max(self.first_order, self.second_order)


@dataclass(frozen=True)
class GradCheck:
    """What `check_grads` found: one `ParameterCheck` per parameter.

    ``ok`` is true when every disagreement is within ``tolerance``;
    `assert_ok` raises `AssertionError` with the table otherwise.

    >>> GradCheck((ParameterCheck("w", 3e-11, None),), 1e-5).ok
    True
    """

    parameters: tuple[ParameterCheck, ...]
    tolerance: float
    symbolic_note: str = ""

    @property
    def worst(self) -> float:
        return max((p.worst for p in self.parameters), default=0.0)

    @property
    def ok(self) -> bool:
        return all(p.worst <= self.tolerance for p in self.parameters)

    def assert_ok(self) -> None:
        """Raise `AssertionError` showing the table unless every check passed."""
        if not self.ok:
            raise AssertionError(f"gradients disagree beyond {self.tolerance:g}:\n{self!r}")

    def __repr__(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        lines = [f"GradCheck({verdict}, worst {self.worst:.1e}, tolerance {self.tolerance:g})"]
        if self.symbolic_note:
            lines.append(f"  symbolic derivatives not compared: {self.symbolic_note}")
        width = max((len(p.name) for p in self.parameters), default=0)
        for p in self.parameters:
            second = "n/a" if p.second_order is None else f"{p.second_order:.1e}"
            flag = "" if p.worst <= self.tolerance else "   <-- disagrees"
            lines.append(
                f"  {p.name:<{width}}  first order {p.first_order:.1e}  "
                f"second order {second}{flag}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The table for a notebook: one row per parameter, disagreements marked."""
        verdict = "ok" if self.ok else "FAILED"
        caption = f"GradCheck: {verdict}, worst {self.worst:.1e}, tolerance {self.tolerance:g}"
        rows = [
            (p.name, f"{p.first_order:.1e}",
             "n/a" if p.second_order is None else f"{p.second_order:.1e}",
             "ok" if p.worst <= self.tolerance else "disagrees")
            for p in self.parameters
        ]
        note = (f"<div>symbolic derivatives not compared: {html.escape(self.symbolic_note)}</div>"
                if self.symbolic_note else "")
        return html_table(caption, ["parameter", "first order", "second order", ""], rows, note)


def check_grads(
    expr: Node, params: Mapping, inputs: Mapping | None = None, *,
    second_order: bool = True, step: float = 1e-6, tolerance: float = 1e-5,
) -> GradCheck:
    """Compare reverse mode, symbolic derivatives and finite differences.

    ``step`` is the relative finite-difference step.  When the expression has
    an operation without pointwise derivatives (``elementwise = False``) the
    symbolic answers are left out and the reason is shown.

    >>> from exprdiff import Parameter, Log
    >>> a, b = Parameter("a"), Parameter("b")
    >>> check_grads(Log(a * b) + a**3, {a: 2.0, b: 0.5})
    GradCheck(ok, worst ...e-..., tolerance 1e-05)
      a  first order ...  second order ...
      b  first order ...  second order ...
    """
    inputs = inputs or {}
    reverse = expr.grad(params, inputs)
    finite = numeric_grad(expr, params, inputs, step=step)
    note = ""
    try:
        symbolic = evaluate_derivatives(expr, gradients(expr), params, inputs)
    except NotImplementedError as error:
        symbolic, note = None, str(error)
    answers = [reverse, finite] + ([symbolic] if symbolic is not None else [])

    scalars = [p for p in reverse if np.ndim(params[p]) == 0]
    rows = {}
    if second_order and symbolic is not None and scalars:
        matrix = evaluate_hessian(expr, hessian(expr, scalars), params, inputs)
        columns = _hessian_by_differences(expr, scalars, params, inputs, step)
        rows = {p: _disagreement(matrix[i], columns[i]) for i, p in enumerate(scalars)}

    checks = tuple(
        ParameterCheck(
            p.label,
            max(_disagreement(a[p], b[p]) for i, a in enumerate(answers) for b in answers[i + 1:]),
            rows.get(p),
        )
        for p in reverse
    )
    return GradCheck(checks, tolerance, note)


def _hessian_by_differences(expr, scalars, params, inputs, step) -> np.ndarray:
    """Row i: central differences of the reverse-mode gradient along each parameter."""
    size = len(scalars)
    matrix = np.zeros((size, size))
    for j, q in enumerate(scalars):
        h = step * max(1.0, abs(float(params[q])))
        moved = dict(params)
        moved[q] = float(params[q]) + h
        up = expr.grad(moved, inputs)
        moved[q] = float(params[q]) - h
        down = expr.grad(moved, inputs)
        for i, p in enumerate(scalars):
            matrix[i, j] = (up[p] - down[p]) / (2 * h)
    return matrix


def _disagreement(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return 0.0 if np.array_equal(a, b) else float("inf")
    scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    return float(np.max(np.abs(a - b) / scale, initial=0.0))
