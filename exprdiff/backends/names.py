"""Weights by leaf name: exprdiff's params dicts to and from JAX pytrees and PyTorch state dicts.

exprdiff keys values by the `Parameter` nodes themselves; JAX functions
from `exprdiff.to_jax` and modules from `exprdiff.to_torch` key them by
the Parameters' names (their labels).  Both directions copy float64 values
exactly, so weights make the round trip bit for bit.

>>> import numpy as np
>>> from exprdiff import Parameter
>>> w, b = Parameter("layer.w"), Parameter("layer.b")
>>> named = params_by_name({w: np.array([1.5, -2.0]), b: 0.25})
>>> named
{'layer.w': array([ 1.5, -2. ]), 'layer.b': 0.25}
>>> params_from_names(w * 2.0 + b, named)
{Parameter('layer.w'): array([ 1.5, -2. ]), Parameter('layer.b'): 0.25}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from exprdiff.core.errors import MissingValueError
from exprdiff.core.names import named_leaves
from exprdiff.core.nodes import Node, Parameter

__all__ = ["as_float64", "params_by_name", "params_from_names"]


def params_by_name(params: Mapping[Parameter, Any]) -> dict[str, Any]:
    """``params`` keyed by each Parameter's name (its label), values as they are.

    This is the ``params`` pytree of a function from `exprdiff.to_jax`.  Two
    Parameters with the same name raise `ValueError`.

    >>> from exprdiff import Parameter
    >>> params_by_name({Parameter("w"): 1.0, Parameter(): 2.0})  # doctest: +ELLIPSIS
    {'w': 1.0, 'param_...': 2.0}
    """
    named: dict[str, Any] = {}
    owners: dict[str, Any] = {}
    for param, value in params.items():
        label = getattr(param, "label", None)
        if type(param).leaf_kind != "parameter" or label is None:
            raise TypeError(f"params must be keyed by Parameter nodes, got {param!r}")
        if label in owners and owners[label] is not param:
            raise ValueError(
                f"two Parameters are both named {label!r} ({owners[label]!r} and {param!r}); "
                "give them distinct names"
            )
        owners[label] = param
        named[label] = value
    return named


def params_from_names(expr: Node, named: Mapping[str, Any]) -> dict[Parameter, Any]:
    """The values of ``expr``'s Parameters found by name in ``named``, as exprdiff params.

    ``named`` may be the params pytree of a `exprdiff.to_jax` function, the
    ``state_dict()`` of a `exprdiff.to_torch` module, or any dict keyed by
    name; entries for other names are ignored.  Values become float64 NumPy
    arrays (a Python float when 0-d), copied exactly from NumPy, JAX or
    PyTorch arrays on any device.  A Parameter with no entry raises
    `exprdiff.MissingValueError` naming it.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> params_from_names(w * w, {"w": [1, 2], "unused": 0.0})
    {Parameter('w'): array([1., 2.])}
    """
    params: dict[Parameter, Any] = {}
    for label, leaf in named_leaves(expr).items():
        if type(leaf).leaf_kind != "parameter":
            continue
        if label not in named:
            raise MissingValueError(
                f"no value named {label!r} for Parameter {label!r}; the names given are "
                f"{sorted(map(str, named))}", leaf)
        params[leaf] = as_float64(named[label])
    return params


def as_float64(value: Any) -> Any:
    """A NumPy, JAX or PyTorch value as a new float64 array, or a Python float when 0-d.

    >>> as_float64(np.float32(0.5)), as_float64([[1, 2]])
    (0.5, array([[1., 2.]]))
    """
    detach = getattr(value, "detach", None)
    if detach is not None and hasattr(value, "cpu"):  # a torch.Tensor, on any device
        value = detach().cpu().numpy()
    array = np.array(value, dtype=np.float64)
    return float(array) if array.ndim == 0 else array
