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

from exprdiff.core.gradient_dict import GradientDict
from exprdiff.core.values import as_value, summed_to
from exprdiff.lowering.codegen import Lowering
from exprdiff.lowering.lanes import LanedProgram
from exprdiff.lowering.plain_floats import QUIET, errstate_token, quiet_underflow
from exprdiff.lowering.probe import Probe
from exprdiff.lowering.program import UNKNOWN, Program, Val, without_gc
from exprdiff.lowering.templates import MATH, NUMPY, Backend

__all__ = ["MISS", "Generated", "checksum", "engine_function", "lower_body", "read_value",
           "result_gradient", "result_value"]


_F8 = np.dtype(np.float64)


#: what compiled code returns when the values do not fit its signature (no value, gradient
#: dict or tuple of values is ever None, so callers test ``is None``, the fastest test)
MISS = None


class Generated:
    """Generated source, executed: the function and the namespace it runs in."""

    __slots__ = ("source", "function", "namespace", "backend")

    def __init__(self, source: str, function: Callable, namespace: dict, backend: Backend) -> None:
        self.source, self.function, self.namespace, self.backend = (
            source, function, namespace, backend)

    def __call__(self, params: Any, inputs: Any, root: Any) -> Any:
        return self.function(params, inputs, root)

    @property
    def fast(self) -> Callable:
        """The generated function itself (what `Node`'s fast path calls, without this frame)."""
        return self.function


def read_value(value: Any, node: Any) -> Any:
    """A leaf's value as the interpreter reads it: a float64 array, or a NumPy float64.

    Generic compiled code (no signature) reads its leaves with this.

    >>> read_value(2, "x"), read_value([1, 2], "x")
    (np.float64(2.0), array([1., 2.]))
    """
    if type(value) is not float and not (type(value) is np.ndarray and value.dtype is _F8
                                         and value.ndim):
        value = as_value(value, node)
    return np.float64(value) if type(value) is float else value


def result_value(value: Any) -> Any:
    """The root's value as the interpreter returns it: a float when scalar, else the array.

    >>> result_value(np.float64(2.5)), result_value(np.ones(2))
    (2.5, array([1., 1.]))
    """
    if type(value) is np.ndarray:
        if value.ndim:
            return value
        value = value[()]
    if type(value) is np.bool_ or type(value) is bool:  # a condition's truth value
        return bool(value)
    return float(value)


def result_gradient(g: Any, like: Any) -> Any:
    """A Parameter's gradient as the interpreter returns it, as the caller's own array.

    ``like`` is the Parameter's value; ``g`` None means no contribution (zero).

    >>> result_gradient(None, np.float64(1.0)), result_gradient(np.ones(2), np.zeros(2))
    (0.0, array([1., 1.]))
    """
    if type(like) is not np.ndarray:
        return 0.0 if g is None else float(g)
    if g is None:
        return np.zeros_like(like)
    return np.array(g, dtype=np.float64)


def lower_body(execution: Any, root: Any, program: Program, probe: Probe | None,
               leaves: dict, wrt: list | None, backend: Backend, *, methods: bool) -> tuple:
    """``(lowering, values, adjoints)``: the forward and reverse statements, added to ``program``.

    ``leaves`` maps each Input's and Parameter's plan position to its `Val`
    (how the value was read is the caller's business); ``adjoints`` is None
    without ``wrt``.
    """
    lowering = Lowering(execution, root, backend, program, kinds=probe, methods=methods)
    if execution.graph is not None:
        program.namespace["_graph"] = execution.graph
    wanted = {i for i, _ in wrt} if wrt else set()
    values = lowering.forward(leaves, wanted)
    adjoints = lowering.reverse(values) if wanted else None
    program.namespace.update(lowering.helpers)
    return lowering, values, adjoints


@without_gc
def engine_function(execution: Any, root: Any, probe: Probe | None, signature: tuple | None,
                    wrt: list | None, backend: Backend = NUMPY,
                    fallback: Callable | None = None, name: str = "_compiled", *,
                    raw: bool = False, lanes: int | None = None) -> Generated:
    """The compiled function of ``execution`` for ``signature`` (generic without a probe).

    ``wrt`` lists ``(plan position, Parameter)`` for the gradients to return
    (None: the value only).  ``fallback(params, inputs, root)`` computes the
    same result by other means (required for the `MATH` backend).  With
    ``raw`` the root's value is returned as its operation gives it; with
    ``lanes`` (`MATH` only) arrays of that many samples are lanes of floats.
    """
    plan = execution.plan
    program = LanedProgram(lanes) if lanes else Program()
    reads, guards, converts, leaves = [], [], [], {}
    kinds = iter(signature) if probe is not None else None
    for positions, where in ((plan.parameters, "params"), (plan.inputs, "inputs")):
        for i, node in positions:
            key = program.bind((root if node is None else node), "k")
            local = f"_a{i}"
            if kinds is None:  # generic code: converted as the interpreter converts
                reads.append(f"{local} = {where}[{key}]")
                converts.append(f"{local} = read_value({local}, {key})")
                leaves[i] = program.argument(local, UNKNOWN)
                continue
            kind = next(kinds)
            reads.append(f"{local} = {where}[{key}]")
            if kind is None:
                guards.append(f"type({local}) is not _float")
                if backend is NUMPY:
                    converts.append(f"{local} = _f64({local})")
            else:
                guards.append(f"type({local}) is not _ndarray or {local}.dtype is not _float64 "
                              f"or {local}.shape != {kind!r}")
                if lanes:
                    names = [f"{local}_{j}" for j in range(lanes)]
                    converts.append(f"{', '.join(names)}, = {local}.tolist()")
                    leaves[i] = program.lane_argument(local, names)
                    continue
            leaves[i] = program.argument(local, kind)
    lowering, values, adjoints = lower_body(execution, root, program, probe, leaves, wrt,
                                            backend, methods=True)
    returned: set[int] = set()
    root_node = plan.nodes(execution.graph_of(root))[-1]
    if raw and getattr(type(root_node), "packs_operands", False):  # a tuple of values
        parts = [values[k] for k in plan.root_step[2]]
        if getattr(type(root_node), "sums_operands", False):  # see _GradientBundle
            parts = _summed_parts(lowering, program, parts, plan.root_step[2], probe)
        result = "(" + "".join(f"{program.text_of(v)}, " for v in parts) + ")"
        kept = parts
    elif raw:
        result = values[-1].text
    elif probe is None:
        result = f"result_value({values[-1].text})"
    else:
        result = _result_text(program, values[-1], probe.values[-1], returned, backend is MATH,
                              type(root_node).differentiable)
    if not raw or not getattr(type(root_node), "packs_operands", False):
        kept = [values[-1]]
    if wrt is not None:
        entries = []
        for i, node in wrt:
            g = adjoints[i] if adjoints is not None else None
            if probe is None:
                text = f"result_gradient({g.text if g is not None else 'None'}, {leaves[i].text})"
                if g is not None:
                    kept.append(leaves[i])
            else:
                text = _gradient_text(program, g, probe.values[i], returned, backend is MATH)
            entries.append(f"{program.bind(node, 'k')}: {text}")
            if g is not None:
                kept.append(g)
        # a GradientDict, as the interpreter's (a dict that a notebook shows as a table)
        result = f"{result}, _gradients({{{', '.join(entries)}}})"
    if backend is MATH:
        kept = kept + lowering.checked + list(leaves.values())  # read by the checksum
    body = program.lines(kept)
    namespace = program.namespace
    namespace.update(_float=float, _ndarray=np.ndarray, _float64=np.dtype(np.float64),
                     _f64=np.float64, _copy=np.array, _zeros=np.zeros,
                     read_value=read_value, result_value=result_value,
                     result_gradient=result_gradient, _array=np.array,
                     _gradients=GradientDict)
    lines = [f"def {name}(params, inputs, _root):", "    try:"]
    lines += [f"        {line}" for line in reads] or ["        pass"]
    lines += ["    except (KeyError, TypeError):", "        return None  # not these values"]
    # a key the plan never reads (an inner node, say): the interpreter names the mistake
    guards += [f"len({where}) != {len(positions)}" if positions else where
               for positions, where in ((plan.parameters, "params"), (plan.inputs, "inputs"))]
    if guards:
        lines += [f"    if {' or '.join(f'({g})' for g in guards)}:",
                  "        return None  # values of other kinds or shapes"]
    lines += [f"    {line}" for line in converts]
    if backend is MATH:
        namespace.update(_fallback=fallback, _token=errstate_token, _QUIET=QUIET,
                         _quiet_underflow=quiet_underflow)
        checked = [leaves[i] for i in sorted(leaves)] + lowering.checked
        terms = [text for val in checked for text in _texts(program, val)] or ["0.0"]
        lines += ["    _state = _token()",
                  "    if _state is not _QUIET[0] and not _quiet_underflow(_state):",
                  "        return _fallback(params, inputs, _root)  # underflow would warn",
                  "    try:"]
        lines += [f"        {line}" for line in body] or ["        pass"]
        lines += [f"        {line}" for line in checksum(terms)]
        lines += ["    except (ZeroDivisionError, OverflowError, ValueError):",
                  "        return _fallback(params, inputs, _root)",
                  "    if _check - _check != 0.0:  # an infinity or NaN: NumPy's rules apply",
                  "        return _fallback(params, inputs, _root)"]
        namespace["math"] = math
    else:
        lines += [f"    {line}" for line in body]
    lines.append(f"    return {result}")
    source = program.rename("\n".join(lines) + "\n")
    exec(compile(source, f"<exprdiff compiled {name}>", "exec"), namespace)  # noqa: S102
    return Generated(source, namespace[name], namespace, backend)


def _summed_parts(lowering: Any, program: Program, parts: list, kids: tuple,
                  probe: Probe | None) -> list:
    """``[value, *sums]`` for a root ``(value, *derivatives, *parameters)`` whose operation
    sums each derivative like `Node.grad` (`summed_to`): written out where the shapes say
    how (a scalar Parameter), else a call of `summed_to`."""
    count = (len(parts) - 1) // 2
    value = parts[0]
    sums = [value]
    for j in range(count):
        d, like = parts[1 + j], parts[1 + count + j]
        kind = probe.values[kids[1 + count + j]] if probe is not None else UNKNOWN
        if kind is None and d.shape is None:  # a scalar derivative: times the value's size
            size = int(np.prod(value.shape)) if value.is_array else 1
            total = d if size == 1 else program.emit(f"{{0}} * {float(size)!r}", [d], shape=None)
        elif kind is None and d.is_array and d.shape == value.shape:
            total = program.sum_all(d)
        else:
            program.namespace[summed_to.__name__] = summed_to
            sums.append(program.emit("summed_to({0}, {1}, {2})", [d, value, like],
                                     shape=UNKNOWN))
            continue
        if lowering.backend is MATH:
            lowering.checked.append(total)  # an overflowing sum: NumPy's code (and warning)
        else:
            total = program.emit("float({0})", [total], shape=None)
        sums.append(total)
    return sums


def checksum(terms: list[str], chunk: int = 100) -> list[str]:
    """Statements summing ``terms`` into ``_check``, a chunk at a time (no deep expression).

    >>> checksum(["a", "b", "c"], chunk=2)
    ['_check = a + b', '_check = _check + c']
    """
    lines = [f"_check = {' + '.join(terms[:chunk])}"]
    for start in range(chunk, len(terms), chunk):
        lines.append(f"_check = _check + {' + '.join(terms[start:start + chunk])}")
    return lines


def _texts(program: Program, val: Val) -> list[str]:
    texts = getattr(program, "texts", None)
    return texts(val) if texts is not None else [val.text]


def _result_text(program: Program, val: Val, kind: Any, returned: set, plain: bool,
                 number: bool = True) -> str:
    """The root's value as the interpreter returns it (a float when scalar, a bool for a
    condition's)."""
    if kind is None or kind == ():
        if not number:
            return f"bool({val.text})"
        return val.text if plain else f"float({val.text})"  # plain-float code has floats
    returned.add(id(val))
    text = program.text_of(val)
    if text != val.text or val.fresh and val.const is None:
        return text
    return f"_copy({val.text})"


def _gradient_text(program: Program, g: Val | None, kind: Any, returned: set,
                   plain: bool) -> str:
    """A parameter's gradient as the interpreter returns it, never sharing an array."""
    if kind is None:
        if g is None:
            return "0.0"
        return g.text if plain else f"float({g.text})"
    if g is None:
        return f"_zeros({kind!r})"
    text = program.text_of(g)
    if text != g.text:  # lanes: a new array
        return text
    if g.fresh and g.const is None and id(g) not in returned:
        returned.add(id(g))
        return g.text
    return f"_copy({g.text})"
