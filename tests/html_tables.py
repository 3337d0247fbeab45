"""Reading back the HTML tables exprdiff shows in notebooks, for the tests."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.title: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._in_table = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._in_table = True
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._in_table = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif not self._in_table and not self.rows and data.strip():
            self.title.append(data.strip())


def table_of(html: str) -> tuple[str, list[list[str]]]:
    """The title above the table and its rows (the header row first), as text."""
    parser = _Tables()
    parser.feed(html)
    return " ".join(parser.title), parser.rows
