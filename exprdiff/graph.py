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
    "Plan", "evaluate", "gradient", "node_gradients", "nodes_leading_to", "plan_for",
    "topological_order", "value_and_gradient", "values_and_adjoints",
]

_NOTHING: Mapping = {}
_FLOAT64 = np.float64
_FLOAT64_DTYPE = np.dtype(np.float64)


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


def nodes_leading_to(order: list, targets: set) -> set:
    """The nodes of ``order`` (topological) that are in ``targets`` or depend on one.

    >>> from exprdiff import Input, Parameter
    >>> w, x = Parameter("w"), Input("x")
    >>> expr = w * x + x
    >>> sorted(str(node) for node in nodes_leading_to(topological_order(expr), {w}))
    ['w', 'w*x', 'w*x + x']
    """
    leads: set = set()
    for node in order:
        if node in targets or any(child in leads for child in node.children):
            leads.add(node)
    return leads


class Plan:
    """The topological plan of one root, built once and reused for every call.

    ``steps`` lists ``(index, node, operand_indices)`` for the operations below
    the root; the root's own step has ``node=None`` (the caller supplies the
    root) so that caching the plan on the root makes no reference cycle.
    ``backward`` lists, in reverse order, the operations that lead to a
    Parameter as ``(index, node, kind, operand_indices, targets)``: ``targets``
    are the ``(slot, operand_index)`` pairs whose gradient is needed, and
    ``kind`` says how to call the rules (1 and 2: ``backward`` or
    ``backward_lhs/rhs`` directly; 0: through ``partial``, for an operation
    that overrides it).  ``evaluate_steps`` and ``gradient_steps`` are
    ``steps`` with, for each, the values to release once it has run (see
    ``backward_uses_out`` on `exprdiff.nodes.Node`); ``retaining_steps``
    releases nothing, for callers that return every value.
    """

    __slots__ = ("_order", "size", "template", "constants", "parameters", "inputs", "steps",
                 "root_step", "root_slots", "backward", "evaluate_steps",
                 "gradient_steps", "retaining_steps")

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
        self.template = [None] * self.size  # a fresh values list starts as a copy
        for i, value in self.constants:
            self.template[i] = _FLOAT64(value) if type(value) is float else value
        steps = [(i, n, operands[i]) for i, n in enumerate(order) if operands[i]]
        self.root_step = steps.pop() if operands[-1] else None
        self.steps = steps
        # reverse mode visits only operations that lead to a Parameter, and
        # within them only the operand slots that do
        self.backward = [
            _backward_step(i, node, kids, tuple(s for s, k in enumerate(kids) if needs_grad[k]))
            for i, node, kids in reversed(steps)
            if needs_grad[i]
        ]
        self.root_slots = ()
        if self.root_step is not None:
            kids = self.root_step[2]
            self.root_slots = tuple(s for s, k in enumerate(kids) if needs_grad[k])
        # An operation's value is released (replaced by its shape) once the
        # last operation reading it has run, unless a derivative rule reads it
        # later: evaluating keeps no more arrays alive than hand-written code.
        read_later = [False] * self.size
        for i, node, kind, kids, _ in self.backward:
            read_later[i] = read_later[i] or kind == 0 or type(node).backward_uses_out
            if kind == 0 or type(node).backward_uses_operands:
                for k in kids:
                    read_later[k] = True
        if self.root_step is not None and (
            type(root).backward_uses_operands or _rule_kind(root) == 0
        ):
            for k in self.root_step[2]:
                read_later[k] = True
        last_use = [-1] * self.size
        for i, kids in enumerate(operands):
            for k in kids:
                last_use[k] = i  # the root's own step releases nothing: it is the last
        evaluate_release: list[list] = [[] for _ in range(self.size)]
        gradient_release: list[list] = [[] for _ in range(self.size)]
        for k, i in enumerate(last_use):
            if i >= 0 and operands[k]:  # operations only: leaves' values belong to the caller
                evaluate_release[i].append(k)
                if not read_later[k]:
                    gradient_release[i].append(k)
        self.evaluate_steps = [(i, n, kids, tuple(evaluate_release[i])) for i, n, kids in steps]
        self.gradient_steps = [(i, n, kids, tuple(gradient_release[i])) for i, n, kids in steps]
        self.retaining_steps = [(i, n, kids, ()) for i, n, kids in steps]

    def nodes(self, root) -> list:
        """All distinct nodes of ``root`` in topological order, the root last."""
        return self._order[:-1] + [root]


def _rule_kind(node) -> int:
    partial = type(node).partial
    return 1 if partial is UnaryOp.partial else 2 if partial is BinaryOp.partial else 0


def _backward_step(i: int, node, kids: tuple, slots: tuple) -> tuple:
    return (i, node, _rule_kind(node), kids, tuple((slot, kids[slot]) for slot in slots))


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
    plan = plan_for(root)
    values = _forward(root, plan, params, inputs)
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
    values = _forward(root, plan, params, inputs, plan.gradient_steps)
    out = values[-1]
    grads = _root_adjoint(values)
    if plan.root_step is not None and plan.root_slots:
        # the root's step is made per call: the plan holds no reference to its root
        _backpropagate([_backward_step(plan.size - 1, root, plan.root_step[2], plan.root_slots)],
                       values, grads)
    _backpropagate(plan.backward, values, grads)
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
    return _as_result(out), result


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
    values = _forward(root, plan, params, inputs, plan.retaining_steps)
    steps = [_backward_step(i, node, kids, tuple(range(len(kids))))
             for i, node, kids in reversed(plan.steps)]
    if plan.root_step is not None:
        kids = plan.root_step[2]
        steps.insert(0, _backward_step(plan.size - 1, root, kids, tuple(range(len(kids)))))
    quiet = frozenset(i for i, node in enumerate(nodes) if isinstance(node, Constant))
    adjoints = _root_adjoint(values)
    _backpropagate(steps, values, adjoints, quiet=quiet, keep=True)
    results = [_as_result(value) for value in values]
    for i, g in enumerate(adjoints):  # every slot was followed: each node has a gradient
        if type(g) is np.ndarray and not g.flags.writeable:  # a broadcast view
            g = np.array(g)
        adjoints[i] = _as_result(g)
    return nodes, results, adjoints


def _root_adjoint(values: list) -> list:
    """The adjoints list of a reverse pass: the root's is ones, the others not yet known."""
    adjoints: list = [None] * len(values)
    out = values[-1]
    adjoints[-1] = np.ones(out.shape) if type(out) is np.ndarray else 1.0
    return adjoints


def _backpropagate(steps: list, values: list, grads: list, *, quiet: frozenset = frozenset(),
                   keep: bool = False) -> None:
    """Reverse-mode accumulation over ``steps`` (see `Plan`); the engine's hot loop.

    Contributions to the positions in ``quiet`` are computed without
    floating-point warnings.  Unless ``keep``, each operation's value and
    gradient are dropped once used.
    """
    ndarray = np.ndarray
    for i, node, kind, kids, targets in steps:
        g = grads[i]
        out = values[i]
        if not keep:
            # neither is read again (operands come earlier in the order, and are
            # visited later): freeing them keeps the memory in use, and the page
            # faults of fresh allocations, as low as a hand-written backward pass
            grads[i] = values[i] = None
        if kind == 2:
            a, b = values[kids[0]], values[kids[1]]
        elif kind == 1:
            a = values[kids[0]]
        else:
            operands = tuple([values[k] for k in kids])
        for slot, k in targets:
            if quiet and k in quiet:
                with np.errstate(all="ignore"):
                    grad = node.partial(slot, g, tuple([values[j] for j in kids]), out)
            elif kind == 2:
                if slot:
                    grad = node.backward_rhs(g, a, b, out)
                else:
                    grad = node.backward_lhs(g, a, b, out)
            elif kind == 1:
                grad = node.backward(g, a, out)
            else:
                grad = node.partial(slot, g, operands, out)
            like = values[k]
            if type(like) is ndarray:
                if type(grad) is not ndarray or grad.shape != like.shape:
                    grad = _fit_to_shape(grad, like.shape)
            elif type(like) is tuple:  # a released array: its shape
                if type(grad) is not ndarray or grad.shape != like:
                    grad = _fit_to_shape(grad, like)
            elif type(grad) is ndarray:
                grad = grad.sum()
            previous = grads[k]
            grads[k] = grad if previous is None else previous + grad


def _forward(root, plan: Plan, params: Mapping | None, inputs: Mapping | None,
             steps: list | None = None) -> list:
    """Every value of the plan (released ones replaced by their shapes, see `Plan`);
    ``steps`` defaults to ``plan.evaluate_steps``."""
    steps = plan.evaluate_steps if steps is None else steps
    params = _NOTHING if params is None else params
    inputs = _NOTHING if inputs is None else inputs
    values = plan.template.copy()  # the constants are already in place
    ndarray = np.ndarray
    for leaves, given, where in ((plan.parameters, params, "params"),
                                 (plan.inputs, inputs, "inputs")):
        for i, node in leaves:
            node = node or root
            try:
                value = given[node]
            except (KeyError, TypeError):
                value = _read(given, node, where, root, params, inputs)
            if type(value) is not float and (
                type(value) is not ndarray or value.dtype is not _FLOAT64_DTYPE or not value.ndim
            ):
                value = as_value(value, node)  # a float or a float64 array
            # scalars enter as np.float64 so that they follow NumPy's rules as arrays
            # do (1/0 is inf with a warning, not a ZeroDivisionError)
            values[i] = _FLOAT64(value) if type(value) is float else value
    node, kids = None, ()
    try:
        for i, node, kids, release in steps:
            if len(kids) == 2:
                values[i] = node.forward(values[kids[0]], values[kids[1]])
            elif len(kids) == 1:
                values[i] = node.forward(values[kids[0]])
            else:
                values[i] = node.forward(*[values[k] for k in kids])
            for k in release:
                value = values[k]
                if type(value) is ndarray:
                    values[k] = value.shape  # all that fitting a gradient to it needs
        if plan.root_step is not None:
            i, node, kids = plan.root_step[0], root, plan.root_step[2]
            values[i] = root.forward(*[values[k] for k in kids])
    except (ValueError, TypeError) as error:
        kind = ValueError if isinstance(error, ValueError) else TypeError
        raise kind(_explain(node, [values[k] for k in kids], error)) from error
    return values


def _read(mapping: Mapping, node, where: str, root, params, inputs) -> Any:
    """The slow path of reading a leaf's value: raise the error that explains a failure."""
    try:
        return mapping[node]
    except KeyError:
        raise _missing(node, where, root, params, inputs) from None
    except TypeError:  # not a mapping at all
        raise TypeError(
            f"{where} must be a dict keyed by nodes, got {type(mapping).__name__}"
        ) from None


def _as_result(value: Any) -> Any:
    if type(value) is np.ndarray:
        return value if value.ndim else float(value)
    return float(value)


def _fit_shape(grad: Any, like: Any) -> Any:
    """Sum a broadcast gradient back down to the shape of its operand's value ``like``."""
    if type(like) is not np.ndarray:  # a scalar operand (0-d values are scalars)
        return grad.sum() if type(grad) is np.ndarray else grad
    return _fit_to_shape(grad, like.shape)


def _fit_to_shape(grad: Any, shape: tuple) -> Any:
    """Sum a broadcast gradient back down to an array operand's ``shape``."""
    grad_shape = shape_of(grad)
    if grad_shape == shape:
        return grad
    extra = len(grad_shape) - len(shape)
    if extra >= 0:
        if extra:
            grad = np.add.reduce(grad, axis=tuple(range(extra)) if extra > 1 else 0)
        axes = tuple(a for a, size in enumerate(shape) if size == 1 and grad.shape[a] != 1)
        if axes:
            grad = np.add.reduce(grad, axis=axes, keepdims=True)
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
    if isinstance(error, ValueError) and len(shapes) == 2 and node.elementwise:
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            return f"{what}: operand shapes {shapes[0]} and {shapes[1]} do not broadcast"
    return f"{what}: {error}"


# Imported last, as nodes.py imports this module at its end: both orders work.
from exprdiff.nodes import BinaryOp, UnaryOp  # noqa: E402
