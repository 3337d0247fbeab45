"""`to_jax`: a pure JAX function keyed by leaf name, under jit, grad, vmap, in float64 or float32."""

import numpy as np
import pytest
from _backends import jax_float64, library, names

from exprdiff import (
    Input,
    MissingValueError,
    Parameter,
    Sigmoid,
    Tanh,
    params_by_name,
    params_from_names,
    to_jax,
)
from exprdiff.losses import softmax_cross_entropy
from exprdiff.nn import DenseMLP

jax = library("jax")
jnp = jax.numpy

X, Y = Input("x"), Input("y")
LOGITS, START = DenseMLP(X, 4, [5, 3], "tanh", seed=0)
LOSS = softmax_cross_entropy(LOGITS, Y)
DATA = {X: np.random.default_rng(0).normal(size=(7, 4)), Y: np.array([0.0, 1, 2, 1, 0, 2, 2])}


def test_the_value_is_the_engines():
    """The digits-style network's per-sample loss, to round-off, as a float64 JAX array."""
    with jax_float64():
        value = to_jax(LOSS)(params_by_name(START), names(DATA))
        assert value.dtype == jnp.float64 and value.shape == (7,)
        np.testing.assert_allclose(value, LOSS(START, DATA), rtol=1e-13)


def test_jit_grad_and_vmap():
    """jax.jit of jax.grad gives Node.grad; jax.vmap over samples gives the batched value."""
    f = to_jax(LOSS)
    expected = LOSS.grad(START, DATA)
    with jax_float64():
        grad = jax.jit(jax.grad(lambda p, d: jnp.sum(f(p, d))))(params_by_name(START), names(DATA))
        for param, g in expected.items():
            np.testing.assert_allclose(grad[param.label], g, rtol=1e-12, atol=1e-15)
        one = lambda x, y: f(params_by_name(START), {"x": x, "y": y})  # noqa: E731
        batched = jax.vmap(one)(jnp.asarray(DATA[X]), jnp.asarray(DATA[Y]))
        np.testing.assert_allclose(batched, LOSS(START, DATA), rtol=1e-13)


def test_second_order():
    """jax.grad(jax.grad(f)) and jax.hessian: d2/dw2 tanh(w*x) = -2 x^2 tanh (1 - tanh^2)."""
    w = Parameter("w")
    f = to_jax(Tanh(w * X))
    with jax_float64():
        second = jax.grad(jax.grad(lambda v: f({"w": v}, {"x": 0.7})))(0.3)
        t = np.tanh(0.21)
        assert float(second) == pytest.approx(-2 * 0.49 * t * (1 - t * t), rel=1e-13)
        h = jax.hessian(lambda p: f(p, {"x": 0.7}))({"w": 0.3})
        assert float(h["w"]["w"]) == pytest.approx(float(second), rel=1e-14)


def test_wrt_gives_value_and_gradient_by_name():
    """With wrt (nodes or names) the function returns (value, {name: summed gradient})."""
    with jax_float64():
        value, grads = to_jax(LOSS, wrt=list(START))(params_by_name(START), names(DATA))
        assert set(grads) == {p.label for p in START}
        for param, g in LOSS.grad(START, DATA).items():
            np.testing.assert_allclose(grads[param.label], g, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(value, LOSS(START, DATA), rtol=1e-13)
        w = Parameter("w")
        _, only = to_jax(w * w + X, wrt=["w"])({"w": 3.0}, {"x": 1.0})
        assert list(only) == ["w"] and float(only["w"]) == 6.0
    with pytest.raises(ValueError, match="not a Parameter"):
        to_jax(w * X, wrt=[X])


def test_float32_when_x64_is_off():
    """Without x64 the function computes in float32, constants included; Python scalars stay weak."""
    w = Parameter("w")
    expr = Sigmoid(w * X + np.array([1.0, 2.0])) * 0.5
    with jax.enable_x64(False):
        value = to_jax(expr)({"w": np.float32(2.0)}, {"x": np.ones(2, np.float32)})
        assert value.dtype == jnp.float32
    with jax_float64():
        value = to_jax(expr)({"w": jnp.float32(2.0)}, {"x": jnp.ones(2, jnp.float32)})
        assert value.dtype == jnp.float32  # float32 arguments stay float32 under x64
        value = to_jax(expr)({"w": 2.0}, {"x": np.ones(2)})
        assert value.dtype == jnp.float64
        np.testing.assert_allclose(value, expr({w: 2.0}, {X: np.ones(2)}), rtol=1e-15)


def test_names():
    """Unnamed leaves go by their labels; two leaves with one name raise ValueError."""
    p = Parameter()
    f = to_jax(p * X)
    assert f.parameter_names == (p.label,) and f.input_names == ("x",)
    with jax_float64():
        assert float(f({p.label: 2.0}, {"x": 3.0})) == 6.0
    with pytest.raises(ValueError, match="both named 'w'"):
        to_jax(Parameter("w") * Parameter("w"))


def test_a_missing_value_is_named():
    """A name missing from params or inputs raises MissingValueError naming the leaf."""
    w = Parameter("w")
    f = to_jax(w * X)
    with pytest.raises(MissingValueError, match=r"Input 'x' in inputs.*supplies \['z'\]"):
        f({"w": 1.0}, {"z": 2.0})
    with pytest.raises(MissingValueError, match=r"Parameter 'w' in params"):
        f({}, {"x": 2.0})


def test_weights_make_the_round_trip_bit_for_bit():
    """params -> names -> JAX arrays -> params_from_names gives the same float64 bits."""
    with jax_float64():
        tree = jax.tree.map(jnp.asarray, params_by_name(START))
        back = params_from_names(LOSS, tree)
    assert list(back) == list(START)
    for param, value in START.items():
        assert np.asarray(back[param]).tobytes() == np.asarray(value).tobytes()


def test_other_entries_are_ignored():
    """A params pytree may hold more than the expression reads (a whole model's weights)."""
    w = Parameter("w")
    with jax_float64():
        assert float(to_jax(w * X)({"w": 2.0, "other": jnp.ones(3)}, {"x": 3.0})) == 6.0


def test_the_source_is_readable_jax():
    """f.source is the generated jax.numpy code, one line per distinct operation."""
    w = Parameter("w")
    source = to_jax(Sigmoid(w * X) + Sigmoid(w * X)).source
    assert "jax.nn.sigmoid(" in source and source.count("jax.nn.sigmoid(") == 1
    assert "np." not in source.replace("jnp.", "")


def test_power_keeps_exprdiffs_slopes_where_the_exponent_is_zero():
    """a**b at b == 0: slope 0 in a (a = 0 included: jnp.power's rule gives 0 * inf = NaN)
    and log(a) in b, as the engine (and PyTorch); elsewhere JAX's own power."""
    import itertools

    a, b = Parameter("a"), Parameter("b")
    expr = a**b
    with jax_float64():
        f = to_jax(expr, wrt=[a, b])
        for x, y in itertools.product([0.0, 0.5, 2.0], [0.0, 2.0, -1.0, 0.5]):
            with np.errstate(divide="ignore", invalid="ignore"):  # 0**-1 is inf, warned
                expected = expr.grad({a: x, b: y})
                assert float(f({"a": x, "b": y}, {})[0]) == expr({a: x, b: y})
            grads = f({"a": x, "b": y}, {})[1]
            np.testing.assert_allclose([grads["a"], grads["b"]], [expected[a], expected[b]],
                                       rtol=1e-14)


def test_var_and_std_centre_as_the_engine():
    """Var and Std are exactly 0 over equal elements, Std's slope there 0 (jnp.var's mean is an
    ulp off for [-0.2]*3), and take a sample's scalar (found by the fuzzer: float has no size)."""
    from exprdiff import Std, Var

    w, x = Parameter("w"), Input("x1")
    with jax_float64():
        for op in (Var, Std):
            value, grads = to_jax(op(w), wrt=[w])({"w": np.array([-0.2] * 3)}, {})
            assert float(value) == 0.0 and np.asarray(grads["w"]).tolist() == [0.0] * 3
            assert float(to_jax(op(x))({}, {"x1": 0.0})) == op(x)({}, {x: 0.0}) == 0.0
