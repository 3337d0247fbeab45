"""The interpreter: runs a root's `Plan` forward and in reverse mode.

A forward pass computes each distinct node once; the reverse pass runs the
same plan backwards, calling each operation's local rule only for operands
that lead to a `Parameter`.  Nothing is stored on nodes except the plan.
This module never imports the node classes: it reads what it needs from
their class attributes (see `exprdiff.core.plan`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from exprdiff.core.errors import explain_failure, missing_value
from exprdiff.core.plan import Execution, Plan, backward_step, execution_plan, plan_for
from exprdiff.core.values import as_value, fit_to_shape

__all__ = [
    "evaluate", "forward_value", "gradient", "node_gradients", "root_adjoint",
    "value_and_gradient", "values_and_adjoints",
]

_NOTHING: Mapping = {}
_FLOAT64 = np.float64
_FLOAT64_DTYPE = np.dtype(np.float64)


def evaluate(root, params: Mapping | None, inputs: Mapping | None, *,
             rewrites: bool = True) -> Any:
    """Value of ``root``, interpreted: a float when scalar, else a float64 array.

    Runs the plan of the rewritten graph (`exprdiff.core.plan.execution_plan`),
    as every path does; `exprdiff.lowering.dispatch` calls this when it does
    not run compiled code.  ``rewrites=False`` runs the graph as written
    instead (for comparing with the rewritten one).

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> evaluate(w * w, {w: 3.0}, None)
    9.0
    """
    execution = _execution(root, rewrites)
    values = _forward(execution.graph or root, execution.plan, params, inputs, shown=root)
    return _as_result(values[-1])


def forward_value(root, params: Mapping | None, inputs: Mapping | None) -> Any:
    """The root's value as its operation returns it (a tuple for a multi-output node)."""
    execution = execution_plan(root)
    return _forward(execution.graph or root, execution.plan, params, inputs, shown=root)[-1]


def gradient(root, params: Mapping | None, inputs: Mapping | None) -> dict:
    """Gradient of the sum of ``root``'s elements for every Parameter in it."""
    return value_and_gradient(root, params, inputs)[1]


def value_and_gradient(root, params: Mapping | None, inputs: Mapping | None, *,
                       rewrites: bool = True) -> tuple[Any, dict]:
    """``root``'s value and its `gradient`, from one forward pass, interpreted.

    Training needs both; this saves the second forward pass.  ``rewrites``
    as for `evaluate`.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> value_and_gradient(w * w, {w: 3.0}, None)
    (9.0, {Parameter('w'): 6.0})
    """
    execution = _execution(root, rewrites)
    plan, graph = execution.plan, execution.graph or root
    values = _forward(graph, plan, params, inputs, plan.gradient_steps, shown=root)
    out = values[-1]
    grads = _root_adjoint(values)
    if plan.root_step is not None and plan.root_slots:
        # the root's step is made per call: the plan holds no reference to its root
        _backpropagate([backward_step(plan.size - 1, graph, plan.root_step[2], plan.root_slots)],
                       values, grads)
    _backpropagate(plan.backward, values, grads)
    result = {}
    for i, node in execution.parameters:
        key = node or root
        if i is None:  # a rewrite removed it: the expression does not depend on it
            value = as_value(params[key], key)
            result[key] = np.zeros_like(value) if type(value) is np.ndarray else 0.0
            continue
        g = grads[i]
        value = values[i]
        if type(value) is not np.ndarray:
            result[key] = 0.0 if g is None else float(g)
        elif g is None:
            result[key] = np.zeros_like(value)
        else:
            result[key] = g if g.flags.writeable else np.array(g)
    return _as_result(out), result


def _execution(root, rewrites: bool) -> Execution:
    if rewrites:
        return execution_plan(root)
    plan = plan_for(root)
    return Execution(plan, None, plan.parameters)


def node_gradients(root, params: Mapping | None = None, inputs: Mapping | None = None) -> dict:
    """The derivative of the sum of ``root``'s elements with respect to every node under it.

    Returns a new dict mapping each distinct node (operations, Parameters,
    Inputs and Constants alike) to its adjoint, shaped like that node's value
    (a float for a scalar): the "grad" of the tutorials' computation-graph
    boxes.  It runs the graph as written, without the plan-time rewrites
    (which may fuse or merge the very nodes it reports on).  Where the
    derivative with respect to a Constant does not exist as a real number
    (the exponent 2 in ``x**2`` at ``x < 0``) its entry is nan; no warning
    is raised for Constants, since nothing is differentiated with respect to
    them in `Node.grad`.

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
    plan = plan_for(root)
    nodes = plan.nodes(root)
    values = _forward(root, plan, params, inputs, plan.retaining_steps)
    steps = [backward_step(i, node, kids, tuple(range(len(kids))))
             for i, node, kids in reversed(plan.steps)]
    if plan.root_step is not None:
        kids = plan.root_step[2]
        steps.insert(0, backward_step(plan.size - 1, root, kids, tuple(range(len(kids)))))
    quiet = frozenset(i for i, node in enumerate(nodes) if type(node).leaf_kind == "constant")
    adjoints = _root_adjoint(values)
    _backpropagate(steps, values, adjoints, quiet=quiet, keep=True)
    results = [_as_result(value) for value in values]
    for i, g in enumerate(adjoints):  # every slot was followed: each node has a gradient
        if type(g) is np.ndarray and not g.flags.writeable:  # a broadcast view
            g = np.array(g)
        adjoints[i] = _as_result(g)
    return nodes, results, adjoints


def root_adjoint(out: Any) -> Any:
    """The gradient a reverse pass starts from: ones shaped like the root's value ``out``.

    >>> root_adjoint(2.5), root_adjoint(np.zeros(2))
    (1.0, array([1., 1.]))
    """
    return np.ones(out.shape) if type(out) is np.ndarray else 1.0


def _root_adjoint(values: list) -> list:
    """The adjoints list of a reverse pass: the root's is ones, the others not yet known."""
    adjoints: list = [None] * len(values)
    adjoints[-1] = root_adjoint(values[-1])
    return adjoints


def _backpropagate(steps: list, values: list, grads: list, *, quiet: frozenset = frozenset(),
                   keep: bool = False) -> None:
    """Reverse-mode accumulation over ``steps`` (see `Plan`); the engine's hot loop.

    Contributions to the positions in ``quiet`` are computed without
    floating-point warnings.  Unless ``keep``, each operation's value and
    gradient are dropped once used.
    """
    ndarray = np.ndarray
    for i, node, form, kids, targets in steps:
        g = grads[i]
        out = values[i]
        if not keep:
            # neither is read again (operands come earlier in the order, and are
            # visited later): freeing them keeps the memory in use, and the page
            # faults of fresh allocations, as low as a hand-written backward pass
            grads[i] = values[i] = None
        if form == 2:
            a, b = values[kids[0]], values[kids[1]]
        elif form == 1:
            a = values[kids[0]]
        else:
            operands = tuple([values[k] for k in kids])
        for slot, k in targets:
            if quiet and k in quiet:
                with np.errstate(all="ignore"):
                    grad = node.partial(slot, g, tuple([values[j] for j in kids]), out)
            elif form == 2:
                if slot:
                    grad = node.vjp_rhs(g, a, b, out)
                else:
                    grad = node.vjp_lhs(g, a, b, out)
            elif form == 1:
                grad = node.vjp(g, a, out)
            else:
                grad = node.partial(slot, g, operands, out)
            like = values[k]
            if type(like) is ndarray:
                if type(grad) is not ndarray or grad.shape != like.shape:
                    grad = fit_to_shape(grad, like.shape)
            elif type(like) is tuple:  # a released array: its shape
                if type(grad) is not ndarray or grad.shape != like:
                    grad = fit_to_shape(grad, like)
            elif type(grad) is ndarray:
                grad = grad.sum()
            previous = grads[k]
            grads[k] = grad if previous is None else previous + grad


def _forward(root, plan: Plan, params: Mapping | None, inputs: Mapping | None,
             steps: list | None = None, shown: Any = None) -> list:
    """Every value of the plan (released ones replaced by their shapes, see `Plan`);
    ``steps`` defaults to ``plan.evaluate_steps``; ``shown`` is the root as the
    user wrote it, named by error messages (default ``root``)."""
    shown = root if shown is None else shown
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
                value = _read(given, node, where, shown, params, inputs)
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
        raise kind(explain_failure(node, [values[k] for k in kids], error)) from error
    return values


def _read(mapping: Mapping, node, where: str, root, params, inputs) -> Any:
    """The slow path of reading a leaf's value: raise the error that explains a failure."""
    try:
        return mapping[node]
    except KeyError:
        raise missing_value(node, where, root, params, inputs) from None
    except TypeError:  # not a mapping at all
        raise TypeError(
            f"{where} must be a dict keyed by nodes, got {type(mapping).__name__}"
        ) from None


def _as_result(value: Any) -> Any:
    if type(value) is np.ndarray:
        return value if value.ndim else float(value)
    return float(value)
