"""Decision boundaries: the pixels drawn are the classes the model predicts on the same grid."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from exprdiff import Input, Parameter, Sigmoid
from exprdiff.datasets import blobs, two_moons
from exprdiff.nn import MLP, DenseMLP
from exprdiff.plot import decision_boundary, grid


def new_axes():
    return Figure().subplots()


def test_dense_classifier_pixels_are_its_predictions():
    """Each pixel of a one-Input model's plot is score > 0 at that grid point; data on top."""
    X, labels = two_moons(40, seed=1)
    x = Input("x")
    score, params = DenseMLP(x, 2, [8, 1], "tanh", seed=2)
    ax = decision_boundary(score, x, params, X, labels, ax=new_axes(), resolution=(30, 20))
    u, v = grid(ax.get_xlim(), ax.get_ylim(), (30, 20))
    expected = score(params, {x: np.column_stack([u.ravel(), v.ravel()])}).reshape(u.shape) > 0
    np.testing.assert_array_equal(ax.images[0].get_array(), expected.astype(int))
    np.testing.assert_allclose(ax.collections[-1].get_offsets(), X)  # the data points
    assert ax.get_xlabel() == "$x_{1}$" and ax.get_ylabel() == "$x_{2}$"  # columns of x


def test_default_view_is_the_data_plus_a_margin():
    """Without limits the view spans the data plus 10% of its extent on each side."""
    X = np.array([[0.0, -1.0], [2.0, 1.0]])
    x, w = Input("x"), Parameter("w")
    ax = decision_boundary(x @ w, x, {w: np.array([1.0, 1.0])}, X, [0, 1], ax=new_axes(),
                           resolution=5)
    assert ax.get_xlim() == pytest.approx((-0.2, 2.2)) and ax.get_ylim() == pytest.approx((-1.2, 1.2))


def test_pair_of_inputs_matches_the_dense_model():
    """A scalar-style model on (x1, x2) draws the same classes as the dense model with its weights."""
    x, x1, x2 = Input("x"), Input("x1"), Input("x2")
    dense_score, dense = DenseMLP(x, 2, [5, 1], "relu", seed=4)
    scalar_score, scalar = MLP([x1, x2], [5, 1], "relu", seed=4)
    limits = dict(xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), resolution=25)
    a = decision_boundary(dense_score, x, dense, ax=new_axes(), **limits)
    b = decision_boundary(scalar_score, (x1, x2), scalar, ax=new_axes(), **limits)
    np.testing.assert_array_equal(a.images[0].get_array(), b.images[0].get_array())
    assert b.get_xlabel() == "$x_{1}$" and b.get_ylabel() == "$x_{2}$"


def test_multiclass_pixels_are_the_argmax():
    """A model with one score per class colours each pixel by its highest score's class."""
    X, labels = blobs(90, centers=[[-3.0, 0.0], [3.0, 0.0], [0.0, 4.0]], std=0.3, seed=0)
    x, w = Input("x"), Parameter("w")
    centres = np.array([[-3.0, 3.0, 0.0], [0.0, 0.0, 4.0]])  # nearest-centre scores
    model = x @ w - 0.5 * np.sum(centres**2, axis=0)
    ax = decision_boundary(model, x, {w: centres}, X, labels, ax=new_axes(), resolution=40)
    image = np.asarray(ax.images[0].get_array())
    u, v = grid(ax.get_xlim(), ax.get_ylim(), 40)
    points = np.column_stack([u.ravel(), v.ravel()])
    nearest = np.argmin(((points[:, None, :] - centres.T[None]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_array_equal(image, nearest.reshape(u.shape))
    assert set(np.unique(image).tolist()) == {0, 1, 2}


def test_threshold_for_probabilities_and_boundary_line():
    """With threshold=0.5 a sigmoid model's classes are p > 0.5; the boundary is a drawn contour."""
    x, w = Input("x"), Parameter("w")
    model = Sigmoid(x @ w)
    ax = decision_boundary(model, x, {w: np.array([1.0, 0.0])}, threshold=0.5, ax=new_axes(),
                           xlim=(-1.0, 1.0), ylim=(-1.0, 1.0), resolution=4)
    np.testing.assert_array_equal(ax.images[0].get_array(), [[0, 0, 1, 1]] * 4)
    assert len(ax.collections) == 1  # the contour of the boundary (no data given)


@pytest.mark.parametrize("call, message", [
    (lambda x, w: decision_boundary(x @ w, [x, x, x], {w: np.ones(2)}),
     r"features must be one Input taking \(n, 2\) points or a pair"),
    (lambda x, w: decision_boundary(x @ w, x, {w: np.ones(2)}, np.ones((4, 3)), [0] * 4),
     r"X must hold points as rows of shape \(n, 2\), got shape \(4, 3\)"),
    (lambda x, w: decision_boundary(x @ w, x, {w: np.ones((2, 2, 2))}, resolution=3),
     r"the model gave shape \(2, 9, 2\) for 9 points"),
])
def test_bad_arguments_are_named(call, message):
    """Wrong inputs, data of the wrong shape or a model that is not a classifier are named."""
    with pytest.raises(ValueError, match=message):
        call(Input("x"), Parameter("w"))


def test_other_inputs_are_supplied():
    """A model reading another Input (a temperature, say) gets it from ``inputs``."""
    x, w, scale = Input("x"), Parameter("w"), Input("scale")
    ax = decision_boundary(scale * (x @ w) - 0.5, x, {w: np.array([1.0, 0.0])},
                           inputs={scale: 2.0}, ax=new_axes(), xlim=(-1.0, 1.0),
                           ylim=(-1.0, 1.0), resolution=5)
    np.testing.assert_array_equal(ax.images[0].get_array(), [[0, 0, 0, 1, 1]] * 5)
