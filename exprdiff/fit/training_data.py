"""Training data in either form, turned once into arrays with the samples along axis 0.

`optimize` accepts a list of per-sample dicts (the tutorials' form) or one
dict of arrays.  Both become one dict ``{Input: array}`` before training, so
every epoch is a single batched evaluation.

>>> from exprdiff import Input
>>> x, y = Input("x"), Input("y")
>>> arrays, count = as_arrays([{x: 0, y: 1}, {x: 2, y: 3}], [x, y])
>>> arrays[x], arrays[y], count
(array([0., 2.]), array([1., 3.]), 2)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from exprdiff.core.errors import missing_data_value
from exprdiff.core.values import as_value, shape_of

__all__ = ["as_arrays", "take"]


def as_arrays(training_data: object, needed: Sequence) -> tuple[dict, int]:
    """``({Input: float64 array}, sample count)`` for the Inputs in ``needed``.

    Raises `MissingValueError` naming an Input some sample lacks, `ValueError`
    for empty or ragged data, `TypeError` for data in neither form.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> as_arrays({x: [1, 2, 3]}, [x])
    ({Input('x'): array([1., 2., 3.])}, 3)
    """
    if isinstance(training_data, Mapping):
        return _from_mapping(training_data, needed)
    if isinstance(training_data, (str, bytes, np.ndarray)) or not isinstance(
        training_data, Iterable
    ):
        raise TypeError(
            "training_data must be a list of per-sample dicts or a dict of arrays, "
            f"got {type(training_data).__name__}"
        )
    return _from_samples(list(training_data), needed)


def take(arrays: Mapping, rows: np.ndarray) -> dict:
    """The samples at positions ``rows`` of every array.

    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> take({x: np.array([5., 6., 7.])}, np.array([2, 0]))
    {Input('x'): array([7., 5.])}
    """
    return {node: values[rows] for node, values in arrays.items()}


def _from_samples(samples: list, needed: Sequence) -> tuple[dict, int]:
    if not samples:
        raise ValueError("training_data is empty: it needs at least one sample")
    for position, sample in enumerate(samples):
        if not isinstance(sample, Mapping):
            raise TypeError(
                f"training_data sample {position} must be a dict keyed by Input nodes, "
                f"got {type(sample).__name__}"
            )
    arrays = {}
    for node in needed:
        column = []
        for position, sample in enumerate(samples):
            if node not in sample:
                where = f"training_data sample {position} (of {len(samples)})"
                raise missing_data_value(node, where, sample)
            column.append(as_value(sample[node], f"training_data sample {position}, {_name(node)}"))
        shapes = {shape_of(value) for value in column}
        if len(shapes) > 1:
            raise ValueError(
                f"training_data: the values of {_name(node)} have different shapes "
                f"{sorted(shapes)}; every sample must give it the same shape"
            )
        arrays[node] = np.array(column, dtype=np.float64)
    return arrays, len(samples)


def _from_mapping(data: Mapping, needed: Sequence) -> tuple[dict, int]:
    if not data:
        raise ValueError("training_data is empty: it needs at least one sample")
    arrays = {}
    for node in needed:
        if node not in data:
            raise missing_data_value(node, "training_data", data)
        value = as_value(data[node], f"training_data[{_name(node)}]")
        if not isinstance(value, np.ndarray):
            raise ValueError(
                f"training_data[{_name(node)}] is a single number; in the dict-of-arrays "
                "form every Input needs one value per sample along the first axis"
            )
        arrays[node] = value
    lengths = {_name(node): len(values) for node, values in arrays.items()}
    if not arrays:  # nothing in the loss reads the data: count the samples given
        lengths = {_name(key): len(np.atleast_1d(value)) for key, value in data.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}: {length}" for name, length in lengths.items())
        raise ValueError(
            f"training_data arrays have different numbers of samples ({listed}); "
            "the first axis of every array counts the samples"
        )
    count = next(iter(lengths.values()))
    if count == 0:
        raise ValueError("training_data is empty: its arrays hold no samples")
    return arrays, count


def _name(node: object) -> str:
    return f"{type(node).__name__} {getattr(node, 'label', node)!r}"
