"""Animated GIFs for a lecture: a backward pass filling in, and a decision heatmap learning.

`animate_backprop` draws the computation graph after every step of
`exprdiff.show.backprop.backprop_steps` (Graphviz), with the step explained
underneath (`exprdiff.show.graph_frames.backprop_frames` writes the same
pictures as one file per step, for slides that do not play GIFs);
`animate_fit` runs `exprdiff.optimize` and draws a two-input model's decision
heatmap beside its loss curve at evenly spaced epochs.
Both write the frames with matplotlib's animation writer for Pillow (both
already installed with matplotlib), so the GIF loops in any slide program or
browser.  The graph's layout is computed once and kept for every frame
(`exprdiff.show.graph_frames`): the boxes do not move as their numbers fill
in.

This module imports matplotlib; ``import exprdiff`` does not load it.

>>> import tempfile, pathlib
>>> from PIL import Image
>>> from exprdiff import Parameter
>>> w = Parameter("w")
>>> with tempfile.TemporaryDirectory() as folder:  # doctest: +SKIP
...     gif = animate_backprop((w - 1) ** 2, {w: 3.0}, None, pathlib.Path(folder) / "w.gif")
...     with Image.open(gif) as image:
...         print(image.n_frames)
3
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.animation import PillowWriter
from matplotlib.figure import Figure

from exprdiff.core.nodes import Input, Node
from exprdiff.core.printing import to_str
from exprdiff.fit.training import FitResult, optimize
from exprdiff.show.backprop import BackpropStep
from exprdiff.show.dot import node_title, run_graphviz, summarise
from exprdiff.show.graph_frames import pinned_backprop_sources

__all__ = ["animate_backprop", "animate_fit"]

_CAPTION_PIXELS = 44  # the band under a graph frame that explains the step


def animate_backprop(
    expr: Node,
    params: Mapping | None,
    inputs: Mapping | None,
    path: str | os.PathLike,
    *,
    labels: Mapping[Node, str] | None = None,
    fps: float = 1.0,
    hold: int = 2,
    dpi: int = 96,
    digits: int = 4,
    rankdir: str = "LR",
) -> Path:
    """Write the backward pass of ``expr`` as an animated GIF, one frame per step.

    Frame 0 shows every value and only the root's gradient, 1; each later
    frame is one operation passing its gradient to its operands (framed in
    orange), until every gradient is known; a caption under the graph says
    what the step did.  ``labels`` names nodes as in `exprdiff.show.dot.to_dot`
    (and in the captions).  Frames last ``1/fps`` seconds and the finished
    picture ``hold`` frames longer (Pillow merges the repeated frames, so the
    file has one frame per step).  Needs the Graphviz programs ``dot`` and
    ``neato`` (`RuntimeError` says how to install them).  Returns the path.

    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> from exprdiff import Parameter
    >>> a, b = Parameter("a"), Parameter("b")
    >>> with tempfile.TemporaryDirectory() as folder:  # doctest: +SKIP
    ...     gif = pathlib.Path(folder) / "ab.gif"
    ...     with Image.open(animate_backprop(a * b + a, {a: 2.0, b: -3.0}, None, gif)) as image:
    ...         print(image.n_frames)  # the seed, then + and *
    3
    """
    _check_frames_arguments(fps, hold)
    labels = dict(labels or {})
    steps, sources = pinned_backprop_sources(expr, params, inputs, labels, digits, rankdir)
    pictures = [_read_png(run_graphviz(source, "png", "neato", "-n2", f"-Gdpi={dpi}"))
                for source in sources]
    captions = [_caption(step, labels, digits) for step in steps]
    return _write_graph_frames(pictures, captions, Path(path), fps, hold)


def animate_fit(
    loss: Node,
    initial_params: Mapping,
    training_data: object,
    path: str | os.PathLike,
    *,
    model: Node,
    x1: Input,
    x2: Input,
    frames: int = 25,
    fps: float = 5.0,
    hold: int = 5,
    gate: str | None = None,
    inputs: Mapping | None = None,
    xlim: tuple[float, float] = (0.0, 1.0),
    ylim: tuple[float, float] = (0.0, 1.0),
    resolution: int = 101,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
    dpi: int = 80,
    **optimize_options: Any,
) -> FitResult:
    """Fit like `exprdiff.optimize` and write the model's heatmap over the fit as a GIF.

    ``loss``, ``initial_params``, ``training_data`` and the
    ``optimize_options`` (``epochs``, ``learning_rate``, ``optimizer``, ...)
    are `optimize`'s.  ``model`` is the two-input model drawn, over ``x1`` and
    ``x2`` (``inputs`` supplies any other Input it reads), as
    `exprdiff.plot.decision_heatmap` draws it (``gate`` marks a truth
    table's targets); beside it the loss curve grows.  ``frames`` pictures
    are taken at evenly spaced epochs, the first before training, the last
    after the last epoch; the colour scale is fixed over all of them (by
    default the range of the model's values, [0, 1] for a model that stays
    inside it).  Returns the `FitResult`, as `optimize` does.

    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> from exprdiff import Input, Parameter, Sigmoid
    >>> from exprdiff.gates import gate_data, gate_loss
    >>> x1, x2, label = Input("x1"), Input("x2"), Input("label")
    >>> w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    >>> model = Sigmoid(w1 * x1 + w2 * x2 + b)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     gif = pathlib.Path(folder) / "and.gif"
    ...     fitted = animate_fit(gate_loss(model, label), {w1: 1.0, w2: 1.0, b: 0.0},
    ...                          gate_data("and", x1, x2, label), gif, model=model, x1=x1,
    ...                          x2=x2, gate="and", frames=3, epochs=500, resolution=11)
    ...     with Image.open(gif) as image:
    ...         frames = image.n_frames
    >>> frames, fitted.epochs
    (3, 500)
    """
    _check_frames_arguments(fps, hold)
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 2:
        raise ValueError(f"frames must be a whole number of at least 2, got {frames!r}")
    epochs = optimize_options.get("epochs", 2000)
    wanted = set(np.unique(np.linspace(0, epochs, frames).round().astype(int)).tolist())
    snapshots: dict[int, dict] = {0: dict(initial_params)}
    user_callback: Callable | None = optimize_options.pop("callback", None)

    def record(epoch: int, params: dict, value: float) -> Any:
        if epoch in wanted:
            snapshots[epoch] = params
        return user_callback(epoch, params, value) if user_callback is not None else None

    fitted = optimize(loss, initial_params, training_data, callback=record, **optimize_options)
    snapshots[fitted.epochs] = dict(fitted)  # an early stop ends the animation there too
    chosen = sorted(snapshots)
    if len(chosen) > frames:  # an early stop adds its own last frame: keep the count
        chosen = chosen[: frames - 1] + chosen[-1:]
    _write_fit_frames(model, x1, x2, inputs, fitted, [(e, snapshots[e]) for e in chosen],
                      Path(path), fps, hold, dict(gate=gate, xlim=xlim, ylim=ylim,
                                                  resolution=resolution, cmap=cmap),
                      vmin, vmax, dpi)
    return fitted


# -- the graph's frames ------------------------------------------------------------------
def _read_png(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def _name(node: Node, labels: Mapping) -> str:
    return labels.get(node) or to_str(node, limit=30)


def _defined(node: Node, labels: Mapping) -> str:
    """``d*f`` for ``L = d*f``: the operation over its operands' names."""
    names = [_name(child, labels) for child in node.children]
    if node.symbol and len(names) == 2:
        return f"{names[0]} {node.symbol} {names[1]}"
    return f"{node_title(node)}({', '.join(names)})"


def _caption(step: BackpropStep, labels: Mapping, digits: int) -> str:
    """What a frame's step did, in words."""
    name = _name(step.node, labels)
    if step.number == 0:
        return f"start: the gradient of {name} with respect to itself is 1"
    defined = f" = {_defined(step.node, labels)}" if step.node in labels else ""
    if not step.passed:
        return f"step {step.number}: {name}{defined} passes nothing on (its operands are constants)"
    passed = ", ".join(f"{summarise(g, digits)} to {_name(n, labels)}"
                       for n, g in step.passed.items())
    return f"step {step.number}: {name}{defined} passes {passed}"


def _write_graph_frames(pictures: list, captions: list, path: Path, fps: float,
                        hold: int) -> Path:
    """Pad the pictures to one size and write them, captioned, with the animation writer."""
    height = max(p.shape[0] for p in pictures)
    width = max(max(p.shape[1] for p in pictures), 480)
    dpi = 100
    fig = Figure(figsize=(width / dpi, (height + _CAPTION_PIXELS) / dpi), dpi=dpi,
                 facecolor="white")
    ax = fig.add_axes((0.0, _CAPTION_PIXELS / (height + _CAPTION_PIXELS), 1.0,
                       height / (height + _CAPTION_PIXELS)))
    ax.set_axis_off()
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    image = ax.imshow(canvas, interpolation="none", aspect="auto")
    text = fig.text(0.5, _CAPTION_PIXELS / 2 / (height + _CAPTION_PIXELS), "", ha="center",
                    va="center", fontsize=12)
    writer = PillowWriter(fps=fps)
    path.parent.mkdir(parents=True, exist_ok=True)
    with writer.saving(fig, str(path), dpi):
        for k, (picture, caption) in enumerate(zip(pictures, captions, strict=True)):
            frame = canvas.copy()
            top, left = (height - picture.shape[0]) // 2, (width - picture.shape[1]) // 2
            frame[top: top + picture.shape[0], left: left + picture.shape[1]] = picture
            image.set_data(frame)
            text.set_text(caption.replace("$", r"\$"))  # plain text, not mathtext
            for _ in range(1 + (hold if k == len(pictures) - 1 else 0)):
                writer.grab_frame()
    return path


# -- the fit's frames ----------------------------------------------------------------------
def _write_fit_frames(model, x1, x2, inputs, fitted, snapshots, path, fps, hold, style,
                      vmin, vmax, dpi) -> None:
    from exprdiff.plot import decision_heatmap, grid, loss_curve

    if vmin is None or vmax is None:
        u, v = grid(style["xlim"], style["ylim"], 21)
        seen = [np.asarray(model(params, {**(inputs or {}), x1: u, x2: v}))
                for _, params in snapshots]
        low, high = float(min(np.min(s) for s in seen)), float(max(np.max(s) for s in seen))
        if 0.0 <= low and high <= 1.0:
            low, high = 0.0, 1.0
        vmin = low if vmin is None else vmin
        vmax = high if vmax is None else vmax
    losses = fitted.losses or [fitted.final_loss]
    fig = Figure(figsize=(9.6, 4.0), dpi=dpi, layout="constrained", facecolor="white")
    heat, curve = fig.subplots(1, 2, width_ratios=[1.0, 1.15])
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = PillowWriter(fps=fps)
    with writer.saving(fig, str(path), dpi):
        for k, (epoch, params) in enumerate(snapshots):
            heat.clear()
            decision_heatmap(model, x1, x2, params, inputs=inputs, ax=heat, vmin=vmin,
                             vmax=vmax, colorbar=k == 0, **style,
                             title=f"epoch {epoch}: loss {_loss_at(fitted, losses, epoch):.4g}")
            curve.clear()
            loss_curve(losses, ax=curve, title="training loss", color="0.75")
            if epoch:
                loss_curve(losses[:epoch], ax=curve, title="training loss", color="tab:blue")
                curve.plot([epoch], [losses[epoch - 1]], "o", color="tab:blue")
            for _ in range(1 + (hold if k == len(snapshots) - 1 else 0)):
                writer.grab_frame()


def _loss_at(fitted: FitResult, losses: list, epoch: int) -> float:
    """The loss at the start of ``epoch + 1`` (the parameters after ``epoch`` epochs)."""
    return losses[epoch] if epoch < len(losses) else fitted.final_loss


def _check_frames_arguments(fps: float, hold: int) -> None:
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
        raise ValueError(f"fps must be a positive number of frames per second, got {fps!r}")
    if isinstance(hold, bool) or not isinstance(hold, int) or hold < 0:
        raise ValueError(f"hold must be a whole number of extra frames >= 0, got {hold!r}")
