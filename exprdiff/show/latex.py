"""LaTeX for expressions: fractions, powers, named functions, subscripted names.

Every operation takes its form from its class: ``latex_template``, with
``#1``, ``#2`` for the operands (``\\frac{#1}{#2}``, ``#1^{#2}``,
``\\sigma\\left(#1\\right)``...); without one, an operation with a symbol is
written with it and any other as ``\\operatorname{name}``.  An operand inside
braces or ``\\left...\\right`` is grouped already; one written bare gets
parentheses when it binds more loosely than its operation (the shared
`exprdiff.core.printing.precedence`, where a fraction groups like an atom
except as the base of a power).  A product written with ``\\cdot`` drops it
after a plain number (``6 x``, the class's ``latex_coefficient_template``).
Names such as ``w1`` or ``w_1`` become ``w_{1}``, Greek names become letters
(``alpha`` is ``\\alpha``) and longer names are set upright, with LaTeX's
special characters escaped (`latex_escape`), so no name can break or command
the document.  Iterative, like
`exprdiff.core.printing`.

>>> from exprdiff import Parameter, Input, Sigmoid
>>> w1, x1, b = Parameter("w1"), Input("x1"), Parameter("b")
>>> print(to_latex(Sigmoid(w1 * x1 + b)))
\\sigma\\left(w_{1} \\cdot x_{1} + b\\right)
"""

from __future__ import annotations

import re

from exprdiff.core.nodes import Node
from exprdiff.core.printing import (
    PREFIX,
    PRODUCT,
    LeafStyle,
    format_leaf,
    function_name,
    precedence,
    render_text,
)

__all__ = ["latex_escape", "latex_name", "template_of", "to_latex"]

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
}
_INDEXED = re.compile(r"^([A-Za-z]+)_?(\d+)$")
_SUBSCRIPTED = re.compile(r"^([A-Za-z0-9]+)_([A-Za-z0-9_]+)$")
_PLACEHOLDER = re.compile(r"(#\d+)")
_GROUPING = re.compile(r"\\left|\\right|[{}]")


def latex_name(name: str) -> str:
    """A leaf's name in LaTeX: ``w1`` and ``w_1`` give ``w_{1}``.

    Any other character that means something to LaTeX (``\\ % # & { } _ ^ ~
    $``) or cannot appear in its source (control characters) is escaped, so
    every name gives valid, inert LaTeX: a name can never run a command.

    >>> latex_name("w1"), latex_name("x_out"), latex_name("alpha"), latex_name("label")
    ('w_{1}', 'x_{\\\\mathrm{out}}', '\\\\alpha', '\\\\mathrm{label}')
    >>> print(latex_name(r"50% \\input{x}"))
    \\mathrm{50\\% \\backslash{}input\\{x\\}}
    """
    match = _INDEXED.match(name) or _SUBSCRIPTED.match(name)
    if match:
        return f"{_word(match.group(1))}_{{{_word(match.group(2))}}}"
    return _word(name)


def _word(word: str) -> str:
    if (len(word) == 1 and word.isalnum()) or word.isdigit():
        return word
    if word in _GREEK:
        return "\\" + word
    return r"\mathrm{" + latex_escape(word) + "}"


#: LaTeX's special characters, as math-mode text that shows them and does nothing else
_ESCAPES = {"\\": r"\backslash{}", "%": r"\%", "#": r"\#", "&": r"\&", "{": r"\{", "}": r"\}",
            "_": r"\_", "^": r"\hat{}", "~": r"\sim{}", "$": r"\$"}


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special and control characters escaped (for math mode).

    >>> print(latex_escape("a_b & {c}"))
    a\\_b \\& \\{c\\}
    """
    return "".join(
        _ESCAPES.get(c, c) if c.isprintable()
        else _ESCAPES["\\"] + c.encode("unicode_escape").decode("ascii")[1:]
        for c in text
    )


def to_latex(root: Node, limit: int | None = None) -> str:
    """LaTeX source for an expression (see the module docstring).

    ``limit`` cuts the text at about that many characters, ending it in ``…``.

    >>> from exprdiff import Input, Log
    >>> x = Input("x")
    >>> print(to_latex((3 * x**2 - 4) / Log(x)))
    \\frac{3 x^{2} - 4}{\\log\\left(x\\right)}
    """
    return render_text(root, _expand, limit)


_LEAVES = LeafStyle(
    name=latex_name, brackets=(r"\left[", r"\right]"),
    array=lambda shape: r"\mathrm{array}" + str(shape).replace(" ", ""),
)


def _expand(node, stack: list) -> None:
    if node.children:
        stack.extend(reversed(_layout(node)))
    else:
        stack.append(format_leaf(node, _LEAVES))


def _layout(node) -> list:
    """The pieces (text and operand nodes) that print ``node``."""
    children = node.children
    own = precedence(node, latex=True)
    pieces: list = []
    depth = 0  # inside braces or \left...\right: the operand is grouped already
    for part in _PLACEHOLDER.split(_template(node)):
        if not _PLACEHOLDER.fullmatch(part):
            pieces.append(part)
            depth += sum(1 if mark in ("{", r"\left") else -1 for mark in _GROUPING.findall(part))
            continue
        slot = int(part[1:]) - 1
        operand = children[slot]
        if depth == 0 and _needs_parentheses(node, slot, precedence(operand, latex=True), own):
            pieces.extend((r"\left(", operand, r"\right)"))
        else:
            pieces.append(operand)
    return [piece for piece in pieces if piece != ""]


def _needs_parentheses(node, slot: int, level: int, own: int) -> bool:
    """Whether a bare operand at ``level`` needs parentheses in ``node`` (at level ``own``)."""
    if len(node.children) == 1:  # a sign before a product is unambiguous: -2 x
        return level < PRODUCT or level == PREFIX
    associativity = type(node).associativity
    if slot == 0:
        return level < own or (associativity in ("right", "none") and level <= own)
    return level < own or level == PREFIX or (level == own and associativity in ("left", "none"))


def _template(node) -> str:
    """The LaTeX form of ``node`` with ``#1``, ``#2`` for its operands."""
    kind, children = type(node), node.children
    if kind.subscript:  # x[0, 1:3]
        return "#1" + r"\left[" + latex_escape(node.subscript_text()[1:-1]) + r"\right]"
    coefficient = kind.latex_coefficient_template
    if coefficient and _is_number(children[0]) and not _starts_with_number(children[1]):
        return coefficient
    if kind.latex_template or kind.symbol or not node.printed_settings():
        return template_of(kind, len(children))
    settings = "".join(
        f", \\mathrm{{{latex_escape(key)}}}={latex_escape(repr(value))}"
        for key, value in node.printed_settings())
    return template_of(kind, len(children))[: -len(r"\right)")] + settings + r"\right)"


def template_of(op: type, arity: int) -> str:
    r"""The LaTeX form an operation class gives its nodes, ``#1``, ``#2`` for the operands.

    Its ``latex_template``; else its symbol's form; else a call, to which a
    node adds its settings.

    >>> from exprdiff import BinaryOp, Divide, Negate, Tanh
    >>> template_of(Divide, 2), template_of(Negate, 1), template_of(Tanh, 1)
    ('\\frac{#1}{#2}', '-#1', '\\tanh\\left(#1\\right)')
    >>> class Hypot(BinaryOp):
    ...     pass
    >>> print(template_of(Hypot, 2))
    \operatorname{hypot}\left(#1, #2\right)
    """
    if op.latex_template:
        return op.latex_template
    if op.symbol:
        return op.symbol + "#1" if arity == 1 else f"#1 {op.symbol} #2"
    operands = ", ".join(f"#{i + 1}" for i in range(arity))
    return rf"\operatorname{{{latex_escape(function_name(op))}}}\left({operands}\right)"


def _is_number(node) -> bool:
    value = getattr(node, "value", None)
    return isinstance(value, float) and value >= 0


def _starts_with_number(node) -> bool:
    """Whether ``node`` prints starting with a digit (so ``2 3`` would misread)."""
    while node.children:
        if not template_of(type(node), len(node.children)).startswith("#1"):
            return False
        node = node.children[0]
    return node.leaf_kind == "constant"
