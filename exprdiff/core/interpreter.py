"""The interpreter: runs a root's `Plan` forward and in reverse mode.

A forward pass computes each distinct node once; the reverse pass runs the
same plan backwards, calling each operation's local rule only for operands
that lead to a `Parameter`.  Nothing is stored on nodes except the plan.
This module never imports the node classes: it reads what it needs from
their class attributes (see `exprdiff.core.plan`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

from exprdiff.core.errors import explain_failure, missing_value, not_a_parameter
from exprdiff.core.gradient_dict import GradientDict
from exprdiff.core.plan import Execution, Plan, backward_step, execution_plan, plan_for
from exprdiff.core.values import as_value, fit_mask, fit_to_shape, select, shape_of, summed

__all__ = [
    "evaluate", "forward_value", "gradient", "jacobian", "node_gradients", "reverse_pass_steps",
    "root_adjoint", "value_and_gradient", "values_and_adjoints",
]

_NOTHING: Mapping = {}
_FLOAT64 = np.float64
_FLOAT64_DTYPE = np.dtype(np.float64)


def evaluate(root, params: Mapping | None, inputs: Mapping | None, *,
             rewrites: bool = True) -> Any:
    """Value of ``root``, interpreted: a float when scalar, else a float64 array the caller owns.

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
    plan = execution.plan
    values = _forward(execution.graph_of(root), plan, params, inputs, shown=root)
    out = _as_result(values[-1])
    if type(out) is np.ndarray:
        out = _handed_out(out, _callers_arrays(plan, values))
    return out


def forward_value(root, params: Mapping | None, inputs: Mapping | None) -> Any:
    """The root's value as its operation returns it (a tuple for a multi-output node)."""
    execution = execution_plan(root)
    return _forward(execution.graph_of(root), execution.plan, params, inputs, shown=root)[-1]


def gradient(root, params: Mapping | None, inputs: Mapping | None,
             cotangent: Any = None) -> dict:
    """Gradient of the sum of ``root``'s elements (times ``cotangent``) per Parameter in it."""
    return value_and_gradient(root, params, inputs, cotangent, _value=False)[1]


def value_and_gradient(root: Any, params: Mapping | None = None,
                       inputs: Mapping | None = None, cotangent: Any = None, *,
                       rewrites: bool = True, _value: bool = True) -> tuple[Any, dict]:
    """``root``'s value and its gradient dict (as `Node.grad` gives it), from one forward
    pass, interpreted.

    Training needs both; this saves the second forward pass (JAX's
    ``value_and_grad``).  ``cotangent`` (default: ones) weighs the value's
    elements: the gradient is that of ``sum(cotangent * value)``.
    ``rewrites`` as for `evaluate`.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> value_and_gradient(w * w, {w: 3.0}, None)
    (9.0, {Parameter('w'): 6.0})
    """
    execution = _execution(root, rewrites)
    plan, graph = execution.plan, execution.graph_of(root)
    values = _forward(graph, plan, params, inputs, plan.gradient_steps, shown=root)
    out = values[-1]
    steps = plan.backward
    if plan.root_step is not None and plan.root_slots:
        # the root's step is made per call: the plan holds no reference to its root
        steps = [backward_step(plan.size - 1, graph, plan.root_step[2], plan.root_slots), *steps]
    if steps or cotangent is not None:
        grads = _root_adjoint(values, cotangent)
    else:  # nothing to run backwards (a condition's root, say): no root adjoint to make
        grads = [None] * len(values)
        if plan.parameters and plan.parameters[-1][1] is None:  # the root is a Parameter
            grads = _root_adjoint(values)
    if (not _value and type(out) is np.ndarray and plan.root_step is not None
            and not type(graph).vjp_uses_out):
        # `gradient` hands out no value and the root's rules do not read it: released now
        # (its shape stands for it), its memory serves the reverse pass, as in hand-written code
        values[-1] = out.shape
        out = None
    if plan.selects:
        _backpropagate_selected(steps, values, grads, plan.is_operation)
    else:
        _backpropagate(steps, values, grads)
    result = GradientDict()
    taken = None  # the arrays already handed to the caller, made when first needed
    free: set = set()  # gradient views handed out as they are (`_disjoint_views`)
    out = _as_result(out) if _value else None  # `gradient` hands out no value
    for i, node in execution.parameters:
        key = root if node is None else node
        if i is None:  # a rewrite removed it: the expression does not depend on it
            value = as_value(params[key], key)
            result[key] = np.zeros_like(value) if type(value) is np.ndarray else 0.0
            continue
        g = grads[i]
        value = values[i]
        if type(value) is not np.ndarray:
            result[key] = 0.0 if g is None else float(g)
            continue
        if taken is None:
            taken = _callers_arrays(plan, values)
            free = _disjoint_views(grads, plan)
            if type(out) is np.ndarray:
                out = _handed_out(out, taken)
        g = np.zeros_like(value) if g is None else g
        result[key] = _handed_out(g, taken, free)
    if taken is None and type(out) is np.ndarray:
        out = _handed_out(out, _callers_arrays(plan, values))
    return out, result


def _execution(root, rewrites: bool) -> Execution:
    if rewrites:
        return execution_plan(root)
    plan = plan_for(root)
    return Execution(plan, None, plan.parameters)


def jacobian(
    root: Any, params: Mapping | None = None, inputs: Mapping | None = None
) -> dict[Any, Any]:
    """The derivative of every element of ``root``'s value, per `Parameter`: the Jacobian.

    Each entry has the shape of the value followed by the shape of the
    parameter (``value.shape + param.shape``; a float when both are scalars):
    ``J[p][i, j]`` is ``d value[i] / d p[j]``.  It is computed by reverse mode:
    one forward pass, then one reverse pass per element of the value, whose
    cotangent is that row of the identity (what ``jax.jacrev`` computes).  For
    a scalar value it equals `Node.grad`.

    >>> import numpy as np
    >>> from exprdiff import Input, Parameter
    >>> w, x = Parameter("w"), Input("x")
    >>> jacobian(w * x, {w: np.array([1.0, 2.0])}, {x: np.array([3.0, 4.0])})[w]
    array([[3., 0.],
           [0., 4.]])
    """
    execution = execution_plan(root)  # the rewritten graph, as every path runs it
    plan, graph = execution.plan, execution.graph_of(root)
    values = _forward(graph, plan, params, inputs, plan.retaining_steps, shown=root)
    out = values[-1]
    shape = shape_of(out)
    steps = plan.backward
    if plan.root_step is not None and plan.root_slots:
        steps = [backward_step(plan.size - 1, graph, plan.root_step[2], plan.root_slots), *steps]
    rows = {i: np.zeros((int(np.prod(shape)), *shape_of(values[i]))) for i, _ in plan.parameters}
    for k in range(int(np.prod(shape))):
        grads: list = [None] * len(values)
        seed = np.zeros(shape)
        seed.flat[k] = 1.0
        grads[-1] = seed if shape else _FLOAT64(1.0)
        if plan.selects:
            _backpropagate_selected(steps, values, grads, plan.is_operation, keep=True)
        else:
            _backpropagate(steps, values, grads, keep=True)
        for i, _ in plan.parameters:
            if grads[i] is not None:
                rows[i][k] = grads[i]
    result = {}
    for i, node in execution.parameters:
        key = root if node is None else node
        if i is None:  # a rewrite removed it: the value does not depend on it
            full = np.zeros(shape + np.shape(as_value(params[key], key)))
        else:
            full = rows[i].reshape(shape + shape_of(values[i]))
        result[key] = full if full.ndim else float(full)
    return result


def node_gradients(
    root: Any, params: Mapping | None = None, inputs: Mapping | None = None
) -> dict[Any, Any]:
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
    quiet = frozenset(i for i, node in enumerate(nodes) if type(node).leaf_kind == "constant")
    adjoints = _root_adjoint(values)
    steps = _every_slot(root, plan)
    if plan.selects or type(root).selects:
        _backpropagate_selected(steps, values, adjoints, plan.is_operation, quiet=quiet, keep=True)
    else:
        _backpropagate(steps, values, adjoints, quiet=quiet, keep=True)
    results = [_as_result(value) for value in values]
    taken = _callers_arrays(plan, values)
    for i, g in enumerate(adjoints):  # every slot was followed: each node has a gradient
        g = _as_result(g)
        adjoints[i] = _handed_out(g, taken) if type(g) is np.ndarray else g
    return nodes, results, adjoints


def reverse_pass_steps(root, params: Mapping | None, inputs: Mapping | None) -> tuple:
    """``(nodes, values, steps)``: the reverse pass of `values_and_adjoints`, one step at a time.

    ``nodes`` and ``values`` are as there; ``steps`` is an iterator that, each
    time it is advanced, runs one more operation's rules (the root's first,
    then in reverse topological order) and yields ``(i, updates)``: the
    position of that operation and, for each operand it passed a gradient
    to, ``(k, contribution, adjoint)``: operand ``k``, what this step passed
    to it and its adjoint accumulated so far (copies the caller owns).
    Constants get none: nothing needs their gradient.  The forward pass runs
    (and raises its errors) before this returns.

    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> nodes, values, steps = reverse_pass_steps(a * b + 1, {a: 2.0, b: -3.0}, None)
    >>> [str(node) for node in nodes], values
    (['a', 'b', 'a*b', '1', 'a*b + 1'], [2.0, -3.0, -6.0, 1.0, -5.0])
    >>> list(steps)
    [(4, [(2, 1.0, 1.0)]), (2, [(0, -3.0, -3.0), (1, 2.0, 2.0)])]
    """
    plan = plan_for(root)
    nodes = plan.nodes(root)
    values = _forward(root, plan, params, inputs, plan.retaining_steps)
    constant = [type(node).leaf_kind == "constant" for node in nodes]
    steps = [backward_step(i, node, kids, tuple(s for s, k in enumerate(kids) if not constant[k]))
             for i, node, _, kids, _ in _every_slot(root, plan)]
    return nodes, [_as_result(value) for value in values], _one_by_one(steps, values)


def _one_by_one(steps: list, values: list):
    adjoints = _root_adjoint(values)
    scratch: list = [None] * len(values)
    for step in steps:
        i, targets = step[0], step[4]
        scratch[i] = adjoints[i]
        _backpropagate([step], values, scratch, keep=True)  # leaves the contributions
        updates = []
        for k in dict.fromkeys(k for _, k in targets):  # a*a passes twice to one operand
            contribution, scratch[k] = scratch[k], None
            previous = adjoints[k]
            adjoints[k] = contribution if previous is None else previous + contribution
            updates.append((k, _owned(contribution), _owned(adjoints[k])))
        scratch[i] = None
        yield i, updates


def _owned(g: Any) -> Any:
    return _as_result(np.array(g)) if type(g) is np.ndarray else float(g)


def _every_slot(root, plan: Plan) -> list:
    """Reverse-pass steps following every operand slot, the root's first."""
    steps = [backward_step(i, node, kids, tuple(range(len(kids))))
             for i, node, kids in reversed(plan.steps)]
    if plan.root_step is not None:
        kids = plan.root_step[2]
        steps.insert(0, backward_step(plan.size - 1, root, kids, tuple(range(len(kids)))))
    return steps


def _callers_arrays(plan: Plan, values: list) -> set:
    """The ids of the arrays the caller passed in as leaf values: never handed back as results."""
    return {id(values[i]) for i, _ in plan.parameters} | {id(values[i]) for i, _ in plan.inputs}


def _handed_out(array: np.ndarray, taken: set, free: frozenset | set = frozenset()) -> np.ndarray:
    """``array`` itself when nothing else holds it, else a copy; either way recorded in ``taken``.

    A view (of a leaf's value, of a constant, of another result), a read-only
    array (a broadcast or a constant) or an array already handed out (two
    parameters of ``w + v`` get the same gradient object from `Add`) is
    copied, so every array returned is the caller's own; the fresh arrays
    the rules compute, the common case, are returned as they are.
    """
    if id(array) in taken:
        array = array.copy()
    elif id(array) not in free and (
            (array.base is not None and not _sole_view(array)) or not array.flags.writeable):
        array = array.copy()
    taken.add(id(array))
    return array


#: CPython counts references: there a view whose base nothing else holds can be handed out
_COUNTS_REFERENCES = sys.implementation.name == "cpython"


def _sole_view(array: np.ndarray) -> bool:
    """Whether ``array`` is a view of an array that only this view holds (a fresh array the
    rules made and reshaped, say): then it is as much the caller's own as a fresh array."""
    if not _COUNTS_REFERENCES:
        return False
    base = array.base
    # the references: the view's own, ``base`` here and getrefcount's argument
    return type(base) is np.ndarray and base.base is None and sys.getrefcount(base) <= 3


def root_adjoint(out: Any) -> Any:
    """The gradient a reverse pass starts from: ones shaped like the root's value ``out``.

    A float64 scalar for a scalar, not a Python float: every rule then
    computes by NumPy's rules.

    >>> root_adjoint(2.5), root_adjoint(np.zeros(2))
    (np.float64(1.0), array([1., 1.]))
    """
    return np.ones(out.shape) if type(out) is np.ndarray else np.float64(1.0)


def _disjoint_views(grads: list, plan: Plan) -> set:
    """The ids of Parameters' gradients that are views of one fresh array that only they hold,
    no two overlapping (the slices of one gradient that `Concatenate` and `Stack` hand their
    operands): each is then as much the caller's own as a fresh array."""
    if not _COUNTS_REFERENCES:
        return set()
    by_base: dict = {}
    for i, _ in plan.parameters:
        g = grads[i]
        if type(g) is np.ndarray and type(g.base) is np.ndarray and g.base.base is None:
            by_base.setdefault(id(g.base), {})[id(g)] = g
    free: set = set()
    for views in by_base.values():
        if len(views) < 2:
            continue  # one view: `_sole_view` decides
        views = list(views.values())
        base = views[0].base
        # the references: one per view, ``base`` here and getrefcount's argument
        if not base.flags.writeable or sys.getrefcount(base) != len(views) + 2:
            continue
        if any(np.may_share_memory(a, b) for k, a in enumerate(views) for b in views[k + 1:]):
            continue
        free.update(id(view) for view in views)
    return free


def _root_adjoint(values: list, cotangent: Any = None) -> list:
    """The adjoints list of a reverse pass: the root's is ones (or the ``cotangent``,
    summed down to the value's shape where it broadcasts it), the others not yet known."""
    adjoints: list = [None] * len(values)
    out = values[-1]
    if cotangent is None:
        adjoints[-1] = root_adjoint(out)
        return adjoints
    weights = as_value(cotangent, "the cotangent")
    shape = shape_of(out)
    try:
        full = np.broadcast_shapes(np.shape(weights), shape)
    except ValueError:
        raise ValueError(
            f"the cotangent of shape {np.shape(weights)} does not broadcast with the value "
            f"of shape {shape}"
        ) from None
    adjoint = fit_to_shape(np.broadcast_to(weights, full), shape)
    adjoints[-1] = np.array(adjoint, dtype=np.float64) if shape else _FLOAT64(adjoint)
    return adjoints


def _backpropagate(steps: list, values: list, grads: list, *, quiet: frozenset = frozenset(),
                   keep: bool = False) -> None:
    """Reverse-mode accumulation over ``steps`` (see `Plan`); the engine's hot loop.

    Deliberately unrolled (one, two or any operands inline, locals for globals):
    it runs once per operation per call, so every attribute lookup shows.

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
                grad = summed(grad)
            previous = grads[k]
            grads[k] = grad if previous is None else previous + grad


_UNSET = object()  # no gradient has reached the node yet (see _backpropagate_selected)


def _backpropagate_selected(steps: list, values: list, grads: list, is_operation: list, *,
                            quiet: frozenset = frozenset(), keep: bool = False) -> None:
    """`_backpropagate` for plans with an operation that selects among its operands (`Where`).

    Beside each gradient it tracks where the gradient is *selected*: a
    boolean array shaped like the node's value, or None for everywhere.  An
    operand of ``where(c, a, b)`` is selected where the condition picks it
    (`Node.selected`), and an operand of an elementwise operation is selected
    where that operation is (where any of the elements it broadcasts to is);
    every contribution an elementwise operation passes on is zeroed where the
    operation is not selected.  So a branch that is undefined where it is not
    taken (``sqrt(x)`` at ``x < 0`` in ``where(x > 0, sqrt(x), 0)``) contributes
    an exact 0 there instead of ``0 * nan``.  A gradient reaching a node from
    several operations is selected where any of them selects it; a whole-value
    selection (a scalar) also passes through the other operations.
    """
    alive: list = [_UNSET] * len(values)
    ndarray = np.ndarray
    for i, node, _, kids, targets in steps:
        g = grads[i]
        out = values[i]
        mask = alive[i]
        if mask is _UNSET:
            mask = None
        kind = type(node)
        operands = tuple([values[k] for k in kids])
        if not keep:
            grads[i] = values[i] = alive[i] = None
        masked = mask is not None and (kind.elementwise or np.ndim(mask) == 0)
        for slot, k in targets:
            if quiet and k in quiet:
                with np.errstate(all="ignore"):
                    grad = node.partial(slot, g, operands, out)
            else:
                grad = node.partial(slot, g, operands, out)
            if masked:
                grad = select(mask, grad)
            like = values[k]
            if is_operation[k]:
                passed = mask if masked else None
                if kind.selects:
                    chosen = node.selected(slot, operands)
                    if chosen is not None:
                        passed = chosen if passed is None else np.logical_and(passed, chosen)
                if passed is not None:
                    passed = fit_mask(passed, like if type(like) is tuple else shape_of(like))
                previous = alive[k]
                alive[k] = passed if previous is _UNSET else (
                    None if previous is None or passed is None
                    else np.logical_or(previous, passed))
            if type(like) is ndarray:
                if type(grad) is not ndarray or grad.shape != like.shape:
                    grad = fit_to_shape(grad, like.shape)
            elif type(like) is tuple:
                if type(grad) is not ndarray or grad.shape != like:
                    grad = fit_to_shape(grad, like)
            elif type(grad) is ndarray:
                grad = summed(grad)
            previous = grads[k]
            grads[k] = grad if previous is None else previous + grad


def _forward(root, plan: Plan, params: Mapping | None, inputs: Mapping | None,
             steps: list | None = None, shown: Any = None) -> list:
    """Every value of the plan (released ones replaced by their shapes, see `Plan`);
    ``steps`` defaults to ``plan.evaluate_steps``; ``shown`` is the root as the
    user wrote it, named by error messages (default ``root``).

    The forward hot loop, deliberately unrolled like `_backpropagate`.
    """
    shown = root if shown is None else shown
    steps = plan.evaluate_steps if steps is None else steps
    # a plain evaluation reads no value again once released, scalars included; a
    # gradient call keeps scalars, whose shapes (and sums) the reverse pass reads
    release_scalars = steps is plan.evaluate_steps
    params = _NOTHING if params is None else params
    inputs = _NOTHING if inputs is None else inputs
    values = plan.template.copy()  # the constants are already in place
    ndarray = np.ndarray
    for leaves, given, where in ((plan.parameters, params, "params"),
                                 (plan.inputs, inputs, "inputs")):
        for i, node in leaves:
            node = root if node is None else node
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
    # a key the plan never reads is a mistake worth naming (an inner node, say); when
    # the dicts hold exactly the plan's leaves, as they usually do, this costs two len()s
    if len(params) != len(plan.parameters) or len(inputs) != len(plan.inputs):
        _check_keys(params, inputs)
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
                elif release_scalars:
                    values[k] = ()
        if plan.root_step is not None:
            i, node, kids = plan.root_step[0], root, plan.root_step[2]
            values[i] = root.forward(*[values[k] for k in kids])
    except (ValueError, TypeError, IndexError) as error:
        kind = next(k for k in (ValueError, IndexError, TypeError) if isinstance(error, k))
        raise kind(explain_failure(node, [values[k] for k in kids], error)) from error
    return values


def _check_keys(params: Mapping, inputs: Mapping) -> None:
    """Raise `TypeError` for a params key that is a node but not a Parameter, or an
    inputs key that is an operation or a Constant: nothing would ever read its value."""
    for key in params:
        kind = getattr(type(key), "leaf_kind", "parameter")  # non-nodes: the name hints
        if kind != "parameter":
            raise TypeError(not_a_parameter(key, "params"))
    for key in inputs:
        if getattr(type(key), "leaf_kind", "input") not in ("input", "parameter"):
            raise TypeError(not_a_parameter(key, "inputs"))


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
    """A float (a bool for a condition) when scalar, else the array."""
    if type(value) is np.ndarray:
        if value.ndim:
            return value
        value = value[()]
    if type(value) is np.bool_ or type(value) is bool:
        return bool(value)
    return float(value)
