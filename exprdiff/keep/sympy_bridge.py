"""Conversion to and from SymPy, for a computer-algebra system's printing and manipulation.

SymPy is an optional extra (``pip install "exprdiff[sympy]"``), imported only
when these functions run.  Leaves become real SymPy symbols named by their
labels.  Each operation class says what it is in SymPy (`exprdiff.core.nodes.Node`):
SymPy's function of its ``sympy_name`` (``exp``, ``asin``), its ``sympy_form``
(``a - b``), or a function this module defines by ``sympy_name`` from the
``sympy_form`` (``sigmoid``, ``softplus`` and ``relu`` know their derivatives and
rewrite to ``exp``/``Max``, so ``sympy.diff``, ``evalf`` and
``.rewrite(sympy.exp)`` work on them); a user-defined elementwise operation
without any becomes an undefined SymPy function of its printed name.  Both
directions derive from the classes of `exprdiff.ops.BUILTIN_OPS` and the
``ops`` a caller passes: this module holds no table of operations.  The
conversions walk the graphs iteratively, but SymPy itself recurses into its
expressions, so it limits the depth (a few hundred nested functions).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from exprdiff.core.names import named_leaves
from exprdiff.core.nodes import Constant, Input, Node, Parameter, as_node
from exprdiff.core.plan import plan_for
from exprdiff.core.printing import function_name
from exprdiff.ops import BUILTIN_OPS, LogicalNot, Where

__all__ = ["from_sympy", "to_sympy"]


def _sympy():
    try:
        import sympy
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            'SymPy is needed for this: pip install "exprdiff[sympy]" (or pip install sympy)'
        ) from None
    return sympy


class _Namespace:
    """The ``sympy`` module, plus the functions this module defines for operations."""

    def __init__(self, ops: Iterable[type]) -> None:
        self._ops = tuple(ops)

    def __getattr__(self, name: str) -> Any:
        for op in self._ops:
            if op.sympy_name == name and op.sympy_form is not None:
                return _defined_function(op)
        return getattr(_sympy(), name)


def _namespace(*ops: type) -> _Namespace:
    return _Namespace((*ops, *BUILTIN_OPS))


def _sympy_function(op: type) -> Callable[..., Any]:
    """What builds ``op`` in SymPy from its operands' SymPy expressions (and its settings,
    as keywords, for a ``sympy_form`` that takes them)."""
    sympy = _sympy()
    name = op.sympy_name
    if name is None:
        if op.sympy_form is not None:
            return functools.partial(op.sympy_form, _namespace(op))
        builtin = _builtin_computing(op)
        if builtin is not None:  # a user's op that computes a built-in's ufunc is that function
            return _sympy_function(builtin)
        return sympy.Function(function_name(op))
    if op.sympy_form is not None:
        return _defined_function(op)
    function = getattr(sympy, name, None)
    if function is None:
        raise ValueError(
            f"{op.__name__}.sympy_name is {name!r}, which SymPy does not have; "
            "give the class a sympy_form too, and exprdiff defines that function"
        )
    return function


def _builtin_computing(op: type) -> type | None:
    """The built-in operation computing the same ufunc as a user's ``op``, if there is one."""
    if op.ufunc is None or op in BUILTIN_OPS:
        return None
    return next((builtin for builtin in BUILTIN_OPS if builtin.ufunc is op.ufunc), None)


@functools.cache
def _defined_function(op: type) -> Any:
    """The SymPy function named ``op.sympy_name``: it rewrites to, evaluates as and
    (without a ``sympy_derivative``) differentiates as ``op.sympy_form``."""
    sympy = _sympy()
    space = _namespace(op)

    def fdiff(self, argindex=1):
        if op.sympy_derivative is not None:
            # one derivative, or one per operand for operations of several
            derivative = op.sympy_derivative(space, *self.args)
            return derivative[argindex - 1] if isinstance(derivative, tuple) else derivative
        # else SymPy's derivative of the form, taken in symbols standing for the arguments
        stand_ins = [sympy.Dummy() for _ in self.args]
        derivative = sympy.diff(op.sympy_form(space, *stand_ins), stand_ins[argindex - 1])
        return derivative.subs(dict(zip(stand_ins, self.args, strict=True)))

    def _eval_rewrite(self, rule, args, **hints):
        # rewrite(sympy.exp) gives the form when it is written with exp, and so on
        written = op.sympy_form(space, *args)
        return written if written.has(rule) else None

    def _eval_evalf(self, precision):
        # the arguments first: a form such as Max(a, b) must compare numbers, which
        # sigmoid(0) only is once evaluated
        digits = max(15, int(precision * 0.30103) + 5)
        return op.sympy_form(space, *[_comparable(arg.evalf(digits)) for arg in self.args]
                             )._eval_evalf(precision)

    methods = {"fdiff": fdiff, "_eval_rewrite": _eval_rewrite, "_eval_evalf": _eval_evalf,
               "__module__": __name__, "__doc__": f"{op.__name__}, as a SymPy function"}
    # SymPy functions print by class name
    return type(op.sympy_name, (sympy.Function,), methods)


def _comparable(value: Any) -> Any:
    """An evaluated argument SymPy can compare: a cancellation to 0 leaves a zero without
    precision (``0.e-160``), which Max and Min refuse; it is the float it stands for."""
    if value.is_number and value.is_comparable is False:
        try:
            return _sympy().Float(float(value))
        except TypeError:  # not a real number
            return value
    return value


def to_sympy(expr: Node) -> Any:
    """The SymPy expression of a scalar expression; leaves become real symbols.

    >>> from exprdiff import Input, Parameter, Sigmoid
    >>> w, x, b = Parameter("w"), Input("x"), Parameter("b")
    >>> to_sympy(Sigmoid(w * x + b))
    sigmoid(b + w*x)
    >>> to_sympy((w - 1) ** 2).expand()
    w**2 - 2*w + 1
    """
    sympy = _sympy()
    leaves = named_leaves(expr)
    symbols = {node: sympy.Symbol(name, real=True) for name, node in leaves.items()}
    functions: dict[type, Callable[..., Any]] = {}
    converted: dict = {}
    for node in plan_for(expr).nodes(expr):
        if node in symbols:
            converted[node] = symbols[node]
            continue
        if not node.children:
            converted[node] = _sympy_number(node.value)
            continue
        kind = type(node)
        if not kind.elementwise or (kind.settings and (kind.sympy_form is None or kind.sympy_name)):
            raise ValueError(f"to_sympy handles elementwise operations, not {kind.__name__}")
        function = functions.get(kind)
        if function is None:
            function = functions[kind] = _sympy_function(kind)
        settings = {key: getattr(node, key) for key in kind.settings}
        converted[node] = function(*[converted[child] for child in node.children], **settings)
    return converted[expr]


def _sympy_number(value: Any) -> Any:
    sympy = _sympy()
    if isinstance(value, np.ndarray):
        raise ValueError(
            f"to_sympy handles scalar expressions; a Constant has shape {value.shape}"
        )
    if math.isnan(value):
        return sympy.nan
    if math.isinf(value):
        return sympy.oo if value > 0 else -sympy.oo
    if value.is_integer() and abs(value) < 2**53:
        return sympy.Integer(int(value))
    return sympy.Float(value)


def from_sympy(
    sympy_expr: Any, leaves: Mapping | Iterable[Node], ops: Iterable[type] = ()
) -> Node:
    """An exprdiff expression from a SymPy one.

    ``leaves`` says which node each symbol stands for: an iterable of Inputs
    and Parameters matched by label, or a mapping from symbol names (or
    symbols) to nodes.  Numbers become Constants; ``ops`` lists user-defined
    operation classes, matched to SymPy functions as `to_sympy` writes them.

    >>> import sympy
    >>> from exprdiff import Input, Parameter
    >>> w, x = Parameter("w"), Input("x")
    >>> model = from_sympy(sympy.sympify("exp(-w*x)/2"), [w, x])
    >>> print(model)
    0.5*exp(-(w*x))
    >>> model({w: 1.0}, {x: 0.0})
    0.5
    """
    sympy = _sympy()
    reader = _Reader(_leaf_table(leaves), list(ops))
    built = reader.built
    root = sympy.sympify(sympy_expr)
    stack = [(root, False)]
    while stack:
        item, ready = stack.pop()
        if item in built:
            continue
        if ready or not item.args or isinstance(item, sympy.Symbol):
            built[item] = reader.node(item, [built.get(arg) for arg in item.args])
        else:
            stack.append((item, True))
            stack.extend((arg, False) for arg in item.args if arg not in built)
    return as_node(built[root])


def _leaf_table(leaves: Mapping | Iterable[Node]) -> dict[str, Node]:
    if isinstance(leaves, Mapping):
        table = {str(key): node for key, node in leaves.items()}
    else:
        table = {node.label: node for node in leaves}
    for name, node in table.items():
        if not isinstance(node, (Input, Parameter)):
            raise TypeError(f"leaves must be Inputs or Parameters; {name!r} maps to {node!r}")
    return table


class _Reader:
    """Builds nodes from SymPy expressions, operands first.

    The operations it knows come from their classes: each elementwise
    operation is written in SymPy as `to_sympy` writes it, and read back from
    that form: a function of its operands (``asin(x)``, ``sigmoid(x)``,
    ``x > y``), or a power (``sqrt(x)`` is ``x**(1/2)``).  A function the
    bridge defines is also read back from its ``sympy_form``: a form that is
    a particular application (``Max(x, 0)`` is ``relu(x)``) before anything
    else, one that applies a SymPy function to the operands alone
    (``Mod(a, b)``) when no operation is that function already.  Built-in
    operations keep the SymPy functions they claim first (``Max`` is
    `Maximum`, not `Fmax`); the ``ops`` a caller passes take them over.
    ``Piecewise`` becomes nested `exprdiff.ops.Where`, ``Ne(a, b)`` and ``Eq(a, b)``
    become ``~~(a - b)`` and ``~(a - b)`` (NumPy's truth of numbers), SymPy's ``And``,
    ``Or``, ``Max`` and ``Min`` of several arguments nest the two-operand
    operation, and sums, products and powers become Python's operators.
    """

    def __init__(self, leaves: dict[str, Node], ops: list[type]) -> None:
        sympy = _sympy()
        self.leaves = leaves
        self.built: dict = {}
        self.negated: dict = {}  # a product with the factor -1 -> the node without it
        self.functions: dict = {}  # SymPy function (class or name) -> operation
        self.powers: dict = {}  # constant exponent -> operation (1/2: sqrt)
        self.forms: dict = {}  # SymPy function -> [(pattern, wildcards, operation)]
        probes = sympy.symbols("probe_a probe_b")
        wildcards = (sympy.Wild("operand_a"), sympy.Wild("operand_b"))
        readable = [(op, op not in ops) for op in [*BUILTIN_OPS, *ops] if isinstance(op, type)
                    and op.arity in (1, 2) and op.elementwise and not op.settings]
        for op, builtin in readable:
            claim = dict.setdefault if builtin else dict.__setitem__
            try:
                written = _sympy_function(op)(*probes[:op.arity])
            except (TypeError, ValueError, AttributeError):  # no form for symbol operands
                continue
            if op.arity == 1 and written.is_Pow and written.base == probes[0] \
                    and written.exp.is_Number:
                claim(self.powers, written.exp, op)
            elif _is_application(written) and written.args == probes[:op.arity]:
                claim(self.functions, written.func, op)
                claim(self.functions, str(written.func), op)
        for op, _ in readable:
            if op.sympy_name is None or op.sympy_form is None:
                continue
            pattern = op.sympy_form(_namespace(op, *ops), *wildcards[:op.arity])
            if not _is_application(pattern):
                continue
            if pattern.args == wildcards[:op.arity]:  # Mod(a, b): the function itself
                self.functions.setdefault(pattern.func, op)
            else:  # Max(x, 0): a particular application
                self.forms.setdefault(pattern.func, []).append((pattern, wildcards, op))

    def node(self, item: Any, args: list) -> Any:
        sympy = _sympy()
        if isinstance(item, sympy.Symbol):
            node = self.leaves.get(item.name)
            if node is None:
                raise ValueError(
                    f"the symbol {item.name!r} has no leaf; pass it in leaves "
                    f"(known: {', '.join(sorted(self.leaves)) or 'none'})"
                )
            return node
        if item is sympy.true or item is sympy.false:
            return Constant(1.0 if item is sympy.true else 0.0)
        if not item.args:  # a number, pi, E, oo, nan, I ...
            if item is not sympy.nan and not item.is_extended_real:
                raise ValueError(f"from_sympy handles real numbers, not {item}")
            return Constant(float(item))
        if isinstance(item, sympy.Add):
            return self.sum(item, args)
        if isinstance(item, sympy.Mul):
            return self.product(item, args)
        if isinstance(item, sympy.Pow):
            return self.power(args[0], item.exp, args[1])
        if isinstance(item, sympy.functions.elementary.piecewise.ExprCondPair):
            return tuple(args)  # (value, condition), for the Piecewise holding it
        if isinstance(item, sympy.Piecewise):
            return self.piecewise(args)
        if isinstance(item, (sympy.Eq, sympy.Ne)):  # a == b: a - b is zero (NaN: never)
            difference = args[0] if _is_zero(args[1]) else as_node(args[0]) - args[1]
            is_zero = LogicalNot(difference)
            return is_zero if isinstance(item, sympy.Eq) else LogicalNot(is_zero)
        for pattern, wildcards, op in self.forms.get(item.func, ()):
            found = item.match(pattern) or {}
            operands = [found.get(w) for w in wildcards[:op.arity]]
            if all(operand is not None and operand in self.built for operand in operands):
                return op(*[self.built[operand] for operand in operands])
        op = self.functions.get(item.func) or self.functions.get(str(item.func))
        if op is not None and len(args) == op.arity:
            return op(*args)
        if op is not None and op.arity == 2 and len(args) > 2:  # And, Or, Max, Min of several
            return functools.reduce(op, args)
        raise ValueError(f"from_sympy has no exprdiff operation for {item.func}")

    def piecewise(self, pairs: list) -> Node:
        """``Piecewise((a, c1), (b, c2), ...)`` as ``where(c1, a, where(c2, b, ...))``; NaN
        where no condition holds, as SymPy leaves it undefined there."""
        value, condition = pairs[-1]
        always = isinstance(condition, Constant) and condition.value == 1.0
        result = value if always else Where(condition, value, math.nan)
        for value, condition in reversed(pairs[:-1]):
            result = Where(condition, value, result)
        return result

    def sum(self, item: Any, args: list) -> Node:
        """A SymPy sum, written ``total - x`` for a term ``-x`` or a negative number."""
        total = as_node(args[0])
        for term, node in zip(item.args[1:], args[1:], strict=True):
            if term in self.negated:
                total = total - self.negated[term]
            elif isinstance(node, Constant) and node.value < 0:
                total = total - Constant(-node.value)
            else:
                total = total + node
        return total

    def power(self, base: Node, exponent: Any, exponent_node: Node | None = None) -> Node:
        """``base ** exponent`` (``exponent`` is SymPy's), or the operation that power is."""
        if exponent == 1:
            return base
        op = self.powers.get(exponent)
        if op is not None:
            return op(base)
        return as_node(base) ** (exponent_node if exponent_node is not None else float(exponent))

    def product(self, item: Any, args: list) -> Node:
        """A SymPy product as a fraction: factors with negative exponents go below the line."""
        sympy = _sympy()
        numerator: list = []
        denominator: list = []
        negative = False
        for factor, arg in zip(item.args, args, strict=True):
            if factor == -1:
                negative = not negative
            elif isinstance(factor, sympy.Pow) and factor.exp.is_Number and factor.exp < 0:
                denominator.append(self.power(self.built[factor.base], -factor.exp))
            else:
                numerator.append(arg)
        result: Any = functools.reduce(lambda a, b: as_node(a) * b, numerator) if numerator \
            else 1.0
        for divisor in denominator:
            result = as_node(result) / divisor
        if not negative:
            return as_node(result)
        self.negated[item] = as_node(result)
        return -as_node(result)


def _is_zero(node: Any) -> bool:
    return isinstance(node, Constant) and not isinstance(node.value, np.ndarray) \
        and node.value == 0


def _is_application(written: Any) -> bool:
    """Whether a SymPy expression is a function applied to arguments (not + * ** or an atom)."""
    return bool(written.args) and not (written.is_Add or written.is_Mul or written.is_Pow)
