"""How a `FitResult` reads: a summary line, the fitted values, and in a notebook the loss curve.

The text (``repr``) is the summary and one line per parameter; the HTML a
notebook shows (``_repr_html_``) is the same table under a small picture of
the loss per epoch, drawn as inline SVG (no matplotlib needed).

>>> from exprdiff import FitResult, Parameter
>>> w = Parameter("w")
>>> print(fit_text(FitResult({w: 1.5}, losses=[4.0, 1.0], final_loss=0.25,
...                          stop_reason="epochs")))
FitResult(2 epochs, stop_reason='epochs', mean loss 4 -> 0.25)
  w  1.5
"""

from __future__ import annotations

import html
import math
from typing import Any

from exprdiff.core.tables import html_table, text_rows

__all__ = ["fit_html", "fit_text", "loss_sparkline"]

_WIDTH, _HEIGHT = 240, 48


def _summary(result: Any) -> str:
    first = f"{result.losses[0]:.6g} -> " if result.losses else ""
    return (f"{result.epochs} epochs, stop_reason={result.stop_reason!r}, "
            f"mean loss {first}{result.final_loss:.6g}")


def _rows(result: Any) -> list[tuple[str, Any]]:
    return [(getattr(node, "label", None) or str(node), value) for node, value in result.items()]


def fit_text(result: Any) -> str:
    """The ``repr`` of a fit: the summary line, then ``name  value`` per parameter."""
    return "\n".join([f"FitResult({_summary(result)})", *text_rows(_rows(result))])


def fit_html(result: Any) -> str:
    """The notebook view of a fit: the fitted values under the loss curve."""
    return html_table(
        f"FitResult: {_summary(result)}".replace("->", "→"),
        ["parameter", "fitted value"], _rows(result), footer=_curve(result.losses),
    )


def _curve(losses: list[float]) -> str:
    svg = loss_sparkline(losses)
    return f'<div style="font-size:smaller">mean loss per epoch</div>{svg}' if svg else ""


def loss_sparkline(losses: list[float]) -> str:
    """A small inline SVG of the loss per epoch (log scale when it spans decades), or "".

    >>> loss_sparkline([1.0, 0.5, 0.25]).startswith("<svg")
    True
    >>> loss_sparkline([])
    ''
    """
    finite = [loss for loss in losses if math.isfinite(loss)]
    if len(finite) < 2:
        return ""
    logarithmic = min(finite) > 0 and max(finite) / min(finite) > 100
    ys = [math.log10(loss) if logarithmic else loss for loss in finite]
    step = max(1, math.ceil(len(ys) / _WIDTH))  # at most one point per pixel
    ys = ys[::step] + ([ys[-1]] if (len(ys) - 1) % step else [])
    low, high = min(ys), max(ys)
    span = (high - low) or 1.0
    points = " ".join(
        f"{i * _WIDTH / (len(ys) - 1):.1f},{2 + (high - y) * (_HEIGHT - 4) / span:.1f}"
        for i, y in enumerate(ys)
    )
    scale = "log scale" if logarithmic else "linear scale"
    title = html.escape(f"mean loss per epoch ({scale}): {finite[0]:.4g} to {finite[-1]:.4g}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'role="img"><title>{title}</title>'
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{points}"/></svg>'
    )
