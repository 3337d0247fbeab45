"""Packed statements (one call over stacked rows) give every row's own bits, in any layout."""

import numpy as np
import pytest
from _models import run_program
from hypothesis import given, settings
from hypothesis import strategies as st

from exprdiff import Input, Parameter, Sigmoid, Tanh, optimize
from exprdiff.datasets import two_moons
from exprdiff.losses import hinge, l2_penalty, mse
from exprdiff.lowering.packing import MAX_LENGTH, MIN_ROWS, pack_statements
from exprdiff.lowering.program import Program
from exprdiff.nn import MLP


def layered(width: int, length: int, order: list) -> tuple:
    """Two scalar-node layers and a reverse-like pass: rows read in the given order, in
    cycles and in blocks, summed, plus a chain that cannot be packed (each step reads the
    last)."""
    program = Program()
    x = program.argument("x", (length,))
    ws = [[program.argument(f"w{k}_{j}", None) for j in range(width)] for k in range(width)]
    hs = [program.emit("np.tanh({0} * {1})", [ws[0][j], x], shape=(length,))
          for j in range(width)]
    outs = []
    for k in range(width):
        total = program.emit("{0} * {1}", [ws[k][0], hs[order[0]]], shape=(length,))
        for j in order[1:]:
            term = program.emit("{0} * {1}", [ws[k][j], hs[j]], shape=(length,))
            total = program.emit("{0} + {1}", [total, term], shape=(length,))
        outs.append(program.emit("np.maximum({0}, 0.0)", [total], shape=(length,)))
    chain = outs[0]
    for out in outs[1:]:
        chain = program.emit("({0} * 0.5) + {1}", [chain, out], shape=(length,))
    sums = [program.sum_all(program.emit("{0} * {1}", [out, h], shape=(length,)))
            for out in outs for h in reversed(hs)]
    kept = [chain, *sums, hs[width // 2]]
    arguments = {"x": np.linspace(-1.0, 1.0, length)}
    rng = np.random.default_rng(width * 100 + length)
    arguments.update({f"w{k}_{j}": float(rng.normal()) for k in range(width)
                      for j in range(width)})
    return program, kept, arguments


@settings(max_examples=25, deadline=None)
@given(width=st.integers(MIN_ROWS, 7), length=st.integers(1, 40), data=st.data())
def test_a_packed_program_computes_every_value_as_the_unpacked_one(width, length, data):
    """Layers of alike statements, rows in any order: the same values, bit for bit."""
    order = data.draw(st.permutations(range(width)))
    plain_program, plain_kept, arguments = layered(width, length, order)
    packed_program, packed_kept, _ = layered(width, length, order)
    pack_statements(packed_program, packed_kept)
    assert len(packed_program.statements) < len(plain_program.statements)
    plain = run_program(plain_program, plain_kept, arguments)
    packed = run_program(packed_program, packed_kept, arguments)
    assert [np.asarray(v).tobytes() for v in packed] == [np.asarray(v).tobytes() for v in plain]
    assert [type(v) for v in packed] == [type(v) for v in plain]


def test_small_groups_long_vectors_and_other_calls_are_left_alone():
    """Fewer than MIN_ROWS alike statements, vectors over MAX_LENGTH, or a template that
    is not elementwise (a reduction along an axis): the statements do not change."""
    for count, length, template in ((MIN_ROWS - 1, 10, "np.tanh({0} * {1})"),
                                    (MIN_ROWS, MAX_LENGTH + 1, "np.tanh({0} * {1})"),
                                    (MIN_ROWS, 10, "np.cumsum({0} * {1})")):
        program = Program()
        x = program.argument("x", (length,))
        ys = [program.emit(template, [program.argument(f"w{k}", None), x], shape=(length,))
              for k in range(count)]
        before = list(program.statements)
        pack_statements(program, ys)
        assert program.statements == before


def scalar_network(activation: str, seed: int):
    x0, x1, y = Input("x0"), Input("x1"), Input("y")
    points, labels = two_moons(37, noise=0.1, seed=seed)
    score, start = MLP([x0, x1], [6, 5, 1], activation, seed=seed)
    data = {x0: points[:, 0], x1: points[:, 1], y: 2.0 * labels - 1.0}
    return score, start, data, y


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("optimizer, batch_size", [("gd", None), ("adam", 10),
                                                   ("momentum", 16)])
def test_a_scalar_node_network_fits_exactly_as_interpreted(activation, optimizer, batch_size,
                                                           monkeypatch):
    """micrograd-style networks (one Parameter per weight), full batch and mini-batches of
    two lengths: every loss and weight of the compiled (packed) fit is the interpreted fit's
    (NumPy code for the tiny remainder batches too, which plain floats would take)."""
    monkeypatch.setenv("EXPRDIFF_COMPILED", "numpy")
    score, start, data, y = scalar_network(activation, seed=3)
    loss = hinge(score, y) + l2_penalty(start, 1e-3) if activation == "relu" else mse(score, y)
    options = dict(epochs=12, learning_rate=0.05, optimizer=optimizer, batch_size=batch_size,
                   seed=1)
    fast = optimize(loss, start, data, **options)
    slow = optimize(loss, start, data, compiled=False, **options)
    assert fast.losses == slow.losses and fast.final_loss == slow.final_loss
    for p in slow:
        assert type(fast[p]) is type(slow[p]) and fast[p] == slow[p]


def test_rows_with_shared_and_reused_weights_fit_exactly(monkeypatch):
    """A weight shared by several neurons and a neuron reading one input twice: the packed
    rows read the same value more than once, still the interpreted fit's numbers."""
    x = Input("x")
    shared = Parameter("shared")
    ws = [Parameter(f"w{k}") for k in range(6)]
    units = [Tanh(w * x + shared * x * x) for w in ws]
    loss = sum((Sigmoid(u) * w for u, w in zip(units, ws)), start=0.0 * x) ** 2
    monkeypatch.setenv("EXPRDIFF_COMPILED", "numpy")
    data = {x: np.linspace(-2.0, 2.0, 23)}
    start = {shared: 0.3, **{w: 0.1 * (k - 2) for k, w in enumerate(ws)}}
    fast = optimize(loss, start, data, epochs=15, learning_rate=0.1, optimizer="adam")
    slow = optimize(loss, start, data, epochs=15, learning_rate=0.1, optimizer="adam",
                    compiled=False)
    assert fast.losses == slow.losses
    assert all(fast[p] == slow[p] for p in slow)


def test_a_statement_reading_another_through_a_scalar_is_not_packed_with_it():
    """w_k*x for four k, and s*x with s computed from w_0*x: alike templates, but the last
    reads the first (through a scalar), so it stays out of their group (a group with it
    could not be scheduled); the values are the unpacked program's."""
    def build():
        program = Program()
        x = program.argument("x", (5,))
        products = [program.emit("{0} * {1}", [program.argument(f"w{k}", None), x],
                                 shape=(5,)) for k in range(MIN_ROWS)]
        scale = program.emit("{0} * 2.0", [program.sum_all(products[0])], shape=None)
        return program, [*products, program.emit("{0} * {1}", [scale, x], shape=(5,))]

    plain_program, plain_kept = build()
    packed_program, packed_kept = build()
    pack_statements(packed_program, packed_kept)
    arguments = {"x": np.arange(5.0), **{f"w{k}": 0.5 + k for k in range(MIN_ROWS)}}
    packed = run_program(packed_program, packed_kept, arguments)
    assert [v.tobytes() for v in packed] == [
        v.tobytes() for v in run_program(plain_program, plain_kept, arguments)]
    assert any(code.startswith("column(") for _, _, code, _, _ in packed_program.statements)


def test_a_packed_product_read_by_a_division_keeps_its_parentheses():
    """A group's statement np.tanh(a)*w written into the one that divides by it reads
    x / (np.tanh(a)*w), not (x / np.tanh(a))*w: a pack is a call only when it is one."""
    def build():
        program = Program()
        x = program.argument("x", (3,))
        ws = [program.argument(f"w{k}", None) for k in range(MIN_ROWS)]
        products = [program.emit("np.tanh({0}) * {1}", [x, w], shape=(3,)) for w in ws]
        return program, [program.emit("{0} / {1}", [x, p], shape=(3,)) for p in products]

    arguments = {"x": np.array([0.5, 1.0, 2.0]), **{f"w{k}": 1.5 + k for k in range(MIN_ROWS)}}
    plain_program, plain_kept = build()
    packed_program, packed_kept = build()
    pack_statements(packed_program, packed_kept)
    packed = run_program(packed_program, packed_kept, arguments)
    assert [v.tobytes() for v in packed] == [
        v.tobytes() for v in run_program(plain_program, plain_kept, arguments)]
