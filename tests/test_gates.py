"""Logic gates: the truth tables, both data forms, and which models learn which gates."""

import numpy as np
import pytest

from exprdiff import Input, Log, Parameter, Sigmoid, optimize
from exprdiff.gates import (
    CORNERS,
    GATES,
    LINEARLY_SEPARABLE,
    format_truth_table,
    gate_data,
    gate_loss,
    outputs_at_corners,
    perceptron,
    targets,
    two_layer_network,
)

X1, X2, LABEL = Input("x1"), Input("x2"), Input("label")
BOOLEAN = {  # each gate from Python's own boolean operators
    "AND": lambda a, b: a and b, "OR": lambda a, b: a or b,
    "NAND": lambda a, b: not (a and b), "NOR": lambda a, b: not (a or b),
    "XOR": lambda a, b: a != b, "XNOR": lambda a, b: a == b,
}


@pytest.mark.parametrize("gate", list(BOOLEAN))
def test_truth_tables_match_boolean_logic(gate):
    """Each table gives the boolean operator's output at every corner."""
    assert targets(gate) == tuple(int(BOOLEAN[gate](bool(a), bool(b))) for a, b in CORNERS)
    assert set(GATES) == set(BOOLEAN)


@pytest.mark.parametrize("gate", list(GATES))
def test_both_data_forms_hold_the_same_table(gate):
    """The list form and the dict-of-arrays form hold the same four samples."""
    samples = gate_data(gate, X1, X2, LABEL)
    arrays = gate_data(gate, X1, X2, LABEL, form="arrays")
    assert [(s[X1], s[X2], s[LABEL]) for s in samples] == [
        (a, b, t) for (a, b), t in zip(CORNERS, targets(gate), strict=True)]
    for node in (X1, X2, LABEL):
        assert arrays[node].dtype == np.float64
        assert arrays[node].tolist() == [s[node] for s in samples]


def test_gate_names_are_case_insensitive_and_unknown_ones_named():
    """'xor' and 'XOR' are one gate; an unknown name raises ValueError listing the gates."""
    assert targets("xor") == targets("XOR") == GATES["XOR"]
    with pytest.raises(ValueError, match="unknown gate 'IMPLIES': choose one of AND, OR"):
        targets("IMPLIES")
    with pytest.raises(ValueError, match="form must be 'list' or 'arrays', got 'table'"):
        gate_data("and", X1, X2, LABEL, form="table")


def test_gate_tables_cannot_be_changed():
    """GATES is a read-only mapping."""
    with pytest.raises(TypeError):
        GATES["AND"] = (1, 1, 1, 1)


@pytest.mark.parametrize("gate", sorted(LINEARLY_SEPARABLE))
def test_perceptron_learns_every_linearly_separable_gate(gate):
    """From the article's start, 2000 epochs at 0.3 give rounded outputs equal to the table."""
    model, params = perceptron(X1, X2)
    fitted = optimize(gate_loss(model, LABEL), params, gate_data(gate, X1, X2, LABEL))
    assert tuple(np.round(outputs_at_corners(model, X1, X2, fitted))) == targets(gate)


@pytest.mark.parametrize("gate", ["XOR", "XNOR"])
@pytest.mark.parametrize("seed", [None, 0, 1, 2])
def test_perceptron_cannot_learn_xor_or_xnor(gate, seed):
    """No straight line separates XOR: the perceptron ends with at least one corner wrong."""
    model, params = perceptron(X1, X2, seed=seed)
    fitted = optimize(gate_loss(model, LABEL), params, gate_data(gate, X1, X2, LABEL),
                      epochs=3000, learning_rate=0.5)
    outputs = outputs_at_corners(model, X1, X2, fitted)
    assert tuple(np.round(outputs)) != targets(gate)
    # the best a line can do leaves the mean loss far above a learned gate's
    assert fitted.final_loss > 0.4


@pytest.mark.parametrize("gate", ["XOR", "XNOR"])
def test_two_layer_network_learns_xor_and_xnor(gate):
    """With seed 0 the hidden-layer network fits the table the perceptron cannot."""
    model, params = two_layer_network(X1, X2, seed=0)
    fitted = optimize(gate_loss(model, LABEL), params, gate_data(gate, X1, X2, LABEL))
    assert tuple(np.round(outputs_at_corners(model, X1, X2, fitted))) == targets(gate)
    assert fitted.final_loss < 0.2


def test_builders_are_seeded():
    """Same seed, same initial values; another seed, other values; the default is the article's."""
    def values(builder, seed):
        return list(builder(X1, X2, seed=seed)[1].values())

    assert values(two_layer_network, 5) == values(two_layer_network, 5)
    assert values(two_layer_network, 5) != values(two_layer_network, 6)
    assert values(perceptron, 5) == values(perceptron, 5) != values(perceptron, 6)
    assert values(perceptron, None) == [1.0, 1.0, 0.0]


def test_two_layer_network_shape():
    """hidden neurons give 3*hidden + hidden + 1 parameters, named by position."""
    model, params = two_layer_network(X1, X2, hidden=4)
    assert len(params) == 3 * 4 + 4 + 1
    assert {p.label for p in params} >= {"h1.w1", "h4.b", "out.w4", "out.b"}
    assert all(type(v) is float for v in params.values())
    with pytest.raises(ValueError, match="hidden must be a positive number of neurons, got 0"):
        two_layer_network(X1, X2, hidden=0)


def test_gate_loss_is_the_article_cross_entropy():
    """gate_loss gives -log p for label 1 and -log(1-p) for label 0, as the article writes it."""
    model, params = perceptron(X1, X2)
    loss = gate_loss(model, LABEL)
    p = model(params, {X1: 1, X2: 0})
    assert loss(params, {X1: 1, X2: 0, LABEL: 1}) == pytest.approx(-np.log(p), rel=1e-14)
    assert loss(params, {X1: 1, X2: 0, LABEL: 0}) == pytest.approx(-np.log(1 - p), rel=1e-14)
    z = Parameter("z")
    article = -(LABEL * Log(Sigmoid(z)) + (1.0 - LABEL) * Log(1.0 - Sigmoid(z)))
    stable = gate_loss(Sigmoid(z), LABEL)
    labels = {LABEL: np.array([0.0, 1.0])}
    for value in np.linspace(-15, 15, 31):  # where the article's form is still accurate
        np.testing.assert_allclose(stable({z: value}, labels), article({z: value}, labels),
                                   rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(stable.grad({z: value}, labels)[z],
                                   article.grad({z: value}, labels)[z], rtol=1e-8, atol=1e-12)


def test_gate_loss_stays_finite_for_saturated_sigmoids():
    """At logits of ±1000 the loss is 0 when right and |z| when wrong, never NaN."""
    z = Parameter("z")
    loss = gate_loss(Sigmoid(z), LABEL)
    labels = {LABEL: np.array([1.0, 0.0])}
    np.testing.assert_array_equal(loss({z: 1000.0}, labels), [0.0, 1000.0])
    np.testing.assert_array_equal(loss({z: -1000.0}, labels), [1000.0, 0.0])
    np.testing.assert_array_equal(loss.grad({z: 1000.0}, labels)[z], 1.0)  # (1-1) + (1-0)


def test_gate_loss_of_another_probability_uses_the_logs():
    """A probability that is not a sigmoid node gets the article's formula as written."""
    p = Parameter("p")
    assert str(gate_loss(p, LABEL)) == "-(label*log(p) + (1 - label)*log(1 - p))"


def test_outputs_at_corners_equal_per_sample_evaluation():
    """The batched corner values equal evaluating each corner on its own."""
    model, params = two_layer_network(X1, X2, seed=3)
    expected = [model(params, {X1: a, X2: b}) for a, b in CORNERS]
    assert outputs_at_corners(model, X1, X2, params).tolist() == pytest.approx(expected, rel=1e-15)


def test_truth_table_text_is_aligned():
    """Every line of the printed table has the same width and the target column last."""
    text = format_truth_table("xor", before=[0.5, 0.25, 0.125, 1.0], after=[0, 1, 1, 0])
    lines = text.splitlines()
    assert lines[0].split() == ["x1", "x2", "before", "after", "target"]
    assert len({len(line) for line in lines}) == 1
    assert lines[2].split() == ["0", "1", "0.250000", "1.000000", "1"]
    with pytest.raises(ValueError, match="column 'after' needs 4 values, one per corner, got 3"):
        format_truth_table("xor", after=[0, 1, 1])


def test_the_tables_live_in_truth_tables_and_stay_importable_from_gates():
    """exprdiff.gates offers every truth-table name, the very objects of exprdiff.truth_tables."""
    import exprdiff.gates
    import exprdiff.truth_tables

    assert set(exprdiff.truth_tables.__all__) <= set(exprdiff.gates.__all__)
    for name in exprdiff.truth_tables.__all__:
        assert getattr(exprdiff.gates, name) is getattr(exprdiff.truth_tables, name)
    assert exprdiff.gates.gate_data.__module__ == "exprdiff.truth_tables"
    assert exprdiff.gates.perceptron.__module__ == "exprdiff.gates"
