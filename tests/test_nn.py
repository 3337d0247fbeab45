"""Network builders: the scalar and dense styles agree, initialisation, naming and errors."""

import gc
import weakref

import numpy as np
import pytest

from exprdiff import Input, MatMul, Parameter, ReLU, Sigmoid, Tanh
from exprdiff.losses import hinge, l2_penalty, softmax_cross_entropy
from exprdiff.nn import ACTIVATIONS, MLP, DenseLayer, DenseMLP, Layer, Model, Neuron
from exprdiff.symbolic.finite_differences import numeric_grad

RNG = np.random.default_rng(5)


def scalar_name(dense_name: str, position: tuple) -> str:
    """The scalar-style name of one entry of a dense parameter (layer0.w[i, j] -> w{i} of neuron j)."""
    layer, kind = dense_name.split(".")
    if kind == "w":
        i, j = position if len(position) == 2 else (position[0], 0)
        return f"{layer}.neuron{j}.w{i}"
    return f"{layer}.neuron{position[0] if position else 0}.b"


def by_name(params: dict) -> dict:
    return {p.name: v for p, v in params.items()}


def test_same_seed_gives_the_same_weights_in_both_styles():
    """For the same sizes and seed, layer0.w[i, j] is layer0.neuron{j}.w{i}, and so on."""
    dense_model, dense = DenseMLP(Input("x"), 3, [4, 5, 1], "tanh", seed=11)
    scalar_model, scalar = MLP([Input(f"x{i}") for i in range(3)], [4, 5, 1], "tanh", seed=11)
    scalar = by_name(scalar)
    assert len(scalar) == sum(np.size(v) for v in dense.values()) == 3 * 4 + 4 + 4 * 5 + 5 + 5 + 1
    for param, value in dense.items():
        for position in np.ndindex(np.shape(value)):
            assert scalar[scalar_name(param.name, position)] == np.asarray(value)[position]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_dense_gradients_equal_the_scalar_network(activation):
    """The dense MLP's gradients equal the same network built from scalar nodes, weight by weight."""
    X, labels = RNG.normal(size=(20, 2)), RNG.choice([-1.0, 1.0], size=20)
    x, y = Input("x"), Input("y")
    columns = [Input("x0"), Input("x1")]
    dense_score, dense = DenseMLP(x, 2, [6, 5, 1], activation, seed=3)
    scalar_score, scalar = MLP(columns, [6, 5, 1], activation, seed=3)
    # nudge the biases away from zero so that they matter
    dense = {p: v + 0.1 for p, v in dense.items()}
    scalar = {p: v + 0.1 for p, v in scalar.items()}
    dense_loss = hinge(dense_score, y, reduction="mean") + l2_penalty(dense, 1e-3)
    scalar_loss = hinge(scalar_score, y, reduction="mean") + l2_penalty(scalar, 1e-3)
    dense_inputs = {x: X, y: labels}
    scalar_inputs = {columns[0]: X[:, 0], columns[1]: X[:, 1], y: labels}
    assert dense_loss(dense, dense_inputs) == pytest.approx(scalar_loss(scalar, scalar_inputs))
    dense_grads = dense_loss.grad(dense, dense_inputs)
    scalar_grads = by_name(scalar_loss.grad(scalar, scalar_inputs))
    for param, grad in dense_grads.items():
        assert np.shape(grad) == np.shape(dense[param])
        for position in np.ndindex(np.shape(grad)):
            expected = scalar_grads[scalar_name(param.name, position)]
            assert np.asarray(grad)[position] == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_dense_multi_output_gradients_match_scalar_and_differences():
    """A 10-class dense MLP under softmax cross-entropy matches the scalar network and differences."""
    X, labels = RNG.normal(size=(8, 3)), RNG.integers(0, 4, size=8)
    x, y = Input("x"), Input("y")
    logits, dense = DenseMLP(x, 3, [5, 4], "tanh", seed=2)
    loss = softmax_cross_entropy(logits, y)
    grads = loss.grad(dense, {x: X, y: labels})
    approx = numeric_grad(loss, dense, {x: X, y: labels})
    for param in dense:
        np.testing.assert_allclose(grads[param], approx[param], rtol=1e-5, atol=1e-8)
    columns = [Input(f"x{i}") for i in range(3)]
    outputs, scalar = MLP(columns, [5, 4], "tanh", seed=2)
    assert isinstance(outputs, list) and len(outputs) == 4
    inputs = {c: X[:, i] for i, c in enumerate(columns)}
    values = np.column_stack([out(scalar, inputs) for out in outputs])
    np.testing.assert_allclose(values, logits(dense, {x: X}), rtol=1e-12)


def test_scalar_mlp_size_and_names():
    """MLP([x0, x1], [16, 16, 1]) has 337 scalar parameters named by position."""
    model, params = MLP([Input("x0"), Input("x1")], [16, 16, 1])
    assert len(params) == 337 and all(type(v) is float for v in params.values())
    names = {p.name for p in params}
    assert {"layer0.neuron0.w0", "layer0.neuron15.w1", "layer1.neuron3.w15", "layer2.neuron0.b"} <= names
    assert not any(name.startswith("layer3") for name in names)
    assert str(model).startswith("layer2.neuron0.w0*relu(layer1.neuron0.w0*relu(")


def test_dense_names_and_shapes():
    """Dense parameters are layerK.w (fan_in, fan_out) and layerK.b; a size-1 output is a vector."""
    x = Input("x")
    model, params = DenseMLP(x, 2, [16, 16, 1])
    shapes = {p.name: np.shape(v) for p, v in params.items()}
    assert shapes == {"layer0.w": (2, 16), "layer0.b": (16,), "layer1.w": (16, 16),
                      "layer1.b": (16,), "layer2.w": (16,), "layer2.b": ()}
    assert model(params, {x: RNG.normal(size=(7, 2))}).shape == (7,)
    assert np.ndim(model(params, {x: RNG.normal(size=2)})) == 0  # one sample, one score
    assert isinstance(model.lhs, MatMul)


def test_initialisation_is_he_for_relu_and_xavier_otherwise():
    """He-normal weights have std sqrt(2/fan_in); Xavier-uniform stay within sqrt(6/(in+out))."""
    _, he = DenseLayer(Input("x"), 400, 300, "relu", seed=0)
    _, xavier = DenseLayer(Input("x"), 400, 300, "tanh", seed=0)
    he_w, xavier_w = (next(v for p, v in ps.items() if p.name.endswith(".w")) for ps in (he, xavier))
    assert he_w.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert abs(he_w.mean()) < 0.01
    limit = np.sqrt(6 / 700)
    assert np.abs(xavier_w).max() <= limit and np.abs(xavier_w).max() > 0.99 * limit
    assert xavier_w.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)
    for params in (he, xavier):
        biases = [v for p, v in params.items() if p.name.endswith(".b")]
        assert all(np.all(b == 0) for b in biases)
    _, forced = DenseLayer(Input("x"), 400, 300, "tanh", init="he", seed=0)
    np.testing.assert_array_equal(next(iter(forced.values())), he_w)


def test_seeds_are_reproducible():
    """The same seed gives the same parameters; another seed, others; a Generator is accepted."""
    x = Input("x")
    first = list(DenseMLP(x, 2, [3, 1], seed=4).params.values())
    again = list(DenseMLP(x, 2, [3, 1], seed=4).params.values())
    other = list(DenseMLP(x, 2, [3, 1], seed=5).params.values())
    generator = list(DenseMLP(x, 2, [3, 1], seed=np.random.default_rng(4)).params.values())
    for a, b, c in zip(first, again, generator):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("name, reference", [
    ("relu", lambda z: np.maximum(z, 0)), ("tanh", np.tanh),
    ("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("linear", lambda z: z),
])
def test_activations_apply(name, reference):
    """Each named activation is applied to x @ w + b, in both styles."""
    x = Input("x")
    layer, params = DenseLayer(x, 3, 4, name, name="h", seed=1)
    w, b = (params[p] for p in params)
    X = RNG.normal(size=(5, 3))
    np.testing.assert_allclose(layer(params, {x: X}), reference(X @ w + b))
    xs = [Input(f"x{i}") for i in range(3)]
    outputs, scalar = Layer(xs, 4, name, name="h", seed=1)
    np.testing.assert_allclose(outputs[2](scalar, {xi: X[:, i] for i, xi in enumerate(xs)}),
                               reference(X @ w + b)[:, 2])
    assert set(ACTIVATIONS) == {"relu", "tanh", "sigmoid", "linear"}


def test_activation_classes_and_callables():
    """Hidden layers use the activation's op; a callable works as an activation."""
    x = Input("x")
    assert isinstance(DenseMLP(x, 2, [3, 1], "tanh").output.lhs.lhs, Tanh)
    assert isinstance(DenseMLP(x, 2, [3, 1], "relu", output_activation="sigmoid").output, Sigmoid)
    square, params = Neuron([x], lambda z: z * z, seed=0)
    w, b = params
    assert square(params, {x: 3.0}) == pytest.approx((3.0 * params[w] + params[b]) ** 2)


def test_neuron_builder():
    """A neuron is activation(sum of w_i x_i + b), with its own names and a Model result."""
    x0, x1 = Input("x0"), Input("x1")
    result = Neuron([x0, x1], "relu", name="n", seed=0)
    assert isinstance(result, Model) and isinstance(result.output, ReLU)
    assert str(result.output) == "relu(n.w0*x0 + n.w1*x1 + n.b)"
    assert [p.name for p in result.params] == ["n.w0", "n.w1", "n.b"]


@pytest.mark.parametrize("call, error, message", [
    (lambda: MLP([Input("x")], [3], "softsign"), ValueError,
     r"unknown activation 'softsign'; use one of \['linear', 'relu', 'sigmoid', 'tanh'\]"),
    (lambda: DenseMLP(Input("x"), 2, [3, 0]), ValueError, r"each layer size must be a positive int, got 0"),
    (lambda: DenseMLP(Input("x"), 2, []), ValueError, r"DenseMLP needs at least one layer size"),
    (lambda: MLP([Input("x")], []), ValueError, r"MLP needs at least one layer size"),
    (lambda: DenseMLP(Input("x"), 2, 16), TypeError, r"DenseMLP takes a list of layer sizes"),
    (lambda: DenseLayer(Input("x"), 2.5, 3), ValueError, r"n_in must be a positive int, got 2.5"),
    (lambda: Layer([Input("x")], True), ValueError, r"size must be a positive int, got True"),
    (lambda: MLP(Input("x"), [3]), TypeError, r"non-empty list of nodes.*use DenseMLP"),
    (lambda: Neuron([], "relu"), TypeError, r"non-empty list of nodes"),
    (lambda: DenseLayer(Input("x"), 2, 3, init="lecun"), ValueError, r"unknown init 'lecun'"),
])
def test_builder_errors_name_the_problem(call, error, message):
    """Bad sizes, activations, inits or inputs raise at build time, naming what is wrong."""
    with pytest.raises(error, match=message):
        call()


def test_wrong_feature_count_fails_at_evaluation_naming_shapes():
    """A (3, 16) weight applied to 5 features raises ValueError naming MatMul and both shapes."""
    x = Input("x")
    model, params = DenseMLP(x, 3, [16, 1])
    with pytest.raises(ValueError, match=r"MatMul \(x @ layer0.w\).*\(10, 5\) and \(3, 16\)"):
        model(params, {x: np.ones((10, 5))})


def test_models_hold_no_reference_cycles():
    """A built and evaluated network is freed by reference counting alone."""
    gc.disable()
    try:
        x0, x1 = Input("x0"), Input("x1")
        model, params = MLP([x0, x1], [4, 1])
        model.grad(params, {x0: np.ones(3), x1: np.ones(3)})
        alive = weakref.ref(model)
        del model
        assert alive() is None
    finally:
        gc.enable()


def test_parameters_are_parameter_nodes():
    """Every key of a params dict is a Parameter occurring in the model."""
    x = Input("x")
    model, params = DenseMLP(x, 2, [3, 2])
    assert all(isinstance(p, Parameter) for p in params)
    assert set(model.grad(params, {x: np.ones((1, 2))})) == set(params)
