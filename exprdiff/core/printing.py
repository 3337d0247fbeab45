"""Printing expressions as text, kept apart from the math.

Parentheses are decided by a precedence table over operator symbols, the
same one Python's grammar uses, so printed text parses back into the same
tree when the leaves are in scope: ``-x**2`` is ``-(x**2)``, powers are
right-associative, and a right operand of ``-`` or ``/`` at the same level
keeps its parentheses.  Printing is iterative: any depth prints.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PRECEDENCE", "format_number", "function_name", "render_text", "to_str"]

#: binding strength of infix symbols; higher binds tighter
PRECEDENCE = {"+": 10, "-": 10, "*": 20, "/": 20, "@": 20, "**": 40}
_PREFIX = 30  # unary minus, and negative numbers
_ATOM = 100  # names, numbers, function calls
_NON_ASSOCIATIVE = {"-", "/", "@"}
_DEFAULT_LIMIT = 10_000_000  # a heavily shared DAG can expand to astronomical text


def format_number(value: float) -> str:
    """A float as short text: ``2`` for 2.0, ``0.5`` for 0.5.

    >>> format_number(2.0), format_number(-0.25)
    ('2', '-0.25')
    """
    if float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))


def _leaf_text(node) -> str:
    if hasattr(node, "value"):
        value = node.value
        if isinstance(value, np.ndarray):
            if value.size <= 8:
                return "[" + ", ".join(format_number(v) for v in value.ravel()) + "]" \
                    if value.ndim == 1 else f"array(shape={value.shape})"
            return f"array(shape={value.shape})"
        return format_number(value)
    return node.label


def _precedence(node) -> int:
    children = node.children
    if not children:
        value = getattr(node, "value", None)
        return _PREFIX if isinstance(value, float) and value < 0 else _ATOM
    if node.symbol:
        return _PREFIX if len(children) == 1 else PRECEDENCE.get(node.symbol, 20)
    return _ATOM


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
        stack.append(_leaf_text(item))
    elif not item.symbol:
        stack.append(")")
        for name in reversed(item.settings):
            stack.append(f", {name}={getattr(item, name)!r}")
        for position, child in enumerate(reversed(children)):
            stack.append(child)
            if position < len(children) - 1:
                stack.append(", ")
        stack.append(function_name(type(item)) + "(")
    elif len(children) == 1:
        _push(stack, children[0], _precedence(children[0]) <= _PREFIX)
        stack.append(item.symbol)
    else:
        _push_infix(stack, item)


def _push_infix(stack: list, node) -> None:
    symbol = node.symbol
    level = PRECEDENCE.get(symbol, 20)
    lhs, rhs = node.children
    lhs_level, rhs_level = _precedence(lhs), _precedence(rhs)
    right_associative = symbol == "**"
    lhs_parens = lhs_level < level or (right_associative and lhs_level <= level)
    rhs_parens = (
        rhs_level < level
        or _starts_with_minus(rhs)  # x*(-y), x - (-2) and y*(-2*x) read better than x*-y
        or (rhs_level == level and symbol in _NON_ASSOCIATIVE)
    )
    spaced = level <= PRECEDENCE["+"] or symbol == "@"
    _push(stack, rhs, rhs_parens)
    stack.append(f" {symbol} " if spaced else symbol)
    _push(stack, lhs, lhs_parens)


def _starts_with_minus(node, look: int = 64) -> bool:
    """Whether ``node``'s text begins with a minus sign (checking ``look`` steps down)."""
    for _ in range(look):
        level = _precedence(node)
        if level == _PREFIX:
            return True
        if level == _ATOM or len(node.children) != 2:
            return False
        lhs = node.children[0]
        own, lhs_level = PRECEDENCE.get(node.symbol, 20), _precedence(lhs)
        if lhs_level < own or (node.symbol == "**" and lhs_level <= own):
            return False  # the left operand is in parentheses
        node = lhs
    return False


def _push(stack: list, node, parenthesize: bool) -> None:
    if parenthesize:
        stack.extend((")", node, "("))
    else:
        stack.append(node)
