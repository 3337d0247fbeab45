"""Losses: values against hand-written NumPy, gradients against finite differences."""

import numpy as np
import pytest

from exprdiff import Input, Parameter, Sigmoid
from exprdiff.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    hinge,
    l2_penalty,
    mse,
    softmax_cross_entropy,
)
from exprdiff.symbolic.finite_differences import numeric_grad

RNG = np.random.default_rng(1)
Z, T = Parameter("z"), Input("t")


def assert_grad_matches(expr, params, inputs=None):
    """The engine's gradient equals central differences for every parameter."""
    exact, approx = expr.grad(params, inputs), numeric_grad(expr, params, inputs)
    for param in exact:
        np.testing.assert_allclose(exact[param], approx[param], rtol=1e-5, atol=1e-7)


def _softplus(z):
    return np.logaddexp(0.0, z)


def _logsumexp(z):
    peak = z.max(axis=-1, keepdims=True)
    return (peak + np.log(np.exp(z - peak).sum(axis=-1, keepdims=True)))[..., 0]


BINARY_CASES = {
    # name: (builder, hand-written per-sample loss, prediction values, target values)
    "mse": (mse, lambda p, t: (p - t) ** 2, RNG.normal(size=6), RNG.normal(size=6)),
    "bce": (binary_cross_entropy, lambda p, t: -(t * np.log(p) + (1 - t) * np.log(1 - p)),
            RNG.uniform(0.05, 0.95, size=6), RNG.integers(0, 2, size=6).astype(float)),
    "bce_logits": (binary_cross_entropy_with_logits,
                   lambda z, t: -(t * np.log(1 / (1 + np.exp(-z)))
                                  + (1 - t) * np.log(1 - 1 / (1 + np.exp(-z)))),
                   RNG.normal(size=6) * 3, RNG.integers(0, 2, size=6).astype(float)),
    "hinge": (hinge, lambda s, y: np.maximum(0.0, 1 - y * s),
              RNG.normal(size=6), RNG.choice([-1.0, 1.0], size=6)),
}


@pytest.mark.parametrize("name", BINARY_CASES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_elementwise_losses_match_numpy(name, reduction):
    """Each per-sample loss, averaged, summed or kept, equals the NumPy formula."""
    build, hand, prediction, target = BINARY_CASES[name]
    per_sample = hand(prediction, target)
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}
    loss = build(Z, T, reduction=reduction)
    np.testing.assert_allclose(loss({Z: prediction}, {T: target}), expected[reduction])


@pytest.mark.parametrize("name", BINARY_CASES)
def test_elementwise_loss_gradients(name):
    """Each loss's gradient with respect to the prediction matches finite differences."""
    build, _, prediction, target = BINARY_CASES[name]
    if name == "hinge":  # keep away from the kink at margin 1
        prediction = np.where(np.abs(1 - target * prediction) < 1e-3, prediction + 0.1, prediction)
    assert_grad_matches(build(Z, T), {Z: prediction}, {T: target})


def test_bce_with_logits_equals_bce_of_sigmoid():
    """The stable logits form equals BCE applied to sigmoid(z), gradients included."""
    z, target = RNG.normal(size=8), RNG.integers(0, 2, size=8).astype(float)
    stable = binary_cross_entropy_with_logits(Z, T, reduction="mean")
    plain = binary_cross_entropy(Sigmoid(Z), T, reduction="mean")
    np.testing.assert_allclose(stable({Z: z}, {T: target}), plain({Z: z}, {T: target}))
    np.testing.assert_allclose(stable.grad({Z: z}, {T: target})[Z],
                               plain.grad({Z: z}, {T: target})[Z])
    # the textbook gradient of mean BCE-with-logits: (sigmoid(z) - t) / n
    np.testing.assert_allclose(stable.grad({Z: z}, {T: target})[Z],
                               (1 / (1 + np.exp(-z)) - target) / 8)


def test_bce_with_logits_is_stable_for_huge_logits():
    """Logits of magnitude 1e3 give exact losses and gradients, without warnings."""
    z, target = np.array([1000.0, -1000.0, 1000.0]), np.array([1.0, 0.0, 0.0])
    loss = binary_cross_entropy_with_logits(Z, T, reduction="none")
    np.testing.assert_array_equal(loss({Z: z}, {T: target}), [0.0, 0.0, 1000.0])
    np.testing.assert_array_equal(loss.grad({Z: z}, {T: target})[Z], [0.0, 0.0, 1.0])


def test_bce_clips_probabilities():
    """Probabilities of exactly 0 and 1 cost -log(eps), finite, with zero gradient beyond."""
    loss = binary_cross_entropy(Z, T, eps=1e-7, reduction="none")
    values = loss({Z: np.array([0.0, 1.0, 1.0])}, {T: np.array([1.0, 0.0, 1.0])})
    np.testing.assert_allclose(values, [-np.log(1e-7), -np.log(1e-7), -np.log(1 - 1e-7)])
    grads = loss.grad({Z: np.array([-0.5, 1.5])}, {T: np.array([1.0, 0.0])})[Z]
    np.testing.assert_array_equal(grads, [0.0, 0.0])


@pytest.mark.parametrize("eps", [0.0, -1.0, 0.5, 2.0])
def test_bce_rejects_bad_eps(eps):
    """An eps outside (0, 0.5) raises ValueError naming eps."""
    with pytest.raises(ValueError, match="eps must be between 0 and 0.5"):
        binary_cross_entropy(Z, T, eps=eps)


def test_hinge_margin_and_kink():
    """The hinge is zero beyond the margin and its slope is -y inside it (0 at the kink)."""
    scores, labels = np.array([2.0, 0.5, -0.5, 1.0]), np.array([1.0, 1.0, 1.0, 1.0])
    loss = hinge(Z, T, reduction="none")
    np.testing.assert_array_equal(loss({Z: scores}, {T: labels}), [0.0, 0.5, 1.5, 0.0])
    np.testing.assert_array_equal(loss.grad({Z: scores}, {T: labels})[Z], [0, -1, -1, 0])
    np.testing.assert_array_equal(hinge(Z, T, margin=2.0, reduction="none")(
        {Z: scores}, {T: labels}), [0.0, 1.5, 2.5, 1.0])


@pytest.mark.parametrize("one_hot", [False, True], ids=["integer", "one-hot"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_cross_entropy_matches_numpy(one_hot, reduction):
    """Softmax cross-entropy equals -log softmax[label], for integer and one-hot labels."""
    logits = RNG.normal(size=(7, 4)) * 2
    labels = RNG.integers(0, 4, size=7)
    log_softmax = logits - _logsumexp(logits)[:, None]
    per_sample = -log_softmax[np.arange(7), labels]
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}
    target = np.eye(4)[labels] if one_hot else labels
    loss = softmax_cross_entropy(Z, T, reduction=reduction)
    np.testing.assert_allclose(loss({Z: logits}, {T: target}), expected[reduction])
    assert_grad_matches(loss, {Z: logits}, {T: target})
    # the textbook gradient of the mean loss: (softmax - one_hot) / n
    if reduction == "mean":
        softmax = np.exp(log_softmax)
        np.testing.assert_allclose(loss.grad({Z: logits}, {T: target})[Z],
                                   (softmax - np.eye(4)[labels]) / 7)


def test_softmax_cross_entropy_is_stable():
    """Logits of magnitude 1e3 give finite losses and gradients, without warnings."""
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0]])
    loss = softmax_cross_entropy(Z, T, reduction="none")
    values = loss({Z: logits}, {T: np.array([1, 2])})
    np.testing.assert_allclose(values, [2000.0, np.log(1 + 2 * np.exp(-1.0))])
    assert np.all(np.isfinite(loss.grad({Z: logits}, {T: np.array([1, 2])})[Z]))


def test_softmax_cross_entropy_single_sample():
    """One sample (a 1-D logit vector and an integer label) gives a scalar loss."""
    z = np.array([1.0, 2.0, 0.5])
    value = softmax_cross_entropy(Z, T, reduction="mean")({Z: z}, {T: 1})
    assert value == pytest.approx(_logsumexp(z) - 2.0)


def test_l2_penalty_values_and_gradients():
    """The L2 penalty is weight * sum of squares; its gradient is 2 * weight * p."""
    a, b, c = Parameter("a"), Parameter("b"), Parameter("c")
    params = {a: 1.5, b: RNG.normal(size=3), c: RNG.normal(size=(2, 2))}
    expected = 1e-2 * (1.5**2 + np.sum(params[b] ** 2) + np.sum(params[c] ** 2))
    for given in (params, [a, b, c]):
        penalty = l2_penalty(given, weight=1e-2)
        assert penalty(params) == pytest.approx(expected)
        grads = penalty.grad(params)
        for param, value in params.items():
            np.testing.assert_allclose(grads[param], 2e-2 * np.asarray(value))


def test_l2_penalty_errors():
    """No parameters, or something that is not a Parameter, is refused with a clear error."""
    with pytest.raises(ValueError, match="at least one Parameter"):
        l2_penalty([])
    with pytest.raises(TypeError, match=r"needs Parameter nodes, got Input\('x'\)"):
        l2_penalty([Parameter("a"), Input("x")])


def test_default_is_one_loss_per_sample():
    """Without a reduction each loss keeps one value per sample, as optimize expects."""
    prediction, target = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0])
    for build in (mse, binary_cross_entropy_with_logits, hinge):
        assert build(Z, T)({Z: prediction}, {T: target}).shape == (3,)
    assert softmax_cross_entropy(Z, T)({Z: np.zeros((3, 4))}, {T: [0, 1, 2]}).shape == (3,)
    assert binary_cross_entropy(Z, T)({Z: prediction / 4}, {T: target}).shape == (3,)


def test_penalty_added_to_per_sample_losses():
    """A scalar penalty added to per-sample losses adds to their mean exactly once."""
    w = Parameter("w")
    prediction, target = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 1.0])
    loss = mse(w * Z, T) + l2_penalty([w], weight=0.5)
    values = loss({w: 2.0, Z: prediction}, {T: target})
    assert values.mean() == pytest.approx(np.mean((2 * prediction - target) ** 2) + 0.5 * 4.0)


def test_bad_reduction_is_named():
    """An unknown reduction raises ValueError listing the valid ones."""
    with pytest.raises(ValueError, match=r"reduction must be one of \['mean', 'none', 'sum'\]"):
        mse(Z, T, reduction="average")


def test_losses_print_readably():
    """A loss prints as the formula it computes."""
    assert str(hinge(Z, T, reduction="mean")) == "mean(relu(1 - t*z), axis=None)"
    assert str(softmax_cross_entropy(Z, T, reduction="none")) == (
        "logsumexp(z, axis=-1) - class_score(z, t)")
