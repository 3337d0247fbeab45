"""Every operation through `to_jax` and `to_torch`: the engine's values and gradients, to round-off.

The elementwise operations come from the op table of tests/test_ops.py
(scalar, batched and array parameters); the array and fused operations
have rows of their own here.  Second derivatives (`jax.hessian` of the
JAX function) equal exprdiff's symbolic `hessian` on the elementwise ones.
"""

import numpy as np
import pytest
from _backends import BACKENDS, assert_agrees, jax_float64, library, names
from op_table import TABLE

import exprdiff.ops
from exprdiff import (
    Abs,
    ClassScore,
    Clip,
    Input,
    Log,
    LogSumExp,
    MatMul,
    Mean,
    Parameter,
    ReLU,
    Sigmoid,
    Sign,
    Softmax,
    Softplus,
    Sqrt,
    Sum,
    SumOfSquares,
    Transpose,
    Where,
    evaluate_hessian,
    hessian,
    to_jax,
)
from exprdiff.backends.names import params_by_name
from exprdiff.losses import softmax_cross_entropy
from exprdiff.ops import (
    BroadcastTo,
    Concatenate,
    ExpandDims,
    Index,
    Max,
    Min,
    Prod,
    Reshape,
    Squeeze,
    Stack,
    Std,
    Var,
)
from exprdiff.ops.fused import LogSoftmax, SigmoidCrossEntropy, SoftmaxCrossEntropy

SMOOTH_ROWS = sorted(name for name, row in TABLE.items() if not row.condition)
CONDITION_ROWS = sorted(name for name, row in TABLE.items() if row.condition)
RNG = np.random.default_rng(7)


def _operands(domains, rng, shape=()):
    """A value per operand from its domain in the op table."""
    return [domain.sample(rng, shape) for domain in domains]
W = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])  # a constant array (a buffer in torch)


def _p(*shape):
    return RNG.normal(size=shape) if shape else float(RNG.normal())


def _cases_matmul():
    a, b, x = Parameter("a"), Parameter("b"), Input("x")
    return [
        (a @ b, {a: _p(3, 4), b: _p(4, 2)}, None),
        (a @ b, {a: _p(4), b: _p(4, 2)}, None),
        (a @ b, {a: _p(3, 4), b: _p(4)}, None),
        (a @ b, {a: _p(4), b: _p(4)}, None),
        (a @ b, {a: _p(2, 3, 4), b: _p(4, 2)}, None),
        (x @ a + b, {a: _p(3, 2), b: _p(2)}, {x: _p(5, 3)}),  # a batch of rows
    ]


def _reductions(op):
    def cases():
        w, x = Parameter("w"), Input("x")
        out = [(op(w * w, axis=axis) * op(w, axis=axis), {w: _p(2, 3, 4)}, None)
               for axis in (None, 0, -1, (0, 2))]
        out.append((op(w * x, axis=-1), {w: _p(3)}, {x: _p(6, 3)}))
        return out
    return cases


def _cases_logsumexp():
    z, x = Parameter("z"), Input("x")
    return [(LogSumExp(z * x, axis=axis) ** 2, {z: _p(2, 3)}, {x: _p(4, 2, 3)})
            for axis in (-1, 0, None, (0, 1))] + [
        (LogSumExp(z), {z: np.array([1000.0, 1000.0, -1000.0])}, None)]


def _cases_softmax():
    z = Parameter("z")
    return [(Softmax(z, axis=axis) * W, {z: _p(2, 3)}, None) for axis in (-1, 0, None, (0, 1))]


def _cases_log_softmax():
    z = Parameter("z")
    return [(LogSoftmax(z, axis=axis) * W, {z: _p(2, 3)}, None) for axis in (-1, 0, None)] + [
        (Log(Softmax(z)) * W, {z: np.array([[0.0, 1000.0, -3.0], [1.0, 2.0, 3.0]])}, None)]


def _cases_transpose():
    w = Parameter("w")
    return [(Transpose(w) @ W.T, {w: _p(3, 2)}, None),
            (Transpose(w, axes=(1, 0, 2)) * _p(3, 2, 4), {w: _p(2, 3, 4)}, None)]


def _cases_class_score():
    z, y, onehot = Parameter("z"), Input("y"), Parameter("onehot")
    return [(ClassScore(z, y) ** 2, {z: _p(5, 3)}, {y: np.array([0.0, 2.0, 1.0, 1.0, 0.0])}),
            (ClassScore(z, onehot), {z: _p(2, 3), onehot: np.eye(3)[[2, 0]]}, None)]


def _cases_softmax_cross_entropy():
    z, y, probs = Parameter("z"), Input("y"), Parameter("probs")
    labels = np.array([0.0, 2.0, 1.0, 1.0])
    fused = softmax_cross_entropy(z, y)  # rewritten into SoftmaxCrossEntropy
    return [(fused, {z: _p(4, 3)}, {y: labels}),
            (SoftmaxCrossEntropy(z, y), {z: _p(4, 3) * 300}, {y: labels}),
            (SoftmaxCrossEntropy(z, probs), {z: _p(4, 3), probs: np.eye(3)[[0, 2, 1, 1]]}, None)]


def _cases_sigmoid_cross_entropy():
    z, y, t = Parameter("z"), Input("y"), Parameter("t")
    p = Sigmoid(z)
    written = -(y * Log(p) + (1.0 - y) * Log(1.0 - p))  # rewritten into SigmoidCrossEntropy
    return [(written, {z: _p(6) * 3}, {y: np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])}),
            (SigmoidCrossEntropy(z, t), {z: np.array([-1000.0, -2.0, 0.0, 3.0, 1000.0]),
                                         t: np.array([1.0, 0.0, 1.0, 0.25, 0.0])}, None),
            (SigmoidCrossEntropy(z, 0.5), {z: _p(2, 3)}, None)]


def _extremes(op):
    def cases():
        w, x = Parameter("w"), Input("x")
        ties = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])
        out = [(op(w, axis=axis, keepdims=keep) * 1.5, {w: _p(2, 3, 4)}, None)
               for axis in (None, 0, -1, (0, 2)) for keep in (False, True)]
        out += [(op(w, axis=axis), {w: ties}, None) for axis in (None, 0, 1)]  # shared ties
        out.append((op(w * x, axis=-1), {w: _p(3)}, {x: _p(6, 3)}))
        return out
    return cases


def _cases_prod():
    w = Parameter("w")
    zeros = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.5]])  # one zero, two zeros
    return ([(Prod(w, axis=axis, keepdims=keep), {w: _p(2, 3, 4)}, None)
             for axis in (None, 0, -1, (0, 2)) for keep in (False, True)]
            + [(Prod(w, axis=axis), {w: zeros}, None) for axis in (None, 0, 1)])


def _spreads(op):
    def cases():
        w = Parameter("w")
        out = [(op(w, axis=axis, ddof=ddof, keepdims=keep), {w: _p(2, 3, 4)}, None)
               for axis in (None, 0, (0, 2)) for ddof in (0, 1) for keep in (False, True)]
        out.append((op(w, axis=1), {w: np.array([[2.0, 2.0], [1.0, 3.0]])}, None))  # flat row
        return out
    return cases


def _cases_shaping():
    w, x = Parameter("w"), Input("x")
    weights = _p(3, 4)
    return [
        (Reshape(w, (2, -1)) * _p(2, 6), {w: _p(3, 4)}, None),
        (Reshape(w, (-1,)) @ _p(12), {w: _p(3, 4)}, None),
        (ExpandDims(w, 1) * _p(3, 2), {w: _p(3)}, None),
        (ExpandDims(w, (0, -1)) * _p(1, 3, 1), {w: _p(3)}, None),
        (Squeeze(w) * _p(3), {w: _p(1, 3, 1)}, None),
        (Squeeze(w, axis=0) * _p(3, 1), {w: _p(1, 3, 1)}, None),
        (BroadcastTo(w, (4, 3)) * weights.T, {w: _p(3)}, None),
        (BroadcastTo(w * x, (2, 3)) * _p(2, 3), {w: 0.5}, {x: _p(3)}),
    ]


def _cases_join(op):
    def cases():
        a, b, x = Parameter("a"), Parameter("b"), Input("x")
        out = [(op(a, b, a * x, axis=axis) * 2.0, {a: _p(2, 3), b: _p(2, 3)}, {x: _p(2, 3)})
               for axis in (0, 1, -1)]
        out.append((op(a, 1.0 + b, axis=0) ** 2, {a: _p(3), b: _p(3)}, None))
        if op is Concatenate:
            out.append((op(a, b, axis=None) * _p(9), {a: _p(2, 3), b: _p(3)}, None))
        return out
    return cases


def _cases_index():
    w = Parameter("w")
    mask = np.array([[True, False, True, False], [False, True, True, True], [True] * 4])
    keys = [0, -1, (1, 2), (slice(None), 1), slice(1, 3), slice(None, None, -1),
            (slice(None, None, -2), slice(3, 0, -1)), [0, 0, 2], np.array([[2, 0], [-1, 2]]),
            ([0, 2], [1, 1]), mask, (Ellipsis, None, 2)]
    return [(Index(w, key) * 3.0, {w: _p(3, 4)}, None) for key in keys] + [
        (Index(w, slice(None, None, -1)), {w: _p(1, 3)}, None)]  # a length-1 axis reversed


ARRAY_TABLE = {
    "Max": _extremes(Max),
    "Min": _extremes(Min),
    "Prod": _cases_prod,
    "Var": _spreads(Var),
    "Std": _spreads(Std),
    "Reshape": _cases_shaping,
    "ExpandDims": _cases_shaping,
    "Squeeze": _cases_shaping,
    "BroadcastTo": _cases_shaping,
    "Concatenate": _cases_join(Concatenate),
    "Stack": _cases_join(Stack),
    "Index": _cases_index,
    "MatMul": _cases_matmul,
    "Sum": _reductions(Sum),
    "Mean": _reductions(Mean),
    "SumOfSquares": _reductions(SumOfSquares),
    "LogSumExp": _cases_logsumexp,
    "Softmax": _cases_softmax,
    "Transpose": _cases_transpose,
    "ClassScore": _cases_class_score,
    "LogSoftmax": _cases_log_softmax,
    "SoftmaxCrossEntropy": _cases_softmax_cross_entropy,
    "SigmoidCrossEntropy": _cases_sigmoid_cross_entropy,
}
FUSED = [LogSoftmax, SigmoidCrossEntropy, SoftmaxCrossEntropy]


def test_every_operation_has_a_row():
    """The two tables cover every operation of exprdiff.ops and every fused form."""
    classes = {name for name in exprdiff.ops.__all__ if isinstance(getattr(exprdiff.ops, name), type)}
    classes |= {op.__name__ for op in FUSED}
    elementwise = {name for name in classes if getattr(exprdiff.ops, name, None) is not None
                   and getattr(exprdiff.ops, name).elementwise}
    assert elementwise == set(TABLE)
    assert classes == set(TABLE) | set(ARRAY_TABLE)


def _built(name, params):
    """The row's operation on ``params``; a condition chooses between two of them, so that
    its value (and its lack of a derivative) shows in a value and a gradient."""
    row = TABLE[name]
    if row.condition:
        return Where(row.build(*params), params[0] * 2.0, params[-1] - 1.0)
    return row.build(*params)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("name", sorted(TABLE))
class TestElementwise:
    """Each elementwise operation, scalar, batched and on array parameters (the op table's
    domains, their ends included)."""

    def test_scalar_parameters(self, name, backend):
        domains = TABLE[name].domains
        rng = np.random.default_rng(0)
        params = [Parameter(f"p{i}") for i in range(len(domains))]
        ends = [[d.ends[0] for d in domains], [d.ends[1] for d in domains]]
        for values in ends + [_operands(domains, rng) for _ in range(3)]:
            assert_agrees(_built(name, params), dict(zip(params, values)), None, backend)

    def test_batched_inputs(self, name, backend):
        row = TABLE[name]
        rng = np.random.default_rng(1)
        params = [Parameter(f"p{i}") for i in range(len(row.domains))]
        batch = Input("batch")
        first = row.domains[0].place(batch, 0.0, 1.0) * params[0]  # inside the domain
        expr = _built(name, [first, *params[1:]]) if len(params) > 1 else _built(name, [first])
        bound = dict(zip(params, [1.0] + _operands(row.domains[1:], rng)))
        assert_agrees(expr, bound, {batch: rng.uniform(0.0, 1.0, size=6)}, backend)

    def test_array_parameters(self, name, backend):
        domains = TABLE[name].domains
        rng = np.random.default_rng(2)
        params = [Parameter(f"p{i}") for i in range(len(domains))]
        bound = dict(zip(params, _operands(domains, rng, shape=(2, 3))))
        assert_agrees(_built(name, params), bound, None, backend)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("name", sorted(ARRAY_TABLE))
def test_array_and_fused_operations(name, backend):
    """Each array or fused operation, on each of its cases (axes, shapes, label forms)."""
    for expr, params, inputs in ARRAY_TABLE[name]():
        assert_agrees(expr, params, inputs, backend)


@pytest.mark.parametrize("name", SMOOTH_ROWS)
def test_second_derivatives_equal_the_symbolic_hessian(name):
    """jax.hessian of the JAX function equals evaluate_hessian(hessian(expr)), batched too."""
    row = TABLE[name]
    rng = np.random.default_rng(3)
    params = [Parameter(f"p{i}") for i in range(len(row.domains))]
    batch = Input("batch")
    first = row.domains[0].place(batch, 0.0, 1.0) * params[0]
    expr = row.build(first, *params[1:])
    bound = dict(zip(params, [1.0] + _operands(row.domains[1:], rng)))
    inputs = {batch: rng.uniform(0.0, 1.0, size=4)}
    expected = evaluate_hessian(expr, hessian(expr, params), bound, inputs)
    with jax_float64() as jax:
        f = to_jax(expr)
        total = lambda p: jax.numpy.sum(f(p, names(inputs)))  # noqa: E731
        got = jax.hessian(total)(params_by_name(bound))
        matrix = np.array([[float(got[a.label][b.label]) for b in params] for a in params])
    np.testing.assert_allclose(matrix, expected, rtol=1e-11, atol=1e-13)


def test_second_derivative_of_the_fused_cross_entropy():
    """d2/dz2 of SigmoidCrossEntropy is sigmoid'(z), at z = 0 too, as the symbolic hessian says."""
    library("jax")
    z, y = Parameter("z"), Input("y")
    expr = SigmoidCrossEntropy(z, y)
    f = to_jax(expr)
    for value in (-3.0, 0.0, 2.5):
        expected = evaluate_hessian(expr, hessian(expr, [z]), {z: value}, {y: 1.0})
        with jax_float64() as jax:
            got = jax.grad(jax.grad(lambda p: f({"z": p}, {"y": 1.0})))(value)
        assert float(got) == pytest.approx(expected[0, 0], rel=1e-12)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
class TestConventions:
    """Derivatives at kinks are exprdiff's (PyTorch's conventions), not each library's default."""

    @pytest.mark.parametrize("op", [ReLU, Abs, Sign])
    def test_slope_zero_at_zero(self, op, backend):
        """ReLU'(0), Abs'(0) and Sign'(0) are 0 (jnp.abs and jnp.maximum say otherwise)."""
        x = Parameter("x")
        value = np.array([0.0, -2.0, 3.0])
        assert_agrees(op(x), {x: value}, None, backend, rtol=0, atol=0)
        assert BACKENDS[backend](op(x), {x: value})[1][x][0] == 0.0

    def test_clip_on_a_bound_is_one_half(self, backend):
        """Clip's slope is 1/2 exactly on a bound (torch.clamp says 1, jnp.clip 1/2 by luck)."""
        x = Parameter("x")
        grads = BACKENDS[backend](Clip(x, -1.0, 1.0), {x: np.array([-1.0, 1.0, 0.0, 2.0])})[1]
        assert grads[x].tolist() == [0.5, 0.5, 1.0, 0.0]

    def test_sigmoid_cross_entropy_at_zero(self, backend):
        """The fused loss's slope at z = 0 is sigmoid(0) - y, though it is written with |z|."""
        z, y = Parameter("z"), Input("y")
        grads = BACKENDS[backend](SigmoidCrossEntropy(z, y), {z: np.zeros(2)},
                                  {y: np.array([1.0, 0.0])})[1]
        assert grads[z].tolist() == [-0.5, 0.5]

    def test_stable_forms_at_large_magnitudes(self, backend):
        """Sigmoid, Softplus and log(sigmoid) at ±1000: exprdiff's finite values and slopes."""
        x = Parameter("x")
        big = {x: np.array([-1000.0, 0.0, 1000.0])}
        for expr in (Sigmoid(x), Softplus(x), Log(Sigmoid(x)), Log(1.0 - Sigmoid(x))):
            value, grads = BACKENDS[backend](expr, big)
            assert np.isfinite(value).all() and np.isfinite(grads[x]).all(), expr
            assert_agrees(expr, big, None, backend)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
class TestIssue12Conventions:
    """Ties, kinks and domain edges of issue 12's operations: exprdiff's values, exactly."""

    def _grads(self, backend, expr, params, inputs=None):
        """The backend's gradients as lists (after agreeing with the engine's) and the engine's."""
        with np.errstate(all="ignore"):
            expected = expr.grad(params, inputs)
            assert_agrees(expr, params, inputs, backend)
            got = BACKENDS[backend](expr, params, inputs)[1]
        return {p: got[p].tolist() for p in params}, expected

    def test_maximum_and_minimum_split_a_tie_and_give_a_nan_nothing(self, backend):
        a, b = Parameter("a"), Parameter("b")
        values = {a: np.array([1.0, 2.0, 3.0, np.nan]), b: np.array([2.0, 2.0, 2.0, 1.0])}
        for op, first in ((exprdiff.Maximum, [0.0, 0.5, 1.0, 0.0]),
                          (exprdiff.Minimum, [1.0, 0.5, 0.0, 0.0])):
            got, _ = self._grads(backend, op(a, b), values)
            assert got[a] == first
            assert got[b] == [1.0 - f if i < 3 else 0.0 for i, f in enumerate(first)]

    def test_fmax_and_fmin_give_a_tie_and_a_nan_operand_to_a(self, backend):
        a, b = Parameter("a"), Parameter("b")
        values = {a: np.array([2.0, 1.0, 5.0, np.nan]), b: np.array([2.0, 3.0, np.nan, 1.0])}
        got, _ = self._grads(backend, exprdiff.Fmax(a, b), values)
        assert got[a] == [1.0, 0.0, 1.0, 0.0] and got[b] == [0.0, 1.0, 0.0, 1.0]
        got, _ = self._grads(backend, exprdiff.Fmin(a, b), values)
        assert got[a] == [1.0, 1.0, 1.0, 0.0] and got[b] == [0.0, 0.0, 0.0, 1.0]

    def test_leaky_relu_and_elu_at_zero(self, backend):
        x = Parameter("x")
        zero = {x: np.array([0.0, -1.0, 2.0])}
        assert self._grads(backend, exprdiff.LeakyReLU(x, 0.1), zero)[0][x] == [0.1, 0.1, 1.0]
        got = self._grads(backend, exprdiff.ELU(x, alpha=2.0), zero)[0][x]
        assert got[0] == 2.0 and got[2] == 1.0

    def test_clip_with_equal_bounds_is_flat(self, backend):
        x, w = Parameter("x"), Parameter("w")
        got, _ = self._grads(backend, exprdiff.Clip(x, 1.0, 1.0) * w + w,
                             {x: np.array([0.0, 1.0, 2.0]), w: 2.0})
        assert got[x] == [0.0, 0.0, 0.0]

    def test_hypot_and_arctan2_at_the_origin(self, backend):
        a, b = Parameter("a"), Parameter("b")
        values = {a: np.array([0.0, -0.0, 3.0]), b: np.array([0.0, -0.0, -4.0])}
        for op in (exprdiff.Hypot, exprdiff.Arctan2):
            got, _ = self._grads(backend, op(a, b), values)
            assert got[a][:2] == [0.0, 0.0] and got[b][:2] == [0.0, 0.0], op

    def test_std_of_equal_elements_and_prod_with_zeros(self, backend):
        w = Parameter("w")
        got, _ = self._grads(backend, Std(w, axis=1), {w: np.array([[2.0, 2.0], [1.0, 3.0]])})
        assert got[w] == [[0.0, 0.0], [-0.5, 0.5]]
        got, _ = self._grads(backend, Prod(w), {w: np.array([2.0, 0.0, 3.0])})
        assert got[w] == [0.0, 6.0, 0.0]

    def test_infinite_slopes_at_domain_edges(self, backend):
        """Arcsin, Arccos, Arctanh at ±1, Cbrt and Sqrt at 0: inf as the engine's."""
        x = Parameter("x")
        for op, at in ((exprdiff.Arcsin, [-1.0, 1.0]), (exprdiff.Arccos, [-1.0, 1.0]),
                       (exprdiff.Arctanh, [-1.0, 1.0]), (exprdiff.Cbrt, [0.0, 8.0]),
                       (exprdiff.Arccosh, [1.0, 2.0])):
            got, expected = self._grads(backend, op(x), {x: np.array(at)})  # agree, inf too
            assert np.isinf(got[x][0]) and np.isinf(expected[x][0]), op

    def test_where_gives_no_nan_from_the_branch_not_taken(self, backend):
        """where(x > 0, sqrt(x), 0) at -1: slope 0, not NaN (jax#1052), through broadcasting
        and nested where too; a branch also used outside keeps the NaN there, as the engine."""
        w, x = Parameter("w"), Input("x")
        xs = {x: np.array([-1.0, 0.0, 4.0])}
        cases = [  # (expression, whether it reads x)
            (Where(w > 0, exprdiff.Sqrt(w), 0.0), False),
            (Where(w * x > 0, Log(w * x), 1.0), True),  # a scalar Parameter, batched conditions
            (Where(w > 1, Log(w - 1.0), Where(w > -1, exprdiff.Arcsin(w), w * w)), False),
            (Where(w > 0, exprdiff.Sqrt(w), 0.0) + 0.0 * exprdiff.Sqrt(w), False),
            (Sum(Where(x > 0, exprdiff.Sqrt(w * x), -w)), True),
        ]
        for expr, reads_x in cases:
            for value in ((0.5, -1.0) if reads_x else (np.array([-2.0, 0.5, 4.0]), 0.5, -1.0)):
                # NaN and inf only where the engine has them (the 0.0 * sqrt(w) case)
                self._grads(backend, expr, {w: value}, xs if reads_x else None)
        got, _ = self._grads(backend, cases[0][0], {w: np.array([-1.0, 4.0])})
        assert got[w] == [0.0, 0.25]


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_where_with_a_condition_broadcasting_with_a_smaller_branch(backend):
    """A condition (3,) choosing from a branch (2, 1): its mask over (2, 3), reduced to (2, 1)
    (the fuzzer's example: to_jax raised 'Incompatible types for broadcasting')."""
    w, v, rows = Parameter("w"), Parameter("v"), Input("rows")
    expr = Where(w > 0, Sqrt(rows * v), w)
    with np.errstate(invalid="ignore"):
        for start in ([-1.0, -2.0, -3.0], [1.0, -2.0, -3.0]):
            assert_agrees(expr, {w: np.array(start), v: 2.0},
                          {rows: np.array([[-1.0], [4.0]])}, backend)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_where_whose_condition_reads_its_branch(backend):
    """where(sqrt(w) > 1, sqrt(w), 0) and where(p1 > -p0, p1 + 0.37, -p0): the condition reads
    a branch, and passes it no mask (it would reset the branch's, and give sqrt(-1)'s NaN)."""
    w, p0, p1 = Parameter("w"), Parameter("p0"), Parameter("p1")
    root = Sqrt(w)
    with np.errstate(invalid="ignore"):
        for expr, params in ((Where(root > 1.0, root, 0.0), {w: np.array([-1.0, 0.25, 4.0])}),
                             (Where(p1 > -p0, p1 + 0.37, -p0), {p0: 1.0, p1: 0.0})):
            assert_agrees(expr, params, None, backend, rtol=0, atol=0)
        grads = BACKENDS[backend](Where(root > 1.0, root, 0.0), {w: np.array([-1.0, 4.0])})[1]
    assert grads[w].tolist() == [0.0, 0.25]


def test_jax_where_has_exprdiffs_second_derivative_too():
    """jax.hessian of where(w > 0, log(w), w**3): no NaN from the other branch, order 2."""
    w = Parameter("w")
    expr = Where(w > 0, Log(w), w * w * w)
    with jax_float64() as jax:
        f = to_jax(expr)
        for value, second in ((-2.0, -12.0), (3.0, -1.0 / 9.0)):
            got = float(jax.hessian(lambda p: f({"w": p}, {}))(value))  # noqa: B023
            assert got == pytest.approx(second, rel=1e-14)


def test_a_user_op_without_a_jax_form_is_named():
    """A user-defined op with only NumPy code: NotImplementedError naming it and the attribute."""
    library("jax")
    from _models import Cube

    w = Parameter("w")
    with pytest.raises(NotImplementedError, match=r"to_jax: Cube has no JAX form.*jax_code"):
        to_jax(Cube(w) + 1.0)


def test_a_user_op_with_a_ufunc_needs_no_attribute():
    """An op with a ufunc whose name jax.numpy and torch share gets their function for free."""
    library("jax")
    library("torch")

    class Expm1(exprdiff.UnaryOp):
        __slots__ = ()
        ufunc = np.expm1

        def forward(self, x):
            return np.expm1(x)

        def vjp(self, g, x, out):
            return g * (out + 1.0)

    w = Parameter("w")
    for backend in BACKENDS:
        assert_agrees(Expm1(w) * 3.0, {w: np.array([-1.0, 0.5])}, None, backend)


def test_array_operations_are_not_elementwise_so_need_their_own_row():
    """Every op in the array table really is an array op (the elementwise ones use TABLE)."""
    for name in ARRAY_TABLE:
        op = getattr(exprdiff.ops, name, None) or {o.__name__: o for o in FUSED}[name]
        assert op.elementwise is False or name == "SigmoidCrossEntropy"
    assert MatMul.elementwise is False
