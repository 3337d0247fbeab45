"""Fused operations: the stable forms that plan-time rewrites put in place of common patterns.

Users rarely build these nodes themselves: `exprdiff.lowering.rewrites`
puts them in place of the patterns users write all the time (see each
class), and every evaluation path runs the rewritten graph.

Each computes, besides its value, the *residual* its derivative needs
(``sigmoid(z) - y``, ``softmax(z) - onehot``): `forward` returns
the value, the rules recompute the residual with the same function, and
compiled code computes both once (``numpy_residual_code``) and hands the
residual to the reverse pass, as hand-written code would.
"""

from __future__ import annotations

import math

import numpy as np

from exprdiff.core.nodes import BinaryOp, UnaryOp, as_node
from exprdiff.core.values import shape_of
from exprdiff.ops.activations import sigmoid
from exprdiff.ops.arrays import (
    _axis_setting,
    _class_score_jax,
    _class_score_torch,
    _torch_dims,
    class_indices,
    class_score,
    logsumexp,
    logsumexp_parts,
)

__all__ = [
    "LogSoftmax", "SigmoidCrossEntropy", "SoftmaxCrossEntropy", "log_softmax",
    "sigmoid_cross_entropy_parts", "softmax_cross_entropy_parts",
]


def sigmoid_cross_entropy_parts(z, y):
    """``(loss, sigmoid(z) - y)``: binary cross-entropy of ``sigmoid(z)`` against ``y``, stably.

    The loss is ``max(z, 0) - z*y + log1p(exp(-|z|))``, which equals
    ``-(y*log(sigmoid(z)) + (1 - y)*log(1 - sigmoid(z)))`` and is exact for
    logits of any magnitude (PyTorch's ``binary_cross_entropy_with_logits``
    is computed the same way).

    >>> loss, residual = sigmoid_cross_entropy_parts(np.array([-1000.0, 0.0]), np.array([1.0, 1.0]))
    >>> loss.tolist(), residual.tolist()
    ([1000.0, 0.6931471805599453], [-1.0, -0.5])
    """
    e = np.exp(-np.absolute(z))
    loss = np.maximum(z, 0.0) - z * y + np.log1p(e)
    residual = np.where(z >= 0, 1.0, e) / (1.0 + e) - y
    return loss, residual


def _sigmoid_cross_entropy_math(z: float, y: float) -> float:
    """`SigmoidCrossEntropy`'s loss over Python floats (compiled scalar code)."""
    return (z if z >= 0.0 else 0.0) - z * y + math.log1p(math.exp(-abs(z)))


def _sigmoid_cross_entropy_math_parts(z: float, y: float) -> tuple[float, float]:
    e = math.exp(-abs(z))
    loss = (z if z >= 0.0 else 0.0) - z * y + math.log1p(e)
    return loss, (1.0 if z >= 0 else e) / (1.0 + e) - y


def _sigmoid_cross_entropy_jax(z, y):
    """`SigmoidCrossEntropy` in JAX: the NumPy formula's value, ``softplus(z) - z*y``'s slopes.

    ``max(z, 0) - z*y + log1p(exp(-|z|))`` keeps its precision where the loss
    is tiny, but JAX's slopes of ``max`` and ``abs`` at 0 would make its second
    derivative 0 there; ``softplus(z) - z*y`` has the rule's derivatives at
    every order (``sigmoid(z) - y``, then ``sigmoid'(z)``).  The sum below has
    the first's value (the second minus itself is exactly 0) and the second's
    derivatives.
    """
    import jax  # only when JAX code runs

    jnp, stop = jax.numpy, jax.lax.stop_gradient
    value = jnp.maximum(z, 0.0) - z * y + jnp.log1p(jnp.exp(-jnp.abs(z)))
    smooth = jnp.logaddexp(0.0, z) - z * y
    return stop(value) + (smooth - stop(smooth))


def _sigmoid_cross_entropy_torch(z, y):
    """`SigmoidCrossEntropy` in PyTorch, as `_sigmoid_cross_entropy_jax` computes it."""
    if not hasattr(y, "shape"):
        y = z.new_tensor(y)
    zd, yd = z.detach(), y.detach()
    value = zd.clamp_min(0.0) - zd * yd + (-zd.abs()).exp().log1p()
    smooth = zd.new_zeros(()).logaddexp(z) - z * y
    return value + (smooth - smooth.detach())


class SigmoidCrossEntropy(BinaryOp):
    """Binary cross-entropy of ``sigmoid(z)`` against a target ``y``, from the logit ``z``.

    Put in place of ``-(y*log(sigmoid(z)) + (1 - y)*log(1 - sigmoid(z)))``
    (and its variants): the value is the same where that is finite, computed
    without overflow, and the gradient for ``z`` is ``sigmoid(z) - y``.  Where
    the written form overflows it gives the right finite answer instead: at
    ``z = -1000``, ``y = 1`` the loss is 1000, not inf.

    >>> from exprdiff import Input, Parameter
    >>> z, y = Parameter("z"), Input("y")
    >>> SigmoidCrossEntropy(z, y)({z: -1000.0}, {y: 1.0})
    1000.0
    >>> SigmoidCrossEntropy(z, y).grad({z: 0.0}, {y: 1.0})
    {Parameter('z'): -0.5}
    """

    __slots__ = ()
    function_name = "sigmoid_cross_entropy"
    numpy_code = "sigmoid_cross_entropy_parts({0}, {1})[0]"
    numpy_residual_code = "sigmoid_cross_entropy_parts({0}, {1})"
    numpy_helpers = (sigmoid_cross_entropy_parts,)
    numpy_vjp_code = ("{g} * {residual}", "-{g} * {0}")
    math_code = "_sigmoid_cross_entropy_math({0}, {1})"
    math_residual_code = "_sigmoid_cross_entropy_math_parts({0}, {1})"
    math_helpers = (_sigmoid_cross_entropy_math, _sigmoid_cross_entropy_math_parts)
    math_vjp_code = ("{g} * {residual}", "-{g} * {0}")
    vjp_uses_out = False
    jax_code = "_sigmoid_cross_entropy_jax({0}, {1})"
    jax_helpers = (_sigmoid_cross_entropy_jax,)
    torch_code = "_sigmoid_cross_entropy_torch({0}, {1})"
    torch_helpers = (_sigmoid_cross_entropy_torch,)

    def forward(self, z, y):
        return sigmoid_cross_entropy_parts(z, y)[0]

    def vjp_lhs(self, g, z, y, out):
        # sigmoid(z) - y as the residual computes it, on numbers and on nodes alike
        return g * (sigmoid(z) - y)

    def vjp_rhs(self, g, z, y, out):
        return -g * z


def softmax_cross_entropy_parts(logits, labels):
    """``(loss, softmax(logits) - onehot)`` along the last axis.

    The loss is ``logsumexp(logits) - class_score(logits, labels)``, computed
    exactly as those two operations compute it (the same value bit for bit);
    the residual, the gradient of the summed loss for the logits, reuses the
    exponentials the log-sum-exp computed, as hand-written code does.  One-hot
    labels (or class probabilities) are used as they are.

    >>> loss, residual = softmax_cross_entropy_parts(np.array([[0.0, 0.0]]), np.array([1.0]))
    >>> loss.tolist(), residual.tolist()
    ([0.6931471805599453], [[0.5, -0.5]])
    """
    lse, shifted, total = logsumexp_parts(logits, -1)
    probabilities = shifted / total
    if shape_of(labels) == shape_of(logits):
        return lse - np.sum(labels * logits, axis=-1), probabilities - labels
    if not shape_of(logits):
        raise ValueError("logits must have a class axis, got a scalar")
    classes = class_indices(labels, shape_of(logits)[-1]) if shape_of(labels) == shape_of(
        logits)[:-1] else None
    if classes is None:
        return lse - class_score(logits, labels), None  # class_score raises, naming the shapes
    # probabilities - onehot, the one subtracted where it is (the same numbers, less work)
    if probabilities.ndim == 2:  # the usual batch of rows: flat indexing is faster
        count, width = probabilities.shape
        flat = np.arange(count) * width + classes[:, 0]
        probabilities.reshape(-1)[flat] -= 1.0  # a fresh C-ordered array: a view
        return lse - np.take(logits, flat), probabilities
    np.put_along_axis(probabilities, classes,
                      np.take_along_axis(probabilities, classes, -1) - 1.0, -1)
    return lse - np.take_along_axis(logits, classes, -1)[..., 0], probabilities


class SoftmaxCrossEntropy(BinaryOp):
    """Cross-entropy of ``softmax(logits)`` along the last axis against class labels.

    Put in place of ``LogSumExp(z) - ClassScore(z, y)`` (what
    `exprdiff.losses.softmax_cross_entropy` builds): the same value, bit for
    bit, and the gradient ``softmax(z) - onehot(y)`` computed from the
    forward pass's own exponentials (the written form's rules recompute
    them; the two gradients agree to rounding).

    >>> import numpy as np
    >>> from exprdiff import Input, Parameter
    >>> z, y = Parameter("z"), Input("y")
    >>> SoftmaxCrossEntropy(z, y).grad({z: np.array([[0.0, 0.0]])}, {y: [1]})[z]
    array([[ 0.5, -0.5]])
    """

    __slots__ = ()
    function_name = "softmax_cross_entropy"
    elementwise = False
    numpy_code = "softmax_cross_entropy_parts({0}, {1})[0]"
    numpy_residual_code = "softmax_cross_entropy_parts({0}, {1})"
    numpy_helpers = (class_indices, class_score, logsumexp, logsumexp_parts, shape_of,
                     softmax_cross_entropy_parts)
    numpy_vjp_code = ("np.expand_dims({g}, -1) * {residual}", "np.expand_dims(-{g}, -1) * {0}")
    residual_like = 0  # the residual is shaped like the logits
    vjp_uses_out = False
    jax_code = "jax.nn.logsumexp({0}, axis=-1) - _class_score_jax({0}, {1})"
    jax_helpers = (_class_score_jax,)
    torch_code = "torch.logsumexp({0}, dim=-1) - _class_score_torch({0}, {1})"
    torch_helpers = (_class_score_torch,)

    def forward(self, logits, labels):
        return softmax_cross_entropy_parts(logits, labels)[0]

    def vjp_lhs(self, g, logits, labels, out):
        return np.expand_dims(g, -1) * softmax_cross_entropy_parts(logits, labels)[1]

    def vjp_rhs(self, g, logits, labels, out):
        if shape_of(labels) != shape_of(logits):
            raise NotImplementedError(
                "ClassScore: integer class labels have no gradient; make the labels an Input"
            )
        return np.expand_dims(-g, -1) * logits


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` without underflow: ``x - logsumexp(x)`` along ``axis``.

    >>> log_softmax(np.array([0.0, 1000.0])).tolist()
    [-1000.0, 0.0]
    """
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True))
    return x - (total + peak)


def _log_softmax_torch(x, axis):
    """`log_softmax` in PyTorch, along one axis or several."""
    if type(axis) is int:
        return x.log_softmax(axis)
    return x - x.logsumexp(_torch_dims(x, axis), keepdim=True)


def log_softmax_vjp(g, out, axis):
    """The derivative rule of `LogSoftmax`: ``g - softmax * sum(g)`` along ``axis``."""
    return g - np.exp(out) * np.sum(g, axis=axis, keepdims=True)


class LogSoftmax(UnaryOp):
    """``log(softmax(x))`` along ``axis`` (default the last), without underflow.

    Put in place of ``Log(Softmax(x))``: where the written form underflows
    to ``-inf`` (a logit 1000 below the largest) this gives the finite value.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> LogSoftmax(x)({}, {x: [0.0, 1000.0]})
    array([-1000.,     0.])
    """

    __slots__ = ("axis",)
    settings = ("axis",)
    elementwise = False
    function_name = "log_softmax"
    numpy_code = "log_softmax({0}, {axis})"
    numpy_helpers = (log_softmax, log_softmax_vjp)
    numpy_vjp_code = ("log_softmax_vjp({g}, {out}, {axis})",)
    vjp_uses_operands = False
    jax_code = "jax.nn.log_softmax({0}, axis={axis})"
    torch_code = "_log_softmax_torch({0}, {axis})"
    torch_helpers = (_log_softmax_torch, _torch_dims)

    def __init__(self, child: object, axis: int | tuple[int, ...] | None = -1) -> None:
        self._init(child=as_node(child), axis=_axis_setting("LogSoftmax", "axis", axis))

    def forward(self, x):
        return log_softmax(x, self.axis)

    def vjp(self, g, x, out):
        return log_softmax_vjp(g, out, self.axis)
