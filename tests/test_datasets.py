"""Data sets: shapes, labels, geometry, seeds, the digits extra and splitting."""

import sys

import numpy as np
import pytest

from exprdiff.datasets import blobs, circles, digits, spirals, train_test_split, two_moons

GENERATORS = [two_moons, circles, blobs, spirals]


@pytest.mark.parametrize("generate", GENERATORS)
def test_shapes_dtypes_and_labels(generate):
    """Each generator returns X of shape (n, 2) float64 and integer labels 0..k-1 of shape (n,)."""
    X, y = generate(101, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert counts.min() >= 101 // len(counts) and counts.sum() == 101


@pytest.mark.parametrize("generate", GENERATORS)
def test_seeds_reproduce_and_differ(generate):
    """The same seed gives identical arrays; another seed gives other points."""
    X1, y1 = generate(50, seed=3)
    X2, y2 = generate(50, seed=3)
    X3, _ = generate(50, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_two_moons_geometry():
    """Without noise, class 0 lies on the unit upper half circle, class 1 on the shifted lower one."""
    X, y = two_moons(200, noise=0.0, seed=0)
    top, bottom = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(top[:, 0], top[:, 1]), 1.0)
    assert np.all(top[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(bottom[:, 0] - 1.0, bottom[:, 1] - 0.5), 1.0)
    assert np.all(bottom[:, 1] <= 0.5 + 1e-12)


def test_noise_is_gaussian_with_the_given_std():
    """The moons' noise has the requested standard deviation around the noiseless points."""
    clean, y = two_moons(4000, noise=0.0, seed=7)
    noisy, y2 = two_moons(4000, noise=0.1, seed=7)
    np.testing.assert_array_equal(y, y2)  # same shuffle for the same seed
    assert np.std(noisy - clean) == pytest.approx(0.1, rel=0.05)


def test_circles_radii():
    """Without noise the outer class has radius 1 and the inner one radius factor."""
    X, y = circles(100, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)


def test_blobs_centres_and_spread():
    """Blobs around given centres have those means and the given std; n_features sets the width."""
    centres = np.array([[0.0, 0.0], [10.0, -5.0], [-4.0, 6.0]])
    X, y = blobs(3000, centers=centres, std=0.5, seed=1)
    for k, centre in enumerate(centres):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centre, atol=0.05)
        assert (X[y == k] - centre).std() == pytest.approx(0.5, rel=0.05)
    X, y = blobs(60, centers=4, n_features=3, box=(-1.0, 1.0), seed=2)
    assert X.shape == (60, 3) and set(y.tolist()) == {0, 1, 2, 3}


def test_spirals_arms():
    """Each spiral arm runs from the origin to radius 1, one arm per class."""
    X, y = spirals(300, classes=3, noise=0.0, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() == pytest.approx(1.0) and radius.min() == pytest.approx(0.0)
    assert np.bincount(y).tolist() == [100, 100, 100]


@pytest.mark.parametrize("call, message", [
    (lambda: two_moons(1), r"n_samples must be an int >= 2, got 1"),
    (lambda: two_moons(10, noise=-0.1), r"noise must be >= 0, got -0.1"),
    (lambda: circles(10, factor=1.5), r"factor .* must be in \(0, 1\), got 1.5"),
    (lambda: blobs(10, centers=0), r"centers must be an int >= 1, got 0"),
    (lambda: blobs(10, centers=[1.0, 2.0]), r"centers must be an int or a 2-D array, got shape \(2,\)"),
    (lambda: blobs(10, std=-1.0), r"std must be >= 0"),
    (lambda: spirals(10, classes=0), r"classes must be an int >= 1, got 0"),
    (lambda: spirals(2.5), r"n_samples must be an int >= 1, got 2.5"),
])
def test_bad_arguments_are_named(call, message):
    """Invalid sizes, noise or shapes raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.slow
def test_digits_shapes_and_scaling():
    """The bundled digits: 1797 flattened 8x8 images with intensities 0-16 (0-1 scaled), classes 0-9."""
    X, y = digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 16.0 and sorted(set(y.tolist())) == list(range(10))
    scaled, _ = digits(scaled=True)
    np.testing.assert_array_equal(scaled, X / 16.0)


def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    """Without scikit-learn, digits() raises ImportError naming the optional extra to install."""
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"needs scikit-learn.*exprdiff\[digits\]"):
        digits()


def test_train_test_split_partitions_rows_together():
    """The split shuffles rows of all arrays together, the test part holding test_fraction of them."""
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.2, seed=1)
    assert len(X_test) == 10 and len(X_train) == 40
    np.testing.assert_array_equal(X_train[:, 0] // 2, y_train)  # rows stay paired
    np.testing.assert_array_equal(X_test[:, 0] // 2, y_test)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(50))
    again = train_test_split(X, y, test_fraction=0.2, seed=1)
    np.testing.assert_array_equal(again[3], y_test)


@pytest.mark.parametrize("call, message", [
    (lambda: train_test_split(), "needs at least one array"),
    (lambda: train_test_split(np.ones(3), np.ones(4)), r"same number of rows, got \[3, 4\]"),
    (lambda: train_test_split(np.ones(10), test_fraction=1.0), r"test_fraction must be between 0 and 1"),
    (lambda: train_test_split(np.ones(2), test_fraction=0.1), r"leaves a part empty"),
])
def test_train_test_split_errors(call, message):
    """Mismatched lengths or fractions that leave a part empty raise ValueError."""
    with pytest.raises(ValueError, match=message):
        call()


def test_gate_tables_are_reexported():
    """The logic-gate tables of exprdiff.gates are available from exprdiff.datasets too."""
    import exprdiff.gates
    from exprdiff import datasets

    assert datasets.GATES is exprdiff.gates.GATES and datasets.CORNERS is exprdiff.gates.CORNERS
    assert datasets.gate_data is exprdiff.gates.gate_data
    assert datasets.GATES["XOR"] == (0, 1, 1, 0)
