"""Algebraic simplification of expressions: folding, identities, coefficients.

`simplify` rewrites an expression into a smaller one with the same value:

* constant folding: an operation on constants becomes one constant (kept as
  it is when the result would be NaN or infinite, so ``log(0)`` stays
  readable and nothing warns);
* sums (``+``, ``-``, unary ``-``) become a list of terms with exact rational
  coefficients: equal terms are collected (``x + 2*x`` is ``3*x``), zero
  terms vanish (``x + 0``, ``x - x``) and ``--x`` is ``x``;
* products (``*``, ``/``, ``**`` with a constant exponent) become a
  coefficient times factors with exponents: ``2*(3*x)`` is ``6*x``, ``x*1``
  is ``x``, ``x*0`` is ``0``, ``x/x`` is ``1``, ``x**1`` is ``x``,
  ``x**0`` is ``1`` and ``x*x`` is ``x**2``.  A power is only distributed
  over a product, or merged into an inner power, for integer exponents,
  since ``(x**2)**0.5`` is ``|x|``, not ``x``.

**What "safe" means here.**  Wherever the original expression has a finite
value, the simplified one has the same value, up to rounding (coefficients
are collected exactly as rationals, then rounded once) and up to the float
range: ``x/y/y`` becomes ``x/y**2``, which overflows for ``|y| < 1e-154``.  Where the original
is NaN or infinite, the result may be finite: ``x*0``, ``x - x`` and ``x/x``
become ``0``, ``0`` and ``1`` although ``inf*0``, ``inf - inf`` and ``0/0``
are NaN.  A rewrite that drops a subexpression also drops its shape: for an
array ``x``, ``x - x`` simplifies to the scalar ``0``, which broadcasts to
the original value.  (Symbolic derivatives are pointwise, so this is the
natural reading for them too.)

Simplification is iterative (any depth) and memoised per node: a shared
subexpression is simplified once and stays shared, and structurally equal
results are built as one node.  It is idempotent:
``simplify(simplify(e))`` is structurally equal to ``simplify(e)``.

>>> from exprdiff import Input
>>> x = Input("x")
>>> print(simplify(x * 1 + 0 + 2 * (3 * x)))
7*x
>>> print(simplify(x**3 / x - x * x))
0
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from fractions import Fraction

import numpy as np

from exprdiff.core.nodes import Constant, Node
from exprdiff.core.plan import topological_order
from exprdiff.ops import Add, Divide, LogicalNot, Multiply, Negate, Power, Subtract, Where

__all__ = ["simplify", "simplify_all"]

# Coefficients and exponents are exact: ints while integral (fast), else Fractions.
_ONE = 1
_ZERO = 0
_SMALL_DENOMINATOR = 1000  # coefficients p/q with q up to this print as p*x/q
_EXACT_INTEGER = 2**53
_MAX_PASSES = 8
_MAX_PEEK = 16  # factors: beyond this a shared product is never taken apart
_MAX_DISTRIBUTED_POWER = 64  # (2*x)**k with larger integer k stays a power
_MAX_ASSUMING = 256  # a where's branches larger than this keep the wheres they hold


def simplify(expr: Node) -> Node:
    """A simpler expression with the same value (see the module docstring).

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> print(simplify(3 * x - 4 * x + 5 - 5))
    -x
    """
    return simplify_all([expr])[0]


def simplify_all(exprs: Iterable[Node]) -> list[Node]:
    """Simplify several expressions together, so what they share stays shared.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> shared = x * 1 + 0
    >>> first, second = simplify_all([shared * 2, shared + 2])
    >>> print(first, "|", second)
    2*x | x + 2
    """
    results = _Simplifier().run(list(exprs))
    # One pass decides what to flatten from how often each node is used, and
    # a rewrite can change that; repeating until nothing changes is what makes
    # the result idempotent.  Two passes almost always suffice.
    for _ in range(_MAX_PASSES):
        again = _Simplifier().run(results)
        if all(a.equals(b) for a, b in zip(again, results, strict=True)):
            break
        results = again
    return results


# -- forms: what a sum or a product looks like while it is being collected --
class _Sum:
    """``scale * (sum of coef*term) + const``; terms: key -> [term, coef], in order.

    The key is the term node, or for a product the set of its factors, so
    ``x*y + y*x`` collects into ``2*x*y``.
    """

    __slots__ = ("terms", "const", "scale")

    def __init__(self, terms: dict | None = None, const: Fraction = _ZERO) -> None:
        self.terms = terms if terms is not None else {}
        self.const = const
        self.scale = _ONE

    def add(self, other: _Sum, sign: int) -> _Sum:
        """``self + sign*other``, reusing the larger dict (both are consumed)."""
        if len(other.terms) > len(self.terms):
            other.scale *= sign
            other.const *= sign
            other._absorb(self, 1)
            return other
        self._absorb(other, sign)
        return self

    def _absorb(self, other: _Sum, sign: int) -> None:
        factor = _ratio(sign * other.scale, self.scale)
        terms = self.terms
        for key, (term, coef) in other.terms.items():
            entry = terms.get(key)
            if entry is None:
                terms[key] = [term, factor * coef]
            else:
                entry[1] += factor * coef
        self.const += sign * other.const

    def negate(self) -> _Sum:
        self.scale = -self.scale
        self.const = -self.const
        return self

    def items(self) -> list:
        return [(t, c * self.scale) for t, c in self.terms.values() if c != 0]


class _Product:
    """``coef * product of factor**exponent``, factor -> exponent kept in order."""

    __slots__ = ("factors", "coef", "power")

    def __init__(self, factors: dict | None = None, coef: Fraction = _ONE) -> None:
        self.factors = factors if factors is not None else {}
        self.coef = coef
        self.power = _ONE  # multiplies every exponent (lazily, for x/(y/(z/...)))

    def multiply(self, other: _Product, sign: int) -> _Product:
        """``self * other**sign`` (``sign`` is 1 or -1); both are consumed."""
        if sign < 0 and other.coef == 0:
            raise ZeroDivisionError
        coef = self.coef * other.coef if sign > 0 else _ratio(self.coef, other.coef)
        if len(other.factors) > len(self.factors):
            other.power *= sign
            other._absorb(self, 1)
            other.coef = coef
            return other
        self._absorb(other, sign)
        self.coef = coef
        return self

    def _absorb(self, other: _Product, sign: int) -> None:
        factor = _ratio(sign * other.power, self.power)
        factors = self.factors
        for base, exponent in other.factors.items():
            factors[base] = factors.get(base, _ZERO) + factor * exponent

    def copy(self) -> _Product:
        twin = _Product(dict(self.factors), self.coef)
        twin.power = self.power
        return twin

    def raise_to(self, exponent: Fraction) -> _Product:
        if self.coef == 0 and exponent < 0:
            raise ZeroDivisionError
        self.coef = Fraction(self.coef) ** exponent
        self.power *= exponent
        return self

    def items(self) -> list:
        return [(f, e * self.power) for f, e in self.factors.items() if e != 0]


def _coefficient(value: object) -> Fraction | int | None:
    """A finite scalar constant as an exact rational; None for anything else."""
    if isinstance(value, float) and math.isfinite(value):
        if value.is_integer() and abs(value) <= _EXACT_INTEGER:
            return int(value)
        return Fraction(value)
    return None


def _ratio(a, b):
    """``a / b`` exactly."""
    if b == 1:
        return a
    if b == -1:
        return -a
    return Fraction(a) / b


def _normal(c: Fraction) -> Fraction:
    """Keep small rationals exact; round anything else to the nearest float once."""
    if c.denominator <= _SMALL_DENOMINATOR and abs(c.numerator) <= _EXACT_INTEGER:
        return c
    try:
        return Fraction(float(c))
    except OverflowError:
        return c  # too large for a float: the caller leaves it unfolded


class _Simplifier:
    def __init__(self) -> None:
        self.built: dict = {}  # hash-consing: structural key -> node
        self.state: dict = {}  # original node -> simplified node or pending form
        self.uses: dict = {}
        self.expansions: dict = {}  # built product node -> the form it came from

    # -- driver ----------------------------------------------------------
    def run(self, roots: list[Node]) -> list[Node]:
        order: list = []
        known: set = set()
        for root in roots:
            for node in topological_order(root):
                if node not in known:
                    known.add(node)
                    order.append(node)
        uses = self.uses
        built = self.built
        for node in order:
            children = node.children
            for child in children:
                uses[child] = uses.get(child, 0) + 1
            if children:  # rebuilding an original structure gives the original back
                built.setdefault(self.key(type(node), children, node), node)
        for root in roots:
            uses[root] = uses.get(root, 0) + 1  # the caller uses each root
        for node in order:
            self.state[node] = self._step(node)
        return [self.node(root) for root in roots]

    def _step(self, node: Node):
        children = node.children
        if not children:
            if isinstance(node, Constant):
                return self.built.setdefault(self.const_key(node.value), node)
            return node
        rule = _RULES.get(type(node))
        if rule is not None:
            try:
                result = rule(self, node)
            except (ZeroDivisionError, OverflowError):
                result = None  # e.g. x/(0*y): leave this operation as it is
            if result is not None:
                return result
        return self.generic(node, [self.node(child) for child in children])

    # -- building nodes ------------------------------------------------------
    @staticmethod
    def const_key(value) -> tuple:
        if isinstance(value, np.ndarray):
            return ("array", value.shape, value.tobytes())
        return ("scalar", float(value).hex())

    def const(self, value) -> Node:
        key = self.const_key(value)
        node = self.built.get(key)
        if node is None:
            node = self.built[key] = Constant(value)
        return node

    @staticmethod
    def key(cls: type, children: tuple, like: Node | None) -> tuple:
        settings = repr([getattr(like, name) for name in cls.settings]) if cls.settings else ""
        return (cls, tuple(map(id, children)), settings)

    def make(self, cls: type, *children: Node, like: Node | None = None) -> Node:
        """The node ``cls(*children)``, built once per structure."""
        key = self.key(cls, children, like)
        node = self.built.get(key)
        if node is None:
            if like is not None and all(map(operator.is_, children, like.children)):
                node = like  # nothing changed: keep the original (and its plan)
            else:
                settings = ({name: getattr(like, name) for name in cls.settings}
                            if like is not None else {})
                node = cls(*children, **settings)
            self.built[key] = node
        return node

    def generic(self, node: Node, children: list[Node]) -> Node:
        """Fold an operation on constants; otherwise rebuild it from its operands.

        Conditions (no derivative, boolean values) are not folded: a Constant
        holds a number, not a truth value."""
        if type(node).differentiable and all(isinstance(child, Constant) for child in children):
            with np.errstate(all="ignore"):
                try:
                    value = node.forward(*[child.value for child in children])
                except (ArithmeticError, ValueError, TypeError):
                    value = None
            if value is not None and bool(np.all(np.isfinite(value))):
                return self.const(value if isinstance(value, np.ndarray) and value.ndim
                                  else float(value))
        return self.make(type(node), *children, like=node)

    def node(self, original: Node) -> Node:
        """The simplified node of ``original``, building its form if still pending."""
        state = self.state[original]
        if isinstance(state, Node):
            return state
        built = self.sum_node(state) if isinstance(state, _Sum) else self.product_node(state)
        self.state[original] = built
        return built

    # -- reading operands as forms -------------------------------------------
    def sum_of(self, original: Node) -> _Sum:
        state = self.state[original]
        if isinstance(state, _Sum) and self.uses[original] == 1:
            return state  # a single use: take the pending form over
        if isinstance(state, _Product) and self.uses[original] == 1:
            coef, state.coef = state.coef, _ONE
            if coef == 0:
                return _Sum()
            rest = self.product_node(state)
            return self.term(rest, coef) if not _is_one(rest) else _Sum(const=coef)
        return self.sum_of_node(self.node(original))

    def sum_of_node(self, node: Node) -> _Sum:
        if isinstance(node, Constant):
            c = _coefficient(node.value)
            if c is not None:
                return _Sum(const=c)
        coef, rest = self.split(node)
        return self.term(rest, coef)

    def term(self, node: Node, coef) -> _Sum:
        """A sum of one term, keyed so that equal products collect."""
        form = self.expansions.get(node)
        key = node
        if form is not None and form.coef == 1:
            key = frozenset((id(base), e * form.power) for base, e in form.factors.items() if e)
        return _Sum({key: [node, coef]})

    def split(self, node: Node) -> tuple[Fraction, Node]:
        """``node`` as ``coef * rest`` when it is built as a coefficient times something."""
        coef = _ONE
        while True:  # down through -x, c*x and x/c, iteratively
            if isinstance(node, Negate):
                coef, node = -coef, node.child
                continue
            if isinstance(node, Multiply) and isinstance(node.lhs, Constant):
                c = _coefficient(node.lhs.value)
                if c is not None:
                    return coef * c, node.rhs
            if isinstance(node, Divide) and isinstance(node.rhs, Constant):
                c = _coefficient(node.rhs.value)
                if c:  # p*x/q
                    coef, node = _ratio(coef, c), node.lhs
                    continue
            return coef, node

    def product_of(self, original: Node, pull_coefficient: bool = False) -> _Product:
        state = self.state[original]
        if isinstance(state, _Product) and self.uses[original] == 1:
            return state
        node = self.node(original)
        if isinstance(node, Constant):
            c = _coefficient(node.value)
            if c is not None:
                return _Product(coef=c)
        if self.uses[original] > 1:
            # Taking a shared product apart would rebuild it inside every user:
            # it stays one factor, so derivative graphs keep their sharing.  Its
            # coefficient (a sign, say) comes out when the user is itself taken
            # apart by its own user, where the sign merges.
            coef, rest = self.split(node) if pull_coefficient else (_ONE, node)
            if coef != -1:  # a sign is free in a sum (a subtraction); others cost a node
                coef, rest = _ONE, node
            return _Product({rest: _ONE}, coef)
        coef, rest = self.split(node)
        if rest is not node:
            product = self.product_of_node(rest)
            product.coef *= coef
            return product
        return self.product_of_node(node)

    def peek_product(self, original: Node) -> _Product | None:
        """``original`` as a product, taking shared products apart; consumes nothing."""
        state = self.state[original]
        if isinstance(state, _Product) and self.uses[original] == 1:
            return state.copy()
        node = self.node(original)
        if isinstance(node, Constant):
            c = _coefficient(node.value)
            return None if c is None else _Product(coef=c)
        known = self.expansions.get(node)
        if known is not None:
            return known.copy()
        coef, rest = self.split(node)
        product = self.product_of_node(rest)
        product.coef *= coef
        return product

    def product_of_node(self, node: Node) -> _Product:
        if isinstance(node, Power) and isinstance(node.rhs, Constant):
            exponent = _coefficient(node.rhs.value)
            if exponent is not None:
                return _Product({node.lhs: exponent})
        return _Product({node: _ONE})

    # -- turning forms back into nodes ------------------------------------------
    def sum_node(self, form: _Sum) -> Node:
        items = [(term, _normal(coef)) for term, coef in form.items()]
        const = _normal(form.const)
        first = next((i for i, (_, coef) in enumerate(items) if coef > 0), 0)
        items = items[first:first + 1] + items[:first] + items[first + 1:]
        result = None
        if const > 0 and (not items or items[0][1] < 0):
            result, const = self.number(const), _ZERO  # 1 - x rather than -x + 1
        for term, coef in items:
            if result is None:
                result = self.scaled(term, coef)
            elif coef > 0:
                result = self.make(Add, result, self.scaled(term, coef))
            else:
                result = self.make(Subtract, result, self.scaled(term, -coef))
        if result is None:
            return self.number(const)
        if const > 0:
            return self.make(Add, result, self.number(const))
        if const < 0:
            return self.make(Subtract, result, self.number(-const))
        return result

    def scaled(self, node: Node, coef: Fraction) -> Node:
        """``coef * node`` as it prints best: ``x``, ``-x``, ``-3*x``, ``2*x/3``."""
        if coef == 1:
            return node
        if coef == -1:
            return self.make(Negate, node)
        if isinstance(node, Constant):
            with np.errstate(all="ignore"):
                value = node.value * float(coef)
            if np.all(np.isfinite(value)):
                return self.const(value)
        if coef.denominator == 1 or coef.denominator > _SMALL_DENOMINATOR:
            return self.make(Multiply, self.number(coef), node)
        p = coef.numerator
        top = self.make(Negate, node) if p == -1 else node if p == 1 else self.make(
            Multiply, self.number(Fraction(p)), node)
        return self.make(Divide, top, self.number(Fraction(coef.denominator)))

    def number(self, c: Fraction) -> Node:
        try:
            return self.const(float(c))
        except OverflowError:
            return self.const(math.copysign(math.inf, c))

    def product_node(self, form: _Product) -> Node:
        built = self._product_node(form)
        if built.children and form.factors:
            self.expansions.setdefault(built, form.copy())
        return built

    def _product_node(self, form: _Product) -> Node:
        coef = _normal(form.coef)
        if coef == 0:
            return self.const(0.0)
        top: Node | None = None
        bottom: Node | None = None
        for base, exponent in form.items():
            exponent = _normal(exponent)
            factor = self.power(base, abs(exponent))
            if exponent > 0:
                top = factor if top is None else self.make(Multiply, top, factor)
            else:
                bottom = factor if bottom is None else self.make(Multiply, bottom, factor)
        if bottom is None:
            return self.number(coef) if top is None else self.scaled(top, coef)
        size = abs(coef)
        p, q = (size, _ONE) if size.denominator > _SMALL_DENOMINATOR else (
            Fraction(size.numerator), Fraction(size.denominator))
        top = self.number(p) if top is None else self.scaled(top, p)
        if coef < 0:  # -x/y and -1/y: the sign on the numerator
            top = self.number(-p) if isinstance(top, Constant) else self.make(Negate, top)
        if q != 1:
            bottom = self.make(Multiply, self.number(q), bottom)
        return self.make(Divide, top, bottom)

    def power(self, base: Node, exponent: Fraction) -> Node:
        if exponent == 1:
            return base
        return self.make(Power, base, self.number(exponent))


def _is_one(node: Node) -> bool:
    return isinstance(node, Constant) and isinstance(node.value, float) and node.value == 1.0


# -- the rules, one per arithmetic operation (other operations fold or rebuild) --
def _add(s: _Simplifier, node: Node):
    return s.sum_of(node.lhs).add(s.sum_of(node.rhs), 1)


def _subtract(s: _Simplifier, node: Node):
    return s.sum_of(node.lhs).add(s.sum_of(node.rhs), -1)


def _negate(s: _Simplifier, node: Node):
    return s.sum_of(node.child).negate()


def _multiply(s: _Simplifier, node: Node):
    return _product(s, node, 1)


def _divide(s: _Simplifier, node: Node):
    return _product(s, node, -1)


def _product(s: _Simplifier, node: Node, sign: int):
    """``lhs * rhs**sign``.  Shared operand products are taken apart only when
    that cancels something (``1/(a*b) * b`` is ``1/a``); else they stay whole."""
    lhs, rhs = node.lhs, node.rhs
    if any(s.uses[child] > 1 and s.node(child) in s.expansions for child in (lhs, rhs)):
        a, b = s.peek_product(lhs), s.peek_product(rhs)
        if a is not None and b is not None and len(a.factors) + len(b.factors) <= _MAX_PEEK:
            separate = len(a.items()) + len(b.items())
            merged = a.multiply(b, sign)
            if len(merged.items()) < separate:
                return merged
    pull = s.uses[node] == 1
    return s.product_of(lhs, pull).multiply(s.product_of(rhs, pull), sign)


def _power(s: _Simplifier, node: Node):
    exponent = s.node(node.rhs)
    k = _coefficient(exponent.value) if isinstance(exponent, Constant) else None
    if k is None:
        return None
    if k == 0:
        return s.const(1.0)  # x**0 is 1 for every x, NaN included
    base = s.node(node.lhs)
    if isinstance(base, Constant):
        return None  # fold
    if k == 1:
        return base
    if k.denominator == 1 and abs(k) <= _MAX_DISTRIBUTED_POWER:
        return s.product_of(node.lhs).raise_to(k)
    return _Product({base: k})


def _where(s: _Simplifier, node: Node):
    """Inside ``where(c, a, b)``, a ``where(c, p, q)`` in ``a`` is ``p`` and one in ``b`` is
    ``q`` (the derivatives of a ``where`` nest these); ``where(c, a, a)`` is ``a``, and a
    constant number condition picks its branch."""
    condition, x, y = (s.node(child) for child in node.children)
    if isinstance(condition, LogicalNot):  # where(~c, a, b) is where(c, b, a)
        condition, x, y = condition.child, y, x
    x, y = _assuming(s, x, condition, 1), _assuming(s, y, condition, 2)
    if isinstance(condition, Constant) and not isinstance(condition.value, np.ndarray):
        return x if condition.value != 0 else y  # nonzero (NaN too) is true, as in NumPy
    if x is y:
        return x
    return s.generic(node, [condition, x, y])


def _assuming(s: _Simplifier, root: Node, condition: Node, branch: int) -> Node:
    """``root`` with each ``where(condition, p, q)`` in it replaced by its operand ``branch``
    (1: ``p``, where the condition holds; 2: ``q``); small expressions only, iteratively."""
    order = topological_order(root)
    if len(order) > _MAX_ASSUMING or not any(
            isinstance(n, Where) and n.operands[0] is condition for n in order):
        return root
    new: dict = {}
    for n in order:
        if isinstance(n, Where) and n.operands[0] is condition:
            new[n] = new[n.operands[branch]]
        elif n.children and any(new[child] is not child for child in n.children):
            new[n] = s.make(type(n), *[new[child] for child in n.children], like=n)
        else:
            new[n] = n
    return new[root]


_RULES = {
    Add: _add, Subtract: _subtract, Negate: _negate,
    Multiply: _multiply, Divide: _divide, Power: _power, Where: _where,
}
