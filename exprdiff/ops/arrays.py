"""Operations on whole arrays: matrix products, reductions, transposes, softmax.

These are not elementwise (an element of the value depends on many elements
of the operand), so their derivative rules use NumPy freely and run only in
the numeric engine; the symbolic layer refuses them by their ``elementwise``
flag.  Settings such as ``axis`` are constructor keywords stored in slots of
the same name, JSON-friendly (None, an int or a tuple of ints).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from exprdiff.core.nodes import BinaryOp, UnaryOp, as_node
from exprdiff.core.values import shape_of, short_repr

#: the operations; `logsumexp`, `softmax`, `class_score` and `class_indices` are
#: the NumPy functions behind some of them
__all__ = [
    "ClassScore", "LogSumExp", "MatMul", "Mean", "Softmax", "Sum", "SumOfSquares", "Transpose",
]


def _int_setting(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


#: NumPy arrays have at most this many axes (``numpy.ndarray`` refuses more)
_MAX_AXES = 64


def _axis_setting(op: str, name: str, axis: object) -> int | tuple[int, ...] | None:
    """Normalise an ``axis``/``axes`` keyword: None, an int or a tuple of distinct ints.

    Axes are checked against NumPy's limit of 64 axes here, so that a bad
    setting (from a file, say) fails when the node is built, not later.
    """
    if axis is None:
        return None
    if _int_setting(axis):
        axes: tuple = (int(axis),)
    elif isinstance(axis, (tuple, list)) and all(_int_setting(a) for a in axis):
        axes = tuple(int(a) for a in axis)
    else:
        raise TypeError(
            f"{op}: {name} must be None, an int or a tuple of ints, got {short_repr(axis)}")
    if len(axes) > _MAX_AXES or not all(-_MAX_AXES <= a < _MAX_AXES for a in axes):
        raise ValueError(
            f"{op}: {name} {short_repr(axis)} is out of range (NumPy arrays have at most "
            f"{_MAX_AXES} axes)"
        )
    if len(set(axes)) != len(axes) and name == "axis":
        raise ValueError(f"{op}: {name} {short_repr(axis)} names an axis twice")
    return axes[0] if _int_setting(axis) else axes


def _numpy_defaults(dtype: object = None, out: object = None, keepdims: object = False) -> None:
    """Refuse NumPy keyword arguments that have no exprdiff form (anything but their defaults)."""
    if dtype not in (None, float, np.float64):
        raise TypeError(f"dtype={dtype!r} has no exprdiff form (values are float64)")
    if out is not None and out != (None,):
        raise TypeError("out= has no exprdiff form (nodes are immutable values)")
    if keepdims is not False:
        raise TypeError(f"keepdims={keepdims!r} has no exprdiff form")


def _spread(g, x, axis, keepdims=False):
    """Broadcast ``g``, shaped like a reduction of ``x`` over ``axis``, back to ``x``'s shape."""
    if type(x) is not np.ndarray:
        return g
    spread = np.empty(x.shape)
    if axis is None and not keepdims:
        spread.fill(g)
    else:  # put the reduced axes back as length-1 axes, then broadcast
        spread[...] = g if keepdims else kept_axes(g, x, axis)
    return spread


def kept_axes(value, x, axis):
    """``value``, a reduction of ``x`` over ``axis``, with the reduced axes back as length 1
    (as ``keepdims=True`` gives it), so that it broadcasts against ``x``.

    >>> kept_axes(np.array([3.0, 7.0]), np.ones((2, 2)), 1)
    array([[3.],
           [7.]])
    """
    if type(x) is not np.ndarray:
        return value
    if axis is None:
        return np.reshape(value, (1,) * x.ndim)
    kept = list(x.shape)
    for a in (axis,) if type(axis) is int else axis:
        kept[a] = 1
    return np.reshape(value, kept)


def logsumexp(x, axis=-1, keepdims=False):
    """``log(sum(exp(x), axis))`` without overflow; a slice of all ``-inf`` gives ``-inf``.

    The function behind `LogSumExp` (and copied into exported code).

    >>> float(logsumexp(np.array([1000.0, 1000.0])))
    1000.6931471805599
    """
    return logsumexp_parts(x, axis, keepdims)[0]


def logsumexp_parts(x, axis=-1, keepdims=False):
    """``(logsumexp(x, axis), exp(x - peak), their sum along axis)``, the last two kept dims.

    What `logsumexp` computes on its way, for the operations that reuse the
    exponentials (the softmax of `exprdiff.ops.fused.SoftmaxCrossEntropy`).

    >>> value, shifted, total = logsumexp_parts(np.array([0.0, 0.0]))
    >>> float(value), shifted.tolist(), total.tolist()
    (0.6931471805599453, [1.0, 1.0], [2.0])
    """
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)  # all -inf (or inf) slices
    # x - peak <= 0 can only overflow to -inf (1e308 beside -1e308), whose exp, 0, is
    # exact; log(0) = -inf for an all -inf slice
    with np.errstate(divide="ignore", over="ignore"):
        shifted = np.exp(x - peak)
        total = np.sum(shifted, axis=axis, keepdims=True)
        log_total = np.log(total)
    out = log_total + peak
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return (out if out.ndim else out[()]), shifted, total


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x), axis)`` without overflow; the function behind `Softmax`.

    >>> softmax(np.array([0.0, 1000.0]))
    array([0., 1.])
    """
    with np.errstate(over="ignore"):  # x - max <= 0 overflows only to -inf, whose exp is 0
        shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def class_indices(labels, classes):
    """Integer class labels as an index array with a trailing axis, checked to be 0..classes-1.

    >>> class_indices(np.array([2.0, 0.0]), 3).tolist()
    [[2], [0]]
    """
    labels = np.asarray(labels)
    with np.errstate(invalid="ignore"):  # NaN or inf labels: refused just below
        indices = labels.astype(np.int64)
    # the usual case in two passes: whole numbers, and 0 <= index < classes as one unsigned
    # maximum (a negative index reads as a huge unsigned one)
    if indices.size and not ((indices == labels).all()
                             and indices.view(np.uint64).max() < classes):
        valid = (labels == np.round(labels)) & (labels >= 0) & (labels < classes)
        bad = labels[~valid].ravel()[0]
        raise ValueError(
            f"class labels must be integers from 0 to {classes - 1}, got {float(bad):g}"
        )
    return indices[..., None]


def class_score(logits, labels):
    """Each sample's score for its labelled class; the function behind `ClassScore`.

    >>> class_score(np.array([[1.0, 5.0], [7.0, 2.0]]), np.array([1.0, 0.0]))
    array([5., 7.])
    """
    logits_shape, labels_shape = np.shape(logits), np.shape(labels)
    if not logits_shape:
        raise ValueError("logits must have a class axis, got a scalar")
    if labels_shape == logits_shape:
        return np.sum(labels * logits, axis=-1)
    if labels_shape != logits_shape[:-1]:
        raise ValueError(
            f"labels of shape {labels_shape} fit neither logits of shape {logits_shape} "
            f"as class indices (shape {logits_shape[:-1]}) nor as one-hot rows "
            f"(shape {logits_shape})"
        )
    indices = class_indices(labels, logits_shape[-1])
    if len(logits_shape) == 2:  # a batch of rows: plain indexing, several times faster
        return logits[np.arange(logits_shape[0]), indices[:, 0]]
    picked = np.take_along_axis(logits, indices, -1)[..., 0]
    return picked if picked.ndim else picked[()]  # one sample: a float64 scalar, not a 0-d array


def matrix_product(a, b):
    """NumPy's matrix product, ``a @ b``, through `numpy.dot` for 1-D and 2-D arrays.

    `numpy.dot` equals `numpy.matmul` there and is several times faster on
    transposed (Fortran-ordered) operands; the function behind `MatMul` (and
    copied into exported code, which must round as the engine does: the two
    BLAS calls can differ in the last bit on such operands).

    >>> matrix_product(np.eye(2), np.array([3.0, 4.0]))
    array([3., 4.])
    """
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim <= 2 and b.ndim <= 2:
        return np.dot(a, b)
    return np.matmul(a, b)


def _matmul(a, b):
    """``a @ b`` as `MatMul` computes it (a `ValueError` naming both shapes on a mismatch)."""
    try:
        return matrix_product(a, b)
    except ValueError:
        raise ValueError(_matmul_mismatch(shape_of(a), shape_of(b))) from None


# np.dot equals np.matmul for 1-D and 2-D operands and is several times
# faster on transposed (Fortran-ordered) ones, so the 2-D paths use it.
def _matmul_vjp_lhs(g, a, b):
    """`MatMul`'s rule for its left operand."""
    if b.ndim == 1:  # out[..., i] = sum_k a[..., i, k] b[k]
        return g * b if a.ndim == 1 else g[..., None] * b
    if a.ndim == 1:  # out[..., j] = sum_k a[k] b[..., k, j]
        return np.dot(b, g) if b.ndim == 2 else np.matmul(b, g[..., None])[..., 0]
    if b.ndim == 2 and g.ndim == 2:
        return np.dot(g, b.T)
    return np.matmul(g, np.swapaxes(b, -1, -2))


def _matmul_vjp_rhs(g, a, b):
    """`MatMul`'s rule for its right operand."""
    if a.ndim == 1:
        return g * a if b.ndim == 1 else a[:, None] * g[..., None, :]
    if b.ndim == 1:
        return np.dot(g, a) if a.ndim == 2 else np.matmul(g[..., None, :], a)[..., 0, :]
    if a.ndim == 2 and g.ndim == 2:
        return np.dot(a.T, g)
    return np.matmul(np.swapaxes(a, -1, -2), g)


def _torch_dims(x, axis):
    """An ``axis`` setting as PyTorch's ``dim`` (None, every axis, spelled out)."""
    return tuple(range(x.ndim)) if axis is None else axis


def _softmax_torch(x, axis):
    """`softmax` in PyTorch, along one axis or several."""
    if type(axis) is int:
        return x.softmax(axis)
    dims = _torch_dims(x, axis)
    shifted = (x - x.amax(dim=dims, keepdim=True).detach()).exp()
    return shifted / shifted.sum(dim=dims, keepdim=True)


def _transpose_torch(x, axes):
    """`numpy.transpose` in PyTorch (None: the axes reversed)."""
    return x.permute(tuple(reversed(range(x.ndim))) if axes is None else axes)


def _class_score_jax(logits, labels):
    """`class_score` in JAX (labels are not checked: traced code cannot raise on values)."""
    import jax.numpy as jnp  # only when JAX code runs: importing exprdiff never imports JAX

    labels = jnp.asarray(labels)
    if labels.shape == jnp.shape(logits):
        return jnp.sum(labels * logits, axis=-1)
    # a one-hot mask rather than take_along_axis, whose gradient is a slow scatter
    picked = labels[..., None] == jnp.arange(jnp.shape(logits)[-1], dtype=labels.dtype)
    return jnp.sum(jnp.where(picked, logits, 0.0), axis=-1)


def _class_score_torch(logits, labels):
    """`class_score` in PyTorch (labels are not checked)."""
    if not hasattr(labels, "shape"):
        labels = logits.new_tensor(labels)
    if labels.shape == logits.shape:
        return (labels * logits).sum(-1)
    return logits.gather(-1, labels.long().unsqueeze(-1)).squeeze(-1)


def _matmul_mismatch(a: tuple, b: tuple) -> str:
    if not a or not b:
        return (
            f"matrix product of shapes {a} and {b}: both operands must be arrays "
            "with at least one axis (use * for scalars)"
        )
    inner_b, which = (b[0], "only") if len(b) == 1 else (b[-2], "second-to-last")
    if a[-1] != inner_b:
        return (
            f"matrix product of shapes {a} and {b}: the left operand's last axis has "
            f"{a[-1]} entries but the right operand's {which} axis has {inner_b}"
        )
    return f"matrix product of shapes {a} and {b}: the leading (stacked) axes do not broadcast"


class MatMul(BinaryOp):
    """``a @ b``, NumPy's matrix product: 1-D operands and stacks of matrices included.

    A 1-D left operand is a row vector and a 1-D right operand a column
    vector (the added axis is removed again); leading axes broadcast.  Shapes
    whose inner dimensions differ raise `ValueError` naming both shapes.

    >>> import numpy as np
    >>> from exprdiff import Input, Parameter
    >>> x, w = Input("x"), Parameter("w")
    >>> model = x @ w
    >>> model({w: np.ones((2, 3))}, {x: [[1.0, 2.0]]})
    array([[3., 3., 3.]])
    >>> model.grad({w: np.ones((2, 3))}, {x: [[1.0, 2.0]]})[w]
    array([[1., 1., 1.],
           [2., 2., 2.]])
    """

    __slots__ = ()
    vjp_uses_out = False
    symbol = "@"
    spaced = True
    latex_template = "#1 #2"
    ufunc = np.matmul
    elementwise = False
    numpy_code = "_matmul({0}, {1})"
    numpy_vjp_code = ("_matmul_vjp_lhs({g}, {0}, {1})", "_matmul_vjp_rhs({g}, {0}, {1})")
    numpy_helpers = (_matmul, matrix_product, _matmul_vjp_lhs, _matmul_vjp_rhs, _matmul_mismatch,
                     shape_of)
    numpy_functions = (np.dot,)

    @classmethod
    def from_numpy(cls, function, a, b, out=None):
        """``np.dot(a, b)``: a `MatMul`, equal to it for 1-D and 2-D operands (what models
        use); a number operand multiplies, as in NumPy; arrays of more than two axes,
        for which ``np.dot`` is no matrix product, raise `TypeError`."""
        _numpy_defaults(out=out)
        if any(isinstance(v, numbers.Real) or (isinstance(v, np.ndarray) and v.ndim == 0)
               for v in (a, b)):
            return as_node(a) * b  # np.dot with a scalar is a product, as in NumPy
        for operand in (a, b):
            if isinstance(operand, np.ndarray) and operand.ndim > 2:
                raise TypeError(
                    f"an array of shape {operand.shape} has no exprdiff form: np.dot of arrays "
                    "with more than two axes is not the matrix product (use @ for stacks)"
                )
        return cls(a, b)

    def forward(self, a, b):
        return _matmul(a, b)

    def vjp_lhs(self, g, a, b, out):
        return _matmul_vjp_lhs(g, a, b)

    def vjp_rhs(self, g, a, b, out):
        return _matmul_vjp_rhs(g, a, b)

    def specialized_code(self, slot: int | None, shapes: list) -> str | None:
        """The branch of `_matmul` or its rules that operands of these shapes take.

        ``shapes`` are the operands' shapes (then ``g``'s for a rule), None for
        a scalar; compiled code knows them, so it skips the tests.
        """
        a, b = (len(shape) if shape is not None else 0 for shape in shapes[:2])
        if not (1 <= a <= 2 and 1 <= b <= 2):
            return None
        g = len(shapes[2]) if slot is not None and shapes[2] is not None else 0
        if slot is None:
            return "np.dot({0}, {1})"
        if slot == 0:
            if b == 1:
                return "{g} * {1}" if a == 1 else "{g}[..., None] * {1}"
            if a == 1:
                return "np.dot({1}, {g})"
            return "np.dot({g}, {1}.T)" if g == 2 else None
        if a == 1:
            return "{g} * {0}" if b == 1 else "{0}[:, None] * {g}[..., None, :]"
        if b == 1:
            return "np.dot({g}, {0})"
        return "np.dot({0}.T, {g})" if g == 2 else None


def _mean_vjp(g, x, out, axis, keepdims=False):
    """`Mean`'s rule."""
    return _spread(g / (np.size(x) // max(np.size(out), 1)), x, axis, keepdims)


def _sum_of_squares(x, axis, keepdims=False):
    """`SumOfSquares`'s value."""
    if type(x) is not np.ndarray and axis is None:
        return x * x
    return np.add.reduce(x * x, axis=axis, keepdims=keepdims)


def _sum_of_squares_vjp(g, x, axis, keepdims=False):
    """`SumOfSquares`'s rule."""
    if axis is None and not keepdims:
        return (2.0 * g) * x
    return 2.0 * _spread(g, x, axis, keepdims) * x


def _logsumexp_vjp(g, x, out, axis, keepdims=False):
    """`LogSumExp`'s rule: the softmax along ``axis``, from the value."""
    if axis is not None and not keepdims:
        out, g = np.expand_dims(out, axis), np.expand_dims(g, axis)
    with np.errstate(over="ignore"):  # as in logsumexp: x - out overflows only to -inf
        return g * np.exp(x - out)


def _softmax_vjp(g, out, axis):
    """`Softmax`'s rule: the Jacobian-vector product diag(s) g - s (s . g), from the value s."""
    return out * (g - np.sum(g * out, axis=axis, keepdims=True))


def _class_score_vjp_lhs(g, logits, labels):
    """`ClassScore`'s rule for the logits."""
    if shape_of(labels) == shape_of(logits):
        return np.expand_dims(g, -1) * labels
    picked = np.zeros(logits.shape)  # g scattered into the labelled places
    # the forward pass checked these very labels: they only need converting here
    indices = np.asarray(labels).astype(np.int64)[..., None]
    if logits.ndim == 2:  # a batch of rows: plain indexing, several times faster
        picked[np.arange(logits.shape[0]), indices[:, 0]] = g
    else:
        np.put_along_axis(picked, indices, np.expand_dims(g, -1), -1)
    return picked


def _class_score_vjp_rhs(g, logits, labels):
    """`ClassScore`'s rule for one-hot labels (integer labels have none)."""
    if shape_of(labels) != shape_of(logits):
        raise NotImplementedError(
            "ClassScore: integer class labels have no gradient; make the labels an Input"
        )
    return np.expand_dims(g, -1) * logits


class _AxisOp(UnaryOp):
    """A one-operand operation along ``axis`` (None: over all elements)."""

    __slots__ = ("axis",)
    settings = ("axis",)
    elementwise = False

    def __init__(self, child: object, axis: int | tuple[int, ...] | None = None) -> None:
        self._init(child=as_node(child), axis=_axis_setting(type(self).__name__, "axis", axis))



class _Reduction(_AxisOp):
    """Base of the reductions: over ``axis`` (None: every element), the reduced axes kept
    as length 1 with ``keepdims=True``, as in NumPy.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> Sum(x, axis=1, keepdims=True)({}, {x: [[1.0, 2.0], [3.0, 4.0]]})
    array([[3.],
           [7.]])
    """

    __slots__ = ("keepdims",)
    settings = ("axis", "keepdims")

    def __init__(self, child: object, axis: int | tuple[int, ...] | None = None,
                 keepdims: bool = False) -> None:
        name = type(self).__name__
        if not isinstance(keepdims, (bool, np.bool_)):
            raise TypeError(f"{name}: keepdims must be True or False, got {short_repr(keepdims)}")
        self._init(child=as_node(child), axis=_axis_setting(name, "axis", axis),
                   keepdims=bool(keepdims))

    @classmethod
    def from_numpy(cls, function, a, axis=None, dtype=None, out=None, keepdims=False):
        """``np.sum(a, axis, keepdims=...)``, ``np.mean``, ``np.add.reduce(a, axis)`` and the
        like: the node over ``axis``; ``dtype`` and ``out`` other than their defaults raise
        `TypeError`."""
        _numpy_defaults(dtype, out)
        return cls(a, axis=axis, keepdims=keepdims)

    def printed_settings(self) -> tuple[tuple[str, Any], ...]:
        """The settings, ``keepdims`` only when True (``sum(x, axis=0)``, as before it existed)."""
        return tuple((name, getattr(self, name)) for name in self.settings
                     if name != "keepdims" or self.keepdims)

    def kept(self, value: Any, x: Any) -> Any:
        """``value`` (a gradient or the value) with the reduced axes as length 1, to broadcast
        against the operand ``x``."""
        return value if self.keepdims else kept_axes(value, x, self.axis)


class Sum(_Reduction):
    """Sum of the elements along ``axis`` (None: all of them, giving a scalar).

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> Sum(w * w, axis=0)({w: [[1.0, 2.0], [3.0, 4.0]]})
    array([10., 20.])
    >>> Sum(w * w).grad({w: [1.0, 2.0]})[w]
    array([2., 4.])
    """

    __slots__ = ()
    numpy_code = "np.add.reduce({0}, axis={axis}, keepdims={keepdims})"
    numpy_vjp_code = ("_spread({g}, {0}, {axis}, {keepdims})",)
    numpy_helpers = (_spread, kept_axes)
    numpy_functions = (np.sum,)
    reduces = np.add
    method_name = "sum"
    jax_code = "jnp.sum({0}, axis={axis}, keepdims={keepdims})"
    torch_code = "torch.sum({0}, dim={axis}, keepdim={keepdims})"
    vjp_uses_out = False

    def forward(self, x):
        return np.add.reduce(x, axis=self.axis, keepdims=self.keepdims)

    def vjp(self, g, x, out):
        return _spread(g, x, self.axis, self.keepdims)


def mean_along(x, axis, keepdims):
    """The mean along ``axis``: the sum over the count of elements reduced, the function
    behind `Mean` (exported code calls it too: ``np.mean`` warns differently of an empty
    slice).

    >>> float(mean_along(np.array([1.0, 2.0, 6.0]), None, False))
    3.0
    """
    total = np.add.reduce(x, axis=axis, keepdims=keepdims)
    return total / (np.size(x) // max(np.size(total), 1))


class Mean(_Reduction):
    """Mean of the elements along ``axis`` (None: all of them, giving a scalar).

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> Mean(w)({w: [1.0, 2.0, 6.0]})
    3.0
    >>> Mean(w).grad({w: [1.0, 2.0, 6.0]})[w]
    array([0.33333333, 0.33333333, 0.33333333])
    """

    __slots__ = ()
    numpy_code = "mean_along({0}, {axis}, {keepdims})"
    numpy_vjp_code = ("_mean_vjp({g}, {0}, {out}, {axis}, {keepdims})",)
    numpy_helpers = (mean_along, _mean_vjp, _spread, kept_axes)
    numpy_functions = (np.mean,)
    method_name = "mean"
    jax_code = "jnp.mean({0}, axis={axis}, keepdims={keepdims})"
    torch_code = "torch.mean({0}, dim={axis}, keepdim={keepdims})"

    def forward(self, x):
        return mean_along(x, self.axis, self.keepdims)

    def vjp(self, g, x, out):
        return _mean_vjp(g, x, out, self.axis, self.keepdims)


class SumOfSquares(_Reduction):
    """Sum of the squared elements along ``axis`` (None: all of them): a squared L2 norm.

    One node for ``Sum(x * x)``, as weight decay uses it: cheaper to
    evaluate and differentiate than the two nodes it replaces.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> SumOfSquares(w)({w: [3.0, 4.0]})
    25.0
    >>> SumOfSquares(w).grad({w: [3.0, 4.0]})[w]
    array([6., 8.])
    """

    __slots__ = ()
    numpy_code = "_sum_of_squares({0}, {axis}, {keepdims})"
    numpy_vjp_code = ("_sum_of_squares_vjp({g}, {0}, {axis}, {keepdims})",)
    numpy_helpers = (_sum_of_squares, _sum_of_squares_vjp, _spread, kept_axes)
    jax_code = "jnp.sum({0} * {0}, axis={axis}, keepdims={keepdims})"
    torch_code = "torch.sum({0} * {0}, dim={axis}, keepdim={keepdims})"
    vjp_uses_out = False
    function_name = "sum_of_squares"

    def forward(self, x):
        return _sum_of_squares(x, self.axis, self.keepdims)

    def vjp(self, g, x, out):
        return _sum_of_squares_vjp(g, x, self.axis, self.keepdims)

    def specialized_code(self, slot: int | None, shapes: list) -> str | None:
        """Over all elements (the weight-decay case) the rule is one line."""
        if self.axis is None and not self.keepdims:
            if slot is None:
                return "{0} * {0}" if shapes[0] is None else "np.add.reduce({0} * {0}, axis=None)"
            return "(2.0 * {g}) * {0}"
        return None


class LogSumExp(_Reduction):
    """``log(sum(exp(x), axis))``, computed without overflow (default: the last axis).

    The maximum along the axis is subtracted before exponentiating, so inputs
    of any magnitude are fine; a slice of all ``-inf`` gives ``-inf``.  The
    derivative is the softmax along the axis, computed from the value.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> LogSumExp(x)({}, {x: [1000.0, 1000.0]})
    1000.6931471805599
    """

    __slots__ = ()
    numpy_code = "logsumexp({0}, {axis}, {keepdims})"
    numpy_vjp_code = ("_logsumexp_vjp({g}, {0}, {out}, {axis}, {keepdims})",)
    numpy_helpers = (logsumexp, logsumexp_parts, _logsumexp_vjp)
    jax_code = "jax.nn.logsumexp({0}, axis={axis}, keepdims={keepdims})"
    torch_code = "torch.logsumexp({0}, dim=_torch_dims({0}, {axis}), keepdim={keepdims})"
    torch_helpers = (_torch_dims,)

    def __init__(self, child: object, axis: int | tuple[int, ...] | None = -1,
                 keepdims: bool = False) -> None:
        super().__init__(child, axis, keepdims)

    def forward(self, x):
        return logsumexp(x, self.axis, self.keepdims)

    def vjp(self, g, x, out):
        return _logsumexp_vjp(g, x, out, self.axis, self.keepdims)


class Softmax(_AxisOp):
    """``exp(x) / sum(exp(x), axis)``, stable for inputs of any magnitude (default: last axis).

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> Softmax(x)({}, {x: [0.0, 1000.0]})
    array([0., 1.])
    """

    __slots__ = ()
    numpy_code = "softmax({0}, {axis})"
    numpy_vjp_code = ("_softmax_vjp({g}, {out}, {axis})",)
    numpy_helpers = (softmax, _softmax_vjp)
    jax_code = "jax.nn.softmax({0}, axis={axis})"
    torch_code = "_softmax_torch({0}, {axis})"
    torch_helpers = (_softmax_torch, _torch_dims)
    vjp_uses_operands = False

    def __init__(self, child: object, axis: int | tuple[int, ...] | None = -1) -> None:
        super().__init__(child, axis)

    def forward(self, x):
        return softmax(x, self.axis)

    def vjp(self, g, x, out):
        return _softmax_vjp(g, out, self.axis)


class Transpose(UnaryOp):
    """The operand with its axes permuted (``axes=None``: reversed), as `numpy.transpose`.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> Transpose(x)({}, {x: [[1.0, 2.0]]})
    array([[1.],
           [2.]])
    """

    __slots__ = ("axes",)
    numpy_code = "np.transpose({0}, {axes})"
    numpy_functions = (np.transpose,)
    method_name = "transpose"
    jax_code = "jnp.transpose({0}, {axes})"
    torch_code = "_transpose_torch({0}, {axes})"
    torch_helpers = (_transpose_torch,)
    returns_view = True
    vjp_uses_out = False
    settings = ("axes",)
    elementwise = False

    def __init__(self, child: object, axes: tuple[int, ...] | None = None) -> None:
        axes = _axis_setting("Transpose", "axes", axes)
        if _int_setting(axes):
            raise TypeError(f"Transpose: axes must be None or a tuple of ints, got {axes!r}")
        if axes is not None and (
            not all(-len(axes) <= a < len(axes) for a in axes)
            or sorted(a % len(axes) for a in axes) != list(range(len(axes)))
        ):
            raise ValueError(
                f"Transpose: axes must be a permutation of the {len(axes)} axes "
                f"(each of 0..{len(axes) - 1} once, or its negative form), got {axes!r}"
            )
        self._init(child=as_node(child), axes=axes)

    def forward(self, x):
        if type(x) is not np.ndarray and not self.axes:
            return x
        return np.transpose(x, self.axes)

    def specialized_code(self, slot: int | None, shapes: list) -> str | None:
        """The value for a known operand shape (the rule is left to `vjp`)."""
        if slot is not None:
            return None
        if shapes[0] is None and not self.axes:
            return "{0}"
        return "np.transpose({0}, {axes})" if shapes[0] is not None else None

    def vjp(self, g, x, out):
        if type(x) is not np.ndarray:
            return g
        if self.axes is None:
            return np.transpose(g)
        # the inverse permutation, of the axes as non-negative numbers ((-1, 0, 1) is (2, 0, 1))
        return np.transpose(g, np.argsort([a % len(self.axes) for a in self.axes]))


class ClassScore(BinaryOp):
    """The score of each sample's labelled class: ``logits[..., label]``.

    ``labels`` are integer class indices (shape ``logits.shape[:-1]``) or
    one-hot rows / class probabilities (shape ``logits.shape``), in which case
    the value is ``sum(labels * logits, axis=-1)``.  Labels are data: only
    one-hot labels can carry a gradient.

    >>> from exprdiff import Input, Parameter
    >>> z, y = Parameter("z"), Input("y")
    >>> ClassScore(z, y)({z: [[1.0, 5.0], [7.0, 2.0]]}, {y: [1, 0]})
    array([5., 7.])
    >>> ClassScore(z, y)({z: [[1.0, 5.0], [7.0, 2.0]]}, {y: [[0, 1], [1, 0]]})
    array([5., 7.])
    """

    __slots__ = ()
    numpy_code = "class_score({0}, {1})"
    numpy_vjp_code = ("_class_score_vjp_lhs({g}, {0}, {1})", "_class_score_vjp_rhs({g}, {0}, {1})")
    numpy_helpers = (class_indices, class_score, _class_score_vjp_lhs, _class_score_vjp_rhs,
                     shape_of)
    vjp_uses_out = False
    function_name = "class_score"
    jax_code = "_class_score_jax({0}, {1})"
    jax_helpers = (_class_score_jax,)
    torch_code = "_class_score_torch({0}, {1})"
    torch_helpers = (_class_score_torch,)
    elementwise = False

    def forward(self, logits, labels):
        return class_score(logits, labels)

    def vjp_lhs(self, g, logits, labels, out):
        return _class_score_vjp_lhs(g, logits, labels)

    def vjp_rhs(self, g, logits, labels, out):
        return _class_score_vjp_rhs(g, logits, labels)
