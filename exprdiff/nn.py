"""Neural-network builders: expressions of layers, with seeded initial parameters.

Two styles build the same networks:

* the scalar style of the "from scratch" tutorials, `Neuron`, `Layer` and
  `MLP`: one scalar `Parameter` per weight and one node per product, readable
  and drawable weight by weight;
* the dense style, `DenseLayer` and `DenseMLP`: one matrix `Parameter` per
  layer and a `MatMul`, for speed.

Every builder takes `Input` node(s) and returns a `Model`, the pair
``(output, params)``: the expression and a dict of initial values for its
parameters, which are named by position (``layer0.w`` in the dense style,
``layer0.neuron3.w1`` in the scalar one).  Weights are drawn from a seeded
NumPy Generator, He-normal for ReLU layers and Xavier (Glorot) uniform
otherwise, biases start at zero; for the same sizes and seed both styles
draw the same numbers (``layer0.w[i, j]`` is ``layer0.neuron{j}.w{i}``).

>>> import numpy as np
>>> from exprdiff import Input
>>> x = Input("x")
>>> model, params = DenseMLP(x, 2, [16, 16, 1], seed=0)
>>> print(model)
relu(relu(x @ layer0.w + layer0.b) @ layer1.w + layer1.b) @ layer2.w + layer2.b
>>> model(params, {x: np.zeros((5, 2))}).shape
(5,)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce
from operator import add
from typing import NamedTuple

import numpy as np

from exprdiff.core.nodes import Node, Parameter, as_node
from exprdiff.ops import ReLU, Sigmoid, Tanh

__all__ = ["ACTIVATIONS", "DenseLayer", "DenseMLP", "Layer", "MLP", "Model", "Neuron"]

#: activation names and the operations they apply ("linear" applies none)
ACTIVATIONS: dict[str, Callable[[Node], Node]] = {
    "linear": lambda z: z,
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
}
_INITS = ("auto", "he", "xavier")

Activation = str | Callable[[Node], Node]
Seed = int | np.random.Generator | None


class Model(NamedTuple):
    """What a builder returns: the output expression(s) and the initial parameter values.

    >>> from exprdiff import Input
    >>> output, params = Neuron([Input("x")], "linear", seed=0)
    >>> sorted(p.name for p in params)
    ['neuron.b', 'neuron.w0']
    """

    output: Node | list[Node]
    params: dict


def _activation(activation: Activation) -> Callable[[Node], Node]:
    if callable(activation):
        return activation
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {activation!r}; use one of {sorted(ACTIVATIONS)} or a callable"
        ) from None


def _weights(rng: np.random.Generator, fan_in: int, fan_out: int, activation: Activation,
             init: str) -> np.ndarray:
    """A (fan_in, fan_out) matrix: He-normal for ReLU, Xavier-uniform otherwise."""
    if init not in _INITS:
        raise ValueError(f"unknown init {init!r}; use one of {list(_INITS)}")
    if init == "he" or (init == "auto" and activation == "relu"):
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def _check_size(what: str, size: object) -> int:
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"{what} must be a positive int, got {size!r}")
    return int(size)


def _check_layers(builder: str, sizes: Sequence[int], *activations: Activation) -> list[int]:
    """An MLP's layer sizes, checked, after checking its activations."""
    for activation in activations:
        _activation(activation)
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(f"{builder} takes a list of layer sizes such as [16, 16, 1], got {sizes!r}")
    checked = [_check_size("each layer size", size) for size in sizes]
    if not checked:
        raise ValueError(f"{builder} needs at least one layer size")
    return checked


def _check_inputs(inputs: object) -> list[Node]:
    if isinstance(inputs, Node) or not isinstance(inputs, Sequence) or not inputs:
        raise TypeError(
            "the scalar-style builders take a non-empty list of nodes, one per input feature, "
            f"got {inputs!r} (for one node holding all features use DenseMLP)"
        )
    return [as_node(node) for node in inputs]


# -- scalar style -------------------------------------------------------------------
def _neuron(inputs: list[Node], weights: np.ndarray, activation: Activation, name: str,
            params: dict) -> Node:
    terms = []
    for i, (x, value) in enumerate(zip(inputs, weights)):
        w = Parameter(f"{name}.w{i}")
        params[w] = float(value)
        terms.append(w * x)
    b = Parameter(f"{name}.b")
    params[b] = 0.0
    return _activation(activation)(reduce(add, terms) + b)


def Neuron(inputs: Sequence[Node], activation: Activation = "relu", *, name: str = "neuron",
           init: str = "auto", seed: Seed = 0) -> Model:
    """One neuron ``activation(w0*x0 + w1*x1 + ... + b)`` of scalar Parameters.

    >>> from exprdiff import Input
    >>> x0, x1 = Input("x0"), Input("x1")
    >>> out, params = Neuron([x0, x1], "tanh", name="n")
    >>> print(out)
    tanh(n.w0*x0 + n.w1*x1 + n.b)
    >>> out(params, {x0: 0.0, x1: 0.0})
    0.0
    """
    inputs = _check_inputs(inputs)
    _activation(activation)
    weights = _weights(np.random.default_rng(seed), len(inputs), 1, activation, init)[:, 0]
    params: dict = {}
    return Model(_neuron(inputs, weights, activation, name, params), params)


def _layer(inputs: list[Node], weights: np.ndarray, activation: Activation, name: str,
           params: dict) -> list[Node]:
    return [_neuron(inputs, weights[:, j], activation, f"{name}.neuron{j}", params)
            for j in range(weights.shape[1])]


def Layer(inputs: Sequence[Node], size: int, activation: Activation = "relu", *,
          name: str = "layer0", init: str = "auto", seed: Seed = 0) -> Model:
    """``size`` scalar-style neurons reading the same inputs; the output is a list of nodes.

    >>> from exprdiff import Input
    >>> outputs, params = Layer([Input("x0"), Input("x1")], 3)
    >>> len(outputs), len(params)
    (3, 9)
    >>> print(outputs[2])
    relu(layer0.neuron2.w0*x0 + layer0.neuron2.w1*x1 + layer0.neuron2.b)
    """
    inputs = _check_inputs(inputs)
    size = _check_size("size", size)
    _activation(activation)
    weights = _weights(np.random.default_rng(seed), len(inputs), size, activation, init)
    params: dict = {}
    return Model(_layer(inputs, weights, activation, name, params), params)


def MLP(inputs: Sequence[Node], sizes: Sequence[int], activation: Activation = "relu", *,
        output_activation: Activation = "linear", init: str = "auto", seed: Seed = 0) -> Model:
    """A multi-layer perceptron of scalar Parameters, one node per weight (micrograd's style).

    ``sizes`` lists the layer widths, the last being the number of outputs;
    hidden layers use ``activation`` and the last ``output_activation``.
    With one output the model is that node, otherwise a list of nodes.

    >>> import numpy as np
    >>> from exprdiff import Input
    >>> x0, x1 = Input("x0"), Input("x1")
    >>> score, params = MLP([x0, x1], [16, 16, 1])
    >>> len(params)
    337
    >>> score(params, {x0: np.zeros(4), x1: np.zeros(4)})
    array([0., 0., 0., 0.])
    """
    nodes = _check_inputs(inputs)
    sizes = _check_layers("MLP", sizes, activation, output_activation)
    rng = np.random.default_rng(seed)
    params: dict = {}
    for k, size in enumerate(sizes):
        act = output_activation if k == len(sizes) - 1 else activation
        weights = _weights(rng, len(nodes), size, act, init)
        nodes = _layer(nodes, weights, act, f"layer{k}", params)
    return Model(nodes[0] if len(nodes) == 1 else nodes, params)


# -- dense style ----------------------------------------------------------------------
def DenseLayer(x: Node, n_in: int, n_out: int, activation: Activation = "relu", *,
               name: str = "layer0", init: str = "auto", seed: Seed = 0) -> Model:
    """``activation(x @ w + b)`` with ``w`` of shape (n_in, n_out) and ``b`` of shape (n_out,).

    ``x`` holds one sample of shape (n_in,) or a batch of shape (batch, n_in).

    >>> import numpy as np
    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> layer, params = DenseLayer(x, 3, 2, "tanh", name="hidden")
    >>> {p.name: v.shape for p, v in params.items()}
    {'hidden.w': (3, 2), 'hidden.b': (2,)}
    >>> layer(params, {x: np.ones((4, 3))}).shape
    (4, 2)
    """
    n_in, n_out = _check_size("n_in", n_in), _check_size("n_out", n_out)
    weights = _weights(np.random.default_rng(seed), n_in, n_out, activation, init)
    params: dict = {}
    return Model(_dense(as_node(x), weights, activation, name, params), params)


def _dense(x: Node, weights: np.ndarray, activation: Activation, name: str,
           params: dict) -> Node:
    apply = _activation(activation)
    w, b = Parameter(f"{name}.w"), Parameter(f"{name}.b")
    params[w] = weights
    params[b] = np.zeros(weights.shape[1:]) if weights.ndim == 2 else 0.0
    return apply(x @ w + b)


def DenseMLP(x: Node, n_in: int, sizes: Sequence[int], activation: Activation = "relu", *,
             output_activation: Activation = "linear", init: str = "auto",
             seed: Seed = 0) -> Model:
    """A multi-layer perceptron of matrix Parameters: ``x @ w + b`` per layer.

    ``x`` holds a batch of shape (batch, n_in) (or one sample of shape (n_in,)).
    With a last layer of size 1, its weight is a vector and its bias a
    scalar, so the model gives one score per sample, shape (batch,), which
    lines up with a label vector of shape (batch,).

    >>> import numpy as np
    >>> from exprdiff import Input
    >>> x = Input("x")
    >>> logits, params = DenseMLP(x, 64, [64, 10], "tanh", seed=0)
    >>> logits(params, {x: np.ones((3, 64))}).shape
    (3, 10)
    """
    n_in = _check_size("n_in", n_in)
    sizes = _check_layers("DenseMLP", sizes, activation, output_activation)
    rng = np.random.default_rng(seed)
    params: dict = {}
    node, fan_in = as_node(x), n_in
    for k, size in enumerate(sizes):
        last = k == len(sizes) - 1
        act = output_activation if last else activation
        weights = _weights(rng, fan_in, size, act, init)
        if last and size == 1:
            weights = weights[:, 0]
        node = _dense(node, weights, act, f"layer{k}", params)
        fan_in = size
    return Model(node, params)
