"""The device side of `optimize(..., backend="jax")`: one chunk of epochs as a JAX program.

`ChunkSpec` builds, for one loss, optimizer update and batching, the
function `exprdiff.fit.jax_fit.JaxFit` compiles:

    chunk(carry, data, mask, perms, rates, n) -> (carry, losses, completed)

``carry`` is ``(values, finite, state, t, status, bad_total, bad_size)``:
the parameters, the last ones whose loss was finite, the optimizer's state,
the step count, and, once a step's loss (status `LOSS`), gradient
(`GRADIENT` plus the parameter's position) or learning rate (`RATE`) is
not finite, what the host needs to raise the NumPy fit's error.  ``perms``
holds each epoch's shuffled rows (None for full batches), ``rates`` each
epoch's learning rate.  A `jax.lax.while_loop` runs up to ``n`` epochs and
stops after a failing step; an epoch's mini-batches are a `jax.lax.scan`.

With several devices the chunk runs under `jax.shard_map` over a one-axis
mesh (axis `AXIS`): each device sums the loss and gradients over its rows
(padding rows masked out), and `jax.lax.psum` adds the sums up before the
update, which every device applies alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exprdiff.fit.array_updates import array_update

__all__ = ["AXIS", "GRADIENT", "LOSS", "RATE", "ChunkSpec"]

_WHERE = "optimize(backend='jax')"
#: the name of the mesh axis the batch is split along
AXIS = "batch"
#: statuses of a chunk: a non-finite loss, a bad learning rate, a gradient (plus its position)
LOSS, RATE, GRADIENT = 1, 2, 3


class ChunkSpec:
    """What a compiled chunk computes: the loss's code, the update, the batching, the devices.

    ``key`` identifies it among the compiled chunks kept with the loss.
    """

    def __init__(self, code: Any, pick: tuple, ftype: Any, count: int, batch: int | None,
                 update: Any, width: int, shards: int | None, summed: bool = False) -> None:
        self.code, self.pick, self.ftype, self.count, self.batch = code, pick, ftype, count, batch
        self.update, self.width, self.shards = update, width, shards
        self.summed = summed  # reduction="sum": summed gradients and losses, not means
        self.key = (code.source, pick, str(ftype), count, batch, update.lines, update.step_lines,
                    update.initial, tuple(sorted(update.constants.items())), width, shards,
                    summed)

    def total_function(self, jax: Any) -> Callable:
        """``total(P, X, mask=None)``: the sum of the loss over the rows (masked rows: 0)."""
        jnp, forward, pick = jax.numpy, self.code.function, self.pick
        constants = tuple(jnp.asarray(c, dtype=self.ftype) for c in self.code.constants)

        def total(values: tuple, data: tuple, mask: Any = None) -> Any:
            out = jnp.asarray(forward(tuple(values[k] for k in pick), data, constants))
            if mask is not None:
                if out.ndim == 0:
                    raise ValueError(f"{_WHERE} with several devices needs a per-sample loss "
                                     "(one value per row of the batch)")
                out = jnp.where(mask.reshape(mask.shape + (1,) * (out.ndim - 1)), out, 0.0)
            return jnp.sum(out)

        return total

    def chunk_function(self, jax: Any, length: int, mesh: Any) -> Callable:
        """``chunk(carry, data, mask, perms, rates, n) -> (carry, losses, completed)``.

        A `jax.lax.while_loop` over at most ``n`` epochs (``n <= length``), which
        stops after a step whose loss, gradient or rate is not finite.
        """
        jnp, lax = jax.numpy, jax.lax
        ftype, count, batch, shards = self.ftype, self.count, self.batch, self.shards
        summed = self.summed
        value_and_grad = jax.value_and_grad(self.total_function(jax))
        update = array_update(self.update, self.width)
        zero = jnp.zeros((), ftype)

        def combine(parts: Any) -> Any:
            return parts if shards is None else lax.psum(parts, AXIS)

        def rows_of(data: tuple, mask: Any, rows: Any) -> tuple:
            if rows is None:
                return data, mask
            if shards is None:
                return tuple(a[rows] for a in data), None
            size = rows.shape[0]
            padded = -(-size // shards) * shards
            rows = jnp.concatenate([rows, jnp.broadcast_to(rows[0], (padded - size,))])
            keep = jnp.arange(padded) < size
            me = lax.axis_index(AXIS)
            mine = rows.reshape(shards, -1)[me]
            return tuple(a[mine] for a in data), keep.reshape(shards, -1)[me]

        def step(carry: tuple, data: tuple, mask: Any, rows: Any, size: int, rate: Any):
            values, finite, opt, t, status, _, _ = carry

            def work(_: Any) -> tuple:
                batch_data, batch_mask = rows_of(data, mask, rows)
                total, grads = combine(value_and_grad(values, batch_data, batch_mask))
                loss_ok = jnp.isfinite(total)
                finite_grads = jnp.stack([jnp.all(jnp.isfinite(g)) for g in grads]) \
                    if grads else jnp.ones(1, bool)
                new_t = t + 1
                divisor = 1 if summed else size
                new_values, new_opt = update(values, tuple(g / divisor for g in grads), opt,
                                             rate, new_t)
                code = jnp.where(~loss_ok, LOSS, jnp.where(
                    ~jnp.all(finite_grads), GRADIENT + jnp.argmin(finite_grads),
                    jnp.where(jnp.isfinite(rate), 0, RATE))).astype(jnp.int32)
                ok = code == 0
                keep = lambda new, old: jnp.where(ok, new, old)  # noqa: E731
                return ((tuple(map(keep, new_values, values)), tuple(
                    jnp.where(loss_ok, v, f) for v, f in zip(values, finite)),
                    tuple(map(keep, new_opt, opt)), new_t, code, total.astype(ftype),
                    jnp.int32(size)), total.astype(ftype))

            if batch is None:  # the loop over epochs stops at a failure: nothing to skip
                return work(None)
            return lax.cond(status == 0, work, lambda _: (carry, zero), None)

        def epoch(carry: tuple, data: tuple, mask: Any, perm: Any, rate: Any) -> tuple:
            if batch is None:
                carry, total = step(carry, data, mask, None, count, rate)
                return carry, zero + total
            full, rest = divmod(count, batch)

            def one(inner: tuple, rows: Any) -> tuple:
                state, total = inner
                state, value = step(state, data, mask, rows, batch, rate)
                return (state, total + value), None

            (carry, total), _ = lax.scan(one, (carry, zero),
                                         perm[:full * batch].reshape(full, batch))
            if rest:
                carry, value = step(carry, data, mask, perm[full * batch:], rest, rate)
                total = total + value
            return carry, total

        def chunk(carry: tuple, data: tuple, mask: Any, perms: Any, rates: Any, n: Any):
            def more(loop: tuple) -> Any:
                k, state, _ = loop
                return (k < n) & (state[4] == 0)

            def one_epoch(loop: tuple) -> tuple:
                k, state, losses = loop
                perm = None if perms is None else perms[k]
                state, total = epoch(state, data, mask, perm, rates[k])
                return k + 1, state, losses.at[k].set(total if summed else total / count)

            start = (jnp.int32(0), carry, jnp.zeros(length, ftype))
            k, carry, losses = lax.while_loop(more, one_epoch, start)
            return carry, losses, jnp.where(carry[4] == 0, k, k - 1)  # the epochs completed

        if shards is None:
            return chunk
        spec = jax.sharding.PartitionSpec
        split = spec(AXIS) if batch is None else spec()
        return jax.shard_map(chunk, mesh=mesh, in_specs=(spec(), split, split, spec(), spec(),
                                                         spec()),
                             out_specs=(spec(), spec(), spec()),
                             # the sums are added up by the explicit psum above (with
                             # check_vma, grad would already add up the parameters' ones)
                             check_vma=False)
