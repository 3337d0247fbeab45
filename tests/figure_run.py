"""Making every figure the guide and the demos save, once per test session, checking each.

`every_figure()` runs docs/make_figures.py and the three demos (short fits)
into a temporary folder with `Figure.savefig` and the GIF writer's
`grab_frame` watched: for each figure saved it records where the picture is
written and whether everything drawn (``fig.get_tightbbox()``) lies inside
the figure (``fig.bbox``), i.e. no label, title or colour bar is clipped.
"""

from __future__ import annotations

import functools
import importlib.util
import tempfile
from pathlib import Path
from unittest import mock

from docs_scripts import load_docs_script
from matplotlib.animation import PillowWriter
from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1.0  # pixel


def overhang(fig: Figure) -> float:
    """How far (in pixels) the drawn content reaches outside the figure; 0 when inside."""
    tight = fig.get_tightbbox().transformed(fig.dpi_scale_trans)
    box = fig.bbox
    return max(0.0, box.x0 - tight.x0, box.y0 - tight.y0, tight.x1 - box.x1, tight.y1 - box.y1)


def _load_demo(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "demos" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def every_figure() -> tuple[list[Path], list[tuple[str, float]]]:
    """``(written, checked)``: the files make_figures.py wrote, and for every figure saved
    (each GIF frame too) its file name and `overhang`."""
    folder = Path(tempfile.mkdtemp(prefix="exprdiff-figures-"))
    checked: list[tuple[str, float]] = []
    save, grab = Figure.savefig, PillowWriter.grab_frame

    def watched_save(fig, fname, *args, **kwargs):
        result = save(fig, fname, *args, **kwargs)
        checked.append((Path(str(fname)).name, overhang(fig)))
        return result

    def watched_grab(writer, **kwargs):
        result = grab(writer, **kwargs)
        checked.append((Path(writer.outfile).name, overhang(writer.fig)))
        return result

    with mock.patch.object(Figure, "savefig", watched_save), \
            mock.patch.object(PillowWriter, "grab_frame", watched_grab):
        written = load_docs_script("make_figures.py").make_all(folder / "guide")
        demos = folder / "demos"
        _load_demo("logic_gates").main(["--epochs", "20", "--out", str(demos)])
        _load_demo("moons").main(["--steps", "5", "--out", str(demos)])
        _load_demo("digits").main(["--epochs", "3", "--out", str(demos)])
    return written, checked
