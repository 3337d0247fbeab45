"""`optimize(..., backend="jax")`: chunks of epochs as one compiled loop, the host side.

Each call of the compiled chunk (a `jax.lax.while_loop` over epochs, a
`jax.lax.scan` over an epoch's mini-batches) runs up to ``n`` epochs
without leaving the device: every step (the loss's forward code from `exprdiff.to_jax`,
`jax.value_and_grad` of the batch's summed loss, the NaN checks, the
optimizer's update lines from `exprdiff.fit.array_updates`), the
mini-batches of each epoch (rows drawn on the host from ``seed`` exactly
as the NumPy fit draws them, passed in as index arrays) and the epoch
losses.  A step whose loss, gradient or learning rate is not finite sets
a status and the loop stops (the epoch's remaining mini-batches are
skipped), so the chunk returns the last parameters with a finite loss, and
the host raises the NumPy fit's error.
Between chunks control returns to `optimize`'s loop: the progress bar
moves, Ctrl-C is noticed, the losses are recorded.  Chunks are sized from
the time the last one took to last about `TARGET_SECONDS`; with a callback
or a tolerance the loop asks for one epoch at a time.

With several ``devices`` the chunk runs under `jax.shard_map` over a
one-axis mesh: each device computes the loss and gradient sums of its part
of the batch (a batch that does not divide evenly is padded with copies of
a real row, masked out of the sums), `jax.lax.psum` adds them up, and every
device applies the same update.  Full batches are sharded once; for
mini-batches the data set is replicated and each device gathers its rows.

Values are JAX arrays of the default float type: float64 where
``jax_enable_x64`` is on (then the fit equals the NumPy one to round-off),
float32 otherwise.  The compiled chunks are kept with the loss
(`exprdiff.lowering.dispatch.code_cache_of`), so a second fit of the same
loss and shapes does not compile again.  The chunk itself, what runs on the
device, is built by `exprdiff.fit.jax_chunks`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from exprdiff.backends.jax_backend import jax_forward
from exprdiff.backends.libraries import import_jax
from exprdiff.backends.names import as_float64
from exprdiff.fit.array_updates import initial_state
from exprdiff.fit.jax_chunks import AXIS, GRADIENT, LOSS, RATE, ChunkSpec
from exprdiff.lowering.dispatch import code_cache_of

__all__ = ["MAX_CHUNK", "TARGET_SECONDS", "JaxFit", "jax_devices"]

_WHERE = "optimize(backend='jax')"
#: the longest chunk (epochs per compiled call)
MAX_CHUNK = 256
#: how long a chunk should take, for the progress bar and Ctrl-C
TARGET_SECONDS = 0.25
_SHUFFLE_BUDGET = 1 << 22  # row indices sent with one chunk (16 MB of int32)


def jax_devices(jax: Any, devices: object) -> list | None:
    """The devices ``devices`` names: None (JAX's default one), a count, or a list of devices."""
    if devices is None:
        return None
    available = jax.devices()
    if isinstance(devices, int) and not isinstance(devices, bool):
        if not 1 <= devices <= len(available):
            raise ValueError(f"{_WHERE}: devices={devices} asks for more devices than JAX has "
                             f"({len(available)}: {available})" if devices > 0 else
                             f"{_WHERE}: devices must be a positive count, got {devices}")
        return available[:devices]
    try:
        chosen = list(devices)
    except TypeError:
        chosen = []
    if not chosen or not all(hasattr(d, "platform") and hasattr(d, "id") for d in chosen):
        raise ValueError(f"{_WHERE}: devices must be a count or a list of JAX devices "
                         f"(jax.devices()), got {devices!r}")
    return chosen


class _State(NamedTuple):
    """Everything the host keeps between chunks, replaced in one assignment (Ctrl-C safe)."""

    values: tuple
    finite: tuple
    opt: tuple
    t: Any
    losses: list


class JaxFit:
    """The fit state of `optimize` when the epochs run in JAX (see the module docstring)."""

    def __init__(self, fit: Any, rule: Any, batch_size: int | None, devices: object,
                 check_rate: Callable) -> None:
        jax = import_jax(_WHERE)
        jnp = jax.numpy
        self._jax, self._fit, self.check_rate = jax, fit, check_rate
        self.loss, self.learning_rate, self.count, self.base = (
            fit.loss, fit.learning_rate, fit.count, fit.base)
        self.trained = list(fit.params)
        cache = code_cache_of(fit.loss)
        code = cache.get(("jax-forward",))
        if code is None:
            code = jax_forward(fit.loss, _WHERE)
            cache.store(("jax-forward",), code)
        index = {param: k for k, param in enumerate(self.trained)}
        self.ftype = np.dtype(jnp.result_type(float))  # float64 with x64, else float32
        self.batch = None if batch_size is None or batch_size >= fit.count else batch_size
        self.devices = jax_devices(jax, devices)
        self.update = rule.update_code()
        self._spec = ChunkSpec(code, tuple(index[p] for p in code.params), self.ftype, fit.count,
                           self.batch, self.update, len(self.trained),
                           None if self.devices is None or len(self.devices) == 1
                           else len(self.devices), fit.summed)
        # one device named: everything committed there; several: parameters replicated
        home = self.devices[0] if self._spec.shards is None and self.devices else None
        if self._spec.shards is not None:
            home = jax.sharding.NamedSharding(self._mesh(), jax.sharding.PartitionSpec())
        data = tuple(np.asarray(fit.data[node], dtype=self.ftype) for node in code.inputs)
        values = tuple(np.asarray(v, dtype=self.ftype) for v in fit.params.values())
        start = (data, values, initial_state(self.update, values),
                 np.zeros((), np.dtype(jnp.result_type(int))))
        (self._whole, values, opt, t) = jax.device_put(start) if home is None else \
            jax.device_put(start, home)
        self._data, self._mask = self._place(data)
        self._state = _State(values, values, opt, t, list(fit.losses))
        self._epoch_seconds: float | None = None
        self._length: int | None = None
        self._chunks: dict[int, Any] = {}

    # -- what optimize's loop reads --------------------------------------------
    @property
    def losses(self) -> list:
        return self._state.losses

    @property
    def params(self) -> dict:
        return {p: as_float64(v) for p, v in zip(self.trained, self._state.values)}

    @property
    def finite_params(self) -> dict:
        return {p: as_float64(v) for p, v in zip(self.trained, self._state.finite)}

    def full(self, params: dict) -> dict:
        return self._fit.full(params)

    def run_epoch(self, epoch: int, batches: Any) -> None:
        """One epoch (for callbacks and tolerance): a chunk of one."""
        self._run(epoch, [batches], 1, length=1)

    def run_epochs(self, first: int, remaining: int, batches: Callable) -> int:
        """Some epochs from ``first`` on, as many as take about `TARGET_SECONDS`; how many."""
        if self._length is None:  # one compiled length for the whole fit
            self._length = min(remaining, MAX_CHUNK)
            if self.batch is not None:  # the chunk's shuffles travel as (length, count) rows
                self._length = max(1, min(self._length, _SHUFFLE_BUDGET // self.count))
        length = self._length
        if self._epoch_seconds is None:
            count = 1
        else:
            count = int(TARGET_SECONDS / max(self._epoch_seconds, 1e-9))
        count = max(1, min(count, remaining, length))
        return self._run(first, [batches() for _ in range(count)], count, length=length)

    def final_loss(self) -> float:
        """The mean loss at the fitted parameters, one more forward pass in JAX."""
        example = (self._state.values, self._whole)
        evaluate = self._compiled("total", example, lambda: self._spec.total_function(self._jax))
        mean = self._fit._reduced(float(evaluate(*example)), self.count)
        if mean - mean != 0.0:
            raise self._failure(f"after the last epoch the {self._fit._kind} loss is {mean}",
                                len(self.losses) + 1)
        return mean

    # -- running chunks -----------------------------------------------------------
    def _run(self, first: int, epoch_batches: list, count: int, length: int) -> int:
        rates = np.zeros(length)
        bad_rate = None
        for k in range(count):
            rate = self.learning_rate
            if callable(rate):
                try:
                    rate = self.check_rate(rate(first + k), first + k)
                except ValueError as error:  # raised after that step's loss checks
                    rate, bad_rate, count = np.nan, error, k + 1
            rates[k] = rate
            if bad_rate is not None:
                break
        perms = None
        if self.batch is not None:
            perms = np.zeros((length, self.count), dtype=np.int32)
            for k in range(count):
                perms[k] = np.concatenate(list(epoch_batches[k]))
        chunk = self._chunk(length)
        state = self._state
        carry = (state.values, state.finite, state.opt, state.t, np.int32(0),
                 np.zeros((), self.ftype), np.int32(0))
        started = time.perf_counter()
        carry, losses, done = chunk(carry, self._data, self._mask, perms,
                                    rates.astype(self.ftype), np.int32(count))
        completed = int(done)
        new_losses = [float(v) for v in np.asarray(losses)[:completed]]
        status, bad_total, bad_size = int(carry[4]), float(carry[5]), int(carry[6])
        self._epoch_seconds = (time.perf_counter() - started) / max(completed, 1)
        self._state = _State(carry[0], carry[1], carry[2], carry[3], state.losses + new_losses)
        if status:
            epoch = first + completed
            if status == LOSS:
                raise self._failure(f"the {self._fit._kind} loss is "
                                    f"{self._fit._reduced(bad_total, bad_size)}", epoch)
            if status == RATE:
                raise bad_rate
            label = self.trained[status - GRADIENT].label
            raise self._failure(f"the gradient for {label!r} is not finite", epoch)
        return completed

    def _chunk(self, length: int) -> Any:
        """The compiled chunk of ``length`` epochs (made once per loss and configuration)."""
        chunk = self._chunks.get(length)
        if chunk is not None:
            return chunk
        state = self._state
        example = ((state.values, state.finite, state.opt, state.t, np.int32(0),
                    np.zeros((), self.ftype), np.int32(0)),
                   self._data, self._mask,
                   None if self.batch is None else np.zeros((length, self.count), np.int32),
                   np.zeros(length, self.ftype), np.int32(1))
        chunk = self._compiled(("chunk", length), example,
                               lambda: self._spec.chunk_function(self._jax, length, self._mesh()))
        self._chunks[length] = chunk
        return chunk

    def _compiled(self, what: Any, example: tuple, make: Callable) -> Any:
        """``make()`` jitted and compiled for ``example``'s shapes (or as kept with the loss)."""
        jax = self._jax
        signature = jax.tree.map(  # shapes and dtypes only (np.shape would copy to the host)
            lambda a: (tuple(getattr(a, "shape", ())), str(getattr(a, "dtype", type(a)))),
            example)
        key = ("jax-fit", what, self._spec.key, jax.tree.structure(example),
               tuple(jax.tree.leaves(signature)), tuple(d.id for d in self.devices or ()))
        cache = code_cache_of(self.loss)
        compiled = cache.get(key)
        if compiled is None:
            compiled = jax.jit(make()).lower(*example).compile()
            cache.store(key, compiled)
        return compiled

    def _put(self, array: Any, where: Any) -> Any:
        return array if where is None else self._jax.device_put(array, where)

    def _mesh(self) -> Any:
        if self._spec.shards is None:
            return None
        return self._jax.sharding.Mesh(np.array(self.devices), (AXIS,))

    def _place(self, data: tuple) -> tuple:
        """The data (and mask) as the chunk reads them: on one device, sharded or replicated."""
        jax, jnp = self._jax, self._jax.numpy
        if self._spec.shards is None:
            return self._whole, None
        mesh = self._mesh()
        spec = jax.sharding.PartitionSpec
        if self.batch is not None:  # every device gathers its rows from a replica
            replicated = jax.sharding.NamedSharding(mesh, spec())
            return tuple(jax.device_put(a, replicated) for a in self._whole), None
        shards = self._spec.shards
        padded = -(-self.count // shards) * shards
        rows = np.concatenate([np.arange(self.count), np.zeros(padded - self.count, np.int64)])
        split = jax.sharding.NamedSharding(mesh, spec(AXIS))
        placed = tuple(jax.device_put(jnp.asarray(a[rows], dtype=self.ftype), split) for a in data)
        return placed, jax.device_put(jnp.asarray(np.arange(padded) < self.count), split)

    def _failure(self, what: str, epoch: int) -> Exception:
        self._fit.losses[:] = self.losses
        self._fit.finite_params = self.finite_params
        return self._fit._failure(what, epoch)
