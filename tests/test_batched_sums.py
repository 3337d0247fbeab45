"""The training step's batched sums give each vector's own sum, bit for bit, in any order."""

import numpy as np
from _models import run_program
from hypothesis import given, settings
from hypothesis import strategies as st

from exprdiff import Input, Parameter, Sum, Tanh, optimize
from exprdiff.lowering.batched_sums import MAX_LENGTH, MIN_SUMS, batch_sums
from exprdiff.lowering.program import Program


@settings(max_examples=60, deadline=None)
@given(length=st.integers(2, MAX_LENGTH), stride=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_a_row_of_the_buffer_sums_to_the_vectors_own_sum(length, stride, seed):
    """np.add.reduce over a buffer's rows equals each (strided) vector's own sum, bits and type."""
    rng = np.random.default_rng(seed)
    vectors = [rng.standard_normal(length * stride)[::stride] * 10.0 ** rng.integers(-8, 8, length)
               for _ in range(3)]
    rows = np.empty((3, length))
    for j, vector in enumerate(vectors):
        rows[j] = vector
    sums = np.add.reduce(rows, 1)
    for j, vector in enumerate(vectors):
        own = np.add.reduce(vector, None)
        assert type(sums[j]) is type(own)
        assert sums[j].tobytes() == own.tobytes()


def chained_program(length: int) -> tuple:
    """Sums whose results feed vectors that are summed again (a scalar node's adjoint)."""
    program = Program()
    xs = [program.argument(f"x{j}", (length,)) for j in range(MIN_SUMS)]
    firsts = [program.sum_all(program.emit("{0} * {0}", [x], shape=(length,))) for x in xs]
    scaled = [program.emit("{0} * {1}", [s, x], shape=(length,)) for s, x in zip(firsts, xs)]
    seconds = [program.sum_all(v) for v in scaled]
    total = seconds[0]
    for s in seconds[1:] + firsts:
        total = program.emit("{0} + {1}", [total, s], shape=None)
    return program, [total, *seconds]


def test_sums_that_feed_later_sums_come_out_as_unbatched():
    """A sum read by a vector that is summed again: the same numbers as without batching."""
    rng = np.random.default_rng(0)
    arguments = {f"x{j}": rng.standard_normal(37) for j in range(MIN_SUMS)}
    plain_program, plain_kept = chained_program(37)
    batched_program, batched_kept = chained_program(37)
    batch_sums(batched_program, batched_kept)
    assert any("_add_reduce" in code for _, _, code, _, _ in batched_program.statements)
    plain = run_program(plain_program, plain_kept, arguments)
    batched = run_program(batched_program, batched_kept, arguments)
    assert [v.tobytes() for v in batched] == [v.tobytes() for v in plain]


def test_few_sums_or_long_vectors_are_left_as_they_are():
    """Below MIN_SUMS sums, or over MAX_LENGTH elements, the statements do not change."""
    for count, length in ((MIN_SUMS - 1, 10), (MIN_SUMS, MAX_LENGTH + 1)):
        program = Program()
        sums = [program.sum_all(program.argument(f"x{j}", (length,))) for j in range(count)]
        before = list(program.statements)
        batch_sums(program, sums)
        assert program.statements == before


def test_a_fit_through_a_reduced_node_is_the_interpreted_fit():
    """Ten weights feed a batch sum whose value scales the batch again (sum, then vector,
    then sum on the reverse pass), mini-batches of two lengths: every loss and weight the
    interpreted fit's, bit for bit."""
    x, z = Input("x"), Input("z")
    weights = [Parameter(f"w{k}") for k in range(10)]
    inner = Sum(sum((w * (x + float(k)) for k, w in enumerate(weights)), start=0.0 * x))
    loss = Tanh(inner * z * 0.01) + sum(w * w for w in weights) * 1e-3
    rng = np.random.default_rng(1)
    data = {x: rng.standard_normal(23), z: rng.standard_normal(23)}
    start = {w: float(v) for w, v in zip(weights, rng.standard_normal(10))}
    fast = optimize(loss, start, data, epochs=30, learning_rate=0.2, batch_size=10, seed=2,
                    optimizer="adam")
    slow = optimize(loss, start, data, epochs=30, learning_rate=0.2, batch_size=10, seed=2,
                    optimizer="adam", compiled=False)
    assert fast.losses == slow.losses
    for w in weights:
        assert type(fast[w]) is type(slow[w])
        assert fast[w] == slow[w]
