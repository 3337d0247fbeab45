"""The chapters' notebooks: current with their pages, and run in a real Jupyter kernel.

Each notebook is executed once per test run (nbclient, a python3 kernel
importing this tree), then its outputs are compared, cell by cell, with the
outputs its page shows, as doctest compares them; its figures must be
pictures, and nothing may write to stderr (no warning, no stray traceback).
"""

from __future__ import annotations

import base64
import doctest
import json
import os
import re

import pytest
from docs_scripts import DOCS, load_docs_script
from html_tables import table_of
from tools import require_module

ROOT = DOCS.parent
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
CHAPTERS = ["backpropagation.md", "jupyter.md", "logic_gates.md"]


@pytest.fixture(scope="module")
def make():
    require_module("nbformat")
    return load_docs_script("make_notebooks.py")


@pytest.fixture(scope="module")
def execute():
    """``execute(nb)``: run a notebook in a fresh python3 kernel that imports this tree."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
        patch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's own future default
        nbclient = require_module("nbclient")
        require_module("ipykernel")

        def run(nb):
            client = nbclient.NotebookClient(
                nb, timeout=120, kernel_name="python3",
                resources={"metadata": {"path": str(DOCS / "notebooks")}},
            )
            client.execute()
            return nb

        yield run


@pytest.fixture(scope="module")
def executed(make, execute):
    """page -> its notebook, executed (each at most once per test run)."""
    cache = {}

    def get(page):
        if page not in cache:
            cache[page] = execute(make.notebook(page))
        return cache[page]

    return get


def test_the_notebooks_are_the_chapters_listed_here(make):
    """docs/notebooks holds one notebook per listed chapter, and nothing else (no checkpoints)."""
    assert make.CHAPTERS == CHAPTERS
    assert sorted(p.name for p in (DOCS / "notebooks").iterdir()) == [
        "backpropagation.ipynb", "jupyter.ipynb", "logic_gates.ipynb"]


@pytest.mark.parametrize("page", CHAPTERS)
def test_notebook_is_made_from_its_page(make, page):
    """docs/notebooks/ holds what docs/make_notebooks.py makes now (rerun it after editing a page).

    Cells and metadata are compared, not the JSON's layout, which is nbformat's.
    """
    stored, made = json.loads(make.path_of(page).read_text()), json.loads(make.render(page))
    assert (stored["cells"], stored["metadata"]) == (made["cells"], made["metadata"])


def _prose_lines(page_text: str) -> list[str]:
    """The page's lines outside its Python examples, but pictures and lines with links."""
    lines, in_example = [], False
    for line in page_text.splitlines():
        if line.startswith("```python"):
            in_example = True
        elif in_example and line.strip() == "```":
            in_example = False
        elif not in_example and line.strip() and "](" not in line:
            lines.append(line)
    return lines


@pytest.mark.parametrize("page", CHAPTERS)
def test_notebook_has_the_pages_text_and_code(make, page):
    """Every prose line and every example of the page is in the notebook, in order."""
    nb = make.notebook(page)
    shown_calls = [c.source for c in nb.cells  # calls that write the guide's pictures
                   if c.cell_type == "markdown" and c.source.startswith("```python\n")]
    markdown = [line for c in nb.cells if c.cell_type == "markdown" and c.source not in shown_calls
                for line in c.source.splitlines()]
    prose = _prose_lines((DOCS / page).read_text())
    assert [line for line in markdown if line in prose] == prose
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code") + "\n".join(shown_calls)
    for example in doctest.DocTestParser().get_examples((DOCS / page).read_text()):
        if ".savefig(" not in example.source:  # shown as the figure itself
            assert example.source.split("  # doctest:")[0].rstrip("\n") in code


def test_links_to_other_pages_lead_beside_the_notebooks_folder(make):
    """[keeping and sharing models](keeping.md) becomes ../keeping.md in docs/notebooks/."""
    text = "\n".join(c.source for c in make.notebook("backpropagation.md").cells)
    assert "[keeping and sharing models](../keeping.md)" in text
    assert "](keeping.md)" not in text


def _text_of(outputs) -> str:
    parts = []
    for output in outputs:
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif output.output_type == "execute_result":
            parts.append(output.data["text/plain"] + "\n")
    return "".join(parts)


@pytest.mark.parametrize("page", CHAPTERS)
def test_notebook_runs_and_shows_what_its_page_shows(make, executed, page):
    """Each code cell's output is the page's; figures are pictures; nothing goes to stderr."""
    expected = [cell for cell in make.read_chapter(page).cells if not isinstance(cell, str)]
    cells = [cell for cell in executed(page).cells if cell.cell_type == "code"]
    assert len(cells) == len(expected)
    checker = doctest.OutputChecker()
    for cell, wanted in zip(cells, expected, strict=True):
        assert not [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if wanted.raises:
            name, _, message = wanted.raises.strip().partition(": ")
            assert [(e.ename, e.evalue) for e in errors] == [(name.rpartition(".")[2], message)]
            continue
        assert errors == [], cell.source
        if wanted.expected is not None:
            got = _text_of(cell.outputs)
            assert checker.check_output(wanted.expected, got, OPTIONS), (cell.source, got)
        if wanted.figure:
            pictures = [o for o in cell.outputs if "image/png" in o.get("data", {})]
            assert len(pictures) == 1, cell.source
            png = base64.b64decode(pictures[0].data["image/png"])
            assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_logic_gates_notebook_fits_the_and_gate_to_the_articles_numbers(executed):
    """The key numbers: the AND gate's w1 = w2 = 6.4037 and b = -9.7812 after 2000 epochs."""
    cells = executed("logic_gates.md").cells
    fit = next(c for c in cells if c.cell_type == "code" and "round(fitted[b], 6)" in c.source
               and "fitted = optimize(loss, params, and_gate, epochs=2000" in c.source)
    w1, w2, b = (float(n) for n in re.findall(r"-?\d+\.\d+", _text_of(fit.outputs)))
    assert (round(w1, 4), round(w2, 4), round(b, 4)) == (6.4037, 6.4037, -9.7812)
    figures = [c for c in cells if c.cell_type == "code"
               and any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert len(figures) == 4  # AND and XOR heatmaps (perceptron, hidden layer), loss curves


def test_backpropagation_notebook_gets_the_tutorials_gradients(executed):
    """L = (a*b + c)*f at a=2, b=-3, c=10, f=-2: dL/da = 6, dL/db = -4, dL/dc = -2, dL/df = 4."""
    cells = executed("backpropagation.md").cells
    grad = next(c for c in cells if c.cell_type == "code" and c.source == "L.grad(values)")
    assert _text_of(grad.outputs).split() == [
        "{Parameter('a'):", "6.0,", "Parameter('b'):", "-4.0,", "Parameter('c'):", "-2.0,",
        "Parameter('f'):", "4.0}"]
    graph = next(c for c in cells if c.cell_type == "markdown" and "attachment:" in c.source)
    png = base64.b64decode(graph.attachments["backprop_graph.png"]["image/png"])
    assert png == (DOCS / "figures" / "backprop_graph.png").read_bytes()


def test_jupyter_notebook_shows_the_rich_displays(executed):
    """In a real kernel: the formula, the graph, the tables and the figures of docs/jupyter.md."""
    cells = {c.source.splitlines()[-1]: c for c in executed("jupyter.md").cells
             if c.cell_type == "code"}

    def data(last_line):
        (result,) = [o for o in cells[last_line].outputs if o.output_type == "execute_result"]
        return result.data

    assert data("neuron")["text/latex"] == (
        r"$\displaystyle \sigma\left(w_{1} \cdot x_{1} + w_{2} \cdot x_{2} + b\right)$")
    assert data("neuron")["image/svg+xml"].startswith("<svg")  # .ci/run installs Graphviz
    assert "grad 0.1966" in data("picture")["image/svg+xml"]  # w2's box in draw's picture
    assert [row[0] for row in table_of(data("grads")["text/html"])[1]] == [
        "parameter", "w1", "w2", "b"]
    title, rows = table_of(data("fitted")["text/html"])
    assert title.startswith("FitResult: 2000 epochs") and rows[1] == ["w1", "6.40373"]
    assert "<polyline" in data("fitted")["text/html"]
    assert table_of(data("check")["text/html"])[0].startswith("GradCheck: ok")
    figures = [c for c in cells.values() if any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert len(figures) == 2


def test_in_a_kernel_the_progress_bar_needs_no_ipywidgets(execute):
    """In Jupyter without ipywidgets: tqdm's text bar on stderr, and no warning."""
    nbformat = require_module("nbformat")
    code = [
        "from exprdiff import Input, Parameter, optimize\n"
        "w, x = Parameter('w'), Input('x')\n"
        "fitted = optimize((w * x - 2 * x) ** 2, {w: 0.0}, {x: [1.0, 2.0]}, epochs=30,\n"
        "                  learning_rate=0.1, progress=True)",
        "import importlib.util\nimportlib.util.find_spec('ipywidgets') is None",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in code])
    bar, no_widgets = execute(nb).cells
    streams = [o for o in bar.outputs if o.output_type == "stream"]
    text = "".join(o.text for o in streams)
    assert "IProgress" not in text and "Warning" not in text
    if no_widgets.outputs[0].data["text/plain"] == "True":
        assert {o.name for o in streams} == {"stderr"}
        assert "optimize: 100%" in text and "30/30" in text
    else:  # ipywidgets installed: tqdm's widget, no text bar
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                   for o in bar.outputs)
