"""The backward pass as a series of pictures that keep one layout, one file per step.

Every picture of a backward pass in progress has the same boxes and edges;
only the numbers in them change.  Laid out afresh, each picture would move
its boxes a little (a box grows as ``grad ?`` becomes ``grad -2``), so the
series would jump.  Here the finished picture is laid out once with
Graphviz's ``dot`` and every step's picture is drawn by ``neato -n2`` at
those positions.  `backprop_frames` writes them as files, for slides;
`exprdiff.show.animation.animate_backprop` makes them a GIF.

>>> import tempfile
>>> from exprdiff import Parameter
>>> w = Parameter("w")
>>> with tempfile.TemporaryDirectory() as folder:  # doctest: +SKIP
...     print([path.name for path in backprop_frames((w - 1) ** 2, {w: 3.0}, None, folder)])
['step0.png', 'step1.png', 'step2.png']
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from exprdiff.core.nodes import Node
from exprdiff.keep.atomic_files import write_atomically
from exprdiff.show.backprop import backprop_steps
from exprdiff.show.dot import run_graphviz, to_dot

__all__ = ["backprop_frames", "pinned_backprop_sources"]


def backprop_frames(
    expr: Node,
    params: Mapping | None,
    inputs: Mapping | None,
    folder: str | os.PathLike,
    *,
    format: str = "png",
    labels: Mapping[Node, str] | None = None,
    dpi: int = 96,
    digits: int = 4,
    rankdir: str = "LR",
) -> list[Path]:
    """Write the pictures of a backward pass, one file per step, every box kept in place.

    The frames of `exprdiff.show.animation.animate_backprop` without their
    captions, for slides that do not play GIFs (Beamer, print): ``step0.png``,
    ``step1.png``, ... in ``folder`` (created if missing), every box in the
    same place in every file; ``format`` is ``"png"``, ``"svg"`` or
    ``"pdf"``.  Returns the paths, in step order.  Needs Graphviz's ``dot``
    and ``neato``.

    >>> import tempfile
    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> with tempfile.TemporaryDirectory() as folder:  # doctest: +SKIP
    ...     print([path.name for path in backprop_frames(3 * w, {w: 2.0}, None, folder)])
    ['step0.png', 'step1.png']
    """
    if format not in ("png", "svg", "pdf"):
        raise ValueError(f"format must be one of png, svg, pdf, got {format!r}")
    folder = Path(folder)
    _, sources = pinned_backprop_sources(expr, params, inputs, dict(labels or {}), digits, rankdir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, source in enumerate(sources):
        path = folder / f"step{number}.{format}"
        write_atomically(path, run_graphviz(source, format, "neato", "-n2", f"-Gdpi={dpi}"))
        written.append(path)
    return written


def pinned_backprop_sources(expr: Node, params: Mapping | None, inputs: Mapping | None,
                            labels: Mapping, digits: int, rankdir: str) -> tuple[list, list[str]]:
    """The steps of the backward pass and, for each, its picture's DOT source, every box and
    edge pinned where the finished picture has them; draw them with ``neato -n2``.

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> steps, sources = pinned_backprop_sources(3 * w, {w: 2.0}, None, {}, 4,
    ...                                          "LR")  # doctest: +SKIP
    >>> len(steps), 'pos="' in sources[0]  # doctest: +SKIP
    (2, True)
    """
    steps = list(backprop_steps(expr, params, inputs))
    options = dict(labels=labels, digits=digits, rankdir=rankdir)
    sources = [to_dot(expr, params, inputs, grads=step.grads,
                      highlight=[step.node, *step.passed], **options) for step in steps]
    key = _key_line(sources[0])  # the first frame's key names every mark: keep it throughout
    finished = to_dot(expr, params, inputs, grads=steps[-1].grads,
                      highlight=list(steps[-1].grads), **options)
    layout = _Layout(_with_key(finished, key))
    return steps, [layout.pin(_with_key(source, key)) for source in sources]


class _Layout:
    """Node positions and sizes, and edge routes, of one DOT picture, to pin other frames to.

    Every frame of `animate_backprop` has the same boxes and edges; only the
    texts change.  Laid out once with ``dot`` (from the finished picture, the
    widest), each frame is drawn by ``neato -n2`` at those positions.
    """

    def __init__(self, source: str) -> None:
        laid_out = json.loads(run_graphviz(_tight(source), "json"))
        names = {obj["_gvid"]: obj["name"] for obj in laid_out.get("objects", [])}
        self.boxes = {
            obj["name"]: (obj["pos"], float(obj["width"]) * 72, float(obj["height"]) * 72)
            for obj in laid_out.get("objects", []) if "pos" in obj
        }
        self.edges = [(names[edge["tail"]], names[edge["head"]], edge["pos"])
                      for edge in laid_out.get("edges", [])]

    def pin(self, source: str) -> str:
        """``source`` with every box and edge where this layout put them."""
        routes = iter(self.edges)
        lines = []
        for line in _tight(source).splitlines():
            node = re.match(r"^  (n\d+|key) \[label=<<table", line)
            edge = re.match(r"^  (n\d+) -> (n\d+);$", line)
            if node and node.group(1) in self.boxes:
                pos, width, height = self.boxes[node.group(1)]
                line = (line[: -len("];")] + f', pos="{pos}", width={width / 72:.4f}, '
                        f"height={height / 72:.4f}, fixedsize=true];")
            elif edge:
                tail, head, pos = next(routes)
                line = f'  {tail} -> {head} [pos="{pos}"];'
            lines.append(line)
        return "\n".join(lines) + "\n"


def _key_line(source: str) -> str:
    return next((line for line in source.splitlines() if line.startswith("  key [")), "")


def _with_key(source: str, key: str) -> str:
    """``source`` with its colour key replaced by ``key``."""
    if not key:
        return source
    return "\n".join(key if line.startswith("  key [") else line
                     for line in source.splitlines()) + "\n"


def _tight(source: str) -> str:
    """No margin around the tables, so a box is exactly its table."""
    return source.replace('node [shape=plaintext, fontname="Helvetica"]',
                          'node [shape=plaintext, fontname="Helvetica", margin=0]', 1)
