"""Elementwise derivative rules as code: run once on placeholder nodes, replayed per node.

An elementwise operation's rules are written with Python operators and
ufuncs, so handed nodes they build the derivative as nodes (the symbolic
layer relies on this).  `make_recipe` runs a rule once per operation class,
settings and operand slot on placeholders and records the nodes it built
as positions over ``[g, out, operands...]``; `replay_rule` writes those nodes
for one node of the graph with its own values, each from its class's
template, computing what is known and dropping exact identities
(``ones * x``) on the way.  The code is the rule's, operation for operation,
so its numbers are the interpreter's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exprdiff.lowering.folding import broadcast, fold, is_one
from exprdiff.lowering.program import UNKNOWN, Val
from exprdiff.lowering.templates import fields

__all__ = ["make_recipe", "replay_rule"]


def replay_rule(lowering: Any, node: Any, slot: int, g: Val, operands: list[Val],
               out: Val) -> Val | None:
    """Lower an elementwise rule by running it on nodes; None if it cannot run on nodes.

    The rule runs once per class, settings and slot, on placeholder nodes
    (`_recipe`); every node of that kind then replays the nodes it built
    with its own values, so lowering stays cheap per node.
    """
    recipe = lowering.recipe(node, slot)
    if recipe is None:
        return None
    steps, result = recipe
    vals: list[Val | None] = [g, out, *operands]
    program = lowering.program
    for step in steps:
        if step[0] == "const":
            value = step[1]
            vals.append(program.constant(value, value.shape) if isinstance(value, np.ndarray)
                        else program.constant(value, None))
        else:
            vals.append(_emit_traced_node(lowering, step[1], [vals[k] for k in step[2]]))
    return vals[result]


def make_recipe(node: Any, slot: int) -> tuple | None:
    """``(steps, result)``: a rule run on placeholders, as positions over ``[g, out, operands...]``.

    ``steps`` are ``("const", value)`` for a number the rule wrote (a Python
    float, as in the rule) and ``("op", node, operand positions)`` for a node it
    built; ``result`` is the position of the contribution.  None when the rule
    does not run on nodes, or reaches a leaf it was not given.
    """
    children = node.children
    try:
        template = node.with_children(tuple(node.placeholder(f"_x{j}")
                                            for j in range(len(children))))
        g = node.placeholder("_g")
        part = template.partial(slot, g, template.children, template)
    except Exception:  # noqa: BLE001 - a rule written for numbers only: call it instead
        return None
    where: dict[int, int] = {id(g): 0, id(template): 1}
    for j, child in enumerate(template.children):
        where[id(child)] = 2 + j
    steps: list = []
    if not hasattr(part, "children"):
        if not isinstance(part, (int, float, np.floating)):
            return None
        return [("const", float(part))], 2 + len(children)
    stack = [(part, False)]
    while stack:
        item, ready = stack.pop()
        if id(item) in where:
            continue
        kids = item.children
        if not kids:
            if type(item).leaf_kind != "constant":
                return None  # a leaf the rule reached by itself: not lowerable this way
            value = item.value
            steps.append(("const", value if isinstance(value, np.ndarray) else float(value)))
        elif not ready:
            stack.append((item, True))
            # operands pushed right to left, so the left is written first (as Python runs it)
            stack.extend((kid, False) for kid in reversed(kids) if id(kid) not in where)
            continue
        else:
            steps.append(("op", item, tuple(where[id(kid)] for kid in kids)))
        where[id(item)] = 2 + len(children) + len(steps) - 1
    return steps, where[id(part)]


def _emit_traced_node(lowering: Any, node: Any, operands: list[Val]) -> Val:
    shape = broadcast([operand.shape for operand in operands])
    for operand in operands:
        if operand.const is None:
            break
    else:
        value = fold(node.forward, [operand.const for operand in operands])
        if value is not None:
            return lowering.known(value)
    ufunc = type(node).ufunc
    if lowering.kinds is not None and shape is not UNKNOWN:
        a = operands[0]
        b = operands[1] if len(operands) > 1 else None
        numpy = lowering.backend.name == "numpy"  # its scalars are all NumPy float64s
        if ufunc is np.multiply:
            if is_one(a, numpy) and b.shape == shape:
                return b
            if is_one(b, numpy) and a.shape == shape:
                return a
        elif ufunc in (np.true_divide, np.power) and is_one(b, numpy) and a.shape == shape:
            return a  # x/1 and x**1 are x (a power's rule writes x**(2 - 1) for x**2)
    shapes = [operand.shape for operand in operands] if lowering.kinds is not None else None
    template = lowering.forward_code(node, shapes)
    lowering.need_helpers(node)
    if template is None:
        template = lowering.method_call(node, "forward", fields(len(operands)))
    return lowering.emitted(node, lowering.program.emit(template, operands, shape=shape))
