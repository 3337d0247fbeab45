"""An optimizer's update code (`exprdiff.fit.optimizers.UpdateCode`) as a function over arrays.

The JAX and PyTorch training loops of `optimize` apply the very lines the
optimizer gives the NumPy compiled step (`exprdiff.lowering.training_step`),
written with Python operators only, so they work on JAX arrays and PyTorch
tensors alike and compute what the NumPy fit computes.  One difference:
state that starts as None (momentum's velocity, meaning "no step yet") or
as a scalar starts here as zeros shaped like its parameter, so that a
jitted loop carries arrays of fixed shapes; ``momentum * 0 + g`` is ``g``
exactly, so the steps are the same.

>>> import numpy as np
>>> from exprdiff.fit.optimizers import Adam
>>> update = array_update(Adam().update_code(), 1)
>>> p, g = np.array([1.0]), np.array([250.0])
>>> new, state = update((p,), (g,), initial_state(Adam().update_code(), (p,)), 0.1, 1)
>>> new[0].round(9).tolist()
[0.9]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["array_update", "initial_state"]


def initial_state(update: Any, params: Sequence[Any]) -> tuple:
    """The optimizer's starting state for these parameters: zeros shaped like each, per slot."""
    state = []
    for p in params:
        for value in update.initial:
            state.append(p * 0.0 + (0.0 if value is None else value))
    return tuple(state)


def array_update(update: Any, count: int) -> Callable[..., tuple]:
    """``f(P, G, S, rate, t) -> (new_P, new_S)`` for ``count`` parameters, from ``update``.

    ``G`` are the mean gradients, ``S`` the state (`initial_state` at first),
    ``t`` the 1-based step number.
    """
    width = len(update.initial)
    lines = ["def _update(P, G, S, rate, t):"]
    names = [f"_p{k}" for k in range(count)]
    if count:
        lines.append(f"    {', '.join(names)}, = P")
        lines.append(f"    {', '.join(f'_g{k}' for k in range(count))}, = G")
    if width and count:
        lines.append(f"    {', '.join(f'_s{j}' for j in range(width * count))}, = S")
    lines += [f"    {line.format(t='t')}" for line in update.step_lines]
    news, states = [], []
    for k in range(count):
        fields = {"p": f"_p{k}", "g": f"_g{k}", "rate": "rate", "new": f"_n{k}"}
        for j in range(width):
            fields[f"state{j}"] = f"_s{k * width + j}"
            fields[f"new_state{j}"] = f"_t{k * width + j}"
            states.append(f"_t{k * width + j}")
        lines += [f"    {line.format(**fields)}" for line in update.lines]
        news.append(f"_n{k}")
    lines.append(f"    return ({''.join(n + ', ' for n in news)}), "
                 f"({''.join(s + ', ' for s in states)})")
    namespace = dict(update.constants)
    exec(compile("\n".join(lines) + "\n", "<exprdiff update>", "exec"), namespace)  # noqa: S102
    return namespace["_update"]
