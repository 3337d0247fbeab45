"""Neural-network builders: expressions of layers, with seeded initial parameters.

Two styles build the same networks:

* the scalar style of the "from scratch" tutorials, `Neuron`, `Layer` and
  `MLP`: one scalar `Parameter` per weight and one node per product, readable
  and drawable weight by weight;
* the dense style, `DenseLayer` and `DenseMLP`: one matrix `Parameter` per
  layer and a `MatMul`, for speed.

Every builder takes `Input` node(s) (the scalar style also takes their
number, as micrograd's ``MLP(3, [4, 4, 1])`` does, and makes Inputs named
``x0``, ``x1``, ...) and returns a `Model`, the pair ``(output, params)``:
the expression and a dict of initial values for its parameters, which are
named by position (``layer0.w`` in the dense style, ``layer0.neuron3.w1`` in
the scalar one).  A Model also knows its Inputs, lists its Parameters
(``model.parameters()``) and evaluates on a list of numbers
(``model([2.0, 3.0, -1.0])``).  Weights are drawn from a seeded NumPy
Generator, He-normal for ReLU layers and Xavier (Glorot) uniform otherwise
(``init="uniform"`` is micrograd's uniform(-1, 1), ``init="normal"`` a
standard normal), biases start at zero; for the same sizes and seed both
styles draw the same numbers (``layer0.w[i, j]`` is ``layer0.neuron{j}.w{i}``).

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

from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from operator import add, itemgetter
from typing import Any, NoReturn

import numpy as np

from exprdiff.core.habits import zero_grad_message
from exprdiff.core.nodes import Input, Node, Parameter, as_node
from exprdiff.core.plan import topological_order
from exprdiff.ops import ReLU, Sigmoid, Tanh

__all__ = ["ACTIVATIONS", "DenseLayer", "DenseMLP", "Layer", "MLP", "Model", "Neuron"]

#: activation names and the operations they apply ("linear" applies none)
ACTIVATIONS: dict[str, Callable[[Node], Node]] = {
    "linear": lambda z: z,
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
}
_INITS = ("auto", "he", "xavier", "uniform", "normal")

Activation = str | Callable[[Node], Node]
Seed = int | np.random.Generator | None


class Model(tuple):
    """What a builder returns: the pair ``(output, params)``, plus the Inputs it reads.

    Unpack it as a pair (``output, params = MLP(...)``) or use its fields:
    ``output``, the expression (a list of nodes for several outputs);
    ``params``, the initial values; ``inputs``, the Inputs in feature order.
    For readers of micrograd it also offers ``parameters()``, the list of
    Parameter nodes, and calling it on a list of numbers, one per input
    feature (or rows of them), which evaluates it at ``params``.

    >>> model = MLP(3, [4, 4, 1], every_layer="tanh")
    >>> len(model.parameters()), [x.name for x in model.inputs]
    (41, ['x0', 'x1', 'x2'])
    >>> round(model([2.0, 3.0, -1.0]), 6)
    0.489102
    >>> output, params = model
    >>> output(params, model.feed([2.0, 3.0, -1.0])) == model([2.0, 3.0, -1.0])
    True
    """

    output = property(itemgetter(0), doc="the output expression (a list for several outputs)")
    params = property(itemgetter(1), doc="the initial parameter values, keyed by Parameter")

    def __new__(cls, output: Node | list[Node], params: dict,
                inputs: Sequence[Node] | None = None, *, stacked: bool = False) -> Model:
        self = super().__new__(cls, (output, params))
        if inputs is None:
            roots = output if isinstance(output, list) else [output]
            seen: dict = {}
            for root in roots:
                seen.update((node, None) for node in topological_order(root)
                            if isinstance(node, Input))
            inputs = list(seen)
        self.__dict__.update(_inputs=tuple(inputs), _stacked=stacked)
        return self

    def __getnewargs_ex__(self) -> tuple:
        return (self.output, self.params, self.inputs), {"stacked": self._stacked}

    def __repr__(self) -> str:
        outputs = self.output if isinstance(self.output, list) else [self.output]
        shown = ", ".join(str(out) if len(str(out)) < 60 else str(out)[:57] + "..."
                          for out in outputs[:2])
        more = ", ..." if len(outputs) > 2 else ""
        return (f"Model(output={shown}{more}, {len(self.params)} parameters, "
                f"inputs={[node.label for node in self.inputs]})")

    @property
    def inputs(self) -> tuple[Node, ...]:
        """The Inputs the model reads, in feature order (one Input for the dense style)."""
        return self._inputs

    def parameters(self) -> list[Parameter]:
        """The Parameter nodes, in order (micrograd's ``model.parameters()``).

        Their values are ``model.params[p]``: nodes hold no ``.data``.

        >>> [p.name for p in Neuron(2, nonlin=False).parameters()]
        ['neuron.w0', 'neuron.w1', 'neuron.b']
        """
        return list(self.params)

    def feed(self, values: object) -> dict:
        """The ``inputs`` dict for ``values``: one number per input feature, or rows of them.

        >>> model = Neuron(2, "tanh")
        >>> model.feed([1.0, -2.0])
        {Input('x0'): 1.0, Input('x1'): -2.0}
        >>> model.feed([[1.0, -2.0], [0.5, 0.0]])
        {Input('x0'): array([1. , 0.5]), Input('x1'): array([-2.,  0.])}
        """
        array = np.asarray(values, dtype=np.float64)
        if self._stacked:
            return {self.inputs[0]: array}
        count = len(self.inputs)
        if array.ndim not in (1, 2) or array.shape[-1] != count:
            names = ", ".join(node.label for node in self.inputs)
            raise ValueError(
                f"the model reads {count} input feature(s) ({names}): give one number per "
                f"feature, or rows of {count}, got shape {array.shape}"
            )
        columns = array.T
        return {node: float(column) if array.ndim == 1 else column
                for node, column in zip(self.inputs, columns, strict=True)}

    def __call__(self, values: object, params: Mapping | None = None) -> Any:
        """The model's value on ``values`` (see `feed`) at ``params`` (default: its own).

        A list of values for a model of several outputs, as in micrograd.

        >>> Neuron(2, nonlin=False, init="uniform", seed=1)([1.0, 1.0])
        0.924570642052384
        """
        inputs = self.feed(values)
        params = self.params if params is None else params
        if isinstance(self.output, list):
            return [out(params, inputs) for out in self.output]
        return self.output(params, inputs)

    def zero_grad(self) -> NoReturn:
        """Raises `TypeError`: nothing to zero, exprdiff keeps no gradients (micrograd habit).

        >>> Neuron(2).zero_grad()
        Traceback (most recent call last):
        ...
        TypeError: zero_grad() has nothing to do in exprdiff: ...
        """
        raise TypeError(zero_grad_message())


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
    """A (fan_in, fan_out) matrix: He-normal for ReLU, Xavier-uniform otherwise, or
    uniform(-1, 1) (micrograd's) or standard normal when asked."""
    if init not in _INITS:
        raise ValueError(f"unknown init {init!r}; use one of {list(_INITS)}")
    if init == "uniform":
        return rng.uniform(-1.0, 1.0, size=(fan_in, fan_out))
    if init == "normal":
        return rng.standard_normal(size=(fan_in, fan_out))
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
    """The scalar style's input nodes; a number of inputs makes Inputs x0, x1, ..."""
    if isinstance(inputs, (int, np.integer)) and not isinstance(inputs, (bool, np.bool_)):
        return [Input(f"x{i}") for i in range(_check_size("the number of inputs", inputs))]
    if isinstance(inputs, Node) or not isinstance(inputs, Sequence) or not inputs:
        raise TypeError(
            "the scalar-style builders take a non-empty list of nodes, one per input feature, "
            f"or their number, got {inputs!r} (for one node holding all features use DenseMLP)"
        )
    return [as_node(node) for node in inputs]


def _model(output: Node | list[Node], params: dict, inputs: list[Node]) -> Model:
    """A scalar-style Model: its inputs are the given nodes when they are all Inputs."""
    known = all(isinstance(node, Input) for node in inputs)
    return Model(output, params, inputs if known else None)


def _nonlinearity(builder: str, activation: Activation | None, nonlin: bool | None,
                  default: Activation = "relu") -> Activation:
    """The activation from ``activation`` and micrograd's ``nonlin`` flag."""
    if nonlin is None:
        return default if activation is None else activation
    if not isinstance(nonlin, (bool, np.bool_)):
        raise TypeError(f"nonlin must be True or False (micrograd's flag), got {nonlin!r}")
    if nonlin:
        return default if activation is None else activation
    if activation not in (None, "linear"):
        raise ValueError(
            f"{builder} got activation={activation!r} and nonlin=False; give one of them "
            "(nonlin=False means activation='linear')"
        )
    return "linear"


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


def Neuron(inputs: Sequence[Node] | int, activation: Activation | None = None, *,
           nonlin: bool | None = None, name: str = "neuron", init: str = "auto",
           seed: Seed = 0) -> Model:
    """One neuron ``activation(w0*x0 + w1*x1 + ... + b)`` of scalar Parameters.

    ``inputs`` is a list of nodes or their number (``Neuron(2)`` makes Inputs
    ``x0`` and ``x1``).  ``activation`` defaults to ReLU; micrograd's
    ``nonlin=False`` makes the neuron linear.

    >>> from exprdiff import Input
    >>> x0, x1 = Input("x0"), Input("x1")
    >>> out, params = Neuron([x0, x1], "tanh", name="n")
    >>> print(out)
    tanh(n.w0*x0 + n.w1*x1 + n.b)
    >>> out(params, {x0: 0.0, x1: 0.0})
    0.0
    >>> print(Neuron(2, nonlin=False).output)
    neuron.w0*x0 + neuron.w1*x1 + neuron.b
    """
    inputs = _check_inputs(inputs)
    activation = _nonlinearity("Neuron", activation, nonlin)
    _activation(activation)
    weights = _weights(np.random.default_rng(seed), len(inputs), 1, activation, init)[:, 0]
    params: dict = {}
    return _model(_neuron(inputs, weights, activation, name, params), params, inputs)


def _layer(inputs: list[Node], weights: np.ndarray, activation: Activation, name: str,
           params: dict) -> list[Node]:
    return [_neuron(inputs, weights[:, j], activation, f"{name}.neuron{j}", params)
            for j in range(weights.shape[1])]


def Layer(inputs: Sequence[Node] | int, size: int, activation: Activation | None = None, *,
          nonlin: bool | None = None, name: str = "layer0", init: str = "auto",
          seed: Seed = 0) -> Model:
    """``size`` scalar-style neurons reading the same inputs; the output is a list of nodes.

    ``inputs`` is a list of nodes or their number; ``activation`` (default
    ReLU) and ``nonlin`` are those of `Neuron`.

    >>> from exprdiff import Input
    >>> outputs, params = Layer([Input("x0"), Input("x1")], 3)
    >>> len(outputs), len(params)
    (3, 9)
    >>> print(outputs[2])
    relu(layer0.neuron2.w0*x0 + layer0.neuron2.w1*x1 + layer0.neuron2.b)
    >>> [round(value, 4) for value in Layer(2, 3, nonlin=False)([1.0, 0.0])]
    [0.3001, -0.5044, -1.0057]
    """
    inputs = _check_inputs(inputs)
    size = _check_size("size", size)
    activation = _nonlinearity("Layer", activation, nonlin)
    _activation(activation)
    weights = _weights(np.random.default_rng(seed), len(inputs), size, activation, init)
    params: dict = {}
    return _model(_layer(inputs, weights, activation, name, params), params, inputs)


def MLP(inputs: Sequence[Node] | int, sizes: Sequence[int], activation: Activation | None = None,
        *, output_activation: Activation | None = None, every_layer: Activation | None = None,
        init: str = "auto", seed: Seed = 0) -> Model:
    """A multi-layer perceptron of scalar Parameters, one node per weight (micrograd's style).

    ``inputs`` is a list of nodes or their number: ``MLP(3, [4, 4, 1])`` is
    micrograd's call and makes Inputs ``x0``, ``x1``, ``x2``.  ``sizes``
    lists the layer widths, the last being the number of outputs; hidden
    layers use ``activation`` (default ReLU) and the last
    ``output_activation`` (default linear), as in micrograd, or
    ``every_layer`` sets one activation for all of them, the output
    included (``every_layer="tanh"``: the all-tanh network of the
    micrograd lecture).  With one output the model is that node, otherwise
    a list of nodes.

    >>> import numpy as np
    >>> from exprdiff import Input
    >>> x0, x1 = Input("x0"), Input("x1")
    >>> score, params = MLP([x0, x1], [16, 16, 1])
    >>> len(params)
    337
    >>> score(params, {x0: np.zeros(4), x1: np.zeros(4)})
    array([0., 0., 0., 0.])
    >>> model = MLP(3, [4, 4, 1], every_layer="tanh", init="uniform")
    >>> len(model.parameters()), type(model.output).__name__
    (41, 'Tanh')
    """
    if every_layer is not None:
        if activation is not None or output_activation is not None:
            raise ValueError(
                f"MLP got every_layer={every_layer!r} together with activation or "
                "output_activation; every_layer sets all layers, so give it alone"
            )
        activation = output_activation = every_layer
    activation = "relu" if activation is None else activation
    output_activation = "linear" if output_activation is None else output_activation
    nodes = first = _check_inputs(inputs)
    sizes = _check_layers("MLP", sizes, activation, output_activation)
    rng = np.random.default_rng(seed)
    params: dict = {}
    for k, size in enumerate(sizes):
        act = output_activation if k == len(sizes) - 1 else activation
        weights = _weights(rng, len(nodes), size, act, init)
        nodes = _layer(nodes, weights, act, f"layer{k}", params)
    return _model(nodes[0] if len(nodes) == 1 else nodes, params, first)


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
    x = as_node(x)
    return Model(_dense(x, weights, activation, name, params), params, [x], stacked=True)


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
    return Model(node, params, [as_node(x)], stacked=True)
