"""Choosing between values: `Where`, and the elementwise maxima and minima.

Their derivative rules pick with ``np.where`` and comparisons, which build
`Where` and condition nodes when handed nodes, so the one rule serves the
numeric and the symbolic engine alike.  Conventions at ties follow PyTorch
(and JAX, where they agree): `Maximum` and `Minimum` give each operand half
the gradient where ``a == b``; `Fmax` and `Fmin` give it all to the first
operand there, and to the operand that is not NaN where one is.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from exprdiff.core.nodes import BinaryOp, NaryOp, Node
from exprdiff.core.values import WHERE_MASK_SIZE, scalar_or_array, select, where_value

__all__ = ["Fmax", "Fmin", "Maximum", "Minimum", "Where"]


def _torch_condition(condition):
    """A condition as PyTorch's ``where`` wants it: booleans (nonzero is true, as in NumPy)."""
    import torch

    return condition if condition.dtype == torch.bool else condition != 0


class Where(NaryOp):
    r"""``where(condition, x, y)``: ``x`` where the condition holds, else ``y`` (`numpy.where`).

    The condition is a condition node (``a > b``, ``(a > 0) & (b < 1)``), an
    Input or a constant array (nonzero counts as true, as in NumPy).  It has
    no derivative; ``x`` and ``y`` get the gradient where they are chosen.

    **No NaN from the branch not taken.**  In ``where(x > 0, sqrt(x), 0)`` at
    ``x = -1`` the square root is NaN, and so is its derivative; the usual
    reverse pass multiplies that NaN by the zero gradient the branch gets
    there and returns NaN (the ``jnp.where`` trap, jax#1052).  Here ``Where``
    says where each operand is chosen (`Node.selected`), and the engines zero
    every contribution from inside a branch where it is not chosen, through
    the elementwise operations that compute it: the double-``where`` of
    JAX's FAQ, done for you.  Where a branch is also used outside the
    ``where``, its derivative there is what that use makes it.

    >>> import numpy as np
    >>> from exprdiff import Parameter, Sqrt
    >>> x = Parameter("x")
    >>> model = Where(x > 0, Sqrt(x), 0.0)
    >>> with np.errstate(invalid="ignore"):
    ...     model({x: np.array([-1.0, 4.0])}), model.grad({x: np.array([-1.0, 4.0])})
    (array([0., 2.]), {Parameter('x'): array([0.  , 0.25])})
    """

    __slots__ = ()
    arity = 3
    selects = True
    condition_slots = (0,)
    function_name = "where"
    numpy_functions = (np.where,)
    numpy_code = "where_value({0}, {1}, {2})"
    numpy_helpers = (scalar_or_array, where_value)
    numpy_selected_code = (None, "{0}", "np.logical_not({0})")  # as `selected`
    # JAX and PyTorch differentiate where's value; `exprdiff.backends.selections` guards
    # the branches with these masks, so the branch not taken gives 0, not NaN
    jax_code = "jnp.where({0}, {1}, {2})"
    jax_selected_code = (None, "jnp.asarray({0}, dtype=bool)", "jnp.logical_not({0})")
    torch_code = "torch.where(_torch_condition({0}), {1}, {2})"
    torch_selected_code = (None, "_torch_condition({0})", "torch.logical_not({0})")
    torch_helpers = (_torch_condition,)
    math_code = "({1} if {0} else {2})"  # a number condition: nonzero is true, as in NumPy
    math_finite = True
    latex_template = (r"\begin{cases} {#2} & \text{if } {#1} \\ {#3} & \text{otherwise} "
                      r"\end{cases}")

    def __init__(self, condition: object, x: object, y: object) -> None:
        super().__init__(condition, x, y)

    @classmethod
    def from_numpy(cls, function: Any, condition: Any, x: Any = None, y: Any = None) -> Where:
        """``np.where(condition, x, y)``; ``np.where(condition)`` alone (indices) has no form."""
        if x is None or y is None:
            raise TypeError("np.where(condition) alone gives indices, which have no exprdiff "
                            "form; give both x and y")
        return cls(condition, x, y)

    @staticmethod
    def sympy_form(sp, condition, x, y):
        if not isinstance(condition, (sp.core.relational.Relational,
                                      sp.logic.boolalg.BooleanFunction,
                                      sp.logic.boolalg.BooleanAtom)):
            condition = sp.Ne(condition, 0)  # a number or a mask: nonzero is true
        return sp.Piecewise((x, condition), (y, True))

    def forward(self, condition, x, y):
        return where_value(condition, x, y)

    def specialized_code(self, slot: int | None, shapes: list) -> str | None:
        """``np.where`` itself where `where_value` would call it: an array result and a
        condition of fewer elements than its bit-mask path takes (no call to pay for).

        >>> from exprdiff import Input
        >>> Where(Input("c"), 1.0, 0.0).specialized_code(None, [(3,), None, None])
        'np.where({0}, {1}, {2})'
        """
        if slot is not None or not all(s is None or type(s) is tuple for s in shapes):
            return None
        condition = shapes[0] if shapes[0] is not None else ()
        if not any(shapes) or math.prod(condition) >= WHERE_MASK_SIZE:
            return None
        return "np.where({0}, {1}, {2})"

    def partial(self, slot, g, operands, out):
        condition = operands[0]
        if slot == 0:
            return 0.0  # the condition has no derivative
        return select(condition, g, holds=slot == 1)

    def selected(self, slot, operands):
        condition = operands[0]
        if slot == 1:
            return condition
        return np.logical_not(condition) if slot == 2 else None


@functools.cache
def _torch_extreme(larger: bool):
    """`Maximum` (or `Minimum`) in PyTorch with exprdiff's rule: half each at a tie, and
    nothing to either operand where one is NaN (``torch.maximum`` gives both all of it)."""
    import torch

    class Extreme(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return torch.maximum(a, b) if larger else torch.minimum(a, b)

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            above = (a > b) if larger else (a < b)
            below = (a < b) if larger else (a > b)
            tie = 0.5 * (a == b)
            return ((g * (above + tie)).sum_to_size(a.shape),
                    (g * (below + tie)).sum_to_size(b.shape))

    return Extreme.apply


def _maximum_torch(a, b):
    """`Maximum` in PyTorch (see `_torch_extreme`)."""
    return _torch_extreme(True)(a, b)


def _minimum_torch(a, b):
    """`Minimum` in PyTorch (see `_torch_extreme`)."""
    return _torch_extreme(False)(a, b)


def _larger(a, b):
    """1 where ``a > b``, 1/2 where they tie, else 0 (NaN compares false: 0), from comparisons
    only: no branch per element; nodes when handed nodes.  Arrays without a tie (the usual
    case) give the comparison itself, which multiplies as 1 and 0."""
    if isinstance(a, Node) or isinstance(b, Node):  # a condition is no number: where
        return np.where(a > b, 1.0, np.where(a >= b, 0.5, 0.0))
    above, tie = a > b, a == b
    return above + 0.5 * tie if np.any(tie) else above


class Maximum(BinaryOp):
    """``maximum(a, b)``, elementwise (NaN where either is, as `numpy.maximum`).

    The gradient goes to the larger operand; where they tie each gets half
    of it, as in PyTorch and JAX (where an operand is NaN, neither gets any).

    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> Maximum(a, b).grad({a: [1.0, 2.0, 3.0], b: [2.0, 2.0, 2.0]})[a]
    array([0. , 0.5, 1. ])
    """

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.maximum
    # jnp.maximum's rule is exprdiff's, NaN included; torch.maximum gives a NaN's gradient
    torch_code = "_maximum_torch({0}, {1})"
    torch_helpers = (_maximum_torch,)
    latex_template = r"\max\left(#1, #2\right)"
    sympy_name = "Max"

    def forward(self, a, b):
        return np.maximum(a, b)

    def vjp_lhs(self, g, a, b, out):
        return g * _larger(a, b)

    def vjp_rhs(self, g, a, b, out):
        return g * _larger(b, a)


class Minimum(BinaryOp):
    """``minimum(a, b)``, elementwise (NaN where either is, as `numpy.minimum`).

    The gradient goes to the smaller operand; where they tie each gets half
    of it, as in PyTorch and JAX.
    """

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.minimum
    torch_code = "_minimum_torch({0}, {1})"
    torch_helpers = (_minimum_torch,)
    latex_template = r"\min\left(#1, #2\right)"
    sympy_name = "Min"

    def forward(self, a, b):
        return np.minimum(a, b)

    def vjp_lhs(self, g, a, b, out):
        return g * _larger(b, a)

    def vjp_rhs(self, g, a, b, out):
        return g * _larger(a, b)


class Fmax(BinaryOp):
    """``fmax(a, b)``: the larger operand, ignoring a NaN (`numpy.fmax`).

    As PyTorch: the gradient goes to ``a`` where ``a >= b`` (ties included)
    or ``b`` is NaN, else to ``b``.  In SymPy (whose symbols are never NaN)
    it is ``Max``.
    """

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.fmax
    # a where: jnp.fmax gives a tie to b
    jax_code = "jnp.where(({0} >= {1}) | jnp.isnan({1}), {0}, {1})"
    torch_code = "torch.where(({0} >= {1}) | torch.isnan({1}), {0}, {1})"
    latex_template = r"\operatorname{fmax}\left(#1, #2\right)"
    sympy_name = "fmax"

    @staticmethod
    def sympy_form(sp, a, b):
        return sp.Max(a, b)

    @staticmethod
    def sympy_derivative(sp, a, b):
        # a tie all to a, as exprdiff's rule (Max's derivative would split it)
        return sp.Piecewise((1, a >= b), (0, True)), sp.Piecewise((0, a >= b), (1, True))

    def forward(self, a, b):
        return np.fmax(a, b)

    def vjp_lhs(self, g, a, b, out):
        return select((a >= b) | np.isnan(b), g)

    def vjp_rhs(self, g, a, b, out):
        return select((a >= b) | np.isnan(b), g, holds=False)


class Fmin(BinaryOp):
    """``fmin(a, b)``: the smaller operand, ignoring a NaN (`numpy.fmin`).

    As PyTorch: the gradient goes to ``a`` where ``a <= b`` (ties included)
    or ``b`` is NaN, else to ``b``.  In SymPy it is ``Min``.
    """

    __slots__ = ()
    vjp_uses_out = False
    ufunc = np.fmin
    jax_code = "jnp.where(({0} <= {1}) | jnp.isnan({1}), {0}, {1})"
    torch_code = "torch.where(({0} <= {1}) | torch.isnan({1}), {0}, {1})"
    latex_template = r"\operatorname{fmin}\left(#1, #2\right)"
    sympy_name = "fmin"

    @staticmethod
    def sympy_form(sp, a, b):
        return sp.Min(a, b)

    @staticmethod
    def sympy_derivative(sp, a, b):
        return sp.Piecewise((1, a <= b), (0, True)), sp.Piecewise((0, a <= b), (1, True))

    def forward(self, a, b):
        return np.fmin(a, b)

    def vjp_lhs(self, g, a, b, out):
        return select((a <= b) | np.isnan(b), g)

    def vjp_rhs(self, g, a, b, out):
        return select((a <= b) | np.isnan(b), g, holds=False)
