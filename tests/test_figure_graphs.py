"""The backpropagation chapter's graph figure is drawn from the engine's numbers."""

import html
import re
import shutil

import pytest
from docs_scripts import load_docs_script


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_backprop_graph_figure_shows_the_chapter_numbers(tmp_path):
    """make() writes SVG and PNG whose boxes hold L's values and the gradients 6, -4, -2, 4."""
    svg, png, *_ = load_docs_script("figure_scripts/graphs.py").make(tmp_path)
    assert (svg.name, png.name) == ("backprop_graph.svg", "backprop_graph.png")
    assert png.read_bytes().startswith(b"\x89PNG")
    texts = [html.unescape(t) for t in re.findall(r">([^<>]+)</text>", svg.read_text())]
    for expected in ["a", "value 2", "grad 6", "b", "value -3", "grad -4", "e: *", "value -6",
                     "d: +", "value 4", "c", "value 10", "f", "grad 4", "L: *", "value -8",
                     "grad 1"]:
        assert expected in texts
    assert texts.count("grad -2") == 3  # e, c and d
