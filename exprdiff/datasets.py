"""Small classification data sets: seeded 2-D generators and scikit-learn's digits.

Every generator returns ``(X, y)``: ``X`` a float64 array of shape
``(n_samples, 2)`` (features in columns) and ``y`` an int64 array of shape
``(n_samples,)`` of class labels ``0, 1, ...``.  The same seed always gives
the same arrays; samples come shuffled.  Labels for a hinge loss, which
wants -1 and +1, are ``2 * y - 1``.  The logic-gate truth tables of
`exprdiff.truth_tables` are here too: `GATES`, `CORNERS` and `gate_data`.

>>> X, y = two_moons(100, noise=0.1, seed=0)
>>> X.shape, y.shape, sorted(set(y.tolist()))
((100, 2), (100,), [0, 1])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from exprdiff.truth_tables import CORNERS, GATES, gate_data

__all__ = [
    "CORNERS", "GATES", "blobs", "circles", "digits", "gate_data", "spirals", "train_test_split",
    "two_moons",
]


def _check_count(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_noise(noise: float) -> float:
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    return float(noise)


def _shuffled(
    rng: np.random.Generator, X: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return X[order], y[order]


def _split_evenly(n_samples: int, parts: int) -> list[int]:
    """``n_samples`` shared by ``parts`` classes as evenly as possible (first ones larger)."""
    return [n_samples // parts + (1 if k < n_samples % parts else 0) for k in range(parts)]


def two_moons(
    n_samples: int = 100, *, noise: float = 0.1, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (class 0 on top, class 1 below), plus Gaussian noise.

    The moons of micrograd's demo: ``noise`` is the standard deviation of the
    noise added to each coordinate.

    >>> X, y = two_moons(6, noise=0.0, seed=1)
    >>> sorted(X[y == 0].round(2).tolist())
    [[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    """
    n_samples, noise = _check_count("n_samples", n_samples, 2), _check_noise(noise)
    rng = np.random.default_rng(seed)
    n_top, n_bottom = _split_evenly(n_samples, 2)
    top = np.linspace(0.0, np.pi, n_top)
    bottom = np.linspace(0.0, np.pi, n_bottom)
    X = np.concatenate([
        np.column_stack([np.cos(top), np.sin(top)]),
        np.column_stack([1.0 - np.cos(bottom), 0.5 - np.sin(bottom)]),
    ])
    y = np.repeat([0, 1], [n_top, n_bottom])
    return _shuffled(rng, X + rng.normal(0.0, noise, size=X.shape), y)


def circles(n_samples: int = 100, *, noise: float = 0.05, factor: float = 0.5,
            seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius ``factor`` (class 1) inside one of radius 1 (class 0), plus noise.

    >>> X, y = circles(8, noise=0.0, factor=0.5)
    >>> np.hypot(X[:, 0], X[:, 1]).round(6)[np.argsort(y)].tolist()
    [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    """
    n_samples, noise = _check_count("n_samples", n_samples, 2), _check_noise(noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1), got {factor!r}")
    rng = np.random.default_rng(seed)
    n_outer, n_inner = _split_evenly(n_samples, 2)
    rings = []
    for count, radius in ((n_outer, 1.0), (n_inner, factor)):
        angle = np.linspace(0.0, 2 * np.pi, count, endpoint=False)
        rings.append(radius * np.column_stack([np.cos(angle), np.sin(angle)]))
    X, y = np.concatenate(rings), np.repeat([0, 1], [n_outer, n_inner])
    return _shuffled(rng, X + rng.normal(0.0, noise, size=X.shape), y)


def blobs(n_samples: int = 100, *, centers: int | Sequence = 3, std: float = 1.0,
          n_features: int = 2, box: tuple[float, float] = (-10.0, 10.0),
          seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters: class ``k`` is centred on ``centers[k]`` with standard deviation ``std``.

    ``centers`` is a number of clusters (their centres drawn uniformly in
    ``box`` along each of ``n_features`` axes) or an array of centres, one row
    per class.  ``X`` has shape ``(n_samples, n_features)``.

    >>> X, y = blobs(300, centers=[[0, 0], [5, 5]], std=0.5, seed=0)
    >>> X[y == 1].mean(axis=0).round(1).tolist()
    [5.0, 5.0]
    """
    n_samples = _check_count("n_samples", n_samples)
    if not std >= 0:
        raise ValueError(f"std must be >= 0, got {std!r}")
    rng = np.random.default_rng(seed)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        count = _check_count("centers", centers)
        n_features = _check_count("n_features", n_features)
        centres = rng.uniform(box[0], box[1], size=(count, n_features))
    else:
        centres = np.asarray(centers, dtype=np.float64)
        if centres.ndim != 2 or len(centres) == 0:
            raise ValueError(f"centers must be an int or a 2-D array, got shape {centres.shape}")
    sizes = _split_evenly(n_samples, len(centres))
    y = np.repeat(np.arange(len(centres)), sizes)
    X = centres[y] + rng.normal(0.0, std, size=(n_samples, centres.shape[1]))
    return _shuffled(rng, X, y)


def spirals(n_samples: int = 100, *, classes: int = 2, noise: float = 0.2,
            seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms from the origin to radius 1 (the CS231n spirals).

    Arm ``k`` sweeps 4 radians starting at angle ``4k``; ``noise`` is the
    standard deviation of the noise added to the angle.

    >>> X, y = spirals(300, classes=3, seed=0)
    >>> X.shape, np.bincount(y).tolist(), bool(np.abs(X).max() <= 1.0)
    ((300, 2), [100, 100, 100], True)
    """
    n_samples, noise = _check_count("n_samples", n_samples), _check_noise(noise)
    classes = _check_count("classes", classes)
    rng = np.random.default_rng(seed)
    arms = []
    for k, count in enumerate(_split_evenly(n_samples, classes)):
        radius = np.linspace(0.0, 1.0, count)
        angle = np.linspace(4.0 * k, 4.0 * (k + 1), count) + rng.normal(0.0, noise, count)
        arms.append(radius[:, None] * np.column_stack([np.sin(angle), np.cos(angle)]))
    y = np.repeat(np.arange(classes), _split_evenly(n_samples, classes))
    return _shuffled(rng, np.concatenate(arms), y)


def digits(*, scaled: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled handwritten digits: 1797 images of 8x8 pixels, classes 0-9.

    ``X`` has shape (1797, 64), one flattened image per row with pixel
    intensities 0 to 16 (0 to 1 with ``scaled=True``); ``y`` has shape
    (1797,).  The data ships inside scikit-learn (no download); install it
    with the optional extra: ``pip install "exprdiff[digits]"``.

    >>> X, y = digits(scaled=True)
    >>> X.shape, y.shape, float(X.max()), np.bincount(y).tolist()[:3]
    ((1797, 64), (1797,), 1.0, [178, 182, 177])
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise ImportError(
            "exprdiff.datasets.digits needs scikit-learn, which ships the digits images: "
            'install the optional extra with  pip install "exprdiff[digits]"'
        ) from error
    bunch = load_digits()
    X = np.asarray(bunch.data, dtype=np.float64)
    return (X / 16.0 if scaled else X), np.asarray(bunch.target, dtype=np.int64)


def train_test_split(
    *arrays: np.ndarray, test_fraction: float = 0.2, seed: int | None = 0
) -> tuple[np.ndarray, ...]:
    """Shuffle the rows of ``arrays`` together and split them into a training and a test part.

    Returns ``train_0, test_0, train_1, test_1, ...`` (scikit-learn's order);
    the test part has ``round(test_fraction * n)`` rows.

    >>> X, y = np.arange(10).reshape(5, 2), np.arange(5)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.4, seed=0)
    >>> X_train.shape, X_test.shape, sorted(y_train.tolist() + y_test.tolist())
    ((3, 2), (2, 2), [0, 1, 2, 3, 4])
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    arrays = tuple(np.asarray(array) for array in arrays)
    n = len(arrays[0])
    if any(len(array) != n for array in arrays):
        lengths = [len(array) for array in arrays]
        raise ValueError(f"the arrays must have the same number of rows, got {lengths}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction!r}")
    n_test = int(round(test_fraction * n))
    if not 0 < n_test < n:
        raise ValueError(f"test_fraction={test_fraction} of {n} rows leaves a part empty")
    order = np.random.default_rng(seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return tuple(part for array in arrays for part in (array[train], array[test]))
