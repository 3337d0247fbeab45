"""Compiled code gives the interpreter's values, gradients, NaN/inf positions and warnings."""

import threading
import warnings

import numpy as np
import pytest
from _models import same_bits
from op_table import TABLE

import exprdiff
from exprdiff import (
    Input,
    LogSumExp,
    MatMul,
    Mean,
    Parameter,
    Softmax,
    Sum,
    SumOfSquares,
    Transpose,
    compiled,
)
from exprdiff.core import interpreter
from exprdiff.losses import softmax_cross_entropy
from exprdiff.lowering import cache as code_cache
from exprdiff.lowering.plain_floats import PLAIN_FLOAT_ULPS, ulps


@pytest.fixture
def numpy_only(monkeypatch):
    """Compiled code that uses NumPy on scalars too (bit for bit the interpreter's)."""
    monkeypatch.setenv("EXPRDIFF_COMPILED", "numpy")


def interpreted(expr, params, inputs):
    return interpreter.value_and_gradient(expr, params, inputs)


def assert_same(got, expected):
    """Same value and gradient dict, bit for bit (NaN and inf in the same places), same types."""
    (value, grads), (want_value, want_grads) = got, expected
    assert type(value) is type(want_value)
    assert same_bits(value, want_value), (value, want_value)
    assert list(grads) == list(want_grads)
    for param in grads:
        assert type(grads[param]) is type(want_grads[param])
        assert same_bits(grads[param], want_grads[param]), (param, grads[param], want_grads[param])


def _values(domains, rng, shape):
    return [domain.sample(rng, shape) for domain in domains]


# -- every operation of the table -------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(TABLE))
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)], ids=["scalar", "batch", "matrix"])
def test_every_op_compiled_equals_the_interpreter(name, shape, numpy_only):
    """Value and gradient of each op, scalar and batched, bit for bit."""
    build, _, domains, *_ = TABLE[name]
    params = [Parameter(f"p{i}") for i in range(len(domains))]
    x = Input("x")
    expr = build(params[0] * x, *params[1:])
    rng = np.random.default_rng(7)
    f = compiled(expr, wrt=params)
    for _ in range(3):
        bound = dict(zip(params, _values(domains, rng, shape)))
        # x near 1 keeps p0*x inside p0's domain (arccosh's starts at 1)
        inputs = {x: rng.uniform(0.999, 1.0, size=shape) if shape else 0.9995}
        assert_same(f(bound, inputs), interpreted(expr, bound, inputs))


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_op_on_the_plain_float_path_is_within_the_ulp_bound(name):
    """On scalars compiled code uses math: within PLAIN_FLOAT_ULPS of the interpreter per op."""
    build, _, domains, *_ = TABLE[name]
    params = [Parameter(f"p{i}") for i in range(len(domains))]
    expr = build(*params)
    f = compiled(expr, wrt=params)
    rng = np.random.default_rng(11)
    for _ in range(200):
        bound = dict(zip(params, _values(domains, rng, ())))
        value, grads = f(bound)
        want_value, want_grads = interpreted(expr, bound, {})
        if TABLE[name].condition:  # a truth value: the same bool, no gradient
            assert_same((value, grads), (want_value, want_grads))
            continue
        assert type(value) is float
        assert ulps(value, want_value) <= PLAIN_FLOAT_ULPS
        for p in params:
            # a gradient is a few operations on such values: a few times the bound
            assert ulps(grads[p], want_grads[p]) <= 4 * PLAIN_FLOAT_ULPS, (p, grads, want_grads)
    if type(expr).math_code is None:  # no plain-float form: NumPy's code, bit for bit
        assert_same(f(bound), interpreted(expr, bound, {}))
        assert "math" not in f.source
    else:
        assert "math" in f.source or "_math" in f.source or name in (
            "Add", "Subtract", "Multiply", "Divide", "Negate", "Abs", "Sign", "ReLU", "Clip",
            "Where") or TABLE[name].condition


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_op_on_a_tiny_batch_is_within_the_ulp_bound(name):
    """Four samples run as lanes of plain floats: within the bound per op, sums bit for bit."""
    build, _, domains, *_ = TABLE[name]
    params = [Parameter(f"p{i}") for i in range(len(domains))]
    x = Input("x")
    expr = build(params[0] * x, *params[1:])
    f = compiled(expr, wrt=params)
    rng = np.random.default_rng(12)
    for _ in range(50):
        bound = dict(zip(params, _values(domains, rng, ())))
        inputs = {x: rng.uniform(0.999, 1.0, size=4)}
        value, grads = f(bound, inputs)
        want_value, want_grads = interpreted(expr, bound, inputs)
        assert type(value) is np.ndarray and value.shape == (4,)
        if type(expr).math_code is None or TABLE[name].condition:  # no plain-float form: NumPy's code, bit for bit
            assert_same((value, grads), (want_value, want_grads))
            continue
        assert ulps(value, want_value) <= PLAIN_FLOAT_ULPS
        for p in params:  # a sum over the lanes of such values
            assert grads[p] == pytest.approx(want_grads[p], rel=1e-13, abs=1e-300)
    # the samples are read as lanes of floats where the operation has a plain-float form
    assert (".tolist()" in f.source) == (type(expr).math_code is not None
                                         and not type(expr).selects)  # masks: NumPy's code


ARRAY_CASES = {
    "MatMul 2-D": (lambda a, b: MatMul(a, b), [(3, 4), (4, 2)]),
    "MatMul vector": (lambda a, b: MatMul(a, b), [(3, 4), (4,)]),
    "MatMul row": (lambda a, b: MatMul(a, b), [(4,), (4, 2)]),
    "MatMul stacked": (lambda a, b: MatMul(a, b), [(2, 3, 4), (4, 2)]),
    "Sum": (lambda a, b: Sum(a * b), [(3, 4), (4,)]),
    "Sum axis": (lambda a, b: Sum(a * b, axis=0), [(3, 4), (3, 1)]),
    "Mean": (lambda a, b: Mean(a + b, axis=1), [(3, 4), (4,)]),
    "SumOfSquares": (lambda a, b: SumOfSquares(a) * b, [(3, 4), ()]),
    "SumOfSquares axis": (lambda a, b: SumOfSquares(a - b, axis=-1), [(3, 4), (4,)]),
    "LogSumExp": (lambda a, b: LogSumExp(a * b), [(3, 4), (3, 1)]),
    "Softmax": (lambda a, b: Softmax(a) * b, [(3, 4), (4,)]),
    "Transpose": (lambda a, b: Transpose(a) * b, [(3, 4), (4, 1)]),
    "Transpose axes": (lambda a, b: Transpose(a, axes=(1, 0)) @ b, [(3, 4), (3,)]),
}


@pytest.mark.parametrize("name", sorted(ARRAY_CASES))
def test_array_ops_compiled_equal_the_interpreter(name):
    """Matrix products, reductions, softmax, transposes: bit for bit, broadcast gradients too."""
    build, shapes = ARRAY_CASES[name]
    a, b = Parameter("a"), Parameter("b")
    expr = build(a, b)
    rng = np.random.default_rng(3)
    f = compiled(expr, wrt=[a, b])
    for _ in range(3):
        bound = {p: (rng.normal(size=s) if s else float(rng.normal())) for p, s in zip((a, b), shapes)}
        assert_same(f(bound), interpreted(expr, bound, {}))


@pytest.mark.parametrize("labels", ["indices", "one-hot"])
def test_softmax_cross_entropy_compiled_equals_the_interpreter(labels):
    """The library's softmax cross-entropy (fused when planned): bit for bit, both label forms."""
    z, y = Parameter("z"), Input("y")
    loss = softmax_cross_entropy(z, y)
    rng = np.random.default_rng(5)
    classes = rng.integers(0, 4, size=6).astype(float)
    label_values = classes if labels == "indices" else np.eye(4)[classes.astype(int)]
    f = compiled(loss, wrt=[z])
    for _ in range(2):
        bound, data = {z: rng.normal(size=(6, 4))}, {y: label_values}
        assert_same(f(bound, data), interpreted(loss, bound, data))


# -- exceptional values: NaN, inf and warnings ------------------------------------------------
EXCEPTIONAL = {
    "log of zero and negatives": (lambda w, x: exprdiff.Log(w * x), [0.0, -1.0, 2.0]),
    "sqrt of negatives": (lambda w, x: exprdiff.Sqrt(w - x), [1.0, 3.0, 0.5]),
    "division by zero": (lambda w, x: w / (x - 1.0), [1.0, 2.0, 0.0]),
    "overflowing power": (lambda w, x: (w * 10.0) ** (x * 400.0), [1.0, 0.5, 2.0]),
    "overflowing exp": (lambda w, x: exprdiff.Exp(w * x * 1000.0), [1.0, -1.0, 0.2]),
    "infinite times zero": (lambda w, x: exprdiff.Exp(w * x * 1000.0) * (x - 1.0), [1.0, 2.0]),
    "negative base": (lambda w, x: w ** (x / 3.0), [1.0, 0.5]),
}


def _recorded(function):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="warn"):
            result = function()
    return result, sorted((w.category.__name__, str(w.message)) for w in caught)


@pytest.mark.parametrize("case", sorted(EXCEPTIONAL))
@pytest.mark.parametrize("mode", ["on", "numpy"])
def test_exceptional_values_and_warnings_equal_the_interpreter(case, mode, monkeypatch):
    """Scalars (plain floats falling back to NumPy) and batches: same NaN/inf, same warnings."""
    monkeypatch.setenv("EXPRDIFF_COMPILED", mode)
    build, points = EXCEPTIONAL[case]
    w, x = Parameter("w"), Input("x")
    expr = build(w, x)
    f = compiled(expr, wrt=[w])
    for inputs in [{x: point} for point in points] + [{x: np.array(points)}]:
        params = {w: 1.0}
        got, got_warnings = _recorded(lambda: f(params, inputs))  # noqa: B023
        want, want_warnings = _recorded(lambda: interpreted(expr, params, inputs))  # noqa: B023
        assert_same(got, want)
        assert got_warnings == want_warnings


def test_the_engine_compiles_from_the_second_call_and_still_agrees(numpy_only):
    """Node.__call__ and Node.grad: the first call interprets, later ones run compiled code."""
    w, x = Parameter("w"), Input("x")
    expr = exprdiff.Tanh(w * x) * w + exprdiff.Sin(x)
    params, inputs = {w: 0.3}, {x: np.linspace(-1, 1, 7)}
    expected = interpreted(expr, params, inputs)
    results = [(expr(params, inputs), expr.grad(params, inputs)) for _ in range(3)]
    assert expr._plan.runtime is not None and len(expr._plan.runtime) == 2  # value, gradient
    for result in results:
        assert_same(result, expected)


@pytest.mark.parametrize("point", [np.array([-2.0, 0.0, -0.0, 3.5, np.inf, np.nan, -np.nan]),
                                   1.5])
def test_a_squares_rule_multiplies_by_x_itself(point, numpy_only):
    """d(x**2)/dx is written 2*x**(2 - 1): compiled code drops the power of one (a NumPy
    float64 one in NumPy code) and calls np.power itself for the square; the same bits."""
    x = Parameter("x")
    expr = x**2.0 * 3.0
    function = compiled(expr, wrt=[x])
    with np.errstate(invalid="ignore"):
        want = interpreter.value_and_gradient(expr, {x: point})
        for _ in range(2):  # generic code, then code for these shapes
            got = function({x: point})
    assert same_bits(got[0], want[0]) and same_bits(got[1][x], want[1][x])
    assert function.source.count("power(") == 1 and "np.power(" in function.source


def test_a_new_shape_compiles_again(numpy_only):
    """Code is specialised to shapes: a batch of another size gets code of its own."""
    w, x = Parameter("w"), Input("x")
    expr = exprdiff.Sigmoid(w * x)
    for size in (3, 5, 3, 5):
        batch = {x: np.arange(size, dtype=float)}
        for _ in range(2):
            got = (expr({w: 0.5}, batch), expr.grad({w: 0.5}, batch))
            assert_same(got, interpreted(expr, {w: 0.5}, batch))
    signatures = {key[1] for key in expr._plan.runtime._entries}
    assert signatures == {(None, (3,)), (None, (5,))}


def test_the_cache_is_bounded():
    """However many shapes a root sees, it keeps at most MAX_ENTRIES compiled functions."""
    w, x = Parameter("w"), Input("x")
    expr = w * x + w
    for size in range(1, 3 * code_cache.MAX_ENTRIES):
        batch = {x: np.ones(size)}
        for _ in range(2):
            assert same_bits(expr({w: 2.0}, batch), interpreter.evaluate(expr, {w: 2.0}, batch))
    assert len(expr._plan.runtime) == code_cache.MAX_ENTRIES


def test_threads_with_different_shapes_at_once_are_safe(numpy_only):
    """Eight threads evaluating one expression with their own batch sizes all get their answers."""
    w, x = Parameter("w"), Input("x")
    expr = exprdiff.Tanh(w * x) + w * w
    failures = []

    def work(size):
        batch = {x: np.linspace(0, 1, size)}
        expected = interpreted(expr, {w: 0.7}, batch)
        for _ in range(200):
            try:
                assert_same(exprdiff.lowering.dispatch.value_and_gradient(expr, {w: 0.7}, batch),
                            expected)
            except AssertionError as error:  # pragma: no cover - reported below
                failures.append((size, error))
                return

    threads = [threading.Thread(target=work, args=(size,)) for size in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_returned_arrays_are_the_callers_own():
    """Gradients never alias each other, the inputs or the code's constants."""
    w, v, x = Parameter("w"), Parameter("v"), Input("x")
    expr = w + v + 0.0 * x
    f = compiled(w * x + v, wrt=[w, v])
    data = np.ones(3)
    for _ in range(2):
        _, grads = f({w: np.zeros(3), v: np.zeros(3)}, {x: data})
        assert grads[w] is not data and not np.shares_memory(grads[w], data)
        grads[w] *= 0.0
        grads[v] += 5.0
    _, again = f({w: np.zeros(3), v: np.zeros(3)}, {x: data})
    np.testing.assert_array_equal(again[v], np.ones(3))
    np.testing.assert_array_equal(data, np.ones(3))
    g = compiled(expr, wrt=[w, v])({w: np.ones(2), v: np.ones(2)}, {x: np.ones(2)})[1]
    assert not np.shares_memory(g[w], g[v])


def test_missing_and_bad_values_raise_the_interpreters_errors():
    """Compiled code declines what it cannot read; the interpreter then explains it."""
    w, x = Parameter("w"), Input("x")
    f = compiled(w * x, wrt=[w])
    f({w: 1.0}, {x: 2.0})
    with pytest.raises(exprdiff.MissingValueError, match="no value for Input 'x'"):
        f({w: 1.0}, {})
    with pytest.raises(TypeError, match="must be a real number"):
        f({w: 1.0}, {x: "two"})
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(3,\) do not broadcast"):
        (w * x + x)({w: np.ones(2)}, {x: np.ones(3)})
        (w * x + x)({w: np.ones(2)}, {x: np.ones(3)})


def test_ints_lists_and_numpy_scalars_are_read_as_the_interpreter_reads_them(numpy_only):
    """Values that need converting still reach compiled code (converted once)."""
    w, x = Parameter("w"), Input("x")
    expr = exprdiff.Exp(w * x)
    for inputs in ({x: 1}, {x: [1, 2]}, {x: np.float64(0.5)}, {x: np.array(2.0)}):
        for _ in range(3):
            assert_same((expr({w: 1}, inputs), expr.grad({w: 1}, inputs)),
                        interpreted(expr, {w: 1}, inputs))


def test_the_switch_turns_compilation_off(monkeypatch):
    """EXPRDIFF_COMPILED=0: no code is compiled, the interpreter runs every call."""
    monkeypatch.setenv("EXPRDIFF_COMPILED", "0")
    w = Parameter("w")
    expr = w * w + w
    for _ in range(4):
        assert expr.grad({w: 2.0}) == {w: 5.0}
    assert len(expr._plan.runtime) == 0
    monkeypatch.setenv("EXPRDIFF_COMPILED", "maybe")
    tripled = w * 3.0
    with pytest.raises(ValueError, match="EXPRDIFF_COMPILED='maybe' is not understood"):
        for _ in range(2):
            tripled.grad({w: 1.0})


def test_a_deep_chain_compiles_without_recursion():
    """compiled() of a 20 000-node chain works (everything iterative) and agrees."""
    w = Parameter("w")
    chain = w
    for k in range(10_000):
        chain = exprdiff.Sin(chain) if k % 2 else chain * 0.999
    f = compiled(chain, wrt=[w])
    assert_same(f({w: np.array([0.5, 1.0])}), interpreted(chain, {w: np.array([0.5, 1.0])}, {}))
