"""Expressions in Jupyter: the formula as LaTeX and, with Graphviz, the graph as SVG.

Displaying a node in a notebook shows its formula (Jupyter prefers LaTeX to
SVG; ``display(expr, include=["image/svg+xml"])`` asks for the graph).  Both
are drawn only for small expressions, so that a cell never hangs on a huge
graph: past `MAX_FORMULA_NODES` distinct nodes (or a formula longer than
`MAX_FORMULA_CHARS`) and past `MAX_GRAPH_NODES` for the graph, or without the
Graphviz ``dot`` program, the display falls back to the text repr.  `draw` is
the picture with values and gradients, micrograd's ``draw_dot``; it shows
inline as SVG.

Nodes reach this module through `exprdiff.core.display_hooks` (`install`
registers the renderers; ``import exprdiff`` calls it), so the core never
imports the show layer.  Nothing here imports IPython.

>>> from exprdiff import Input, Parameter, Sigmoid
>>> w, x, b = Parameter("w"), Input("x"), Parameter("b")
>>> formula_latex(Sigmoid(w * x + b))
'$\\\\displaystyle \\\\sigma\\\\left(w \\\\cdot x + b\\\\right)$'
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

from exprdiff.core import display_hooks
from exprdiff.core.nodes import Node
from exprdiff.show.dot import to_dot
from exprdiff.show.latex import to_latex

__all__ = [
    "MAX_FORMULA_CHARS", "MAX_FORMULA_NODES", "MAX_GRAPH_NODES", "GraphPicture", "draw",
    "formula_latex", "graph_svg", "install", "svg_from_dot",
]

#: an expression with more distinct nodes than this displays as text, not as a formula
MAX_FORMULA_NODES = 400
#: a formula longer than this (a shared DAG written out can be huge) displays as text
MAX_FORMULA_CHARS = 4000
#: a graph with more distinct nodes than this is not drawn when a node is displayed
MAX_GRAPH_NODES = 40
_DOT_SECONDS = 30


def formula_latex(node: Node) -> str | None:
    """The formula of a small expression as Jupyter's LaTeX (``$\\displaystyle ...$``).

    None for an expression of more than `MAX_FORMULA_NODES` distinct nodes
    or a formula of more than `MAX_FORMULA_CHARS` characters: Jupyter then
    shows the text repr.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> formula_latex(w / 2)
    '$\\\\displaystyle \\\\frac{w}{2}$'
    >>> total = w
    >>> for _ in range(MAX_FORMULA_NODES):
    ...     total = total + w
    >>> formula_latex(total) is None
    True
    """
    if _more_nodes_than(node, MAX_FORMULA_NODES):
        return None
    text = to_latex(node, limit=MAX_FORMULA_CHARS + 1)
    if len(text) > MAX_FORMULA_CHARS:  # cut short by the limit: the formula is too long
        return None
    return f"$\\displaystyle {text}$"


def graph_svg(node: Node) -> str | None:
    """The graph of a small expression as SVG text, or None.

    None without the Graphviz ``dot`` program, when it fails, or for more than
    `MAX_GRAPH_NODES` distinct nodes.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> svg = graph_svg(w * w)
    >>> svg is None or svg.startswith("<svg")
    True
    """
    if _more_nodes_than(node, MAX_GRAPH_NODES):
        return None
    try:
        return svg_from_dot(to_dot(node))
    except (RuntimeError, subprocess.TimeoutExpired):  # a display shows the text instead
        return None


def svg_from_dot(source: str) -> str | None:
    """Graphviz DOT source drawn as SVG text (from its ``<svg`` tag), or None without ``dot``.

    >>> svg = svg_from_dot("digraph { a -> b }")
    >>> svg is None or (svg.startswith("<svg") and svg.rstrip().endswith("</svg>"))
    True
    """
    program = shutil.which("dot")
    if program is None:
        return None
    result = subprocess.run(
        [program, "-Tsvg"], input=source.encode(), capture_output=True,
        timeout=_DOT_SECONDS, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"Graphviz dot failed (exit status {result.returncode}): "
            f"{result.stderr.decode(errors='replace').strip()}"
        )
    svg = result.stdout.decode()
    return svg[svg.index("<svg"):]


class GraphPicture:
    """A computation-graph picture that a notebook shows inline as SVG.

    ``source`` is its Graphviz DOT text (`exprdiff.show.dot.to_dot`); without
    the ``dot`` program the notebook shows the text repr, which says so.

    >>> picture = GraphPicture("digraph expression {\\n}\\n")
    >>> picture.source.splitlines()[0]
    'digraph expression {'
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def _repr_svg_(self) -> str | None:
        return svg_from_dot(self.source)

    def __repr__(self) -> str:
        if shutil.which("dot") is None:
            return "<GraphPicture: install Graphviz to see it; .source is its DOT text>"
        return "<GraphPicture: a notebook shows it; .source is its DOT text>"


def draw(
    expr: Node, params: Mapping | None = None, inputs: Mapping | None = None, **options: Any,
) -> GraphPicture:
    """The picture of `exprdiff.show.dot.to_dot`, shown inline by a notebook (micrograd's draw_dot).

    With ``params`` or ``inputs``, each box shows the node's value and
    gradient; ``options`` are those of `to_dot` (``labels``, ``digits``,
    ``rankdir``, ``max_nodes``...).  To write a file, use `exprdiff.render`.

    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> picture = draw(a * b, {a: 2.0, b: -3.0}, labels={a: "a"})
    >>> picture
    <GraphPicture: ...>
    >>> "grad -3" in picture.source
    True
    """
    return GraphPicture(to_dot(expr, params, inputs, **options))


def install() -> None:
    """Register the formula and the graph as the rich display of every node.

    ``import exprdiff`` calls it; calling it again changes nothing.

    >>> from exprdiff import Parameter
    >>> install()
    >>> Parameter("w")._repr_latex_()
    '$\\\\displaystyle w$'
    """
    display_hooks.register("text/latex", formula_latex)
    display_hooks.register("image/svg+xml", graph_svg)


def _more_nodes_than(root: Node, limit: int) -> bool:
    """Whether ``root`` has more than ``limit`` distinct nodes (stops counting past it)."""
    seen = {root}
    stack = [root]
    while stack:
        for child in stack.pop().children:
            if child not in seen:
                seen.add(child)
                if len(seen) > limit:
                    return True
                stack.append(child)
    return False
