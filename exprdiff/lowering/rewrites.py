"""Plan-time rewrites: common subexpressions, constant folding, each operation's own rules.

When a root is first evaluated, its graph is rewritten once and every
evaluation path runs the rewritten graph: the interpreter, the compiled
code and `to_python`'s source.  So no two paths can disagree about a
rewrite.  The pass, in topological order (iterative, any depth):

* **common subexpressions**: structurally equal operations (same class,
  settings and operands) and equal constants (same bits) become one node,
  computed once;
* **constant folding**: an operation whose operands are all constants
  becomes the constant it computes, computed exactly as the engine would
  at run time; it is left alone when that warns, fails or is not finite,
  so the warning still comes when the expression runs;
* **each operation's rules**: `Node.rewrite` of the rebuilt node, which
  lives beside the operation it concerns (``x*1`` in ``Multiply``,
  ``log(sigmoid(z))`` in ``Log``); what a rule returns is rewritten too;
* **dead code**: nodes no longer used by the rewritten root are simply not
  part of its plan.

Common-subexpression elimination, folding and the exact identities change
no bit of any value; the stable fused forms change values by rounding only,
except where they turn an overflow into the right finite answer (documented
on each rule).  Above `CSE_LIMIT` nodes the common-subexpression table is
skipped (it changes no value, only the work done), so huge graphs cost no
extra memory.

This module never imports the node classes: it reads nodes through their
methods and class attributes, like the planner.

>>> from exprdiff import Input, Log, Sigmoid, topological_order
>>> z = Input("z")
>>> twice = Log(Sigmoid(z)) + Log(Sigmoid(z))
>>> print(rewritten(twice, topological_order(twice)))
-softplus(-z) + (-softplus(-z))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from exprdiff.lowering.program import without_gc

__all__ = ["CSE_LIMIT", "rewritten"]

#: graphs with more nodes than this skip the common-subexpression table
CSE_LIMIT = 50_000  # above, the table would double a first evaluation's memory
_ROUNDS = 8  # rule applications chained on one node before the pass stops there
_DEPTH = 6  # how deep under its result a rule may build new nodes
_FLOAT64 = np.float64


@without_gc
def rewritten(root: Any, order: list) -> Any:
    """``root`` with every rewrite applied; ``root`` itself when none applies.

    ``order`` is ``root``'s topological order (the plan has it).  Leaves are
    kept: the rewritten graph reads the same `Input` and `Parameter` objects.
    """
    return _Pass(len(order) <= CSE_LIMIT).run(order)


class _Pass:
    """One rewriting pass: the replacement of each node and the table of distinct nodes."""

    def __init__(self, cse: bool) -> None:
        self.replaced: dict = {}  # node -> its rewritten form, only where they differ
        self.table: dict | None = {} if cse else None  # structural key -> canonical node

    def run(self, order: list) -> Any:
        replaced = self.replaced
        for node in order:
            new = self.settle(node, _ROUNDS)
            if new is not node:
                replaced[node] = new
        root = order[-1]
        return replaced.get(root, root)

    def settle(self, node: Any, rounds: int) -> Any:
        """The canonical form of ``node``, whose operands may still need replacing."""
        children = node.children
        if not children:
            return self.canonical(node, ())
        replaced = self.replaced
        kids = tuple([replaced.get(child, child) for child in children])
        if any(new is not old for new, old in zip(kids, children)):
            try:
                node = node.with_children(kids)
            except NotImplementedError:  # a user class that cannot be rebuilt: keep it whole
                return node
        folded = _fold(node, kids)
        if folded is not None:
            return self.canonical(folded, ())
        if type(node).has_rewrites and rounds > 0:
            better = node.rewrite()
            if better is not None and better is not node:
                return self.absorb(better, rounds - 1)
        return self.canonical(node, kids)

    def absorb(self, node: Any, rounds: int) -> Any:
        """Rewrite the new nodes a rule built, bottom up.

        Rules build their nodes over operands that are already rewritten, so
        only the top `_DEPTH` levels of what a rule returns are visited;
        rewriting a node that is already in its final form leaves it as it is.
        """
        replaced = self.replaced
        for new in _top_levels(node, _DEPTH):
            if new not in replaced:
                settled = self.settle(new, rounds)
                if settled is not new:
                    replaced[new] = settled
        return replaced.get(node, node)

    def canonical(self, node: Any, kids: tuple) -> Any:
        """The one node standing for every node structurally equal to ``node``."""
        table = self.table
        if table is None:
            return node
        key = _key(node, kids)
        if key is None:
            return node
        return table.setdefault(key, node)


def _top_levels(root: Any, depth: int) -> list:
    """The distinct nodes at most ``depth`` levels under ``root``, operands first."""
    order: list = []
    seen: set = set()
    stack: list = [(root, 0, False)]
    while stack:
        node, level, done = stack.pop()
        if done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, level, True))
            if level < depth:
                stack.extend((child, level + 1, False) for child in reversed(node.children))
    return order


def _key(node: Any, kids: tuple) -> tuple | None:
    """A hashable key equal for structurally equal nodes; None for named leaves."""
    kind = type(node)
    if not kids:
        if kind.leaf_kind != "constant":
            return None  # Inputs and Parameters are only ever equal to themselves
        value = node.value
        if type(value) is float:
            return (kind, "f", value.hex() if not math.isnan(value) else repr(value))
        return (kind, "a", value.shape, value.tobytes())
    try:
        settings = tuple([_hashable(getattr(node, name)) for name in kind.settings])
    except TypeError:
        return None
    return (kind, settings, *[id(kid) for kid in kids])


def _hashable(value: Any) -> Any:
    if type(value) is float:
        return ("f", value.hex()) if not math.isnan(value) else ("f", "nan")
    hash(value)
    return value


def _fold(node: Any, kids: tuple) -> Any:
    """The `Constant` an operation on constants computes, or None to leave it.

    The value is computed as the engine computes it at run time (constants
    enter as float64 scalars or arrays), with every floating-point warning
    turned into an error: an operation that would warn, fail or give a
    non-finite value is not folded, so running the expression behaves as
    written.
    """
    if type(kids[0]).leaf_kind != "constant" or not all(
        type(kid).leaf_kind == "constant" for kid in kids
    ):
        return None
    values = [_FLOAT64(kid.value) if type(kid.value) is float else kid.value for kid in kids]
    try:
        with np.errstate(all="raise"):
            value = node.forward(*values)
    except Exception:  # noqa: BLE001 - anything the operation raises: it runs later as written
        return None
    kind = type(value)
    if kind is _FLOAT64 or kind is float:
        if not math.isfinite(value):
            return None
        return type(kids[0])(float(value))
    if kind is np.ndarray and value.dtype == np.float64 and np.isfinite(value).all():
        return type(kids[0])(value)
    return None
