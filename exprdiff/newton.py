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

import numpy as np

from exprdiff.nodes import Input, Node
from exprdiff.symbolic import _parameters, hessian_function

__all__ = ["NewtonResult", "newton", "stack_samples"]

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

    params: dict
    history: list[float] = field(default_factory=list)
    converged: bool = False
    iterations: int = 0

    @property
    def final_loss(self) -> float:
        return self.history[-1]


def stack_samples(training_data: Sequence[Mapping] | Mapping) -> dict:
    """Per-sample dicts as one dict of arrays (a dict of arrays is returned as is).

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> stack_samples([{x: 0}, {x: 1}])
    {Input('x'): array([0., 1.])}
    """
    if isinstance(training_data, Mapping):
        return dict(training_data)
    samples = list(training_data)
    if not samples:
        raise ValueError("training_data is empty")
    keys = list(samples[0])
    for number, sample in enumerate(samples):
        if set(sample) != set(keys):
            raise ValueError(
                f"training sample {number} has inputs {sorted(map(str, sample))}, "
                f"sample 0 has {sorted(map(str, keys))}"
            )
    return {key: np.array([sample[key] for sample in samples], dtype=np.float64)
            for key in keys}


def newton(
    loss: Node, initial_params: Mapping, training_data: Sequence[Mapping] | Mapping, *,
    max_iterations: int = 50, tolerance: float = 1e-8,
) -> NewtonResult:
    """Minimise the mean of ``loss`` over the data by damped Newton iterations.

    ``training_data`` is a list of per-sample dicts or one dict of arrays
    (keyed by `Input`).  Every `Parameter` of ``loss`` must be scalar and in
    ``initial_params``, which is not modified.  See the module docstring for
    the damping, line search and stopping rule.

    >>> from exprdiff import Parameter
    >>> a = Parameter("a")
    >>> fit = newton((a - 3) ** 4 + a**2, {a: 0.0}, {})
    >>> round(fit.params[a], 6), fit.converged
    (2.0, True)
    """
    inputs = stack_samples(training_data)
    for key in inputs:
        if not isinstance(key, Input):
            raise TypeError(f"training_data must be keyed by Input nodes, got {key!r}")
    evaluate = hessian_function(loss)
    order = _parameters(loss)
    params = dict(initial_params)
    for p in order:
        if p not in params:
            raise KeyError(f"initial_params has no value for {p} (used in {loss})")
        params[p] = float(params[p]) if np.ndim(params[p]) == 0 else params[p]

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
        decrement = -float(grad @ direction)  # the predicted decrease, times 2
        if decrement <= _ROUNDING * max(1.0, abs(value)):
            result.converged = True  # what is left to gain is below rounding
            break
        step, value = _line_search(loss, params, inputs, order, direction, value, grad)
        if step == 0.0:  # the model's curvature misled: fall back on steepest descent
            direction = -grad
            step, value = _line_search(loss, params, inputs, order, direction, value, grad)
        if step == 0.0:
            break  # no decrease even downhill: nothing left to gain at this precision
        for p, d in zip(order, direction, strict=True):
            params[p] = float(params[p] + step * d)
        result.iterations += 1
        value, grad, hess = evaluate(params, inputs)
        result.history.append(value)
    else:
        result.converged = bool(np.max(np.abs(grad), initial=0.0) <= tolerance)
    return result


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
