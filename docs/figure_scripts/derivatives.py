"""The figure of docs/derivatives.md: the parabola, a secant and the exact tangent at x = 3.

Run: python docs/figure_scripts/derivatives.py   (writes into docs/figures/)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from exprdiff import Input, diff


def make(out_dir: str | Path) -> list[Path]:
    """Write the page's PNG file into ``out_dir``; return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    x = Input("x")
    f = 3 * x**2 - 4 * x + 5
    slope = diff(f, x)
    xs = np.linspace(-1.5, 4.0, 200)
    at, h = 3.0, 0.8
    y0, y1 = f({}, {x: at}), f({}, {x: at + h})

    fig = Figure(figsize=(6.5, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.plot(xs, f({}, {x: xs}), color="black", label="$f(x) = 3x^2 - 4x + 5$")
    secant = (y1 - y0) / h
    ax.plot(xs, y0 + secant * (xs - at), "--", color="tab:orange",
            label=f"secant over $h = {h}$: slope {secant:.1f}")
    ax.plot(xs, y0 + slope({}, {x: at}) * (xs - at), color="tab:blue",
            label=f"tangent: slope diff(f, x) = {slope} = {slope({}, {x: at}):g}")
    ax.plot([at, at + h], [y0, y1], "o", color="tab:orange")
    ax.plot([at], [y0], "o", color="tab:blue")
    ax.set_ylim(-5, 45)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$f(x)$")
    ax.set_title("The slope at $x = 3$: a secant approaches the tangent as $h$ shrinks")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    path = out / "derivative_tangent.png"
    fig.savefig(path, dpi=100)
    return [path]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "figures"
    for path in make(target):
        print(path)
