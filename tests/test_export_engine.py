"""to_python exports the engine's own code: bit for bit its values, gradients, NaN/inf, warnings."""

import warnings

import numpy as np
import pytest
from _models import same_bits
from expression_strategies import W1, W2, X, expressions, points
from hypothesis import given, settings
from op_table import TABLE
from test_compiled import ARRAY_CASES

import exprdiff
from exprdiff import Clip, Input, Parameter, Transpose, compiled, to_python
from exprdiff.core import interpreter
from exprdiff.losses import softmax_cross_entropy


def exported(expr, wrt, name="model"):
    namespace: dict = {}
    exec(compile(to_python(expr, name=name, wrt=wrt), "<exported>", "exec"), namespace)
    return namespace[name]


def by_name(expr, params, inputs):
    present = set(exprdiff.topological_order(expr))
    return {node.label: value for node, value in {**params, **inputs}.items() if node in present}


def assert_exported_equals_engine(expr, wrt, params, inputs):
    value, grads = exported(expr, wrt)(**by_name(expr, params, inputs))
    want_value, want_grads = interpreter.value_and_gradient(expr, params, inputs)
    assert type(value) is type(want_value)
    assert same_bits(value, want_value), (value, want_value)
    for param in wrt:
        assert type(grads[param.label]) is type(want_grads[param])
        assert same_bits(grads[param.label], want_grads[param]), param


@pytest.mark.parametrize("name", sorted(TABLE))
@pytest.mark.parametrize("shape", [(), (4,)], ids=["scalar", "batch"])
def test_every_op_exports_the_engines_numbers(name, shape):
    """Each elementwise op, scalar and batched: value and gradient bit for bit."""
    build, _, domains, *_ = TABLE[name]
    params = [Parameter(f"p{i}") for i in range(len(domains))]
    x = Input("x")
    expr = build(params[0] * x, *params[1:])
    rng = np.random.default_rng(2)
    bound = {p: d.sample(rng, shape) for p, d in zip(params, domains)}
    inputs = {x: rng.uniform(0.999, 1.0, size=shape) if shape else 0.9995}  # in p0's domain
    assert_exported_equals_engine(expr, params, bound, inputs)


@pytest.mark.parametrize("name", sorted(set(ARRAY_CASES) - {"Transpose", "Transpose axes"}))
def test_array_ops_and_their_gradients_export(name):
    """Matrix products and reductions export with their gradients, bit for bit."""
    build, shapes = ARRAY_CASES[name]
    a, b = Parameter("a"), Parameter("b")
    rng = np.random.default_rng(4)
    bound = {p: (rng.normal(size=s) if s else float(rng.normal())) for p, s in zip((a, b), shapes)}
    assert_exported_equals_engine(build(a, b), [a, b], bound, {})


def test_softmax_cross_entropy_exports_with_its_gradient():
    """The fused softmax cross-entropy (integer labels) exports, gradient included."""
    z, y = Parameter("z"), Input("y")
    rng = np.random.default_rng(0)
    assert_exported_equals_engine(softmax_cross_entropy(z, y), [z], {z: rng.normal(size=(5, 3))},
                                  {y: np.array([0.0, 2.0, 1.0, 1.0, 0.0])})


def test_transpose_gradients_are_refused_by_name():
    """Transpose's rule is not elementwise and has no template: export refuses it clearly."""
    w = Parameter("w")
    with pytest.raises(NotImplementedError, match="gradient of Transpose"):
        to_python(Transpose(w) * 2.0, wrt=[w])


@settings(max_examples=60, deadline=None)
@given(expr=expressions(), point=points())
def test_random_expressions_export_the_engines_numbers(expr, point):
    """Random DAGs over shared subexpressions: exported code equals the engine on a batch
    and on each sample as a scalar, NaN and inf included."""
    params, inputs = point
    wrt = [p for p in (W1, W2) if p in set(exprdiff.topological_order(expr))]
    with np.errstate(all="ignore"):
        assert_exported_equals_engine(expr, wrt, params, inputs)
        assert_exported_equals_engine(expr, wrt, params, {X: float(inputs[X][0])})


def _recorded(function):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function()
    return result, sorted(str(w.message) for w in caught)


@pytest.mark.parametrize("build, point", [
    (lambda w: abs(w**0.5), -4.0),
    (lambda w: w / (w - 1.0), 1.0),
    (lambda w: w**-1.0, 0.0),
    (lambda w: (w + 9.0) ** 1000.0, 1.0),
    (lambda w: Clip(w, 0.0, np.inf) * 2.0, 3.0),
    (lambda w: Clip(w, -np.inf, 0.0) * 2.0, 3.0),
], ids=["sqrt of a negative", "divide by zero", "negative power of zero", "overflow",
        "clip to inf", "clip from -inf"])
def test_exported_scalars_follow_numpy_as_the_engine_does(build, point):
    """Scalars in exported code are NumPy float64s: nan, inf and warnings as in the engine."""
    w = Parameter("w")
    expr = build(w)
    got, got_warnings = _recorded(lambda: exported(expr, [w])(w=point))
    want, want_warnings = _recorded(lambda: interpreter.value_and_gradient(expr, {w: point}, {}))
    assert same_bits(got[0], want[0]) and same_bits(got[1]["w"], want[1][w])
    assert got_warnings == want_warnings


@pytest.mark.parametrize("taken", ["float", "type", "set", "sorted", "TypeError", "np",
                                   "fit_gradient", "stable_sigmoid", "_read"])
def test_function_names_that_would_shadow_what_the_code_uses_are_refused(taken):
    """A function name may not shadow a builtin, NumPy or a helper of the generated module."""
    w = Parameter("w")
    with pytest.raises(ValueError, match=f"name '{taken}' (is taken by the generated|would "
                                         "shadow Python's builtin)"):
        to_python(exprdiff.Sigmoid(w), name=taken, wrt=[w])


@pytest.mark.parametrize("label", ["float", "np", "_2", "values", "result_value", "a b"])
def test_leaf_names_cannot_shadow_anything(label):
    """Leaves are read by name into generated locals, so any leaf name works."""
    w, x = Parameter(label), Input("x")
    f = exported(exprdiff.Sigmoid(w * x) + w, [w])
    value, grads = f(**{label: 0.5, "x": 2.0})
    want_value, want_grads = interpreter.value_and_gradient(exprdiff.Sigmoid(w * x) + w,
                                                            {w: 0.5}, {x: 2.0})
    assert value == want_value and grads[label] == want_grads[w]


@pytest.mark.parametrize("label", ["x\x00", "a\nb", "tab\there", "bell\x07"])
def test_control_characters_in_leaf_names_export(label):
    """A leaf name with a control character gives source that compiles (escaped in the
    docstring, passed as a string key) and computes the engine's value."""
    p = Parameter(label)
    namespace: dict = {}
    exec(compile(to_python(p * 2.0), "<exported>", "exec"), namespace)
    assert namespace["model"](**{label: 1.5}) == 3.0


def test_exported_code_is_the_compiled_generic_code():
    """The exported body is the engine's generic code: the same statements, read by name."""
    w, x = Parameter("w"), Input("x")
    expr = exprdiff.Tanh(w * x) * w
    body = to_python(expr, wrt=[w]).split("def model(**values):")[1]
    generic = compiled(expr, wrt=[w]).generic_source
    statements = [line.strip() for line in body.splitlines() if line.strip().startswith("_r")]
    assert len(statements) > 5 and all(statement in generic for statement in statements)
