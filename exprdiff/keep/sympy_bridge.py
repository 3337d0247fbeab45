"""Conversion to and from SymPy, for a computer-algebra system's printing and manipulation.

SymPy is an optional extra (``pip install "exprdiff[sympy]"``), imported only
when these functions run.  Leaves become real SymPy symbols named by their
labels; operations with a NumPy ufunc become the matching SymPy function,
and the others (``sigmoid``, ``relu``, ``softplus``, user-defined elementwise
operations) become SymPy functions of the operation's printed name.  The
built-in three know their derivatives and rewrite to ``exp``/``Max``, so
``sympy.diff``, ``evalf`` and ``.rewrite(sympy.exp)`` work on them.  The
conversions walk the graphs iteratively, but SymPy itself recurses into its
expressions, so it limits the depth (a few hundred nested functions).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from exprdiff.core.names import named_leaves
from exprdiff.core.nodes import Constant, Input, Node, Parameter, UnaryOp, as_node
from exprdiff.core.plan import plan_for
from exprdiff.core.printing import function_name
from exprdiff.ops import Negate, ReLU, Sqrt

__all__ = ["from_sympy", "to_sympy"]


def _sympy():
    try:
        import sympy
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            'SymPy is needed for this: pip install "exprdiff[sympy]" (or pip install sympy)'
        ) from None
    return sympy


@functools.cache
def _ufunc_rules() -> dict:
    sympy = _sympy()
    return {
        np.add: lambda a, b: a + b,
        np.subtract: lambda a, b: a - b,
        np.multiply: lambda a, b: a * b,
        np.true_divide: lambda a, b: a / b,
        np.power: lambda a, b: a**b,
        np.negative: lambda a: -a,
        np.exp: sympy.exp,
        np.log: sympy.log,
        np.sqrt: sympy.sqrt,
        np.absolute: sympy.Abs,
        np.sign: sympy.sign,
        np.sin: sympy.sin,
        np.cos: sympy.cos,
        np.tanh: sympy.tanh,
    }


@functools.cache
def _functions() -> dict[str, Any]:
    """SymPy functions for the built-in operations that have no ufunc."""
    sympy = _sympy()

    # evalf evaluates the operand first and then the formula on that number: rewriting
    # the whole expression instead would rewrite the operand too (sin into complex
    # exponentials) and give Max an operand it cannot compare
    def numeric(formula):
        def _eval_evalf(self, precision):
            x = self.args[0]._eval_evalf(precision)
            return None if x is None else formula(x)._eval_evalf(precision)
        return _eval_evalf

    class sigmoid(sympy.Function):  # noqa: N801 - SymPy functions print by class name
        def fdiff(self, argindex=1):
            return self * (1 - self)

        def _eval_rewrite_as_exp(self, x, **kwargs):
            return 1 / (1 + sympy.exp(-x))

        _eval_evalf = numeric(lambda x: 1 / (1 + sympy.exp(-x)))

    class softplus(sympy.Function):  # noqa: N801
        def fdiff(self, argindex=1):
            return sigmoid(self.args[0])

        def _eval_rewrite_as_exp(self, x, **kwargs):
            return sympy.log(1 + sympy.exp(x))

        _eval_evalf = numeric(lambda x: sympy.log(1 + sympy.exp(x)))

    class relu(sympy.Function):  # noqa: N801
        def fdiff(self, argindex=1):
            return sympy.Heaviside(self.args[0], 0)  # relu'(0) = 0, as in exprdiff

        def _eval_rewrite_as_Max(self, x, **kwargs):  # noqa: N802 - SymPy's naming
            return sympy.Max(x, 0)

        _eval_evalf = numeric(lambda x: sympy.Max(x, 0))

    return {"sigmoid": sigmoid, "softplus": softplus, "relu": relu}


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
    rules = _ufunc_rules()
    functions = _functions()
    converted: dict = {}
    for node in plan_for(expr).nodes(expr):
        if node in symbols:
            converted[node] = symbols[node]
            continue
        if not node.children:
            converted[node] = _sympy_number(node.value)
            continue
        kind = type(node)
        args = [converted[child] for child in node.children]
        if kind.settings or not kind.elementwise:
            raise ValueError(f"to_sympy handles elementwise operations, not {kind.__name__}")
        if kind.ufunc is not None:
            rule = rules.get(kind.ufunc)
            if rule is None:
                raise ValueError(f"to_sympy has no SymPy form for {kind.__name__}")
        else:
            name = function_name(kind)
            rule = functions.get(name) or sympy.Function(name)
        converted[node] = rule(*args)
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
    operation classes, matched to SymPy functions by printed name.

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
    by_name = _leaf_table(leaves)
    functions = _function_table(ops)
    built: dict = {}
    stack = [(sympy.sympify(sympy_expr), False)]
    while stack:
        item, ready = stack.pop()
        if item in built:
            continue
        if ready or not item.args or isinstance(item, sympy.Symbol):
            built[item] = _from_sympy_node(item, [built.get(arg) for arg in item.args],
                                           by_name, functions, built)
        else:
            stack.append((item, True))
            stack.extend((arg, False) for arg in item.args if arg not in built)
    return as_node(built[sympy.sympify(sympy_expr)])


def _leaf_table(leaves: Mapping | Iterable[Node]) -> dict[str, Node]:
    if isinstance(leaves, Mapping):
        table = {str(key): node for key, node in leaves.items()}
    else:
        table = {node.label: node for node in leaves}
    for name, node in table.items():
        if not isinstance(node, (Input, Parameter)):
            raise TypeError(f"leaves must be Inputs or Parameters; {name!r} maps to {node!r}")
    return table


def _function_table(ops: Iterable[type]) -> dict:
    """SymPy function (class or name) -> exprdiff operation class."""
    from exprdiff.keep.serialization import builtin_ops

    sympy = _sympy()
    probe = sympy.Symbol("probe")
    table: dict = {}
    for op in [*builtin_ops().values(), *ops]:
        if not issubclass(op, UnaryOp) or op.settings:
            continue
        rule = _ufunc_rules().get(op.ufunc) if op.ufunc is not None else None
        if rule is not None:
            func = rule(probe).func
            if func not in (sympy.Pow, sympy.Mul):  # sqrt and negation: see _power, _product
                table[func] = op
        elif op.ufunc is None:
            table[function_name(op)] = op
    return table


def _from_sympy_node(item: Any, args: list, leaves: dict, functions: dict, built: dict) -> Any:
    sympy = _sympy()
    if isinstance(item, sympy.Symbol):
        node = leaves.get(item.name)
        if node is None:
            raise ValueError(
                f"the symbol {item.name!r} has no leaf; pass it in leaves "
                f"(known: {', '.join(sorted(leaves)) or 'none'})"
            )
        return node
    if not item.args:  # a number, pi, E, oo, nan, I ...
        if item is not sympy.nan and not item.is_extended_real:
            raise ValueError(f"from_sympy handles real numbers, not {item}")
        return Constant(float(item))
    if isinstance(item, sympy.Add):
        return functools.reduce(_plus, args)
    if isinstance(item, sympy.Mul):
        return _product(item, args, built)
    if isinstance(item, sympy.Pow):
        return _power(args[0], item.exp, args[1])
    if isinstance(item, sympy.Max) and len(args) == 2 and sympy.S.Zero in item.args:
        return ReLU(args[0] if item.args[1] == 0 else args[1])
    op = functions.get(item.func) or functions.get(str(item.func))
    if op is None or len(args) != 1:
        raise ValueError(f"from_sympy has no exprdiff operation for {item.func}")
    return op(args[0])


def _plus(total: Node, term: Node) -> Node:
    """``total + term``, written ``total - x`` when ``term`` is ``-x`` or a negative number."""
    if isinstance(term, Negate):
        return total - term.child
    if isinstance(term, Constant) and term.value < 0:
        return total - Constant(-term.value)
    return total + term


def _power(base: Node, exponent: Any, exponent_node: Node | None = None) -> Node:
    """``base ** exponent``, as `Sqrt` for the exponent 1/2; ``exponent`` is SymPy's."""
    if exponent == 1:
        return base
    if exponent == _sympy().Rational(1, 2):
        return Sqrt(base)
    return as_node(base) ** (exponent_node if exponent_node is not None else float(exponent))


def _product(item: Any, args: list, built: dict) -> Node:
    """A SymPy product as a fraction: factors with negative exponents go below the line."""
    sympy = _sympy()
    numerator: list = []
    denominator: list = []
    negative = False
    for factor, arg in zip(item.args, args, strict=True):
        if factor == -1:
            negative = not negative
        elif isinstance(factor, sympy.Pow) and factor.exp.is_Number and factor.exp < 0:
            denominator.append(_power(built[factor.base], -factor.exp))
        else:
            numerator.append(arg)
    result: Any = functools.reduce(lambda a, b: as_node(a) * b, numerator) if numerator else 1.0
    for divisor in denominator:
        result = as_node(result) / divisor
    return -as_node(result) if negative else as_node(result)
