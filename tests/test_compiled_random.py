"""Random expressions: compiled code agrees with the interpreter (until the differential fuzzer).

Random DAGs with shared subexpressions (tests/expression_strategies.py) are
evaluated and differentiated by the interpreter and by compiled code:

* bit for bit, NaN and inf in the same places, with NumPy's code (batches of
  12, which the plain-float path never takes; and ``EXPRDIFF_COMPILED=numpy``
  for scalars and tiny batches);
* on the plain-float path (scalars, and batches of 3 as lanes), NaN and inf
  in the same places and the same warnings, the numbers within `TOLERANCE`:
  one ulp-level difference per transcendental function
  (`exprdiff.lowering.plain_floats.PLAIN_FLOAT_ULPS`), grown by the
  expression's own conditioning (a few operations deep, values in [-2, 2]).
"""

import warnings

import numpy as np
from expression_strategies import W1, W2, X, expressions
from hypothesis import given, settings
from hypothesis import strategies as st

from exprdiff import compiled, topological_order
from exprdiff.core import interpreter

#: relative (and absolute) tolerance of the plain-float path on these expressions
TOLERANCE = 1e-9

VALUE = st.integers(-200, 200).map(lambda k: k / 100)


def _run(function):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="warn"):
            result = function()
    return result, sorted({str(w.message) for w in caught})


def _both(expr, params, inputs):
    wrt = [p for p in (W1, W2) if p in set(topological_order(expr))]
    f = compiled(expr, wrt=wrt)
    got = _run(lambda: f(params, inputs))
    want = _run(lambda: interpreter.value_and_gradient(expr, params, inputs))
    return got, (((want[0][0]), {p: want[0][1][p] for p in wrt}), want[1])


def _same(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def _close(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    same_specials = np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(
        a[np.isinf(a)], b[np.isinf(b)])
    return a.shape == b.shape and same_specials and np.allclose(
        a, b, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True)


def _check(got, want, exact):
    (value, grads), got_warnings = got
    (want_value, want_grads), want_warnings = want
    agree = _same if exact else _close
    assert type(value) is type(want_value)
    assert agree(value, want_value), (value, want_value)
    for param in want_grads:
        assert agree(grads[param], want_grads[param]), (param, grads[param], want_grads[param])
    assert got_warnings == want_warnings


@settings(max_examples=80, deadline=None)
@given(expr=expressions(), w1=VALUE, w2=VALUE, xs=st.lists(VALUE, min_size=12, max_size=12))
def test_batches_are_bit_for_bit(expr, w1, w2, xs):
    """Batches of 12 run NumPy's compiled code: the interpreter's numbers and warnings."""
    params, inputs = {W1: w1, W2: w2}, {X: np.array(xs)}
    _check(*_both(expr, params, inputs), exact=True)


@settings(max_examples=80, deadline=None)
@given(expr=expressions(), w1=VALUE, w2=VALUE, xs=st.lists(VALUE, min_size=3, max_size=3),
       scalar=st.booleans())
def test_scalars_and_tiny_batches_with_numpy_only_are_bit_for_bit(expr, w1, w2, xs, scalar):
    """With EXPRDIFF_COMPILED=numpy, scalars and tiny batches are bit for bit too."""
    import os

    params = {W1: w1, W2: w2}
    inputs = {X: xs[0] if scalar else np.array(xs)}
    previous = os.environ.get("EXPRDIFF_COMPILED")
    os.environ["EXPRDIFF_COMPILED"] = "numpy"
    try:
        _check(*_both(expr, params, inputs), exact=True)
    finally:
        if previous is None:
            del os.environ["EXPRDIFF_COMPILED"]
        else:
            os.environ["EXPRDIFF_COMPILED"] = previous


@settings(max_examples=120, deadline=None)
@given(expr=expressions(), w1=VALUE, w2=VALUE, xs=st.lists(VALUE, min_size=3, max_size=3),
       scalar=st.booleans())
def test_the_plain_float_path_agrees_within_its_bound(expr, w1, w2, xs, scalar):
    """Scalars and batches of 3 (plain floats and math): NaN/inf in place, same warnings,
    numbers within TOLERANCE."""
    params = {W1: w1, W2: w2}
    inputs = {X: xs[0] if scalar else np.array(xs)}
    _check(*_both(expr, params, inputs), exact=False)
