"""Deep copies and pickles of expression graphs, iterative and keeping every shared node shared.

`copy.deepcopy` and `pickle` would recurse once per level of the graph (a
chain of 10^5 nodes exceeds Python's recursion limit), so `Node` hands them
these functions instead.  A deep copy walks the graph iteratively and
rebuilds each distinct node once, through the ``memo`` that `copy.deepcopy`
shares across one call (so ``deepcopy((expr, params))`` copies the
Parameters once, as dict keys and inside the expression alike).  A pickle
stores a root as a flat table in topological order: leaves as themselves
(pickle's own memo then keeps a leaf one object wherever else it is
pickled, such as the keys of a params dict) and each operation as its class,
its operands' positions in the table and its settings.

Operations are rebuilt as `exprdiff.keep.serialization.load` rebuilds them:
``cls(*operands, **settings)``.  Like the engine, this module reads nodes
only through their attributes (``children``, ``settings``, ``leaf_kind``)
and never imports the node classes.
"""

from __future__ import annotations

from typing import Any

__all__ = ["copy_graph", "graph_table", "rebuild_graph", "rebuild_leaf"]


def rebuild_leaf(node: Any) -> Any:
    """A new leaf like ``node``: a Constant of a copy of its value, or a new named leaf.

    >>> from exprdiff import Constant, Parameter
    >>> w = Parameter("w")
    >>> twin = rebuild_leaf(w)
    >>> twin is w, twin.name, rebuild_leaf(Constant(2.0)).value
    (False, 'w', 2.0)
    """
    kind = type(node)
    if kind.leaf_kind == "constant":
        return kind(node.value)
    return kind(node.name)


def _rebuild_operation(node: Any, operands: list) -> Any:
    kind = type(node)
    return kind(*operands, **{name: getattr(node, name) for name in kind.settings})


def copy_graph(root: Any, memo: dict) -> Any:
    """A deep copy of ``root``'s graph; nodes already in ``memo`` (by id) are reused.

    Iterative: nodes below an already copied node are not visited again.

    >>> import copy
    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> shared = w * w
    >>> twin = copy.deepcopy(shared + shared)
    >>> twin.lhs is twin.rhs, twin.lhs.lhs is twin.lhs.rhs, twin.lhs.lhs is w
    (True, True, False)
    """
    stack: list = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        if id(node) in memo:
            continue
        children = node.children
        if not children:
            memo[id(node)] = rebuild_leaf(node)
        elif operands_done:
            memo[id(node)] = _rebuild_operation(node, [memo[id(child)] for child in children])
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children) if id(child) not in memo)
    return memo[id(root)]


def graph_table(root: Any) -> list:
    """``root``'s graph as a flat list in topological order, the root last, for pickling.

    Leaves appear as the leaf nodes themselves; an operation as ``(class,
    operand positions, settings)``.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> table = graph_table(w * 2.0)
    >>> table[0] is w, table[2][0].__name__, table[2][1:]
    (True, 'Multiply', ((0, 1), {}))
    """
    from_root: list = []
    index: dict = {}
    stack: list = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        if node in index:
            continue
        if operands_done or not node.children:
            index[node] = len(from_root)
            kind = type(node)
            if not node.children:
                from_root.append(node)
            else:
                from_root.append((kind, tuple(index[child] for child in node.children),
                                  {name: getattr(node, name) for name in kind.settings}))
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children) if child not in index)
    return from_root


def rebuild_graph(table: list) -> Any:
    """The root of a `graph_table`, rebuilt (the function pickle calls when loading).

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> rebuild_graph(graph_table(w * 2.0 + w))({w: 3.0})
    9.0
    """
    nodes: list = []
    for entry in table:
        if type(entry) is tuple:
            kind, operands, settings = entry
            nodes.append(kind(*[nodes[k] for k in operands], **settings))
        else:
            nodes.append(entry)
    return nodes[-1]
