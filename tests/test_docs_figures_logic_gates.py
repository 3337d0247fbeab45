"""The logic-gates guide page's figures are produced by its figure script."""

import importlib.util
import re
from pathlib import Path

import matplotlib.image

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "logic_gates.md"
SCRIPT = ROOT / "docs" / "figure_scripts" / "logic_gates.py"


def load_script():
    spec = importlib.util.spec_from_file_location("logic_gates_figures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_figure_script_writes_every_image_the_page_links(tmp_path):
    """make(out_dir) writes exactly the figures/<name>.png files the page shows, as real images."""
    linked = set(re.findall(r"\]\(figures/([\w.-]+\.png)\)", PAGE.read_text()))
    assert len(linked) == 4
    written = load_script().make(tmp_path)
    assert {path.name for path in written} == linked
    for name in linked:
        image = matplotlib.image.imread(tmp_path / name)
        assert image.shape[0] >= 300 and image.shape[1] >= 500 and image.std() > 0.05
    # the committed copies the page displays are there too
    assert all((ROOT / "docs" / "figures" / name).is_file() for name in linked)
