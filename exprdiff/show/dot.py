"""Computation-graph pictures: Graphviz DOT source and rendered SVG/PNG files.

Each distinct node is one box (a shared node is drawn once, so a DAG stays a
DAG), with an edge from every operand to the operation using it; edges enter
an operation in operand order (``ordering=in``: the left operand above the
right one in the default left-to-right layout).  Leaves are labelled by name
(Constants by value), operations by their symbol or function name.  Given
values, each box also shows the node's value and the derivative of the root
(of the sum of its elements) with respect to that node, the "data | grad"
boxes of the backpropagation tutorials; given some gradients instead
(``grads=``), it draws a backward pass in progress, the others as not yet
known.  A colour key names the kinds of box.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from exprdiff.core.interpreter import reverse_pass_steps, values_and_adjoints
from exprdiff.core.nodes import Node
from exprdiff.core.plan import plan_for
from exprdiff.core.printing import LeafStyle, format_leaf, function_name
from exprdiff.keep.atomic_files import write_atomically

__all__ = ["DEFAULT_MAX_NODES", "render", "run_graphviz", "to_dot"]

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
    grads: Mapping[Node, object] | None = None,
    highlight: Node | Iterable[Node] | None = None,
    key: bool = True,
) -> str:
    """Graphviz DOT source drawing ``expr``, one box per distinct node.

    When ``params`` or ``inputs`` is given, each box shows the node's value
    and its gradient (the derivative of the root with respect to it) with
    ``digits`` significant digits; arrays are summarised by shape and their
    first few numbers, and an operation that mixes elements (a matrix
    product, a reduction) shows its operands' shapes and its own, so a dense
    layer reads as one ``@`` box with its shapes.  A Constant's gradient is
    shown as ``n/a``: nothing is differentiated with respect to it.

    ``grads`` draws a backward pass in progress: the gradients to show
    (``{node: value}``, any subset, filled in by hand or taken from
    `exprdiff.show.backprop.backprop_steps`), every other box showing
    ``grad ?``, not yet known; values are still shown when ``params`` or
    ``inputs`` is given.  ``highlight`` frames some nodes (the step just
    taken) in orange.  ``labels`` names some nodes in their boxes
    (``{e: "e"}`` shows ``e: *`` for ``e = a*b``).  ``key`` adds a colour
    key naming the kinds of box drawn.  Graphs of more than ``max_nodes``
    distinct nodes raise `ValueError` (the picture would be unreadable).

    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> print(to_dot(a * b, {a: 2.0, b: -3.0}, key=False))  # doctest: +ELLIPSIS
    digraph expression {
      graph [rankdir=LR, ordering=in];
      node [shape=plaintext, fontname="Helvetica"];
      n0 [label=<...<b>a</b>...value 2...grad -3...>];
      n1 [label=<...<b>b</b>...value -3...grad 2...>];
      n2 [label=<...<b>*</b>...value -6...grad 1...>];
      n0 -> n2;
      n1 -> n2;
    }
    >>> product = a * b  # the backward pass has only just begun: a and b are not known yet
    >>> source = to_dot(product, {a: 2.0, b: -3.0}, grads={product: 1.0}, key=False)
    >>> source.count("grad ?"), source.count("grad 1")
    (2, 1)
    """
    nodes = plan_for(expr).nodes(expr)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"the expression has {len(nodes)} distinct nodes, more than max_nodes={max_nodes}: "
            "its picture would be unreadable; draw a smaller part of it, or pass a larger "
            "max_nodes to draw it anyway"
        )
    index = {node: i for i, node in enumerate(nodes)}
    values, adjoints = _numbers(expr, params, inputs, grads, nodes, index)
    framed = _nodes_to_highlight(highlight, index)
    lines = [
        "digraph expression {",
        f"  graph [rankdir={rankdir}, ordering=in];",
        '  node [shape=plaintext, fontname="Helvetica"];',
    ]
    shown: set[str] = set()
    for i, node in enumerate(nodes):
        title = node_title(node)
        if labels and node in labels:
            title = f"{labels[node]}: {title}"
        cells = [f"<b>{html.escape(title)}</b>"]
        if values is not None and not node.elementwise:
            shapes = _shapes(node, values, index)
            if shapes:
                cells[0] += f'<br/><font point-size="10">{html.escape(shapes)}</font>'
        if values is not None:
            cells.append(f"value {_two_lines(summarise(values[i], digits))}")
        if adjoints is not None:
            cells.append(_grad_cell(node, adjoints[i], digits, shown))
        kind = type(node).leaf_kind
        fill = _FILL.get(kind, "#ffffff")
        shown.add(kind or "operation")
        frame = f' color="{_HIGHLIGHT}" border="3"' if i in framed else ' border="0"'
        # an array's box stacks its cells, so that a batch's numbers keep it narrow
        stacked = values is not None and isinstance(values[i], np.ndarray)
        row = ("</tr><tr>" if stacked else "").join(f"<td>{cell}</td>" for cell in cells)
        lines.append(
            f'  n{i} [label=<<table{frame} cellborder="1" cellspacing="0" '
            f'cellpadding="4" bgcolor="{fill}"><tr>{row}</tr></table>>];'
        )
    for i, node in enumerate(nodes):
        lines.extend(f"  n{index[child]} -> n{i};" for child in node.children)
    if key:
        lines.extend(_key(shown, bool(framed)))
    lines.append("}")
    return "\n".join(lines) + "\n"


#: what a grad cell shows when the gradient is not known yet, and for a Constant
NOT_YET_KNOWN, NOT_APPLICABLE = "?", "n/a"
_HIGHLIGHT = "#e6550d"
_MUTED = "#777777"
_MISSING = object()


def _numbers(expr, params, inputs, grads, nodes, index) -> tuple:
    """The values (when params or inputs are given) and the adjoints to show, by position."""
    values = adjoints = None
    if grads is not None:
        if not isinstance(grads, Mapping):
            raise TypeError(f"grads must be a dict {{node: gradient}}, got {type(grads).__name__}")
        strangers = [node for node in grads if node not in index]
        if strangers:
            raise ValueError(
                f"grads has {len(strangers)} node(s) that are not in the expression, such as "
                f"{strangers[0]!r}: give gradients of the drawn expression's own nodes"
            )
        adjoints = [grads.get(node, _MISSING) for node in nodes]
        if params is not None or inputs is not None:
            _, values, _ = reverse_pass_steps(expr, params, inputs)
    elif params is not None or inputs is not None:
        _, values, adjoints = values_and_adjoints(expr, params, inputs)
    return values, adjoints


def _grad_cell(node: Node, adjoint: object, digits: int, shown: set) -> str:
    if type(node).leaf_kind == "constant":
        shown.add("n/a")
        return f'<font color="{_MUTED}">grad {NOT_APPLICABLE}</font>'
    if adjoint is _MISSING:
        shown.add("?")
        return f'<font color="{_MUTED}">grad {NOT_YET_KNOWN}</font>'
    return f"grad {_two_lines(summarise(adjoint, digits))}"


def _two_lines(summary: str) -> str:
    """An array's summary with its numbers under its shape, so that boxes stay narrow."""
    shape, colon, numbers = summary.partition(": ")
    if not colon:
        return html.escape(summary)
    return f'{html.escape(shape)}:<br/><font point-size="10">{html.escape(numbers)}</font>'


def _nodes_to_highlight(highlight, index: dict) -> set[int]:
    if highlight is None:
        return set()
    chosen = [highlight] if isinstance(highlight, Node) else list(highlight)
    for node in chosen:
        if node not in index:
            raise ValueError(f"highlight names {node!r}, which is not in the expression")
    return {index[node] for node in chosen}


def _shapes(node: Node, values: list, index: dict) -> str:
    """``(4, 2) @ (2, 16) → (4, 16)`` for an operation mixing elements, from the values."""
    operands = [np.shape(values[index[child]]) for child in node.children]
    out = np.shape(values[index[node]])
    if not any(operands) and not out:
        return ""
    joiner = f" {node.symbol} " if node.symbol and len(operands) == 2 else ", "
    return f"{joiner.join(map(str, operands))} → {out}"


_KEY_TEXT = {
    "parameter": ("Parameter (trained)", _FILL["parameter"]),
    "input": ("Input (data)", _FILL["input"]),
    "constant": ("Constant", _FILL["constant"]),
    "operation": ("operation", "#ffffff"),
}


def _key(shown: set, framed: bool) -> list[str]:
    """A box naming the colours and marks used in the picture."""
    rows = [f'<tr><td bgcolor="{fill}">{text}</td></tr>'
            for kind, (text, fill) in _KEY_TEXT.items() if kind in shown]
    if "?" in shown:
        rows.append(f'<tr><td><font color="{_MUTED}">grad ?</font>: not yet known</td></tr>')
    if "n/a" in shown:
        rows.append(f'<tr><td><font color="{_MUTED}">grad n/a</font>: not needed</td></tr>')
    if framed:
        rows.append(f'<tr><td border="3" color="{_HIGHLIGHT}">this step</td></tr>')
    return [
        '  key [label=<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
        f'<tr><td border="0"><b>key</b></td></tr>{"".join(rows)}</table>>];',
        "  { rank=sink; key; }",
    ]


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
    write_atomically(path, run_graphviz(source, format))
    return path


def run_graphviz(source: str, format: str, program: str = "dot", *options: str) -> bytes:
    """Run a Graphviz ``program`` on DOT ``source``; return its output in ``format``.

    Raises `RuntimeError` saying how to install Graphviz when the program is
    missing, and with Graphviz's own message when it fails.

    >>> run_graphviz("digraph { a -> b }", "json").startswith(b"{")  # doctest: +SKIP
    True
    """
    found = shutil.which(program)
    if found is None:
        raise RuntimeError(
            f"the Graphviz program {program!r} was not found on PATH; install Graphviz "
            "(Debian/Ubuntu: apt-get install graphviz, macOS: brew install graphviz, "
            "others: https://graphviz.org/download/) or use to_dot() for the DOT source"
        )
    result = subprocess.run(
        [found, f"-T{format}", *options], input=source.encode(), capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"Graphviz {program} failed (exit status {result.returncode}): "
            f"{result.stderr.decode(errors='replace').strip()}"
        )
    return result.stdout
