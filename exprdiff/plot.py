"""Pictures of two-input models and of fits, with matplotlib.

This is the only module that imports matplotlib, so ``import exprdiff``
stays fast.  Each function that draws into one Axes takes an optional
``ax`` (default: pyplot's current Axes) and returns it, the matplotlib
convention; `target_before_after` builds a whole Figure, a `figure` that
Jupyter shows inline without ``%matplotlib inline``.

>>> from exprdiff import Input
>>> from exprdiff.gates import perceptron
>>> x1, x2 = Input("x1"), Input("x2")
>>> model, params = perceptron(x1, x2)
>>> fig = target_before_after("and", model, x1, x2, params, params)
>>> [ax.get_title() for ax in fig.axes[:3]]
['AND target', 'before training', 'after training']
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from exprdiff.core.nodes import Input, Node
from exprdiff.show.latex import latex_name
from exprdiff.truth_tables import CORNERS, targets

__all__ = [
    "InlineFigure", "accuracy_curve", "decision_boundary", "decision_heatmap", "figure", "grid",
    "loss_curve", "math_label", "sample_grid", "target_before_after", "target_heatmap",
]

Range = tuple[float, float]


def math_label(name: str, column: int | None = None) -> str:
    """An axis label in mathematical notation: ``x1`` is ``$x_1$``; a column of ``x`` is ``$x_1$``.

    ``column`` (1-based) labels one column of an Input holding points as rows.

    >>> math_label("x1"), math_label("x", 2), math_label("alpha"), math_label("label")
    ('$x_{1}$', '$x_{2}$', '$\\\\alpha$', '$\\\\mathrm{label}$')
    """
    base = latex_name(name)
    if column is None:
        return f"${base}$"
    if base.endswith("}") and "_{" in base:  # x_out: x_{out,1}
        return f"${base[:-1]},{column}}}$"
    return f"${base}_{{{column}}}$"


def grid(
    xlim: Range = (0.0, 1.0), ylim: Range = (0.0, 1.0), resolution: int | tuple = 101
) -> tuple[np.ndarray, np.ndarray]:
    """The sample points of a heatmap: ``(u, v)`` 2-D arrays, rows along the y axis.

    ``resolution`` is the number of points per axis, or ``(nx, ny)``.

    >>> u, v = grid(resolution=3)
    >>> u[0], v[:, 0]
    (array([0. , 0.5, 1. ]), array([0. , 0.5, 1. ]))
    """
    nx, ny = (resolution, resolution) if np.ndim(resolution) == 0 else resolution
    for name, count in (("resolution", nx), ("resolution", ny)):
        if int(count) != count or count < 2:
            raise ValueError(f"{name} must be at least 2 points per axis, got {resolution!r}")
    for name, (low, high) in (("xlim", xlim), ("ylim", ylim)):
        if not low < high:
            raise ValueError(f"{name} must be (low, high) with low < high, got {(low, high)!r}")
    u, v = np.meshgrid(np.linspace(*xlim, int(nx)), np.linspace(*ylim, int(ny)))
    return u, v


def decision_heatmap(
    model: Node,
    x1: Input,
    x2: Input,
    params: Mapping,
    *,
    inputs: Mapping | None = None,
    gate: str | None = None,
    ax: Axes | None = None,
    xlim: Range = (0.0, 1.0),
    ylim: Range = (0.0, 1.0),
    resolution: int | tuple = 101,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
    colorbar: bool = True,
    title: str | None = None,
    **kwargs: Any,
) -> Axes:
    """Colour the plane by the model's value over a grid of ``(x1, x2)``, corners marked.

    The model is evaluated once on the whole grid (``inputs`` supplies any
    other Inputs it reads).  The image's pixel ``[i, j]`` is the value at
    ``(u[i, j], v[i, j])`` of `grid` (``origin="lower"``), so
    ``ax.images[0].get_array()`` gives the numbers back.  The four truth-table
    corners are circled and labelled with the model's value there; with
    ``gate``, each circle is filled with the gate's target colour, so a
    corner the model gets wrong stands out.  The image is interpolated
    smoothly between grid points; other ``kwargs`` style it as for
    matplotlib's ``imshow`` (``alpha``, ``interpolation``, ...).  The axes
    are labelled in mathematical notation (``x1`` is ``$x_1$``).

    >>> from exprdiff import Input
    >>> from exprdiff.gates import perceptron
    >>> x1, x2 = Input("x1"), Input("x2")
    >>> model, params = perceptron(x1, x2)
    >>> from matplotlib.figure import Figure
    >>> ax = decision_heatmap(model, x1, x2, params, ax=Figure().subplots(), resolution=5)
    >>> ax.images[0].get_array().shape, round(float(ax.images[0].get_array()[0, 0]), 3)
    ((5, 5), 0.5)
    """
    u, v = grid(xlim, ylim, resolution)
    values = model(params, {**(inputs or {}), x1: u, x2: v})
    values = np.broadcast_to(values, u.shape)
    ax = _axes(ax)
    _draw(ax, values, xlim, ylim, vmin, vmax, cmap, colorbar, title,
          **{"interpolation": "bilinear", **kwargs})
    at_corners = model(params, {**(inputs or {}), x1: np.array([0.0, 0, 1, 1]),
                                x2: np.array([0.0, 1, 0, 1])})
    _mark_corners(ax, np.broadcast_to(at_corners, (4,)), gate, vmin, vmax, cmap, values,
                  xlim, ylim)
    ax.set_xlabel(math_label(x1.label))
    ax.set_ylabel(math_label(x2.label))
    return ax


def target_heatmap(
    gate: str,
    *,
    ax: Axes | None = None,
    xlim: Range = (0.0, 1.0),
    ylim: Range = (0.0, 1.0),
    resolution: int | tuple = 101,
    cmap: str = "viridis",
    colorbar: bool = True,
    title: str | None = None,
    **kwargs: Any,
) -> Axes:
    """The gate's truth table spread over the plane: each point takes its nearest corner's output.

    (Coordinates are clipped to [0, 1] and rounded, so 0.5 goes to 0.)
    ``kwargs`` style the image as for matplotlib's ``imshow``.

    >>> from matplotlib.figure import Figure
    >>> ax = target_heatmap("xor", ax=Figure().subplots(), resolution=4)
    >>> ax.images[0].get_array().astype(int).tolist()
    [[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 0, 0], [1, 1, 0, 0]]
    """
    table = np.array(targets(gate), dtype=np.float64).reshape(2, 2)  # [x1, x2]
    u, v = grid(xlim, ylim, resolution)
    values = table[np.rint(np.clip(u, 0, 1)).astype(int), np.rint(np.clip(v, 0, 1)).astype(int)]
    ax = _axes(ax)
    _draw(ax, values, xlim, ylim, 0.0, 1.0, cmap, colorbar, title or f"{gate.upper()} target",
          **kwargs)
    _mark_corners(ax, np.array(targets(gate), dtype=np.float64), gate, 0.0, 1.0, cmap, values,
                  xlim, ylim)
    ax.set_xlabel(math_label("x1"))
    ax.set_ylabel(math_label("x2"))
    return ax


def target_before_after(
    gate: str,
    model: Node,
    x1: Input,
    x2: Input,
    before: Mapping,
    after: Mapping,
    *,
    inputs: Mapping | None = None,
    resolution: int | tuple = 101,
    cmap: str = "viridis",
    fig: Figure | None = None,
) -> Figure:
    """Three heatmaps side by side: the gate's target, the model before and after training.

    All three share the colour scale [0, 1] and one colour bar.  Without
    ``fig`` it returns a new `figure` (save it with ``fig.savefig(path)``;
    Jupyter shows it when it is a cell's value).

    >>> from exprdiff import Input
    >>> from exprdiff.gates import perceptron
    >>> x1, x2 = Input("x1"), Input("x2")
    >>> model, params = perceptron(x1, x2)
    >>> fig = target_before_after("or", model, x1, x2, params, params, resolution=11)
    >>> len(fig.axes)  # three panels and the colour bar
    4
    """
    if fig is None:
        fig = figure(figsize=(13.0, 3.9), layout="constrained")
    axes = fig.subplots(1, 3)
    target_heatmap(gate, ax=axes[0], resolution=resolution, cmap=cmap, colorbar=False)
    for ax, params, title in ((axes[1], before, "before training"),
                              (axes[2], after, "after training")):
        decision_heatmap(model, x1, x2, params, inputs=inputs, gate=gate, ax=ax,
                         resolution=resolution, vmin=0.0, vmax=1.0, cmap=cmap,
                         colorbar=False, title=title)
    fig.colorbar(axes[2].images[0], ax=list(axes), label="output", fraction=0.03, pad=0.01)
    return fig


def loss_curve(
    losses: Sequence[float],
    *,
    ax: Axes | None = None,
    label: str | None = None,
    log_scale: bool | None = None,
    title: str | None = "training loss",
    ylabel: str = "mean loss",
    **kwargs: Any,
) -> Axes:
    """The mean training loss per epoch (a `FitResult` or any sequence of numbers).

    The y axis is logarithmic when every loss is positive, unless
    ``log_scale`` says otherwise.  Call it again on the same ``ax`` with a
    ``label`` to compare fits.  ``kwargs`` style the line as for matplotlib's
    ``plot`` (``color``, ``linewidth``, ``linestyle``, ...); ``ylabel`` names
    the loss (``"summed loss"`` for ``reduction="sum"``).

    >>> from matplotlib.figure import Figure
    >>> ax = loss_curve([0.9, 0.5, 0.2], ax=Figure().subplots())
    >>> ax.lines[0].get_xydata().tolist()
    [[1.0, 0.9], [2.0, 0.5], [3.0, 0.2]]
    """
    values = np.asarray(getattr(losses, "losses", losses), dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"losses must be a non-empty sequence of numbers, got {values.shape=}")
    ax = _axes(ax)
    ax.plot(np.arange(1, values.size + 1), values, label=label, **kwargs)
    if log_scale if log_scale is not None else bool(np.all(values > 0)):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if label is not None:
        ax.legend()
    return ax


def accuracy_curve(
    accuracies: Sequence[float],
    *,
    epochs: Sequence[int] | None = None,
    ax: Axes | None = None,
    label: str | None = None,
    title: str | None = "accuracy",
    **kwargs: Any,
) -> Axes:
    """Accuracy (a fraction of 1) over training, on a percent axis from 0 to 100 %.

    ``epochs`` gives the epoch of each accuracy (default 1, 2, ...); call it
    again on the same ``ax`` with a ``label`` to put training and held-out
    accuracy side by side.  ``kwargs`` style the line as for ``plot``.

    >>> from matplotlib.figure import Figure
    >>> ax = accuracy_curve([0.5, 0.75, 0.9], ax=Figure().subplots(), label="held out")
    >>> ax.lines[0].get_xydata().tolist(), [float(y) for y in ax.get_ylim()]
    ([[1.0, 0.5], [2.0, 0.75], [3.0, 0.9]], [0.0, 1.02])
    """
    from matplotlib.ticker import PercentFormatter

    values = np.asarray(accuracies, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"accuracies must be a non-empty sequence of numbers, got {values.shape=}")
    xs = np.arange(1, values.size + 1) if epochs is None else np.asarray(epochs)
    if xs.shape != values.shape:
        raise ValueError(f"epochs has {xs.size} entries for {values.size} accuracies")
    ax = _axes(ax)
    ax.plot(xs, values, label=label, **kwargs)
    ax.set_ylim(0.0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    if title:
        ax.set_title(title)
    if label is not None:
        ax.legend(loc="lower right")
    return ax


def sample_grid(
    images: np.ndarray,
    predicted: Sequence[int],
    truth: Sequence[int] | None = None,
    *,
    count: int | None = None,
    image_shape: tuple[int, int] | None = None,
    columns: int = 8,
    fig: Figure | None = None,
    cmap: str = "gray_r",
    title: str | None = None,
) -> Figure:
    """A grid of sample images, each titled with its predicted class (red when wrong).

    ``images`` holds one image per row, flat (reshaped to ``image_shape``,
    by default the nearest square) or already 2-D; ``truth`` (optional)
    marks the mistakes, titled ``"3 (is 8)"`` in red.  With ``count``, only
    that many are shown: the mistakes first (up to half of them), then the
    first right ones, in their original order, so a grid of a good model
    still shows what it gets wrong.  Returns the Figure (a new one,
    constrained layout, unless ``fig`` is given).

    >>> import numpy as np
    >>> fig = sample_grid(np.zeros((6, 64)), [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 0], columns=3)
    >>> [ax.get_title() for ax in fig.axes]
    ['1', '2', '3', '4', '5', '6 (is 0)']
    >>> fig = sample_grid(np.zeros((6, 64)), [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 0], count=2)
    >>> [ax.get_title() for ax in fig.axes]
    ['1', '6 (is 0)']
    """
    images = np.asarray(images, dtype=np.float64)
    if len(images) == 0 or len(predicted) != len(images) or (
            truth is not None and len(truth) != len(images)):
        raise ValueError(
            f"sample_grid needs as many predictions (and true classes) as images, got "
            f"{len(images)} images and {len(predicted)} predictions"
        )
    predicted = np.asarray(predicted)
    truth = None if truth is None else np.asarray(truth)
    if count is not None and count < len(images):
        wrong = np.flatnonzero(predicted != truth)[: count // 2] if truth is not None else []
        right = [k for k in range(len(images)) if k not in set(wrong)][: count - len(wrong)]
        chosen = np.sort(np.concatenate([wrong, right]).astype(int))
        images, predicted = images[chosen], predicted[chosen]
        truth = None if truth is None else truth[chosen]
    count = len(images)
    if image_shape is None:
        side = int(round(np.sqrt(images[0].size)))
        image_shape = images.shape[1:] if images.ndim == 3 else (side, images[0].size // side)
    rows = -(-count // columns)
    if fig is None:
        fig = Figure(figsize=(1.1 * min(columns, count), 1.25 * rows + (0.4 if title else 0)),
                     layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, min(columns, count), squeeze=False).ravel())
    for k, ax in enumerate(axes):
        ax.set_axis_off()
        if k >= count:
            continue
        ax.imshow(images[k].reshape(image_shape), cmap=cmap, interpolation="nearest")
        wrong = truth is not None and predicted[k] != truth[k]
        text = f"{predicted[k]} (is {truth[k]})" if wrong else f"{predicted[k]}"
        ax.set_title(text, color="tab:red" if wrong else "black", fontsize=10)
    if title:
        fig.suptitle(title)
    return fig


def decision_boundary(
    model: Node,
    features: Input | Sequence[Input],
    params: Mapping,
    X: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    *,
    threshold: float = 0.0,
    inputs: Mapping | None = None,
    ax: Axes | None = None,
    xlim: Range | None = None,
    ylim: Range | None = None,
    resolution: int | tuple = 200,
    cmap: str | None = None,
    title: str | None = None,
    scatter: Mapping | None = None,
    **kwargs: Any,
) -> Axes:
    """Colour the plane by the class a two-input classifier predicts, with the data on top.

    ``features`` is one `Input` that takes points as rows of an (n, 2) array
    (a dense model) or a pair ``(x1, x2)`` of Inputs that take the two
    coordinates (a scalar-style model); ``inputs`` supplies any other Inputs
    the model reads.  A model giving one score per point
    predicts class 1 where the score exceeds ``threshold`` (0 suits a hinge
    loss or logits; use 0.5 for probabilities) and class 0 elsewhere, and the
    boundary itself is drawn as a black line; a model giving a row of k class
    scores per point predicts their argmax.  The image's pixel ``[i, j]`` is
    the class at ``(u[i, j], v[i, j])`` of `grid`, so
    ``ax.images[0].get_array()`` gives the predictions back.  ``X`` and
    ``labels`` (optional) are scattered in the colours of their classes; the
    view defaults to their extent plus a margin.  The colours come from
    ``cmap``, by default "coolwarm" for two classes and "tab10" for up to ten.
    The regions are blended between grid points and every boundary between
    two classes is drawn as a line, so boundaries look smooth at the default
    resolution.  ``kwargs`` style the regions as for matplotlib's ``imshow``
    (``alpha``, ...) and ``scatter`` the data points as for ``scatter``
    (``{"s": 40, "marker": "x"}``).  The axes are labelled ``$x_1$`` and
    ``$x_2$`` (a dense model's two columns) or by the pair's names.

    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from exprdiff import Input, Parameter
    >>> x, w = Input("x"), Parameter("w")
    >>> ax = decision_boundary(x @ w, x, {w: np.array([1.0, -1.0])}, ax=Figure().subplots(),
    ...                        xlim=(-1, 1), ylim=(-1, 1), resolution=3)
    >>> ax.images[0].get_array().astype(int).tolist()  # class 1 below the diagonal
    [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    """
    single = isinstance(features, Node)
    if not single and len(features) != 2:
        raise ValueError(
            f"features must be one Input taking (n, 2) points or a pair (x1, x2), got {features!r}"
        )
    if X is not None:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(f"X must hold points as rows of shape (n, 2), got shape {X.shape}")
    xlim = xlim or _padded(X, 0)
    ylim = ylim or _padded(X, 1)
    u, v = grid(xlim, ylim, resolution)
    points = np.column_stack([u.ravel(), v.ravel()])
    feed = {features: points} if single else {features[0]: points[:, 0],
                                               features[1]: points[:, 1]}
    scores = np.asarray(model(params, {**(inputs or {}), **feed}), dtype=np.float64)
    if scores.shape not in ((len(points),), (len(points), 1)) and (
        scores.ndim != 2 or scores.shape[0] != len(points)
    ):
        raise ValueError(
            f"the model gave shape {scores.shape} for {len(points)} points; a classifier "
            "gives one score per point, shape (n,), or one row of class scores, shape (n, k)"
        )
    if scores.ndim == 2 and scores.shape[1] > 1:
        classes = np.argmax(scores, axis=1).reshape(u.shape)
        count = scores.shape[1]
    else:
        scores = scores.reshape(u.shape)
        classes, count = (scores > threshold).astype(np.int64), 2
    if cmap is None:
        cmap = "coolwarm" if count == 2 else "tab10" if count <= 10 else "viridis"
    top = count - 1 if cmap != "tab10" else 9  # tab10: class k gets the k-th colour
    ax = _axes(ax)
    # regions coloured first, then blended (light, so the data points stand out)
    _draw(ax, classes, xlim, ylim, 0, top, cmap, False, title,
          **{"alpha": 0.35, "interpolation": "bilinear", "interpolation_stage": "rgba",
             **kwargs})
    _boundary_lines(ax, u, v, scores, threshold, count)
    if X is not None:
        points = {"c": labels if labels is not None else "white", "cmap": cmap, "vmin": 0,
                  "vmax": top, "edgecolors": "black", "linewidths": 0.8, "s": 25, "zorder": 3}
        ax.scatter(X[:, 0], X[:, 1], **{**points, **(scatter or {})})
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    if single:
        names = [math_label(features.label, 1), math_label(features.label, 2)]
    else:
        names = [math_label(features[0].label), math_label(features[1].label)]
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    return ax


class InlineFigure(Figure):
    """A matplotlib Figure that Jupyter shows as a picture, with or without ``%matplotlib inline``.

    A Figure made without pyplot shows in a notebook as the text
    ``<Figure size 1300x380 with 4 Axes>`` until the inline backend is
    switched on; this one carries its own PNG (``_repr_png_``, cropped to
    what is drawn, as the inline backend does).  Make one with `figure`.

    >>> fig = InlineFigure(figsize=(2, 1))
    >>> fig._repr_png_()[:4]
    b'\\x89PNG'
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def figure(**options: Any) -> InlineFigure:
    """A new matplotlib Figure that pyplot does not track and that Jupyter shows inline.

    ``options`` are those of `matplotlib.figure.Figure` (``figsize``,
    ``dpi``, ``layout``...).  Draw into ``fig.subplots()``, save it with
    ``fig.savefig(path)``, or leave it as a notebook cell's value to see it.

    >>> fig = figure(figsize=(6.5, 4.2))
    >>> ax = loss_curve([0.9, 0.5, 0.2], ax=fig.subplots())
    >>> type(fig).__name__, fig.get_size_inches().tolist()
    ('InlineFigure', [6.5, 4.2])
    """
    return InlineFigure(**options)


def _boundary_lines(ax: Axes, u, v, scores: np.ndarray, threshold: float, count: int) -> None:
    """The lines where the predicted class changes, from the scores (smooth, not pixels)."""
    if count == 2:
        if scores.min() < threshold < scores.max():
            ax.contour(u, v, scores, levels=[threshold], colors="black", linewidths=1.5)
        return
    flat = scores.reshape(u.shape + (count,))
    for k in range(count):
        others = np.delete(flat, k, axis=-1).max(axis=-1)
        margin = flat[..., k] - others  # > 0 where class k wins
        if margin.min() < 0 < margin.max():
            ax.contour(u, v, margin, levels=[0.0], colors="black", linewidths=1.0)


def _padded(X: np.ndarray | None, column: int) -> Range:
    """The data's extent along one axis plus 10% on each side ((0, 1) without data)."""
    if X is None or len(X) == 0:
        return (0.0, 1.0)
    low, high = float(X[:, column].min()), float(X[:, column].max())
    margin = 0.1 * (high - low) or 0.5
    return (low - margin, high + margin)


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when the caller leaves the Axes to pyplot

    return plt.gca()


def _draw(ax, values, xlim, ylim, vmin, vmax, cmap, colorbar, title, **kwargs: Any) -> None:
    ny, nx = values.shape
    # pixels are centred on the grid points, so the image reaches half a step past them
    dx = (xlim[1] - xlim[0]) / (nx - 1) / 2
    dy = (ylim[1] - ylim[0]) / (ny - 1) / 2
    style = {"vmin": vmin, "vmax": vmax, "cmap": cmap, "aspect": "auto",
             "interpolation": "nearest", **kwargs}
    image = ax.imshow(
        values, origin="lower", extent=(xlim[0] - dx, xlim[1] + dx, ylim[0] - dy, ylim[1] + dy),
        **style,
    )
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="output")
    if title:
        ax.set_title(title)


def _mark_corners(ax, at_corners, gate, vmin, vmax, cmap, values, xlim, ylim) -> None:
    """Circle the truth-table corners in view, filled with the target colour for a gate."""
    xs, ys = np.array(CORNERS, dtype=np.float64).T
    shown = (xs >= xlim[0]) & (xs <= xlim[1]) & (ys >= ylim[0]) & (ys <= ylim[1])
    style = dict(s=160, edgecolors="white", linewidths=2, zorder=3, clip_on=False)
    if gate is None:
        ax.scatter(xs[shown], ys[shown], facecolors="none", **style)
    else:
        low = float(np.min(values)) if vmin is None else vmin
        high = float(np.max(values)) if vmax is None else vmax
        face = np.array(targets(gate), dtype=np.float64)[shown]
        ax.scatter(xs[shown], ys[shown], c=face, cmap=cmap, vmin=low, vmax=high, **style)
    outline = [patheffects.withStroke(linewidth=2.5, foreground="black")]
    middle_x, middle_y = sum(xlim) / 2, sum(ylim) / 2
    for x, y, value in zip(xs[shown], ys[shown], np.asarray(at_corners)[shown], strict=True):
        right, up = x < middle_x, y < middle_y  # label towards the middle of the plot
        ax.annotate(f"{value:.2f}", (x, y), xytext=(10 if right else -10, 10 if up else -10),
                    textcoords="offset points", ha="left" if right else "right",
                    va="bottom" if up else "top", color="white", fontsize=9,
                    fontweight="bold", zorder=4, path_effects=outline)
