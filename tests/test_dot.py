"""Graphviz pictures: DOT source with value and gradient boxes, and rendering with dot."""

import html
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from _models import two_two_one

from exprdiff import Constant, Input, Parameter, Sin, Tanh, node_gradients, render, to_dot
from exprdiff import topological_order as order

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz dot is not installed")

_BOX = re.compile(r"^  n(\d+) \[label=<(.*)>\];$")
_EDGE = re.compile(r"^  n(\d+) -> n(\d+);$")


def parse(source: str) -> tuple[dict, list]:
    """The boxes (index -> list of cell texts) and edges of `to_dot` output."""
    boxes, edges = {}, []
    for line in source.splitlines():
        if match := _BOX.match(line):
            cells = re.findall(r"<td>(.*?)</td>", match.group(2))
            boxes[int(match.group(1))] = [html.unescape(re.sub("<[^>]+>", "", c.replace("<br/>", " ")))
                                          for c in cells]
        elif match := _EDGE.match(line):
            edges.append((int(match.group(1)), int(match.group(2))))
    return boxes, edges


def network_picture(digits=17):
    net = two_two_one()
    inputs = {net["x1"]: 1.0, net["x2"]: 0.0}
    return net, inputs, to_dot(net["output"], net["params"], inputs, digits=digits)


def test_network_boxes_are_the_distinct_nodes_and_edges_the_operand_links():
    """A 2-2-1 network draws one box per distinct node and one edge per operand link."""
    net, _, source = network_picture()
    nodes = order(net["output"])
    boxes, edges = parse(source)
    assert len(boxes) == len(nodes) == 26  # 9 parameters, 2 inputs, 15 operations
    index = {node: i for i, node in enumerate(nodes)}
    assert sorted(edges) == sorted((index[c], index[n]) for n in nodes for c in n.children)


def test_network_boxes_show_the_engines_values_and_gradients():
    """Each box's value is the node evaluated alone and its grad the engine's adjoint."""
    net, inputs, source = network_picture(digits=17)
    boxes, _ = parse(source)
    adjoints = node_gradients(net["output"], net["params"], inputs)
    for i, node in enumerate(order(net["output"])):
        title, value, grad = boxes[i]
        assert float(value.removeprefix("value ")) == node(net["params"], inputs)
        assert float(grad.removeprefix("grad ")) == adjoints[node]
    for param, gradient in net["output"].grad(net["params"], inputs).items():
        assert float(boxes[order(net["output"]).index(param)][2].split()[1]) == gradient


def test_boxes_are_labelled_by_leaf_name_and_op():
    """Leaves show their names, operations their symbol or function name."""
    net, _, source = network_picture()
    titles = [cells[0] for _, cells in sorted(parse(source)[0].items())]
    assert titles[:4] == ["v1", "w11", "x1", "*"]
    assert titles.count("tanh") == 2 and titles.count("sigmoid") == 1
    assert titles.count("+") == 6


def test_without_values_boxes_hold_only_names():
    """Without params or inputs the boxes are single cells."""
    x = Input("x")
    boxes, _ = parse(to_dot(Sin(x) * 2))
    assert list(boxes.values()) == [["x"], ["sin"], ["2"], ["*"]]


def test_shared_node_is_drawn_once():
    """a*a is two boxes and two edges from the same box: a DAG stays a DAG."""
    a = Parameter("a")
    boxes, edges = parse(to_dot(a * a, {a: 3.0}))
    assert boxes == {0: ["a", "value 3", "grad 6"], 1: ["*", "value 9", "grad 1"]}
    assert edges == [(0, 1), (0, 1)]


def test_arrays_are_summarised_by_shape_and_first_numbers():
    """An array value prints its shape and its first four numbers."""
    w = Parameter("w")
    boxes, _ = parse(to_dot(w * Constant(np.arange(6.0).reshape(2, 3)), {w: 2.0}))
    assert boxes[1] == ["array (2, 3)", "value shape (2, 3): [0, 1, 2, 3, …]", "grad n/a"]
    assert boxes[0] == ["w", "value 2", "grad 15"]


def test_names_are_escaped():
    """Characters special to Graphviz HTML labels are escaped in names."""
    x = Input('<x & "y">')
    source = to_dot(x + 1)
    assert "&lt;x &amp; &quot;y&quot;&gt;" in source
    assert parse(source)[0][0] == ['<x & "y">']


def test_layout_is_left_to_right_by_default():
    """The graph asks for rankdir=LR unless told otherwise."""
    x = Input("x")
    assert "rankdir=LR" in to_dot(-x)
    assert "rankdir=TB" in to_dot(-x, rankdir="TB")


@pytest.mark.slow
def test_huge_graph_is_refused_with_the_node_count():
    """A 100 000-node chain raises ValueError naming its size and max_nodes."""
    x = Input("x")
    chain = x
    for _ in range(100_000):
        chain = Sin(chain)
    with pytest.raises(ValueError, match=r"100001 distinct nodes, more than max_nodes=300"):
        to_dot(chain)
    assert len(parse(to_dot(chain, max_nodes=200_000))[0]) == 100_001


@needs_dot
def test_graphviz_reads_the_network_back():
    """Graphviz parses the DOT source into as many objects and edges as the network has
    (plus the colour key and the subgraph placing it)."""
    net, inputs, _ = network_picture(digits=4)
    nodes = order(net["output"])
    for key, extra in ((False, 0), (True, 2)):
        source = to_dot(net["output"], net["params"], inputs, key=key)
        layout = json.loads(subprocess.run(["dot", "-Tjson"], input=source.encode(),
                                           capture_output=True, check=True).stdout)
        assert len(layout["objects"]) == len(nodes) + extra
        assert len(layout["edges"]) == sum(len(n.children) for n in nodes)


@needs_dot
@pytest.mark.parametrize("suffix, magic", [("svg", b"<?xml"), ("png", b"\x89PNG"),
                                           ("pdf", b"%PDF")])
def test_render_writes_the_picture(tmp_path, suffix, magic):
    """render writes an SVG, PNG or PDF chosen by suffix, with the values drawn in."""
    net, inputs, _ = network_picture()
    path = render(net["output"], tmp_path / f"net.{suffix}", params=net["params"],
                  inputs=inputs)
    assert path.read_bytes().startswith(magic)
    if suffix == "svg":
        assert "sigmoid" in path.read_text() and "grad" in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == [f"net.{suffix}"]


@needs_dot
def test_render_format_overrides_the_suffix(tmp_path):
    """An explicit format wins over the file's suffix."""
    x = Input("x")
    assert render(-x, tmp_path / "picture", "png").read_bytes().startswith(b"\x89PNG")


def test_render_without_dot_says_how_to_install_graphviz(tmp_path, monkeypatch):
    """With no dot on PATH, render raises RuntimeError naming the graphviz package."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"'dot' was not found.*apt-get install graphviz"):
        render(-Input("x"), tmp_path / "x.svg")
    assert list(tmp_path.iterdir()) == []


def test_render_refuses_unknown_formats(tmp_path):
    """A format Graphviz is not asked for raises ValueError naming the choices."""
    with pytest.raises(ValueError, match=r"svg, png, pdf, got 'gif'"):
        render(-Input("x"), tmp_path / "x.gif")


def test_labels_name_chosen_boxes():
    """labels prefixes the chosen boxes' titles, as in the tutorials' e = a*b."""
    a, b = Parameter("a"), Parameter("b")
    e = a * b
    boxes, _ = parse(to_dot(e + 1, labels={e: "e"}))
    assert [cells[0] for cells in boxes.values()] == ["a", "b", "e: *", "1", "+"]


def test_a_2_4_1_network_fits_under_the_node_limit():
    """A 2-4-1 tanh network with its loss is well under max_nodes, so it is drawn."""
    x1, x2, label = Input("x1"), Input("x2"), Input("label")
    hidden = [Tanh(Parameter(f"w{k}1") * x1 + Parameter(f"w{k}2") * x2 + Parameter(f"b{k}"))
              for k in range(4)]
    output = sum((Parameter(f"v{k}") * h for k, h in enumerate(hidden)), Parameter("c"))
    loss = (output - label) ** 2
    boxes, edges = parse(to_dot(loss))
    assert len(boxes) == len(order(loss)) < 300
    assert len(edges) == sum(len(n.children) for n in order(loss))
