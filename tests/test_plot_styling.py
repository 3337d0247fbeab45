"""Plots for a slide: matplotlib styling keywords, math-notation labels, smooth boundaries,
accuracy curves and grids of sample predictions."""

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from exprdiff import Input, Parameter
from exprdiff.datasets import blobs
from exprdiff.gates import perceptron
from exprdiff.plot import (
    accuracy_curve,
    decision_boundary,
    decision_heatmap,
    loss_curve,
    math_label,
    sample_grid,
    target_heatmap,
)

X1, X2 = Input("x1"), Input("x2")


def new_axes():
    return Figure().subplots()


def test_loss_curve_takes_line_styles():
    """color, linewidth and linestyle reach the line; ylabel names the loss."""
    ax = loss_curve([3.0, 2.0, 1.0], ax=new_axes(), color="black", linewidth=3, linestyle="--",
                    ylabel="summed loss")
    line = ax.lines[0]
    assert (line.get_color(), line.get_linewidth(), line.get_linestyle()) == ("black", 3, "--")
    assert ax.get_ylabel() == "summed loss"


def test_heatmaps_take_image_styles_and_are_smooth():
    """A model's heatmap is interpolated smoothly by default; kwargs reach imshow."""
    model, params = perceptron(X1, X2)
    ax = decision_heatmap(model, X1, X2, params, ax=new_axes(), resolution=5)
    assert ax.images[0].get_interpolation() == "bilinear"
    ax = decision_heatmap(model, X1, X2, params, ax=new_axes(), resolution=5, alpha=0.5,
                          interpolation="nearest")
    assert ax.images[0].get_alpha() == 0.5 and ax.images[0].get_interpolation() == "nearest"
    ax = target_heatmap("xor", ax=new_axes(), resolution=4, alpha=0.25)
    assert ax.images[0].get_alpha() == 0.25
    assert ax.images[0].get_interpolation() == "nearest"  # the quadrants stay sharp


def test_boundary_regions_blend_and_every_class_boundary_is_a_line():
    """Three classes: regions blended in colour space (not across class numbers), and a
    contour line along each class's boundary; kwargs and scatter style the parts."""
    X, labels = blobs(60, centers=[[-3.0, 0.0], [3.0, 0.0], [0.0, 4.0]], std=0.3, seed=0)
    x, w = Input("x"), Parameter("w")
    centres = np.array([[-3.0, 3.0, 0.0], [0.0, 0.0, 4.0]])
    model = x @ w - 0.5 * np.sum(centres**2, axis=0)
    ax = decision_boundary(model, x, {w: centres}, X, labels, ax=new_axes(), resolution=30,
                           alpha=0.6, scatter={"s": 50, "marker": "s"})
    image = ax.images[0]
    assert image.get_interpolation() == "bilinear" and image.get_interpolation_stage() == "rgba"
    assert image.get_alpha() == 0.6
    contours = ax.collections[:-1]
    assert len(contours) == 3  # one per class, each where it meets the others
    points = ax.collections[-1]
    assert points.get_sizes().tolist() == [50.0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$x_{1}$", "$x_{2}$")


def test_math_labels():
    """Names become LaTeX: indices as subscripts, Greek letters, words upright; a dense
    Input's columns are numbered from 1."""
    assert math_label("x1") == "$x_{1}$" and math_label("w_2") == "$w_{2}$"
    assert math_label("alpha") == r"$\alpha$" and math_label("age") == r"$\mathrm{age}$"
    assert math_label("x", 1) == "$x_{1}$" and math_label("x_in", 2) == r"$x_{\mathrm{in},2}$"


def test_accuracy_curve_is_in_percent():
    """Epochs from 1 (or given), y from 0 to 102 %, percent ticks, a legend when labelled."""
    ax = accuracy_curve([0.5, 0.9], epochs=[10, 20], ax=new_axes(), label="held out",
                        color="tab:orange")
    assert ax.lines[0].get_xydata().tolist() == [[10.0, 0.5], [20.0, 0.9]]
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"
    assert ax.get_legend() is not None and ax.lines[0].get_color() == "tab:orange"
    with pytest.raises(ValueError, match="epochs has 1 entries for 2 accuracies"):
        accuracy_curve([0.5, 0.9], epochs=[1], ax=new_axes())
    with pytest.raises(ValueError, match="accuracies must be a non-empty sequence"):
        accuracy_curve([], ax=new_axes())


def test_sample_grid_titles_and_colours():
    """Each image is titled with its prediction, mistakes in red naming the truth; count
    shows the mistakes first (up to half) and keeps the original order."""
    images = np.arange(10 * 16, dtype=float).reshape(10, 16)
    predicted = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    truth = [0, 1, 9, 3, 4, 5, 6, 0, 8, 9]
    fig = sample_grid(images, predicted, truth, columns=5)
    titles = [ax.title for ax in fig.axes]
    assert [t.get_text() for t in titles][:3] == ["0", "1", "2 (is 9)"]
    assert to_rgba(titles[2].get_color()) == to_rgba("tab:red")
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), images[1].reshape(4, 4))
    picked = sample_grid(images, predicted, truth, count=4)
    assert [ax.get_title() for ax in picked.axes] == ["0", "1", "2 (is 9)", "7 (is 0)"]
    assert picked.get_layout_engine() is not None  # constrained layout
    with pytest.raises(ValueError, match="as many predictions .* got 10 images and 3"):
        sample_grid(images, [1, 2, 3])
