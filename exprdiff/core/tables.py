"""Named values as small tables: the readable reprs of gradient dicts, fits and checks.

One set of rows gives both the text (for ``repr``) and the HTML table a
notebook shows (``_repr_html_``).  Numbers keep ``digits`` significant
digits; an array is its shape and first few numbers, so a network's weight
matrices fit on a line each.  Long tables are cut, saying how many rows
were left out.

>>> import numpy as np
>>> print("\\n".join(text_rows([("w", 0.1234567), ("W1", np.ones((2, 3)))])))
  w   0.123457
  W1  shape (2, 3): [1, 1, 1, 1, …]
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["MAX_ROWS", "html_table", "text_rows", "value_summary"]

#: rows shown before a table is cut
MAX_ROWS = 30
_SHOWN_ELEMENTS = 4  # numbers shown from an array


def value_summary(value: object, digits: int = 6) -> str:
    """A number with ``digits`` significant digits, or an array's shape and first numbers.

    >>> import numpy as np
    >>> value_summary(2 / 3), value_summary(np.arange(3.0)), value_summary("n/a")
    ('0.666667', 'shape (3,): [0, 1, 2]', 'n/a')
    """
    if isinstance(value, np.ndarray) and value.ndim > 0:
        flat = value.ravel()
        shown = ", ".join(f"{v:.{digits}g}" for v in flat[:_SHOWN_ELEMENTS])
        more = ", …" if flat.size > _SHOWN_ELEMENTS else ""
        return f"shape {value.shape}: [{shown}{more}]"
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return f"{float(value):.{digits}g}"
    return str(value)


def text_rows(rows: Iterable[tuple[str, object]], indent: str = "  ") -> list[str]:
    """``name  value`` lines, names padded to one column, cut after `MAX_ROWS`."""
    rows = list(rows)
    shown = [(str(name), value_summary(value)) for name, value in rows[:MAX_ROWS]]
    width = max((len(name) for name, _ in shown), default=0)
    lines = [f"{indent}{name:<{width}}  {text}" for name, text in shown]
    if len(rows) > MAX_ROWS:
        lines.append(f"{indent}… and {len(rows) - MAX_ROWS} more")
    return lines


def html_table(
    caption: str, header: Sequence[str], rows: Iterable[Sequence[object]], footer: str = "",
) -> str:
    """An HTML table for a notebook: a title line, a header row, rows cut after `MAX_ROWS`.

    Cells that are not text are summarised by `value_summary`; everything is
    escaped.  ``footer`` is trusted HTML placed under the table.

    >>> print(html_table("gradient", ["parameter", "value"], [["w", 0.5]]))
    <div class="exprdiff"><div ...>gradient</div><table>...<td...>w</td><td...>0.5</td>...
    """
    rows = list(rows)
    head = "".join(f"<th{_CELL}>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows[:MAX_ROWS]:
        name, *values = row
        cells = [f"<td{_CELL}>{html.escape(str(name))}</td>"] + [
            f"<td{_NUMBER}>"
            f"{html.escape(value if isinstance(value, str) else value_summary(value))}</td>"
            for value in values
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    if len(rows) > MAX_ROWS:
        body.append(f"<tr><td{_CELL} colspan=\"{len(header)}\">… and {len(rows) - MAX_ROWS} "
                    "more</td></tr>")
    return (
        f'<div class="exprdiff"><div style="font-weight:bold">{html.escape(caption)}</div>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"{footer}</div>"
    )


_CELL = ' style="text-align:left; padding:0.1em 1.5em 0.1em 0"'
_NUMBER = ' style="text-align:left; padding:0.1em 1.5em 0.1em 0; font-family:monospace"'
