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

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from exprdiff.core.plan import execution_plan
from exprdiff.fit.training_data import take
from exprdiff.lowering import switch
from exprdiff.lowering.codegen import NotLowerable
from exprdiff.lowering.dispatch import AUTO_LIMIT, code_cache_of, evaluate_made, plain_float_lanes
from exprdiff.lowering.probe import probe
from exprdiff.lowering.templates import MATH
from exprdiff.lowering.training_step import FALLBACK, training_step

__all__ = ["CompiledFit", "compiled_fit"]


def compiled_fit(fit: Any, rule: Any, sizes: Iterable[int],
                 check_rate: Callable[[object, int], float]) -> CompiledFit | None:
    """A `CompiledFit` taking over ``fit`` (an ordinary one, not started), or None.

    ``sizes`` are the batch sizes the fit will use (one step function each);
    ``check_rate(rate, epoch)`` checks a scheduled learning rate as `optimize`
    does.  None when the optimizer gives no update code or the loss does not
    lower.
    """
    update = rule.update_code()
    if update is None:
        return None
    execution = execution_plan(fit.loss)
    plan = execution.plan
    if plan.root_step is None or plan.size > AUTO_LIMIT:
        return None
    graph = execution.graph_of(fit.loss)
    where = {(graph if node is None else node): i for i, node in plan.parameters}
    trained = list(fit.params)
    if any(where.get(node) is None for node in trained):
        return None
    params = [(where[node], node) for node in trained]
    input_nodes = [(graph if node is None else node) for _, node in plan.inputs]
    if any(node not in fit.data for node in input_nodes):
        return None
    inputs = [i for i, _ in plan.inputs]
    start = tuple(np.float64(v) if type(v) is float else v for v in fit.params.values())
    mode = switch.mode()
    finite_data = all(np.isfinite(fit.data[node]).all() for node in input_nodes)
    cache = code_cache_of(fit.loss)
    kinds = tuple(None if type(v) is np.float64 else v.shape for v in start)
    update_key = (update.lines, update.step_lines, update.initial,
                  tuple(sorted(update.constants.items())))
    steps, plain = {}, {}
    for size in set(sizes):
        shapes = tuple((size, *fit.data[node].shape[1:]) for node in input_nodes)
        key = ("step", kinds, shapes, update_key, mode == "on" and finite_data)
        found_steps = cache.get(key)
        if found_steps is None:
            found_steps = _steps_for(execution, fit, size, trained, start, params, inputs,
                                     update, mode == "on" and finite_data)
            if found_steps is None:
                return None
            cache.store(key, found_steps)
        steps[size], plain_step = found_steps
        if plain_step is not None:
            plain[size] = plain_step
    state = tuple(value for _ in params for value in update.initial)
    if plain:  # the plain-float steps work on Python floats
        start = tuple(float(v) if type(v) is np.float64 else v for v in start)
    return CompiledFit(fit, steps, plain, trained, input_nodes, start, state, check_rate)


def _steps_for(execution: Any, fit: Any, size: int, trained: list, start: tuple,
               params: list, inputs: list, update: Any, plain_floats: bool) -> tuple | None:
    """``(NumPy step, plain-float step or None)`` for batches of ``size``, or None."""
    rows = None if size == fit.count else np.arange(size)
    data = fit.data if rows is None else take(fit.data, rows)
    values = dict(zip(trained, start))
    try:
        found = probe(execution, fit.loss, values, data, {i for i, _ in params})
        step = training_step(execution, fit.loss, found, params, inputs, update).function
    except Exception:  # noqa: BLE001 - the ordinary fit then runs (and reports it)
        return None
    lanes = plain_float_lanes(found)
    plain = None
    if plain_floats and lanes is not None and all(found.values[i] is None for i, _ in params):
        try:
            plain = training_step(execution, fit.loss, found, params, inputs, update,
                                  MATH, lanes).function
        except NotLowerable:
            pass
    return step, plain


class CompiledFit:
    """The fit state of `optimize` when each step is one generated function."""

    def __init__(self, fit: Any, steps: dict, plain: dict, trained: list, inputs: list,
                 start: tuple, state: tuple, check_rate: Callable) -> None:
        self.check_rate = check_rate
        self.loss, self.learning_rate, self.data, self.count = (
            fit.loss, fit.learning_rate, fit.data, fit.count)
        self.base, self.losses = fit.base, fit.losses
        self.summed = fit.summed  # reduction="sum": the steps divide the gradients by 1
        self._fit = fit  # its messages and final evaluation
        self.steps, self.plain, self.trained = steps, plain, trained
        self.arrays = tuple(fit.data[node] for node in inputs)
        self.floats = tuple(a.tolist() for a in self.arrays) if plain else None
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
                    step_rate = self.check_rate(rate(epoch), epoch)
                except ValueError as error:  # raised after the loss checks, as before
                    step_rate, bad_rate = 0.0, error
            else:
                step_rate = rate
            self.t += 1
            try:
                result = self._step(size, rows, arrays, step_rate)
            except (ZeroDivisionError, OverflowError) as error:  # Python-float arithmetic
                raise self._failure(f"computing the loss failed ({error})", epoch) from error
            batch_total, values, state = result
            if values is None:
                if state == -1:
                    raise self._failure(f"the {self._fit._kind} loss is "
                                        f"{self._fit._reduced(batch_total, size)}", epoch)
                self.finite_values = self.values
                label = self.trained[state].label
                raise self._failure(f"the gradient for {label!r} is not finite", epoch)
            self.finite_values = self.values
            if bad_rate is not None:
                raise bad_rate
            self.values, self.state = values, state
            total += batch_total
        self.losses.append(self._fit._reduced(total, self.count))

    def _step(self, size: int, rows: Any, arrays: tuple, rate: float) -> tuple:
        """One step: the plain-float code where it applies, NumPy's where it must decide."""
        plain = self.plain.get(size)
        divisor = 1 if self.summed else size  # what the gradients are divided by
        if plain is None:
            return self.steps[size](self.values, arrays, self.state, rate, divisor, self.t)
        floats = self.floats if rows is None else tuple(a.tolist() for a in arrays)
        result = plain(self.values, floats, self.state, rate, divisor, self.t)
        if result is not FALLBACK:
            return result
        values = tuple(np.float64(v) if type(v) is float else v for v in self.values)
        state = tuple(np.float64(v) if type(v) is float else v for v in self.state)
        result = self.steps[size](values, arrays, state, rate, divisor, self.t)
        if plain is not None and result[1] is not None:  # back to Python floats
            result = (result[0], tuple(_as_float(v) for v in result[1]),
                      tuple(_as_float(v) for v in result[2]))
        return result

    def final_loss(self) -> float:
        """One more evaluation at the fitted parameters: by code already made for the data's
        shapes (a fit's first evaluation made it from a second fit on), else interpreted."""
        self._fit.params = {p: _as_float(v) for p, v in self.params.items()}  # as a user's
        self._fit.run = _MadeCodeOnly
        return self._fit.final_loss()

    def _failure(self, what: str, epoch: int):
        self._fit.finite_params = self.finite_params
        return self._fit._failure(what, epoch)


class _MadeCodeOnly:
    """The run stage for one evaluation: compiled code if it is there, never compiling."""

    evaluate = staticmethod(evaluate_made)


def _as_float(value: Any) -> Any:
    return float(value) if type(value) is np.float64 else value
