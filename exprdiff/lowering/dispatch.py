"""The run stage: compiled code once it pays, the interpreter otherwise.

`Node.__call__`, `Node.grad`, `optimize` and the symbolic layer's evaluators
come here.  For each root, calls are counted per shape signature
(`exprdiff.lowering.signature`); the first call of a signature runs the
interpreter, and from the second on (for graphs of up to `EAGER_NODES`
nodes; later for larger ones, never above `AUTO_LIMIT`) the plan is
lowered to straight-line code for exactly those shapes, cached with the
root (`exprdiff.lowering.cache`) and run.  Both compute the same rewritten
graph with the same functions, so they give the same values, gradients,
infinities, NaNs and warnings; on plain scalars compiled code uses Python
floats and `math` (`exprdiff.lowering.scalar_code`), within a stated bound
of a few ulps for transcendental functions.  ``EXPRDIFF_COMPILED=0``
(`exprdiff.lowering.switch`) turns all of it off.

>>> from exprdiff import Parameter, Sin
>>> w = Parameter("w")
>>> model = Sin(w) * w
>>> [evaluate(model, {w: 2.0}, None) for _ in range(3)]  # interpreted, then compiled
[1.8185948536513634, 1.8185948536513634, 1.8185948536513634]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from exprdiff.core import interpreter
from exprdiff.core.plan import execution_plan, plan_for
from exprdiff.lowering import switch
from exprdiff.lowering.cache import CodeCache
from exprdiff.lowering.codegen import NotLowerable
from exprdiff.lowering.functions import MISS, Generated, engine_function
from exprdiff.lowering.lanes import MAX_LANES
from exprdiff.lowering.probe import probe
from exprdiff.lowering.signature import read_leaves
from exprdiff.lowering.templates import MATH, NUMPY

__all__ = [
    "AUTO_LIMIT", "EAGER_NODES", "code_cache_of", "compile_for", "evaluate", "evaluate_made",
    "forward_value", "gradient", "value_and_gradient",
]

#: graphs up to this many nodes are compiled on the second call with the same shapes
EAGER_NODES = 5_000
#: graphs above this many nodes are never compiled automatically (the interpreter runs them)
AUTO_LIMIT = 50_000

_VALUE, _GRADIENT, _RAW = "value", "gradient", "raw"


def evaluate(root: Any, params: Mapping | None = None, inputs: Mapping | None = None) -> Any:
    """``root``'s value, as `Node.__call__` returns it (compiled once it pays)."""
    result = _last_compiled(root, params, inputs, "last_value", interpreter.evaluate)
    if result is MISS:
        return _slow(root, params, inputs, _VALUE, interpreter.evaluate)
    return result


def evaluate_made(root: Any, params: Mapping | None = None,
                  inputs: Mapping | None = None) -> Any:
    """``root``'s value from the compiled code last made for values of these shapes, else
    the interpreter's: for a single call, which never pays for compiling.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> evaluate_made(w * w, {w: 3.0})
    9.0
    """
    result = _last_compiled(root, params, inputs, "last_value", interpreter.evaluate)
    return interpreter.evaluate(root, params, inputs) if result is MISS else result


def value_and_gradient(root: Any, params: Mapping | None = None,
                       inputs: Mapping | None = None) -> tuple[Any, dict]:
    """``root``'s value and gradient dict, from one pass (compiled once it pays).

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> value_and_gradient(w * w, {w: 3.0})
    (9.0, {Parameter('w'): 6.0})
    """
    result = _last_compiled(root, params, inputs, "last_gradient",
                            interpreter.value_and_gradient)
    if result is MISS:
        return _slow(root, params, inputs, _GRADIENT, interpreter.value_and_gradient)
    return result


def gradient(root: Any, params: Mapping | None = None, inputs: Mapping | None = None) -> dict:
    """``root``'s gradient dict, as `Node.grad` returns it (compiled once it pays).

    Interpreted, it hands out no value, so the root's value can be released before the
    reverse pass (`interpreter.gradient`).
    """
    result = _last_compiled(root, params, inputs, "last_gradient", _interpreted_gradient)
    if result is MISS:
        result = _slow(root, params, inputs, _GRADIENT, interpreter.value_and_gradient,
                       interpret=_interpreted_gradient)
    return result[1]


def _interpreted_gradient(root: Any, params: Any, inputs: Any) -> tuple[None, dict]:
    return None, interpreter.gradient(root, params, inputs)


def forward_value(root: Any, params: Mapping | None = None, inputs: Mapping | None = None) -> Any:
    """The root's value as its operation returns it (for multi-output roots)."""
    result = _last_compiled(root, params, inputs, "last_raw", interpreter.forward_value)
    if result is MISS:
        return _slow(root, params, inputs, _RAW, interpreter.forward_value)
    return result


def _last_compiled(root: Any, params: Any, inputs: Any, slot: str, interpret: Callable) -> Any:
    """What the compiled function last used for this kind of call gives for these values:
    MISS if there is none or it was not made for them; if it raises, ``interpret``'s result
    (the interpreter raises the explained error)."""
    plan = root._plan
    cache = None if plan is None else plan.runtime
    function = None if cache is None else getattr(cache, slot)
    if function is None:
        return MISS
    try:
        return function(params, inputs, root)
    except Exception:  # noqa: BLE001 - the interpreter raises the explained error
        return interpret(root, params, inputs)


def _slow(root: Any, params: Any, inputs: Any, kind: str, run: Callable,
          interpret: Callable | None = None) -> Any:
    """Find (or make) the compiled function for this call's signature, or interpret.

    ``run`` is the interpreter's call that compiled code falls back on; ``interpret`` (default
    ``run``) the one for a call that compiled code does not serve.
    """
    compiled_fallback, run = run, interpret or run
    execution = execution_plan(root)
    plan = execution.plan
    if plan.root_step is None or plan.size > AUTO_LIMIT or any(
        i is None for i, _ in execution.parameters
    ):
        return run(root, params, inputs)
    cache = code_cache_of(root)
    leaves = read_leaves(plan, execution.graph_of(root), params, inputs)
    if leaves is None:
        return run(root, params, inputs)
    key = (kind, leaves.signature)
    function = cache.get(key)
    if function is None:
        if key in cache.failed or cache.count(key) < _calls_before_compiling(plan.size):
            return run(root, params, inputs)
        mode = switch.mode()
        if mode == "off":
            return run(root, params, inputs)
        function = compile_for(execution, root, leaves, kind, mode, compiled_fallback)
        if function is None:
            cache.failed.add(key)
            return run(root, params, inputs)
        cache.store(key, function)
    if kind == _VALUE:
        cache.last_value = function.fast
    elif kind == _GRADIENT:
        cache.last_gradient = function.fast
    else:
        cache.last_raw = function.fast
    try:
        result = function(leaves.params, leaves.inputs, root)
    except Exception:  # noqa: BLE001 - the interpreter raises the explained error
        return run(root, params, inputs)
    return run(root, params, inputs) if result is MISS else result


def code_cache_of(root: Any) -> CodeCache:
    """The `CodeCache` kept with ``root``'s plan (made on first use)."""
    plan = plan_for(root)
    cache = plan.runtime
    if cache is None:
        cache = plan.runtime = CodeCache()
    return cache


def _calls_before_compiling(size: int) -> int:
    """Calls with one signature before compiling pays: 2 for small graphs, more for large."""
    return 2 if size <= EAGER_NODES else 2 + size // 1_000


def compile_for(execution: Any, root: Any, leaves: Any, kind: str, mode: str,
                fallback: Callable, wrt: list | None = None) -> Generated | None:
    """The compiled function for this call's signature, or None if it cannot be lowered.

    ``kind`` is ``"value"``, ``"gradient"`` or ``"raw"``; ``wrt`` the
    ``(position, Parameter)`` pairs whose gradients to return (default all).
    """
    if kind == _GRADIENT and wrt is None:
        wrt = [(i, (root if node is None else node)) for i, node in execution.parameters]
    wanted = {i for i, _ in wrt} if wrt else None
    try:
        found = probe(execution, root, leaves.params, leaves.inputs, wanted)
    except Exception:  # noqa: BLE001 - the interpreter will raise it
        return None
    lanes = plain_float_lanes(found)
    plain = lanes is not None and mode == "on"
    for backend in [MATH, NUMPY] if plain else [NUMPY]:
        try:
            return engine_function(
                execution, root, found, leaves.signature, wrt if kind != _VALUE else None,
                backend, fallback=lambda p, i, r: fallback(r, p, i),
                raw=kind == _RAW, lanes=lanes or None if backend is MATH else None,
            )
        except NotLowerable:
            continue
    return None


def plain_float_lanes(found: Any) -> int | None:
    """0 if every value is a scalar, ``L`` if every array has shape ``(L,)`` with ``L`` at
    most `MAX_LANES` (a tiny batch), else None: the plain-float path does not apply."""
    shapes = {kind for kind in found.values if kind is not None}
    shapes.update(kind for kind in found.contributions.values() if kind is not None)
    if not shapes:
        return 0
    if len(shapes) == 1:
        (shape,) = shapes
        if len(shape) == 1 and 1 <= shape[0] <= MAX_LANES:
            return shape[0]
    return None
