"""Lowering a plan to straight-line code: one statement per node, then the reverse pass.

`Lowering` walks an `exprdiff.core.plan.Execution` (the rewritten graph's
plan) and adds to a `exprdiff.lowering.program.Program`:

* the **forward pass**: one assignment per operation, from the operation's
  own template (`exprdiff.lowering.templates`), or a call of its
  ``forward`` method when it has none;
* the **reverse pass**, only for the operands that lead to the Parameters
  asked for, in the interpreter's order: each rule's contribution (an
  elementwise rule is run on nodes, as the symbolic layer does, and the
  nodes it builds are lowered like the forward pass; other rules have
  templates or are called as methods), summed to its operand's shape
  exactly as the interpreter sums it, and accumulated.

Specialised to shapes (a `exprdiff.lowering.probe.Probe`), the code sums a
broadcast gradient only where broadcasting happened and drops what is
exactly the identity (a product with the all-ones seed, ``x/1``, ``x**1``);
operations on values known while generating are computed then, by the
same functions, so the results are the interpreter's bit for bit.  In
generic code (no probe: `to_python`) shapes are looked at when it runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exprdiff.core.interpreter import root_adjoint
from exprdiff.core.values import fit_shape, fit_to_shape, shape_of, summed
from exprdiff.lowering.folding import NONE, broadcast, fold, is_one, kind_of_value, setting_key
from exprdiff.lowering.probe import Probe, leading_to, operand_positions
from exprdiff.lowering.program import UNKNOWN, Program, Val
from exprdiff.lowering.selections import MASK_HELPERS, masked_part, merged_mask, passed_mask
from exprdiff.lowering.templates import (
    Backend,
    fields,
    forward_template,
    helpers_of,
    residual_template,
    vjp_template,
)
from exprdiff.lowering.traced_rules import make_recipe, replay_rule

__all__ = ["Lowering", "NotLowerable"]

_UNSET = object()  # no gradient has reached the node yet


class NotLowerable(NotImplementedError):
    """An operation has no code for this backend (and methods may not be called)."""


class Lowering:
    """The forward and reverse code of one execution plan, for one backend and signature."""

    def __init__(self, execution: Any, root: Any, backend: Backend, program: Program, *,
                 kinds: Probe | None, methods: bool) -> None:
        self.plan = execution.plan
        self.graph = execution.graph_of(root)
        # the root itself is passed in (caching code with the root makes no cycle); a
        # rewritten graph's root is bound by name
        self.graph_is_argument = execution.graph is None
        self.nodes = self.plan.nodes(self.graph)
        self.kids = operand_positions(self.plan)
        self.backend, self.program, self.kinds, self.methods = backend, program, kinds, methods
        for name, module in backend.modules.items():
            program.namespace[name] = module
        self.helpers: dict[str, Any] = {}
        self.leads: list[bool] = [False] * len(self.nodes)
        self._recipes: dict = {}
        self._templates: dict = {}
        self._classes: set = set()
        #: plain-float code: the values that could be infinite or NaN without an exception
        self.checked: list[Val] = []

    def need_helpers(self, node: Any) -> None:
        """Bind the helper functions ``node``'s templates call (once per class)."""
        kind = type(node)
        if kind not in self._classes:
            self._classes.add(kind)
            self.helpers.update((h.__name__, h) for h in helpers_of(node, self.backend))

    def forward_code(self, node: Any, shapes: list | None) -> str | None:
        """`forward_template`, remembered per class and settings (and shapes, for classes
        whose code depends on them)."""
        kind = type(node)
        try:
            key = (kind, *[setting_key(getattr(node, name)) for name in kind.settings])
            if getattr(node, "specialized_code", None) is not None:
                key = (*key, None if shapes is None else tuple(shapes))
            code = self._templates.get(key, NONE)
        except TypeError:
            return forward_template(node, self.backend, shapes)
        if code is NONE:
            code = self._templates[key] = forward_template(node, self.backend, shapes)
        return code

    def recipe(self, node: Any, slot: int) -> tuple | None:
        """The traced rule for nodes of this class and settings (`make_recipe`), made once."""
        kind = type(node)
        try:
            key = (kind, slot, *[setting_key(getattr(node, name)) for name in kind.settings])
            hash(key)
        except TypeError:
            return make_recipe(node, slot)
        if key not in self._recipes:
            self._recipes[key] = make_recipe(node, slot)
        return self._recipes[key]

    def emitted(self, node: Any, val: Val) -> Val:
        """Record a new value (for plain-float code's checksum) and return it."""
        if self.backend.name == "math" and not type(node).math_finite and val.const is None:
            self.checked.append(val)
        return val

    # -- forward -----------------------------------------------------------
    def forward(self, leaves: dict[int, Val], wanted: set) -> list[Val]:
        """A `Val` for every plan position; ``leaves`` holds the Inputs' and Parameters'."""
        self.leads = leading_to(self.kids, wanted, self.nodes)
        vals: list[Val] = []
        for i, node in enumerate(self.nodes):
            kids = self.kids[i]
            if not kids:
                if type(node).leaf_kind == "constant":
                    vals.append(self.constant(node.value))
                else:
                    vals.append(leaves[i])
                continue
            vals.append(self.operation(i, node, [vals[k] for k in kids]))
        return vals

    def constant(self, value: Any) -> Val:
        """A Constant's value as the interpreter has it (scalars as NumPy float64)."""
        if self.backend.name == "math":
            lanes = getattr(self.program, "count", None)
            if isinstance(value, np.ndarray):
                if value.shape != (lanes,) or not np.isfinite(value).all():
                    raise NotLowerable("plain-float code needs finite scalars (or lanes)")
                return self.program.constant(value, value.shape)
            if not np.isfinite(value):
                raise NotLowerable("plain-float code needs finite scalar constants")
            return self.program.constant(float(value), None)
        if isinstance(value, np.ndarray):
            return self.program.constant(value, value.shape)
        return self.program.constant(np.float64(value), None)

    def kind(self, i: int) -> Any:
        return self.kinds.values[i] if self.kinds is not None else UNKNOWN

    def operation(self, i: int, node: Any, operands: list[Val]) -> Val:
        shapes = [self.kind(k) for k in self.kids[i]] if self.kinds is not None else None
        shape = self.kind(i)
        self.need_helpers(node)
        if self.leads[i] and self.uses_residual(i, node):
            template = residual_template(node, self.backend)
            val = self.program.emit(template, operands, shape=shape, targets=2)
            # an elementwise operation's residual is shaped like its value, others say
            like = type(node).residual_like
            if like is not None:
                val.residual.shape = shapes[like] if shapes is not None else UNKNOWN
            else:
                val.residual.shape = shape if type(node).elementwise else UNKNOWN
            return self.emitted(node, val)
        if getattr(type(node), "packs_operands", False) and i == len(self.nodes) - 1:
            return Val("None", None)  # the caller returns the operands themselves
        template = self.forward_code(node, shapes)
        fresh = not type(node).returns_view
        if template is None:
            template = self.method_call(node, "forward", fields(len(operands)))
            fresh = False
        elif template == "{0}":
            return operands[0]
        return self.emitted(node, self.program.emit(template, operands, shape=shape, fresh=fresh))

    def uses_residual(self, i: int, node: Any) -> bool:
        if residual_template(node, self.backend) is None:
            return False
        shapes = self.rule_shapes(i, None) if self.kinds is not None else None
        return any(
            "{residual}" in (vjp_template(node, slot, self.backend, shapes) or "")
            for slot, k in enumerate(self.kids[i]) if self.leads[k]
        )

    def method_call(self, node: Any, method: str, args: list[str]) -> str:
        """A call of the node's own method (for operations without a template)."""
        if not self.methods or self.backend.name != "numpy":
            kind, code = type(node).__name__, self.backend.code
            if method == "forward":
                raise NotLowerable(
                    f"cannot write {self.backend.title} code for {kind}: give the class a "
                    f"{code}_code template, such as {code}_code = \"np.cbrt({{0}})\""
                )
            raise NotLowerable(
                f"cannot write the gradient of {kind} as {self.backend.title} code: its rules "
                f"are not elementwise, so give the class {code}_vjp_code templates "
                f"(one per operand, over {{g}}, {{out}}, {{0}}, ...)"
            )
        if node is self.graph:
            name = "_root" if self.graph_is_argument else "_graph"
        else:
            name = self.program.bind(node, "node")
        return f"{name}.{method}({', '.join(args)})"

    # -- reverse -----------------------------------------------------------
    def reverse(self, vals: list[Val]) -> list[Val | None]:
        """The adjoint of every position leading to a wanted Parameter (None elsewhere)."""
        adjoints: list[Val | None] = [None] * len(vals)
        adjoints[-1] = self.seed(vals[-1])
        leads = self.leads
        # where each gradient is selected (see exprdiff.lowering.selections): a Val, None
        # for everywhere, or _UNSET while no gradient has reached the node
        masks = [_UNSET] * len(vals) if self.plan.selects else None
        if masks is not None and self.backend.name != "numpy":
            raise NotLowerable(f"{self.backend.title} code does not track selected gradients")
        for i in range(len(vals) - 1, -1, -1):
            kids = self.kids[i]
            if not kids or not leads[i]:
                continue
            g = adjoints[i]
            if g is None:  # reached only through conditions: no gradient flows here
                continue
            mask = None if masks is None or masks[i] is _UNSET else masks[i]
            for slot, k in enumerate(kids):
                if not leads[k]:
                    continue
                part = self.contribution(i, slot, g, vals)
                if mask is not None:
                    elementwise = type(self.nodes[i]).elementwise
                    part = self.call_helper(masked_part, f"{{0}}, {{1}}, {elementwise!r}",
                                            [mask, part], part.shape)
                if masks is not None and self.kids[k]:
                    self.pass_mask(masks, i, slot, k, mask, vals)
                part = self.fit(part, k, vals[k], (i, slot))
                adjoints[k] = part if adjoints[k] is None else self.add(adjoints[k], part)
        return adjoints

    def call_helper(self, helper: Any, arguments: str, operands: list[Val], shape: Any) -> Val:
        """A call of one of `MASK_HELPERS` (it may return an operand itself: not fresh)."""
        self.helpers.update((h.__name__, h) for h in MASK_HELPERS)
        return self.program.emit(f"{helper.__name__}({arguments})", operands, shape=shape,
                                 fresh=False)

    def pass_mask(self, masks: list, i: int, slot: int, k: int, mask: Val | None,
                  vals: list[Val]) -> None:
        """Operand ``k``'s mask after position ``i`` passed it a gradient, as the interpreter's."""
        node = self.nodes[i]
        kind = type(node)
        chosen = self.selected(node, slot, [vals[j] for j in self.kids[i]]) \
            if kind.selects else None
        if mask is None and chosen is None:
            passed = None
        else:
            operands = [mask if mask is not None else Val("None", None),
                        chosen if chosen is not None else Val("None", None), vals[k]]
            passed = self.call_helper(passed_mask, f"{{0}}, {kind.elementwise!r}, {{1}}, {{2}}",
                                      operands, UNKNOWN)
        previous = masks[k]
        if previous is _UNSET:
            masks[k] = passed
        elif previous is None or passed is None:
            masks[k] = None
        else:
            masks[k] = self.call_helper(merged_mask, "{0}, {1}", [previous, passed], UNKNOWN)

    def selected(self, node: Any, slot: int, operands: list[Val]) -> Val | None:
        """Where ``node`` takes operand ``slot`` (`Node.selected`): from the class's
        ``numpy_selected_code`` template, else a call of the method; None for everywhere."""
        templates = type(node).numpy_selected_code
        if templates:
            template = templates[slot]
            if template is None:
                return None
            return self.program.emit(template, operands, shape=UNKNOWN)
        inner = "".join("{" + str(j) + "}, " for j in range(len(operands)))
        text = self.method_call(node, "selected", [str(slot), f"({inner})"])
        return self.program.emit(text, operands, shape=UNKNOWN, fresh=False)

    def seed(self, out: Val) -> Val:
        """The gradient the reverse pass starts from: ones shaped like the root's value."""
        if self.kinds is None:
            self.helpers[root_adjoint.__name__] = root_adjoint
            return self.program.emit("root_adjoint({0})", [out], shape=UNKNOWN)
        seed = self.kinds.seed
        if self.backend.name == "math" and not isinstance(seed, np.ndarray):
            seed = float(seed)
        elif isinstance(seed, np.ndarray):
            seed.setflags(write=False)  # shared by every call: never written
        return self.program.constant(seed, out.shape)

    def rule_shapes(self, i: int, g: Val | None) -> list:
        shapes = [self.kind(k) for k in self.kids[i]]
        return [*shapes, g.shape if g is not None else self.kind(i)]

    def contribution(self, i: int, slot: int, g: Val, vals: list[Val]) -> Val:
        """The gradient operand ``slot`` of position ``i`` receives, before fitting its shape."""
        node = self.nodes[i]
        operands = [vals[k] for k in self.kids[i]]
        out = vals[i]
        shapes = self.rule_shapes(i, g) if self.kinds is not None else None
        shape = self.kinds.contributions.get((i, slot), UNKNOWN) if self.kinds else UNKNOWN
        template = vjp_template(node, slot, self.backend, shapes)
        if template is not None:
            return self.emitted(node, self.rule(template, g, operands, out, shape, fresh=True))
        if type(node).elementwise:
            traced = replay_rule(self, node, slot, g, operands, out)
            if traced is not None:
                return traced
        form = type(node).vjp_form  # called as the interpreter calls it
        if form == 2:
            text = self.method_call(node, "vjp_rhs" if slot else "vjp_lhs",
                                    ["{g}", "{0}", "{1}", "{out}"])
        elif form == 1:
            text = self.method_call(node, "vjp", ["{g}", "{0}", "{out}"])
        else:
            inner = "".join("{" + str(j) + "}, " for j in range(len(operands)))
            text = self.method_call(node, "partial", [str(slot), "{g}", f"({inner})", "{out}"])
        return self.rule(text, g, operands, out, shape, fresh=False)

    def rule(self, template: str, g: Val, operands: list[Val], out: Val, shape: Any,
             fresh: bool) -> Val:
        if self.kinds is not None and is_one(g):
            # ``ones * x`` is x exactly, when x already has the product's shape
            named = {"{out}": out, "{residual}": out.residual,
                     **{"{" + str(j) + "}": val for j, val in enumerate(operands)}}
            for prefix, expanded in (("{g} * ", False), ("np.expand_dims({g}, -1) * ", True)):
                if template.startswith(prefix):
                    other = named.get(template[len(prefix):])
                    if other is not None and other.shape == shape and (
                        expanded or g.shape == shape
                    ):
                        return other
        extra = [g, out] + ([out.residual] if out.residual is not None else [])
        fields = {"g": "{" + str(len(operands)) + "}", "out": "{" + str(len(operands) + 1) + "}",
                  "residual": "{" + str(len(operands) + 2) + "}"}
        code = template.replace("{g}", fields["g"]).replace("{out}", fields["out"])
        code = code.replace("{residual}", fields["residual"])
        used = [*operands, *extra]
        return self.program.emit(code, used, shape=shape, fresh=fresh)

    # -- shapes, exactly as the interpreter fits them ------------------------------
    def fit(self, part: Val, k: int, like: Val, where: tuple) -> Val:
        """``part`` summed down to operand ``k``'s shape, as `_backpropagate` does it."""
        if self.kinds is None:
            self.helpers.update((h.__name__, h) for h in (fit_gradient, fit_to_shape, shape_of))
            return self.program.emit("fit_gradient({0}, {1})", [part, like], shape=UNKNOWN)
        target = self.kinds.values[k]
        got = self.kinds.contributions.get(where, part.shape)
        if isinstance(target, tuple):
            if got is None or got != target:
                return self.fit_to_shape(part, got if got is not None else (), target)
            return part
        if got == ():  # a 0-d array: its element as it is, as `summed` hands it on
            return self.apply("{0}[()]", [part], None, lambda v: v[()])
        if isinstance(got, tuple):
            total = self.apply("{0}.sum()", [part], None, lambda v: v.sum(),
                               emit=lambda: self.program.sum_all(part))
            if self.backend.name == "math" and total.const is None:
                self.checked.append(total)
            return total
        return part

    def fit_to_shape(self, part: Val, got: tuple, shape: tuple) -> Val:
        if got == shape:
            return part
        extra = len(got) - len(shape)
        if extra >= 0:
            if extra:
                axis = tuple(range(extra)) if extra > 1 else 0
                reduced = part
                part = self.apply(f"np.add.reduce({{0}}, axis={axis!r})", [part], got[extra:],
                                  lambda v: np.add.reduce(v, axis=axis),
                                  emit=lambda: self.program.reduce_leading(reduced, axis,
                                                                           got[extra:]))
                got = got[extra:]
            axes = tuple(a for a, size in enumerate(shape) if size == 1 and got[a] != 1)
            if axes:
                part = self.apply(f"np.add.reduce({{0}}, axis={axes!r}, keepdims=True)", [part],
                                  shape, lambda v: np.add.reduce(v, axis=axes, keepdims=True))
                got = shape
            if got == shape:
                return part
        return self.apply(f"np.broadcast_to({{0}}, {shape!r})", [part], shape,
                          lambda v: np.broadcast_to(v, shape), fresh=False,
                          emit=lambda: self.program.broadcast(part, shape))

    def known(self, value: Any) -> Val:
        """A value computed while generating, typed as the code's other values are
        (plain-float code has Python floats, never NumPy scalars)."""
        if self.backend.name == "math" and not isinstance(value, np.ndarray):
            value = float(value)
        return self.program.constant(value, kind_of_value(value))

    def add(self, a: Val, b: Val) -> Val:
        total = self.apply("{0} + {1}", [a, b], broadcast([a.shape, b.shape]),
                           lambda x, y: x + y)
        if self.backend.name == "math" and total.const is None:
            self.checked.append(total)
        return total

    def apply(self, code: str, operands: list[Val], shape: Any, compute, fresh: bool = True,
              emit=None) -> Val:
        """Emit ``code`` (or call ``emit``), or compute it now when every operand is known
        (with the same function, so with the same result)."""
        for operand in operands:
            if operand.const is None:
                break
        else:
            value = fold(compute, [operand.const for operand in operands])
            if value is not None:
                return self.known(value)
        if emit is not None:
            return emit()
        return self.program.emit(code, operands, shape=shape, fresh=fresh)


def fit_gradient(grad: Any, like: Any) -> Any:
    """A rule's contribution summed to its operand's shape, as the interpreter does it.

    Generic generated code calls this (specialised code has the sums written out).

    >>> fit_gradient(np.ones((2, 3)), np.zeros(3))
    array([2., 2., 2.])
    """
    if type(like) is np.ndarray:
        if type(grad) is not np.ndarray or grad.shape != like.shape:
            return fit_to_shape(grad, like.shape)
        return grad
    if type(grad) is np.ndarray:
        return summed(grad)
    return grad


# generic code uses these too; re-exported for the exporter's helper list
GENERIC_HELPERS = (fit_gradient, fit_to_shape, fit_shape, summed, shape_of, root_adjoint)
