"""The array operations of issue 12: indexing, reshaping, joining and the new reductions (and
keepdims on the old ones), against NumPy, central differences and JAX; saving, export, DOT."""

import copy
import pickle

import numpy as np
import pytest

import exprdiff
from exprdiff import Input, Parameter, to_dot, to_latex, to_python
from exprdiff.core.names import named_leaves
from exprdiff.keep.serialization import dumps, loads
from exprdiff.symbolic.finite_differences import numeric_grad

p, q, r = Parameter("p"), Parameter("q"), Parameter("r")
RNG = np.random.default_rng(7)
DATA = {p: RNG.normal(size=(3, 4)), q: RNG.normal(size=(3, 4)), r: RNG.normal(size=(2, 4))}
TIES = {p: np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, -1.0, 5.0, 0.0]])}
ZEROS = {p: np.array([[1.0, 0.0, 2.0, 3.0], [0.0, 0.0, 1.0, 2.0], [1.5, 2.0, -1.0, 0.5]])}

#: (build from p, q, r; the same in NumPy/JAX as f(np_or_jnp, p, q, r))
CASES = {
    "p[1]": (lambda: p[1], lambda n, a, b, c: a[1]),
    "p[1, 2]": (lambda: p[1, 2], lambda n, a, b, c: a[1, 2]),
    "p[:, 1]": (lambda: p[:, 1], lambda n, a, b, c: a[:, 1]),
    "p[1:3]": (lambda: p[1:3], lambda n, a, b, c: a[1:3]),
    "p[::-1, ::-2]": (lambda: p[::-1, ::-2], lambda n, a, b, c: a[::-1, ::-2]),
    "p[..., None, 0]": (lambda: p[..., None, 0], lambda n, a, b, c: a[..., None, 0]),
    "p[-1]": (lambda: p[-1], lambda n, a, b, c: a[-1]),
    "repeated p[[0, 2, 2, 0]]": (lambda: p[[0, 2, 2, 0]], lambda n, a, b, c: a[n.array([0, 2, 2, 0])]),
    "repeated p[:, [3, 3, -1]]": (lambda: p[:, [3, 3, -1]],
                                  lambda n, a, b, c: a[:, n.array([3, 3, -1])]),
    "two arrays p[[0, 0], [1, 1]]": (lambda: p[[0, 0], [1, 1]],
                                     lambda n, a, b, c: a[n.array([0, 0]), n.array([1, 1])]),
    "mask p[p > 0 mask]": (lambda: p[DATA[p] > 0], lambda n, a, b, c: a[np.asarray(DATA[p] > 0)]),
    "row mask": (lambda: p[np.array([True, False, True])],
                 lambda n, a, b, c: a[np.array([True, False, True])]),
    "reshape": (lambda: exprdiff.Reshape(p, (2, -1)), lambda n, a, b, c: n.reshape(a, (2, -1))),
    "ravel": (lambda: p.ravel(), lambda n, a, b, c: n.ravel(a)),
    "expand_dims": (lambda: exprdiff.ExpandDims(p, (0, 2)), lambda n, a, b, c: n.expand_dims(a, (0, 2))),
    "squeeze": (lambda: exprdiff.Squeeze(p[:, None, 1:2]), lambda n, a, b, c: n.squeeze(a[:, None, 1:2])),
    "broadcast_to": (lambda: exprdiff.BroadcastTo(p[0], (5, 4)),
                     lambda n, a, b, c: n.broadcast_to(a[0], (5, 4))),
    "transpose T": (lambda: p.T, lambda n, a, b, c: a.T),
    "concatenate axis 0": (lambda: exprdiff.Concatenate(p, q, r, axis=0),
                           lambda n, a, b, c: n.concatenate([a, b, c], axis=0)),
    "concatenate axis -1": (lambda: exprdiff.Concatenate(p, q, axis=-1),
                            lambda n, a, b, c: n.concatenate([a, b], axis=-1)),
    "concatenate flat": (lambda: exprdiff.Concatenate(p, r, axis=None),
                         lambda n, a, b, c: n.concatenate([a, c], axis=None)),
    "stack axis 1": (lambda: exprdiff.Stack(p, q, axis=1), lambda n, a, b, c: n.stack([a, b], axis=1)),
    "stack axis -1": (lambda: exprdiff.Stack(p, q, p, axis=-1),
                      lambda n, a, b, c: n.stack([a, b, a], axis=-1)),
    "sum keepdims": (lambda: exprdiff.Sum(p, axis=1, keepdims=True),
                     lambda n, a, b, c: n.sum(a, axis=1, keepdims=True)),
    "mean keepdims all": (lambda: exprdiff.Mean(p, keepdims=True),
                          lambda n, a, b, c: n.mean(a, keepdims=True)),
    "sum_of_squares keepdims": (lambda: exprdiff.SumOfSquares(p, axis=0, keepdims=True),
                                lambda n, a, b, c: n.sum(a * a, axis=0, keepdims=True)),
    "logsumexp keepdims": (lambda: exprdiff.LogSumExp(p, axis=0, keepdims=True),
                           lambda n, a, b, c: n.log(n.sum(n.exp(a), axis=0, keepdims=True))),
    "max": (lambda: exprdiff.Max(p), lambda n, a, b, c: n.max(a)),
    "max axis 1": (lambda: exprdiff.Max(p, axis=1), lambda n, a, b, c: n.max(a, axis=1)),
    "min axis (0, 1) keepdims": (lambda: exprdiff.Min(p, axis=(0, 1), keepdims=True),
                                 lambda n, a, b, c: n.min(a, axis=(0, 1), keepdims=True)),
    "prod": (lambda: exprdiff.Prod(p), lambda n, a, b, c: n.prod(a)),
    "prod axis 0": (lambda: exprdiff.Prod(p, axis=0), lambda n, a, b, c: n.prod(a, axis=0)),
    "prod axis (1, 0) keepdims": (lambda: exprdiff.Prod(p, axis=(1, 0), keepdims=True),
                                  lambda n, a, b, c: n.prod(a, axis=(1, 0), keepdims=True)),
    "var": (lambda: exprdiff.Var(p), lambda n, a, b, c: n.var(a)),
    "var axis 1 ddof 1": (lambda: exprdiff.Var(p, axis=1, ddof=1),
                          lambda n, a, b, c: n.var(a, axis=1, ddof=1)),
    "std axis 0 keepdims": (lambda: exprdiff.Std(p, axis=0, keepdims=True),
                            lambda n, a, b, c: n.std(a, axis=0, keepdims=True)),
    "std ddof 1": (lambda: exprdiff.Std(p, ddof=1), lambda n, a, b, c: n.std(a, ddof=1)),
}


def _value_and_grads(name, data):
    build, _ = CASES[name]
    expr = build() * 1.5 + 0.25  # an op above it, so the gradient flows through the case
    params = {leaf: data[leaf] for leaf in (p, q, r) if leaf in exprdiff.topological_order(expr)}
    return expr, params


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_are_numpys_and_gradients_the_finite_differences(name):
    """Each case computes what NumPy computes; its gradient is the central differences'."""
    build, reference = CASES[name]
    np.testing.assert_allclose(build()(DATA), reference(np, DATA[p], DATA[q], DATA[r]),
                               rtol=1e-15, atol=0)  # logsumexp's stable form may round apart
    expr, params = _value_and_grads(name, DATA)
    exact, numeric = expr.grad(params), numeric_grad(expr, params)
    for leaf in params:
        np.testing.assert_allclose(exact[leaf], numeric[leaf], rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_are_jaxs(name):
    """JAX in float64 gives the same gradients of the sum (ties too, for max and min)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    _, reference = CASES[name]
    for data in (DATA, {**DATA, **TIES}):
        expr, params = _value_and_grads(name, data)
        arrays = [jax.numpy.asarray(data[leaf]) for leaf in (p, q, r)]

        def total(a, b, c):
            return jax.numpy.sum(reference(jax.numpy, a, b, c) * 1.5 + 0.25)

        expected = jax.grad(total, argnums=(0, 1, 2))(*arrays)
        exact = expr.grad(params)
        for leaf, want in zip((p, q, r), expected):
            if leaf in params:
                np.testing.assert_allclose(exact[leaf], np.asarray(want), rtol=1e-12, atol=1e-14)


def test_repeated_indices_add_up():
    """x[[0, 0, 2]] differentiates to 2 at x[0]: the gradient scatter-adds (np.add.at)."""
    w = Parameter("w")
    assert w[[0, 0, 2]].grad({w: np.array([5.0, 6.0, 7.0])})[w].tolist() == [2.0, 0.0, 1.0]
    weights = np.array([1.0, 10.0, 100.0])
    grad = w[[0, 0, 2]].grad({w: np.zeros(3)}, cotangent=weights)[w]
    assert grad.tolist() == [11.0, 0.0, 100.0]
    assert w[[-1, 2]].grad({w: np.zeros(3)})[w].tolist() == [0.0, 0.0, 2.0]


def test_max_and_min_share_ties_and_prod_handles_zeros():
    """Max and Min split the gradient evenly among ties (as torch.amax); Prod is exact at 0."""
    got = exprdiff.Max(p, axis=1).grad(TIES)[p]
    np.testing.assert_array_equal(got, [[0, 0.5, 0.5, 0], [0.25] * 4, [0.5, 0, 0.5, 0]])
    got = exprdiff.Prod(p, axis=1).grad(ZEROS)[p]
    np.testing.assert_array_equal(got, [[0, 6, 0, 0], [0, 0, 0, 0], [-1, -0.75, 1.5, -3]])
    np.testing.assert_allclose(got, numeric_grad(exprdiff.Prod(p, axis=1), ZEROS)[p], atol=1e-9)


def test_indexing_prints_as_python_and_parses_back():
    """The key prints as Python writes it; the text evaluates back to the same node."""
    x = Input("x")
    cases = [x[0], x[1:3], x[::-1], x[:, 1], x[..., None], x[[0, 2, 2]], x[1, -2:],
             (x + 1)[0], x[np.array([True, False])]]
    texts = ["x[0]", "x[1:3]", "x[::-1]", "x[:, 1]", "x[..., None]", "x[[0, 2, 2]]", "x[1, -2:]",
             "(x + 1)[0]", "x[[True, False]]"]
    assert [str(node) for node in cases] == texts
    for node, text in zip(cases, texts):
        assert eval(text, {"x": x}).equals(node)
    assert to_latex(x[0, 1:3]) == r"x\left[0, 1:3\right]"
    assert to_latex((x + 1)[::2]) == r"\left(x + 1\right)\left[::2\right]"


@pytest.mark.parametrize("name", sorted(CASES))
def test_saved_exported_drawn_copied(name):
    """Each case survives save/load, pickle and deepcopy, exports to NumPy code that computes
    it, and draws."""
    build, _ = CASES[name]
    expr = build()
    value = expr(DATA)
    loaded, _ = loads(dumps(expr))
    leaves = named_leaves(loaded)
    np.testing.assert_array_equal(loaded({leaves[k.name]: DATA[k] for k in DATA
                                           if k.name in leaves}), value)
    for twin in (pickle.loads(pickle.dumps(expr)), copy.deepcopy(expr)):
        twins = named_leaves(twin)
        np.testing.assert_array_equal(twin({twins[k.name]: DATA[k] for k in DATA
                                            if k.name in twins}), value)
    namespace: dict = {}
    exec(to_python(expr), namespace)
    present = named_leaves(expr)
    np.testing.assert_array_equal(namespace["model"](**{k.name: DATA[k] for k in DATA
                                                        if k.name in present}), value)
    assert "digraph" in to_dot(expr)


def test_a_scalar_result_is_a_float_and_a_view_is_never_handed_out():
    """x[1, 2] of an array is a float; x[0] of the caller's array is a copy, not a view."""
    data = np.arange(6.0).reshape(2, 3)
    x = Input("x")
    assert x[1, 2]({}, {x: data}) == 5.0 and type(x[1, 2]({}, {x: data})) is float
    row = x[0]({}, {x: data})
    row[0] = 99.0
    assert data[0, 0] == 0.0


@pytest.mark.parametrize("make, error, message", [
    (lambda: p[Input("i")], TypeError, "indices must be constants .* not the expression i"),
    (lambda: p["a"], TypeError, "indices must be integers, slices, None"),
    (lambda: p[1.5], TypeError, "indices must be integers"),
    (lambda: p[0:2:0], ValueError, "slice step cannot be zero"),
    (lambda: p[..., ...], IndexError, "single ellipsis"),
    (lambda: exprdiff.Reshape(p, (2, -1, -1)), ValueError, r"Reshape: sizes must be >= 0 \(one may be -1\)"),
    (lambda: exprdiff.Reshape(p, "2"), TypeError, "Reshape: the shape must be an int or a tuple"),
    (lambda: exprdiff.Concatenate(), TypeError, "Concatenate takes at least one operand, got 0"),
    (lambda: exprdiff.Stack(p, axis=None), TypeError, "Stack: axis must be an int, got None"),
    (lambda: exprdiff.Var(p, ddof=-1), TypeError, "Var: ddof must be an int >= 0"),
    (lambda: exprdiff.Sum(p, keepdims=1), TypeError, "Sum: keepdims must be True or False"),
])
def test_bad_settings_are_refused_naming_the_problem(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("make, data, error, message", [
    (lambda: p[5], {p: np.zeros(3)}, IndexError,
     r"Index \(p\[5\]\): index 5 is out of bounds for axis 0 with size 3"),
    (lambda: p[0, 0], {p: np.zeros(3)}, IndexError, r"Index \(p\[0, 0\]\): too many indices"),
    (lambda: exprdiff.Reshape(p, (4,)), {p: np.zeros(3)}, ValueError,
     r"Reshape \(reshape\(p, newshape=\(4,\)\)\): cannot reshape array of size 3"),
    (lambda: exprdiff.Concatenate(p, q), {p: np.zeros(3), q: np.zeros((2, 2))}, ValueError,
     r"Concatenate \(concatenate\(p, q, axis=0\)\): all the input array"),
])
def test_evaluation_errors_name_the_operation(make, data, error, message):
    with pytest.raises(error, match=message):
        make()(data)


@pytest.mark.parametrize("make", [
    lambda: exprdiff.Concatenate(p, q * 2.0, r, axis=0),
    lambda: exprdiff.Stack(p, q, p, axis=-1),
])
def test_joins_keep_their_operands_and_gradients_through_save_export_and_dot(make):
    """Concatenate and Stack: the loaded form gives the same value and gradient bits, the
    exported code the same value (exported gradients are elementwise only); DOT draws the
    operation with its setting and one edge per operand, a repeated operand twice."""
    join = make()
    expr = join * 1.5
    params = {leaf: DATA[leaf] for leaf in (p, q, r) if leaf in exprdiff.topological_order(expr)}
    value, grads = expr(params), expr.grad(params)
    loaded, loaded_params = loads(dumps(expr, params))
    np.testing.assert_array_equal(loaded(loaded_params), value)
    by_name = {leaf.name: leaf for leaf in params}
    for leaf, g in loaded.grad(loaded_params).items():
        np.testing.assert_array_equal(g, grads[by_name[leaf.name]])
    namespace: dict = {}
    exec(to_python(expr), namespace)
    np.testing.assert_array_equal(
        namespace["model"](**{leaf.name: v for leaf, v in params.items()}), value)
    dot = to_dot(expr)
    label = f"<b>{type(join).__name__.lower()}(axis={join.axis})</b>"
    node_id = next(line.split()[0] for line in dot.splitlines() if label in line)
    into_join = [line for line in dot.splitlines() if line.strip().endswith(f"-> {node_id};")]
    assert len(into_join) == len(join.children) == 3
