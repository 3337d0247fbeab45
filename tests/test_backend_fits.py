"""optimize(..., backend="jax" | "torch"): the NumPy fit's parameters, losses, stops and errors.

Every fit runs beside the NumPy backend from the same start and data: the
perceptron (GD, momentum, Adam; full batch and mini-batches with a
remainder; a learning-rate schedule), micrograd's moons MLP and the digits
classifier.  Parameters agree within rtol 1e-12, losses too.
"""

import contextlib
import os
import signal

import numpy as np
import pytest
from _backends import installed, library

from exprdiff import (
    Adam,
    Input,
    Log,
    Momentum,
    Newton,
    NonFiniteLossError,
    Optimizer,
    Parameter,
    Sigmoid,
    optimize,
)
from exprdiff.datasets import two_moons
from exprdiff.losses import hinge, l2_penalty, softmax_cross_entropy
from exprdiff.nn import DenseMLP

BACKENDS = [
    pytest.param("jax", marks=pytest.mark.skipif(
        not installed("jax"), reason="JAX is not installed (pip install 'exprdiff[jax]')")),
    pytest.param("torch", marks=pytest.mark.skipif(
        not installed("torch"), reason="PyTorch is not installed (pip install 'exprdiff[torch]')")),
]

X1, X2, LABEL = Input("x1"), Input("x2"), Input("label")
W1, W2, B = Parameter("w1"), Parameter("w2"), Parameter("b")
P = Sigmoid(W1 * X1 + W2 * X2 + B)
BCE = -(LABEL * Log(P) + (1.0 - LABEL) * Log(1.0 - P))
AND = {X1: np.array([0.0, 0, 1, 1, 0.5]), X2: np.array([0.0, 1, 0, 1, 0.5]),
       LABEL: np.array([0.0, 0, 0, 1, 0])}
START = {W1: 1.0, W2: 1.0, B: 0.0}


@contextlib.contextmanager
def float64(backend):
    """JAX in float64 for the duration (exprdiff's dtype); nothing to do for PyTorch."""
    if backend == "jax":
        with library("jax").enable_x64(True):
            yield
    else:
        yield


def assert_same_fit(fast, slow, rtol=1e-12, stop=True):
    """Same parameters (types and shapes too), losses, final loss and stop reason."""
    assert list(fast) == list(slow)
    for param, value in slow.items():
        assert type(fast[param]) is type(value), param
        np.testing.assert_allclose(fast[param], value, rtol=rtol, atol=1e-300, err_msg=str(param))
    np.testing.assert_allclose(fast.losses, slow.losses, rtol=rtol)
    assert fast.final_loss == pytest.approx(slow.final_loss, rel=rtol)
    assert fast.stop_reason == slow.stop_reason or not stop


def both(backend, loss, start, data, **options):
    """The fit in ``backend`` and with NumPy, each from a fresh optimizer."""
    optimizer = options.pop("optimizer", "gd")
    make = optimizer if callable(optimizer) else (lambda: optimizer)
    slow = optimize(loss, start, data, optimizer=make(), **options)
    with float64(backend):
        fast = optimize(loss, start, data, optimizer=make(), backend=backend, **options)
    return fast, slow


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
@pytest.mark.parametrize("batch_size", [None, 2])
def test_the_perceptron(backend, optimizer, batch_size):
    """GD, momentum and Adam, full batch and mini-batches of 2 of 5 (a remainder), a schedule."""
    fast, slow = both(backend, BCE, START, AND, epochs=150, optimizer=optimizer,
                      learning_rate=lambda e: 0.5 / e**0.5, batch_size=batch_size, seed=3)
    assert_same_fit(fast, slow)
    assert fast.epochs == 150 and type(fast[W1]) is float


@pytest.mark.parametrize("backend", BACKENDS)
def test_micrograds_moons(backend):
    """The dense moons MLP, hinge + L2, micrograd's decaying rate, 40 full-batch steps."""
    x, y = Input("x"), Input("y")
    points, labels = two_moons(60, noise=0.1, seed=0)
    score, start = DenseMLP(x, 2, [16, 16, 1], "relu", seed=0)
    loss = hinge(score, y) + l2_penalty(start, 1e-4)
    fast, slow = both(backend, loss, start, {x: points, y: 2.0 * labels - 1.0}, epochs=40,
                      learning_rate=lambda e: 1.0 - 0.9 * (e - 1) / 40)
    assert_same_fit(fast, slow)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("batch_size", [None, 2])
def test_summed_reduction(backend, batch_size):
    """reduction="sum": summed gradients and per-epoch summed losses, as the NumPy fit's."""
    fast, slow = both(backend, BCE, START, AND, epochs=60, optimizer="momentum",
                      learning_rate=0.05, batch_size=batch_size, seed=1, reduction="sum")
    assert_same_fit(fast, slow)
    if batch_size is None:  # the first epoch's loss is the sum at the start
        assert fast.losses[0] == pytest.approx(float(np.sum(BCE(START, AND))), rel=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_model_with_where_and_issue_12s_operations(backend):
    """A piecewise model (Where whose other branch is NaN, Maximum, an index, Std): the same
    fit as NumPy's, no NaN from the branch not taken."""
    from exprdiff import Sqrt, Where
    from exprdiff.ops import Maximum, Std

    x, y, w = Input("x"), Input("y"), Parameter("w")
    points = np.linspace(-1.0, 2.0, 7)
    model = Where(x > 0, Sqrt(w[0] * x), w[1] * x) + Maximum(w[2] * x, 0.1)
    loss = (model - y) ** 2 + 1e-3 * Std(w)
    start = {w: np.array([1.0, 0.5, -0.3])}
    with np.errstate(invalid="ignore"):
        fast, slow = both(backend, loss, start, {x: points, y: np.sin(points)}, epochs=40,
                          learning_rate=0.05)
    assert_same_fit(fast, slow)
    assert np.all(np.isfinite(fast[w]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_digits(backend):
    """A 64-32-10 tanh MLP on the digits, softmax cross-entropy, Adam, mini-batches of 256."""
    pytest.importorskip("sklearn", reason="the digits ship with scikit-learn")
    from exprdiff.datasets import digits

    images, classes = digits(scaled=True)
    x, y = Input("x"), Input("y")
    logits, start = DenseMLP(x, 64, [32, 10], "tanh", seed=0)
    loss = softmax_cross_entropy(logits, y)
    fast, slow = both(backend, loss, start, {x: images, y: classes.astype(float)}, epochs=6,
                      optimizer="adam", learning_rate=0.01, batch_size=256, seed=0)
    assert_same_fit(fast, slow, rtol=1e-11)
    for param in start:
        assert fast[param].shape == start[param].shape and fast[param].dtype == np.float64


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_non_finite_loss_stops_with_the_last_finite_parameters(backend):
    """log(w*x) stepped below 0: NonFiniteLossError at the NumPy fit's epoch, params, losses."""
    w, x = Parameter("w"), Input("x")
    errors = []
    for which in ("numpy", backend):
        with float64(backend), pytest.raises(NonFiniteLossError) as caught:
            optimize(Log(w * x), {w: 3.0}, {x: np.array([1.0, 2.0])}, epochs=50,
                     learning_rate=1.4, backend=which)
        errors.append(caught.value)
    ours, numpy = errors[1], errors[0]
    assert str(ours) == str(numpy) and "epoch 6: the mean loss is nan" in str(ours)
    assert ours.epoch == numpy.epoch and ours.params[w] == pytest.approx(numpy.params[w], rel=1e-13)
    np.testing.assert_allclose(ours.losses, numpy.losses, rtol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_non_finite_gradient_names_the_parameter(backend):
    """sqrt(w) at w = 0: the loss is finite, w's gradient is not; the message names w."""
    from exprdiff import Sqrt

    w, v, x = Parameter("w"), Parameter("v"), Input("x")
    loss = v * x + Sqrt(w * w * x)
    with float64(backend), pytest.raises(NonFiniteLossError,
                                         match="epoch 1: the gradient for 'w' is not finite"
                                         ) as caught:
        optimize(loss, {v: 1.0, w: 0.0}, {x: np.array([1.0, 2.0])}, epochs=5, backend=backend)
    assert caught.value.params == {v: 1.0, w: 0.0} and caught.value.losses == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_bad_scheduled_rate_is_the_numpy_fits_error(backend):
    """A schedule giving 0 at epoch 4: ValueError naming the epoch, after three epochs."""
    rate = lambda e: 0.1 if e < 4 else 0.0  # noqa: E731
    with float64(backend), pytest.raises(ValueError, match="gave 0.0 for epoch 4"):
        optimize(BCE, START, AND, epochs=10, learning_rate=rate, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_callbacks_tolerance_and_progress(backend, capsys):
    """Callbacks see every epoch; tolerance stops where NumPy stops; the bar reaches the end."""
    seen = {"numpy": [], backend: []}
    for which, calls in seen.items():
        def record(e, p, loss, calls=calls):
            calls.append((e, p, loss))
            return e == 7

        with float64(backend):
            fitted = optimize(BCE, START, AND, epochs=30, backend=which, callback=record)
        assert fitted.stop_reason == "callback" and fitted.epochs == 7
    assert [c[0] for c in seen[backend]] == list(range(1, 8))
    for (_, ours, loss), (_, numpy, expected) in zip(seen[backend], seen["numpy"]):
        assert loss == pytest.approx(expected, rel=1e-13)
        assert all(ours[p] == pytest.approx(numpy[p], rel=1e-13) for p in numpy)
    fast, slow = both(backend, BCE, START, AND, epochs=5000, learning_rate=2.0,
                      tolerance=1e-4, optimizer="momentum", patience=3)
    assert slow.stop_reason == "tolerance" and slow.epochs < 5000
    assert_same_fit(fast, slow)
    capsys.readouterr()
    with float64(backend):
        optimize(BCE, START, AND, epochs=40, backend=backend, progress=True)
    assert "40/40" in capsys.readouterr().err


@pytest.mark.parametrize("backend", BACKENDS)
def test_ctrl_c_returns_what_was_reached(backend):
    """Ctrl-C returns consistent parameters and losses (for JAX: as of the last chunk)."""
    def rate(epoch):
        if epoch == 60:
            os.kill(os.getpid(), signal.SIGINT)
        return 0.5

    with float64(backend), pytest.warns(RuntimeWarning, match="interrupted by the user"):
        fitted = optimize(BCE, START, AND, epochs=200, learning_rate=rate, backend=backend)
    assert fitted.interrupted and 1 <= fitted.epochs < 200
    again = optimize(BCE, START, AND, epochs=fitted.epochs, learning_rate=0.5)
    assert_same_fit(fitted, again, stop=False)


@pytest.mark.parametrize("backend", BACKENDS)
def test_options_a_backend_cannot_honour(backend):
    """compiled=False, Newton, a hand-written optimizer, unknown backends: ValueError naming them."""
    class Sign(Optimizer):
        def step(self, params, grads, learning_rate):
            return {p: params[p] - learning_rate * np.sign(g) for p, g in grads.items()}

    for options, name in (({"compiled": False}, "compiled=False"),
                          ({"optimizer": Newton()}, "optimizer=Newton"),
                          ({"optimizer": Sign()}, "optimizer=Sign")):
        with pytest.raises(ValueError, match=name):
            optimize(BCE, START, AND, epochs=3, backend=backend, **options)
    with pytest.raises(ValueError, match="backend must be one of 'numpy', 'jax', 'torch'"):
        optimize(BCE, START, AND, epochs=3, backend="tensorflow")
    with pytest.raises(ValueError, match="devices= needs backend='jax'"):
        optimize(BCE, START, AND, epochs=3, devices=2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_optimizer_instance_with_its_settings(backend):
    """Momentum(0.5) and Adam(beta1=0.8) instances carry their settings into the backend."""
    for make in (lambda: Momentum(0.5), lambda: Adam(beta1=0.8, eps=1e-6)):
        fast, slow = both(backend, BCE, START, AND, epochs=60, optimizer=make)
        assert_same_fit(fast, slow)


def test_torch_on_several_devices_is_refused():
    """PyTorch trains on one device: a list of two raises ValueError naming devices."""
    library("torch")
    with pytest.raises(ValueError, match="trains on one device; devices="):
        optimize(BCE, START, AND, epochs=3, backend="torch", devices=["cpu", "cpu"])
    fitted = optimize(BCE, START, AND, epochs=3, backend="torch", devices="cpu")
    assert fitted.epochs == 3


def test_jax_in_float32_follows_the_config():
    """Without x64 the JAX fit computes in float32: close to the NumPy fit, not equal."""
    jax = library("jax")
    with jax.enable_x64(False):
        fitted = optimize(BCE, START, AND, epochs=100, backend="jax")
    exact = optimize(BCE, START, AND, epochs=100)
    assert type(fitted[W1]) is float
    assert fitted[W1] == pytest.approx(exact[W1], rel=1e-4) and fitted[W1] != exact[W1]


def test_jax_refits_without_compiling_again():
    """The compiled chunk is kept with the loss: a second fit of the same shapes reuses it."""
    library("jax")
    from exprdiff.lowering.dispatch import code_cache_of

    with float64("jax"):
        optimize(BCE, START, AND, epochs=20, backend="jax")
        before = len(code_cache_of(BCE))
        optimize(BCE, {W1: 0.5, W2: -1.0, B: 2.0}, AND, epochs=20, backend="jax",
                 learning_rate=0.1)
        assert len(code_cache_of(BCE)) == before
