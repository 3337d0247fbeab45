"""An expression's forward pass as code over an array library (JAX, PyTorch).

This is the engine's own lowering (`exprdiff.lowering.codegen`) run on the
rewritten plan, so the code computes the same stable fused forms as the
engine (``log(sigmoid(z))`` is ``-softplus(-z)``, cross-entropies are
fused), each distinct operation computed once, from the operation's
``jax_code`` / ``torch_code`` (or its ufunc's name in the library's
namespace).  Only the forward pass is written: the library differentiates
it (`jax.grad`, autograd), which also gives second derivatives, `jax.vmap`
and the rest.  The reverse pass of the lowering is not used because a JAX
function with a hand-written reverse pass (`jax.custom_vjp`) cannot be
differentiated in forward mode (`jax.jacfwd`, `jax.hessian`); instead each
op's form is written so that the library's derivative *is* exprdiff's rule,
conventions at kinks included (see ``jax_code`` on `exprdiff.core.nodes.Node`).

The generated function is ``f(P, X, B)``: ``P`` the Parameters' values and
``X`` the Inputs' in the order of `ForwardCode.params` and
`ForwardCode.inputs`, ``B`` the array constants (`ForwardCode.constants`)
already converted by the caller to the library's arrays; scalar constants
are Python float literals, which both libraries treat as weakly typed, so a
float32 computation stays float32.

>>> import numpy as np
>>> from exprdiff import Input, Parameter, Sigmoid
>>> from exprdiff.lowering.templates import NUMPY
>>> w, x = Parameter("w"), Input("x")
>>> code = forward_code(Sigmoid(w * x + 1.0), NUMPY)
>>> print(code.source)
def _forward(P, X, B):
    _a0, = P
    _a1, = X
    _r0 = stable_sigmoid(((_a0 * _a1) + 1.0))
    return _r0
<BLANKLINE>
>>> code.function((2.0,), (np.array([0.0, 1.0]),), ())
array([0.73105858, 0.95257413])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from exprdiff.core.plan import execution_plan
from exprdiff.lowering.codegen import Lowering, NotLowerable
from exprdiff.lowering.program import UNKNOWN, Program, Val
from exprdiff.lowering.templates import Backend

__all__ = ["ForwardCode", "forward_code"]


@dataclass(frozen=True)
class ForwardCode:
    """The generated forward function of one expression for one array library."""

    source: str
    function: Callable[[tuple, tuple, tuple], Any]
    params: tuple  # the Parameter nodes ``P`` holds, in order
    inputs: tuple  # the Input nodes ``X`` holds, in order
    constants: tuple  # the NumPy float64 arrays ``B`` holds (converted by the caller)


class _ArrayLowering(Lowering):
    """The forward half of `Lowering`, with constants as the array libraries want them."""

    def __init__(self, execution: Any, root: Any, backend: Backend, program: Program) -> None:
        super().__init__(execution, root, backend, program, kinds=None, methods=False)
        self.arrays: list[np.ndarray] = []
        self.array_vals: list[Val] = []

    def constant(self, value: Any) -> Val:
        if isinstance(value, np.ndarray):
            val = self.program.argument(f"_b{len(self.arrays)}", UNKNOWN)
            self.arrays.append(value)
            self.array_vals.append(val)
            return val
        return self.program.constant(float(value), None)  # a Python float: weakly typed

    def method_call(self, node: Any, method: str, args: list[str]) -> str:
        kind, title, code = type(node).__name__, self.backend.title, self.backend.code
        namespace = self.backend.array_module
        raise NotLowerable(
            f"{kind} has no {title} form: give the class a {code}_code template over its "
            f"operands, such as {code}_code = \"{namespace}.cbrt({{0}})\" (exprdiff does not "
            f"call NumPy code from {title}: {title} could neither trace nor differentiate it)"
        )


def forward_code(expr: Any, backend: Backend, name: str = "_forward") -> ForwardCode:
    """The forward function of ``expr``'s rewritten graph for ``backend`` (see the module).

    Raises `exprdiff.lowering.codegen.NotLowerable` (a `NotImplementedError`)
    naming an operation that has no code for this backend.
    """
    execution = execution_plan(expr)
    plan = execution.plan
    graph = execution.graph or expr
    program = Program()
    leaves: dict[int, Val] = {}
    unpack: dict[str, list[str]] = {"P": [], "X": []}
    nodes: dict[str, list] = {"P": [], "X": []}
    for where, positions in (("P", plan.parameters), ("X", plan.inputs)):
        for i, node in positions:
            leaves[i] = program.argument(f"_a{i}", UNKNOWN)
            unpack[where].append(f"_a{i}")
            nodes[where].append(node or graph)
    lowering = _ArrayLowering(execution, expr, backend, program)
    values = lowering.forward(leaves, set())
    result = values[-1]
    body = program.lines([result])
    namespace = program.namespace
    namespace.update(lowering.helpers)
    lines = [f"def {name}(P, X, B):"]
    for where in ("P", "X"):
        if unpack[where]:
            lines.append(f"    {', '.join(unpack[where])}, = {where}")
    if lowering.array_vals:
        lines.append(f"    {', '.join(val.text for val in lowering.array_vals)}, = B")
    lines += [f"    {line}" for line in body]
    lines.append(f"    return {result.text}")
    source = program.rename("\n".join(lines) + "\n")
    exec(compile(source, f"<exprdiff {backend.title} forward>", "exec"), namespace)  # noqa: S102
    return ForwardCode(source, namespace[name], tuple(nodes["P"]), tuple(nodes["X"]),
                       tuple(lowering.arrays))
