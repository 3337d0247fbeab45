"""Printing expressions as text, kept apart from the math.

Each operation class says how it prints (`exprdiff.core.nodes.Node`): its
``symbol``, ``function_name``, ``precedence`` and ``associativity``.  This
module holds what every printer shares, the binding levels, the one
`precedence` function and the one leaf formatter `format_leaf`, and the text
printer itself.  Parentheses follow Python's grammar, so printed text parses
back into the same tree when the leaves are in scope: ``-x**2`` is
``-(x**2)``, powers are right-associative, and a right operand of ``-`` or
``/`` at the same level keeps its parentheses.  Printing is iterative: any
depth prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "AND", "ATOM", "COMPARISON", "FRACTION", "OR", "POWER", "PREFIX", "PRODUCT", "SUM", "TEXT",
    "LeafStyle",
    "format_leaf", "format_number", "function_name", "precedence", "render_text", "to_str",
]

# Binding levels, higher binds tighter: an operand whose level is below its
# operation's is put in parentheses.  They follow Python's grammar, in which
# comparisons bind more loosely than ``|``, ``|`` than ``&`` and ``&`` than ``+``.
COMPARISON = 4  #: ``a < b``, ``a >= b``
OR = 6  #: ``c | d``
AND = 8  #: ``c & d``
SUM = 10  #: ``a + b``, ``a - b``
PRODUCT = 20  #: ``a*b``, ``a/b``, ``a @ b``
FRACTION = 25  #: a LaTeX ``\frac``: groups its operands, but not as a base of a power
PREFIX = 30  #: unary minus, and negative numbers
POWER = 40  #: ``a**b``
ATOM = 100  #: names, numbers, function calls

_DEFAULT_LIMIT = 10_000_000  # a heavily shared DAG can expand to astronomical text


def format_number(value: float) -> str:
    """A float as short text: ``2`` for 2.0, ``0.5`` for 0.5.

    >>> format_number(2.0), format_number(-0.25)
    ('2', '-0.25')
    """
    if float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))


@dataclass(frozen=True)
class LeafStyle:
    """How `format_leaf` writes leaves for one printer (text, LaTeX, DOT).

    ``name`` turns a leaf's label into text; a 1-D array of up to ``inline``
    numbers is written out between ``brackets``; any other array is written
    by ``array`` from its shape.

    >>> LeafStyle(inline=0).array((2, 3))
    'array(shape=(2, 3))'
    """

    name: Callable[[str], str] = str
    inline: int = 8
    brackets: tuple[str, str] = ("[", "]")
    array: Callable[[tuple], str] = lambda shape: f"array(shape={shape})"


#: the leaves of `to_str`
TEXT = LeafStyle()


def format_leaf(node, style: LeafStyle = TEXT) -> str:
    """A leaf as text: its name, or its Constant's number or array, in ``style``.

    >>> from exprdiff import Constant, Input
    >>> format_leaf(Input("x")), format_leaf(Constant(2.0)), format_leaf(Constant([1, 2.5]))
    ('x', '2', '[1, 2.5]')
    """
    if node.leaf_kind != "constant":
        return style.name(node.label)
    value = node.value
    if not isinstance(value, np.ndarray):
        return format_number(value)
    if value.ndim == 1 and value.size <= style.inline:
        opening, closing = style.brackets
        return opening + ", ".join(format_number(v) for v in value) + closing
    return style.array(value.shape)


def precedence(node, latex: bool = False) -> int:
    """How tightly ``node``'s printed form binds, one of the levels above.

    Leaves are atoms (negative numbers bind like a prefix minus); an
    operation with a symbol has its class's ``precedence`` (its
    ``latex_precedence``, when set, for LaTeX); calls are atoms.

    >>> from exprdiff import Input, Tanh
    >>> x = Input("x")
    >>> precedence(x + 1), precedence(-x), precedence(Tanh(x)), precedence(x / 2, latex=True)
    (10, 30, 100, 25)
    """
    kind = type(node)
    if not node.children:
        value = getattr(node, "value", None)
        return PREFIX if isinstance(value, float) and value < 0 else ATOM
    if latex and kind.latex_precedence is not None:
        return kind.latex_precedence
    return kind.precedence if kind.symbol else ATOM


def function_name(op: type) -> str:
    """The name an operation class prints under: ``function_name``, else its lower-cased name.

    >>> from exprdiff import Tanh
    >>> function_name(Tanh)
    'tanh'
    """
    return op.function_name or op.__name__.lower()


def to_str(root, limit: int | None = None) -> str:
    """Infix text of an expression with minimal parentheses.

    ``limit`` cuts the text at about that many characters, ending it in ``…``.

    >>> from exprdiff import Input, Parameter, Sigmoid
    >>> w1, x1, b = Parameter("w1"), Input("x1"), Parameter("b")
    >>> to_str(Sigmoid(w1 * x1 + b))
    'sigmoid(w1*x1 + b)'
    >>> to_str(-(w1 - (x1 - b)) ** 2)
    '-(w1 - (x1 - b))**2'
    """
    return render_text(root, _expand, limit)


def render_text(root, expand, limit: int | None = None) -> str:
    """Run a printer without recursion: the text of ``root``.

    ``expand(node, stack)`` pushes what prints ``node`` onto ``stack`` in
    reverse order: strings, and operand nodes that are expanded in turn.
    ``limit`` cuts the text at about that many characters, ending it in ``…``.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> render_text(x + 1, lambda node, stack: stack.extend(["(", node.lhs, " plus 1)"][::-1])
    ...        if node.children else stack.append(node.label))
    '(x plus 1)'
    """
    limit = _DEFAULT_LIMIT if limit is None else limit
    pieces: list[str] = []
    length = 0
    stack: list = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            pieces.append(item)
            length += len(item)
            if length > limit:
                return "".join(pieces)[: max(limit - 1, 0)] + "…"
        else:
            expand(item, stack)
    return "".join(pieces)


def _expand(item, stack: list) -> None:
    children = item.children
    if not children:
        stack.append(format_leaf(item))
    elif type(item).subscript:  # x[0, 1:3]
        stack.append(item.subscript_text())
        _push(stack, children[0], precedence(children[0]) < ATOM)
    elif not item.symbol:
        stack.append(")")
        for name, value in reversed(item.printed_settings()):
            stack.append(f", {name}={value!r}")
        for position, child in enumerate(reversed(children)):
            stack.append(child)
            if position < len(children) - 1:
                stack.append(", ")
        stack.append(function_name(type(item)) + "(")
    elif len(children) == 1:
        _push(stack, children[0], precedence(children[0]) <= precedence(item))
        stack.append(item.symbol)
    else:
        _push_infix(stack, item)


def _push_infix(stack: list, node) -> None:
    kind = type(node)
    level = kind.precedence
    lhs, rhs = node.children
    lhs_level, rhs_level = precedence(lhs), precedence(rhs)
    associativity = kind.associativity
    lhs_parens = lhs_level < level or (associativity in ("right", "none") and lhs_level <= level)
    rhs_parens = (
        rhs_level < level
        or _starts_with_minus(rhs)  # x*(-y), x - (-2) and y*(-2*x) read better than x*-y
        or (rhs_level == level and associativity in ("left", "none"))
    )
    _push(stack, rhs, rhs_parens)
    stack.append(f" {kind.symbol} " if kind.spaced else kind.symbol)
    _push(stack, lhs, lhs_parens)


def _starts_with_minus(node, look: int = 64) -> bool:
    """Whether ``node``'s text begins with a minus sign (checking ``look`` steps down)."""
    for _ in range(look):
        level = precedence(node)
        if level == PREFIX:  # a negative number, or a prefix operator: minus, not ~
            return not node.children or node.symbol == "-"
        if level == ATOM or len(node.children) != 2:
            return False
        kind = type(node)
        lhs = node.children[0]
        lhs_level = precedence(lhs)
        if lhs_level < kind.precedence or (
                kind.associativity in ("right", "none") and lhs_level <= kind.precedence):
            return False  # the left operand is in parentheses
        node = lhs
    return False


def _push(stack: list, node, parenthesize: bool) -> None:
    if parenthesize:
        stack.extend((")", node, "("))
    else:
        stack.append(node)
