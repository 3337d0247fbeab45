"""`to_jax`: an expression as a pure JAX function of ``(params, inputs)`` dicts keyed by name.

The function is the expression's forward pass lowered to ``jax.numpy``
code (`exprdiff.backends.forward_code`): the rewritten graph with the same
stable fused forms as the engine, each distinct operation computed once, so it
traces under `jax.jit`, `jax.vmap` and sharded inputs, and `jax.grad`
(first order, second order, `jax.hessian`) differentiates it with
exprdiff's rules, conventions at kinks included (ReLU'(0) = 0, Abs'(0) = 0,
a `Clip` bound 1/2).  It computes in the dtype of its arguments (float64
where ``jax_enable_x64`` is on, float32 otherwise); NumPy and integer
values are read as JAX's default float, Python scalars stay weakly typed.

An operation needs a JAX form: its class's ``jax_code``, or a ``ufunc``
whose name ``jax.numpy`` has.  A user-defined operation with only NumPy
code raises `NotImplementedError` naming it (rather than a
`jax.pure_callback`, which JAX could neither differentiate nor move to a GPU).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from exprdiff.backends.forward_code import forward_code
from exprdiff.backends.libraries import import_jax
from exprdiff.backends.selections import jax_masks
from exprdiff.core.errors import MissingValueError
from exprdiff.core.names import named_leaves
from exprdiff.core.nodes import Node
from exprdiff.lowering.codegen import NotLowerable
from exprdiff.lowering.templates import Backend

__doctest_requires__ = ("jax",)

__all__ = ["jax_backend", "jax_forward", "to_jax"]


@functools.cache
def jax_backend() -> Backend:
    """The code generator's `Backend` for JAX (``jnp``, ``jax`` and ``lax`` in scope)."""
    jax = import_jax("to_jax")
    modules = {"np": np, "jnp": jax.numpy, "jax": jax, "lax": jax.lax}
    return Backend("jax", "jax", modules, ufuncs=True, title="JAX", array_module="jnp")


def jax_forward(expr: Node, needed_by: str = "to_jax") -> Any:
    """``expr``'s `exprdiff.backends.forward_code.ForwardCode` for JAX."""
    import_jax(needed_by)
    try:
        return forward_code(expr, jax_backend(), "_jax_forward", masks=jax_masks())
    except NotLowerable as error:
        raise NotImplementedError(f"{needed_by}: {error}") from None


def to_jax(expr: Node, wrt: Iterable[Any] | None = None) -> Callable[..., Any]:
    """``expr`` as a pure JAX function ``f(params, inputs)`` of dicts keyed by leaf name.

    ``params`` maps each Parameter's name to its value, ``inputs`` each
    Input's (unnamed leaves go by their printed labels, ``param_3``; two
    leaves with one name raise `ValueError`).  ``f`` returns the value as a
    JAX array.  With ``wrt`` (Parameters, or their names) it returns
    ``(value, {name: gradient})``: the gradient of the sum of the value's
    elements, as `Node.grad` defines it, computed by `jax.value_and_grad`.
    ``f.source`` is the generated code, ``f.parameter_names`` and
    ``f.input_names`` the names it reads.

    >>> import jax, jax.numpy as jnp
    >>> from exprdiff import Input, Parameter, Sigmoid
    >>> w, b, x = Parameter("w"), Parameter("b"), Input("x")
    >>> f = to_jax(Sigmoid(w * x + b))
    >>> round(float(f({"w": 1.0, "b": 0.0}, {"x": 1.0})), 6)  # float32 unless x64 is on
    0.731059
    >>> grad = jax.jit(jax.grad(lambda p, x: jnp.sum(f(p, x))))
    >>> {k: round(float(v), 6) for k, v in grad({"w": 1.0, "b": 0.0}, {"x": 1.0}).items()}
    {'b': 0.196612, 'w': 0.196612}
    >>> value, grads = to_jax(w * x, wrt=[w])({"w": 3.0}, {"x": jnp.array([1.0, 2.0])})
    >>> value.tolist(), float(grads["w"])
    ([3.0, 6.0], 3.0)
    """
    jax = import_jax("to_jax")
    jnp = jax.numpy
    leaves = named_leaves(expr)
    code = jax_forward(expr)
    param_names = tuple(param.label for param in code.params)
    input_names = tuple(node.label for node in code.inputs)
    constants = code.constants

    def function(params: Mapping[str, Any], inputs: Mapping[str, Any] | None = None) -> Any:
        given = {} if inputs is None else inputs
        values = tuple(_leaf(jnp, _entry(params, name, "params", leaves))
                       for name in param_names)
        data = tuple(_leaf(jnp, _entry(given, name, "inputs", leaves)) for name in input_names)
        dtype = jnp.result_type(float, *values, *data)
        arrays = tuple(jnp.asarray(constant, dtype=dtype) for constant in constants)
        return jnp.asarray(code.function(values, data, arrays))

    function.__name__ = function.__qualname__ = "exprdiff_jax_function"
    function.__doc__ = f"{_text(expr)}, as a JAX function of (params, inputs) (from exprdiff)."
    chosen = None if wrt is None else [_wrt_name(param, leaves) for param in wrt]
    result = function if chosen is None else _with_gradient(jax, function, chosen)
    result.source = code.source
    result.parameter_names = tuple(n for n, leaf in leaves.items() if leaf.leaf_kind == "parameter")
    result.input_names = tuple(n for n, leaf in leaves.items() if leaf.leaf_kind == "input")
    return result


def _with_gradient(jax: Any, function: Callable, names: list[str]) -> Callable:
    def value_and_gradient(params: Mapping[str, Any], inputs: Mapping[str, Any] | None = None):
        def total(chosen: dict) -> tuple:
            value = function({**params, **chosen}, inputs)
            return jax.numpy.sum(value), value

        missing = [name for name in names if name not in params]
        if missing:
            raise MissingValueError(f"params has no value for the Parameter {missing[0]!r}")
        (_, value), grads = jax.value_and_grad(total, has_aux=True)(
            {name: params[name] for name in names})
        return value, grads

    value_and_gradient.__name__ = value_and_gradient.__qualname__ = "exprdiff_jax_value_and_grad"
    value_and_gradient.__doc__ = function.__doc__
    return value_and_gradient


def _entry(values: Mapping[str, Any], name: str, where: str, leaves: dict) -> Any:
    try:
        return values[name]
    except (KeyError, TypeError):
        leaf = leaves[name]
        kind = type(leaf).__name__
        supplied = sorted(map(str, values)) if isinstance(values, Mapping) else values
        raise MissingValueError(
            f"no value for {kind} {name!r} in {where}, which is keyed by leaf name; "
            f"it supplies {supplied}", leaf) from None


def _leaf(jnp: Any, value: Any) -> Any:
    """A leaf's value for the JAX code: arrays as JAX floats, Python scalars left weak."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    array = jnp.asarray(value)
    if not jnp.issubdtype(array.dtype, jnp.inexact):
        array = array.astype(jnp.result_type(float))
    return array


def _wrt_name(param: Any, leaves: dict) -> str:
    name = param if isinstance(param, str) else getattr(param, "label", None)
    leaf = leaves.get(name)
    if leaf is None or type(leaf).leaf_kind != "parameter" or (
            not isinstance(param, str) and leaf is not param):
        raise ValueError(f"wrt lists {param!r}, which is not a Parameter of the expression")
    return name


def _text(expr: Node) -> str:
    text = str(expr)
    return text if len(text) <= 80 else text[:77] + "..."
