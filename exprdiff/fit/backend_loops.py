"""`optimize(..., backend="jax" | "torch")`: which fit runs the loop, and what it cannot honour.

`optimize` keeps its own loop (callbacks, tolerance, the progress bar,
Ctrl-C, the `FitResult`) and hands the epochs to a fit object that runs
them in the backend:

* ``"jax"`` (`exprdiff.fit.jax_fit`): each call runs a chunk of epochs
  as one compiled loop (every mini-batch step, the NaN checks and the
  optimizer's update inside it, no host round trip), then returns to
  Python with the chunk's losses.  Chunks are sized to take about a quarter
  of a second, so the progress bar moves and Ctrl-C is noticed that often;
  with a callback or a tolerance each call runs one epoch.  With
  ``devices`` the batch is split over several devices and the gradient
  sums are added up across them (`jax.lax.psum`) before the update.
* ``"torch"`` (`exprdiff.fit.torch_fit`): one eager PyTorch step per
  batch, autograd for the gradients, the same update lines.

Both build the forward pass with `exprdiff.to_jax` / `exprdiff.to_torch`'s
code and update with the optimizer's own update code
(`exprdiff.fit.array_updates`).

>>> from exprdiff import Newton
>>> check_backend("jax", None, True, Newton())
Traceback (most recent call last):
...
ValueError: optimize(backend='jax') cannot honour optimizer=Newton(...): ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["BACKENDS", "backend_fit", "check_backend"]

#: the values of ``optimize``'s ``backend`` argument
BACKENDS = ("numpy", "jax", "torch")


def check_backend(backend: object, devices: object, compiled: bool, rule: Any) -> None:
    """Raise `ValueError` naming the option if ``backend`` cannot run this fit as asked."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, "
                         f"got {backend!r}")
    if backend == "numpy":
        if devices is not None:
            raise ValueError("devices= needs backend='jax' (several devices) or 'torch' (one)")
        return
    where = f"optimize(backend={backend!r})"
    if not compiled:
        raise ValueError(f"{where} cannot honour compiled=False: that option runs exprdiff's "
                         "interpreter, which only the NumPy backend has")
    if rule.update_code() is None:
        raise ValueError(
            f"{where} cannot honour optimizer={rule!r}: only optimizers that give their update "
            "as code (gd, momentum, adam) run in a backend; use backend='numpy' for this one")


def backend_fit(backend: str, fit: Any, rule: Any, batch_size: int | None, devices: object,
                check_rate: Callable[[object, int], float]) -> Any:
    """The fit object running ``fit``'s epochs in ``backend`` (imports the library now)."""
    if backend == "jax":
        from exprdiff.fit.jax_fit import JaxFit

        return JaxFit(fit, rule, batch_size, devices, check_rate)
    from exprdiff.fit.torch_fit import TorchFit

    return TorchFit(fit, rule, devices, check_rate)
