"""`optimize` with its whole step compiled: the fit's state in tuples it owns.

When the optimizer can give its update as code (`Optimizer.update_code`:
gradient descent, momentum, Adam) and the loss lowers, each step of the fit
is one call of a generated function (`exprdiff.lowering.training_step`):
forward, reverse, checks and update.  This object stands in for the
ordinary fit state: the same losses, the same checks in the same order,
the same errors with the last finite parameters, and the parameters as a
dict whenever a callback, an error or the result asks for them.  The
numbers are the ordinary fit's bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from exprdiff.core import interpreter
from exprdiff.core.plan import execution_plan
from exprdiff.fit.training_data import take
from exprdiff.lowering.dispatch import AUTO_LIMIT
from exprdiff.lowering.probe import probe
from exprdiff.lowering.training_step import training_step

__all__ = ["CompiledFit", "compiled_fit"]


def compiled_fit(fit: Any, rule: Any, sizes: Iterable[int]) -> CompiledFit | None:
    """A `CompiledFit` taking over ``fit`` (an ordinary one, not started), or None.

    ``sizes`` are the batch sizes the fit will use (one step function each).
    None when the optimizer gives no update code or the loss does not lower.
    """
    update = rule.update_code()
    if update is None:
        return None
    execution = execution_plan(fit.loss)
    plan = execution.plan
    if plan.root_step is None or plan.size > AUTO_LIMIT:
        return None
    graph = execution.graph or fit.loss
    where = {node or graph: i for i, node in plan.parameters}
    trained = list(fit.params)
    if any(where.get(node) is None for node in trained):
        return None
    params = [(where[node], node) for node in trained]
    input_nodes = [node or graph for _, node in plan.inputs]
    if any(node not in fit.data for node in input_nodes):
        return None
    inputs = [i for i, _ in plan.inputs]
    start = tuple(np.float64(v) if type(v) is float else v for v in fit.params.values())
    steps = {}
    for size in set(sizes):
        rows = None if size == fit.count else np.arange(size)
        data = fit.data if rows is None else take(fit.data, rows)
        values = dict(zip(trained, start))
        try:
            found = probe(execution, fit.loss, values, data, {i for i, _ in params})
            steps[size] = training_step(execution, fit.loss, found, params, inputs, update).function
        except Exception:  # noqa: BLE001 - the ordinary fit then runs (and reports it)
            return None
    state = tuple(value for _ in params for value in update.initial)
    return CompiledFit(fit, steps, trained, input_nodes, start, state)


class CompiledFit:
    """The fit state of `optimize` when each step is one generated function."""

    def __init__(self, fit: Any, steps: dict, trained: list, inputs: list, start: tuple,
                 state: tuple) -> None:
        self.loss, self.learning_rate, self.data, self.count = (
            fit.loss, fit.learning_rate, fit.data, fit.count)
        self.base, self.losses = fit.base, fit.losses
        self._fit = fit  # its messages and final evaluation
        self.steps, self.trained = steps, trained
        self.arrays = tuple(fit.data[node] for node in inputs)
        self.values, self.finite_values, self.state, self.t = start, start, state, 0

    @property
    def params(self) -> dict:
        return dict(zip(self.trained, self.values))

    @property
    def finite_params(self) -> dict:
        return dict(zip(self.trained, self.finite_values))

    def full(self, params: dict) -> dict:
        return self._fit.full(params)

    def run_epoch(self, epoch: int, batches: Iterable) -> None:
        from exprdiff.fit.training import _check_rate

        total = 0.0
        rate = self.learning_rate
        for rows in batches:
            if rows is None:
                arrays, size = self.arrays, self.count
            else:
                arrays, size = tuple(a[rows] for a in self.arrays), len(rows)
            bad_rate = None
            if callable(rate):
                try:
                    step_rate = _check_rate(rate(epoch), epoch)
                except ValueError as error:  # raised after the loss checks, as before
                    step_rate, bad_rate = 0.0, error
            else:
                step_rate = rate
            self.t += 1
            try:
                batch_total, values, state = self.steps[size](
                    self.values, arrays, self.state, step_rate, size, self.t)
            except (ZeroDivisionError, OverflowError) as error:  # Python-float arithmetic
                raise self._failure(f"computing the loss failed ({error})", epoch) from error
            if values is None:
                if state == -1:
                    raise self._failure(f"the mean loss is {batch_total / size}", epoch)
                self.finite_values = self.values
                label = self.trained[state].label
                raise self._failure(f"the gradient for {label!r} is not finite", epoch)
            self.finite_values = self.values
            if bad_rate is not None:
                raise bad_rate
            self.values, self.state = values, state
            total += batch_total
        self.losses.append(total / self.count)

    def final_loss(self) -> float:
        """One more evaluation at the fitted parameters (interpreted: a single call)."""
        self._fit.params = self.params
        self._fit.run = interpreter
        return self._fit.final_loss()

    def _failure(self, what: str, epoch: int):
        self._fit.finite_params = self.finite_params
        return self._fit._failure(what, epoch)
