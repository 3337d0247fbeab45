"""docs/make_figures.py makes every picture the guide links to."""

import re
import shutil

import matplotlib.image
import pytest
from docs_scripts import DOCS
from figure_run import every_figure

LINKED = sorted({
    name
    for page in DOCS.glob("*.md")
    for name in re.findall(r"!\[[^\]]*\]\(figures/([^)\s]+)\)", page.read_text())
})


def test_the_guide_links_figures():
    """The guide shows pictures (heatmaps, loss curves, graphs), all under docs/figures/."""
    assert len(LINKED) >= 5


def test_every_linked_figure_is_committed():
    """Each picture a page links to is in docs/figures, so the pages render as written."""
    assert [name for name in LINKED if not (DOCS / "figures" / name).is_file()] == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot draws the graph figure")
def test_script_makes_every_linked_figure():
    """Running the script into an empty folder produces every linked image, each a real picture."""
    written, _ = every_figure()  # made once for this and the clipping test
    names = {path.name: path for path in written}
    assert [name for name in LINKED if name not in names] == []
    for name in LINKED:
        if name.endswith(".png"):
            pixels = matplotlib.image.imread(names[name])
            assert min(pixels.shape[:2]) >= 100 and pixels.std() > 0.01
