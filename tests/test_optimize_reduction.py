"""optimize(..., reduction="sum"): the articles' summed loss, so their learning rates carry over."""

import numpy as np
import pytest

from exprdiff import Input, Parameter, Tanh, optimize

X, Y = Input("x"), Input("y")
W, B = Parameter("w"), Parameter("b")
LOSS = (Tanh(W * X + B) - Y) ** 2
DATA = {X: np.array([2.0, 3.0, 0.5, 1.0]), Y: np.array([1.0, -1.0, -1.0, 1.0])}
START = {W: 0.3, B: -0.1}


def test_sum_is_the_articles_hand_written_loop():
    """Each step is p -= lr * d(sum of losses)/dp, the micrograd training loop, lr unchanged."""
    params = dict(START)
    losses = []
    for _ in range(20):
        value = LOSS(params, DATA)
        grads = LOSS.grad(params, DATA)  # the summed gradient
        losses.append(float(np.sum(value)))
        params = {p: v - 0.05 * grads[p] for p, v in params.items()}
    fitted = optimize(LOSS, START, DATA, epochs=20, learning_rate=0.05, reduction="sum")
    assert fitted[W] == pytest.approx(params[W], rel=1e-12)
    assert fitted[B] == pytest.approx(params[B], rel=1e-12)
    np.testing.assert_allclose(fitted.losses, losses, rtol=1e-12)
    assert fitted.final_loss == pytest.approx(float(np.sum(LOSS(params, DATA))), rel=1e-12)


def test_sum_with_rate_over_n_is_the_mean():
    """Summing with learning rate r/N takes the same steps as the mean with rate r; the
    recorded losses are N times the means."""
    n = len(DATA[X])
    mean = optimize(LOSS, START, DATA, epochs=30, learning_rate=0.2)
    summed = optimize(LOSS, START, DATA, epochs=30, learning_rate=0.2 / n, reduction="sum")
    assert summed[W] == pytest.approx(mean[W], rel=1e-10)
    np.testing.assert_allclose(summed.losses, np.array(mean.losses) * n, rtol=1e-10)


def test_sum_over_mini_batches_records_the_epoch_total():
    """With batch_size each step uses its batch's summed gradient; an epoch's loss is the
    sum over every sample."""
    fitted = optimize(LOSS, START, DATA, epochs=1, learning_rate=0.01, batch_size=2, seed=0,
                      reduction="sum")
    order = np.random.default_rng(0).permutation(4)
    params, total = dict(START), 0.0
    for rows in (order[:2], order[2:]):
        batch = {X: DATA[X][rows], Y: DATA[Y][rows]}
        total += float(np.sum(LOSS(params, batch)))
        grads = LOSS.grad(params, batch)
        params = {p: v - 0.01 * grads[p] for p, v in params.items()}
    assert fitted.losses == [pytest.approx(total, rel=1e-12)]
    assert fitted[W] == pytest.approx(params[W], rel=1e-12)


def test_unknown_reduction_is_named():
    """Anything but "mean" or "sum" raises ValueError naming the argument and the choices."""
    with pytest.raises(ValueError, match=r"reduction must be 'mean' or 'sum', got 'total'"):
        optimize(LOSS, START, DATA, epochs=1, reduction="total")
