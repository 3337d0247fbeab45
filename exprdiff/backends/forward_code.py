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
are Python float literals for JAX, which treats them as weakly typed, and
0-d arrays in ``B`` for PyTorch, whose two-operand functions
(``torch.maximum``, ``torch.logaddexp``, ...) take tensors only and whose
0-d tensors do not change a float32 computation's dtype either.  A graph
with a `Where` computes its values, then the masks of its branches, then
once more the operations a mask guards (see `exprdiff.backends.selections`).

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

from exprdiff.backends.selections import MaskLibrary, keep_gradient, merged_mask, passed_mask
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

    def __init__(self, execution: Any, root: Any, backend: Backend, program: Program,
                 scalar_arrays: bool = False) -> None:
        super().__init__(execution, root, backend, program, kinds=None, methods=False)
        self.arrays: list[np.ndarray] = []
        self.array_vals: list[Val] = []
        self.scalar_arrays = scalar_arrays

    def constant(self, value: Any) -> Val:
        if self.scalar_arrays and not isinstance(value, np.ndarray):
            value = np.array(float(value))  # a 0-d tensor: PyTorch's functions want tensors
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


def forward_code(expr: Any, backend: Backend, name: str = "_forward", *,
                 masks: MaskLibrary | None = None, scalar_arrays: bool = False) -> ForwardCode:
    """The forward function of ``expr``'s rewritten graph for ``backend`` (see the module).

    ``masks`` are the library's functions for `Where`'s NaN-free gradient
    (`exprdiff.backends.selections`; needed when the graph has a `Where`);
    ``scalar_arrays`` makes scalar constants 0-d arrays in ``B`` instead of
    literals (PyTorch's two-operand functions take tensors only; a 0-d tensor
    does not change a float32 computation's dtype).  Raises
    `exprdiff.lowering.codegen.NotLowerable` (a `NotImplementedError`)
    naming an operation that has no code for this backend.
    """
    execution = execution_plan(expr)
    plan = execution.plan
    graph = expr if execution.graph is None else execution.graph
    program = Program()
    leaves: dict[int, Val] = {}
    unpack: dict[str, list[str]] = {"P": [], "X": []}
    nodes: dict[str, list] = {"P": [], "X": []}
    for where, positions in (("P", plan.parameters), ("X", plan.inputs)):
        for i, node in positions:
            leaves[i] = program.argument(f"_a{i}", UNKNOWN)
            unpack[where].append(f"_a{i}")
            nodes[where].append(graph if node is None else node)
    lowering = _ArrayLowering(execution, expr, backend, program, scalar_arrays)
    values = lowering.forward(leaves, set())
    if any(type(node).selects for node in lowering.nodes):
        if masks is None:
            raise NotLowerable(f"{backend.title} code cannot keep Where's gradient NaN-free")
        values = _selected_forward(lowering, values, masks)
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


_UNSET = object()  # no operation has passed the node a mask yet


def _selected_forward(lowering: _ArrayLowering, values: list[Val], masks: MaskLibrary) -> list[Val]:
    """The values again, each operand of an operation selected under a mask guarded by
    `keep_gradient` (see `exprdiff.backends.selections`): the masks from the root down,
    as the interpreter's reverse pass computes them, then the guarded operations."""
    program, nodes, kids = lowering.program, lowering.nodes, lowering.kids
    program.namespace["_masks"] = masks
    lowering.helpers.update((f.__name__, f) for f in (passed_mask, merged_mask, keep_gradient))
    none = Val("None", None)
    alive: list = [_UNSET] * len(values)
    alive[-1] = None  # the root: selected everywhere
    for i in range(len(values) - 1, -1, -1):
        node = nodes[i]
        kind = type(node)
        # as the interpreter's reverse pass: a condition passes no derivative on, and a node
        # reached only through conditions none either (it would reset a branch's mask)
        if not kids[i] or alive[i] is _UNSET or not kind.differentiable:
            continue
        mask = alive[i]
        operands = [values[k] for k in kids[i]]
        for slot, k in enumerate(kids[i]):
            if not kids[k] or slot in kind.condition_slots:
                continue
            chosen = _selected(lowering, node, slot, operands) if kind.selects else None
            if mask is None and chosen is None:
                passed = None
            else:
                passed = program.emit(
                    f"passed_mask(_masks, {{0}}, {kind.elementwise!r}, {{1}}, {{2}})",
                    [mask or none, chosen or none, values[k]], shape=UNKNOWN, fresh=False)
            previous = alive[k]
            if previous is _UNSET:
                alive[k] = passed
            elif previous is None or passed is None:
                alive[k] = None
            else:
                alive[k] = program.emit("merged_mask(_masks, {0}, {1})", [previous, passed],
                                        shape=UNKNOWN, fresh=False)
    guarded = list(values)
    for i, node in enumerate(nodes):
        if not kids[i]:
            continue
        kind = type(node)
        mask = None if alive[i] is _UNSET else alive[i]
        operands = [guarded[k] for k in kids[i]]
        if mask is not None:
            operands = [
                operand if operand.const is not None or slot in kind.condition_slots
                else program.emit(f"keep_gradient(_masks, {{0}}, {{1}}, {kind.elementwise!r})",
                                  [operand, mask], shape=UNKNOWN, fresh=False)
                for slot, operand in enumerate(operands)]
        if all(a is b for a, b in zip(operands, (values[k] for k in kids[i]))):
            continue  # nothing guarded up to here: the value computed first
        guarded[i] = lowering.operation(i, node, operands)
    return guarded


def _selected(lowering: _ArrayLowering, node: Any, slot: int, operands: list[Val]) -> Val | None:
    """Where ``node`` takes operand ``slot``, from its ``<library>_selected_code``."""
    templates = lowering.backend.attribute(type(node), "selected_code")
    if not templates:
        kind, code = type(node).__name__, lowering.backend.code
        raise NotLowerable(f"{kind} selects among its operands: give the class "
                           f"{code}_selected_code templates (one per operand)")
    template = templates[slot]
    if template is None:
        return None
    return lowering.program.emit(template, operands, shape=UNKNOWN)
