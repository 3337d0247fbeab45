"""Loading truncated, mutated and hostile files raises ValueError, and nothing else."""

import copy
import json

import pytest
from _models import trained_xor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exprdiff import Node, load
from exprdiff.keep.serialization import dumps, loads


def valid_text() -> str:
    """The trained XOR network's mean loss (with a Constant, 4) and its parameters."""
    net = trained_xor()
    return dumps(net["loss"] / 4.0, net["params"])


VALID = valid_text()
DOCUMENT = json.loads(VALID)
OP = next(i for i, node in enumerate(DOCUMENT["nodes"]) if len(node.get("operands", ())) == 2)
LAST = len(DOCUMENT["nodes"]) - 1
AN_INPUT = next(i for i, node in enumerate(DOCUMENT["nodes"]) if node["type"] == "Input")


def loads_or_value_error(text: str) -> None:
    """Load ``text``: it must either give a model or raise ValueError."""
    try:
        expr, params = loads(text)
    except ValueError as error:
        assert str(error)
        return
    assert isinstance(expr, Node) and isinstance(params, dict)


def with_change(change) -> str:
    document = copy.deepcopy(DOCUMENT)
    change(document)
    return json.dumps(document)


def set_in(path, value):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


HOSTILE = {
    # (text, words the message must contain)
    "empty": ("", "invalid JSON"),
    "not json": ("model = lambda: __import__('os')", "invalid JSON"),
    "top level list": ("[1, 2]", 'no "format"'),
    "wrong format": (with_change(set_in(["format"], "pickle")), 'no "format"'),
    "future version": (with_change(set_in(["version"], 2)), "version 2, newer"),
    "version as text": (with_change(set_in(["version"], "1")), "positive integer"),
    "version NaN": (VALID.replace('"version": 1', '"version": NaN'), "NaN is not allowed"),
    "huge version": (VALID.replace('"version": 1', '"version": 1' + "0" * 5000), "invalid JSON"),
    "unknown top key": (with_change(set_in(["code"], "rm -rf /")), "unknown key 'code'"),
    "duplicate key": (VALID.replace('"version": 1', '"version": 1, "version": 1'),
                      "'version' appears twice"),
    "nodes missing": (with_change(lambda d: d.pop("nodes")), "nodes: must be a non-empty"),
    "nodes empty": (with_change(set_in(["nodes"], [])), "non-empty list"),
    "node not object": (with_change(set_in(["nodes", OP], [1, 2])),
                        f"node {OP}: must be an object"),
    "type missing": (with_change(set_in(["nodes", OP], {"operands": [0]})), '"type" must'),
    "unknown op": (with_change(set_in(["nodes", OP, "type"], "os.system")),
                   "unknown operation 'os.system'"),
    "dunder op": (with_change(set_in(["nodes", OP, "type"], "__class__")), "unknown operation"),
    "leaf as op": (with_change(set_in(["nodes", OP, "type"], "Node")), "unknown operation 'Node'"),
    "self reference": (with_change(set_in(["nodes", OP, "operands"], [OP, OP])),
                       f"operand {OP} does not refer to an earlier node"),
    "forward reference": (with_change(set_in(["nodes", OP, "operands"], [0, 40])),
                          "operand 40 does not refer to an earlier node"),
    "negative index": (with_change(set_in(["nodes", OP, "operands"], [-1, 0])), "operand -1"),
    "huge index": (with_change(set_in(["nodes", OP, "operands"], [10**30, 0])), "operand 1000"),
    "float index": (with_change(set_in(["nodes", OP, "operands"], [0.0, 1])),
                    "operand 0.0 is not a node index"),
    "bool index": (with_change(set_in(["nodes", OP, "operands"], [True, 1])), "operand True"),
    "too many operands": (with_change(set_in(["nodes", OP, "operands"], [0, 1, 2])),
                          "list of 2 node indices"),
    "operands not list": (with_change(set_in(["nodes", OP, "operands"], "0,1")), "list of 2"),
    "unexpected settings": (with_change(set_in(["nodes", OP, "settings"], {"axis": 0})),
                            "settings ['axis'] do not match"),
    "name not text": (with_change(set_in(["nodes", 0, "name"], {"x": 1})), "name must be a"),
    "deep name": (with_change(set_in(["nodes", 0, "name"], [])).replace(
        '"name": []', '"name": ' + "[" * 500 + "]" * 500, 1),
                  "name must be"),
    "huge nesting": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "leaf extra key": (with_change(set_in(["nodes", 0, "value"], 1.0)), "unknown key 'value'"),
    "constant no value": (with_change(lambda d: d["nodes"].__setitem__(
        next(i for i, n in enumerate(d["nodes"]) if n["type"] == "Constant"),
        {"type": "Constant"})), "missing key 'value'"),
    "unused node": (with_change(lambda d: d["nodes"].insert(LAST, {"type": "Input", "name": "z"})),
                    f"node {LAST}: is not used"),
    "params not list": (with_change(set_in(["params"], {"w11": 1.0})), "params: must be a list"),
    "param of input": (with_change(set_in(["params", 0, "node"], AN_INPUT)), "not a Parameter"),
    "param twice": (with_change(lambda d: d["params"].append(copy.deepcopy(d["params"][0]))),
                    "given a value twice"),
    "param value text": (with_change(set_in(["params", 0, "value"], "0.5")),
                         "expected a number, got '0.5'"),
    "param value null": (with_change(set_in(["params", 0, "value"], None)), "expected a number"),
    "param value bool": (with_change(set_in(["params", 0, "value"], True)), "expected a number"),
    "NaN literal": (VALID.replace('"value": ', '"value": NaN, "x": ', 1), "NaN is not allowed"),
    "Infinity literal": (VALID.replace('"value": ', '"value": -Infinity, "x": ', 1),
                         "-Infinity is not allowed"),
    "overflowing float": (with_change(set_in(["params", 0, "value"], 0.5)).replace(
        "0.5", "1e999", 1), "out of the float64 range"),
    "overflowing int": (with_change(set_in(["params", 0, "value"], 10**400)),
                        "out of the float64 range"),
    "bad nan bits": (with_change(set_in(["params", 0, "value"], "nan:3ff0000000000000")),
                     "expected a number"),
    "array bad dtype": (with_change(set_in(["params", 0, "value"], {
        "dtype": "object", "shape": [1], "data": [1.0]})), 'dtype must be "float64"'),
    "array shape mismatch": (with_change(set_in(["params", 0, "value"], {
        "dtype": "float64", "shape": [2, 3], "data": [1.0]})), "needs 6 numbers, the data has 1"),
    "array huge shape": (with_change(set_in(["params", 0, "value"], {
        "dtype": "float64", "shape": [10**12, 10**12], "data": []})), "needs 1000000000000"),
    "array absurd empty shape": (with_change(set_in(["params", 0, "value"], {
        "dtype": "float64", "shape": [2**62, 2**62, 0], "data": []})), "is not usable"),
    "array negative shape": (with_change(set_in(["params", 0, "value"], {
        "dtype": "float64", "shape": [-1], "data": []})), "sizes >= 0"),
    "array nested data": (with_change(set_in(["params", 0, "value"], {
        "dtype": "float64", "shape": [1], "data": [[1.0]]})), "expected a number"),
    "array extra key": (with_change(set_in(["params", 0, "value"], {
        "dtype": "float64", "shape": [], "data": [1.0], "__reduce__": "os.system"})),
        "unknown key '__reduce__'"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_raises_value_error_saying_what_is_wrong(name):
    """Each hostile or corrupted file raises ValueError whose message names the fault."""
    text, words = HOSTILE[name]
    with pytest.raises(ValueError) as caught:
        loads(text)
    assert words in str(caught.value)


def test_every_truncation_raises_value_error():
    """Cutting the file anywhere before its end raises ValueError."""
    for end in range(0, len(VALID), max(1, len(VALID) // 400)):
        with pytest.raises(ValueError, match="invalid JSON"):
            loads(VALID[:end])


def test_not_utf8_file_raises_value_error(tmp_path):
    """Binary garbage on disk raises ValueError naming the file."""
    path = tmp_path / "garbage.json"
    path.write_bytes(b"\xff\xfe\x00{" * 10)
    with pytest.raises(ValueError, match=r"garbage.json: not an exprdiff file \(not UTF-8"):
        load(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_characters_give_a_model_or_value_error(data):
    """Replacing, deleting or inserting characters gives a valid model or ValueError, never more."""
    text = VALID
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text) - 1))
        piece = data.draw(st.sampled_from(['"', "[", "]", "{", "}", ",", ":", "-", "0", "9",
                                           "e", "n", "1e400", "null", "true", "", "\\", "\x00"]))
        cut = data.draw(st.integers(0, 2))
        text = text[:position] + piece + text[position + cut:]
    loads_or_value_error(text)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=8) | st.sampled_from(["nan", "inf", "Add", "Parameter", "float64"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["type", "name", "value", "operands", "dtype", "shape", "data", "x"]),
        children, max_size=3),
    max_leaves=6,
)


def _paths(document, prefix=()):
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            yield from _paths(value, (*prefix, i))


PATHS = [path for path in _paths(DOCUMENT) if path]


@settings(max_examples=200, deadline=None)
@given(path=st.sampled_from(PATHS), value=JSON_VALUES)
def test_replaced_parts_give_a_model_or_value_error(path, value):
    """Replacing any part of the document by any JSON value gives a model or ValueError."""
    loads_or_value_error(json.dumps(with_change_at(path, value)))


def with_change_at(path, value):
    document = copy.deepcopy(DOCUMENT)
    set_in(list(path), value)(document)
    return document


@settings(max_examples=100, deadline=None)
@given(path=st.sampled_from([p for p in PATHS if p[0] == "nodes" and len(p) == 3
                             and p[2] == "operands"]),
       operands=st.lists(st.integers(-5, 200), min_size=0, max_size=3))
def test_rewired_operands_load_only_as_acyclic_graphs(path, operands):
    """Random operand indices either form a valid earlier-only wiring or raise ValueError."""
    loads_or_value_error(json.dumps(with_change_at(path, operands)))


# -- issue 11.10: every setting is validated when the file is loaded --------------------------
def _settings_document():
    """A model with every kind of setting: Clip bounds, reduction axes and transpose axes."""
    from exprdiff import Clip, Input, LogSumExp, Sum, Transpose

    x = Input("x")
    model = Clip(LogSumExp(Sum(Transpose(x, axes=(2, 0, 1)), axis=0), axis=-1), -1.0, 5.0)
    return json.loads(dumps(model))


def _with_setting(op, key, value):
    document = _settings_document()
    entry = next(node for node in document["nodes"] if node["type"] == op)
    entry["settings"][key] = value
    return json.dumps(document)


@pytest.mark.parametrize("op, key, value, words", [
    ("Clip", "low", -(10**400), "Clip: low -10000"),             # was OverflowError
    ("Clip", "high", "5", "Clip: high must be a real number, got '5'"),
    ("Clip", "low", True, "Clip: low must be a real number, got True"),
    ("Sum", "axis", 2**63, "Sum: axis 9223372036854775808 is out of range"),  # failed at evaluation
    ("LogSumExp", "axis", 2**63, "LogSumExp: axis 9223372036854775808 is out of range"),
    ("Sum", "axis", [0, 0], "Sum: axis (0, 0) names an axis twice"),
    ("Transpose", "axes", [0, 0, 1], "Transpose: axes must be a permutation"),
    ("Transpose", "axes", [2**63, 0, 1], "Transpose: axes (9223372036854775808, 0, 1) is out of range"),
    ("Sum", "axis", 1.5, "Sum: axis must be None, an int or a tuple of ints"),
])
def test_bad_settings_are_refused_when_loading(op, key, value, words):
    """A setting of the wrong type or beyond its range is a ValueError naming node and setting."""
    with pytest.raises(ValueError, match=r"node \d+ \(" + op + r"\): cannot be built") as caught:
        loads(_with_setting(op, key, value))
    assert words in str(caught.value)


@settings(max_examples=150, deadline=None)
@given(op_key=st.sampled_from([("Clip", "low"), ("Clip", "high"), ("Sum", "axis"),
                               ("LogSumExp", "axis"), ("Transpose", "axes")]),
       value=JSON_VALUES | st.integers(-(2**80), 2**80) | st.lists(st.integers(-(2**66), 2**66), max_size=4))
def test_any_setting_loads_to_a_model_that_evaluates_or_explains(op_key, value):
    """Whatever a setting holds, loading gives ValueError or a model whose evaluation gives a
    value or a ValueError/TypeError naming the operation: never OverflowError or a NumPy error."""
    import numpy as np

    try:
        model, _ = loads(_with_setting(*op_key, value))
    except ValueError:
        return
    x = next(node for node in model_leaves(model) if node.label == "x")
    try:
        model({}, {x: np.ones((2, 3, 4))})
    except (ValueError, TypeError) as error:
        assert str(error).split(" ")[0] in {"Clip", "LogSumExp", "Sum", "Transpose"}, error


def model_leaves(model):
    from exprdiff import topological_order

    return [node for node in topological_order(model) if not node.children]
