"""Write docs/notebooks/*.ipynb: chapters of the guide as Jupyter notebooks, from their pages.

Run: python docs/make_notebooks.py   (tests/test_notebooks.py checks the files are
current, executes them and compares their outputs with the pages)

The text lives once, in the chapter's Markdown page: the notebook is made from
it.  Prose becomes Markdown cells (a new cell at each heading); each ``>>>``
example becomes code without its prompts, and a cell ends at every example
that shows output, so each output appears under the code that makes it, as
on the page.  A figure the page saves (``fig.savefig("figures/x.png")``,
skipped by doctest) is shown instead, as the cell's value, and the page's
picture of it is left out; other pictures travel inside the notebook as
attachments.  Links to other pages point to them beside the notebooks
folder.
"""


import base64
import doctest
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

DOCS = Path(__file__).resolve().parent
NOTEBOOKS = DOCS / "notebooks"
#: the chapters that are notebooks too
CHAPTERS = ["backpropagation.md", "jupyter.md", "logic_gates.md"]

_FENCE = re.compile(r"^```(\w*)\s*$")
_DIRECTIVE = re.compile(r"\s*# doctest:.*$", flags=re.M)
_SAVEFIG = re.compile(r"""^(\w+)\.savefig\((["'])(figures/[^"']+)\2\)$""")
_IMAGE = re.compile(r"^!\[([^\]]*)\]\((figures/[^)\s]+)\)\s*$")
_PAGE_LINK = re.compile(r"\]\((?!https?:|#|\.\./)([\w/-]+\.(?:md|ipynb))(#[\w-]*)?\)")
_INTRO = (
    "> This notebook is made from the guide's page [`{page}`](../{page}) by "
    "`docs/make_notebooks.py`: the text and the examples are the page's, and "
    "every output below is checked against the page by the test suite. Run the "
    "cells from the top in a Jupyter kernel where exprdiff is installed "
    "(`python -m pip install -e .` in the repository)."
)


@dataclass
class CodeCell:
    """A code cell and what the page says it prints (None: a figure, or nothing to check)."""

    source: str
    expected: str | None = None
    raises: str | None = None  # the exception line the page shows, for a cell that raises
    figure: str | None = None  # the file the page saves this figure to


@dataclass
class Chapter:
    """A page cut into cells: Markdown (with attachments) and code."""

    cells: list = field(default_factory=list)
    shown_figures: set = field(default_factory=set)


def read_chapter(page: str) -> Chapter:
    """Cut ``docs/<page>`` into the cells of its notebook."""
    chapter = Chapter()
    prose: list[str] = []
    lines = (DOCS / page).read_text().splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence and fence.group(1) == "python":
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            _flush_prose(chapter, prose)
            _add_examples(chapter, "\n".join(lines[i + 1 : end]) + "\n")
            i = end + 1
            continue
        if fence:  # another language (a shell session): it stays in the prose
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            prose.extend(lines[i : end + 1])
            i = end + 1
            continue
        if lines[i].startswith("#") and prose:
            _flush_prose(chapter, prose)
        prose.append(lines[i])
        i += 1
    _flush_prose(chapter, prose)
    return chapter


def _flush_prose(chapter: Chapter, prose: list[str]) -> None:
    text = "\n".join(prose).strip("\n")
    prose.clear()
    if text.strip():
        chapter.cells.append(text)


def _add_examples(chapter: Chapter, block: str) -> None:
    sources: list[str] = []
    for example in doctest.DocTestParser().get_examples(block):
        source = _DIRECTIVE.sub("", example.source).rstrip("\n")
        saved = _SAVEFIG.match(source) if example.options.get(doctest.SKIP) else None
        if saved:  # show the figure where the page saves it
            chapter.cells.append(CodeCell("\n".join([*sources, saved.group(1)]),
                                          figure=saved.group(3)))
            chapter.shown_figures.add(saved.group(3))
            sources = []
            continue
        if example.options.get(doctest.SKIP) and '"figures/' in source:
            # it writes one of the guide's own pictures (shown below it): show the call, and
            # the imports before it, as code, not run, so running the notebook writes nothing
            shown = "\n".join([*sources, source])
            chapter.cells.append(f"```python\n{shown}\n```")
            sources = []
            continue
        sources.append(source)
        if example.want or example.exc_msg:
            chapter.cells.append(CodeCell(
                "\n".join(sources),
                expected=None if example.exc_msg else example.want,
                raises=example.exc_msg,
            ))
            sources = []
    if sources:
        chapter.cells.append(CodeCell("\n".join(sources)))


def notebook(page: str) -> nbformat.NotebookNode:
    """The notebook of ``docs/<page>``."""
    chapter = read_chapter(page)
    stem = Path(page).stem
    cells = []
    for index, cell in enumerate(chapter.cells):
        cell_id = f"{stem}-{index}"
        if isinstance(cell, CodeCell):
            code = nbformat.v4.new_code_cell(cell.source, id=cell_id)
            if cell.raises:
                code.metadata["tags"] = ["raises-exception"]  # nbclient expects the error
            cells.append(code)
        else:
            cells.append(_markdown_cell(cell, chapter.shown_figures, cell_id,
                                        intro=_INTRO.format(page=page) if index == 0 else ""))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(nb)
    return nb


def _markdown_cell(text: str, shown: set, cell_id: str, intro: str) -> nbformat.NotebookNode:
    lines, attachments = [], {}
    for line in text.splitlines():
        image = _IMAGE.match(line)
        if image and image.group(2) in shown:
            continue  # the figure is the output of the cell above
        if image:
            name = Path(image.group(2)).name
            attachments[name] = {_MIME[Path(name).suffix]: base64.b64encode(
                (DOCS / image.group(2)).read_bytes()).decode()}
            line = f"![{image.group(1)}](attachment:{name})"
        lines.append(_PAGE_LINK.sub(r"](../\1\2)", line))
    if intro:  # under the page's title
        lines[1:1] = ["", intro]
    cell = nbformat.v4.new_markdown_cell("\n".join(lines).strip("\n"), id=cell_id)
    if attachments:
        cell.attachments = attachments
    return cell


_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".gif": "image/gif"}


def render(page: str) -> str:
    """The text of ``docs/notebooks/<stem>.ipynb``."""
    return nbformat.writes(notebook(page)) + "\n"


def path_of(page: str) -> Path:
    """Where the notebook of ``page`` lives."""
    return NOTEBOOKS / f"{Path(page).stem}.ipynb"


if __name__ == "__main__":
    NOTEBOOKS.mkdir(exist_ok=True)
    for chapter_page in CHAPTERS:
        path_of(chapter_page).write_text(render(chapter_page))
        print(f"wrote {path_of(chapter_page)}")
