"""Evaluation plans: the distinct nodes of a root in topological order, built once.

The first evaluation of a root puts its distinct nodes in topological order
(iteratively, so graphs of any depth work) and caches that `Plan` on the
root; `exprdiff.core.interpreter` runs it.  The plan holds no reference to
its root, so caching creates no cycle.  This module reads nodes only through
their own class attributes (``leaf_kind``, ``vjp_form``, ``vjp_uses_out``,
``vjp_uses_operands``, ``differentiable``, ``selects``) and never imports the
node classes.
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
    """The nodes of ``order`` (topological) that are in ``targets`` or depend on one
    through differentiable operations (a condition such as ``w > 0`` passes no
    derivative on, so it leads nowhere).

    >>> from exprdiff import Input, Parameter
    >>> w, x = Parameter("w"), Input("x")
    >>> expr = w * x + x
    >>> sorted(str(node) for node in nodes_leading_to(topological_order(expr), {w}))
    ['w', 'w*x', 'w*x + x']
    """
    leads: set = set()
    for node in order:
        if node in targets or (type(node).differentiable
                               and any(child in leads for child in node.children)):
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

    Memory is what limits the depth of a graph, so a plan is lean: only
    ``evaluate_steps`` is made when the plan is (what a first evaluation
    needs); the lists the reverse pass needs are made on first use, and
    every index is one shared int object, every empty or repeated tuple one
    shared tuple.  A plan of a long chain costs about 200 bytes per node.

    ``selects`` says whether an operation that selects among its operands
    (``selects`` on the class: `exprdiff.ops.Where`) is on the reverse path, so
    that the reverse pass tracks where each gradient is selected;
    ``is_operation`` tells operations from leaves, by position.
    """

    __slots__ = ("_order", "size", "template", "constants", "parameters", "inputs",
                 "root_step", "evaluate_steps", "_root_reads", "_steps", "_root_slots",
                 "_backward", "_gradient_steps", "_retaining_steps", "_root_kind",
                 "_selects", "_is_operation", "execution", "runtime")

    def __init__(self, root: Any) -> None:
        order, index = _ordered(root)
        self.execution = None  # see `execution_plan`
        self.runtime = None  # per-root state of the run stage (`exprdiff.lowering.dispatch`)
        self.size = len(order)
        self._collect_leaves(order)
        # operand positions as tuples of the dict's own int objects, shared by every step
        operands = [() if not node.children else tuple([index[child] for child in node.children])
                    for node in order]
        positions = [index[node] for node in order]  # the same int objects, by position
        del index
        self.evaluate_steps = _evaluate_steps(order, operands, positions)
        self.root_step = (positions[-1], None, operands[-1]) if operands[-1] else None
        order[-1] = None  # None stands for the root, supplied by the caller
        self._order = order
        root_kind = type(root)
        self._root_reads = root_kind.vjp_uses_operands or root_kind.vjp_form == 0
        self._root_kind = root_kind  # the class only: the plan holds no reference to its root
        self._steps = self._root_slots = self._backward = self._selects = None
        self._is_operation = None
        self._gradient_steps = self._retaining_steps = None

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

    # -- what the reverse pass needs, made on first use -------------------------
    @property
    def steps(self) -> list:
        """``(index, node, operand_indices)`` for every operation below the root."""
        if self._steps is None:
            self._steps = [(i, node, kids) for i, node, kids, _ in self.evaluate_steps]
        return self._steps

    @property
    def backward(self) -> list:
        """The reverse pass's `backward_step` tuples, last operation first."""
        if self._backward is None:
            self._plan_backward()
        return self._backward

    @property
    def selects(self) -> bool:
        """Whether an operation that selects among its operands is on the reverse path."""
        if self._selects is None:
            self._plan_backward()
        return self._selects

    @property
    def is_operation(self) -> list:
        """For each position: whether the node there is an operation (not a leaf)."""
        if self._is_operation is None:
            flags = [False] * self.size
            for i, _, _, _ in self.evaluate_steps:
                flags[i] = True
            if self.root_step is not None:
                flags[-1] = True
            self._is_operation = flags
        return self._is_operation

    @property
    def root_slots(self) -> tuple:
        """The root's operand slots that lead to a Parameter."""
        if self._root_slots is None:
            self._plan_backward()
        return self._root_slots

    @property
    def gradient_steps(self) -> list:
        """``evaluate_steps`` releasing only what no derivative rule reads later."""
        if self._gradient_steps is None:
            self._plan_gradient_releases()
        return self._gradient_steps

    @property
    def retaining_steps(self) -> list:
        """``evaluate_steps`` releasing nothing, for callers that return every value."""
        if self._retaining_steps is None:
            self._retaining_steps = [(i, node, kids, ()) for i, node, kids, _ in
                                     self.evaluate_steps]
        return self._retaining_steps

    def _plan_backward(self) -> None:
        """Reverse mode visits only operations that lead to a Parameter through
        differentiable operations and that a gradient reaches from the root, and
        within them only the operand slots that do."""
        needs_grad = [getattr(type(node), "leaf_kind", None) == "parameter"
                      for node in self._order]
        if self.parameters and self.parameters[-1][0] == self.size - 1:
            needs_grad[-1] = True  # the root itself is a Parameter
        for i, node, kids, _ in self.evaluate_steps:
            needs_grad[i] = type(node).differentiable and any(needs_grad[k] for k in kids)
        root_kids = () if self.root_step is None else self.root_step[2]
        if root_kids:
            needs_grad[-1] = self._root_kind.differentiable and any(
                needs_grad[k] for k in root_kids)
        # below the root, a node reached only through conditions (no derivative) gets none
        reached = [False] * self.size
        reached[-1] = True
        if self._root_kind.differentiable:
            for k in root_kids:
                reached[k] = True
        for i, node, kids, _ in reversed(self.evaluate_steps):
            if reached[i] and type(node).differentiable:
                for k in kids:
                    reached[k] = True
        needs_grad = [n and r for n, r in zip(needs_grad, reached, strict=True)]
        self._backward = [
            backward_step(i, node, kids, tuple(s for s, k in enumerate(kids) if needs_grad[k]))
            for i, node, kids, _ in reversed(self.evaluate_steps)
            if needs_grad[i]
        ]
        self._root_slots = ()
        if self.root_step is not None:
            kids = self.root_step[2]
            self._root_slots = tuple(s for s, k in enumerate(kids) if needs_grad[k])
        self._selects = bool(self._root_kind.selects or any(
            type(step[1]).selects for step in self._backward))

    def _plan_gradient_releases(self, root_uses_operands: bool = True) -> None:
        """Which values each step of a gradient call may release.

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
        if self.root_step is not None and self._root_reads:
            for k in self.root_step[2]:  # the root's own rules read its operands' values
                read_later[k] = True
        self._gradient_steps = [
            (i, node, kids, tuple(k for k in released if not read_later[k])
             if released else ())
            for i, node, kids, released in self.evaluate_steps
        ]

    def nodes(self, root: Any) -> list:
        """All distinct nodes of ``root`` in topological order, the root last."""
        return self._order[:-1] + [root]


def _evaluate_steps(order: list, operands: list, positions: list) -> list:
    """``(index, node, operand_indices, released)`` for every operation below the root.

    Each step releases the operations' values it reads last (the root's step
    none: it is the last); the release tuple is the operands tuple itself
    when they agree, and the empty tuple is shared.
    """
    size = len(order)
    last_use = [-1] * size
    for i, kids in enumerate(operands):
        for k in kids:
            last_use[k] = positions[i]
    released: list = [None] * size  # step -> an operand's position, or a tuple of them
    for k, i in enumerate(last_use):
        if 0 <= i < size - 1 and operands[k]:
            before = released[i]
            released[i] = positions[k] if before is None else (
                (*before, positions[k]) if type(before) is tuple else (before, positions[k]))
    del last_use
    steps = []
    for i, kids in enumerate(operands):
        if not kids or i == size - 1:
            continue
        release = released[i]
        if release is None:
            release = ()
        elif type(release) is not tuple:
            release = kids if kids == (release,) else (release,)
        elif release == kids:
            release = kids
        steps.append((positions[i], order[i], kids, release))
    return steps


def _ordered(root: Any) -> tuple[list, dict]:
    """``root``'s distinct nodes in topological order (that of `topological_order`), and
    each one's position.

    The same iterative depth-first search, keeping only a stack of nodes and
    the positions dict, in which -1 marks a node whose operands are being
    placed: the least memory for graphs of millions of nodes.
    """
    order: list = []
    index: dict = {}
    stack: list = [root]
    while stack:
        node = stack[-1]
        position = index.get(node)
        if position is None:  # first visit: place the operands first
            index[node] = -1
            stack.extend(child for child in reversed(node.children) if child not in index)
        else:
            stack.pop()
            if position == -1:  # its operands are placed
                index[node] = len(order)
                order.append(node)
    return order, index


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

    def graph_of(self, root: Any) -> Any:
        """The root the plan runs: the rewritten graph, or ``root`` itself when none applied."""
        return root if self.graph is None else self.graph


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
            where = {(graph if node is None else node): i for i, node in graph_plan.parameters}
            parameters = [(where.get(node), node) for _, node in plan.parameters]
            execution = Execution(graph_plan, graph, parameters)
        plan.execution = execution
    return execution
