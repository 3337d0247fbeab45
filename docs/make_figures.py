"""Make every picture the guide shows, from the same code the guide shows.

Run: python docs/make_figures.py [OUT_DIR]     (default: docs/figures)

Each module in docs/figure_scripts/ has a ``make(out_dir)`` that writes the
figures of one guide page and returns their paths.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = sorted(path for path in (HERE / "figure_scripts").glob("*.py") if path.stem != "__init__")


def make_all(out_dir: Path) -> list[Path]:
    """Run every figure script into ``out_dir``; return the files written."""
    import matplotlib

    matplotlib.use("Agg")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for script in SCRIPTS:
        spec = importlib.util.spec_from_file_location(f"figure_scripts.{script.stem}", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        written += [Path(path) for path in module.make(out_dir)]
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "figures"
    for path in make_all(target):
        print(path)
