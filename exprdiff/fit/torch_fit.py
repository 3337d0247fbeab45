"""`optimize(..., backend="torch")`: each step an eager PyTorch step with autograd.

`TorchFit` is `exprdiff.fit.compiled_fit.CompiledFit` with a PyTorch step
in place of the generated NumPy one, so the loop around it (batches, the
learning-rate schedule, the order of the checks, the errors and the last
finite parameters) is the NumPy compiled fit's.  A step runs the loss's
forward code (`exprdiff.to_torch`'s), sums the batch, takes the gradient
of the mean with autograd (the reverse pass seeded with one
over the batch size: dividing at the end, up to rounding), checks the
loss and the gradients for NaN and infinity (one synchronisation for
both) and applies the optimizer's own update lines
(`exprdiff.fit.array_updates`) under `torch.no_grad`.  Values are float64
tensors on one device (``devices``: None for the CPU, or a device such as
``"cuda"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from exprdiff.backends.libraries import import_torch
from exprdiff.backends.names import as_float64
from exprdiff.backends.torch_backend import torch_forward
from exprdiff.fit.array_updates import array_update, initial_state
from exprdiff.fit.compiled_fit import CompiledFit
from exprdiff.lowering.dispatch import code_cache_of

__all__ = ["TorchFit", "torch_device"]

_WHERE = "optimize(backend='torch')"


def torch_device(torch: Any, devices: object) -> Any:
    """The one `torch.device` that ``devices`` names (None: the CPU)."""
    if devices is None:
        return torch.device("cpu")
    if isinstance(devices, (list, tuple)):
        if len(devices) != 1:
            raise ValueError(
                f"{_WHERE} trains on one device; devices={devices!r} names {len(devices)} "
                "(several devices need backend='jax')")
        devices = devices[0]
    try:
        return torch.device(devices)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"{_WHERE}: devices={devices!r} is not a PyTorch device ({error})"
                         ) from None


class _EverySize(dict):
    """One step function for batches of every size (PyTorch does not specialise)."""

    def __init__(self, step: Callable) -> None:
        super().__init__()
        self.step = step

    def __missing__(self, size: int) -> Callable:
        self[size] = self.step
        return self.step


class TorchFit(CompiledFit):
    """The fit state of `optimize` when each step runs in PyTorch."""

    def __init__(self, fit: Any, rule: Any, devices: object, check_rate: Callable) -> None:
        torch = import_torch(_WHERE)
        device = torch_device(torch, devices)
        cache = code_cache_of(fit.loss)  # a second fit of the same loss writes no code
        code = cache.get(("torch-forward",))
        if code is None:
            code = torch_forward(fit.loss, _WHERE)
            cache.store(("torch-forward",), code)
        trained = list(fit.params)
        index = {param: k for k, param in enumerate(trained)}
        pick = tuple(index[param] for param in code.params)
        buffers = tuple(torch.from_numpy(c.copy()).to(device) for c in code.constants)
        update = rule.update_code()
        start = tuple(torch.tensor(np.asarray(v, dtype=np.float64), device=device,
                                   requires_grad=True) for v in fit.params.values())
        state = initial_state(update, [p.detach() for p in start])
        step = _step(torch, code.function, pick, buffers, array_update(update, len(trained)))
        super().__init__(fit, _EverySize(step), {}, trained, list(code.inputs), start, state,
                         check_rate)
        self.arrays = tuple(torch.from_numpy(fit.data[node]).to(device) for node in code.inputs)
        self._torch, self._forward, self._pick, self._buffers = torch, code.function, pick, buffers

    @property
    def params(self) -> dict:
        return {p: as_float64(v) for p, v in zip(self.trained, self.values)}

    @property
    def finite_params(self) -> dict:
        return {p: as_float64(v) for p, v in zip(self.trained, self.finite_values)}

    def final_loss(self) -> float:
        """The mean loss at the fitted parameters, one more forward pass in PyTorch."""
        with self._torch.no_grad():
            values = tuple(self.values[k] for k in self._pick)
            total = float(self._forward(values, self.arrays, self._buffers).sum())
        mean = self._fit._reduced(total, self.count)
        if mean - mean != 0.0:
            raise self._failure(f"after the last epoch the {self._fit._kind} loss is {mean}",
                                len(self.losses) + 1)
        return mean


def _step(torch: Any, forward: Callable, pick: tuple, buffers: tuple, update: Callable
          ) -> Callable:
    """The step ``(values, arrays, state, rate, size, t) -> (batch_total, values, state)``."""
    no_grad, cat, isfinite = torch.no_grad, torch.cat, torch.isfinite
    seeds: dict[int, Any] = {}  # 1/size, the seed of the reverse pass: mean gradients

    def step(values: tuple, arrays: tuple, state: tuple, rate: float, size: int, t: int):
        total = forward(tuple(values[k] for k in pick), arrays, buffers).sum()
        seed = seeds.get(size)
        if seed is None:
            seed = seeds[size] = total.new_tensor(1.0 / size)
        total.backward(seed)  # the values are fresh leaves: their .grad is this step's
        grads = tuple(v.grad if v.grad is not None else torch.zeros_like(v) for v in values)
        # the loss and a checksum of every gradient, read with one synchronisation
        batch_total, check = torch.stack(
            [total.detach(), cat([g.reshape(-1) for g in grads]).sum()]).tolist()
        if batch_total - batch_total != 0.0:
            return batch_total, None, -1
        if check - check != 0.0:  # an infinity or NaN, or a sum that overflows: look closer
            for k, g in enumerate(grads):
                if not bool(isfinite(g).all()):
                    return batch_total, None, k
        with no_grad():
            new, new_state = update(values, grads, state, rate, t)
        for value in new:
            value.requires_grad_(True)
        return batch_total, new, new_state

    return step
