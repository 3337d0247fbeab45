"""Computation-graph pictures: Graphviz DOT source and rendered SVG/PNG files.

Each distinct node is one box (a shared node is drawn once, so a DAG stays a
DAG), with an edge from every operand to the operation using it; edges enter
an operation in operand order (``ordering=in``: the left operand above the
right one in the default left-to-right layout).  Leaves are labelled by name
(Constants by value), operations by their symbol or function name.  Given
values, each box also shows the node's value and the derivative of the root
(of the sum of its elements) with respect to that node, the "data | grad"
boxes of the backpropagation tutorials.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from exprdiff.core.interpreter import values_and_adjoints
from exprdiff.core.nodes import Node
from exprdiff.core.plan import plan_for
from exprdiff.core.printing import LeafStyle, format_leaf, function_name
from exprdiff.keep.atomic_files import write_atomically

__all__ = ["DEFAULT_MAX_NODES", "render", "to_dot"]

#: more boxes than this make an unreadable picture; `to_dot` refuses them
DEFAULT_MAX_NODES = 300
_FORMATS = ("svg", "png", "pdf")
_FILL = {"parameter": "#dbe9f6", "input": "#e3f1d8", "constant": "#eeeeee"}  # by leaf kind
_LEAVES = LeafStyle(inline=0, array=lambda shape: f"array {shape}")
_SHOWN_ELEMENTS = 4  # numbers shown from an array


def to_dot(
    expr: Node,
    params: Mapping | None = None,
    inputs: Mapping | None = None,
    *,
    digits: int = 4,
    max_nodes: int = DEFAULT_MAX_NODES,
    rankdir: str = "LR",
    labels: Mapping[Node, str] | None = None,
) -> str:
    """Graphviz DOT source drawing ``expr``, one box per distinct node.

    When ``params`` or ``inputs`` is given, each box shows the node's value
    and its gradient (the derivative of the root with respect to it) with
    ``digits`` significant digits; arrays are summarised by shape and their
    first few numbers.  Graphs of more than ``max_nodes`` distinct nodes raise
    `ValueError` (the picture would be unreadable).  ``labels`` names some
    nodes in their boxes (``{e: "e"}`` shows ``e: *`` for ``e = a*b``).

    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> print(to_dot(a * b, {a: 2.0, b: -3.0}))  # doctest: +ELLIPSIS
    digraph expression {
      graph [rankdir=LR, ordering=in];
      node [shape=plaintext, fontname="Helvetica"];
      n0 [label=<...<b>a</b>...value 2...grad -3...>];
      n1 [label=<...<b>b</b>...value -3...grad 2...>];
      n2 [label=<...<b>*</b>...value -6...grad 1...>];
      n0 -> n2;
      n1 -> n2;
    }
    """
    nodes = plan_for(expr).nodes(expr)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"the expression has {len(nodes)} distinct nodes, more than max_nodes={max_nodes}: "
            "its picture would be unreadable; draw a smaller part of it, or pass a larger "
            "max_nodes to draw it anyway"
        )
    if params is None and inputs is None:
        values = adjoints = None
    else:
        _, values, adjoints = values_and_adjoints(expr, params, inputs)
    index = {node: i for i, node in enumerate(nodes)}
    lines = [
        "digraph expression {",
        f"  graph [rankdir={rankdir}, ordering=in];",
        '  node [shape=plaintext, fontname="Helvetica"];',
    ]
    for i, node in enumerate(nodes):
        title = node_title(node)
        if labels and node in labels:
            title = f"{labels[node]}: {title}"
        cells = [f"<b>{html.escape(title)}</b>"]
        if values is not None:
            cells.append(f"value {html.escape(summarise(values[i], digits))}")
            cells.append(f"grad {html.escape(summarise(adjoints[i], digits))}")
        fill = _FILL.get(node.leaf_kind, "#ffffff")
        row = "".join(f"<td>{cell}</td>" for cell in cells)
        lines.append(
            f'  n{i} [label=<<table border="0" cellborder="1" cellspacing="0" '
            f'cellpadding="4" bgcolor="{fill}"><tr>{row}</tr></table>>];'
        )
    for i, node in enumerate(nodes):
        lines.extend(f"  n{index[child]} -> n{i};" for child in node.children)
    lines.append("}")
    return "\n".join(lines) + "\n"


def node_title(node: Node) -> str:
    """How a box names its node: a leaf's name, a Constant's value, an op's symbol or name.

    >>> from exprdiff import Input, Tanh
    >>> x = Input("x")
    >>> node_title(x), node_title(Tanh(x)), node_title(x + 1), node_title(-x)
    ('x', 'tanh', '+', 'negate')
    """
    children = node.children
    if not children:
        return format_leaf(node, _LEAVES)
    if node.symbol and len(children) == 2:
        return node.symbol
    if type(node).subscript:
        return node.subscript_text()
    name = function_name(type(node))
    settings = ", ".join(f"{key}={value!r}" for key, value in node.printed_settings())
    return f"{name}({settings})" if settings else name


def summarise(value: float | np.ndarray, digits: int = 4) -> str:
    """A value as short text: a number, or an array's shape and first few numbers.

    >>> import numpy as np
    >>> summarise(2 / 3), summarise(np.arange(6.0).reshape(2, 3))
    ('0.6667', 'shape (2, 3): [0, 1, 2, 3, …]')
    """
    if not isinstance(value, np.ndarray):
        return f"{value:.{digits}g}"
    flat = value.ravel()
    shown = ", ".join(f"{v:.{digits}g}" for v in flat[:_SHOWN_ELEMENTS])
    more = ", …" if flat.size > _SHOWN_ELEMENTS else ""
    return f"shape {value.shape}: [{shown}{more}]"


def render(
    expr: Node,
    path: str | os.PathLike,
    format: str | None = None,
    params: Mapping | None = None,
    inputs: Mapping | None = None,
    **options: Any,
) -> Path:
    """Write the picture of ``expr`` to ``path`` with the Graphviz ``dot`` program.

    ``format`` is ``"svg"``, ``"png"`` or ``"pdf"`` (by default taken from the
    file's suffix, else svg); ``params``, ``inputs`` and the keyword
    ``options`` are those of `to_dot`.  The file is replaced atomically.
    Raises `RuntimeError` saying how to install Graphviz when ``dot`` is
    missing.  Returns the path written.

    >>> import tempfile, pathlib
    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> with tempfile.TemporaryDirectory() as folder:  # doctest: +SKIP
    ...     written = render(w * w, pathlib.Path(folder) / "square.svg", params={w: 3.0})
    ...     written.read_text().startswith("<?xml")
    True
    """
    path = Path(path)
    if format is None:
        format = path.suffix.lstrip(".").lower() or "svg"
    if format not in _FORMATS:
        raise ValueError(f"format must be one of {', '.join(_FORMATS)}, got {format!r}")
    source = to_dot(expr, params, inputs, **options)
    program = shutil.which("dot")
    if program is None:
        raise RuntimeError(
            "the Graphviz program 'dot' was not found on PATH; install Graphviz "
            "(Debian/Ubuntu: apt-get install graphviz, macOS: brew install graphviz, "
            "others: https://graphviz.org/download/) or use to_dot() for the DOT source"
        )
    result = subprocess.run(
        [program, f"-T{format}"], input=source.encode(), capture_output=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"Graphviz dot failed (exit status {result.returncode}): "
            f"{result.stderr.decode(errors='replace').strip()}"
        )
    write_atomically(path, result.stdout)
    return path
