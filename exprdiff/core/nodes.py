"""Immutable expression nodes: the leaves and the two operation bases.

An expression is a graph of `Node` objects.  Leaves (`Constant`, `Input`,
`Parameter`) hold or name values; operations (subclasses of `UnaryOp` and
`BinaryOp`) hold their operands and, side by side, their forward function and
their local derivative rule.  Nodes never change after construction, which is
what lets an expression cache its evaluation plan.

Equality and hashing are identity-based, so nodes are dict keys; structural
comparison is a separate method.
"""

from __future__ import annotations

import itertools
import numbers
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from exprdiff.core.printing import to_str
from exprdiff.core.values import as_value

__all__ = ["BinaryOp", "Constant", "Input", "Node", "Parameter", "UnaryOp", "as_node"]

# NumPy ufunc -> operation class.  Filled by `Node.__init_subclass__` from each
# operation's ``ufunc`` attribute; Python operators go through the same table,
# so ``x + y``, ``np.add(x, y)`` and ``np.float64(2) * x`` all build an `Add`.
_OPERATION_FOR_UFUNC: dict[np.ufunc, type[Node]] = {}

#: the derivative-rule names before 0.2, still honoured (with a DeprecationWarning)
#: in user-defined operations
_RENAMED = {
    "backward": "vjp", "backward_lhs": "vjp_lhs", "backward_rhs": "vjp_rhs",
    "backward_uses_out": "vjp_uses_out", "backward_uses_operands": "vjp_uses_operands",
}

_ORDERINGS = (np.less, np.less_equal, np.greater, np.greater_equal)
_unnamed_serial = itertools.count(1)  # distinct print names for unnamed leaves

Values = Mapping["Parameter", Any]
Inputs = Mapping["Input", Any]


class Node:
    """Abstract base of every expression node.

    ``node(params, inputs)`` evaluates it and ``node.grad(params, inputs)``
    differentiates it; both are explained on `Node.__call__` and `Node.grad`.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> (3 * w)({w: 2.0})
    6.0
    """

    __slots__ = ("_plan", "__weakref__")

    #: the NumPy ufunc this operation stands for, if any (see module docstring)
    ufunc: ClassVar[np.ufunc | None] = None
    #: names of constructor keywords that are not operands (``axis`` of a
    #: reduction, say); stored in slots of those names, JSON-friendly values
    settings: ClassVar[tuple[str, ...]] = ()
    #: whether the value's element i depends only on the operands' element i
    #: (symbolic derivatives are pointwise, so they need this)
    elementwise: ClassVar[bool] = True
    #: whether the derivative rules read ``out`` / the operands' values; an
    #: operation whose rules never do may say False, and the engine then
    #: frees those arrays as soon as the forward pass is done with them
    vjp_uses_out: ClassVar[bool] = True
    vjp_uses_operands: ClassVar[bool] = True
    #: how the engine calls the derivative rules: 1 ``vjp(g, x, out)``, 2
    #: ``vjp_lhs``/``vjp_rhs(g, a, b, out)``, 0 ``partial(slot, g, operands, out)``
    #: (set for each class from the methods it defines)
    vjp_form: ClassVar[int] = 0
    #: for leaves, which dict or field holds the value: "constant", "input",
    #: "parameter"; None for operations (read by the engine, which never
    #: imports these classes)
    leaf_kind: ClassVar[str | None] = None
    #: whether the class defines `rewrite` rules (set for each class)
    has_rewrites: ClassVar[bool] = False
    #: NumPy source of the value, for exported code (`exprdiff.keep.export`): a
    #: template over the operands ``{0}``, ``{1}`` and the settings by name
    #: (``"np.sum({0}, axis={axis})"``); None means the op's ``ufunc``
    numpy_code: ClassVar[str | None] = None
    #: module-level functions ``numpy_code`` calls, copied into exported source
    numpy_helpers: ClassVar[tuple] = ()
    #: the value over Python floats with the `math` module, for compiled code
    #: on scalars (`exprdiff.lowering.scalar_code`): a template like
    #: ``numpy_code`` (``"math.exp({0})"``); None means that path is not taken
    math_code: ClassVar[str | None] = None
    #: module-level functions ``math_code`` calls
    math_helpers: ClassVar[tuple] = ()
    #: whether ``math_code`` on finite operands gives a finite value or raises
    #: (``math.exp`` raises OverflowError); False for ``+``, whose overflow is a
    #: silent inf that compiled scalar code must check for
    math_finite: ClassVar[bool] = False
    #: NumPy source of the derivative rules, one template per operand slot
    #: over ``{g}``, ``{out}``, the operands ``{0}``, ``{1}`` and the settings,
    #: for operations whose rules cannot run on nodes (not elementwise); they
    #: must compute what the rule methods compute.  Empty: compiled code calls
    #: the rule methods themselves (elementwise rules are lowered from the
    #: nodes they build, as the symbolic layer does)
    numpy_vjp_code: ClassVar[tuple[str, ...]] = ()
    #: for operations with a ``numpy_residual_code``: the operand whose shape the
    #: residual has (None: the value's)
    residual_like: ClassVar[int | None] = None
    #: whether the value may be a view of an operand's array (`Transpose`), so
    #: that compiled code copies it before handing it to the caller
    returns_view: ClassVar[bool] = False
    #: the value as JAX code (`exprdiff.backends.jax_backend`): a template like
    #: ``numpy_code`` over the names ``jnp``, ``jax`` and ``lax``; None means the
    #: op's ``ufunc`` under the same name in ``jax.numpy``.  JAX differentiates
    #: it, so it must have this op's derivative, conventions at kinks included
    #: (``jax.nn.relu``, not ``jnp.maximum(x, 0.0)``, whose slope at 0 is 1/2)
    jax_code: ClassVar[str | None] = None
    #: module-level functions ``jax_code`` calls (they import JAX themselves)
    jax_helpers: ClassVar[tuple] = ()
    #: the value as PyTorch code (`exprdiff.backends.torch_backend`), over the
    #: name ``torch``, for autograd to differentiate; None means the op's
    #: ``ufunc`` under the same name in ``torch``
    torch_code: ClassVar[str | None] = None
    #: module-level functions ``torch_code`` calls
    torch_helpers: ClassVar[tuple] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for old, new in _RENAMED.items():
            if old in cls.__dict__ and new not in cls.__dict__:
                warnings.warn(
                    f"{cls.__name__}.{old} is deprecated since exprdiff 0.2: name it {new} "
                    f"(the rules are vector-Jacobian products: {', '.join(_RENAMED.values())})",
                    DeprecationWarning, stacklevel=2,
                )
                setattr(cls, new, cls.__dict__[old])
        # the bases call their rules directly unless a subclass overrides `partial`
        direct = getattr(cls, "partial", None) is getattr(cls, "_direct_partial", None)
        cls.vjp_form = getattr(cls, "_direct_form", 0) if direct else 0
        ufunc = cls.__dict__.get("ufunc")
        if ufunc is not None:
            _OPERATION_FOR_UFUNC[ufunc] = cls
        cls.has_rewrites = cls.rewrite is not Node.rewrite

    # -- structure -------------------------------------------------------
    @property
    def children(self) -> tuple[Node, ...]:
        """The operands of this node, in order (empty for leaves)."""
        return ()

    def equals(self, other: object) -> bool:
        """Structural equality: same operations, settings and constants, same leaves.

        `Input` and `Parameter` leaves match only themselves (two leaves with
        the same name are still different values); constants match by value,
        NaN matching NaN.  ``==`` stays identity, so nodes remain dict keys.
        Iterative, and each pair of nodes is compared once, so deep graphs and
        heavily shared DAGs compare in time linear in their size.

        >>> from exprdiff import Input
        >>> x = Input("x")
        >>> (2 * x + 1).equals(2 * x + 1), (2 * x + 1) == (2 * x + 1)
        (True, False)
        >>> (x + 1).equals(1 + x)
        False
        """
        if not isinstance(other, Node):
            return False
        seen: set[tuple[int, int]] = set()
        stack: list[tuple[Node, Node]] = [(self, other)]
        while stack:
            a, b = stack.pop()
            if a is b or (id(a), id(b)) in seen:
                continue
            seen.add((id(a), id(b)))
            if type(a) is not type(b) or not a._same_local_fields(b):
                return False
            kids_a, kids_b = a.children, b.children
            if len(kids_a) != len(kids_b) or (not kids_a and not isinstance(a, Constant)):
                return False  # distinct named leaves
            stack.extend(zip(kids_a, kids_b, strict=True))
        return True

    def _same_local_fields(self, other: Node) -> bool:
        return all(getattr(self, name) == getattr(other, name) for name in self.settings)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} nodes are immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} nodes are immutable: cannot delete {name!r}")

    def _init(self, **fields: object) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_plan", None)

    # -- rewriting (`exprdiff.lowering.rewrites`) ---------------------------
    def rewrite(self) -> Node | None:
        """A node computing the same value more simply or more stably, or None.

        Called when an expression is planned, on each operation after its
        operands have been rewritten; every evaluation path (the
        interpreter, compiled code, `to_python`) runs the rewritten graph, so
        they never disagree.  Operations override it with their own rules
        (``Log`` turns ``log(sigmoid(z))`` into ``-softplus(-z)``).

        >>> from exprdiff import Parameter
        >>> w = Parameter("w")
        >>> print((w * 1.0).rewrite())
        w
        """
        return None

    def placeholder(self, name: str) -> Node:
        """A fresh `Input` named ``name``: code generators run rules on it (they cannot
        import the node classes).

        >>> from exprdiff import Parameter
        >>> Parameter("w").placeholder("g")
        Input('g')
        """
        return Input(name)

    def with_children(self, children: tuple[Node, ...]) -> Node:
        """A node of the same class and settings over other operands (used by rewriting).

        >>> from exprdiff import Input, Parameter, Sin
        >>> w, x = Parameter("w"), Input("x")
        >>> print(Sin(w).with_children((x,)))
        sin(x)
        """
        if not self.children:
            raise TypeError(f"{type(self).__name__} is a leaf: it has no operands to replace")
        fields = _child_fields(type(self))
        if fields is None or len(fields) != len(children):
            raise NotImplementedError(f"{type(self).__name__} cannot be rebuilt over new operands")
        new = object.__new__(type(self))
        for name in _all_slots(type(self)):
            if hasattr(self, name) and name not in ("_plan", "__weakref__"):
                object.__setattr__(new, name, getattr(self, name))
        if hasattr(self, "__dict__"):
            for name, value in vars(self).items():
                object.__setattr__(new, name, value)
        for name, child in zip(fields, children, strict=True):
            object.__setattr__(new, name, child)
        object.__setattr__(new, "_plan", None)
        return new

    # -- evaluation and differentiation -----------------------------------
    def __call__(self, params: Values | None = None, inputs: Inputs | None = None) -> Any:
        """Evaluate the expression.

        ``params`` maps each `Parameter` to its value and ``inputs`` maps each
        `Input` to its value (numbers or NumPy arrays, which broadcast).  A
        scalar result is a Python float.  Neither dict is modified.

        >>> from exprdiff import Input, Parameter
        >>> w, x = Parameter("w"), Input("x")
        >>> (w * x)({w: 3.0}, {x: 5.0})
        15.0
        >>> (w * x)({w: 3.0}, {x: [1, 2]})
        array([3., 6.])
        """
        plan = self._plan  # the fast path: the compiled code this root ran last (if any)
        if plan is not None and plan.runtime is not None:
            fast = plan.runtime.last_value
            if fast is not None:
                try:
                    result = fast(params, inputs, self)
                except Exception:  # noqa: BLE001 - the run stage explains it
                    result = None
                if result is not None:  # None: not these shapes
                    return result
        return _run().evaluate(self, params, inputs)

    def grad(self, params: Values | None = None, inputs: Inputs | None = None) -> dict:
        """Gradient of the sum of all elements of the value, per `Parameter`.

        Returns a new dict with an entry for every Parameter in the expression,
        shaped like that parameter's value (a float for a scalar parameter).
        Over a batch of inputs this is the summed gradient.

        >>> from exprdiff import Input, Parameter
        >>> m, x = Parameter("m"), Input("x")
        >>> (m * x).grad({m: 3.0}, {x: 5.0})
        {Parameter('m'): 5.0}
        """
        plan = self._plan  # the fast path, as in `__call__`
        if plan is not None and plan.runtime is not None:
            fast = plan.runtime.last_gradient
            if fast is not None:
                try:
                    result = fast(params, inputs, self)
                except Exception:  # noqa: BLE001
                    result = None
                if result is not None:
                    return result[1]
        return _run().gradient(self, params, inputs)

    # -- operators ---------------------------------------------------------
    def __add__(self, other: object) -> Node:
        return _apply(np.add, self, other)

    def __radd__(self, other: object) -> Node:
        return _apply(np.add, other, self)

    def __sub__(self, other: object) -> Node:
        return _apply(np.subtract, self, other)

    def __rsub__(self, other: object) -> Node:
        return _apply(np.subtract, other, self)

    def __mul__(self, other: object) -> Node:
        return _apply(np.multiply, self, other)

    def __rmul__(self, other: object) -> Node:
        return _apply(np.multiply, other, self)

    def __truediv__(self, other: object) -> Node:
        return _apply(np.true_divide, self, other)

    def __rtruediv__(self, other: object) -> Node:
        return _apply(np.true_divide, other, self)

    def __pow__(self, other: object) -> Node:
        return _apply(np.power, self, other)

    def __rpow__(self, other: object) -> Node:
        return _apply(np.power, other, self)

    def __matmul__(self, other: object) -> Node:
        return _apply(np.matmul, self, other)

    def __rmatmul__(self, other: object) -> Node:
        return _apply(np.matmul, other, self)

    def __neg__(self) -> Node:
        return _apply(np.negative, self)

    def __pos__(self) -> Node:
        return self

    def __abs__(self) -> Node:
        return _apply(np.absolute, self)

    def _unordered(self, other: object) -> bool:
        raise TypeError(
            "expression nodes cannot be ordered with <, <=, >, >=; "
            "evaluate them and compare the values instead"
        )

    __lt__ = __le__ = __gt__ = __ge__ = _unordered
    __hash__ = object.__hash__  # identity: nodes are dict keys

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *operands: Any, **kwargs: Any):
        """Let NumPy ufuncs on nodes build nodes: ``np.exp(x)`` is ``Exp(x)``."""
        if ufunc in _ORDERINGS:
            self._unordered(None)
        if ufunc is np.equal or ufunc is np.not_equal:  # identity, as for ==
            return (operands[0] is operands[1]) == (ufunc is np.equal)
        operation = _OPERATION_FOR_UFUNC.get(ufunc)
        if operation is None or method != "__call__" or kwargs:
            return NotImplemented
        return operation(*operands)

    # -- printing ----------------------------------------------------------
    def __str__(self) -> str:
        return to_str(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {to_str(self, limit=80)}>"


_RUN_STAGE: list = []


def _run() -> Any:
    """The run stage, `exprdiff.lowering.dispatch` (compiled code or the interpreter).

    Imported on first use: the nodes are the lowest layer, and the run stage
    reads them only through their methods, so this is the one edge up.
    """
    if not _RUN_STAGE:
        from exprdiff.lowering import dispatch

        _RUN_STAGE.append(dispatch)
    return _RUN_STAGE[0]


def _apply(ufunc: np.ufunc, *operands: object) -> Node:
    # Operators return NotImplemented for operands that are not numbers, so
    # Python raises its usual "unsupported operand type(s)" TypeError.
    if not all(isinstance(operand, (Node, numbers.Real, np.ndarray)) for operand in operands):
        return NotImplemented
    return _OPERATION_FOR_UFUNC[ufunc](*operands)


def as_node(value: object) -> Node:
    """Return ``value`` if it is a node, else wrap it in a `Constant`.

    >>> as_node(2)
    Constant(2.0)
    """
    return value if isinstance(value, Node) else Constant(value)


def _all_slots(cls: type) -> list[str]:
    return [name for klass in cls.__mro__ for name in klass.__dict__.get("__slots__", ())]


def _child_fields(cls: type) -> tuple[str, ...] | None:
    """The slots holding a class's operands: ``child`` or ``lhs``/``rhs`` (None: unknown)."""
    for klass in cls.__mro__:
        fields = klass.__dict__.get("_child_fields")
        if fields is not None:
            return fields
    return None


# -- leaves ------------------------------------------------------------------
class Constant(Node):
    """A fixed number or array; its derivative is zero.

    The value is stored as a float or a read-only float64 copy.

    >>> Constant(2)()
    2.0
    """

    __slots__ = ("value",)
    leaf_kind = "constant"

    def __init__(self, value: object) -> None:
        if isinstance(value, Node):
            raise TypeError(f"Constant needs a number or an array, got the node {value!r}")
        value = as_value(value, "Constant")
        if isinstance(value, np.ndarray):
            value = value.copy()
            value.setflags(write=False)
        self._init(value=value)

    def __repr__(self) -> str:
        return f"Constant({self.value!r})"

    def _same_local_fields(self, other: Node) -> bool:
        a, b = self.value, other.value
        return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b, equal_nan=True))


class _NamedLeaf(Node):
    """A leaf whose value is looked up by node in a dict at evaluation time."""

    __slots__ = ("name", "_serial")
    _auto_prefix: ClassVar[str] = "leaf"

    def __init__(self, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__} name must be a str or None, got {name!r}")
        self._init(name=name, _serial=next(_unnamed_serial) if name is None else 0)

    @property
    def label(self) -> str:
        """The name, or a distinct automatic one (``param_3``) when unnamed."""
        return self.name if self.name is not None else f"{self._auto_prefix}_{self._serial}"

    def __repr__(self) -> str:
        kind = type(self).__name__
        return f"{kind}({self.name!r})" if self.name is not None else f"{kind}() #{self.label}"


class Input(_NamedLeaf):
    """A value supplied by the data (the ``inputs`` dict); not trained.

    >>> x = Input("x")
    >>> (x * 2)({}, {x: 1.5})
    3.0
    """

    __slots__ = ()
    _auto_prefix = "input"
    leaf_kind = "input"


class Parameter(_NamedLeaf):
    """A value supplied by ``params``; gradients are taken with respect to these.

    >>> w = Parameter("w")
    >>> (w * w).grad({w: 3.0})
    {Parameter('w'): 6.0}
    """

    __slots__ = ()
    _auto_prefix = "param"
    leaf_kind = "parameter"


# -- operations ----------------------------------------------------------------
class UnaryOp(Node):
    """Base of one-operand operations.

    A subclass writes two methods, side by side:

    * ``forward(self, x)``: the value from the operand's value;
    * ``vjp(self, g, x, out)``: the gradient with respect to the operand,
      given ``g``, the gradient with respect to this node's value, and
      ``out``, this node's value.

    It is the vector-Jacobian product of the operation (``vjp``).  Written
    with Python operators and NumPy ufuncs, the same ``vjp``
    runs on numbers (for `Node.grad`) and on nodes (for symbolic derivatives,
    where ``x`` is the operand node and ``out`` the node itself).
    ``function_name`` is how the operation prints, ``name(x)`` (the class name
    in lower case by default); a prefix operator sets ``symbol`` instead.

    >>> import numpy as np
    >>> from exprdiff import Parameter
    >>> class Cube(UnaryOp):
    ...     function_name = "cube"
    ...     def forward(self, x):
    ...         return x**3
    ...     def vjp(self, g, x, out):
    ...         return g * 3 * x**2
    >>> w = Parameter("w")
    >>> Cube(w).grad({w: 2.0})
    {Parameter('w'): 12.0}
    """

    __slots__ = ("child",)
    _child_fields = ("child",)
    symbol: ClassVar[str] = ""
    function_name: ClassVar[str] = ""
    #: LaTeX form with ``#1`` for the operand (`exprdiff.show.latex`); empty for
    #: ``\operatorname{name}\left(#1\right)``
    latex_template: ClassVar[str] = ""

    def __init__(self, child: object) -> None:
        self._init(child=as_node(child))

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.child,)

    def forward(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no forward(self, x)")

    def vjp(self, g: Any, x: Any, out: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} defines no derivative rule: "
            "write vjp(self, g, x, out) returning the gradient for x"
        )

    def partial(self, slot: int, g: Any, operands: tuple, out: Any) -> Any:
        """The gradient flowing to operand ``slot``; used by the engines."""
        return self.vjp(g, operands[0], out)

    _direct_partial, _direct_form = partial, 1


class BinaryOp(Node):
    """Base of two-operand operations.

    A subclass writes ``forward(self, a, b)`` and, beside it, one rule per
    operand: ``vjp_lhs(self, g, a, b, out)`` and
    ``vjp_rhs(self, g, a, b, out)`` (see `UnaryOp` for ``g`` and ``out``).
    Only the rules for operands that lead to a `Parameter` are ever called.
    ``symbol`` is the infix symbol and ``precedence`` its binding strength
    (see `exprdiff.core.printing`); an operation without a symbol prints as
    ``name(a, b)``.
    """

    __slots__ = ("lhs", "rhs")
    _child_fields = ("lhs", "rhs")
    symbol: ClassVar[str] = ""
    function_name: ClassVar[str] = ""
    latex_template: ClassVar[str] = ""  # with ``#1`` and ``#2``, see `UnaryOp`

    def __init__(self, lhs: object, rhs: object) -> None:
        self._init(lhs=as_node(lhs), rhs=as_node(rhs))

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.lhs, self.rhs)

    def forward(self, a: Any, b: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no forward(self, a, b)")

    def vjp_lhs(self, g: Any, a: Any, b: Any, out: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} defines no derivative rule for its left operand: "
            "write vjp_lhs(self, g, a, b, out)"
        )

    def vjp_rhs(self, g: Any, a: Any, b: Any, out: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} defines no derivative rule for its right operand: "
            "write vjp_rhs(self, g, a, b, out)"
        )

    def partial(self, slot: int, g: Any, operands: tuple, out: Any) -> Any:
        """The gradient flowing to operand ``slot``; used by the engines."""
        rule = self.vjp_rhs if slot else self.vjp_lhs
        return rule(g, operands[0], operands[1], out)

    _direct_partial, _direct_form = partial, 2

