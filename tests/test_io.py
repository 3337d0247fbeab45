"""save/load round trips: structure, sharing, names, settings and values bit for bit."""

import json
import os

import numpy as np
import pytest
from _models import Cube, assert_same_graph, every_op_params, same_bits, trained_xor
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from exprdiff import Constant, Input, Parameter, Sin, UnaryOp, load, save, topological_order
from exprdiff.core.interpreter import evaluate
from exprdiff.keep.serialization import FORMAT_VERSION, dumps, loads


def round_trip(tmp_path, expr, params=None, **options):
    path = tmp_path / "model.json"
    save(path, expr, params)
    return load(path, **options)


@pytest.mark.parametrize("name, expr, params, inputs", every_op_params())
def test_every_op_round_trips(tmp_path, name, expr, params, inputs):
    """Each built-in op loads back as the same graph with the same value and gradient."""
    loaded, loaded_params = round_trip(tmp_path, expr, params)
    assert_same_graph(expr, loaded)
    by_name = {node.label: node for node in topological_order(loaded) if not node.children
               and not isinstance(node, Constant)}
    new_inputs = {by_name[x.label]: value for x, value in inputs.items()}
    assert loaded(loaded_params, new_inputs) == expr(params, inputs)
    assert list(loaded.grad(loaded_params, new_inputs).values()) == \
        list(expr.grad(params, inputs).values())


def test_trained_xor_network_round_trips_exactly(tmp_path):
    """The trained XOR network's structure, parameters and predictions come back exactly."""
    net = trained_xor()
    loaded, params = round_trip(tmp_path, net["output"], net["params"])
    assert_same_graph(net["output"], loaded)
    old = {param.name: value for param, value in net["params"].items()}
    new = {param.name: value for param, value in params.items()}
    assert old.keys() == new.keys()
    assert all(same_bits(old[name], new[name]) for name in old)
    x1, x2 = (node for node in topological_order(loaded) if isinstance(node, Input))
    data = net["data"]
    # both interpreted: the original has run compiled code many times, whose plain floats may
    # differ from NumPy in the last bits (see docs/compiled.md); the round trip is exact
    predictions = evaluate(loaded, params, {x1: data[net["x1"]], x2: data[net["x2"]]})
    assert np.array_equal(predictions, evaluate(net["output"], net["params"], data))
    assert np.array_equal(np.round(predictions), [0.0, 1.0, 1.0, 0.0])


def test_loaded_parameters_are_the_keys_of_the_loaded_params(tmp_path):
    """The Parameter nodes in the loaded expression are the very keys of the params dict."""
    net = trained_xor()
    loaded, params = round_trip(tmp_path, net["loss"], net["params"])
    in_graph = [node for node in topological_order(loaded) if isinstance(node, Parameter)]
    assert set(in_graph) == set(params)
    assert loaded.grad(params, {n: 0.0 for n in topological_order(loaded)
                                if isinstance(n, Input)}).keys() == params.keys()


def test_sharing_is_kept(tmp_path):
    """A heavily shared DAG is saved as its distinct nodes and loads with the same sharing."""
    w = Parameter("w")
    node = w
    for _ in range(60):
        node = node * node + node  # 2**60 paths, 121 distinct nodes
    loaded, params = round_trip(tmp_path, node, {w: 0.01})
    assert len(json.loads((tmp_path / "model.json").read_text())["nodes"]) == 121
    assert_same_graph(node, loaded)
    assert loaded(params) == node({w: 0.01})


@settings(max_examples=60, deadline=None)
@given(value=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                        elements=st.floats(allow_nan=True, allow_infinity=True, width=64)))
def test_array_values_round_trip_bit_for_bit(value):
    """Any float64 array (NaN payloads, infinities, -0.0, subnormals) round-trips exactly."""
    w = Parameter("w")
    constant = Constant(value)
    loaded, params = loads(dumps(w * constant, {w: value}))
    (loaded_w,) = params
    assert same_bits(params[loaded_w], value)
    assert same_bits(loaded.rhs.value, constant.value)
    assert type(params[loaded_w]) is (float if value.ndim == 0 else np.ndarray)


def test_scalar_special_values_round_trip():
    """Scalars -0.0, inf, -inf, nan, a NaN with payload and 5e-324 keep their bits."""
    payload_nan = np.frombuffer(np.uint64(0xFFF4000000000001).tobytes(), np.float64)[0]
    for value in [-0.0, np.inf, -np.inf, np.nan, float(payload_nan), 5e-324, 0.1]:
        w = Parameter("w")
        _, params = loads(dumps(w, {w: value}))
        assert same_bits(list(params.values())[0], value)


def test_unnamed_leaves_stay_unnamed_and_distinct(tmp_path):
    """Unnamed Parameters load as distinct unnamed Parameters."""
    a, b = Parameter(), Parameter()
    loaded, params = round_trip(tmp_path, a - b, {a: 1.0, b: 3.0})
    assert loaded.lhs.name is None and loaded.rhs.name is None
    assert loaded.lhs is not loaded.rhs
    assert loaded(params) == -2.0


def test_params_are_optional(tmp_path):
    """Without params the file loads with an empty params dict."""
    x = Input("x")
    loaded, params = round_trip(tmp_path, Sin(x))
    assert params == {}
    assert str(loaded) == "sin(x)"


def test_file_states_format_and_version(tmp_path):
    """The file is JSON with "format": "exprdiff" and the current version."""
    round_trip(tmp_path, Input("x") + 1)
    document = json.loads((tmp_path / "model.json").read_text())
    assert document["format"] == "exprdiff" and document["version"] == FORMAT_VERSION == 1


class Scale(UnaryOp):
    """A user-defined op with a setting."""

    __slots__ = ("factor", "axes")
    settings = ("factor", "axes")

    def __init__(self, child, factor=1.0, axes=(0,)):
        super().__init__(child)
        object.__setattr__(self, "factor", factor)
        object.__setattr__(self, "axes", axes)

    def forward(self, x):
        return self.factor * x

    def vjp(self, g, x, out):
        return self.factor * g


def test_user_defined_op_loads_only_when_passed(tmp_path):
    """A user op is saved by name; load refuses it by name unless its class is passed."""
    w = Parameter("w")
    save(tmp_path / "cube.json", Cube(w) + 1, {w: 2.0})
    with pytest.raises(ValueError, match=r"node 1 \(Cube\): unknown operation 'Cube'.*ops=\[Cube"):
        load(tmp_path / "cube.json")
    loaded, params = load(tmp_path / "cube.json", ops=[Cube])
    assert type(loaded.lhs) is Cube
    assert loaded(params) == 9.0


def test_user_defined_settings_round_trip(tmp_path):
    """Settings listed by an op class are saved and passed back to its constructor."""
    w = Parameter("w")
    loaded, params = round_trip(tmp_path, Scale(w, factor=2.5, axes=(0, (1, 2))), {w: 2.0},
                                ops=[Scale])
    assert loaded.factor == 2.5 and loaded.axes == (0, (1, 2))
    assert loaded(params) == 5.0


def test_user_op_named_like_a_builtin_is_refused(tmp_path):
    """A user class called Add can neither be saved nor passed to load."""
    Add = type("Add", (Cube,), {"__slots__": ()})
    w = Parameter("w")
    with pytest.raises(ValueError, match=r"'Add'.*taken by exprdiff's built-in Add"):
        save(tmp_path / "x.json", Add(w))
    with pytest.raises(ValueError, match=r"'Add' clashes"):
        load(tmp_path / "x.json", ops=[Add])
    assert not (tmp_path / "x.json").exists()


def test_unsavable_settings_are_refused():
    """A setting that is not JSON-friendly raises TypeError naming the op and the setting."""
    with pytest.raises(TypeError, match=r"Scale setting factor=\(1\+2j\)"):
        dumps(Scale(Parameter("w"), factor=1 + 2j))


def test_params_for_parameters_outside_the_expression_are_refused(tmp_path):
    """A params entry whose Parameter is not in the expression raises ValueError naming it."""
    w, v = Parameter("w"), Parameter("v")
    with pytest.raises(ValueError, match=r"Parameter\('v'\), which does not occur"):
        save(tmp_path / "m.json", w * 2, {w: 1.0, v: 2.0})
    with pytest.raises(TypeError, match=r"Parameter 'w'.*real number"):
        save(tmp_path / "m.json", w * 2, {w: "one"})
    assert list(tmp_path.iterdir()) == []


def test_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    """If writing fails at the rename, the previous file is intact and no temp file remains."""
    w = Parameter("w")
    path = tmp_path / "model.json"
    save(path, w + 1, {w: 1.0})
    before = path.read_bytes()

    def crash(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save(path, w * 5, {w: 2.0})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_save_keeps_the_usual_file_mode(tmp_path):
    """The saved file gets the mode open() would give it, not a temp file's 0600."""
    umask = os.umask(0o022)
    os.umask(umask)
    save(tmp_path / "m.json", Input("x") * 2)
    assert (tmp_path / "m.json").stat().st_mode & 0o777 == 0o666 & ~umask


def test_deep_chain_of_100000_nodes_round_trips(tmp_path):
    """A 100 000-operation chain saves and loads without recursion, value unchanged."""
    w = Parameter("w")
    chain = w
    for _ in range(100_000):
        chain = Sin(chain)
    loaded, params = round_trip(tmp_path, chain, {w: 1.0})
    assert len(topological_order(loaded)) == 100_001
    assert loaded(params) == chain({w: 1.0})
