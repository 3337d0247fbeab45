"""Where an operation's code comes from: its own class, for one backend.

Each operation class carries the source of its value and, when its rules
cannot be built from nodes, of its derivative rules (see
`exprdiff.core.nodes.Node`): ``numpy_code`` (or its ``ufunc``),
``numpy_vjp_code``, ``numpy_residual_code`` and their helpers, and the same
with ``math_`` for plain Python floats (and ``jax_``, ``torch_`` for the array
libraries of `exprdiff.backends`).  A `Backend` says which attributes to read
and which modules the generated code names, so another array namespace is
another `Backend`, not another code generator.

>>> from exprdiff import Input, Sigmoid
>>> x = Input("x")
>>> forward_template(x * 2.0, NUMPY, None)
'{0} * {1}'
>>> forward_template(Sigmoid(x), MATH, None)
'_sigmoid_math({0})'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from exprdiff.lowering.program import literal

__all__ = ["MATH", "NUMPY", "Backend", "fields", "forward_template", "setting_texts",
           "vjp_template"]

# ufuncs with a Python operator, written infix (as the operations' own forward does)
_INFIX = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/",
          np.power: "**", np.matmul: "@"}


@dataclass(frozen=True)
class Backend:
    """How generated code computes: the templates it reads and the modules it names.

    ``code`` is the prefix of the template attributes (``numpy`` reads
    ``numpy_code``, ``numpy_vjp_code``, ``numpy_residual_code`` and
    ``numpy_helpers``); ``modules`` are the names the generated code uses
    for modules (``np``) and what they are bound to; ``ufuncs`` says whether
    an operation with only a ``ufunc`` gets ``<array_module>.<name>(...)`` code
    (``np.exp``; ``jnp.exp`` with JAX), when that module has the ufunc's name.
    """

    name: str
    code: str
    modules: dict[str, ModuleType] = field(default_factory=dict)
    ufuncs: bool = False
    title: str = ""
    array_module: str = "np"

    def attribute(self, kind: type, suffix: str) -> Any:
        return getattr(kind, f"{self.code}_{suffix}", None)


#: NumPy arrays and float64 scalars (the engine's semantics)
NUMPY = Backend("numpy", "numpy", {"np": np}, ufuncs=True, title="NumPy")
#: plain Python floats and the `math` module (compiled scalar code)
MATH = Backend("math", "math", {"math": math, "np": np}, title="plain-float")


def fields(count: int) -> list[str]:
    """Template fields for ``count`` operands: ``["{0}", "{1}", ...]``."""
    return ["{" + str(j) + "}" for j in range(count)]


def setting_texts(node: Any, program: Any | None = None) -> dict[str, str]:
    """The node's settings as source text: exact float literals, infinities bound by name.

    >>> from exprdiff import Clip, Input
    >>> setting_texts(Clip(Input("x"), 0.0, float("inf")))
    {'low': '0.0', 'high': 'np.inf'}
    """
    texts = {}
    for key in type(node).settings:
        value = getattr(node, key)
        if type(value) is float:
            text = literal(value)
            if text is None:
                text = {math.inf: "np.inf", -math.inf: "(-np.inf)"}.get(value, "np.nan")
            texts[key] = text
        else:
            texts[key] = repr(value)
    return texts


def forward_template(node: Any, backend: Backend, shapes: list | None) -> str | None:
    """A template over ``{0}``, ``{1}``... computing the node's value, or None if it has none.

    ``shapes`` are the operands' shapes (None for a scalar) when the code is
    specialised to them, else None.
    """
    kind = type(node)
    if shapes is not None and backend.name == "numpy":
        special = getattr(node, "specialized_code", None)
        if special is not None:
            template = special(None, shapes)
            if template is not None:
                return _with_settings(template, node)
    template = backend.attribute(kind, "code")
    if template is not None:
        return _with_settings(template, node)
    ufunc = kind.ufunc
    if not backend.ufuncs or ufunc is None or getattr(np, ufunc.__name__, None) is not ufunc:
        return None
    operands = ["{" + str(i) + "}" for i in range(ufunc.nin)]
    if ufunc in _INFIX:
        return f"{operands[0]} {_INFIX[ufunc]} {operands[1]}"
    if ufunc is np.negative:
        return "-{0}"
    if not hasattr(backend.modules.get(backend.array_module), ufunc.__name__):
        return None
    return f"{backend.array_module}.{ufunc.__name__}({', '.join(operands)})"


def residual_template(node: Any, backend: Backend) -> str | None:
    """A template giving ``(value, residual)``, for operations that hand their rules a residual."""
    template = backend.attribute(type(node), "residual_code")
    return None if template is None else _with_settings(template, node)


def vjp_template(node: Any, slot: int, backend: Backend, shapes: list | None) -> str | None:
    """A template over ``{g}``, ``{out}``, ``{residual}`` and the operands for one rule."""
    if shapes is not None and backend.name == "numpy":
        special = getattr(node, "specialized_code", None)
        if special is not None:
            template = special(slot, shapes)
            if template is not None:
                return _with_settings(template, node, rule=True)
    templates = backend.attribute(type(node), "vjp_code")
    if not templates or slot >= len(templates):
        return None
    return _with_settings(templates[slot], node, rule=True)


def helpers_of(node: Any, backend: Backend) -> tuple:
    """The module-level functions an operation's templates call."""
    return tuple(backend.attribute(type(node), "helpers") or ())


def _with_settings(template: str, node: Any, rule: bool = False) -> str:
    """Fill in the settings by name, leaving the operand (and rule) fields as fields."""
    fields = {key: text.replace("{", "{{").replace("}", "}}")
              for key, text in setting_texts(node).items()}
    keep = ["{" + str(i) + "}" for i in range(len(node.children))]
    fields["operands"] = ", ".join(keep)  # a NaryOp's operands, all of them
    if rule:
        fields.update(g="{g}", out="{out}", residual="{residual}")
    return template.format(*keep, **fields)
