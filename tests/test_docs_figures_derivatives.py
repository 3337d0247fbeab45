"""The derivatives guide page's figure is produced by its figure script."""

import importlib.util
import re
from pathlib import Path

import matplotlib.image

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "derivatives.md"
SCRIPT = ROOT / "docs" / "figure_scripts" / "derivatives.py"


def test_figure_script_writes_the_image_the_page_links(tmp_path):
    """make(out_dir) writes the one figures/<name>.png the page shows, as a real image."""
    spec = importlib.util.spec_from_file_location("derivatives_figures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    linked = set(re.findall(r"\]\(figures/([\w.-]+\.png)\)", PAGE.read_text()))
    assert linked == {"derivative_tangent.png"}
    written = module.make(tmp_path)
    assert {path.name for path in written} == linked
    image = matplotlib.image.imread(tmp_path / "derivative_tangent.png")
    assert image.shape[0] >= 300 and image.shape[1] >= 500 and image.std() > 0.05
    assert (ROOT / "docs" / "figures" / "derivative_tangent.png").is_file()
