"""Algebraic simplification of expressions: folding, identities, coefficients.

`simplify` rewrites an expression into a smaller one with the same value:

* constant folding: an operation on constants becomes one constant (kept as
  it is when the result would be NaN or infinite, so ``log(0)`` stays
  readable and nothing warns);
* sums (``+``, ``-``, unary ``-``) become a list of terms with coefficients:
  equal terms are collected (``x + 2*x`` is ``3*x``), zero terms vanish
  (``x + 0``) and ``--x`` is ``x``;
* products (``*``, ``/``, ``**`` with a constant exponent) become a
  coefficient times factors with exponents: ``2*(3*x)`` is ``6*x``, ``x*1``
  is ``x`` and ``x*x`` is ``x**2``.  A power is only distributed over a
  product, or merged into an inner power, for integer exponents, since
  ``(x**2)**0.5`` is ``|x|``, not ``x``.

**Coefficients.**  Integers and fractions with small denominators (``x/3``)
are collected exactly; any other coefficient is a float, each product or sum
of coefficients rounded as the original would round it.  A coefficient is
folded only while it stays a normal float: ``x`` divided 40 times by
``1e10`` keeps its last divisions as divisions rather than folding them into
``1e-400``, which would be 0, so no constant folding ever turns a finite
value into 0 or inf.

**Shapes.**  The value keeps its shape.  A term that cancels (``x - x``) or a
factor whose exponent becomes 0 (``x/x``) may be all that gives the value a
batch's shape, so it stays as a shape carrier: ``x - x`` is ``0*x`` (NaN
where ``x`` is infinite, as ``x - x`` is), ``x*0`` stays ``0*x`` and ``x/x``
is ``x**0``, which is 1 with ``x``'s shape.  A carrier is left out when the
rest of the result already holds the same leaves (``x - x + x`` is ``x``).
(Symbolic derivatives are pointwise and broadcast to the expression's shape,
so for them, `diff` and `gradients`, the carriers are dropped: ``x - x`` is
``0`` there.)

**What "safe" means here.**  Wherever the original expression has a finite
value, the simplified one has the same value and the same gradient, up to
rounding (collected coefficients round once where the original rounded at
each step) and up to over- and underflow of regrouped factors that are not
constants: ``x/y/y`` becomes ``x/y**2``, which overflows for
``|y| < 1e-154``.  Where the original is NaN or infinite the result may be
finite: ``x/x`` is ``x**0``, which is 1 where ``0/0`` is NaN, and a carrier
left out drops the NaN of ``inf - inf``.

Simplification is iterative (any depth), linear in the size of the graph, and
memoised per node: a shared subexpression is simplified once and stays shared,
and structurally equal results are built as one node.  It is idempotent:
``simplify(simplify(e))`` is structurally equal to ``simplify(e)``.

>>> from exprdiff import Input
>>> x = Input("x")
>>> print(simplify(x * 1 + 0 + 2 * (3 * x)))
7*x
>>> print(simplify(x**3 / x - x * x), simplify(x**3 / x - x * x + x))
0*x**2 x
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

__all__ = ["simplify", "simplify_all", "simplify_pointwise"]

# Coefficients and exponents: ints and small Fractions (exact), else floats (see `_checked`).
_ONE = 1
_ZERO = 0
_SMALL_DENOMINATOR = 1000  # coefficients p/q with q up to this stay exact and print as p*x/q
_EXACT_INTEGER = 2**53
_SMALLEST_NORMAL = 2.2250738585072014e-308
_MAX_EXPONENT = 2**26  # larger exponents of a factor are left unmerged
_MAX_SPLIT = 128  # steps down a chain of -x, c*x and x/c looking for its coefficient
_MAX_PASSES = 8
_MAX_PEEK = 16  # factors: beyond this a shared product is never taken apart
_MAX_DISTRIBUTED_POWER = 64  # (2*x)**k with larger integer k stays a power
_MAX_REGION = 10_000  # nodes looked at to decide whether a shape carrier is needed
_MAX_ASSUMING = 256  # a where's branches larger than this keep the wheres they hold


def simplify(expr: Node) -> Node:
    """A simpler expression with the same value and shape (see the module docstring).

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
    return _simplified(list(exprs), keep_shapes=True)


def simplify_pointwise(exprs: Iterable[Node]) -> list[Node]:
    """`simplify_all` for pointwise derivatives: shape carriers are dropped (``x - x`` is 0).

    A derivative is broadcast to its expression's shape when it is evaluated
    (`exprdiff.symbolic.derivatives`), so the shape of a cancelled term is
    not needed there; below an operation that is not elementwise (``Sum(x -
    x)``) it is, and there the carriers stay.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> print(*simplify_pointwise([x - x, x / x * 3]))
    0 3
    """
    return _simplified(list(exprs), keep_shapes=False)


def _simplified(results: list[Node], keep_shapes: bool) -> list[Node]:
    originals = results
    results = _Simplifier(keep_shapes).run(results)
    if all(map(operator.is_, results, originals)):
        return results  # nothing changed: another pass would change nothing either
    # One pass decides what to flatten from how often each node is used, and
    # a rewrite can change that; repeating until nothing changes is what makes
    # the result idempotent.  Two passes almost always suffice.
    for _ in range(_MAX_PASSES):
        again = _Simplifier(keep_shapes).run(results)
        if all(a.equals(b) for a, b in zip(again, results, strict=True)):
            break
        results = again
    return results


# -- coefficient arithmetic: exact while small, else floats that must stay normal --
def _checked(c):
    """``c`` as a coefficient: an int up to 2**53, a Fraction with a small denominator,
    else a float, which must be a normal float.

    Anything else raises `OverflowError`, and the rule computing it leaves its
    operation unfolded: folding never turns a finite value into 0 or inf.
    """
    kind = type(c)
    if kind is int:
        if -_EXACT_INTEGER <= c <= _EXACT_INTEGER:
            return c
    elif kind is Fraction:
        if c.denominator == 1:
            return _checked(c.numerator)
        if c.denominator <= _SMALL_DENOMINATOR and abs(c.numerator) <= _EXACT_INTEGER:
            return c
    elif kind is float:
        if c != 0 and not _SMALLEST_NORMAL <= abs(c) < math.inf:  # subnormal, inf or NaN
            raise OverflowError(f"the coefficient {c!r} leaves the normal float range")
        return int(c) if c.is_integer() and abs(c) <= _EXACT_INTEGER else c
    value = float(c)  # may raise OverflowError itself
    if value == 0 and c != 0:
        raise OverflowError("the coefficient underflows to 0")
    return _checked(value)


def _times(a, b):
    """``a * b`` as a coefficient (see `_checked`)."""
    if a == 1:
        return b
    if b == 1:
        return a
    product = a * b
    if product == 0 and a != 0 and b != 0:
        raise OverflowError("the coefficient underflows to 0")
    return _checked(product)


def _plus(a, b):
    """``a + b`` as a coefficient."""
    return _checked(a + b)


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
        # every new coefficient is computed (and checked) before anything changes,
        # so a coefficient out of range leaves both forms as they were
        factor = sign * other.scale * self.scale  # scales are 1 or -1
        terms = self.terms
        updates = []
        for key, (term, coef) in other.terms.items():
            entry = terms.get(key)
            scaled = coef if factor == 1 else -coef
            updates.append((key, term, scaled if entry is None else _plus(entry[1], scaled)))
        const = _plus(self.const, other.const if sign == 1 else -other.const)
        for key, term, coef in updates:
            entry = terms.get(key)
            if entry is None:
                terms[key] = [term, coef]
            else:
                entry[1] = coef
        self.const = const

    def negate(self) -> _Sum:
        self.scale = -self.scale
        self.const = -self.const
        return self

    def items(self) -> list:
        return [(t, c * self.scale) for t, c in self.terms.values() if c != 0]

    def cancelled(self) -> list:
        """The terms whose coefficients cancelled to 0 (shape carriers)."""
        return [t for t, c in self.terms.values() if c == 0]


class _Product:
    """``coef * product of factor**exponent``, factor -> exponent kept in order."""

    __slots__ = ("factors", "coef", "power")

    def __init__(self, factors: dict | None = None, coef: Fraction = _ONE) -> None:
        self.factors = factors if factors is not None else {}
        self.coef = coef
        self.power = _ONE  # multiplies every exponent (lazily, for x/(y/(z/...)))

    def multiply(self, other: _Product, sign: int) -> _Product:
        """``self * other**sign`` (``sign`` is 1 or -1); both are consumed.

        Raises `OverflowError`, leaving both unchanged, when a coefficient or
        an exponent would leave its range.
        """
        if sign < 0 and other.coef == 0:
            raise ZeroDivisionError
        coef = _times(self.coef, other.coef) if sign > 0 else _ratio(self.coef, other.coef)
        if len(other.factors) > len(self.factors):
            # absorb self into other**sign: other keeps its stored exponents at power * sign
            power = other.power * sign
            updates = other._absorbed(self, 1, power)
            other.power = power
            target = other
        else:
            updates = self._absorbed(other, sign, self.power)
            target = self
        target.factors.update(updates)
        target.coef = coef
        return target

    def _absorbed(self, other: _Product, sign: int, power: int) -> list:
        """The stored exponents of ``other``'s factors (to the power ``sign``) merged into
        this product's, once this product's power is ``power``; nothing is changed yet."""
        factor = _ratio(sign * other.power, power)
        factors = self.factors
        return [(base, _exponent(_plus(factors.get(base, _ZERO), _times(factor, exponent))))
                for base, exponent in other.factors.items()]

    def copy(self) -> _Product:
        twin = _Product(dict(self.factors), self.coef)
        twin.power = self.power
        return twin

    def raise_to(self, exponent: int) -> _Product:
        """This product to an integer power (``abs(exponent) <= 64``)."""
        if self.coef == 0 and exponent < 0:
            raise ZeroDivisionError
        coef = self.coef ** exponent  # a float overflow raises OverflowError itself
        if coef == 0 and self.coef != 0:
            raise OverflowError("the coefficient underflows to 0")
        coef, power = _checked(coef), _exponent(self.power * exponent)
        self.coef, self.power = coef, power
        return self

    def items(self) -> list:
        return [(f, e * self.power) for f, e in self.factors.items() if e != 0]

    def cancelled(self) -> list:
        """The factors whose exponents cancelled to 0 (shape carriers)."""
        return [f for f, e in self.factors.items() if e == 0]


def _coefficient(value: object) -> Fraction | int | float | None:
    """A scalar constant as a coefficient (exact when a small rational, see `_checked`);
    None for arrays, non-finite and subnormal values."""
    if isinstance(value, float) and math.isfinite(value):
        if value.is_integer() and abs(value) <= _EXACT_INTEGER:
            return int(value)
        if abs(value) < _SMALLEST_NORMAL:
            return None  # a subnormal constant stays a factor of its own
        exact = Fraction(value)
        return _checked(exact) if exact.denominator <= _SMALL_DENOMINATOR else value
    return None


def _ratio(a, b):
    """``a / b`` as a coefficient: exact for ints and small Fractions."""
    if b == 1:
        return a
    if b == -1:
        return -a
    if type(a) is float or type(b) is float:
        quotient = a / b
        if quotient == 0 and a != 0:
            raise OverflowError("the coefficient underflows to 0")
        return _checked(quotient)
    return _checked(Fraction(a) / b)


def _exponent(e):
    """``e`` as an exponent: a coefficient of magnitude at most 2**26 (else OverflowError)."""
    e = _checked(e)
    if abs(e) > _MAX_EXPONENT:
        raise OverflowError(f"the exponent {e!r} is too large to merge")
    return e


def _normal(c):
    """A coefficient as it is built into nodes (they are kept in range as they are made)."""
    return c


def _is_fraction(c) -> bool:
    """Whether ``c`` is a small fraction that prints as ``p*x/q``."""
    return type(c) is Fraction


class _Simplifier:
    def __init__(self, keep_shapes: bool = True) -> None:
        # keep cancelled terms and factors as shape carriers: everywhere, or (pointwise)
        # only below operations that are not elementwise, whose operands' shapes matter
        self.everywhere = keep_shapes
        self.keep_shapes = keep_shapes  # for the node being simplified now
        self.shaped: set = set()
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
        if not self.everywhere:
            shaped = self.shaped
            for node in reversed(order):  # users before operands
                if node in shaped or (node.children and not type(node).elementwise):
                    shaped.update(node.children)
        for node in order:
            self.keep_shapes = self.everywhere or node in self.shaped
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
        saved, self.keep_shapes = self.keep_shapes, self.everywhere or original in self.shaped
        built = self.sum_node(state) if isinstance(state, _Sum) else self.product_node(state)
        self.keep_shapes = saved
        if built is not original and built not in self.uses \
                and _reordered(built, original, self.state):  # (an original found is shared)
            form = self.expansions.get(built)
            if form is not None:  # a product: its factors still collect (x*y + y*x is 2*x*y)
                self.expansions.setdefault(original, form)
            built = original  # only its operands' order changed: keep it (and what uses it)
        self.state[original] = built
        return built

    # -- reading operands as forms -------------------------------------------
    def sum_of(self, original: Node) -> _Sum:
        state = self.state[original]
        if isinstance(state, _Sum) and self.uses[original] == 1:
            return state  # a single use: take the pending form over
        if isinstance(state, _Product) and self.uses[original] == 1:
            coef, state.coef = state.coef, _ONE
            if coef == 0 and not self.keep_shapes:
                return _Sum()
            rest = self.product_node(state, carriers=False)
            if coef == 0:  # a term that is 0 carries its factors' shape
                form = _Sum() if isinstance(rest, Constant) else self.term(rest, _ZERO)
            else:
                form = self.term(rest, coef) if not _is_one(rest) else _Sum(const=coef)
            for base in state.cancelled() if self.keep_shapes else ():
                form = form.add(self.term(base, _ZERO), 1)  # x/x in a sum: a 0*x term
            return form
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
        """``node`` as ``coef * rest`` when it is built as a coefficient times something.

        Raises `OverflowError` when the coefficient would leave its range.
        """
        coef = _ONE
        for _ in range(_MAX_SPLIT):  # down through -x, c*x and x/c, iteratively
            if isinstance(node, Negate):
                coef, node = -coef, node.child
                continue
            if isinstance(node, Multiply) and isinstance(node.lhs, Constant):
                c = _coefficient(node.lhs.value)
                if c is not None:
                    return _times(coef, c), node.rhs
            if isinstance(node, Multiply) and isinstance(node.rhs, Constant):
                c = _coefficient(node.rhs.value)  # x*c, as written (kept: see `_reordered`)
                if c is not None:
                    return _times(coef, c), node.lhs
            if isinstance(node, Divide) and isinstance(node.rhs, Constant):
                c = _coefficient(node.rhs.value)
                if c:  # p*x/q
                    coef, node = _ratio(coef, c), node.lhs
                    continue
            break
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
            product.coef = _times(product.coef, coef)
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
        product.coef = _times(product.coef, coef)
        return product

    def product_of_node(self, node: Node) -> _Product:
        if isinstance(node, Power) and isinstance(node.rhs, Constant):
            exponent = _coefficient(node.rhs.value)
            if exponent is not None:
                return _Product({node.lhs: _exponent(exponent)})
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
            result = self.number(const)
        elif const > 0:
            result = self.make(Add, result, self.number(const))
        elif const < 0:
            result = self.make(Subtract, result, self.number(-const))
        if self.keep_shapes:
            for term in self.carriers(result, form.cancelled()):
                zero = self.scaled(term, _ZERO)
                result = zero if _is_zero(result) else self.make(Add, result, zero)
        return result

    def carriers(self, result: Node, dropped: list) -> list:
        """The ``dropped`` terms or factors whose shape ``result`` may not have.

        A value's shape is the broadcast of the shapes of its elementwise
        region's atoms (leaves and operations that are not elementwise); a
        dropped node whose atoms all appear in ``result``'s is not needed.
        """
        if not dropped:
            return []
        have = _region_atoms(result)
        needed = []
        for node in dropped:
            atoms = _region_atoms(node)
            if atoms is None or have is None or not atoms <= have:
                needed.append(node)
                if have is not None and atoms is not None:
                    have |= atoms
        return needed

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
        if not _is_fraction(coef):
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

    def product_node(self, form: _Product, carriers: bool = True) -> Node:
        """The node of a product form; with ``carriers``, times ``x**0`` for each factor
        ``x`` that cancelled (when shapes are kept), else without them."""
        built = self._product_node(form, carriers)
        if built.children and form.factors:
            self.expansions.setdefault(built, form.copy())
        return built

    def _product_node(self, form: _Product, carriers: bool = True) -> Node:
        coef = _normal(form.coef)
        if coef == 0:
            if not self.keep_shapes or not form.factors:
                return self.const(0.0)
            rest = form.copy()  # 0 times the factors, which carry the shape (and x*0's NaN)
            rest.coef = _ONE
            return self.scaled(self._product_node(rest), _ZERO)
        if self.keep_shapes and carriers:
            kept = self._product_node_of_items(form, coef)
            for base in self.carriers(kept, form.cancelled()):
                carrier = self.make(Power, base, self.number(_ZERO))  # 1 with base's shape
                kept = carrier if _is_one(kept) else self.make(Multiply, kept, carrier)
            return kept
        return self._product_node_of_items(form, coef)

    def _product_node_of_items(self, form: _Product, coef) -> Node:
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
        p, q = (size.numerator, size.denominator) if _is_fraction(size) else (size, _ONE)
        if top is None:  # -1/y: the sign on the number
            top = self.number(-p if coef < 0 else p)
        else:  # -x/y: the sign on the numerator (folded into a constant numerator)
            top = self.scaled(top, p)
            if coef < 0:
                top = self.const(-top.value) if isinstance(top, Constant) \
                    else self.make(Negate, top)
        if q != 1:
            bottom = self.make(Multiply, self.number(q), bottom)
        return self.make(Divide, top, bottom)

    def power(self, base: Node, exponent: Fraction) -> Node:
        if exponent == 1:
            return base
        return self.make(Power, base, self.number(exponent))


def _reordered(built: Node, original: Node, state: dict) -> bool:
    """Whether ``built`` is ``original`` with its two unchanged operands swapped (``x*2``
    built as ``2*x``), constants matching by value: then the original can stay."""
    if type(built) is not type(original) or type(original) not in (Add, Multiply):
        return False
    a, b = original.children
    if not (_same_operand(state.get(a), a) and _same_operand(state.get(b), b)):
        return False  # an operand was simplified: the result is new
    return _same_operand(built.lhs, b) and _same_operand(built.rhs, a) or (
        _same_operand(built.lhs, a) and _same_operand(built.rhs, b))


def _same_operand(new: Node | None, old: Node) -> bool:
    return new is old or (isinstance(new, Constant) and isinstance(old, Constant)
                          and type(new.value) is float and new.value == old.value
                          and type(old.value) is float)


def _is_one(node: Node) -> bool:
    return isinstance(node, Constant) and isinstance(node.value, float) and node.value == 1.0


def _is_zero(node: Node) -> bool:
    return isinstance(node, Constant) and isinstance(node.value, float) and node.value == 0.0


def _region_atoms(root: Node) -> set | None:
    """What gives ``root``'s value its shape: the leaves (but scalar constants) and the
    operations that are not elementwise, reached through elementwise operations.

    None when the region is too large to look at (`_MAX_REGION` nodes).
    """
    atoms: set = set()
    seen: set = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if len(seen) > _MAX_REGION:
            return None
        if not node.children:
            if not isinstance(node, Constant) or isinstance(node.value, np.ndarray):
                atoms.add(node)
        elif not type(node).elementwise:
            atoms.add(node)
        else:
            stack.extend(node.children)
    return atoms


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
    if k == 0 and not s.keep_shapes:
        return s.const(1.0)  # x**0 is 1 for every x, NaN included
    base = s.node(node.lhs)
    if isinstance(base, Constant):
        return None  # fold
    if k == 0:
        return None  # x**0 is 1 with x's shape: it stays
    if k == 1:
        return base
    if type(k) is int and abs(k) <= _MAX_DISTRIBUTED_POWER:
        return s.product_of(node.lhs).raise_to(k)
    return _Product({base: _exponent(k)})


def _where(s: _Simplifier, node: Node):
    """``where(~c, a, b)`` is ``where(c, b, a)``.  Pointwise (for derivatives, where shapes
    do not matter): inside ``where(c, a, b)``, a ``where(c, p, q)`` in ``a`` is ``p`` and one
    in ``b`` is ``q`` (the derivatives of a ``where`` nest these); ``where(c, a, a)`` is
    ``a``, and a constant number condition picks its branch."""
    condition, x, y = (s.node(child) for child in node.children)
    if isinstance(condition, LogicalNot):  # where(~c, a, b) is where(c, b, a)
        condition, x, y = condition.child, y, x
    if not s.keep_shapes:  # each of these may drop a shape that the where broadcasts to
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
