"""Conditions: comparisons and their logic, the boolean values `Where` chooses by.

``a < b``, ``a <= b``, ``a > b`` and ``a >= b`` on nodes build these, as
SymPy's relationals do, and ``&``, ``|``, ``~`` combine them (``==`` and
``!=`` stay identity: nodes are dict keys).  A condition is used only by
`Where` and by these three: as an operand of anything else (``x * (x > 0)``,
``exp(x > 0)``) it raises `TypeError` when the node is built, pointing to
``where(x > 0, 1.0, 0.0)``, its value as a number.  A condition evaluates to a bool
or a boolean array; it has no derivative (``differentiable = False``), so no
gradient flows through it to its operands.  Their rules return 0 for any
caller that asks all the same (`exprdiff.node_gradients` follows every
operand).  In SymPy they are its relationals and ``And``/``Or``/``Not``.
"""

from __future__ import annotations

import numpy as np

from exprdiff.core.nodes import BinaryOp, UnaryOp
from exprdiff.core.printing import AND, COMPARISON, OR

__all__ = [
    "Greater", "GreaterEqual", "Isnan", "Less", "LessEqual", "LogicalAnd", "LogicalNot",
    "LogicalOr",
]


def _truth(sp, value):
    """A SymPy truth value: a relation as it is, a number ``x`` as ``Ne(x, 0)`` (NumPy's
    logical functions take nonzero as true).  A symbol without the real assumption (the
    bridge's leaves are real) is taken as a truth value itself."""
    boolean = sp.logic.boolalg
    if isinstance(value, (sp.core.relational.Relational, boolean.BooleanFunction,
                          boolean.BooleanAtom)) or (
            isinstance(value, sp.Symbol) and value.is_real is not True):
        return value
    return sp.Ne(value, 0)


class _Comparison(BinaryOp):
    """A comparison of two values: a condition, printed as Python writes it."""

    __slots__ = ()
    differentiable = False
    vjp_uses_out = False
    vjp_uses_operands = False
    spaced = True
    precedence = COMPARISON
    associativity = "none"  # a < b < c is two comparisons in Python: keep (a < b) < c

    def vjp_lhs(self, g, a, b, out):
        return 0.0

    def vjp_rhs(self, g, a, b, out):
        return 0.0


class Greater(_Comparison):
    """``a > b``, elementwise: a condition (no derivative)."""

    __slots__ = ()
    symbol = ">"
    ufunc = np.greater
    math_code = "({0} > {1})"
    math_finite = True
    latex_template = "#1 > #2"

    @staticmethod
    def sympy_form(sp, a, b):
        return sp.StrictGreaterThan(a, b)

    def forward(self, a, b):
        return np.greater(a, b)


class GreaterEqual(_Comparison):
    """``a >= b``, elementwise: a condition (no derivative)."""

    __slots__ = ()
    symbol = ">="
    ufunc = np.greater_equal
    math_code = "({0} >= {1})"
    math_finite = True
    latex_template = r"#1 \geq #2"

    @staticmethod
    def sympy_form(sp, a, b):
        return sp.GreaterThan(a, b)

    def forward(self, a, b):
        return np.greater_equal(a, b)


class Less(_Comparison):
    """``a < b``, elementwise: a condition (no derivative)."""

    __slots__ = ()
    symbol = "<"
    ufunc = np.less
    math_code = "({0} < {1})"
    math_finite = True
    latex_template = "#1 < #2"

    @staticmethod
    def sympy_form(sp, a, b):
        return sp.StrictLessThan(a, b)

    def forward(self, a, b):
        return np.less(a, b)


class LessEqual(_Comparison):
    """``a <= b``, elementwise: a condition (no derivative)."""

    __slots__ = ()
    symbol = "<="
    ufunc = np.less_equal
    math_code = "({0} <= {1})"
    math_finite = True
    latex_template = r"#1 \leq #2"

    @staticmethod
    def sympy_form(sp, a, b):
        return sp.LessThan(a, b)

    def forward(self, a, b):
        return np.less_equal(a, b)


class LogicalAnd(_Comparison):
    """``c & d``: both conditions hold (NumPy's ``logical_and``; numbers count as true when
    nonzero)."""

    __slots__ = ()
    condition_slots = (0, 1)
    symbol = "&"
    ufunc = np.logical_and
    math_code = "(bool({0}) and bool({1}))"
    math_finite = True
    precedence = AND
    associativity = "both"
    latex_template = r"#1 \land #2"

    @staticmethod
    def sympy_form(sp, a, b):
        return sp.And(_truth(sp, a), _truth(sp, b))

    def forward(self, a, b):
        return np.logical_and(a, b)


class LogicalOr(_Comparison):
    """``c | d``: either condition holds (NumPy's ``logical_or``)."""

    __slots__ = ()
    condition_slots = (0, 1)
    symbol = "|"
    ufunc = np.logical_or
    math_code = "(bool({0}) or bool({1}))"
    math_finite = True
    precedence = OR
    associativity = "both"
    latex_template = r"#1 \lor #2"

    @staticmethod
    def sympy_form(sp, a, b):
        return sp.Or(_truth(sp, a), _truth(sp, b))

    def forward(self, a, b):
        return np.logical_or(a, b)


class LogicalNot(UnaryOp):
    """``~c``: the condition does not hold (NumPy's ``logical_not``)."""

    __slots__ = ()
    differentiable = False
    vjp_uses_out = False
    vjp_uses_operands = False
    condition_slots = (0,)
    symbol = "~"
    ufunc = np.logical_not
    math_code = "(not {0})"
    math_finite = True
    latex_template = r"\lnot #1"

    @staticmethod
    def sympy_form(sp, x):
        return sp.Not(_truth(sp, x))

    def forward(self, x):
        return np.logical_not(x)

    def vjp(self, g, x, out):
        return 0.0


class Isnan(UnaryOp):
    """``isnan(x)``: where the value is NaN, a condition (no derivative).

    In SymPy it is false: SymPy's real symbols are never NaN.
    """

    __slots__ = ()
    differentiable = False
    vjp_uses_out = False
    vjp_uses_operands = False
    ufunc = np.isnan
    math_code = "({0} != {0})"
    math_finite = True
    latex_template = r"\operatorname{isnan}\left(#1\right)"

    @staticmethod
    def sympy_form(sp, x):
        return sp.false

    def forward(self, x):
        return np.isnan(x)

    def vjp(self, g, x, out):
        return 0.0
