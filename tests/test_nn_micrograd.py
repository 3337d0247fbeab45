"""The builders accept the articles' calls: MLP(3, [4, 4, 1]), Neuron(2, nonlin=False), ..."""

import copy

import numpy as np
import pytest

from exprdiff import Input, Parameter, ReLU, Tanh, optimize, topological_order
from exprdiff.nn import MLP, DenseMLP, Layer, Model, Neuron

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def test_mlp_from_a_number_of_inputs():
    """MLP(3, [4, 4, 1]) makes Inputs x0..x2 and micrograd's 41 parameters, ReLU hidden
    layers and a linear output."""
    model = MLP(3, [4, 4, 1])
    assert [x.name for x in model.inputs] == ["x0", "x1", "x2"]
    assert all(isinstance(x, Input) for x in model.inputs)
    assert len(model.parameters()) == 41 == 3 * 4 + 4 + 4 * 4 + 4 + 4 + 1
    assert all(isinstance(p, Parameter) for p in model.parameters())
    assert model.parameters() == list(model.params)
    kinds = [type(node).__name__ for node in topological_order(model.output)]
    assert kinds.count("ReLU") == 8 and type(model.output).__name__ == "Add"  # linear output


def test_every_layer_makes_the_all_tanh_network():
    """every_layer="tanh" puts tanh on every layer, the output included (the lecture's net)."""
    model = MLP(3, [4, 4, 1], every_layer="tanh")
    assert isinstance(model.output, Tanh)
    tanhs = [node for node in topological_order(model.output) if isinstance(node, Tanh)]
    assert len(tanhs) == 4 + 4 + 1
    with pytest.raises(ValueError, match=r"every_layer='tanh' together with activation"):
        MLP(3, [4, 1], "relu", every_layer="tanh")


def test_model_called_on_a_list_of_numbers():
    """model([2.0, 3.0, -1.0]) is the output at the model's params with x0, x1, x2 filled in;
    rows give one value per row; other params can be passed."""
    model = MLP(3, [4, 4, 1], every_layer="tanh", seed=3)
    x0, x1, x2 = model.inputs
    expected = model.output(model.params, {x0: 2.0, x1: 3.0, x2: -1.0})
    assert model([2.0, 3.0, -1.0]) == expected and type(model(XS[0])) is float
    np.testing.assert_array_equal(model(XS), [model(x) for x in XS])
    zeros = {p: 0.0 for p in model.params}
    assert model(XS[0], zeros) == 0.0
    assert model.feed(XS[0]) == {x0: 2.0, x1: 3.0, x2: -1.0}


def test_several_outputs_give_a_list():
    """A model of several outputs (a Layer) called on numbers gives a list, as in micrograd."""
    layer = Layer(2, 3, "tanh")
    values = layer([1.0, -1.0])
    assert isinstance(values, list) and len(values) == 3
    assert values == [out(layer.params, layer.feed([1.0, -1.0])) for out in layer.output]


def test_wrong_number_of_features_is_named():
    """Calling with the wrong count of numbers raises ValueError naming the Inputs."""
    with pytest.raises(ValueError, match=r"reads 3 input feature\(s\) \(x0, x1, x2\).*shape \(2,\)"):
        MLP(3, [1])([1.0, 2.0])


def test_dense_model_called_on_a_list():
    """A dense model takes its numbers as the one Input's vector, or rows as a batch."""
    x = Input("x")
    model = DenseMLP(x, 3, [4, 1], "tanh")
    assert model.inputs == (x,)
    assert model(XS[0]) == model.output(model.params, {x: np.array(XS[0])})
    assert model(XS).shape == (4,)


def test_neuron_nonlin_false_is_linear():
    """Neuron(2, nonlin=False) is w0*x0 + w1*x1 + b; nonlin=True keeps the activation."""
    assert str(Neuron(2, nonlin=False).output) == "neuron.w0*x0 + neuron.w1*x1 + neuron.b"
    assert isinstance(Neuron(2, nonlin=True).output, ReLU)
    assert isinstance(Neuron(2, "tanh", nonlin=True).output, Tanh)
    assert str(Layer(2, 2, nonlin=False).output[1]).startswith("layer0.neuron1.w0*x0")
    with pytest.raises(ValueError, match=r"Neuron got activation='tanh' and nonlin=False"):
        Neuron(2, "tanh", nonlin=False)
    with pytest.raises(TypeError, match=r"nonlin must be True or False .*got 'no'"):
        Neuron(2, nonlin="no")


@pytest.mark.parametrize("init, low, high", [("uniform", -1.0, 1.0), ("normal", -5.0, 5.0)])
def test_uniform_and_normal_inits(init, low, high):
    """init="uniform" draws micrograd's uniform(-1, 1) weights, init="normal" a standard
    normal; biases start at 0; same seed, same numbers."""
    model = MLP(20, [30, 1], init=init, seed=4)
    weights = np.array([v for p, v in model.params.items() if not p.name.endswith(".b")])
    biases = [v for p, v in model.params.items() if p.name.endswith(".b")]
    assert low <= weights.min() and weights.max() <= high and biases == [0.0] * 31
    if init == "uniform":
        assert weights.min() < -0.9 and weights.max() > 0.9
        assert abs(weights.mean()) < 0.05 and weights.std() == pytest.approx(1 / np.sqrt(3), 0.05)
    else:
        assert abs(weights.mean()) < 0.1 and weights.std() == pytest.approx(1.0, rel=0.05)
    assert list(MLP(20, [30, 1], init=init, seed=4).params.values()) == list(model.params.values())
    dense = DenseMLP(Input("x"), 20, [30, 1], init=init, seed=4)
    np.testing.assert_array_equal(dense.params[next(iter(dense.params))][:, 0],
                                  [v for p, v in model.params.items()
                                   if p.name.startswith("layer0.neuron0.w")])


def test_the_lecture_training_loop_in_exprdiff():
    """The lecture's loop: MLP(3, [4, 4, 1]) of tanh, summed squared error, 20 steps of
    learning rate 0.05, written with optimize(reduction="sum"); the loss falls."""
    model = MLP(3, [4, 4, 1], every_layer="tanh", init="uniform", seed=0)
    y = Input("y")
    loss = (model.output - y) ** 2
    data = [{**model.feed(x), y: target} for x, target in zip(XS, YS, strict=True)]
    fitted = optimize(loss, model.params, data, epochs=20, learning_rate=0.05, reduction="sum")
    assert fitted.losses[0] == pytest.approx(sum((model(x) - t) ** 2 for x, t in zip(XS, YS)))
    assert fitted.final_loss < fitted.losses[0] / 4
    predictions = [model(x, fitted) for x in XS]
    assert np.sign(predictions).tolist() == YS


def test_model_is_still_the_pair():
    """A Model unpacks as (output, params), indexes, copies and compares as that pair."""
    model = Neuron(2)
    output, params = model
    assert (output, params) == model and model[0] is output and len(model) == 2
    assert isinstance(model, Model) and isinstance(model, tuple)
    clone = copy.copy(model)
    assert clone.inputs == model.inputs and clone.output is output
    assert repr(model) == ("Model(output=relu(neuron.w0*x0 + neuron.w1*x1 + neuron.b), "
                           "3 parameters, inputs=['x0', 'x1'])")


def test_zero_grad_says_there_is_nothing_to_zero():
    """model.zero_grad() raises TypeError saying no gradients are kept; grad returns new dicts."""
    with pytest.raises(TypeError, match=r"zero_grad\(\) has nothing to do.*loss\.grad\(params, "
                                        r"inputs\) returns a new dict each time"):
        MLP(3, [4, 1]).zero_grad()


def test_inputs_of_a_model_built_on_other_nodes():
    """A scalar builder fed inner nodes lists the Inputs found under them."""
    a, b = Input("a"), Input("b")
    model = Neuron([a * 2, b + 1])
    assert model.inputs == (a, b)
    assert model([1.0, 2.0]) == model.output(model.params, {a: 1.0, b: 2.0})
