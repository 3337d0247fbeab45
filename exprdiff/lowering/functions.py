"""Whole generated functions: reading the leaves, checking the signature, returning results.

`engine_function` builds what the engine runs for one shape signature:
``f(params, inputs, root)``, reading each leaf from the caller's dicts by
node, checking that every value has the kind the code was specialised to
(else it returns `MISS` and the caller looks further), computing, and
returning exactly what the interpreter returns: the value (a float when
scalar), and with gradients a new dict of them, every array the caller's own.

With the `exprdiff.lowering.templates.MATH` backend the code computes with
Python floats; every operation that could give an infinity or NaN without
raising (``+``, ``-``, ``*``, ``/``) adds its result to a checksum, and an
exception from ``math`` or a checksum that is not finite hands the call to
``fallback`` (the interpreter), so exceptional values follow NumPy's rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from exprdiff.lowering.codegen import Lowering
from exprdiff.lowering.probe import Probe
from exprdiff.lowering.program import Program, Val
from exprdiff.lowering.templates import MATH, NUMPY, Backend

__all__ = ["MISS", "Generated", "engine_function"]


class _Miss:
    """Returned by compiled code for values it was not specialised to."""

    def __repr__(self) -> str:
        return "MISS"


#: what compiled code returns when the values do not fit its signature
MISS = _Miss()


class Generated:
    """Generated source, executed: the function and the namespace it runs in."""

    __slots__ = ("source", "function", "namespace", "backend")

    def __init__(self, source: str, function: Callable, namespace: dict, backend: Backend) -> None:
        self.source, self.function, self.namespace, self.backend = (
            source, function, namespace, backend)

    def __call__(self, params: Any, inputs: Any, root: Any) -> Any:
        return self.function(params, inputs, root)


def engine_function(execution: Any, root: Any, probe: Probe, signature: tuple,
                    wrt: list | None, backend: Backend = NUMPY,
                    fallback: Callable | None = None, name: str = "_compiled", *,
                    raw: bool = False) -> Generated:
    """The compiled function of ``execution`` for ``signature``.

    ``wrt`` lists ``(plan position, Parameter)`` for the gradients to return
    (None: the value only).  ``fallback(params, inputs, root)`` computes the
    same result by other means (required for the `MATH` backend).  With
    ``raw`` the root's value is returned as its operation gives it.
    """
    plan = execution.plan
    program = Program()
    lowering = Lowering(execution, root, backend, program, kinds=probe, methods=True)
    if execution.graph is not None:
        program.namespace["_graph"] = execution.graph
    reads, guards, converts, leaves = [], [], [], {}
    kinds = iter(signature)
    for positions, where in ((plan.parameters, "params"), (plan.inputs, "inputs")):
        for i, node in positions:
            key = program.bind(node or root, "k")
            local, kind = f"_a{i}", next(kinds)
            reads.append(f"{local} = {where}[{key}]")
            if kind is None:
                guards.append(f"type({local}) is not _float")
                if backend is NUMPY:
                    converts.append(f"{local} = _f64({local})")
            else:
                guards.append(f"type({local}) is not _ndarray or {local}.dtype is not _float64 "
                              f"or {local}.shape != {kind!r}")
            leaves[i] = program.argument(local, kind)
    wanted = {i for i, _ in wrt} if wrt else set()
    values = lowering.forward(leaves, wanted)
    adjoints = lowering.reverse(values) if wanted else None
    returned: set[int] = set()
    result = values[-1].text if raw else _result_text(program, values[-1], probe.values[-1],
                                                          returned)
    kept = [values[-1]]
    if wrt is not None:
        entries = []
        for i, node in wrt:
            g = adjoints[i] if adjoints is not None else None
            entries.append(f"{program.bind(node, 'k')}: "
                           f"{_gradient_text(program, g, probe.values[i], returned)}")
            if g is not None:
                kept.append(g)
        result = f"{result}, {{{', '.join(entries)}}}"
    body = program.lines(kept)
    namespace = program.namespace
    namespace.update(_float=float, _ndarray=np.ndarray, _float64=np.dtype(np.float64),
                     _f64=np.float64, _MISS=MISS, _copy=np.array, _zeros=np.zeros)
    namespace.update(lowering.helpers)
    lines = [f"def {name}(params, inputs, _root):", "    try:"]
    lines += [f"        {line}" for line in reads] or ["        pass"]
    lines += ["    except (KeyError, TypeError):", "        return _MISS"]
    if guards:
        lines += [f"    if {' or '.join(f'({g})' for g in guards)}:", "        return _MISS"]
    lines += [f"    {line}" for line in converts]
    if backend is MATH:
        namespace["_fallback"] = fallback
        checked = [leaves[i] for i in sorted(leaves)] + lowering.checked
        check = " + ".join(val.text for val in checked) or "0.0"
        lines += ["    try:"]
        lines += [f"        {line}" for line in body] or ["        pass"]
        lines += [f"        _check = {check}",
                  "    except (ZeroDivisionError, OverflowError, ValueError):",
                  "        return _fallback(params, inputs, _root)",
                  "    if _check - _check != 0.0:  # an infinity or NaN: NumPy's rules apply",
                  "        return _fallback(params, inputs, _root)"]
        namespace["math"] = math
    else:
        lines += [f"    {line}" for line in body]
    lines.append(f"    return {result}")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<exprdiff compiled {name}>", "exec"), namespace)  # noqa: S102
    return Generated(source, namespace[name], namespace, backend)


def _result_text(program: Program, val: Val, kind: Any, returned: set) -> str:
    """The root's value as the interpreter returns it (a float when scalar)."""
    if kind is None or kind == ():
        return f"float({val.text})"
    returned.add(id(val))
    if val.fresh and val.const is None:
        return val.text
    return f"_copy({val.text})"


def _gradient_text(program: Program, g: Val | None, kind: Any, returned: set) -> str:
    """A parameter's gradient as the interpreter returns it, never sharing an array."""
    if kind is None:
        return "0.0" if g is None else f"float({g.text})"
    if g is None:
        return f"_zeros({kind!r})"
    if g.fresh and g.const is None and id(g) not in returned:
        returned.add(id(g))
        return g.text
    return f"_copy({g.text})"
