"""Fitting: `optimize` minimises the mean of a per-sample loss over training data.

>>> from exprdiff import Input, Parameter
>>> x, y, m = Input("x"), Input("y"), Parameter("m")
>>> data = {x: [1.0, 2.0, 3.0], y: [2.0, 4.0, 6.0]}
>>> fitted = optimize((m * x - y) ** 2, {m: 0.0}, data, epochs=50, learning_rate=0.1)
>>> round(fitted[m], 6), fitted.stop_reason, len(fitted.losses)
(2.0, 'epochs', 50)
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from exprdiff.core import interpreter
from exprdiff.core.errors import missing_data_value
from exprdiff.core.nodes import Node, Parameter
from exprdiff.core.plan import plan_for
from exprdiff.core.values import as_value, shape_of, short_repr
from exprdiff.fit.backend_loops import backend_fit, check_backend
from exprdiff.fit.compiled_fit import compiled_fit
from exprdiff.fit.optimizers import Optimizer, make_optimizer
from exprdiff.fit.progress import progress_bar
from exprdiff.fit.result_display import fit_html, fit_text
from exprdiff.fit.training_data import as_arrays, take
from exprdiff.lowering import dispatch, switch

__all__ = ["FitResult", "NonFiniteLossError", "optimize"]

Callback = Callable[[int, dict, float], Any]


class FitResult(dict[Parameter, Any]):
    """The fitted parameters (a dict: pass it as ``params``) and facts about the fit.

    Attributes: ``losses``, the mean training loss of each completed epoch
    (measured during the epoch, at the parameters it started from in
    full-batch mode; the summed loss with ``reduction="sum"``);
    ``final_loss``, the mean (or summed) loss at the returned parameters;
    ``epochs``, the number of completed epochs; ``stop_reason``, one of
    ``"epochs"`` (all ran), ``"tolerance"``, ``"callback"`` or ``"interrupted"``
    (Ctrl-C); ``interrupted``, whether it was Ctrl-C.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> result = FitResult({w: 1.5}, losses=[4.0, 1.0], final_loss=0.25, stop_reason="epochs")
    >>> result[w], result.epochs, result.interrupted
    (1.5, 2, False)

    It prints as what the fit did and the fitted values; a notebook shows them
    as a table under the loss curve:

    >>> result
    FitResult(2 epochs, stop_reason='epochs', mean loss 4 -> 0.25)
      w  1.5
    """

    def __init__(
        self, params: Mapping, *, losses: list[float], final_loss: float, stop_reason: str
    ) -> None:
        super().__init__(params)
        self.losses = losses
        self.final_loss = final_loss
        self.stop_reason = stop_reason

    @property
    def epochs(self) -> int:
        """The number of completed epochs."""
        return len(self.losses)

    @property
    def interrupted(self) -> bool:
        """Whether the fit was stopped by Ctrl-C (`KeyboardInterrupt`)."""
        return self.stop_reason == "interrupted"

    def __repr__(self) -> str:  # the dict's entries, with what the fit did (fit/result_display)
        return fit_text(self)

    def _repr_html_(self) -> str:
        return fit_html(self)


class NonFiniteLossError(FloatingPointError):
    """The loss or its gradient became NaN or infinite during a fit.

    The message names the epoch (and the parameter, for a gradient).  Nothing
    is lost: ``params`` holds the last parameters whose loss was finite (the
    initial ones if the very first loss was not), ``losses`` the finite
    per-epoch history, and ``epoch`` the epoch that failed (1-based).

    >>> from exprdiff import Input, Log, Parameter
    >>> x, w = Input("x"), Parameter("w")
    >>> try:  # the first step takes w from 1 to -1, where log is undefined
    ...     optimize(Log(w * x), {w: 1.0}, [{x: 1.0}], epochs=5, learning_rate=2.0)
    ... except NonFiniteLossError as error:
    ...     print(error.epoch, error.params[w], error.losses)
    2 1.0 [0.0]
    """

    def __init__(self, message: str, *, epoch: int, params: dict[Parameter, Any],
                 losses: list[float]) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.params = params
        self.losses = losses


def optimize(
    loss: Node,
    initial_params: Mapping,
    training_data: object,
    *,
    epochs: int = 2000,
    learning_rate: float | Callable[[int], float] = 0.3,
    optimizer: str | Optimizer = "gd",
    batch_size: int | None = None,
    seed: int | np.random.Generator | None = None,
    tolerance: float | None = None,
    patience: int = 1,
    callback: Callback | None = None,
    progress: bool = False,
    reduction: str = "mean",
    compiled: bool = True,
    backend: str = "numpy",
    devices: object = None,
) -> FitResult:
    """Minimise the mean of ``loss`` over ``training_data``; return the fitted parameters.

    ``loss`` is a per-sample expression (one value per sample, such as the
    binary cross-entropy of a perceptron).  ``training_data`` is a list of
    per-sample dicts ``[{x1: 0, x2: 1, label: 0}, ...]`` or one dict of arrays
    ``{x1: array, ...}`` with the samples along the first axis; either way it
    is converted to arrays once, and each step is one batched `Node.grad`
    call whose summed gradient is divided by the batch size.

    Each epoch makes one step on the whole data set (full-batch gradient
    descent, the default) or, with ``batch_size``, one step per mini-batch of
    a fresh shuffle drawn from ``seed`` (an int or a NumPy Generator; fixed
    seed, same fit).  ``optimizer`` is ``"gd"``, ``"momentum"``, ``"adam"``
    or an `exprdiff.fit.optimizers.Optimizer` instance (the fit steps a reset copy of
    it, so the instance itself is never changed and may serve several fits at once).
    ``learning_rate`` is a number or a schedule: a function of the 1-based
    epoch giving that epoch's rate, such as micrograd's decaying
    ``lambda epoch: 1.0 - 0.9 * (epoch - 1) / 100`` (a rate that is not a
    positive finite number stops the fit with `ValueError` naming the epoch).

    ``reduction="sum"`` minimises the sum of the per-sample losses instead
    of their mean, as the from-scratch articles do (micrograd's
    ``loss = sum((yout - ygt)**2 ...)``): each step uses the summed gradient
    of its batch, so an article's learning rate carries over unchanged, and
    ``losses`` records the summed loss of each epoch.

    ``tolerance`` stops the fit once ``patience`` epochs in a row (default
    1) have each failed to bring the mean loss at least ``tolerance`` below
    the lowest loss of the epochs before: a rise counts as no improvement,
    so give momentum and Adam, whose loss may rise for a few epochs, a
    larger ``patience``.  ``callback(epoch, params, loss)`` runs after every
    epoch (1-based epoch, the parameters after it, its mean loss);
    returning ``True`` stops the fit.  ``progress=True`` shows a tqdm
    progress bar on stderr.  With the built-in optimizers each step runs as
    one compiled function (forward, reverse, checks, update), giving the same
    numbers; ``compiled=False`` (or ``EXPRDIFF_COMPILED=0``) runs the
    interpreter and the optimizer's own ``update`` instead.

    ``backend="jax"`` or ``"torch"`` runs the training loop in that library
    (`exprdiff.fit.backend_loops`): the same call, the same `FitResult`,
    the same checks and stops, parameters equal to the NumPy fit's to
    round-off; JAX runs chunks of epochs as one compiled loop on
    its default device (a GPU when there is one), in float64 only where
    ``jax_enable_x64`` is on, and ``devices`` (a count or a list of JAX
    devices) splits each batch over several devices, averaging gradients.
    PyTorch runs its steps eagerly, on ``devices`` (one device, default the
    CPU).  Options a backend cannot honour (``compiled=False``, an optimizer
    without update code such as Newton's, several PyTorch devices) raise
    `ValueError` naming them.  See the guide's chapter "When you outgrow NumPy".

    Returns a `FitResult`: a new dict holding every entry of
    ``initial_params`` (the trained ones updated), plus ``losses``,
    ``final_loss``, ``epochs`` and ``stop_reason``.  ``initial_params`` is
    never modified.  Ctrl-C during the fit does not lose the work: the fit
    stops, warns, and returns the parameters reached so far with
    ``stop_reason == "interrupted"``.

    Before the first epoch it raises `exprdiff.MissingValueError` naming an
    `Input` the data lacks or a `Parameter` ``initial_params`` lacks, and
    `ValueError` naming the argument for empty data or a non-positive
    ``epochs``, ``learning_rate`` or ``batch_size``.  A loss or gradient that
    becomes NaN or infinite raises `NonFiniteLossError` naming the epoch and
    carrying the last parameters whose loss was finite.

    >>> from exprdiff import Input, Log, Parameter, Sigmoid
    >>> x1, x2, label = Input("x1"), Input("x2"), Input("label")
    >>> w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    >>> p = Sigmoid(w1 * x1 + w2 * x2 + b)
    >>> bce = -(label * Log(p) + (1.0 - label) * Log(1.0 - p))
    >>> data = [{x1: 0, x2: 0, label: 0}, {x1: 0, x2: 1, label: 0},
    ...         {x1: 1, x2: 0, label: 0}, {x1: 1, x2: 1, label: 1}]
    >>> fitted = optimize(bce, {w1: 1.0, w2: 1.0, b: 0.0}, data, epochs=2000, learning_rate=0.3)
    >>> round(fitted[w1], 6), round(fitted[b], 6)
    (6.403725, -9.781184)
    >>> [round(p(fitted, sample), 6) for sample in data]
    [5.7e-05, 0.033007, 0.033007, 0.953747]
    """
    _check_arguments(loss, epochs, learning_rate, batch_size, tolerance, callback)
    _check_count("patience", patience)
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    # the fit's own copy, reset: the caller's instance keeps no state of this fit, so one
    # instance can serve several fits, concurrent ones included
    rule = copy.copy(make_optimizer(optimizer))
    check_backend(backend, devices, compiled, rule)
    plan = plan_for(loss)  # the plan every evaluation uses (its leaves, in topological order)
    params = _initial_values(initial_params, [loss if n is None else n for _, n in plan.parameters])
    data, count = as_arrays(training_data, [loss if n is None else n for _, n in plan.inputs])
    _check_loss_shape(loss, params, data, count)

    rule.reset()
    fit = _Fit(loss, rule, learning_rate, data, count, params, initial_params)
    fit.summed = reduction == "sum"
    if backend != "numpy":
        fit = backend_fit(backend, fit, rule, batch_size, devices, _check_rate)
    elif not compiled:
        fit.run = interpreter  # value_and_gradient and evaluate, never compiled
    elif epochs * _batch_count(count, batch_size) >= 2 and switch.mode() != "off":
        fit = compiled_fit(fit, rule, _batch_sizes(count, batch_size), _check_rate) or fit
    batches = _batch_plan(count, batch_size, seed)
    bar = None
    stall = _Stall(tolerance or 0.0, patience)
    stop_reason = "epochs"
    outer_errors = np.geterr()
    try:
        bar = _progress_bar(epochs) if progress else None  # inside: Ctrl-C may come at once
        # NaN and inf are detected and reported by _Fit, so NumPy's warnings are off
        # here; the caller's callback runs under the caller's own settings
        # a backend may run several epochs per call when nothing needs each one
        chunks = callback is None and tolerance is None and hasattr(fit, "run_epochs")
        with np.errstate(all="ignore"):
            epoch = 0
            while epoch < epochs:
                if chunks:
                    done = fit.run_epochs(epoch + 1, epochs - epoch, batches)
                else:
                    fit.run_epoch(epoch + 1, batches())
                    done = 1
                epoch += done
                if bar is not None:
                    bar.set_postfix(loss=f"{fit.losses[-1]:.6g}", refresh=False)
                    bar.update(done)
                if callback is not None:
                    with np.errstate(**outer_errors):
                        asked_to_stop = callback(epoch, fit.full(fit.params), fit.losses[-1])
                    if asked_to_stop is True:
                        stop_reason = "callback"
                        break
                if tolerance is not None and stall.stalled(fit.losses[-1]):
                    stop_reason = "tolerance"
                    break
    except KeyboardInterrupt:
        stop_reason = "interrupted"
        warnings.warn(
            f"optimize: interrupted by the user after {len(fit.losses)} of {epochs} epochs; "
            "returning the parameters reached so far",
            RuntimeWarning,
            stacklevel=2,
        )
    finally:
        if bar is not None:
            bar.close()
    final_loss = fit.final_loss()
    return FitResult(
        fit.full(fit.params), losses=fit.losses, final_loss=final_loss, stop_reason=stop_reason
    )


class _Fit:
    """One fit's state: current parameters, loss history, the last finite point."""

    def __init__(self, loss, rule, learning_rate, data, count, params, base) -> None:
        self.loss, self.rule, self.learning_rate = loss, rule, learning_rate
        self.data, self.count = data, count
        self.params = params  # the trained Parameters only
        self.finite_params = params  # where the last finite loss was measured
        self.base = base  # everything else the caller passed in initial_params
        self.losses: list[float] = []
        self.summed = False  # reduction="sum": sums instead of means
        self.run = dispatch  # the run stage: value_and_gradient, evaluate

    def full(self, params: Mapping) -> dict:
        """``params`` merged over a copy of the caller's initial dict, scalars as floats."""
        merged = dict(self.base)
        for param, value in params.items():  # a custom Optimizer may return NumPy scalars
            scalar = isinstance(value, np.generic) or (type(value) is np.ndarray and not value.ndim)
            merged[param] = float(value) if scalar else value
        return merged

    def run_epoch(self, epoch: int, batches: Iterable) -> None:
        total = 0.0
        for rows in batches:
            if rows is None:
                inputs, size = self.data, self.count
            else:
                inputs, size = take(self.data, rows), len(rows)
            try:
                value, grads = self.run.value_and_gradient(self.loss, self.params, inputs)
            except (ZeroDivisionError, OverflowError) as error:  # Python-float arithmetic
                raise self._failure(f"computing the loss failed ({error})", epoch) from error
            batch_total = float(value.sum()) if type(value) is np.ndarray else value
            if not math.isfinite(batch_total):
                raise self._failure(f"the {self._kind} loss is {self._reduced(batch_total, size)}",
                                    epoch)
            self.finite_params = self.params
            mean_grads = {}
            for param, g in grads.items():
                if not (math.isfinite(g) if type(g) is float else np.isfinite(g).all()):
                    raise self._failure(f"the gradient for {param.label!r} is not finite", epoch)
                mean_grads[param] = g if self.summed else g / size
            rate = self.learning_rate
            if callable(rate):
                rate = _check_rate(rate(epoch), epoch)
            self.params = self.rule.update(self.loss, self.params, inputs, mean_grads, rate)
            total += batch_total
        self.losses.append(self._reduced(total, self.count))

    def final_loss(self) -> float:
        """The mean (or summed) loss at the current parameters (one more evaluation)."""
        epoch = len(self.losses) + 1
        try:
            with np.errstate(all="ignore"):
                value = self.run.evaluate(self.loss, self.params, self.data)
        except (ZeroDivisionError, OverflowError) as error:
            raise self._failure(f"computing the loss failed ({error})", epoch) from error
        mean = self._reduced(float(np.sum(value)), self.count)
        if not math.isfinite(mean):
            raise self._failure(f"after the last epoch the {self._kind} loss is {mean}", epoch)
        return mean

    @property
    def _kind(self) -> str:
        return "summed" if self.summed else "mean"

    def _reduced(self, total: float, count: int) -> float:
        return total if self.summed else total / count

    def _failure(self, what: str, epoch: int) -> NonFiniteLossError:
        message = (
            f"optimize stopped at epoch {epoch}: {what}. The last parameters with a finite "
            "loss travel with this error as .params, the loss history as .losses; "
            f"try a smaller learning_rate (it was {_rate_text(self.learning_rate)}) "
            "or a stabler loss"
        )
        return NonFiniteLossError(
            message, epoch=epoch, params=self.full(self.finite_params), losses=list(self.losses)
        )


class _Stall:
    """Counts epochs in a row that failed to beat the best loss by ``tolerance``."""

    def __init__(self, tolerance: float, patience: int) -> None:
        self.tolerance, self.patience = tolerance, patience
        self.best = math.inf
        self.count = 0

    def stalled(self, loss: float) -> bool:
        """Record an epoch's loss; True once ``patience`` epochs in a row did not improve."""
        if self.best != math.inf:
            self.count = self.count + 1 if self.best - loss < self.tolerance else 0
        self.best = min(self.best, loss)
        return self.count >= self.patience


def _check_arguments(loss, epochs, learning_rate, batch_size, tolerance, callback) -> None:
    if not isinstance(loss, Node):
        raise TypeError(f"loss must be an expression (a Node), got {type(loss).__name__}")
    _check_count("epochs", epochs)
    if batch_size is not None:
        _check_count("batch_size", batch_size)
    if callable(learning_rate):
        _check_rate(learning_rate(1), 1)
    elif not _positive_finite(learning_rate):
        raise ValueError(
            f"learning_rate must be a positive finite number, got {short_repr(learning_rate)} "
            "(or a function of the epoch giving one)"
        )
    if tolerance is not None and not (_positive_finite(tolerance) or tolerance == 0):
        raise ValueError(
            f"tolerance must be a finite number >= 0 or None, got {short_repr(tolerance)}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")


def _rate_text(learning_rate: object) -> str:
    return "a schedule" if callable(learning_rate) else repr(learning_rate)


def _check_rate(rate: object, epoch: int) -> float:
    """A scheduled learning rate, checked: a positive finite number."""
    if not _positive_finite(rate):
        raise ValueError(
            f"the learning_rate schedule gave {short_repr(rate)} for epoch {epoch}; "
            "it must give a positive finite number"
        )
    return float(rate)


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _positive_finite(value: object) -> bool:
    """Whether ``value`` is a real number above 0 that a float64 holds (10**400 is not)."""
    if not _is_real(value):
        return False
    try:
        number = float(value)
    except OverflowError:
        return False
    return math.isfinite(number) and number > 0


def _initial_values(initial_params: object, trained: list) -> dict:
    if not isinstance(initial_params, Mapping):
        raise TypeError(
            f"initial_params must be a dict keyed by Parameter nodes, "
            f"got {type(initial_params).__name__}"
        )
    params = {}
    for node in trained:
        if node not in initial_params:
            raise missing_data_value(node, "initial_params", initial_params)
        params[node] = as_value(initial_params[node], f"initial_params[Parameter {node.label!r}]")
    return params


def _check_loss_shape(loss: Node, params: dict, data: dict, count: int) -> None:
    """One evaluation before training: every error the engine can raise shows now."""
    with np.errstate(all="ignore"):
        try:
            shape = shape_of(loss(params, data))
        except (ZeroDivisionError, OverflowError):
            return  # reported as a non-finite loss at epoch 1
    if shape[:1] != (count,) and not (shape == () and count == 1):
        raise ValueError(
            f"the loss evaluated on the {count} training samples has shape {shape}; optimize "
            f"needs one loss value per sample (an array whose first axis has length {count}): "
            "give a per-sample loss, with no reduction over the samples"
        )


def _batch_count(count: int, batch_size: int | None) -> int:
    return 1 if batch_size is None or batch_size >= count else -(-count // batch_size)


def _batch_sizes(count: int, batch_size: int | None) -> set[int]:
    """The sizes of the batches `_batch_plan` makes."""
    if batch_size is None or batch_size >= count:
        return {count}
    return {batch_size} | ({count % batch_size} if count % batch_size else set())


def _batch_plan(count: int, batch_size: int | None, seed) -> Callable[[], Any]:
    """A function giving each epoch's batches: row arrays, or None for the whole set."""
    if batch_size is None or batch_size >= count:
        whole = (None,)
        return lambda: whole
    rng = np.random.default_rng(seed)

    def shuffled() -> list:
        order = rng.permutation(count)
        return [order[start : start + batch_size] for start in range(0, count, batch_size)]

    return shuffled


def _progress_bar(epochs: int):
    return progress_bar(epochs, desc="optimize", unit="epoch")  # tqdm imported only now
