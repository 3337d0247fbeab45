"""Symbolic derivatives: the derivative itself as an expression.

`diff`, `gradients` and `hessian` run reverse-mode accumulation over the
expression with *nodes* instead of numbers: each operation's own derivative
rule (``node.partial``, the one `Node.grad` uses) is called with node-valued
gradients, so the derivative is built from the same rules, never from a
second table of formulas.

**Derivatives are pointwise.**  For an expression whose value is an array
(a batch), the derivative expression evaluates to the elementwise derivative
``d expr[i] / d var``.  Summing it over the batch (after broadcasting it to
the expression's shape, and down to the parameter's shape) gives the numeric
`Node.grad`; `evaluate_derivatives` does exactly that.  Operations that mix
elements (``elementwise = False``, such as matrix products and reductions)
have no pointwise derivative: differentiating through one raises
`NotImplementedError` naming it.

**No NaN from a branch not taken.**  The derivative of ``where(c, a, b)``
zeroes what flows from inside ``a`` where ``c`` does not hold (and from
``b`` where it does), as `exprdiff.ops.Where` explains: the derivative of
``where(x > 0, sqrt(x), 0)`` is ``where(x > 0, 1/(2*sqrt(x)), 0)``, finite at
``x = -1``.

**Results come back simplified** (`exprdiff.symbolic.simplification.simplify`) unless
``simplified=False`` is passed; the raw form is exactly what the rules built,
``1*...`` seeds included.

>>> from exprdiff import Input, Sigmoid
>>> x = Input("x")
>>> print(diff(3 * x**2 - 4 * x + 5, x))
6*x - 4
>>> print(diff(Sigmoid(x), x))
sigmoid(x)*(1 - sigmoid(x))
>>> diff(diff(x**3, x), x)({}, {x: 2.0})
12.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from exprdiff.core.nodes import Constant, Input, Node, Parameter, as_node
from exprdiff.core.plan import nodes_leading_to, topological_order
from exprdiff.core.printing import to_str
from exprdiff.core.values import fit_shape, summed_to
from exprdiff.ops import Where
from exprdiff.symbolic.simplification import simplify_pointwise

__all__ = [
    "diff", "evaluate_derivatives", "evaluate_hessian", "gradient_function", "gradients",
    "hessian", "hessian_function",
]


def diff(expr: Node, var: Node, *, simplified: bool = True) -> Node:
    """The derivative of ``expr`` with respect to ``var`` (a `Parameter` or `Input`).

    Pointwise for batches (see the module docstring); ``Constant(0.0)`` when
    ``expr`` does not depend on ``var``.

    >>> from exprdiff import Input, Parameter
    >>> w, x = Parameter("w"), Input("x")
    >>> print(diff(w * x + w**2, w))
    2*w + x
    >>> print(diff(w * x, x, simplified=False))
    1*w
    """
    if not isinstance(var, (Parameter, Input)):
        raise TypeError(
            f"diff differentiates with respect to a Parameter or an Input, got {var!r}"
        )
    derivative = _reverse(expr, {var}).get(var, Constant(0.0))
    return simplify_pointwise([derivative])[0] if simplified else derivative


def gradients(expr: Node, *, simplified: bool = True) -> dict[Parameter, Node]:
    """Every first derivative of ``expr``, one expression per `Parameter` in it.

    Built in one reverse sweep, so the expressions share their subexpressions
    with ``expr`` and with each other: together they are a small constant
    times the size of ``expr``, however many parameters there are.  Keys come
    in the order `Node.grad` uses.

    >>> from exprdiff import Input, Parameter, Sigmoid
    >>> w, b, x = Parameter("w"), Parameter("b"), Input("x")
    >>> for param, derivative in gradients(Sigmoid(w * x + b)).items():
    ...     print(param, ":", derivative)
    w : sigmoid(w*x + b)*(1 - sigmoid(w*x + b))*x
    b : sigmoid(w*x + b)*(1 - sigmoid(w*x + b))
    """
    params = _parameters(expr)
    found = _reverse(expr, set(params))
    derivatives = [found.get(p, Constant(0.0)) for p in params]
    if simplified:
        derivatives = simplify_pointwise(derivatives)
    return dict(zip(params, derivatives, strict=True))


def hessian(
    expr: Node, params: Sequence[Parameter] | None = None, *, simplified: bool = True
) -> list[list[Node]]:
    """The matrix of second derivatives ``d2 expr / d params[i] d params[j]``.

    ``params`` defaults to every Parameter of ``expr`` in `gradients` order.
    Each row is one reverse sweep over a first derivative (pointwise, like
    `diff`); `evaluate_hessian` turns it into numbers.

    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> [[str(entry) for entry in row] for row in hessian(a**2 * b)]
    [['2*b', '2*a'], ['2*a', '0']]
    """
    first = gradients(expr, simplified=simplified)
    params = list(first) if params is None else list(params)
    for param in params:
        if not isinstance(param, Parameter):
            raise TypeError(f"hessian takes Parameters, got {param!r}")
    targets = set(params)
    rows = []
    for param in params:
        found = _reverse(first[param], targets) if param in first else {}
        rows.append([found.get(q, Constant(0.0)) for q in params])
    if not simplified:
        return rows
    flat = iter(simplify_pointwise([entry for row in rows for entry in row]))
    return [[next(flat) for _ in params] for _ in params]


# -- evaluating derivative expressions -------------------------------------------
class _Bundle(Node):
    """Several expressions evaluated through one plan, shared nodes computed once."""

    __slots__ = ("roots",)
    symbol = ""
    function_name = "bundle"

    def __init__(self, roots: Sequence[Node]) -> None:
        self._init(roots=tuple(as_node(root) for root in roots))

    @property
    def children(self) -> tuple[Node, ...]:
        return self.roots

    def forward(self, *values: Any) -> tuple:
        return values

    #: compiled code returns the operands' values as a tuple (no call of `forward`)
    packs_operands = True

    def with_children(self, children: tuple[Node, ...]) -> Node:
        return _Bundle(children)


class _GradientBundle(_Bundle):
    """An expression, its pointwise derivatives and their Parameters, evaluated in one pass
    to the value and each derivative summed like `Node.grad` (`summed_to`).

    Compiled code writes the sums out (``sums_operands``), as it writes out the
    reverse pass's: one number per scalar Parameter comes back, not an array.
    """

    __slots__ = ()
    sums_operands = True

    def forward(self, *values: Any) -> tuple:
        count = (len(values) - 1) // 2
        value = values[0]
        return (value, *[summed_to(d, value, like)
                         for d, like in zip(values[1:count + 1], values[count + 1:], strict=True)])

    def with_children(self, children: tuple[Node, ...]) -> Node:
        return _GradientBundle(children)


def _evaluate_bundle(bundle: _Bundle, params: Mapping, inputs: Mapping | None,
                     compiled: bool = True) -> tuple:
    """The values of a bundle's roots, from one pass (compiled code once it pays)."""
    if not _RUN:  # the run stage, imported on first use (it imports this layer's neighbours)
        from exprdiff.core import interpreter
        from exprdiff.lowering import dispatch

        _RUN.extend((interpreter, dispatch))
    return _RUN[compiled].forward_value(bundle, params, inputs or _NO_INPUTS)


_RUN: list = []  # [interpreter, dispatch]
_NO_INPUTS: dict = {}  # read only


def gradient_function(expr: Node, *, compiled: bool = True
                      ) -> Callable[[Mapping, Mapping | None], dict]:
    """A function computing ``expr.grad`` by evaluating `gradients` expressions.

    The derivative expressions are built and planned once; each call then
    evaluates all of them (and ``expr``, for its shape) in one pass, as
    compiled code from the second call with the same shapes
    (``compiled=False``: always interpreted).

    >>> from exprdiff import Input, Parameter
    >>> w, x = Parameter("w"), Input("x")
    >>> grad = gradient_function(w**2 * x)
    >>> grad({w: 3.0}, {x: [1.0, 2.0]})
    {Parameter('w'): 18.0}
    """
    derivatives = gradients(expr)
    params_order = list(derivatives)
    bundle = _GradientBundle([expr, *derivatives.values(), *params_order])

    def grad(params: Mapping, inputs: Mapping | None = None) -> dict:
        _, *sums = _evaluate_bundle(bundle, params, inputs, compiled)
        return dict(zip(params_order, sums, strict=True))

    return grad


def evaluate_derivatives(
    expr: Node, derivatives: Mapping[Parameter, Node], params: Mapping,
    inputs: Mapping | None = None,
) -> dict:
    """Evaluate pointwise derivatives of ``expr`` and sum them like `Node.grad`.

    Each derivative is broadcast to the shape of ``expr``'s value and summed
    down to its parameter's shape, so the result has `Node.grad`'s keys and
    shapes.  Everything is evaluated in one pass.

    >>> from exprdiff import Input, Parameter
    >>> w, x = Parameter("w"), Input("x")
    >>> expr = w * x + w
    >>> evaluate_derivatives(expr, gradients(expr), {w: 2.0}, {x: [1.0, 2.0, 3.0]})
    {Parameter('w'): 9.0}
    """
    value, *values = _evaluate_bundle(_Bundle([expr, *derivatives.values()]), params, inputs)
    return {p: _summed(d, value, params[p]) for p, d in zip(derivatives, values, strict=True)}


def evaluate_hessian(
    expr: Node, matrix: Sequence[Sequence[Node]], params: Mapping, inputs: Mapping | None = None
) -> np.ndarray:
    """Evaluate a `hessian` matrix into a float array, summed over the batch.

    >>> from exprdiff import Parameter, Input
    >>> a, b, x = Parameter("a"), Parameter("b"), Input("x")
    >>> expr = a**2 * b * x
    >>> evaluate_hessian(expr, hessian(expr), {a: 1.0, b: 2.0}, {x: [1.0, 1.0]})
    array([[8., 4.],
           [4., 0.]])
    """
    flat = [entry for row in matrix for entry in row]
    value, *values = _evaluate_bundle(_Bundle([expr, *flat]), params, inputs)
    size = len(matrix)
    numbers = [_summed(v, value, 0.0) for v in values]
    return np.array(numbers, dtype=np.float64).reshape(size, size)


def hessian_function(
    expr: Node, params: Sequence[Parameter] | None = None
) -> Callable[[Mapping, Mapping | None], tuple[float, np.ndarray, np.ndarray]]:
    """A function returning the mean value, gradient and Hessian of ``expr``.

    For scalar parameters (``params``, default all, in `gradients` order).
    Means are over the elements of ``expr``'s value (the batch): this is what
    Newton's method needs for a mean loss.  Expressions are built once.

    >>> from exprdiff import Parameter, Input
    >>> w, x = Parameter("w"), Input("x")
    >>> value, grad, hess = hessian_function((w * x - 1) ** 2)({w: 0.0}, {x: [1.0, 3.0]})
    >>> value, grad, hess
    (1.0, array([-4.]), array([[10.]]))
    """
    first = gradients(expr)
    params = list(first) if params is None else list(params)
    matrix = hessian(expr, params)
    size = len(params)
    bundle = _Bundle([expr, *(first.get(p, Constant(0.0)) for p in params),
                      *(entry for row in matrix for entry in row)])

    def evaluate(values: Mapping, inputs: Mapping | None = None):
        out, *rest = _evaluate_bundle(bundle, values, inputs)  # names a missing value
        for p in params:
            if np.ndim(values[p]) != 0:
                raise ValueError(
                    f"hessian_function needs scalar parameters; {p} has shape "
                    f"{np.shape(values[p])}"
                )
        count = np.size(out)
        numbers = np.array([_summed(v, out, 0.0) for v in rest], dtype=np.float64) / count
        return float(np.mean(out)), numbers[:size], numbers[size:].reshape(size, size)

    return evaluate


def _summed(derivative: Any, value: Any, like: Any) -> Any:
    """A pointwise derivative broadcast to ``value``'s shape, summed to ``like``'s."""
    # type checks first: np.ndim costs more than the sum of a small batch
    scalar = type(like) is float or not isinstance(like, np.ndarray) and np.ndim(like) == 0 \
        or isinstance(like, np.ndarray) and not like.ndim
    if scalar:
        if type(derivative) is not np.ndarray:  # the same at every element
            return float(derivative) * (value.size if type(value) is np.ndarray else 1)
        if type(value) is not np.ndarray or derivative.shape == value.shape:
            return float(np.add.reduce(derivative, axis=None))
    shape = np.broadcast_shapes(np.shape(derivative), np.shape(value))
    full = np.broadcast_to(derivative, shape)
    if scalar:
        return float(full.sum())
    return np.array(fit_shape(full, np.asarray(like, dtype=np.float64)), dtype=np.float64)


# -- reverse accumulation with nodes -----------------------------------------------
def _parameters(expr: Node) -> list[Parameter]:
    return [node for node in topological_order(expr) if isinstance(node, Parameter)]


def _reverse(expr: Node, targets: set) -> dict[Node, Node]:
    """Derivative expressions of ``expr`` for every node leading to a target."""
    order = topological_order(expr)
    leads = nodes_leading_to(order, targets)
    if expr not in leads:
        return {}
    grads: dict[Node, Node] = {expr: Constant(1.0)}
    selected: dict[Node, Node | None] = {}  # where each gradient is selected (see below)
    for node in reversed(order):
        if node not in leads or not node.children or node not in grads:
            continue  # not reached: only conditions (no derivative) lead here
        kind = type(node)
        if not kind.elementwise:
            raise NotImplementedError(
                f"symbolic derivatives are pointwise, and {kind.__name__} "
                f"({to_str(node, limit=60)}) is not an elementwise operation; "
                "use the numeric Node.grad for it"
            )
        g = grads[node]
        mask = selected.get(node)
        operands = node.children
        for slot, child in enumerate(operands):
            if child not in leads:
                continue
            part = _as_expression(node.partial(slot, g, operands, node), node)
            passed = mask
            if mask is not None:  # as the numeric engine: no 0*nan from a branch not taken
                part = Where(mask, part, 0.0)
            if kind.selects:
                chosen = node.selected(slot, operands)
                if chosen is not None:
                    passed = chosen if passed is None else passed & chosen
            if child in grads:
                grads[child] = grads[child] + part
                previous = selected[child]
                selected[child] = None if previous is None or passed is None \
                    else previous | passed
            else:
                grads[child], selected[child] = part, passed
    return grads


def _as_expression(part: Any, node: Node) -> Node:
    if isinstance(part, Node):
        return part
    if isinstance(part, (int, float, np.floating, np.integer)):
        return Constant(part)
    raise TypeError(
        f"the derivative rule of {type(node).__name__} built a {type(part).__name__}, "
        "not an expression, when given nodes: write it with Python operators and "
        "NumPy ufuncs only"
    )
