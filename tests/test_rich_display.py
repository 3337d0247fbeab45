"""What Jupyter shows for exprdiff's objects, read through IPython's own display formatter.

``DisplayFormatter().format(obj)`` is the call a notebook cell makes for its
value: it returns the MIME bundle the front end picks from, so these tests
see what a learner sees, not just what one method returns.
"""

from __future__ import annotations

import html as html_text
import re
import subprocess
import sys

import numpy as np
import pytest
from html_tables import table_of
from tools import require_module, require_program

from exprdiff import (
    FitResult,
    GradCheck,
    Input,
    Log,
    Parameter,
    Sigmoid,
    check_grads,
    optimize,
)
from exprdiff.gates import gate_data, gate_loss, perceptron
from exprdiff.show import notebook
from exprdiff.symbolic.checking import ParameterCheck


@pytest.fixture(scope="module")
def shown():
    """``shown(obj)``: the MIME bundle IPython's display formatter makes for ``obj``."""
    formatters = require_module("IPython.core.formatters", "python -m pip install ipython")
    formatter = formatters.DisplayFormatter()
    return lambda obj: formatter.format(obj)[0]


@pytest.fixture
def neuron():
    x1, x2 = Input("x1"), Input("x2")
    w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
    return Sigmoid(w1 * x1 + w2 * x2 + b), (x1, x2, w1, w2, b)


def test_an_expression_shows_its_formula_and_its_graph(shown, neuron):
    """A small expression: LaTeX formula, SVG graph (with Graphviz) and the text repr."""
    require_program("dot", "Debian: apt-get install graphviz")
    expr, _ = neuron
    data = shown(expr)
    assert data["text/plain"] == "<Sigmoid sigmoid(w1*x1 + w2*x2 + b)>"
    assert data["text/latex"] == (
        r"$\displaystyle \sigma\left(w_{1} \cdot x_{1} + w_{2} \cdot x_{2} + b\right)$")
    svg = data["image/svg+xml"]
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    # one box per distinct node (3 Parameters, 2 Inputs, 2 *, 2 +, sigmoid), named as in
    # to_dot, and its colour key
    assert svg.count('class="node"') == 10 + 1
    assert "Parameter (trained)" in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"w1", "x1", "w2", "x2", "b", "*", "+", "sigmoid"} <= set(texts)


def test_without_graphviz_an_expression_shows_its_formula_only(shown, neuron, monkeypatch):
    """No dot program: no SVG in the bundle (and no error), the formula still."""
    monkeypatch.setattr(notebook.shutil, "which", lambda name: None)
    data = shown(neuron[0])
    assert "image/svg+xml" not in data
    assert data["text/latex"].startswith(r"$\displaystyle \sigma\left(")


def test_when_graphviz_fails_an_expression_shows_its_formula_only(shown, neuron, monkeypatch):
    """A failing dot run does not break the cell: no SVG, the formula and the text remain."""
    def failing(source):
        raise RuntimeError("Graphviz dot failed (exit status 1): ...")

    monkeypatch.setattr(notebook, "svg_from_dot", failing)
    assert set(shown(neuron[0])) == {"text/plain", "text/latex"}


def test_a_larger_graph_is_not_drawn_but_its_formula_is_shown(shown):
    """Past MAX_GRAPH_NODES distinct nodes: formula, no graph."""
    xs = [Input(f"x{i}") for i in range(12)]
    ws = [Parameter(f"w{i}") for i in range(12)]
    expr = sum((w * x for w, x in zip(ws, xs)), start=Parameter("b"))  # 12*3 + 1 = 37 nodes
    bigger = Sigmoid(expr) * Sigmoid(expr + 1)  # 37 + sigmoid, 1, +, sigmoid, * = 42 nodes
    assert notebook.MAX_GRAPH_NODES == 40
    data = shown(bigger)
    assert "image/svg+xml" not in data
    assert data["text/latex"].count(r"\sigma") == 2


def test_a_huge_expression_falls_back_to_its_text(shown):
    """Past MAX_FORMULA_NODES: text only; the repr is cut short, so the cell stays small."""
    w = Parameter("w")
    total = w
    for i in range(notebook.MAX_FORMULA_NODES):
        total = total + i * w
    data = shown(total)
    assert set(data) == {"text/plain"}
    assert data["text/plain"].endswith("…>") and len(data["text/plain"]) < 100


def test_a_formula_too_long_to_read_falls_back_to_its_text(shown):
    """A shared DAG of few nodes can write out as an astronomically long formula: text only."""
    w = Parameter("w")
    doubled = w
    for _ in range(30):  # 31 distinct nodes, a formula of 2**30 leaves
        doubled = doubled + doubled
    assert set(shown(doubled)) <= {"text/plain", "image/svg+xml"}
    assert "text/latex" not in shown(doubled)


def test_leaves_show_their_names_in_latex(shown):
    assert shown(Parameter("alpha"))["text/latex"] == r"$\displaystyle \alpha$"
    assert shown(Input("x_out"))["text/latex"] == r"$\displaystyle x_{\mathrm{out}}$"


def test_a_gradient_dict_is_a_dict_shown_as_a_table(shown, neuron):
    """grad returns a dict (same repr, equal, picklable) that a notebook shows as a table."""
    expr, (x1, x2, w1, w2, b) = neuron
    grads = expr.grad({w1: 1.0, w2: 1.0, b: 0.0}, {x1: 0, x2: 1})
    assert isinstance(grads, dict)
    assert grads == {w1: 0.0, w2: 0.19661193324148185, b: 0.19661193324148185}
    assert repr(grads) == repr(dict(grads)) == (
        "{Parameter('w1'): 0.0, Parameter('w2'): 0.19661193324148185, "
        "Parameter('b'): 0.19661193324148185}")
    assert type(dict(grads)) is dict and type(grads.copy()) is dict
    data = shown(grads)
    # the text is IPython's dict printer: the repr, one entry a line when long
    assert data["text/plain"] == (
        "{Parameter('w1'): 0.0,\n Parameter('w2'): 0.19661193324148185,\n"
        " Parameter('b'): 0.19661193324148185}")
    assert table_of(data["text/html"]) == ("gradient", [
        ["parameter", "derivative"], ["w1", "0"], ["w2", "0.196612"], ["b", "0.196612"]])


def test_array_gradients_show_their_shape_and_first_numbers(shown):
    W, x = Parameter("W"), Input("x")
    grads = (W @ x).grad({W: np.ones((2, 3))}, {x: np.arange(3.0)})
    _, rows = table_of(shown(grads)["text/html"])
    assert rows[1:] == [["W", "shape (2, 3): [0, 1, 2, 0, …]"]]


def test_a_fit_shows_what_it_did_and_the_fitted_values(shown):
    """FitResult: the summary and one line per parameter as text; a table and the curve as HTML."""
    x1, x2, label = Input("x1"), Input("x2"), Input("label")
    model, start = perceptron(x1, x2)
    fitted = optimize(gate_loss(model, label), start, gate_data("AND", x1, x2, label),
                      epochs=500, learning_rate=0.5)
    data = shown(fitted)
    lines = data["text/plain"].splitlines()
    assert lines[0] == (f"FitResult(500 epochs, stop_reason='epochs', mean loss "
                        f"{fitted.losses[0]:.6g} -> {fitted.final_loss:.6g})")
    assert [line.split()[0] for line in lines[1:]] == [p.label for p in fitted]
    assert [float(line.split()[1]) for line in lines[1:]] == pytest.approx(
        list(fitted.values()), rel=1e-5)
    html = data["text/html"]
    title, rows = table_of(html)
    assert title == (f"FitResult: 500 epochs, stop_reason='epochs', mean loss "
                     f"{fitted.losses[0]:.6g} → {fitted.final_loss:.6g}")
    assert [row[0] for row in rows[1:]] == [p.label for p in fitted]
    assert "mean loss per epoch" in html
    points = re.search(r'<polyline [^>]*points="([^"]+)"', html).group(1).split()
    ys = [float(point.split(",")[1]) for point in points]
    assert 2 <= len(points) <= 241 and ys[0] < ys[-1]  # SVG y grows downwards: the loss fell


def test_a_fit_is_still_the_dict_of_fitted_values():
    w = Parameter("w")
    result = FitResult({w: 1.5}, losses=[4.0, 1.0], final_loss=0.25, stop_reason="epochs")
    assert result == {w: 1.5} and dict(result) == {w: 1.5}
    assert repr(result) == "FitResult(2 epochs, stop_reason='epochs', mean loss 4 -> 0.25)\n  w  1.5"


def test_a_fit_of_many_parameters_is_cut_short(shown):
    params = {Parameter(f"w{i}"): float(i) for i in range(40)}
    result = FitResult(params, losses=[1.0], final_loss=1.0, stop_reason="epochs")
    lines = repr(result).splitlines()
    assert len(lines) == 1 + 30 + 1 and lines[-1] == "  … and 10 more"
    assert "… and 10 more" in shown(result)["text/html"]


def test_a_gradient_check_shows_its_table(shown):
    """GradCheck: its text table, and an HTML table marking what disagrees."""
    a, b = Parameter("a"), Parameter("b")
    check = check_grads(Log(a * b) + a**3, {a: 2.0, b: 0.5})
    data = shown(check)
    assert data["text/plain"] == repr(check)
    assert data["text/plain"].startswith("GradCheck(ok, worst ")
    title, rows = table_of(data["text/html"])
    assert title.startswith("GradCheck: ok, worst ")
    assert [(row[0], row[3]) for row in rows[1:]] == [("a", "ok"), ("b", "ok")]
    failing = GradCheck((ParameterCheck("w", 0.5, None),), 1e-5)
    assert table_of(shown(failing)["text/html"]) == (
        "GradCheck: FAILED, worst 5.0e-01, tolerance 1e-05",
        [["parameter", "first order", "second order", ""], ["w", "5.0e-01", "n/a", "disagrees"]])


def test_figures_of_the_plot_helpers_show_inline(shown):
    """target_before_after's Figure is a PNG for Jupyter without %matplotlib inline."""
    from matplotlib.figure import Figure

    from exprdiff.plot import target_before_after

    x1, x2 = Input("x1"), Input("x2")
    model, params = perceptron(x1, x2)
    fig = target_before_after("AND", model, x1, x2, params, params, resolution=5)
    data = shown(fig)
    png = data["image/png"]
    png = png if isinstance(png, bytes) else __import__("base64").b64decode(png)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    # 13 x 3.9 in at 100 dpi, cropped to what is drawn with savefig's 0.1 in of padding
    assert 1000 < width <= 1300 + 20 and 250 < height <= 390 + 20
    assert "image/png" not in shown(Figure())  # a plain Figure: what the helpers used to return


def test_draw_shows_values_and_gradients_inline(shown):
    """draw(): micrograd's draw_dot, a picture with every node's value and gradient."""
    require_program("dot", "Debian: apt-get install graphviz")
    a, b, c, f = Parameter("a"), Parameter("b"), Parameter("c"), Parameter("f")
    L = (a * b + c) * f  # noqa: N806 - the tutorials' name
    picture = notebook.draw(L, {a: 2.0, b: -3.0, c: 10.0, f: -2.0})
    svg = shown(picture)["image/svg+xml"]
    texts = [html_text.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    assert texts.count("grad 1") == 1 and "value -8" in texts  # the root: L = -8
    assert {"grad 6", "grad -4", "grad -2", "grad 4"} <= set(texts)  # a, b, c (and d), f


def test_importing_exprdiff_imports_no_ipython():
    """The display methods work in plain Python: exprdiff never imports IPython."""
    code = ("import sys, exprdiff; w = exprdiff.Parameter('w'); "
            "print((2 * w)._repr_latex_(), 'IPython' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [r"$\displaystyle", "2", "w$", "False"]
