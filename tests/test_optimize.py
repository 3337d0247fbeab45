"""optimize(): the seed article reproduced, the result, batching, stopping and errors."""

import math
import os
import signal
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exprdiff import (
    FitResult,
    Input,
    Log,
    MissingValueError,
    NonFiniteLossError,
    Parameter,
    Sigmoid,
    Sqrt,
    optimize,
)
from exprdiff.symbolic.finite_differences import numeric_grad

X1, X2, LABEL = Input("x1"), Input("x2"), Input("label")
W1, W2, B = Parameter("w1"), Parameter("w2"), Parameter("b")
PERCEPTRON = Sigmoid(W1 * X1 + W2 * X2 + B)
BCE = -(LABEL * Log(PERCEPTRON) + (1.0 - LABEL) * Log(1.0 - PERCEPTRON))
AND_LIST = [{X1: 0, X2: 0, LABEL: 0}, {X1: 0, X2: 1, LABEL: 0},
            {X1: 1, X2: 0, LABEL: 0}, {X1: 1, X2: 1, LABEL: 1}]
AND_ARRAYS = {X1: np.array([0.0, 0, 1, 1]), X2: np.array([0.0, 1, 0, 1]),
              LABEL: np.array([0.0, 0, 0, 1])}


def article_start():
    return {W1: 1.0, W2: 1.0, B: 0.0}


# -- the seed article -----------------------------------------------------------
@pytest.mark.parametrize("data", [AND_LIST, AND_ARRAYS], ids=["list", "arrays"])
def test_seed_article_parameters_reproduced(data):
    """2000 epochs of full-batch mean-gradient descent at 0.3 give the article's weights."""
    fitted = optimize(BCE, article_start(), data, epochs=2000, learning_rate=0.3)
    assert fitted[W1] == pytest.approx(6.403725189897986, rel=1e-6)
    assert fitted[W2] == pytest.approx(6.403725189897986, rel=1e-6)
    assert fitted[B] == pytest.approx(-9.781184135186036, rel=1e-6)


@pytest.mark.parametrize("data", [AND_LIST, AND_ARRAYS], ids=["list", "arrays"])
def test_seed_article_truth_table_reproduced(data):
    """The trained perceptron's outputs match the article's printed six decimals.

    The article prints 0.000057 for 0.0000565 (rounded) and 0.953746 for
    0.9537467 (cut), so agreement is checked to one unit of the sixth decimal.
    """
    fitted = optimize(BCE, article_start(), data, epochs=2000, learning_rate=0.3)
    outputs = [PERCEPTRON(fitted, sample) for sample in AND_LIST]
    assert outputs == pytest.approx([0.000057, 0.033007, 0.033007, 0.953746], abs=1e-6)


def test_list_and_array_forms_give_identical_fits():
    """Both forms of the same data give bit-identical parameters and losses."""
    from_list = optimize(BCE, article_start(), AND_LIST, epochs=300)
    from_arrays = optimize(BCE, article_start(), AND_ARRAYS, epochs=300)
    assert dict(from_list) == dict(from_arrays)
    assert from_list.losses == from_arrays.losses


def test_one_epoch_is_a_step_along_the_mean_gradient():
    """One epoch steps by -learning_rate times the mean gradient (by finite differences)."""
    start = {W1: 0.3, W2: -0.7, B: 0.1}
    fitted = optimize(BCE, start, AND_ARRAYS, epochs=1, learning_rate=0.5)
    summed = numeric_grad(BCE, start, AND_ARRAYS)
    for param in start:
        assert fitted[param] == pytest.approx(start[param] - 0.5 * summed[param] / 4, rel=1e-7)


# -- what comes back ----------------------------------------------------------------
def test_initial_params_are_not_modified():
    """The caller's dict and its arrays are unchanged after the fit."""
    weights = np.array([0.5, -0.5])
    w, x, y = Parameter("w"), Input("x"), Input("y")
    start = {w: weights, B: 0.0}
    data = {x: np.array([[1.0, 2.0], [3.0, 4.0]]), y: np.array([[1.0, 0.0], [0.0, 1.0]])}
    fitted = optimize((w * x + B - y) ** 2, start, data, epochs=20, learning_rate=0.01)
    assert start[w] is weights and start[B] == 0.0
    assert weights.tolist() == [0.5, -0.5]
    assert fitted[w].shape == (2,) and not np.array_equal(fitted[w], weights)


def test_result_is_a_new_dict_usable_as_params_keeping_extra_entries():
    """The result is a dict of floats with every initial key, and evaluates the model."""
    unused = Parameter("unused")
    start = {**article_start(), unused: 42.0}
    fitted = optimize(BCE, start, AND_LIST, epochs=10)
    assert isinstance(fitted, FitResult) and isinstance(fitted, dict)
    assert fitted is not start and set(fitted) == set(start)
    assert fitted[unused] == 42.0
    assert all(type(value) is float for value in fitted.values())
    assert PERCEPTRON(fitted, {X1: 1, X2: 1}) == pytest.approx(
        PERCEPTRON(dict(fitted), {X1: 1, X2: 1}))


def test_losses_record_each_epoch_and_final_loss_the_result():
    """losses[k] is the mean loss entering epoch k+1; final_loss is at the returned params."""
    start = article_start()
    fitted = optimize(BCE, start, AND_ARRAYS, epochs=5)
    assert len(fitted.losses) == 5 == fitted.epochs
    assert fitted.losses[0] == pytest.approx(BCE(start, AND_ARRAYS).mean(), rel=1e-15)
    after_two = optimize(BCE, start, AND_ARRAYS, epochs=2)
    assert fitted.losses[2] == pytest.approx(after_two.final_loss, rel=1e-15)
    assert fitted.final_loss == pytest.approx(BCE(fitted, AND_ARRAYS).mean(), rel=1e-15)
    assert fitted.stop_reason == "epochs" and not fitted.interrupted
    assert all(a > b for a, b in pairwise(fitted.losses))


def test_parameterless_inputs_free_loss_is_minimised():
    """A loss of parameters only, with one empty sample, is minimised like a function."""
    w = Parameter("w")
    fitted = optimize((w - 3.0) ** 2, {w: 0.0}, [{}], epochs=200, learning_rate=0.1)
    assert fitted[w] == pytest.approx(3.0, abs=1e-9)


@pytest.mark.slow
def test_deep_loss_graph_fits_without_recursion():
    """A loss built as a chain of 100 000 nodes is validated and fitted."""
    w, x = Parameter("w"), Input("x")
    chain = w * x
    for _ in range(50_000):
        chain = chain + 0.0
    fitted = optimize((chain - 2.0) ** 2, {w: 0.0}, {x: np.array([1.0, 1.0])},
                      epochs=2, learning_rate=0.25)
    # (w - 2)^2 with w = 0: step 1 to 1, step 2 to 1.5
    assert fitted[w] == pytest.approx(1.5)


# -- optimizers, mini-batches ------------------------------------------------------
@pytest.mark.parametrize("optimizer, learning_rate", [("gd", 0.3), ("momentum", 0.1),
                                                      ("adam", 0.05)])
def test_each_optimizer_learns_and(optimizer, learning_rate):
    """Every named optimizer fits AND and lowers the loss."""
    fitted = optimize(BCE, article_start(), AND_LIST, epochs=1500, learning_rate=learning_rate,
                      optimizer=optimizer)
    outputs = [round(PERCEPTRON(fitted, sample)) for sample in AND_LIST]
    assert outputs == [0, 0, 0, 1]
    assert fitted.final_loss < 0.1 * fitted.losses[0]


def test_an_optimizer_instance_is_reset_for_each_fit():
    """Passing the same Adam instance to two fits gives two identical fits."""
    from exprdiff import Adam

    rule = Adam(beta1=0.8)
    first = optimize(BCE, article_start(), AND_LIST, epochs=50, learning_rate=0.1, optimizer=rule)
    second = optimize(BCE, article_start(), AND_LIST, epochs=50, learning_rate=0.1, optimizer=rule)
    assert dict(first) == dict(second)
    default = optimize(BCE, article_start(), AND_LIST, epochs=50, learning_rate=0.1,
                       optimizer="adam")
    assert dict(first) != dict(default)


def test_a_custom_optimizer_plugs_in_and_its_scalars_come_back_as_floats():
    """A user's Optimizer subclass drives the fit; NumPy scalars it returns become floats."""
    from exprdiff import Optimizer

    class HalfSteps(Optimizer):
        def step(self, params, grads, learning_rate):
            return {p: np.float64(params[p] - 0.5 * learning_rate * g) for p, g in grads.items()}

    custom = optimize(BCE, article_start(), AND_LIST, epochs=30, optimizer=HalfSteps())
    plain = optimize(BCE, article_start(), AND_LIST, epochs=30, learning_rate=0.15)
    assert all(type(value) is float for value in custom.values())
    for param in plain:
        assert custom[param] == pytest.approx(plain[param], rel=1e-12)


def test_unknown_optimizer_is_refused_by_name():
    """An unknown optimizer name raises ValueError naming it and the choices."""
    with pytest.raises(ValueError, match=r"unknown optimizer 'rmsprop'.*'gd', 'momentum', 'adam'"):
        optimize(BCE, article_start(), AND_LIST, optimizer="rmsprop")


def _reference_minibatch_fit(start, data, epochs, learning_rate, batch_size, seed):
    """The documented mini-batch procedure, written out sample by sample."""
    rng = np.random.default_rng(seed)
    params = dict(start)
    count = len(next(iter(data.values())))
    for _ in range(epochs):
        order = rng.permutation(count)
        for first in range(0, count, batch_size):
            rows = order[first:first + batch_size]
            grads = BCE.grad(params, {k: v[rows] for k, v in data.items()})
            params = {p: params[p] - learning_rate * grads[p] / len(rows) for p in params}
    return params


def test_mini_batches_follow_the_seeded_shuffle():
    """With batch_size, each epoch steps once per batch of a shuffle drawn from the seed."""
    data = {X1: np.array([0.0, 0, 1, 1, 0.2]), X2: np.array([0.0, 1, 0, 1, 0.9]),
            LABEL: np.array([0.0, 0, 0, 1, 0])}
    fitted = optimize(BCE, article_start(), data, epochs=7, learning_rate=0.3, batch_size=2,
                      seed=11)
    expected = _reference_minibatch_fit(article_start(), data, 7, 0.3, 2, 11)
    for param in expected:
        assert fitted[param] == pytest.approx(expected[param], rel=1e-12)


def test_mini_batch_fits_repeat_with_a_seed_and_vary_without_one():
    """The same seed gives the same fit; another seed a different one."""
    def fit(seed):
        return optimize(BCE, article_start(), AND_ARRAYS, epochs=5, batch_size=1, seed=seed)

    assert dict(fit(3)) == dict(fit(3))
    assert dict(fit(3)) != dict(fit(4))


def test_mini_batch_epoch_loss_is_the_sample_weighted_mean():
    """Each epoch's loss weights every batch by its size (here batches of 3 and 1 samples)."""
    # with a vanishing learning rate every batch sees the initial parameters
    fitted = optimize(BCE, article_start(), AND_ARRAYS, epochs=1, batch_size=3, seed=0,
                      learning_rate=1e-12)
    assert fitted.losses[0] == pytest.approx(BCE(article_start(), AND_ARRAYS).mean(), rel=1e-9)


def test_batch_size_covering_the_data_is_full_batch():
    """batch_size >= the sample count is plain full-batch descent (no shuffling)."""
    full = optimize(BCE, article_start(), AND_ARRAYS, epochs=20)
    big = optimize(BCE, article_start(), AND_ARRAYS, epochs=20, batch_size=4, seed=1)
    assert dict(full) == dict(big)


# -- stopping ----------------------------------------------------------------------------
def test_tolerance_stops_when_improvement_is_small():
    """The fit stops at the first epoch improving the loss by less than the tolerance."""
    fitted = optimize(BCE, article_start(), AND_LIST, epochs=2000, tolerance=1e-4)
    assert fitted.stop_reason == "tolerance" and 2 <= fitted.epochs < 2000
    improvements = [a - b for a, b in pairwise(fitted.losses)]
    assert improvements[-1] < 1e-4 and all(d >= 1e-4 for d in improvements[:-1])


def test_patience_lets_a_momentum_fit_ride_out_a_rise():
    """With patience, the stop waits for that many epochs in a row without beating the best loss."""
    hasty = optimize(BCE, article_start(), AND_LIST, learning_rate=0.3, optimizer="momentum",
                     tolerance=1e-4)
    assert hasty.stop_reason == "tolerance" and hasty.losses[-1] > hasty.losses[-2]
    patient = optimize(BCE, article_start(), AND_LIST, learning_rate=0.3, optimizer="momentum",
                       tolerance=1e-4, patience=20)
    assert patient.stop_reason == "tolerance" and patient.epochs > hasty.epochs
    assert patient.final_loss < 0.1 * hasty.final_loss
    losses = patient.losses
    best_before = [min(losses[:k]) for k in range(1, len(losses))]
    stalled = [best - loss < 1e-4 for best, loss in zip(best_before, losses[1:], strict=True)]
    assert all(stalled[-20:]) and not all(stalled[-21:])


def test_callback_sees_every_epoch_and_can_stop_the_fit():
    """callback(epoch, params, loss) runs after each epoch; returning True stops the fit."""
    calls = []

    def watch(epoch, params, loss):
        calls.append((epoch, dict(params), loss))
        return epoch == 4

    fitted = optimize(BCE, article_start(), AND_LIST, epochs=100, callback=watch)
    assert [c[0] for c in calls] == [1, 2, 3, 4]
    assert fitted.stop_reason == "callback" and fitted.epochs == 4
    assert [c[2] for c in calls] == fitted.losses
    assert calls[-1][1] == dict(fitted)
    assert calls[1][1] == dict(optimize(BCE, article_start(), AND_LIST, epochs=2))


def test_ctrl_c_returns_the_parameters_reached():
    """A real SIGINT during the fit returns the parameters after the epochs done, with a warning."""
    def interrupt(epoch, params, loss):
        if epoch == 3:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.warns(RuntimeWarning, match="interrupted by the user after 3 of 1000 epochs"):
        fitted = optimize(BCE, article_start(), AND_LIST, epochs=1000, callback=interrupt)
    assert fitted.interrupted and fitted.stop_reason == "interrupted"
    assert fitted.epochs == 3
    assert dict(fitted) == dict(optimize(BCE, article_start(), AND_LIST, epochs=3))


def test_progress_bar_is_shown_on_request(capsys):
    """progress=True draws a tqdm bar on stderr that reaches the epoch count."""
    optimize(BCE, article_start(), AND_LIST, epochs=25, progress=True)
    err = capsys.readouterr().err
    assert "optimize" in err and "25/25" in err
    optimize(BCE, article_start(), AND_LIST, epochs=25)
    assert capsys.readouterr().err == ""


# -- non-finite losses ------------------------------------------------------------------
def test_nan_loss_stops_with_epoch_and_last_finite_params():
    """A step into log's undefined region raises NonFiniteLossError naming the epoch."""
    w, x = Parameter("w"), Input("x")
    with pytest.raises(NonFiniteLossError, match="epoch 2: the mean loss is nan") as caught:
        optimize(Log(w * x), {w: 1.0}, [{x: 1.0}], epochs=5, learning_rate=2.0)
    error = caught.value
    assert error.epoch == 2 and error.params == {w: 1.0} and error.losses == [0.0]
    assert isinstance(error, FloatingPointError)


def test_non_finite_gradient_names_the_parameter():
    """An infinite gradient with a finite loss stops the fit naming that parameter."""
    w, x = Parameter("w"), Input("x")
    with pytest.raises(NonFiniteLossError, match="epoch 1: the gradient for 'w'") as caught:
        optimize(Sqrt(w * x), {w: 0.0}, [{x: 1.0}], epochs=3)
    assert caught.value.params == {w: 0.0} and caught.value.losses == []


def test_scalar_division_by_zero_becomes_non_finite_loss_error():
    """A scalar-only loss that divides by zero reports the epoch and the infinite loss."""
    w = Parameter("w")
    with pytest.raises(NonFiniteLossError, match="epoch 2: the mean loss is inf") as caught:
        optimize(1.0 / (w - 1.0), {w: 0.0}, [{}], epochs=5, learning_rate=1.0)
    assert caught.value.params == {w: 0.0} and caught.value.losses == [-1.0]


def test_divergence_after_the_last_epoch_is_reported():
    """A last step that makes the loss NaN is not returned as a result."""
    w, x = Parameter("w"), Input("x")
    with pytest.raises(NonFiniteLossError, match="after the last epoch") as caught:
        optimize(Log(w * x), {w: 1.0}, [{x: 1.0}], epochs=1, learning_rate=2.0)
    assert caught.value.params == {w: 1.0}


def test_overflowing_learning_rate_fails_cleanly():
    """Gradient descent that blows up raises NonFiniteLossError, not a NumPy warning."""
    w, x = Parameter("w"), Input("x")
    with pytest.raises(NonFiniteLossError) as caught:
        optimize((w * x) ** 2, {w: 1.0}, {x: np.array([1.0, 2.0])}, epochs=2000,
                 learning_rate=100.0)
    assert all(math.isfinite(v) for v in caught.value.losses)
    assert math.isfinite(caught.value.params[w])


# -- bad input -------------------------------------------------------------------------------
def test_missing_input_in_a_sample_is_named_before_training():
    """A sample without the label raises MissingValueError naming the Input and the sample."""
    data = [dict(sample) for sample in AND_LIST]
    del data[2][LABEL]
    called = []
    message = r"sample 2 \(of 4\) has no value for Input 'label'"
    with pytest.raises(MissingValueError, match=message):
        optimize(BCE, article_start(), data, callback=lambda *a: called.append(a))
    assert called == []


def test_missing_input_array_is_named():
    """The dict-of-arrays form without an Input's array names that Input."""
    data = {X1: AND_ARRAYS[X1], LABEL: AND_ARRAYS[LABEL]}
    with pytest.raises(MissingValueError, match="training_data has no value for Input 'x2'"):
        optimize(BCE, article_start(), data)


def test_lookalike_input_is_explained():
    """Data keyed by a different Input with the same name gets a hint about identity."""
    data = [{Input("x1"): s[X1], X2: s[X2], LABEL: s[LABEL]} for s in AND_LIST]
    with pytest.raises(MissingValueError, match="different node named 'x1'"):
        optimize(BCE, article_start(), data)


def test_nan_in_the_data_stops_at_the_first_epoch():
    """A NaN feature makes the first loss NaN: the error keeps the initial parameters."""
    data = {**AND_ARRAYS, X1: np.array([0.0, np.nan, 1.0, 1.0])}
    with pytest.raises(NonFiniteLossError, match="epoch 1: the mean loss is nan") as caught:
        optimize(BCE, article_start(), data)
    assert caught.value.params == article_start() and caught.value.losses == []


def test_initial_params_must_be_a_dict():
    """A list of values instead of a dict is a TypeError saying what is expected."""
    with pytest.raises(TypeError, match="initial_params must be a dict keyed by Parameter nodes"):
        optimize(BCE, [1.0, 1.0, 0.0], AND_LIST)


def test_missing_parameter_is_named():
    """initial_params without a Parameter of the loss raises MissingValueError naming it."""
    with pytest.raises(MissingValueError, match="initial_params has no value for Parameter 'b'"):
        optimize(BCE, {W1: 1.0, W2: 1.0}, AND_LIST)


@pytest.mark.parametrize("data", [[], {}, {X1: [], X2: [], LABEL: []}],
                         ids=["empty list", "empty dict", "empty arrays"])
def test_empty_training_data_is_refused(data):
    """No samples raises ValueError saying training_data is empty."""
    with pytest.raises(ValueError, match="training_data is empty"):
        optimize(BCE, article_start(), data)


@pytest.mark.parametrize("argument, value, error, message", [
    ("learning_rate", 0.0, ValueError, "learning_rate must be a positive finite number, got 0.0"),
    ("learning_rate", -0.1, ValueError, "learning_rate must be a positive finite number"),
    ("learning_rate", float("nan"), ValueError, "learning_rate must be a positive finite"),
    ("epochs", 0, ValueError, "epochs must be positive, got 0"),
    ("epochs", -5, ValueError, "epochs must be positive, got -5"),
    ("epochs", 2.5, TypeError, "epochs must be a whole number, got float 2.5"),
    ("batch_size", 0, ValueError, "batch_size must be positive, got 0"),
    ("tolerance", -1.0, ValueError, "tolerance must be a finite number >= 0"),
    ("patience", 0, ValueError, "patience must be positive, got 0"),
    ("callback", 3, TypeError, "callback must be callable"),
])
def test_bad_arguments_are_named(argument, value, error, message):
    """Each invalid setting raises the right error naming the argument and its value."""
    with pytest.raises(error, match=message.replace("(", r"\(")):
        optimize(BCE, article_start(), AND_LIST, **{argument: value})


def test_arrays_of_different_lengths_are_refused():
    """Dict-of-arrays data whose arrays disagree on the sample count names each length."""
    data = {**AND_ARRAYS, LABEL: np.array([0.0, 0, 1])}
    with pytest.raises(ValueError, match="different numbers of samples.*'label': 3"):
        optimize(BCE, article_start(), data)


def test_single_number_in_array_form_is_refused():
    """A bare number for an Input in the dict-of-arrays form is refused, naming the Input."""
    with pytest.raises(ValueError, match=r"training_data\[Input 'label'\] is a single number"):
        optimize(BCE, article_start(), {**AND_ARRAYS, LABEL: 1.0})


def test_samples_with_different_shapes_are_refused():
    """List-form samples giving one Input values of different shapes name the Input."""
    data = [dict(s) for s in AND_LIST]
    data[1][X1] = [0.0, 1.0]
    with pytest.raises(ValueError, match="values of Input 'x1' have different shapes"):
        optimize(BCE, article_start(), data)


def test_data_in_neither_form_is_a_type_error():
    """A bare array is neither a list of dicts nor a dict of arrays."""
    with pytest.raises(TypeError, match="list of per-sample dicts or a dict of arrays"):
        optimize(BCE, article_start(), np.zeros((4, 3)))
    with pytest.raises(TypeError, match="sample 0 must be a dict"):
        optimize(BCE, article_start(), [(0, 0, 0)])


def test_loss_reduced_over_the_samples_is_refused():
    """A loss with one value for four samples cannot be averaged per sample."""
    w = Parameter("w")
    with pytest.raises(ValueError, match=r"4 training samples has shape \(\)"):
        optimize((w - 1.0) ** 2, {w: 0.0}, [{}, {}, {}, {}])


def test_loss_must_be_an_expression():
    """Passing something other than a node as the loss is a TypeError naming its type."""
    with pytest.raises(TypeError, match="loss must be an expression .* got float"):
        optimize(1.0, {}, [{}])


# -- a property -----------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(
    slope=st.floats(-3, 3), intercept=st.floats(-3, 3),
    xs=st.lists(st.floats(-2, 2), min_size=1, max_size=6),
)
def test_gradient_descent_never_raises_a_convex_loss(slope, intercept, xs):
    """On least squares with a step below 1/L (L <= 10 here), every epoch lowers the loss."""
    x, y, m, c = Input("x"), Input("y"), Parameter("m"), Parameter("c")
    xs = np.array(xs)
    data = {x: xs, y: slope * xs + intercept}
    fitted = optimize((m * x + c - y) ** 2, {m: 0.0, c: 0.0}, data, epochs=50,
                      learning_rate=0.09)
    history = [*fitted.losses, fitted.final_loss]
    assert all(later <= earlier * (1 + 1e-12) + 1e-300 for earlier, later in pairwise(history))
