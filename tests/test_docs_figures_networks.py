"""The networks guide page's figures are produced by its figure script, and only those."""

import re

import matplotlib.image
from docs_scripts import DOCS, load_docs_script


def test_figure_script_writes_every_image_the_page_links(tmp_path):
    """make(out_dir) writes exactly the figures/<name>.png files the page shows, as real images."""
    linked = set(re.findall(r"\]\(figures/([\w.-]+\.png)\)", (DOCS / "networks.md").read_text()))
    assert linked == {"moons.png", "blobs.png"}
    written = load_docs_script("figure_scripts/networks.py").make(tmp_path)
    assert {path.name for path in written} == linked
    for name in linked:
        image = matplotlib.image.imread(tmp_path / name)
        assert image.shape[0] >= 400 and image.shape[1] >= 500 and image[..., :3].std() > 0.05
