"""Learning-rate schedules: optimize accepts a function of the epoch as the learning rate."""

import math

import numpy as np
import pytest

from exprdiff import Input, Parameter, optimize


def _line_fit():
    m, x, y = Parameter("m"), Input("x"), Input("y")
    data = {x: np.array([1.0, 2.0, 3.0]), y: np.array([2.0, 4.1, 5.9])}
    return (m * x - y) ** 2, m, data


def test_schedule_gives_each_epoch_its_rate():
    """Each epoch steps with the rate the schedule gives for it (1-based), as a hand loop does."""
    loss, m, data = _line_fit()
    asked = []

    def schedule(epoch):
        asked.append(epoch)
        return 0.05 / epoch

    fitted = optimize(loss, {m: 0.0}, data, epochs=5, learning_rate=schedule)
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.1, 5.9])
    value = 0.0
    for epoch in range(1, 6):
        gradient = np.mean(2 * (value * x - y) * x)
        value -= 0.05 / epoch * gradient
    assert fitted[m] == pytest.approx(value, rel=1e-12)
    assert asked[0] == 1 and asked[-5:] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("bad", [0.0, -0.1, math.nan, math.inf, "fast"])
def test_schedule_bad_rate_names_the_epoch(bad):
    """A schedule giving a rate that is not a positive finite number stops with the epoch named."""
    loss, m, data = _line_fit()
    calls = []
    with pytest.raises(ValueError, match=r"schedule gave .* for epoch 3"):
        optimize(loss, {m: 0.0}, data, epochs=5,
                 learning_rate=lambda epoch: bad if epoch == 3 else 0.01,
                 callback=lambda epoch, params, value: calls.append(epoch))
    assert calls == [1, 2]


def test_schedule_checked_before_training():
    """A schedule whose first rate is bad fails before the first epoch."""
    loss, m, data = _line_fit()
    calls = []
    with pytest.raises(ValueError, match=r"schedule gave -1.0 for epoch 1"):
        optimize(loss, {m: 0.0}, data, epochs=5, learning_rate=lambda epoch: -1.0,
                 callback=lambda *args: calls.append(args))
    assert calls == []


def test_learning_rate_must_be_number_or_function():
    """A learning rate that is neither a number nor a function is refused, naming both forms."""
    loss, m, data = _line_fit()
    with pytest.raises(ValueError, match=r"positive finite number, got '0.1' \(or a function of the epoch"):
        optimize(loss, {m: 0.0}, data, epochs=5, learning_rate="0.1")
