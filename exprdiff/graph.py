"""Evaluation plans: topological order, the forward pass and reverse mode.

The first evaluation of a root puts its distinct nodes in topological order
(iteratively, so graphs of any depth work) and caches that `Plan` on the root.
A forward pass computes each distinct node once; the reverse pass runs the
same plan backwards, calling each operation's local rule only for operands
that lead to a `Parameter`.  Nothing here is stored on nodes except the plan,
and the plan holds no reference to its root, so caching creates no cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from exprdiff.errors import MissingValueError
from exprdiff.values import as_value, shape_of

__all__ = [
    "Plan", "evaluate", "gradient", "node_gradients", "plan_for", "topological_order",
    "value_and_gradient", "values_and_adjoints",
]

_NOTHING: Mapping = {}
_FLOAT64 = np.float64


def topological_order(root) -> list:
    """The distinct nodes under ``root``, every node after its operands.

    Iterative depth-first search: no recursion, whatever the depth.

    >>> from exprdiff import Parameter
    >>> a = Parameter("a")
    >>> [str(node) for node in topological_order(a * a + a)]
    ['a', 'a*a', 'a*a + a']
    """
    order: list = []
    seen: set = set()
    stack: list = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        if operands_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children) if child not in seen)
    return order


class Plan:
    """The topological plan of one root, built once and reused for every call.

    ``steps`` lists ``(index, node, operand_indices)`` for the operations below
    the root; the root's own step has ``node=None`` (the caller supplies the
    root) so that caching the plan on the root makes no reference cycle.
    """

    __slots__ = ("_order", "size", "constants", "parameters", "inputs", "steps", "root_step",
                 "backward_steps", "root_slots", "template")

    def __init__(self, root) -> None:
        from exprdiff.nodes import Constant, Input, Parameter

        order = topological_order(root)
        index = {node: i for i, node in enumerate(order)}
        operands = [tuple(index[child] for child in node.children) for node in order]
        needs_grad = [isinstance(node, Parameter) for node in order]
        for i, kids in enumerate(operands):
            needs_grad[i] = needs_grad[i] or any(needs_grad[k] for k in kids)
        order[-1] = None  # stands for the root, supplied by the caller

        self._order = order
        self.size = len(order)
        self.constants = [(i, n.value) for i, n in enumerate(order) if isinstance(n, Constant)]
        self.parameters = [(i, n) for i, n in enumerate(order) if isinstance(n, Parameter)]
        self.inputs = [(i, n) for i, n in enumerate(order) if isinstance(n, Input)]
        if not operands[-1]:  # the root is a leaf
            kind = {Constant: self.constants, Parameter: self.parameters, Input: self.inputs}
            for leaf_type, entries in kind.items():
                if isinstance(root, leaf_type):
                    entries.append((0, root.value if leaf_type is Constant else None))
        steps = [(i, n, operands[i]) for i, n in enumerate(order) if operands[i]]
        self.root_step = steps.pop() if operands[-1] else None
        self.steps = steps
        # reverse mode visits only operations that lead to a Parameter, and
        # within them only the operand slots that do
        self.backward_steps = [
            (i, node, kids, tuple(s for s, k in enumerate(kids) if needs_grad[k]))
            for i, node, kids in reversed(steps)
            if needs_grad[i]
        ]
        self.root_slots = ()
        if self.root_step is not None:
            kids = self.root_step[2]
            self.root_slots = tuple(s for s, k in enumerate(kids) if needs_grad[k])
        self.template = [None] * self.size  # a fresh values list starts as a copy
        for i, value in self.constants:
            self.template[i] = np.float64(value) if type(value) is float else value

    def nodes(self, root) -> list:
        """All distinct nodes of ``root`` in topological order, the root last."""
        return self._order[:-1] + [root]


def plan_for(root) -> Plan:
    """The cached plan of ``root``, built on first use.

    Concurrent first calls may each build a plan; they are equal and the
    last one stays, so this is safe without a lock.
    """
    plan = root._plan
    if plan is None:
        plan = Plan(root)
        object.__setattr__(root, "_plan", plan)
    return plan


def evaluate(root, params: Mapping | None, inputs: Mapping | None) -> Any:
    """Value of ``root``: a float when scalar, else a float64 array."""
    values = _forward(root, plan_for(root), params, inputs)
    return _as_result(values[-1])


def gradient(root, params: Mapping | None, inputs: Mapping | None) -> dict:
    """Gradient of the sum of ``root``'s elements for every Parameter in it."""
    return value_and_gradient(root, params, inputs)[1]


def value_and_gradient(root, params: Mapping | None, inputs: Mapping | None) -> tuple[Any, dict]:
    """``root``'s value and its `gradient`, from one forward pass.

    Training needs both; this saves the second forward pass.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> value_and_gradient(w * w, {w: 3.0}, None)
    (9.0, {Parameter('w'): 6.0})
    """
    plan = plan_for(root)
    values = _forward(root, plan, params, inputs)
    steps = plan.backward_steps
    if plan.root_step is not None:
        steps = [(plan.size - 1, root, plan.root_step[2], plan.root_slots), *steps]
    grads = _reverse(steps, values)
    result = {}
    for i, node in plan.parameters:
        g = grads[i]
        value = values[i]
        if type(value) is not np.ndarray:
            result[node or root] = 0.0 if g is None else float(g)
        elif g is None:
            result[node or root] = np.zeros_like(value)
        else:
            result[node or root] = g if g.flags.writeable else np.array(g)
    return _as_result(values[-1]), result


def node_gradients(root, params: Mapping | None = None, inputs: Mapping | None = None) -> dict:
    """The derivative of the sum of ``root``'s elements with respect to every node under it.

    Returns a new dict mapping each distinct node (operations, Parameters,
    Inputs and Constants alike) to its adjoint, shaped like that node's value
    (a float for a scalar): the "grad" of the tutorials' computation-graph
    boxes.  Where the derivative with respect to a Constant does not exist as
    a real number (the exponent 2 in ``x**2`` at ``x < 0``) its entry is nan;
    no warning is raised for Constants, since nothing is differentiated with
    respect to them in `Node.grad`.

    >>> from exprdiff import Input, Parameter
    >>> a, x = Parameter("a"), Input("x")
    >>> product = a * x
    >>> node_gradients(product + a, {a: 2.0}, {x: 3.0})[product]
    1.0
    >>> node_gradients(product + a, {a: 2.0}, {x: 3.0})[x]
    2.0
    """
    nodes, values, adjoints = values_and_adjoints(root, params, inputs)
    return dict(zip(nodes, adjoints, strict=True))


def values_and_adjoints(root, params: Mapping | None, inputs: Mapping | None) -> tuple:
    """``(nodes, values, adjoints)``: three lists in topological order, the root last.

    The forward pass and the reverse pass of `node_gradients`, with every
    operand slot of every operation followed (not only those leading to a
    Parameter); values are floats or float64 arrays.
    """
    from exprdiff.nodes import Constant

    plan = plan_for(root)
    nodes = plan.nodes(root)
    values = _forward(root, plan, params, inputs)
    steps = [(i, node, kids, tuple(range(len(kids))))
             for i, node, kids in reversed(plan.steps)]
    if plan.root_step is not None:
        kids = plan.root_step[2]
        steps.insert(0, (plan.size - 1, root, kids, tuple(range(len(kids)))))
    quiet = frozenset(i for i, node in enumerate(nodes) if isinstance(node, Constant))
    adjoints = _reverse(steps, values, quiet)
    results = [_as_result(value) for value in values]
    for i, g in enumerate(adjoints):  # every slot was followed: each node has a gradient
        if type(g) is np.ndarray and not g.flags.writeable:  # a broadcast view
            g = np.array(g)
        adjoints[i] = _as_result(g)
    return nodes, results, adjoints


def _reverse(steps: list, values: list, quiet: frozenset = frozenset()) -> list:
    """Reverse-mode accumulation over ``steps`` ``(index, node, operand indices, slots)``.

    Returns the adjoint of each plan position (None where nothing flowed).
    Contributions to the positions in ``quiet`` are computed without
    floating-point warnings.
    """
    grads: list = [None] * len(values)
    out = values[-1]
    grads[-1] = np.ones(out.shape) if type(out) is np.ndarray else 1.0
    ndarray = np.ndarray
    for i, node, kids, slots in steps:
        g = grads[i]
        if len(kids) == 2:  # spelled out: a comprehension costs a call per step
            operands = (values[kids[0]], values[kids[1]])
        elif len(kids) == 1:
            operands = (values[kids[0]],)
        else:
            operands = tuple([values[k] for k in kids])
        out = values[i]
        partial = node.partial
        for slot in slots:
            k = kids[slot]
            if quiet and k in quiet:
                with np.errstate(all="ignore"):
                    contribution = partial(slot, g, operands, out)
            else:
                contribution = partial(slot, g, operands, out)
            value = values[k]
            # fast path: the rule already gave the operand's own type and shape
            if type(contribution) is not type(value) or (
                type(value) is ndarray and contribution.shape != value.shape
            ):
                contribution = _fit_shape(contribution, value)
            previous = grads[k]
            grads[k] = contribution if previous is None else previous + contribution
    return grads


def _forward(root, plan: Plan, params: Mapping | None, inputs: Mapping | None) -> list:
    params = _NOTHING if params is None else params
    inputs = _NOTHING if inputs is None else inputs
    values = plan.template.copy()  # the constants are already in place
    for source, where, leaves in ((params, "params", plan.parameters),
                                  (inputs, "inputs", plan.inputs)):
        for i, node in leaves:
            try:
                value = source[node or root]
            except KeyError:
                raise _missing(node or root, where, root, params, inputs) from None
            except TypeError:  # not a mapping at all
                raise TypeError(
                    f"{where} must be a dict keyed by nodes, got {type(source).__name__}"
                ) from None
            if type(value) is not float and (
                type(value) is not np.ndarray or value.dtype != _FLOAT64 or not value.ndim
            ):
                value = as_value(value, node or root)  # a float or a float64 array
            # scalars enter as np.float64 so that they follow NumPy's rules as arrays
            # do (1/0 is inf with a warning, not a ZeroDivisionError)
            values[i] = _FLOAT64(value) if type(value) is float else value
    step = None
    try:
        for step in plan.steps:
            i, node, kids = step
            if len(kids) == 2:  # spelled out: a comprehension costs a call per step
                values[i] = node.forward(values[kids[0]], values[kids[1]])
            elif len(kids) == 1:
                values[i] = node.forward(values[kids[0]])
            else:
                values[i] = node.forward(*[values[k] for k in kids])
        if plan.root_step is not None:
            step = plan.root_step
            i, _, kids = step
            values[i] = root.forward(*[values[k] for k in kids])
    except (ValueError, TypeError) as error:
        node = step[1] or root
        kind = ValueError if isinstance(error, ValueError) else TypeError
        raise kind(_explain(node, [values[k] for k in step[2]], error)) from error
    return values


def _as_result(value: Any) -> Any:
    if type(value) is np.ndarray:
        return value if value.ndim else float(value)
    return float(value)


def _fit_shape(grad: Any, like: Any) -> Any:
    """Sum a broadcast gradient back down to the shape of its operand."""
    if type(like) is not np.ndarray:  # a scalar operand (0-d values are floats)
        return grad.sum() if type(grad) is np.ndarray else grad
    shape = like.shape
    grad_shape = shape_of(grad)
    if grad_shape == shape:
        return grad
    extra = len(grad_shape) - len(shape)
    if extra >= 0:
        if extra:
            grad = np.sum(grad, axis=tuple(range(extra)))
        axes = tuple(a for a, size in enumerate(shape) if size == 1 and grad.shape[a] != 1)
        if axes:
            grad = np.sum(grad, axis=axes, keepdims=True)
        if grad.shape == shape:
            return grad
    return np.broadcast_to(grad, shape)


def _missing(node, where: str, root, params: Mapping, inputs: Mapping) -> MissingValueError:
    from exprdiff.printing import to_str

    user = next(
        (parent for parent in topological_order(root) if node in parent.children), None
    )
    place = f" (used in {to_str(user, limit=60)})" if user is not None else ""
    given = params if where == "params" else inputs
    supplied = ", ".join(sorted(_key_label(key) for key in given))
    message = (
        f"no value for {type(node).__name__} {to_str(node)!r}{place}; "
        f"{where} supplied: {{{supplied}}}"
    )
    other, other_name = (inputs, "inputs") if where == "params" else (params, "params")
    if node in other:
        message += f". It was found in {other_name}: {type(node).__name__}s are read from {where}"
    elif any(key == to_str(node) for key in list(params) + list(inputs)):
        message += ". The dicts are keyed by the nodes themselves, not by their names"
    return MissingValueError(message, node)


def _key_label(key: object) -> str:
    from exprdiff.printing import to_str

    return to_str(key) if hasattr(key, "children") else repr(key)


def _explain(node, operands: list, error: Exception) -> str:
    from exprdiff.printing import to_str

    shapes = [shape_of(value) for value in operands]
    what = f"{type(node).__name__} ({to_str(node, limit=60)})"
    if isinstance(error, ValueError) and len(shapes) == 2:
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            return f"{what}: operand shapes {shapes[0]} and {shapes[1]} do not broadcast"
    return f"{what}: {error}"
