"""The update rules: each step checked against its formula written out, state, names, settings."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exprdiff import Adam, GradientDescent, Momentum, Optimizer, Parameter
from exprdiff.fit.optimizers import OPTIMIZERS, make_optimizer

W, V = Parameter("w"), Parameter("v")
GRADIENTS = [  # a few steps' gradients for a scalar and an array parameter
    {W: 0.5, V: np.array([1.0, -2.0])},
    {W: -0.25, V: np.array([0.5, 0.0])},
    {W: 2.0, V: np.array([-1.5, 3.0])},
]


def run(rule, learning_rate=0.1):
    params = {W: 1.0, V: np.array([0.0, 1.0])}
    history = [params]
    for grads in GRADIENTS:
        params = rule.step(params, grads, learning_rate)
        history.append(params)
    return history


def test_gradient_descent_steps_against_the_gradient():
    """Each step is w - learning_rate * grad."""
    history = run(GradientDescent(), 0.1)
    for before, grads, after in zip(history[:-1], GRADIENTS, history[1:], strict=True):
        for p in grads:
            np.testing.assert_allclose(after[p], before[p] - 0.1 * grads[p], rtol=0, atol=0)


def test_momentum_accumulates_velocity():
    """v = momentum*v + grad and w -= learning_rate*v, from v = 0."""
    history = run(Momentum(momentum=0.8), 0.1)
    velocity = {W: 0.0, V: np.zeros(2)}
    for before, grads, after in zip(history[:-1], GRADIENTS, history[1:], strict=True):
        for p in grads:
            velocity[p] = 0.8 * velocity[p] + grads[p]
            np.testing.assert_allclose(after[p], before[p] - 0.1 * velocity[p], rtol=1e-15)


def test_adam_matches_the_published_update():
    """Bias-corrected first and second moments give Kingma and Ba's step."""
    history = run(Adam(beta1=0.8, beta2=0.95, eps=1e-6), 0.1)
    m = {W: 0.0, V: np.zeros(2)}
    s = {W: 0.0, V: np.zeros(2)}
    steps = zip(history[:-1], GRADIENTS, history[1:], strict=True)
    for t, (before, grads, after) in enumerate(steps, start=1):
        for p, g in grads.items():
            m[p] = 0.8 * m[p] + 0.2 * g
            s[p] = 0.95 * s[p] + 0.05 * np.square(g)
            step = 0.1 * (m[p] / (1 - 0.8**t)) / (np.sqrt(s[p] / (1 - 0.95**t)) + 1e-6)
            np.testing.assert_allclose(after[p], before[p] - step, rtol=1e-14)


@pytest.mark.parametrize("rule", [GradientDescent(), Momentum(), Adam()], ids=repr)
def test_steps_leave_their_arguments_alone_and_keep_scalars_floats(rule):
    """A step returns new values: the given arrays are untouched, scalars stay Python floats."""
    weights = np.array([0.0, 1.0])
    params = {W: 1.0, V: weights}
    grads = {W: 0.5, V: np.array([1.0, -2.0])}
    new = rule.step(params, grads, 0.1)
    assert new is not params and params[V] is weights
    assert weights.tolist() == [0.0, 1.0] and grads[V].tolist() == [1.0, -2.0]
    assert type(new[W]) is float and new[V] is not weights


@pytest.mark.parametrize("cls", [Momentum, Adam])
def test_reset_forgets_the_state(cls):
    """After reset() a rule steps exactly as a fresh one does."""
    used = cls()
    run(used)
    used.reset()
    assert run(used)[-1][W] == run(cls())[-1][W]


@settings(max_examples=40, deadline=None)
@given(value=st.floats(-1e3, 1e3), grad=st.floats(-1e3, 1e3).filter(lambda g: abs(g) > 1e-3),
       rate=st.floats(1e-4, 1.0))
def test_adam_first_step_moves_by_about_the_learning_rate(value, grad, rate):
    """Adam's first step has size learning_rate whatever the gradient's scale, against its sign."""
    new = Adam().step({W: value}, {W: grad}, rate)[W]
    assert new - value == pytest.approx(-np.sign(grad) * rate, rel=1e-4, abs=1e-9)


def test_names_make_default_instances_and_instances_pass_through():
    """make_optimizer knows the names (any case) and returns instances as they are."""
    assert set(OPTIMIZERS) == {"gd", "momentum", "adam", "newton"}  # newton: exprdiff.fit.newton_method
    assert type(make_optimizer("GD")) is GradientDescent
    assert type(make_optimizer("momentum")) is Momentum
    mine = Adam(beta1=0.5)
    assert make_optimizer(mine) is mine


def test_unknown_names_are_refused_listing_the_choices():
    """An unknown name raises ValueError naming it and the choices."""
    with pytest.raises(ValueError, match="unknown optimizer 'sgdx'.*'gd', 'momentum', 'adam'"):
        make_optimizer("sgdx")


@pytest.mark.parametrize("make, message", [
    (lambda: Momentum(momentum=1.0), r"momentum must be in \[0, 1\), got 1.0"),
    (lambda: Adam(beta1=-0.1), r"beta1 must be in \[0, 1\), got -0.1"),
    (lambda: Adam(beta2=1.0), r"beta2 must be in \[0, 1\), got 1.0"),
    (lambda: Adam(eps=0.0), "eps must be positive, got 0.0"),
])
def test_bad_settings_are_named(make, message):
    """Out-of-range hyper-parameters raise ValueError naming the setting and value."""
    with pytest.raises(ValueError, match=message):
        make()


def test_a_subclass_without_step_says_so():
    """An Optimizer subclass that forgets step() fails naming itself."""
    class Lazy(Optimizer):
        name = "lazy"

    with pytest.raises(NotImplementedError, match="Lazy defines no step"):
        Lazy().step({W: 1.0}, {W: 1.0}, 0.1)


def test_one_adam_instance_serves_two_concurrent_fits():
    """Two threads fitting with one Adam() mixed their moments and step counts; each fit now
    steps its own copy, ending where a fit with a fresh instance ends."""
    import threading

    from exprdiff import Input, Parameter, optimize

    shared = Adam()
    x, y = Input("x"), Input("y")
    problems = []
    for slope in (2.0, -3.0):
        w = Parameter("w")
        problems.append(((w * x - y) ** 2, {w: 0.0}, {x: [1.0, 2.0], y: [slope, 2 * slope]}))
    turns = threading.Barrier(2)  # the two fits take their epochs in lockstep

    def in_lockstep(epoch, params, loss):
        turns.wait(timeout=30)

    results = [None, None]

    def fit(i):
        loss, start, data = problems[i]
        results[i] = optimize(loss, start, data, epochs=30, learning_rate=0.1, optimizer=shared,
                              callback=in_lockstep)

    threads = [threading.Thread(target=fit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for (loss, start, data), result in zip(problems, results):
        alone = optimize(loss, start, data, epochs=30, learning_rate=0.1, optimizer=Adam())
        assert dict(result) == dict(alone) and result.losses == alone.losses
    assert shared._steps == 0 and shared._moments == {}  # the instance itself never stepped
