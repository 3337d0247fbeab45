"""The gradient dicts `Node.grad` returns: plain dicts that a notebook shows as a table.

A `GradientDict` is a `dict` in every way a program can see: it compares
equal to a dict with the same entries, prints with the same ``repr``
(``{Parameter('w'): 6.0}``) and copies to a plain dict with ``dict(g)``.
The one addition is ``_repr_html_``, so Jupyter shows one row per parameter
with its derivative (an array as its shape and first numbers).

>>> from exprdiff import Parameter
>>> w = Parameter("w")
>>> g = (w * w).grad({w: 3.0})
>>> g == {w: 6.0}, isinstance(g, dict), g
(True, True, {Parameter('w'): 6.0})
"""

from __future__ import annotations

from exprdiff.core.tables import html_table

__all__ = ["GradientDict"]


class GradientDict(dict):
    """A dict from each node to a derivative, with a table for notebooks (``_repr_html_``).

    >>> from exprdiff import Parameter
    >>> w = Parameter("w")
    >>> GradientDict({w: 0.5})._repr_html_()
    '<div class="exprdiff">...<td...>w</td>...0.5</td>...'
    """

    def _repr_html_(self) -> str:
        rows = [(getattr(node, "label", None) or str(node), value) for node, value in self.items()]
        return html_table("gradient", ["parameter", "derivative"], rows)
