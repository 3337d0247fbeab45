"""The leaves of an expression by name, for code and formats that address them by name."""

from __future__ import annotations

from exprdiff.core.nodes import Input, Node, Parameter
from exprdiff.core.plan import plan_for

__all__ = ["named_leaves"]


def named_leaves(expr: Node) -> dict[str, Node]:
    """The Inputs and Parameters of ``expr`` keyed by label, in topological order.

    Unnamed leaves go by their automatic label (``param_3``).  Two leaves with
    the same name raise `ValueError` naming it: a name must say which leaf.

    >>> from exprdiff import Input, Parameter
    >>> w, x = Parameter("w"), Input("x")
    >>> named_leaves(w * x + w)
    {'w': Parameter('w'), 'x': Input('x')}
    >>> named_leaves(w * Parameter("w"))
    Traceback (most recent call last):
    ...
    ValueError: two leaves are both named 'w' (Parameter('w') and Parameter('w')); ...
    """
    leaves: dict[str, Node] = {}
    for node in plan_for(expr).nodes(expr):
        if isinstance(node, (Input, Parameter)):
            other = leaves.setdefault(node.label, node)
            if other is not node:
                raise ValueError(
                    f"two leaves are both named {node.label!r} ({other!r} and {node!r}); "
                    "give them distinct names"
                )
    return leaves
