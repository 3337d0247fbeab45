"""Newton's method with the exact Hessian, for models with few scalar parameters.

Each iteration evaluates the mean loss, its gradient ``g`` and its exact
Hessian ``H`` (from the symbolic `hessian`, built once) and steps along
``d`` solving ``(H + mu*I) d = -g``.  ``mu`` is 0 when ``H`` is positive
definite (a pure Newton step, checked by a Cholesky factorisation);
otherwise ``mu`` shifts the spectrum so the smallest eigenvalue becomes
``1e-3`` times the largest (at least ``1e-3``), so every step goes downhill.  A backtracking
line search (halving the step until the loss drops by at least ``1e-4 * t *
g.d``) makes the method safe far from the minimum (if even that finds no decrease,
one steepest-descent step is tried instead); near it the full step is
taken and convergence is quadratic.  It stops, converged, when every gradient entry is
within ``tolerance`` or the decrease Newton predicts (``-g.d``) is below
rounding level (``1e-15`` times the loss).

The cost per iteration grows with the square of the number of parameters
(the Hessian), so this is for small models such as the logic-gate
perceptrons; use gradient descent for large ones.

Two ways in: the function `newton` iterates to convergence on its own, and
``optimize(loss, params, data, optimizer="newton", epochs=...)`` takes one
Newton step per epoch (per mini-batch with ``batch_size``) inside the usual
training loop, with its loss history, tolerance and callbacks.  Newton's step
length comes from its line search, so ``learning_rate`` is not used.

>>> import numpy as np
>>> from exprdiff import Input, Parameter
>>> w, x, y = Parameter("w"), Input("x"), Input("y")
>>> fit = newton((w * x - y) ** 2, {w: 0.0}, {x: np.array([1.0, 2.0]), y: np.array([2.0, 4.0])})
>>> fit.params[w], fit.iterations, fit.converged
(2.0, 1, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exprdiff.core.errors import missing_data_value
from exprdiff.core.nodes import Input, Node, Parameter
from exprdiff.core.plan import topological_order
from exprdiff.core.values import as_value
from exprdiff.fit.optimizers import OPTIMIZERS, Optimizer
from exprdiff.fit.training_data import as_arrays
from exprdiff.symbolic.derivatives import _parameters, hessian_function

__all__ = ["Newton", "NewtonResult", "newton"]

_ARMIJO = 1e-4
_MAX_HALVINGS = 40
_ROUNDING = 1e-15
_MIN_CURVATURE = 1e-3


@dataclass
class NewtonResult:
    """The fitted parameters (a new dict) and how the iteration went.

    ``history`` holds the mean loss before each iteration and after the last.

    >>> NewtonResult({}, [0.5, 0.1], True, 1).final_loss
    0.1
    """

    params: dict[Parameter, Any]
    history: list[float] = field(default_factory=list)
    converged: bool = False
    iterations: int = 0

    @property
    def final_loss(self) -> float:
        return self.history[-1]


def newton(
    loss: Node, initial_params: Mapping, training_data: Sequence[Mapping] | Mapping | None = None,
    *, max_iterations: int = 50, tolerance: float = 1e-8,
) -> NewtonResult:
    """Minimise the mean of ``loss`` over the data by damped Newton iterations.

    ``training_data`` is a list of per-sample dicts or one dict of arrays, as
    for `optimize` (``None`` when the loss reads no `Input`).  Every
    `Parameter` of ``loss`` must be scalar and in ``initial_params``, which
    is not modified.  See the module docstring for the damping, line search
    and stopping rule.

    >>> from exprdiff import Parameter
    >>> a = Parameter("a")
    >>> fit = newton((a - 3) ** 4 + a**2, {a: 0.0})
    >>> round(fit.params[a], 6), fit.converged
    (2.0, True)
    """
    needed = [node for node in topological_order(loss) if isinstance(node, Input)]
    inputs = as_arrays(training_data, needed)[0] if needed or training_data else {}
    order = _parameters(loss)
    params = dict(initial_params)
    for p in order:
        if p not in params:
            raise missing_data_value(p, "initial_params", initial_params)
        params[p] = as_value(params[p], f"initial_params[Parameter {p.label!r}]")
    evaluate = hessian_function(loss)

    result = NewtonResult(params)
    with np.errstate(all="ignore"):
        value, grad, hess = evaluate(params, inputs)
    _check_finite(value, "the mean loss at the initial parameters")
    result.history.append(value)
    while result.iterations < max_iterations:
        if np.max(np.abs(grad), initial=0.0) <= tolerance:
            result.converged = True
            break
        direction = _damped_newton_direction(grad, hess)
        if -float(grad @ direction) <= _ROUNDING * max(1.0, abs(value)):
            result.converged = True  # what is left to gain is below rounding
            break
        moved, value = _step(loss, order, params, inputs, direction, value, grad)
        if moved is None:
            break  # no decrease even downhill: nothing left to gain at this precision
        params.update(moved)
        result.iterations += 1
        value, grad, hess = evaluate(params, inputs)
        result.history.append(value)
    else:
        result.converged = bool(np.max(np.abs(grad), initial=0.0) <= tolerance)
    return result


class Newton(Optimizer):
    """Newton's method as an `optimize` rule: ``optimizer="newton"``.

    Each step evaluates the exact Hessian of the mean loss on the batch and
    takes the damped Newton step with a line search (see `exprdiff.fit.newton_method`);
    ``learning_rate`` is not used.  Scalar parameters only.  Use it on the
    full batch: with ``batch_size`` each step jumps to (near) the minimum of
    that mini-batch's own loss, which is rarely what you want.

    >>> import numpy as np
    >>> from exprdiff import Input, Parameter, optimize
    >>> w, x, y = Parameter("w"), Input("x"), Input("y")
    >>> data = {x: np.array([1.0, 2.0]), y: np.array([2.0, 4.0])}
    >>> fitted = optimize((w * x - y) ** 2, {w: 0.0}, data, optimizer="newton", epochs=2)
    >>> fitted[w], fitted.losses
    (2.0, [10.0, 0.0])
    """

    name = "newton"

    def __init__(self) -> None:
        self._loss: Node | None = None
        self._evaluate = None

    def reset(self) -> None:
        self._loss = self._evaluate = None

    def step(self, params: Mapping, grads: Mapping, learning_rate: float) -> dict:
        raise TypeError(
            "Newton's method needs the loss and the data, not only the gradient: "
            "use optimize(..., optimizer='newton') or exprdiff.newton()"
        )

    def update(
        self, loss: Node, params: Mapping, inputs: Mapping, grads: Mapping, learning_rate: float
    ) -> dict:
        if self._loss is not loss:
            self._loss, self._evaluate = loss, hessian_function(loss, list(grads))
        value, grad, hess = self._evaluate(params, inputs)
        order = list(grads)
        moved, _ = _step(loss, order, params, inputs, _damped_newton_direction(grad, hess),
                         value, grad)
        return dict(params) if moved is None else {**params, **moved}


OPTIMIZERS[Newton.name] = Newton


def _step(loss, order, params, inputs, direction, value, grad):
    """Line search along ``direction``, falling back on steepest descent.

    Returns the moved parameters (None when neither direction decreases the
    loss) and the new mean loss.
    """
    for candidate in (direction, -grad):
        step, new_value = _line_search(loss, params, inputs, order, candidate, value, grad)
        if step:
            moved = {p: float(params[p] + step * d) for p, d in zip(order, candidate, strict=True)}
            return moved, new_value
    return None, value


def _damped_newton_direction(grad: np.ndarray, hess: np.ndarray) -> np.ndarray:
    size = len(grad)
    try:
        factor = np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        # shift the spectrum so the smallest eigenvalue becomes 1e-3 of the largest
        eigenvalues = np.linalg.eigvalsh(hess)
        scale = max(1.0, float(np.max(np.abs(eigenvalues))))
        mu = -float(eigenvalues[0]) + _MIN_CURVATURE * scale
        factor = np.linalg.cholesky(hess + mu * np.eye(size))
    return -np.linalg.solve(factor.T, np.linalg.solve(factor, grad))


def _line_search(loss, params, inputs, order, direction, value, grad):
    slope = float(grad @ direction)
    if not slope < 0:
        return 0.0, value
    step = 1.0
    for _ in range(_MAX_HALVINGS):
        trial = dict(params)
        for p, d in zip(order, direction, strict=True):
            trial[p] = params[p] + step * d
        with np.errstate(all="ignore"):
            new_value = float(np.mean(loss(trial, inputs)))
        if np.isfinite(new_value) and new_value <= value + _ARMIJO * step * slope:
            return step, new_value
        step /= 2
    return 0.0, value


def _check_finite(value: float, what: str) -> None:
    if not np.isfinite(value):
        raise ValueError(f"{what} is {value}: Newton's method needs a finite starting point")
