"""LaTeX for expressions: fractions, powers, named functions, subscripted names.

Division prints as ``\\frac``, powers as ``^{...}``, products with ``\\cdot``
(a number before a name is written next to it: ``6 x``), and functions take
their form from their class (``latex_template``, with ``#1`` for the operand):
``\\sigma``, ``\\log``, ``\\tanh``, ``\\sqrt``...; an operation without one
prints as ``\\operatorname{name}``.  Names such as ``w1`` or ``w_1`` become
``w_{1}``, Greek names become letters (``alpha`` is ``\\alpha``) and longer
names are set upright, with LaTeX's special characters escaped (`latex_escape`),
so no name can break or command the document.  Iterative, like
`exprdiff.core.printing`.

>>> from exprdiff import Parameter, Input, Sigmoid
>>> w1, x1, b = Parameter("w1"), Input("x1"), Parameter("b")
>>> print(to_latex(Sigmoid(w1 * x1 + b)))
\\sigma\\left(w_{1} \\cdot x_{1} + b\\right)
"""

from __future__ import annotations

import re

import numpy as np

from exprdiff.core.printing import PRECEDENCE, format_number, function_name, render_text

__all__ = ["latex_escape", "latex_name", "to_latex"]

_PREFIX = 30
_FRACTION = 25  # needs no parentheses next to products and signs
_ATOM = 100
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
}
_INDEXED = re.compile(r"^([A-Za-z]+)_?(\d+)$")
_SUBSCRIPTED = re.compile(r"^([A-Za-z0-9]+)_([A-Za-z0-9_]+)$")
_PLACEHOLDER = re.compile(r"(#\d)")


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


def to_latex(root, limit: int | None = None) -> str:
    """LaTeX source for an expression (see the module docstring).

    ``limit`` cuts the text at about that many characters, ending it in ``…``.

    >>> from exprdiff import Input, Log
    >>> x = Input("x")
    >>> print(to_latex((3 * x**2 - 4) / Log(x)))
    \\frac{3 x^{2} - 4}{\\log\\left(x\\right)}
    """
    return render_text(root, _expand, limit)


def _expand(node, stack: list) -> None:
    if node.children:
        stack.extend(reversed(_layout(node)))
    else:
        stack.append(_leaf(node))


def _leaf(node) -> str:
    if not hasattr(node, "value"):
        return latex_name(node.label)
    value = node.value
    if isinstance(value, np.ndarray):
        if value.ndim == 1 and value.size <= 8:
            return r"\left[" + ", ".join(format_number(v) for v in value) + r"\right]"
        return r"\mathrm{array}" + str(value.shape).replace(" ", "")
    return format_number(value)


def _level(node) -> int:
    children = node.children
    if not children:
        value = getattr(node, "value", None)
        return _PREFIX if isinstance(value, float) and value < 0 else _ATOM
    symbol = node.symbol
    if not symbol:
        return _ATOM
    if len(children) == 1:
        return _PREFIX
    return _FRACTION if symbol == "/" else PRECEDENCE.get(symbol, 20)


def _wrapped(node, parenthesize: bool) -> list:
    return [r"\left(", node, r"\right)"] if parenthesize else [node]


def _layout(node) -> list:
    """The pieces (text and operand nodes) that print ``node``."""
    children = node.children
    symbol = node.symbol
    if not symbol:
        template = node.latex_template or _default_template(node)
        return [children[int(part[1]) - 1] if _PLACEHOLDER.fullmatch(part) else part
                for part in _PLACEHOLDER.split(template) if part]
    if len(children) == 1:
        level = _level(children[0])
        return [symbol, *_wrapped(children[0], level < 20 or level == _PREFIX)]
    lhs, rhs = children
    lhs_level, rhs_level = _level(lhs), _level(rhs)
    if symbol == "/":
        return [r"\frac{", lhs, "}{", rhs, "}"]
    if symbol == "**":
        return [*_wrapped(lhs, lhs_level < _ATOM), "^{", rhs, "}"]
    level = PRECEDENCE.get(symbol, 20)
    rhs_parens = rhs_level < level or rhs_level == _PREFIX or (
        rhs_level == level and symbol == "-")
    if symbol == "*":
        joint = " " if _is_number(lhs) and not _starts_with_number(rhs) else r" \cdot "
    else:
        joint = f" {symbol} " if symbol in "+-" else " "
    return [*_wrapped(lhs, lhs_level < level), joint, *_wrapped(rhs, rhs_parens)]


def _default_template(node) -> str:
    name = latex_escape(function_name(type(node)))
    operands = ", ".join(f"#{i + 1}" for i in range(len(node.children)))
    settings = "".join(
        f", \\mathrm{{{latex_escape(key)}}}={latex_escape(repr(getattr(node, key)))}"
        for key in node.settings)
    return rf"\operatorname{{{name}}}\left({operands}{settings}\right)"


def _is_number(node) -> bool:
    value = getattr(node, "value", None)
    return isinstance(value, float) and value >= 0


def _starts_with_number(node) -> bool:
    """Whether ``node`` prints starting with a digit (so ``2 3`` would misread)."""
    while node.children:
        if node.symbol in ("/", "") or len(node.children) == 1:
            return False
        node = node.children[0]
    return hasattr(node, "value")
