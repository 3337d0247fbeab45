"""Jupyter's rich display of nodes, reached without the core importing the show layer.

IPython shows an object through its ``_repr_latex_``, ``_repr_svg_``, ...
methods.  For a node, the formula and the graph are drawn by the show layer
(`exprdiff.show.notebook`), which imports the nodes, so the nodes must not
import it back: the layers import one way (``tests/test_import_layers.py``
counts imports inside functions too, so a late import would still be a
cycle).  The dependency is inverted instead: `Node`'s display methods call
`render` here, and ``import exprdiff`` has the show layer `register` its
renderers.  For a MIME type nobody registered, `render` returns None, which
IPython reads as "not available", and it shows the text repr.

The table is filled once, while ``exprdiff`` is imported, and only read
afterwards, so displaying nodes from several threads is safe.

>>> from exprdiff import Parameter
>>> w = Parameter("w")
>>> render("text/latex", 2 * w)
'$\\\\displaystyle 2 w$'
>>> render("application/x-unknown", w) is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["register", "render"]

Renderer = Callable[[Any], "str | None"]

_RENDERERS: dict[str, Renderer] = {}


def register(mime_type: str, renderer: Renderer) -> None:
    """Make ``renderer(node)`` the source of ``mime_type`` for every node's display.

    The renderer returns the text of that MIME type, or None when the node is
    not to be shown that way (too large, or a tool is missing).
    """
    _RENDERERS[mime_type] = renderer


def render(mime_type: str, node: Any) -> str | None:
    """``node`` as ``mime_type`` by the registered renderer, or None if there is none."""
    renderer = _RENDERERS.get(mime_type)
    return None if renderer is None else renderer(node)
