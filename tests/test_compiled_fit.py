"""optimize's compiled training step gives the interpreted fit's numbers, stops and errors exactly."""

import numpy as np
import pytest

from exprdiff import (
    Adam,
    GradientDescent,
    Input,
    Log,
    Momentum,
    NonFiniteLossError,
    Parameter,
    Sigmoid,
    Sum,
    optimize,
)
from exprdiff.datasets import two_moons
from exprdiff.losses import hinge, l2_penalty, softmax_cross_entropy
from exprdiff.nn import MLP, DenseMLP

X1, X2, LABEL = Input("x1"), Input("x2"), Input("label")
W1, W2, B = Parameter("w1"), Parameter("w2"), Parameter("b")
P = Sigmoid(W1 * X1 + W2 * X2 + B)
BCE = -(LABEL * Log(P) + (1.0 - LABEL) * Log(1.0 - P))
AND = {X1: np.array([0.0, 0, 1, 1]), X2: np.array([0.0, 1, 0, 1]), LABEL: np.array([0.0, 0, 0, 1])}
START = {W1: 1.0, W2: 1.0, B: 0.0}


def both(loss, start, data, **options):
    """The fit compiled and interpreted (compiled=False), each from a fresh optimizer."""
    optimizer = options.pop("optimizer", "gd")
    make = (lambda: optimizer()) if callable(optimizer) else (lambda: optimizer)
    fast = optimize(loss, start, data, optimizer=make(), **options)
    slow = optimize(loss, start, data, optimizer=make(), compiled=False, **options)
    return fast, slow


def assert_same_fit(fast, slow):
    assert fast.losses == slow.losses
    assert fast.final_loss == slow.final_loss
    assert fast.stop_reason == slow.stop_reason
    assert list(fast) == list(slow)
    for param in slow:
        assert type(fast[param]) is type(slow[param])
        np.testing.assert_array_equal(fast[param], slow[param])


@pytest.fixture
def numpy_only(monkeypatch):
    """Compiled steps with NumPy on scalars and tiny batches too: bit for bit the interpreter's."""
    monkeypatch.setenv("EXPRDIFF_COMPILED", "numpy")


@pytest.mark.parametrize("optimizer", [GradientDescent, Momentum, Adam])
@pytest.mark.parametrize("batch_size", [None, 3])
def test_the_perceptron_fits_the_same_compiled(optimizer, batch_size, numpy_only):
    """GD, momentum and Adam, full batch and mini-batches with a remainder: bit for bit."""
    fast, slow = both(BCE, START, AND, epochs=200, learning_rate=lambda e: 0.5 / e**0.5,
                      optimizer=optimizer, batch_size=batch_size, seed=3)
    assert_same_fit(fast, slow)


@pytest.mark.parametrize("optimizer", [GradientDescent, Momentum, Adam])
@pytest.mark.parametrize("batch_size", [None, 3])
def test_the_perceptron_on_the_plain_float_path_fits_the_same_within_rounding(optimizer,
                                                                             batch_size):
    """Four samples are lanes of floats (math): the same fit within the ulp-level differences
    of math's exp and log1p, which gradient descent does not amplify."""
    fast, slow = both(BCE, START, AND, epochs=200, learning_rate=lambda e: 0.5 / e**0.5,
                      optimizer=optimizer, batch_size=batch_size, seed=3)
    np.testing.assert_allclose(fast.losses, slow.losses, rtol=1e-12)
    assert fast.final_loss == pytest.approx(slow.final_loss, rel=1e-12)
    for param in slow:
        assert type(fast[param]) is float
        assert fast[param] == pytest.approx(slow[param], rel=1e-12)


def test_the_plain_float_path_falls_back_to_numpy_on_an_overflow():
    """A step whose floats overflow is taken by NumPy's code, which then decides: the fit
    continues exactly as the interpreted one (here the loss is finite again after it)."""
    w, x = Parameter("w"), Input("x")
    loss = Sigmoid(w * x * 1e308 * 10.0) + w * w  # the product overflows to inf at every step
    fast, slow = both(loss, {w: 0.5}, {x: np.array([1.0, -1.0])}, epochs=20, learning_rate=0.1)
    np.testing.assert_allclose(fast.losses, slow.losses, rtol=1e-12)


def test_the_dense_moons_network_fits_the_same_compiled():
    """micrograd's moons MLP (dense builder), hinge + L2 with a decaying rate: bit for bit."""
    x, y = Input("x"), Input("y")
    points, labels = two_moons(40, noise=0.1, seed=0)
    score, start = DenseMLP(x, 2, [8, 8, 1], "relu", seed=0)
    loss = hinge(score, y) + l2_penalty(start, 1e-4)
    fast, slow = both(loss, start, {x: points, y: 2.0 * labels - 1.0}, epochs=20,
                      learning_rate=lambda e: 1.0 - 0.9 * (e - 1) / 20)
    assert_same_fit(fast, slow)


def test_the_scalar_moons_network_fits_the_same_compiled():
    """The scalar-node MLP (one Parameter per weight): bit for bit."""
    x0, x1, y = Input("x0"), Input("x1"), Input("y")
    points, labels = two_moons(30, noise=0.1, seed=1)
    score, start = MLP([x0, x1], [4, 4, 1], "relu", seed=0)
    loss = hinge(score, y) + l2_penalty(start, 1e-4)
    data = {x0: points[:, 0], x1: points[:, 1], y: 2.0 * labels - 1.0}
    fast, slow = both(loss, start, data, epochs=10, learning_rate=0.5)
    assert_same_fit(fast, slow)


def test_softmax_classifier_with_adam_fits_the_same_compiled():
    """A tanh classifier with softmax cross-entropy and Adam: bit for bit."""
    x, y = Input("x"), Input("y")
    rng = np.random.default_rng(0)
    logits, start = DenseMLP(x, 4, [6, 3], "tanh", seed=0)
    data = {x: rng.normal(size=(30, 4)), y: rng.integers(0, 3, size=30).astype(float)}
    fast, slow = both(softmax_cross_entropy(logits, y), start, data, epochs=15,
                      learning_rate=0.05, optimizer=Adam)
    assert_same_fit(fast, slow)


def test_a_second_fit_takes_its_final_loss_from_code_already_made(monkeypatch):
    """The final loss is one more evaluation: interpreted in a loss's first fit, by the
    compiled code that fit's first evaluation made from the second fit on; the same bits."""
    from exprdiff.core import interpreter
    from exprdiff.lowering.dispatch import code_cache_of

    x, y = Input("x"), Input("y")
    points, labels = two_moons(40, noise=0.1, seed=0)
    score, start = DenseMLP(x, 2, [8, 8, 1], "relu", seed=0)
    loss = hinge(score, y) + l2_penalty(start, 1e-4)
    data = {x: points, y: 2.0 * labels - 1.0}
    first = optimize(loss, start, data, epochs=5, learning_rate=0.5)
    assert code_cache_of(loss).last_value is None  # nothing made for one evaluation yet
    interpreted = []
    evaluate = interpreter.evaluate
    monkeypatch.setattr(interpreter, "evaluate",
                        lambda *args: interpreted.append(args) or evaluate(*args))
    second = optimize(loss, start, data, epochs=5, learning_rate=0.5)
    assert code_cache_of(loss).last_value is not None and not interpreted
    slow = optimize(loss, start, data, epochs=5, learning_rate=0.5, compiled=False)
    assert first.final_loss == second.final_loss == slow.final_loss
    assert_same_fit(second, slow)


def test_callbacks_see_the_same_parameters_and_can_stop():
    """The callback gets the same (epoch, params, loss) every epoch, and stops both alike."""
    seen = {True: [], False: []}

    def watcher(compiled):
        def callback(epoch, params, loss):
            seen[compiled].append((epoch, dict(params), loss))
            return epoch == 7
        return callback

    fits = {c: optimize(BCE, START, AND, epochs=50, callback=watcher(c), compiled=c)
            for c in (True, False)}
    assert seen[True] == seen[False] and len(seen[True]) == 7
    assert_same_fit(fits[True], fits[False])
    assert fits[True].stop_reason == "callback"


def test_a_nan_loss_stops_both_with_the_same_error():
    """The same epoch, message, last finite parameters and loss history."""
    x, w = Input("x"), Parameter("w")
    errors = {}
    for compiled in (True, False):
        with pytest.raises(NonFiniteLossError) as caught:
            optimize(Log(w * x), {w: 1.0}, [{x: 1.0}, {x: 2.0}], epochs=5, learning_rate=2.0,
                     compiled=compiled)
        errors[compiled] = caught.value
    fast, slow = errors[True], errors[False]
    assert (str(fast), fast.epoch, fast.params, fast.losses) == \
        (str(slow), slow.epoch, slow.params, slow.losses)


def test_a_non_finite_gradient_is_named_alike():
    """A gradient that overflows is reported naming the same parameter at the same epoch."""
    x, w, v = Input("x"), Parameter("w"), Parameter("v")
    loss = (w * x) ** 0.5 + v * x
    errors = {}
    for compiled in (True, False):
        with pytest.raises(NonFiniteLossError) as caught:
            optimize(loss, {w: 1.0, v: 1.0}, {x: np.array([0.0, 1.0])}, epochs=3,
                     compiled=compiled)
        errors[compiled] = caught.value
    assert str(errors[True]) == str(errors[False])
    assert errors[True].params == errors[False].params
    assert "gradient for 'w'" in str(errors[True])


def test_ctrl_c_returns_the_same_parameters():
    """An interrupt in the callback stops both fits at the same point, with the same result."""
    def interrupt(epoch, params, loss):
        if epoch == 4:
            raise KeyboardInterrupt

    fits = {}
    for compiled in (True, False):
        with pytest.warns(RuntimeWarning, match="interrupted"):
            fits[compiled] = optimize(BCE, START, AND, epochs=10, callback=interrupt,
                                      compiled=compiled)
    assert_same_fit(fits[True], fits[False])
    assert fits[True].interrupted and len(fits[True].losses) == 4


def test_a_bad_scheduled_rate_is_reported_alike():
    """A schedule that gives a negative rate raises the same ValueError at the same epoch."""
    messages = []
    for compiled in (True, False):
        with pytest.raises(ValueError) as caught:
            optimize(BCE, START, AND, epochs=10, learning_rate=lambda e: 0.3 if e < 5 else -1.0,
                     compiled=compiled)
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and "epoch 5" in messages[0]


def test_a_custom_optimizer_runs_its_own_update():
    """An Optimizer subclass changing step gets no compiled update: its own rule runs."""
    class Halved(GradientDescent):
        def step(self, params, grads, learning_rate):
            return super().step(params, grads, learning_rate / 2)

    assert Halved().update_code() is None
    halved = optimize(BCE, START, AND, epochs=30, optimizer=Halved(), learning_rate=0.6)
    plain = optimize(BCE, START, AND, epochs=30, learning_rate=0.3)
    assert dict(halved) == dict(plain)


def test_a_step_calling_an_operations_method_names_it_apart_from_the_new_values():
    """An operation compiled as a call of its method (the node bound by name, here Index's
    gradient) does not share its name with the step's new parameter values (it was `_n0`,
    read before the step assigned `_n0`: UnboundLocalError)."""
    x, y, w = Input("x"), Input("y"), Parameter("w")
    points = np.linspace(-1.0, 2.0, 7)
    loss = (w[0] * x - y) ** 2 + Sum(w[[1, 1]]) * 0.01
    fast, slow = both(loss, {w: np.array([1.0, 0.5, -0.3])}, {x: points, y: np.sin(points)},
                      epochs=5, learning_rate=0.05)
    assert_same_fit(fast, slow)
    assert fast[w].tolist() == slow[w].tolist()
