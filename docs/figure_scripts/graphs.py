"""Figures of the backpropagation chapter: the computation graph of L = (a*b + c)*f.

Writes backprop_graph.svg and backprop_graph.png: every node's value and the
gradient of L with respect to it, at a = 2, b = -3, c = 10, f = -2; the
picture half way through the backward pass (backprop_halfway.png); and the
backward pass filled in step by step (backprop_steps.gif).  Needs the
Graphviz programs ``dot`` and ``neato`` (Debian package ``graphviz``).
"""

from __future__ import annotations

from pathlib import Path

from exprdiff import Parameter, backprop_steps, render
from exprdiff.show.animation import animate_backprop


def make(out_dir: str | Path) -> list[Path]:
    """Write the backpropagation graph as SVG and PNG into ``out_dir``; return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    a, b, c, f = Parameter("a"), Parameter("b"), Parameter("c"), Parameter("f")
    e = a * b
    d = e + c
    L = d * f  # noqa: N806 - the tutorials' name
    values = {a: 2.0, b: -3.0, c: 10.0, f: -2.0}
    labels = {e: "e", d: "d", L: "L"}
    written = [
        render(L, out_dir / f"backprop_graph.{suffix}", params=values, labels=labels)
        for suffix in ("svg", "png")
    ]
    steps = list(backprop_steps(L, values))
    halfway = steps[2]  # L and d done: e and c know their gradients, a and b not yet
    written.append(render(L, out_dir / "backprop_halfway.png", params=values, labels=labels,
                          grads=halfway.grads, highlight=[halfway.node, *halfway.passed]))
    written.append(animate_backprop(L, values, None, out_dir / "backprop_steps.gif",
                                    labels=labels))
    return written


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "figures"
    print(*make(target), sep="\n")
