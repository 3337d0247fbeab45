"""Loss functions: each builds an expression from a prediction node and a target.

Every loss is an ordinary expression made of exprdiff operations, so it
evaluates on whole batches, differentiates and prints like any other.  By
default it gives one loss per sample (``reduction="none"``), which is what
`exprdiff.optimize` minimises the mean of; ``reduction="mean"`` or
``"sum"`` reduce over every element to one number.  A penalty such as
`l2_penalty` is a single number: added to per-sample losses it is added to
each, so their mean is the data loss's mean plus the penalty.

>>> import numpy as np
>>> from exprdiff import Input, Parameter
>>> w, x, y = Parameter("w"), Input("x"), Input("y")
>>> loss = mse(w * x, y)
>>> print(loss)
(w*x - y)**2
>>> loss({w: 2.0}, {x: np.array([1.0, 2.0]), y: np.array([1.0, 5.0])})
array([1., 1.])
>>> mse(w * x, y, reduction="mean")({w: 2.0}, {x: np.array([1.0, 2.0]), y: np.array([1.0, 5.0])})
1.0
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import reduce
from operator import add

from exprdiff.core.nodes import Node, Parameter, as_node
from exprdiff.ops import ClassScore, Clip, Log, LogSumExp, Mean, ReLU, Softplus, Sum, SumOfSquares

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "hinge",
    "l2_penalty",
    "mse",
    "softmax_cross_entropy",
]

_REDUCTIONS = {"mean": Mean, "sum": Sum, "none": lambda node: node}


def _reduce(per_sample: Node, reduction: str) -> Node:
    try:
        return _REDUCTIONS[reduction](per_sample)
    except KeyError:
        raise ValueError(
            f"reduction must be one of {sorted(_REDUCTIONS)}, got {reduction!r}"
        ) from None


def mse(prediction: object, target: object, *, reduction: str = "none") -> Node:
    """Squared error ``(prediction - target)**2``, per sample; its mean is the MSE.

    >>> from exprdiff import Parameter
    >>> p = Parameter("p")
    >>> mse(p, 3.0)({p: 1.0}), mse(p, 3.0).grad({p: 1.0})[p]
    (4.0, -4.0)
    """
    residual = as_node(prediction) - target
    return _reduce(residual**2, reduction)


def binary_cross_entropy(
    probability: object, target: object, *, eps: float = 1e-12, reduction: str = "none"
) -> Node:
    """Binary cross-entropy of probabilities: ``-(t*log(p) + (1 - t)*log(1 - p))``.

    ``p`` is first clipped to ``[eps, 1 - eps]`` (`Clip`), so a probability of
    exactly 0 or 1 costs at most ``-log(eps)`` (about 27.6 for the default
    ``1e-12``) instead of infinity, and its gradient is zero beyond the clip.
    Prefer `binary_cross_entropy_with_logits` when the model ends in a sigmoid.

    >>> from exprdiff import Parameter
    >>> p = Parameter("p")
    >>> round(binary_cross_entropy(p, 1.0)({p: 0.5}), 6)
    0.693147
    >>> round(binary_cross_entropy(p, 1.0)({p: 0.0}), 3)
    27.631
    """
    if not 0.0 < eps < 0.5:
        raise ValueError(f"eps must be between 0 and 0.5, got {eps!r}")
    p = Clip(probability, low=eps, high=1.0 - eps)
    per_sample = -(target * Log(p) + (1.0 - as_node(target)) * Log(1.0 - p))
    return _reduce(per_sample, reduction)


def binary_cross_entropy_with_logits(
    logits: object, target: object, *, reduction: str = "none"
) -> Node:
    """Binary cross-entropy of ``sigmoid(logits)``, computed stably as ``softplus(z) - t*z``.

    Equal to ``binary_cross_entropy(Sigmoid(z), t)`` but exact for logits of
    any magnitude (no clipping, no overflow).

    >>> from exprdiff import Parameter
    >>> z = Parameter("z")
    >>> binary_cross_entropy_with_logits(z, 0.0)({z: -1000.0})
    0.0
    >>> binary_cross_entropy_with_logits(z, 1.0)({z: -1000.0})
    1000.0
    """
    logits = as_node(logits)
    return _reduce(Softplus(logits) - target * logits, reduction)


def hinge(scores: object, labels: object, *, margin: float = 1.0, reduction: str = "none") -> Node:
    """Hinge (max-margin) loss ``relu(margin - y*s)`` for labels ``y`` in {-1, +1}.

    This is the loss of micrograd's moons demo: a sample costs nothing once
    its score is on the right side by at least ``margin``.

    >>> from exprdiff import Parameter
    >>> s = Parameter("s")
    >>> hinge(s, -1.0)({s: 0.5}), hinge(s, 1.0)({s: 2.0})
    (1.5, 0.0)
    """
    return _reduce(ReLU(margin - as_node(labels) * scores), reduction)


def softmax_cross_entropy(logits: object, labels: object, *, reduction: str = "none") -> Node:
    """Cross-entropy of ``softmax(logits)`` along the last axis against class labels.

    ``labels`` are integer class indices (shape ``logits.shape[:-1]``) or
    one-hot rows (shape ``logits.shape``; rows of class probabilities summing
    to 1 also work).  Computed stably as ``logsumexp(z) - z[label]``, so
    logits of any magnitude are fine.

    >>> import numpy as np
    >>> from exprdiff import Parameter
    >>> z = Parameter("z")
    >>> round(softmax_cross_entropy(z, 0)({z: np.array([0.0, 0.0])}), 6)
    0.693147
    >>> softmax_cross_entropy(z, [1, 0])({z: np.array([[0.0, 1000.0], [0.0, 1000.0]])})
    array([   0., 1000.])
    """
    logits = as_node(logits)
    return _reduce(LogSumExp(logits, axis=-1) - ClassScore(logits, labels), reduction)


def l2_penalty(params: Iterable[Parameter] | Mapping, weight: float = 1.0) -> Node:
    """``weight`` times the sum of squares of every element of the given parameters.

    ``params`` is an iterable of `Parameter` nodes or a params dict (its keys
    are used; scalar values get a plain ``p*p`` term, arrays a `SumOfSquares`).
    Add it to a data loss for weight decay, as micrograd's demo does with
    ``weight=1e-4``.

    >>> import numpy as np
    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> values = {a: 3.0, b: np.array([1.0, 2.0])}
    >>> penalty = l2_penalty(values, weight=0.5)
    >>> penalty(values)
    7.0
    >>> penalty.grad(values)[b]
    array([1., 2.])
    """
    terms = []
    for param in params:
        if not isinstance(param, Parameter):
            raise TypeError(f"l2_penalty needs Parameter nodes, got {param!r}")
        is_scalar = isinstance(params, Mapping) and isinstance(params[param], (int, float))
        terms.append(param * param if is_scalar else SumOfSquares(param))
    if not terms:
        raise ValueError("l2_penalty needs at least one Parameter")
    return weight * reduce(add, terms)
