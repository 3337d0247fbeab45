"""Evaluation plans: the distinct nodes of a root in topological order, built once.

The first evaluation of a root puts its distinct nodes in topological order
(iteratively, so graphs of any depth work) and caches that `Plan` on the
root; `exprdiff.core.interpreter` runs it.  The plan holds no reference to
its root, so caching creates no cycle.  This module reads nodes only through
their own class attributes (``leaf_kind``, ``vjp_form``, ``vjp_uses_out``,
``vjp_uses_operands``) and never imports the node classes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "Execution", "Plan", "backward_step", "execution_plan", "nodes_leading_to", "plan_for",
    "topological_order",
]

_FLOAT64 = np.float64


def topological_order(root: Any) -> list:
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


def backward_step(i: int, node: Any, kids: tuple, slots: tuple) -> tuple:
    """One reverse-pass step: ``(index, node, vjp_form, operand_indices, targets)``.

    ``targets`` are the ``(slot, operand_index)`` pairs whose gradient is
    wanted; ``vjp_form`` says how the node's rules are called (see `Plan`).
    """
    return (i, node, type(node).vjp_form, kids, tuple((slot, kids[slot]) for slot in slots))


class Plan:
    """The topological plan of one root, built once and reused for every call.

    ``steps`` lists ``(index, node, operand_indices)`` for the operations below
    the root; the root's own step has ``node=None`` (the caller supplies the
    root) so that caching the plan on the root makes no reference cycle.
    ``backward`` lists, in reverse order, the operations that lead to a
    Parameter as `backward_step` tuples; their ``vjp_form`` is 1 or 2 when
    ``vjp`` or ``vjp_lhs``/``vjp_rhs`` are called directly, 0 when the
    operation overrides ``partial``.  ``evaluate_steps`` and
    ``gradient_steps`` are ``steps`` with, for each, the values to release
    once it has run (see ``vjp_uses_out`` on `exprdiff.core.nodes.Node`);
    ``retaining_steps`` releases nothing, for callers that return every value.
    """

    __slots__ = ("_order", "size", "template", "constants", "parameters", "inputs", "steps",
                 "root_step", "root_slots", "backward", "evaluate_steps",
                 "gradient_steps", "retaining_steps", "execution", "runtime")

    def __init__(self, root: Any, order: list | None = None) -> None:
        order = topological_order(root) if order is None else order
        self.execution = None  # see `execution_plan`
        self.runtime = None  # per-root state of the run stage (`exprdiff.lowering.dispatch`)
        index = {node: i for i, node in enumerate(order)}
        operands = [tuple(index[child] for child in node.children) for node in order]
        needs_grad = _leading_to_parameters(order, operands)
        self._order = order[:-1] + [None]  # None stands for the root, supplied by the caller
        self.size = len(order)
        self._collect_leaves(order)
        steps = [(i, n, operands[i]) for i, n in enumerate(self._order) if operands[i]]
        self.root_step = steps.pop() if operands[-1] else None
        self.steps = steps
        self._plan_backward(needs_grad)
        self._plan_releases(root, operands)

    def _collect_leaves(self, order: list) -> None:
        """The constants, parameters and inputs by position, and the values template."""
        kinds: dict[str, list] = {"constant": [], "parameter": [], "input": []}
        for i, node in enumerate(order):
            kind = type(node).leaf_kind
            if kind is not None:
                entry = node.value if kind == "constant" else (None if i == len(order) - 1
                                                               else node)
                kinds[kind].append((i, entry))
        self.constants, self.parameters, self.inputs = (
            kinds["constant"], kinds["parameter"], kinds["input"])
        self.template = [None] * self.size  # a fresh values list starts as a copy
        for i, value in self.constants:
            self.template[i] = _FLOAT64(value) if type(value) is float else value

    def _plan_backward(self, needs_grad: list) -> None:
        """Reverse mode visits only operations that lead to a Parameter, and
        within them only the operand slots that do."""
        self.backward = [
            backward_step(i, node, kids, tuple(s for s, k in enumerate(kids) if needs_grad[k]))
            for i, node, kids in reversed(self.steps)
            if needs_grad[i]
        ]
        self.root_slots = ()
        if self.root_step is not None:
            kids = self.root_step[2]
            self.root_slots = tuple(s for s, k in enumerate(kids) if needs_grad[k])

    def _plan_releases(self, root: Any, operands: list) -> None:
        """Which values each step may release.

        An operation's value is released (replaced by its shape) once the last
        operation reading it has run, unless a derivative rule reads it later:
        evaluating keeps no more arrays alive than hand-written code.
        """
        read_later = [False] * self.size
        for i, node, form, kids, _ in self.backward:
            op = type(node)
            read_later[i] = read_later[i] or form == 0 or op.vjp_uses_out
            if form == 0 or op.vjp_uses_operands:
                for k in kids:
                    read_later[k] = True
        if self.root_step is not None:
            op = type(root)
            if op.vjp_uses_operands or op.vjp_form == 0:
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
        steps = self.steps
        self.evaluate_steps = [(i, n, kids, tuple(evaluate_release[i])) for i, n, kids in steps]
        self.gradient_steps = [(i, n, kids, tuple(gradient_release[i])) for i, n, kids in steps]
        self.retaining_steps = [(i, n, kids, ()) for i, n, kids in steps]

    def nodes(self, root: Any) -> list:
        """All distinct nodes of ``root`` in topological order, the root last."""
        return self._order[:-1] + [root]


def _leading_to_parameters(order: list, operands: list) -> list[bool]:
    """For each position of ``order``: whether a Parameter is at or under it."""
    needs_grad = [type(node).leaf_kind == "parameter" for node in order]
    for i, kids in enumerate(operands):
        needs_grad[i] = needs_grad[i] or any(needs_grad[k] for k in kids)
    return needs_grad


def plan_for(root: Any) -> Plan:
    """The cached plan of ``root`` as it was built, created on first use.

    Concurrent first calls may each build a plan; they are equal and the
    last one stays, so this is safe without a lock.  Evaluation runs
    `execution_plan` instead, the plan of the rewritten graph.
    """
    plan = root._plan
    if plan is None:
        plan = Plan(root)
        object.__setattr__(root, "_plan", plan)
    return plan


class Execution:
    """What every evaluation path runs for a root: the plan of its rewritten graph.

    ``plan`` is the `Plan` to run; ``graph`` the rewritten root it belongs
    to, or None when no rewrite applied (the plan is then the root's own and
    the root is supplied by the caller, as usual); ``parameters`` lists, in
    the order of the root's own plan, ``(position, parameter)`` for each
    Parameter of the expression as written: its position in the plan's
    values (None if a rewrite removed it) and the node (None for the root).
    """

    __slots__ = ("plan", "graph", "parameters")

    def __init__(self, plan: Plan, graph: Any, parameters: list) -> None:
        self.plan, self.graph, self.parameters = plan, graph, parameters


def execution_plan(root: Any) -> Execution:
    """The `Execution` of ``root``: its graph after the plan-time rewrites, planned.

    The rewrites (`exprdiff.lowering.rewrites`: common subexpressions,
    folding, each operation's rules) run once, and the result is cached with
    ``root``'s plan; the interpreter, compiled code and `to_python` all run it.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> execution = execution_plan(w * 1.0 + w)
    >>> str(execution.graph), execution.plan.size
    ('w + w', 2)
    """
    plan = plan_for(root)
    execution = plan.execution
    if execution is None:
        from exprdiff.lowering.rewrites import rewritten  # the planner's rewrite pass

        graph = rewritten(root, plan.nodes(root))
        if graph is root:
            execution = Execution(plan, None, plan.parameters)
        else:
            graph_plan = plan_for(graph)
            graph_plan.execution = Execution(graph_plan, None, graph_plan.parameters)
            where = {node or graph: i for i, node in graph_plan.parameters}
            parameters = [(where.get(node), node) for _, node in plan.parameters]
            execution = Execution(graph_plan, graph, parameters)
        plan.execution = execution
    return execution
