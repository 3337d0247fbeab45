"""Every figure the guide and the demos save fits its canvas: nothing drawn is clipped."""

import shutil

import pytest
from figure_run import every_figure

needs_graphviz = pytest.mark.skipif(
    shutil.which("dot") is None or shutil.which("neato") is None,
    reason="Graphviz draws the guide's graph figures")


@needs_graphviz
def test_every_saved_figure_lies_inside_its_canvas():
    """For each figure saved (PNG files and every GIF frame), get_tightbbox() is inside
    fig.bbox: labels, titles, legends and colour bars all show."""
    _, checked = every_figure()
    names = {name for name, _ in checked}
    assert {"and_heatmaps.png", "moons.png", "digits_training.png", "digits_predictions.png",
            "and_fit.gif", "xor_heatmaps.png", "xor_loss.png", "moons_dense.png"} <= names
    clipped = sorted({(name, round(over, 1)) for name, over in checked if over > 1.0})
    assert clipped == []
