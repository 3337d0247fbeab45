"""`to_torch`: a torch.nn.Module named by exprdiff names, trained by torch.optim, weights both ways."""

import numpy as np
import pytest
from _backends import library

from exprdiff import (
    Input,
    MissingValueError,
    Parameter,
    Sigmoid,
    optimize,
    params_by_name,
    params_from_names,
    to_torch,
)
from exprdiff.losses import hinge, l2_penalty, softmax_cross_entropy
from exprdiff.nn import DenseMLP

torch = library("torch")

X, Y = Input("x"), Input("y")
LOGITS, START = DenseMLP(X, 4, [5, 3], "tanh", seed=0)
LOSS = softmax_cross_entropy(LOGITS, Y)
DATA = {X: np.random.default_rng(0).normal(size=(7, 4)), Y: np.array([0.0, 1, 2, 1, 0, 2, 2])}


def test_parameters_are_named_by_exprdiff_names():
    """Dotted names are submodule paths, so state_dict keys are exactly the exprdiff names."""
    module = to_torch(LOSS, START)
    assert list(module.state_dict()) == [p.label for p in START]
    assert [name for name, _ in module.named_parameters()] == [p.label for p in START]
    assert all(p.dtype == torch.float64 for p in module.parameters())


def test_forward_and_autograd_are_the_engines():
    """module(**inputs) is the loss, and backward gives Node.grad (summed over the batch)."""
    module = to_torch(LOSS, START)
    value = module(x=torch.tensor(DATA[X]), y=DATA[Y])
    np.testing.assert_allclose(value.detach().numpy(), LOSS(START, DATA), rtol=1e-13)
    value.sum().backward()
    for param, g in LOSS.grad(START, DATA).items():
        np.testing.assert_allclose(module.get_parameter(param.label).grad.numpy(), g,
                                   rtol=1e-12, atol=1e-15)


def test_weights_make_the_round_trip_bit_for_bit():
    """params -> module -> params(), state_dict() -> params_from_names, load_params: same bits."""
    module = to_torch(LOSS, START)
    for back in (module.params(), params_from_names(LOSS, module.state_dict())):
        assert list(back) == list(START)
        for param, value in START.items():
            assert np.asarray(back[param]).tobytes() == np.asarray(value).tobytes()
    changed = {p: np.asarray(v) * 3.0 + 0.1 for p, v in START.items()}
    module.load_params(changed)
    for param, value in module.params().items():
        assert value.tobytes() == changed[param].tobytes()
    other = to_torch(LOSS, START)
    other.load_state_dict(module.state_dict())
    assert all(np.array_equal(other.params()[p], changed[p]) for p in START)
    state = {k: torch.from_numpy(np.asarray(v)) for k, v in params_by_name(START).items()}
    other.load_state_dict(state)
    assert all(np.asarray(other.params()[p]).tobytes() == np.asarray(v).tobytes()
               for p, v in START.items())


def test_torch_optim_sgd_reaches_optimizes_parameters():
    """Full-batch torch.optim.SGD on the mean loss lands where optimize's gradient descent does."""
    x, y = Input("x"), Input("y")
    score, start = DenseMLP(x, 2, [8, 1], "relu", seed=1)
    loss = hinge(score, y) + l2_penalty(start, 1e-3)
    rng = np.random.default_rng(1)
    data = {x: rng.normal(size=(20, 2)), y: np.sign(rng.normal(size=20))}
    fitted = optimize(loss, start, data, epochs=30, learning_rate=0.1)
    module = to_torch(loss, start)
    sgd = torch.optim.SGD(module.parameters(), lr=0.1)
    for _ in range(30):
        sgd.zero_grad()
        module(x=data[x], y=data[y]).mean().backward()
        sgd.step()
    for param, value in module.params().items():
        np.testing.assert_allclose(value, fitted[param], rtol=1e-12, atol=1e-14)


def test_dtype_and_device_move_together():
    """.float() converts parameters, constants and the conversion of NumPy inputs alike."""
    w = Parameter("w")
    expr = Sigmoid(w * X + np.array([1.0, 2.0])) * 0.5
    module = to_torch(expr, {w: 2.0}).float()
    out = module(x=np.ones(2))
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.detach().numpy(), expr({w: 2.0}, {X: np.ones(2)}), rtol=1e-6)
    assert module.to("cpu")(x=[1.0, 1.0]).dtype == torch.float32
    assert module.double()(x=[1.0, 1.0]).dtype == torch.float64


def test_errors_name_what_is_wrong():
    """Missing starting values and inputs, unknown inputs and names PyTorch refuses."""
    w = Parameter("w")
    with pytest.raises(MissingValueError, match="starting value for Parameter 'w'.*no shape"):
        to_torch(w * X)
    with pytest.raises(MissingValueError, match="Parameter 'v'"):
        to_torch(w * X + Parameter("v"), {w: 1.0})
    no_parameters = to_torch(X * 2.0)  # nothing to start: no params needed
    assert list(no_parameters.state_dict()) == [] and float(no_parameters(x=1.5)) == 3.0
    module = to_torch(w * X, {w: 1.0})
    with pytest.raises(MissingValueError, match="needs the input 'x'"):
        module()
    with pytest.raises(TypeError, match=r"does not have: \['z'\]"):
        module(x=1.0, z=2.0)
    for bad in ("a..b", "forward", ".w"):
        p = Parameter(bad)
        with pytest.raises(ValueError, match=repr(bad)):
            to_torch(p * X, {p: 1.0})
    a, ab = Parameter("a"), Parameter("a.b")
    with pytest.raises(ValueError, match="another Parameter's path"):
        to_torch(a * ab, {a: 1.0, ab: 2.0})
    with pytest.raises(ValueError, match="shape"):
        module.load_params({w: np.ones(3)})



def test_var_and_std_centre_as_the_engine():
    """Var and Std are exactly 0 over equal elements and Std's slope there 0 (torch.var's mean
    is an ulp off for [-0.2]*3), as the engine's corrected two-pass centring gives."""
    from exprdiff import Std, Var

    w = Parameter("w")
    for op in (Var, Std):
        module = to_torch(op(w), {w: np.array([-0.2] * 3)})
        out = module()
        out.backward()
        assert out.item() == 0.0
        assert next(module.parameters()).grad.tolist() == [0.0] * 3
