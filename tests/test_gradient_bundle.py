"""gradient_function sums its derivatives in the compiled code: the same numbers as interpreted.

bench_symbolic's ratio went from 1.5x to over 3x once `grad` was compiled: the bundle of
derivative expressions came back as one array per Parameter (built from plain-float lanes)
and was summed in Python afterwards. Now the bundle's root sums them (`summed_to`) and
compiled code writes those sums out, as it writes out the reverse pass's.
"""

import numpy as np
import pytest
from _models import same_bits

from exprdiff import Input, Parameter, Tanh, gradient_function
from exprdiff.core.values import summed_to


@pytest.mark.parametrize("batch", [1, 4, 8, 20], ids=["one", "lanes", "eight", "numpy"])
def test_compiled_sums_equal_the_interpreted_ones(batch, monkeypatch):
    """Scalar, array and constant-derivative Parameters: compiled (plain floats, lanes or
    NumPy) equals interpreted, within the plain-float bound, and bit for bit under numpy."""
    w, v, c, x = Parameter("w"), Parameter("v"), Parameter("c"), Input("x")
    expr = Tanh(w * x + v * v) + 3.0 * c  # d/dc is a constant: times the value's size
    rng = np.random.default_rng(batch)
    params = {w: 0.3, v: rng.normal(size=1), c: 0.5}  # v broadcasts over the batch
    inputs = {x: rng.normal(size=batch)}
    want = gradient_function(expr, compiled=False)(params, inputs)
    for mode in ("numpy", "1"):
        monkeypatch.setenv("EXPRDIFF_COMPILED", mode)
        grad = gradient_function(expr)
        for _ in range(3):  # interpreted, then compiled from the second call
            got = grad(params, inputs)
            assert list(got) == list(want)
            for p in want:
                assert type(got[p]) is type(want[p])
                if mode == "numpy":
                    assert same_bits(got[p], want[p]), (p, got[p], want[p])
                else:
                    np.testing.assert_allclose(got[p], want[p], rtol=1e-14)
    assert want[c] == 3.0 * batch  # 3 at every sample, summed over the batch


def test_summed_to_follows_grad():
    """A scalar Parameter's sum is a float; an array Parameter's keeps its shape."""
    assert summed_to(np.ones((2, 3)), np.zeros((2, 3)), np.zeros(3)).tolist() == [2.0, 2.0, 2.0]
    assert summed_to(2.0, np.zeros(5), 1.0) == 10.0
    assert type(summed_to(np.float64(2.0), np.float64(1.0), np.float64(1.0))) is float
