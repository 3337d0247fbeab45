"""Immutable expression nodes: the leaves and the two operation bases.

An expression is a graph of `Node` objects.  Leaves (`Constant`, `Input`,
`Parameter`) hold or name values; operations (subclasses of `UnaryOp`,
`BinaryOp` and, for three or more operands, `NaryOp`) hold their operands
and, side by side, everything particular to them: their forward function and
local derivative rule, and as class attributes how they print, their LaTeX,
their NumPy code for export and their SymPy counterpart (see `Node`).  Nodes
never change after construction, which is what lets an expression cache its
evaluation plan.

Equality and hashing are identity-based, so nodes are dict keys; structural
comparison is a separate method.  Ordering comparisons (``<``, ``<=``, ``>``,
``>=``) build condition nodes for `exprdiff.ops.Where`, as SymPy's relationals
do, and ``bool()`` of a node raises `TypeError`: its truth value is only known
once it is evaluated.

NumPy ufuncs applied to nodes build the operation registered for them
(``np.exp(x)`` is ``Exp(x)``); Python's operators go through the same table,
so ``x + y``, ``np.add(x, y)`` and ``np.float64(2) * x`` all build an `Add`.
The built-in operations fill the table; a user-defined operation joins it
only through `register_ufunc`.
"""

from __future__ import annotations

import itertools
import numbers
import warnings
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, NoReturn, TypeVar

import numpy as np

from exprdiff.core import copying, display_hooks, habits, interpreter
from exprdiff.core.plan import plan_for
from exprdiff.core.printing import PREFIX, PRODUCT, to_str
from exprdiff.core.values import as_value, short_repr

__all__ = [
    "BinaryOp", "Constant", "Input", "NaryOp", "Node", "Parameter", "UnaryOp", "as_node",
    "register_ufunc",
]

# NumPy ufunc -> the operation class it builds from nodes (see the module docstring)
_OPERATION_FOR_UFUNC: dict[np.ufunc, type[Node]] = {}
# NumPy function (np.sum, np.dot, ...) -> operation class, from ``numpy_functions``;
# ufunc -> operation class for the ufunc's ``reduce`` method, from ``reduces``.
_OPERATION_FOR_FUNCTION: dict[Callable, type[Node]] = {}
_OPERATION_FOR_REDUCE: dict[np.ufunc, type[Node]] = {}
# name of a convenience method (``x.exp()``, ``x.sum(axis=0)``) -> operation class, from
# ``method_name``
_OPERATION_FOR_METHOD: dict[str, type[Node]] = {}

#: the derivative-rule names before 0.2, still honoured (with a DeprecationWarning)
#: in user-defined operations
_RENAMED = {
    "backward": "vjp", "backward_lhs": "vjp_lhs", "backward_rhs": "vjp_rhs",
    "backward_uses_out": "vjp_uses_out", "backward_uses_operands": "vjp_uses_operands",
}

_unnamed_serial = itertools.count(1)  # distinct print names for unnamed leaves

Values = Mapping["Parameter", Any]
Inputs = Mapping["Input", Any]
Op = TypeVar("Op", bound="type[Node]")


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

    # -- what an operation is (read by the engine and the symbolic layer) ----------
    #: the NumPy ufunc this operation computes, if any: the default for its
    #: exported code, and what ``np.<ufunc>(node)`` builds once the class is
    #: registered (`register_ufunc`; the built-in operations are)
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
    #: how many operands the operation takes: 1 (`UnaryOp`), 2 (`BinaryOp`), a
    #: fixed number of a `NaryOp` (3 for `exprdiff.ops.Where`), or None for any
    #: number (`exprdiff.ops.Concatenate`); 0 for leaves
    arity: ClassVar[int | None] = 0
    #: False for operations whose value has no derivative at all (the
    #: conditions ``a < b``, ``c & d``): no gradient flows through them, so the
    #: operands below them get none from them
    differentiable: ClassVar[bool] = True
    #: True for an operation that picks each element of its value from one of
    #: its operands (`exprdiff.ops.Where`): see `Node.selected`
    selects: ClassVar[bool] = False
    #: the operand slots that may be conditions (boolean values): a condition is
    #: used by `exprdiff.ops.Where` (slot 0) and by ``&``, ``|``, ``~``; in any
    #: other operand it raises `TypeError` when the node is built
    condition_slots: ClassVar[tuple[int, ...]] = ()

    # -- how it prints (`exprdiff.core.printing`, `exprdiff.show`) -----------------
    #: the infix symbol of a two-operand operation (``"+"``) or the prefix
    #: symbol of a one-operand one (``"-"``); without one the operation prints
    #: as a call, ``name(a, b)``
    symbol: ClassVar[str] = ""
    #: the name of the call form (empty: the class name in lower case)
    function_name: ClassVar[str] = ""
    #: binding strength of the symbol form, higher binds tighter: the levels
    #: `exprdiff.core.printing.SUM`, ``PRODUCT``, ``PREFIX``, ``POWER``.  The
    #: operations of one level are taken to group with each other (``a*(b/c)``
    #: prints as ``a*b/c``), so an infix operation of your own wants a level of
    #: its own, such as ``SUM + 5``
    precedence: ClassVar[int] = PRODUCT
    #: how a chain of the infix form groups without parentheses: "left"
    #: (``a - b - c`` is ``(a - b) - c``, so ``a - (b - c)`` keeps them), "right"
    #: (``a**b**c`` is ``a**(b**c)``), "both" for an associative operation
    #: (``a + (b + c)`` prints as ``a + b + c``) or "none" for one that does not
    #: chain (``(a < b) < c``: Python reads ``a < b < c`` as two comparisons)
    associativity: ClassVar[str] = "left"
    #: whether the operation prints as a subscript of its one operand,
    #: ``x[0, 1:3]``, from ``subscript_text()`` (`exprdiff.ops.Index`)
    subscript: ClassVar[bool] = False
    #: whether the infix symbol has spaces around it (``a + b``, but ``a*b``)
    spaced: ClassVar[bool] = False
    #: LaTeX with ``#1``, ``#2`` for the operands (`exprdiff.show.latex`); empty:
    #: the symbol form, else ``\operatorname{name}\left(#1\right)``
    latex_template: ClassVar[str] = ""
    #: the LaTeX binding strength when it is not ``precedence`` (a fraction's)
    latex_precedence: ClassVar[int | None] = None
    #: the LaTeX after a plain non-negative number, when the right operand
    #: does not start with a digit (``"#1 #2"`` writes a product as ``6 x``)
    latex_coefficient_template: ClassVar[str] = ""

    # -- how it is kept (`exprdiff.keep`) --------------------------------------------
    #: whether the class defines `rewrite` rules (set for each class)
    has_rewrites: ClassVar[bool] = False
    #: NumPy source of the value, for exported code (`exprdiff.keep.export`): a
    #: template over the operands ``{0}``, ``{1}`` and the settings by name
    #: (``"np.sum({0}, axis={axis})"``); None means ``np.<ufunc>({0}, ...)``
    numpy_code: ClassVar[str | None] = None
    #: module-level functions ``numpy_code`` calls, copied into exported source
    numpy_helpers: ClassVar[tuple] = ()
    #: the SymPy function this operation is: a name in the ``sympy`` module
    #: (``"asin"``), or, given a ``sympy_form`` too, the name of a function that
    #: `exprdiff.keep.sympy_bridge` defines from that form (``"sigmoid"``)
    sympy_name: ClassVar[str | None] = None
    #: ``sympy_form(sp, *operands)``: the operation in SymPy's terms (``sp`` is
    #: the ``sympy`` module, imported only when converting, which also offers
    #: the functions the bridge defines: ``sp.sigmoid``).  Without a
    #: ``sympy_name`` it is the SymPy form itself (``a - b``); without either,
    #: the operation becomes an undefined SymPy function of its printed name
    sympy_form: ClassVar[Callable[..., Any] | None] = None
    #: ``sympy_derivative(sp, x)``: the derivative of a function the bridge
    #: defines; None: SymPy differentiates ``sympy_form``
    sympy_derivative: ClassVar[Callable[..., Any] | None] = None
    #: NumPy functions (not ufuncs) this operation implements: ``np.sum(node)``
    #: builds a `Sum` through `from_numpy`.  NumPy functions no operation lists
    #: raise `TypeError` on nodes (see `Node.__array_function__`)
    numpy_functions: ClassVar[tuple[Callable, ...]] = ()
    #: the ufunc whose ``reduce`` method this operation is (``np.add`` for `Sum`)
    reduces: ClassVar[np.ufunc | None] = None
    #: the convenience method of `Node` that builds this operation (``"exp"``:
    #: ``x.exp()`` is ``Exp(x)``); the built-in operations fill these
    method_name: ClassVar[str] = ""
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
    #: for an operation that ``selects``: NumPy source of `selected` per operand slot,
    #: over the operands ``{0}``, ``{1}``... (None: everywhere); empty: compiled code
    #: calls the method
    numpy_selected_code: ClassVar[tuple[str | None, ...]] = ()
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
                if old == "backward":  # still the rule when called with arguments
                    setattr(cls, old, _rule_or_help(cls.__dict__[old]))
        # the bases call their rules directly unless a subclass overrides `partial`
        direct = getattr(cls, "partial", None) is getattr(cls, "_direct_partial", None)
        cls.vjp_form = getattr(cls, "_direct_form", 0) if direct else 0
        cls.has_rewrites = cls.rewrite is not Node.rewrite

    @classmethod
    def from_numpy(cls, function: Callable, *args: Any, **kwargs: Any) -> Node:
        """The node for ``function(*args, **kwargs)`` called on nodes (see `numpy_functions`).

        ``function`` is the NumPy function (or ufunc method) called.  By
        default the arguments go to the constructor; an operation whose
        constructor differs from the NumPy signature maps them itself and
        raises `TypeError` for arguments it has no form for.

        >>> import numpy as np
        >>> from exprdiff import Input
        >>> x = Input("x")
        >>> np.sum(x, axis=0), np.mean(x)
        (<Sum sum(x, axis=0)>, <Mean mean(x, axis=None)>)
        """
        return cls(*args, **kwargs)

    # -- structure -------------------------------------------------------
    @property
    def children(self) -> tuple[Node, ...]:
        """The operands of this node, in order (empty for leaves)."""
        return ()

    def printed_settings(self) -> tuple[tuple[str, Any], ...]:
        """The settings the printers show, ``(name, value)`` pairs: all of them, but a
        reduction's ``keepdims`` only when it is True.

        >>> from exprdiff import Input, Sum
        >>> Sum(Input("x"), axis=0).printed_settings()
        (('axis', 0),)
        """
        return tuple((name, getattr(self, name)) for name in self.settings)

    def selected(self, slot: int, operands: tuple) -> Any:
        """Where the value comes from operand ``slot``: a boolean array (or condition node)
        broadcasting to the value, or None for everywhere; read when ``selects`` is True.

        The engines (numeric, symbolic, exported) zero every derivative
        contribution that flows from inside operand ``slot`` at the elements
        where it was not selected, so an operand undefined there (``sqrt`` of a
        negative number in ``where(x > 0, sqrt(x), 0)``) gives no NaN.
        ``operands`` are the operands' values (or nodes).

        >>> from exprdiff import Input
        >>> x = Input("x")
        >>> print((x + 1).selected(0, (x, 1.0)))
        None
        """
        return None

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
        raise AttributeError(habits.setattr_message(self, name))

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} nodes are immutable: cannot delete {name!r}")

    def _init(self, **fields: object) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_plan", None)
        accepted = type(self).condition_slots
        for slot, child in enumerate(self.children):
            if not type(child).differentiable and slot not in accepted:
                raise TypeError(_condition_misused(self, child))

    # -- copying and pickling ----------------------------------------------
    def __copy__(self) -> Node:
        """A node is immutable, so ``copy.copy(node)`` is the node itself (as for a tuple)."""
        return self

    def __deepcopy__(self, memo: dict) -> Node:
        """A new graph of new nodes (new leaves too), shared nodes still shared; iterative.

        Copy an expression together with what refers to its leaves, such as
        ``copy.deepcopy((expr, params))``, so that the copied params are keyed
        by the copied Parameters.

        >>> import copy
        >>> from exprdiff import Parameter
        >>> w = Parameter("w")
        >>> expr, params = copy.deepcopy((w * w + 1, {w: 3.0}))
        >>> expr(params), next(iter(params)) is w
        (10.0, False)
        """
        return copying.copy_graph(self, memo)

    def __reduce__(self) -> tuple:
        """Pickle support: a flat table, so graphs of any depth pickle (`exprdiff.core.copying`).

        Pickle is for trusted transport between Python processes (such as
        `multiprocessing` workers): unpickling can run arbitrary code, so load
        model files with `exprdiff.load`, never with pickle.

        >>> import pickle
        >>> from exprdiff import Input, Parameter
        >>> w, x = Parameter("w"), Input("x")
        >>> expr, params = pickle.loads(pickle.dumps((w * x, {w: 2.0})))
        >>> expr(params, {expr.rhs: 5.0})
        10.0
        """
        if self.children:
            return (copying.rebuild_graph, (copying.graph_table(self),))
        kind = type(self)
        return (kind, (self.value,) if kind.leaf_kind == "constant" else (self.name,))

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
        if fields == ("operands",):  # a NaryOp holds its operands as one tuple
            if len(children) != len(self.children):
                raise ValueError(f"{type(self).__name__} has {len(self.children)} operands, "
                                 f"got {len(children)}")
            children = (tuple(children),)
        elif fields is None or len(fields) != len(children):
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

    def grad(
        self, params: Values | None = None, inputs: Inputs | None = None, *,
        cotangent: Any = None,
    ) -> dict[Parameter, Any]:
        """Gradient of the sum of all elements of the value, per `Parameter`.

        Returns a new dict with an entry for every Parameter in the expression,
        shaped like that parameter's value (a float for a scalar parameter).
        Over a batch of inputs this is the summed gradient.  With a
        ``cotangent`` (a number or an array broadcasting with the value) it is
        the gradient of ``sum(cotangent * value)``: the vector-Jacobian
        product with that cotangent (`exprdiff.jacobian` gives the whole
        Jacobian).

        >>> from exprdiff import Input, Parameter
        >>> m, x = Parameter("m"), Input("x")
        >>> (m * x).grad({m: 3.0}, {x: 5.0})
        {Parameter('m'): 5.0}
        >>> (m * x).grad({m: 3.0}, {x: [1.0, 2.0]}, cotangent=[10.0, 1.0])
        {Parameter('m'): 12.0}
        """
        if cotangent is not None:  # weighted gradients are interpreted
            return interpreter.gradient(self, params, inputs, cotangent)
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

    # ``w.grad`` used as a number (micrograd's habit) explains itself; see `GradMethod`
    grad = habits.GradDescriptor(grad)

    # -- habits from micrograd and PyTorch, met with help (exprdiff.core.habits) --
    def backward(self) -> NoReturn:
        """Raises `TypeError` showing exprdiff's calls: nodes keep no gradients.

        micrograd's and PyTorch's ``loss.backward()`` fills in ``.grad`` on
        every node; here ``loss.grad(params, inputs)`` returns them as a new
        dict, `exprdiff.node_gradients` gives every inner node's and
        `exprdiff.show.backprop.backprop_steps` walks the reverse pass.

        >>> from exprdiff import Parameter
        >>> w = Parameter("w")
        >>> (w * w).backward()
        Traceback (most recent call last):
        ...
        TypeError: (w*w).backward() is how micrograd and PyTorch fill in gradients; ...
        """
        raise TypeError(habits.backward_message(self))

    @property
    def data(self) -> NoReturn:
        """Raises `AttributeError` saying where the node's value lives (nodes hold none).

        >>> from exprdiff import Parameter
        >>> w = Parameter("w")
        >>> w.data
        Traceback (most recent call last):
        ...
        AttributeError: Parameter 'w' has no .data: a Parameter names a value, ...
        """
        raise AttributeError(habits.data_message(self))

    def item(self) -> float:
        """The value of an expression without Inputs or Parameters, as a Python float.

        An expression with leaves to fill in raises `TypeError` naming them;
        a value of more than one element raises `ValueError` (as NumPy's
        ``item``).  ``float(expr)`` is the same.

        >>> from exprdiff import Constant, Parameter
        >>> (Constant(2.0) * 3 + 1).item(), float(Constant(0.5) ** 2)
        (7.0, 0.25)
        >>> w = Parameter("w")
        >>> (w * 3).item()
        Traceback (most recent call last):
        ...
        TypeError: item() of w*3 needs the values of Parameter 'w': evaluate it with ...
        """
        return self._scalar("item()")

    def __float__(self) -> float:
        return self._scalar("float()")

    def _scalar(self, what: str) -> float:
        plan = plan_for(self)
        if plan.parameters or plan.inputs:
            raise TypeError(habits.needs_values_message(self, what))
        value = self()
        if isinstance(value, np.ndarray):
            if value.size != 1:
                raise ValueError(
                    f"{what} of {to_str(self, limit=40)}: its value has shape {value.shape}, "
                    "and only a one-element value converts to a Python float; expr() returns "
                    "the whole array"
                )
            return float(value.reshape(()))
        return value

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

    # comparisons build conditions (for `exprdiff.ops.Where`); == and != stay identity
    def __lt__(self, other: object) -> Node:
        return _apply(np.less, self, other)

    def __le__(self, other: object) -> Node:
        return _apply(np.less_equal, self, other)

    def __gt__(self, other: object) -> Node:
        return _apply(np.greater, self, other)

    def __ge__(self, other: object) -> Node:
        return _apply(np.greater_equal, self, other)

    def __and__(self, other: object) -> Node:
        return _apply(np.logical_and, self, other)

    def __rand__(self, other: object) -> Node:
        return _apply(np.logical_and, other, self)

    def __or__(self, other: object) -> Node:
        return _apply(np.logical_or, self, other)

    def __ror__(self, other: object) -> Node:
        return _apply(np.logical_or, other, self)

    def __invert__(self) -> Node:
        return _apply(np.logical_not, self)

    __hash__ = object.__hash__  # identity: nodes are dict keys

    def __bool__(self) -> bool:
        raise TypeError(
            f"the truth value of an expression is only known once it is evaluated: "
            f"{to_str(self, limit=60)} cannot be used as a bool (in if, and, or, not, "
            "sorted, ...); evaluate it, or choose between values with where(condition, a, b)"
        )

    def __iter__(self) -> Any:
        raise TypeError(
            f"an expression cannot be iterated: the length of {to_str(self, limit=60)} is "
            "only known once it is evaluated; index it (x[0], x[:, 1]) or evaluate it"
        )

    def __getitem__(self, key: Any) -> Node:
        """``x[i]``, ``x[i, j]``, slices, integer arrays and boolean masks: an `exprdiff.ops.Index`.

        >>> from exprdiff import Input
        >>> x = Input("x")
        >>> x[:, 1]({}, {x: [[1.0, 2.0], [3.0, 4.0]]})
        array([2., 4.])
        """
        return _method("getitem")(self, key)

    @property
    def shape(self) -> tuple[int, ...]:
        """Not known: an expression has a shape only once it is evaluated (raises).

        >>> from exprdiff import Input
        >>> Input("x").shape
        Traceback (most recent call last):
        ...
        AttributeError: the shape of an expression is only known once it is evaluated: ...
        """
        raise AttributeError(
            "the shape of an expression is only known once it is evaluated: "
            f"{to_str(self, limit=60)} may take values of any shape; evaluate it and read "
            "the value's shape"
        )

    # -- convenience methods (micrograd's and PyTorch's spelling) -----------------
    @property
    def T(self) -> Node:  # noqa: N802 - NumPy's and PyTorch's name
        """The transpose, ``Transpose(self)`` (axes reversed), as NumPy's ``.T``.

        >>> from exprdiff import Input
        >>> Input("x").T
        <Transpose transpose(x, axes=None)>
        """
        return _method("transpose")(self)

    def exp(self) -> Node:
        """``Exp(self)``.

        >>> from exprdiff import Input
        >>> Input("x").exp()
        <Exp exp(x)>
        """
        return _method("exp")(self)

    def log(self) -> Node:
        """``Log(self)``.

        >>> from exprdiff import Input
        >>> Input("x").log()
        <Log log(x)>
        """
        return _method("log")(self)

    def sqrt(self) -> Node:
        """``Sqrt(self)``.

        >>> from exprdiff import Input
        >>> Input("x").sqrt()
        <Sqrt sqrt(x)>
        """
        return _method("sqrt")(self)

    def tanh(self) -> Node:
        """``Tanh(self)``.

        >>> from exprdiff import Input
        >>> Input("x").tanh()
        <Tanh tanh(x)>
        """
        return _method("tanh")(self)

    def sigmoid(self) -> Node:
        """``Sigmoid(self)``.

        >>> from exprdiff import Input
        >>> Input("x").sigmoid()
        <Sigmoid sigmoid(x)>
        """
        return _method("sigmoid")(self)

    def relu(self) -> Node:
        """``ReLU(self)``.

        >>> from exprdiff import Input
        >>> Input("x").relu()
        <ReLU relu(x)>
        """
        return _method("relu")(self)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Node:
        """``Sum(self, axis, keepdims)``: the sum over ``axis`` (None: every element).

        >>> from exprdiff import Input
        >>> Input("x").sum(axis=0)
        <Sum sum(x, axis=0)>
        """
        return _method("sum")(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Node:
        """``Mean(self, axis, keepdims)``: the mean over ``axis`` (None: every element).

        >>> from exprdiff import Input
        >>> Input("x").mean(axis=1, keepdims=True)
        <Mean mean(x, axis=1, keepdims=True)>
        """
        return _method("mean")(self, axis=axis, keepdims=keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Node:
        """``Max(self, axis, keepdims)``: the largest element over ``axis``.

        >>> from exprdiff import Input
        >>> Input("x").max()
        <Max max(x, axis=None)>
        """
        return _method("max")(self, axis=axis, keepdims=keepdims)

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Node:
        """``Min(self, axis, keepdims)``: the smallest element over ``axis``.

        >>> from exprdiff import Input
        >>> Input("x").min(axis=0)
        <Min min(x, axis=0)>
        """
        return _method("min")(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Node:
        """``Reshape(self, shape)``; the shape as separate numbers or one tuple, as NumPy's.

        >>> from exprdiff import Input
        >>> Input("x").reshape(2, -1)
        <Reshape reshape(x, newshape=(2, -1))>
        """
        return _method("reshape")(self, shape[0] if len(shape) == 1 else shape)

    def ravel(self) -> Node:
        """``Reshape(self, -1)``: the elements as one axis.

        >>> from exprdiff import Input
        >>> Input("x").ravel()
        <Reshape reshape(x, newshape=(-1,))>
        """
        return _method("reshape")(self, (-1,))

    def transpose(self, *axes: Any) -> Node:
        """``Transpose(self, axes)``; the axes as separate numbers or one tuple, as NumPy's.

        >>> from exprdiff import Input
        >>> Input("x").transpose(1, 0)
        <Transpose transpose(x, axes=(1, 0))>
        """
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return _method("transpose")(self, axes or None)

    def __array_ufunc__(
        self, ufunc: np.ufunc, method: str, *operands: Any, **kwargs: Any
    ) -> Any:  # a Node, or a bool for == and !=
        """Let NumPy ufuncs on nodes build nodes: ``np.exp(x)`` is ``Exp(x)``.

        ``np.add.reduce(x, axis)`` builds ``Sum(x, axis)`` (the operation
        whose ``reduces`` is the ufunc).  A ufunc, or ufunc method, that no
        operation implements raises `TypeError` naming it: never a wrong node.

        >>> import numpy as np
        >>> from exprdiff import Input
        >>> x = Input("x")
        >>> np.exp(x), np.add.reduce(x)
        (<Exp exp(x)>, <Sum sum(x, axis=0)>)
        >>> np.heaviside(x, 0.5)
        Traceback (most recent call last):
        ...
        TypeError: numpy.heaviside has no exprdiff form: it cannot be applied to the expression ...
        """
        name = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        if method == "__call__":
            if ufunc is np.equal or ufunc is np.not_equal:  # identity, as for ==
                return (operands[0] is operands[1]) == (ufunc is np.equal)
            operation = _OPERATION_FOR_UFUNC.get(ufunc)
            if operation is not None and kwargs:
                raise TypeError(
                    f"{name} on an expression node takes the operands only; "
                    f"{', '.join(sorted(kwargs))} has no exprdiff form"
                )
            if operation is not None:
                return operation(*operands)
        elif method == "reduce":
            operation = _OPERATION_FOR_REDUCE.get(ufunc)
            if operation is not None:
                kwargs.setdefault("axis", 0)  # the default of ufunc.reduce
                return _from_numpy(operation, getattr(ufunc, method), name, operands, kwargs)
        raise _no_form(name, self)

    def __array_function__(
        self, func: Callable, types: tuple, args: tuple, kwargs: dict
    ) -> Node:
        """Let NumPy functions on nodes build nodes: ``np.sum(x)`` is ``Sum(x)``.

        The operations list the functions they implement (``numpy_functions``):
        ``np.sum``, ``np.mean``, ``np.dot``, ``np.transpose`` and ``np.clip``
        here.  Any other NumPy function raises `TypeError` naming it.

        >>> import numpy as np
        >>> from exprdiff import Input
        >>> x = Input("x")
        >>> np.transpose(x), np.clip(x, 0, 1)
        (<Transpose transpose(x, axes=None)>, <Clip clip(x, low=0.0, high=1.0)>)
        >>> np.median(x)
        Traceback (most recent call last):
        ...
        TypeError: numpy.median has no exprdiff form: it cannot be applied to the expression ...
        """
        name = f"{getattr(func, '__module__', None) or 'numpy'}.{func.__name__}"
        operation = _OPERATION_FOR_FUNCTION.get(func)
        if operation is None:
            raise _no_form(name, self)
        return _from_numpy(operation, func, name, args, kwargs)

    # -- printing ----------------------------------------------------------
    def __str__(self) -> str:
        return to_str(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {to_str(self, limit=80)}>"

    # -- rich display in Jupyter: drawn by exprdiff.show.notebook, reached
    # through the hooks it registers (see exprdiff.core.display_hooks)
    def _repr_latex_(self) -> str | None:
        """The formula, for Jupyter; None (text instead) for a very large expression."""
        return display_hooks.render("text/latex", self)

    def _repr_svg_(self) -> str | None:
        """The graph, for Jupyter; None without Graphviz or for a large graph."""
        return display_hooks.render("image/svg+xml", self)


def _rule_or_help(rule: Any) -> Any:
    """A user op's deprecated ``backward(self, g, x, out)``: the rule with arguments, and
    `Node.backward`'s help without (``expr.backward()``, the micrograd habit)."""

    def backward(self, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs:
            return Node.backward(self)
        return rule(self, *args, **kwargs)

    backward.__doc__, backward.__name__ = rule.__doc__, "backward"
    return backward


def _condition_misused(node: Node, condition: Node) -> str:
    return (
        f"{type(node).__name__}: {to_str(condition, limit=60)} is a condition (a truth value, "
        "not a number): conditions are used by where(condition, a, b) and combine with "
        f"&, |, ~; for its value as a number write where({to_str(condition, limit=40)}, 1.0, 0.0)"
    )


def _from_numpy(operation: type[Node], function: Callable, name: str, args: tuple,
                kwargs: dict) -> Node:
    try:
        return operation.from_numpy(function, *args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{name} on an expression node: {error}") from None


def _no_form(name: str, node: Node) -> TypeError:
    return TypeError(
        f"{name} has no exprdiff form: it cannot be applied to the expression node "
        f"{to_str(node, limit=60)}; evaluate the expression and apply it to the value, "
        "or build the expression from exprdiff's operations"
    )


def _method(name: str) -> type[Node]:
    """The operation a convenience method builds (the built-in operations register them)."""
    return _OPERATION_FOR_METHOD[name]


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


def register_ufunc(op: Op) -> Op:
    """Make ``np.<op.ufunc>(node)`` build ``op``; returns ``op``, so it also decorates.

    The NumPy functions the class lists in ``numpy_functions`` (ufuncs among
    them are aliases, such as ``np.radians`` beside ``np.deg2rad``), the ufunc
    whose ``reduce`` it is (``reduces``) and the convenience method it names
    (``method_name``) join the same way.  A class's
    attributes alone never change what NumPy builds for anyone else: the
    built-in operations own their ufuncs and functions, and a user-defined
    operation joins the tables only through this call.  A ufunc or function
    that already builds another class raises `ValueError`, and nothing is
    registered.

    >>> import numpy as np
    >>> from exprdiff import Input, UnaryOp
    >>> @register_ufunc
    ... class Spacing(UnaryOp):
    ...     ufunc = np.spacing
    ...     def forward(self, x):
    ...         return np.spacing(x)
    ...     def vjp(self, g, x, out):
    ...         return 0 * g
    >>> x = Input("x")
    >>> np.spacing(x)
    <Spacing spacing(x)>
    >>> np.spacing(x)({}, {x: 1.0})
    2.220446049250313e-16
    """
    if not (isinstance(op, type) and issubclass(op, Node)) or op.leaf_kind is not None:
        raise TypeError(f"register_ufunc takes an operation class, got {op!r}")
    ufunc, functions, reduces = op.ufunc, tuple(op.numpy_functions), op.reduces
    if ufunc is not None and not isinstance(ufunc, np.ufunc):
        raise ValueError(f"{op.__name__}.ufunc must be a NumPy ufunc, got {ufunc!r}")
    if ufunc is None and not functions and reduces is None and not op.method_name:
        raise ValueError(
            f"{op.__name__} has no ufunc to register: set ufunc = np.<name> "
            "(or numpy_functions = (np.<name>, ...))"
        )
    wanted = [(_OPERATION_FOR_UFUNC, ufunc, f"np.{getattr(ufunc, '__name__', '')}"),
              (_OPERATION_FOR_REDUCE, reduces, f"np.{getattr(reduces, '__name__', '')}.reduce"),
              (_OPERATION_FOR_METHOD, op.method_name or None, f"the method .{op.method_name}")]
    # ufuncs among the functions (aliases such as np.radians) are called through __array_ufunc__
    wanted += [(_OPERATION_FOR_UFUNC if isinstance(f, np.ufunc) else _OPERATION_FOR_FUNCTION,
                f, f"np.{f.__name__}") for f in functions]
    for table, key, name in wanted:
        owner = table.get(key) if key is not None else None
        if owner is not None and owner is not op:
            raise ValueError(
                f"{name} already builds {owner.__name__}; {op.__name__} "
                "cannot take it over (call the class itself instead)"
            )
    for table, key, _ in wanted:
        if key is not None:
            table[key] = op
    return op


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
            kind = type(self).__name__
            hint = ""
            if isinstance(name, (numbers.Real, np.ndarray)):  # micrograd's Value(2.0)
                where, var = ("params", "w") if kind == "Parameter" else ("inputs", "x")
                hint = (f": a {kind} takes a name, not a value; write {var} = {kind}({var!r}) "
                        f"and give its value in {where}, {{{var}: {short_repr(name, 20)}}} (a "
                        "fixed number is Constant(...))")
            raise TypeError(f"{kind} name must be a str or None, got {name!r}{hint}")
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
    in lower case by default); a prefix operator sets ``symbol`` instead.  The
    other class attributes of `Node` give its LaTeX, export code and SymPy
    counterpart.

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
    arity = 1
    precedence = PREFIX  # a prefix symbol binds like unary minus
    _child_fields = ("child",)

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
    ``symbol`` is the infix symbol, ``precedence`` its binding strength and
    ``associativity`` how chains of it group (see `Node`); an operation
    without a symbol prints as ``name(a, b)``.

    >>> from exprdiff import Parameter
    >>> class Hypot(BinaryOp):
    ...     def forward(self, a, b):
    ...         return (a**2 + b**2) ** 0.5
    ...     def vjp_lhs(self, g, a, b, out):
    ...         return g * a / out
    ...     def vjp_rhs(self, g, a, b, out):
    ...         return g * b / out
    >>> a, b = Parameter("a"), Parameter("b")
    >>> Hypot(a, b)({a: 3.0, b: 4.0}), Hypot(a, b).grad({a: 3.0, b: 4.0})
    (5.0, {Parameter('a'): 0.6, Parameter('b'): 0.8})
    """

    __slots__ = ("lhs", "rhs")
    arity = 2
    _child_fields = ("lhs", "rhs")

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


class NaryOp(Node):
    """Base of operations of three or more operands, or of any number of them.

    A subclass writes ``forward(self, *values)`` and, beside it, the one rule
    ``partial(self, slot, g, operands, out)``: the gradient flowing to
    operand ``slot``, given ``g`` (see `UnaryOp`), all the operands' values
    and ``out``.  ``arity`` says how many operands it takes (None: any number,
    at least one); its constructor takes them as positional arguments, any
    settings as keywords, so ``cls(*children, **settings)`` rebuilds a node.
    `exprdiff.ops.Where`, `exprdiff.ops.Concatenate` and `exprdiff.ops.Stack`
    are NaryOps.

    >>> from exprdiff import Parameter
    >>> class Sum3(NaryOp):
    ...     arity = 3
    ...     def forward(self, a, b, c):
    ...         return a + b + c
    ...     def partial(self, slot, g, operands, out):
    ...         return g
    >>> a, b, c = Parameter("a"), Parameter("b"), Parameter("c")
    >>> Sum3(a, b, c)({a: 1.0, b: 2.0, c: 3.0}), Sum3(a, b, c).grad({a: 1.0, b: 2.0, c: 3.0})[c]
    (6.0, 1.0)
    """

    __slots__ = ("operands",)
    _child_fields = ("operands",)
    arity: ClassVar[int | None] = None

    def __init__(self, *operands: object) -> None:
        self._init(operands=_checked_operands(type(self), operands))

    @property
    def children(self) -> tuple[Node, ...]:
        return self.operands

    def forward(self, *values: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no forward(self, *values)")

    def partial(self, slot: int, g: Any, operands: tuple, out: Any) -> Any:
        """The gradient flowing to operand ``slot``; used by the engines."""
        raise NotImplementedError(
            f"{type(self).__name__} defines no derivative rule: "
            "write partial(self, slot, g, operands, out)"
        )


def _checked_operands(op: type[Node], operands: tuple) -> tuple[Node, ...]:
    """The operands as nodes, as many as ``op.arity`` says (any number, at least one, for None)."""
    arity = op.arity
    if (len(operands) != arity) if arity is not None else not operands:
        wanted = f"{arity} operands" if arity is not None else "at least one operand"
        raise TypeError(f"{op.__name__} takes {wanted}, got {len(operands)}")
    return tuple(as_node(operand) for operand in operands)
