"""The whole training step of `optimize` as one generated function.

For a per-sample loss, a batch signature and an optimizer's update code
(`exprdiff.fit.optimizers.UpdateCode`), `training_step` generates

    step(P, X, S, rate, size, t) -> (batch_total, new_P, new_S)

that runs the loss's forward and reverse pass (the same code as
`exprdiff.lowering.functions.engine_function`), sums the batch's loss,
checks the loss and every gradient for NaN and infinity (in the order
`optimize` checks them) and applies the update to every parameter, with
no dict in sight: ``P`` holds the parameters' values in the loss's order
(scalars as NumPy float64s), ``X`` the batch's input arrays, ``S`` the
optimizer's state.  When a check fails it returns ``(batch_total, None,
k)``: ``k`` is -1 for the loss, else the position of the first parameter
whose gradient is not finite.  The caller keeps ``P`` and ``S`` between
steps and reports losses, calls callbacks and stops exactly as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exprdiff.lowering.batched_sums import batch_sums
from exprdiff.lowering.functions import Generated, checksum, lower_body
from exprdiff.lowering.lanes import LanedProgram
from exprdiff.lowering.packing import pack_statements
from exprdiff.lowering.plain_floats import QUIET, errstate_token, quiet_underflow
from exprdiff.lowering.probe import Probe
from exprdiff.lowering.program import Program, without_gc
from exprdiff.lowering.templates import MATH, NUMPY, Backend

__all__ = ["FALLBACK", "all_finite", "training_step"]


class _Fallback:
    def __repr__(self) -> str:
        return "FALLBACK"


#: what a plain-float step returns when NumPy's rules must decide (an infinity, an exception)
FALLBACK = _Fallback()


def all_finite(g: np.ndarray) -> bool:
    """Whether every element of an array is finite (one sum; an overflowing sum looks again).

    >>> all_finite(np.ones(3)), all_finite(np.array([1.0, np.nan]))
    (True, False)
    """
    total = np.add.reduce(g, axis=None)
    return bool(total - total == 0.0) or bool(np.isfinite(g).all())


@without_gc
def training_step(execution: Any, loss: Any, probe: Probe, params: list, inputs: list,
                  update: Any, backend: Backend = NUMPY, lanes: int | None = None) -> Generated:
    """The generated step for one batch signature (see the module docstring).

    ``params`` lists ``(plan position, Parameter)`` in the order of ``P``;
    ``inputs`` the plan positions of the Inputs in the order of ``X``.  With
    the `MATH` backend (scalar parameters only) ``X`` holds lists of floats
    (a batch of ``lanes`` samples, or scalars when ``lanes`` is 0), and the
    step returns `FALLBACK` where NumPy's rules must decide.
    """
    plain = backend is MATH
    program = LanedProgram(lanes) if plain and lanes else Program()
    leaves = {}
    unpack_p = []
    for i, _ in params:
        unpack_p.append(f"_a{i}")
        leaves[i] = program.argument(f"_a{i}", probe.values[i])
    unpack_x = []
    for i in inputs:
        if plain and lanes and probe.values[i] is not None:
            names = [f"_a{i}_{j}" for j in range(lanes)]
            unpack_x.append(f"({', '.join(names)},)")
            leaves[i] = program.lane_argument(f"_a{i}", names)
        else:
            unpack_x.append(f"_a{i}")
            leaves[i] = program.argument(f"_a{i}", probe.values[i])
    lowering, values, adjoints = lower_body(execution, loss, program, probe, leaves, params,
                                            backend, methods=True)
    root = values[-1]
    kept = [root] + [adjoints[i] for i, _ in params if adjoints[i] is not None]
    if backend is MATH:
        kept = kept + lowering.checked + list(leaves.values())  # read by the checksum
    if not plain:  # the fit runs with NumPy's warnings off: statements may be reordered
        pack_statements(program, kept)
        batch_sums(program, kept)
    body = program.lines(kept)
    namespace = program.namespace
    namespace.update(_all_finite=all_finite, _add_reduce=np.add.reduce, _zeros=np.zeros)
    namespace.update(update.constants)
    lines = ["def _step(P, X, S, rate, size, t):"]
    if unpack_p:
        lines.append(f"    {', '.join(unpack_p)}, = P")
    if unpack_x:
        lines.append(f"    {', '.join(unpack_x)}, = X")
    indent = "    "
    if plain:
        namespace.update(_FALLBACK=FALLBACK, _token=errstate_token, _QUIET=QUIET,
                         _quiet_underflow=quiet_underflow)
        lines += ["    _state = _token()",
                  "    if _state is not _QUIET[0] and not _quiet_underflow(_state):",
                  "        return _FALLBACK", "    try:"]
        indent = "        "
    lines += [f"{indent}{line}" for line in body]
    if probe.values[-1] is None:
        lines.append(f"{indent}_total = float({root.text})")
    elif plain:
        total = program.sum_all(root)
        lines += [f"{indent}{program.lines([])[-1]}", f"{indent}_total = {total.text}"]
    else:
        lines.append(f"{indent}_total = float(_add_reduce({root.text}, axis=None))")
    if not plain:
        lines += ["    if _total - _total != 0.0:", "        return _total, None, -1"]
    gradients = []
    for k, (i, _) in enumerate(params):
        g = adjoints[i]
        kind = probe.values[i]
        if g is None:
            text = "0.0" if kind is None else f"_zeros({kind!r})"
        else:
            text = g.text
            if not plain:  # the plain-float checksum covers every value
                check = f"{text} - {text} != 0.0" if kind is None else f"not _all_finite({text})"
                lines += [f"    if {check}:", f"        return _total, None, {k}"]
        gradients.append(text)
    width = len(update.initial)
    if width and params:
        lines.append(f"{indent}{', '.join(f'_s{j}' for j in range(width * len(params)))}, = S")
    lines += [f"{indent}{line.format(t='t')}" for line in update.step_lines]
    news, states = [], []
    for k, (i, _) in enumerate(params):
        fields = {"p": f"_a{i}", "g": f"({gradients[k]} / size)", "rate": "rate",
                  "new": f"_n{k}"}
        for j in range(width):
            fields[f"state{j}"] = f"_s{k * width + j}"
            fields[f"new_state{j}"] = f"_t{k * width + j}"
            states.append(f"_t{k * width + j}")
        mean = f"_m{k}"
        lines.append(f"{indent}{mean} = {fields['g']}")
        fields["g"] = mean
        lines += [f"{indent}{line.format(**fields)}" for line in update.lines]
        news.append(f"_n{k}")
    if plain:
        terms = [program.texts(val) if hasattr(program, "texts") else [val.text]
                 for val in [leaves[i] for i, _ in params] + lowering.checked]
        terms = [text for group in terms for text in group] + ["_total"]
        lines += [f"{indent}{line}" for line in checksum(terms)]
        lines += ["    except (ZeroDivisionError, OverflowError, ValueError):",
                  "        return _FALLBACK",
                  "    if _check - _check != 0.0:  # an infinity or NaN: NumPy's rules apply",
                  "        return _FALLBACK"]
    new_p = f"({', '.join(news)}{',' if len(news) == 1 else ''})"
    new_s = f"({', '.join(states)}{',' if len(states) == 1 else ''})"
    lines.append(f"    return _total, {new_p}, {new_s}")
    source = program.rename("\n".join(lines) + "\n")
    exec(compile(source, "<exprdiff training step>", "exec"), namespace)  # noqa: S102
    return Generated(source, namespace["_step"], namespace, backend)
