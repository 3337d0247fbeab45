"""Plots: the pixels, markers and lines drawn are the model's own numbers."""

import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from exprdiff import Input, Parameter, Tanh, optimize  # noqa: E402
from exprdiff.gates import (  # noqa: E402
    CORNERS,
    gate_data,
    gate_loss,
    outputs_at_corners,
    perceptron,
    targets,
    two_layer_network,
)
from exprdiff.plot import (  # noqa: E402
    decision_heatmap,
    loss_curve,
    target_before_after,
    target_heatmap,
)

X1, X2, LABEL = Input("x1"), Input("x2"), Input("label")
ROOT = Path(__file__).resolve().parent.parent


def new_axes():
    return Figure().subplots()


def test_heatmap_pixels_are_the_model_on_the_grid():
    """Pixel [i, j] is the model at x1 = xs[j], x2 = ys[i] over the requested range and size."""
    model, params = two_layer_network(X1, X2, seed=1)
    ax = decision_heatmap(model, X1, X2, params, ax=new_axes(), xlim=(-0.5, 1.5),
                          ylim=(0.0, 2.0), resolution=(7, 5))
    xs, ys = np.linspace(-0.5, 1.5, 7), np.linspace(0.0, 2.0, 5)
    expected = [[model(params, {X1: x, X2: y}) for x in xs] for y in ys]
    image = ax.images[0]
    np.testing.assert_allclose(image.get_array(), expected, rtol=1e-14)
    assert image.origin == "lower"
    # pixels are centred on the grid points
    np.testing.assert_allclose(image.get_extent(), [-0.5 - 1 / 6, 1.5 + 1 / 6, -0.25, 2.25])


def test_heatmap_has_a_colour_bar_labels_and_corner_marks():
    """A colour bar, axis names from the Inputs, and the four corners circled and labelled."""
    model, params = perceptron(X1, X2)
    ax = decision_heatmap(model, X1, X2, params, ax=new_axes(), resolution=11, title="AND")
    assert ax.images[0].colorbar is not None and len(ax.figure.axes) == 2
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("$x_{1}$", "$x_{2}$", "AND")
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), CORNERS)
    values = outputs_at_corners(model, X1, X2, params)
    assert [t.get_text() for t in ax.texts] == [f"{v:.2f}" for v in values]


def test_heatmap_corner_fill_shows_the_gate_target():
    """With a gate, the corner circles carry the target values on the heatmap's colour scale."""
    model, params = perceptron(X1, X2)
    ax = decision_heatmap(model, X1, X2, params, ax=new_axes(), gate="nand", vmin=0, vmax=1,
                          colorbar=False)
    marks = ax.collections[0]
    assert marks.get_array().tolist() == list(targets("nand"))
    assert marks.get_clim() == (0, 1) == ax.images[0].get_clim()
    assert len(ax.figure.axes) == 1


def test_heatmap_marks_only_corners_in_view():
    """Corners outside the plotted range are left out."""
    model, params = perceptron(X1, X2)
    ax = decision_heatmap(model, X1, X2, params, ax=new_axes(), xlim=(0.5, 2.0))
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), [(1, 0), (1, 1)])


def test_heatmap_passes_other_inputs_through():
    """A model reading a third Input gets it from inputs=."""
    scale, w = Input("scale"), Parameter("w")
    model = Tanh(w * scale * (X1 - X2))
    ax = decision_heatmap(model, X1, X2, {w: 2.0}, inputs={scale: 3.0}, ax=new_axes(),
                          resolution=3)
    assert ax.images[0].get_array()[0, 2] == pytest.approx(np.tanh(6.0))


def test_target_heatmap_spreads_each_corner_over_its_quadrant():
    """Every pixel takes the output of its nearest corner."""
    ax = target_heatmap("or", ax=new_axes(), resolution=(4, 2))
    assert ax.images[0].get_array().tolist() == [[0, 0, 1, 1], [1, 1, 1, 1]]
    assert ax.get_title() == "OR target"


def test_target_before_after_panels_show_the_two_parameter_sets():
    """Three panels (target, before, after) share [0, 1] and one colour bar, with the right data."""
    model, params = perceptron(X1, X2)
    fitted = optimize(gate_loss(model, LABEL), params, gate_data("and", X1, X2, LABEL))
    fig = target_before_after("and", model, X1, X2, params, fitted, resolution=9)
    target, before, after, bar = fig.axes
    assert [a.get_title() for a in (target, before, after)] == [
        "AND target", "before training", "after training"]
    grid = np.meshgrid(np.linspace(0, 1, 9), np.linspace(0, 1, 9))
    for ax, values in ((before, params), (after, fitted)):
        expected = model(values, {X1: grid[0], X2: grid[1]})
        np.testing.assert_allclose(ax.images[0].get_array(), expected, rtol=1e-14)
        assert ax.images[0].get_clim() == (0.0, 1.0)
    assert bar.get_ylabel() == "output"


def test_loss_curve_plots_every_epoch():
    """The line's points are (epoch, loss) from 1; a FitResult works directly."""
    model, params = perceptron(X1, X2)
    fitted = optimize(gate_loss(model, LABEL), params, gate_data("or", X1, X2, LABEL), epochs=30)
    ax = loss_curve(fitted, ax=new_axes(), label="OR")
    x, y = ax.lines[0].get_data()
    assert x.tolist() == list(range(1, 31)) and y.tolist() == fitted.losses
    assert ax.get_yscale() == "log" and ax.get_legend() is not None
    assert loss_curve([1.0, 0.0, -1.0], ax=new_axes()).get_yscale() == "linear"
    assert loss_curve([3.0, 2.0], ax=new_axes(), log_scale=False).get_yscale() == "linear"


def test_without_ax_pyplot_current_axes_are_used():
    """ax=None draws into pyplot's current Axes, the matplotlib convention."""
    plt.figure()
    try:
        assert loss_curve([0.5, 0.25]) is plt.gca()
    finally:
        plt.close("all")


@pytest.mark.parametrize("call, message", [
    (lambda: target_heatmap("and", ax=new_axes(), resolution=1), "resolution must be at least 2"),
    (lambda: target_heatmap("and", ax=new_axes(), xlim=(1, 0)), r"xlim must be \(low, high\)"),
    (lambda: loss_curve([], ax=new_axes()), "losses must be a non-empty sequence"),
])
def test_bad_plot_arguments_are_named(call, message):
    """A too-small grid, a reversed range or no losses raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=message):
        call()


def test_importing_exprdiff_loads_neither_matplotlib_nor_tqdm():
    """The engine imports fast: plotting and progress bars load only when used."""
    code = "import sys, exprdiff; print('matplotlib' in sys.modules, 'tqdm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]
