"""Random expression DAGs over every built-in operation, and points to evaluate them at.

The differential fuzzer (``test_fuzz_paths.py``) draws its examples here.  An
example is a `Case`: an expression DAG built step by step, each step an
operation from `OP_TABLE` applied to earlier nodes (so subexpressions are
shared), with the leaves it uses and their shapes.  Two families:

* ``arrays=False``: elementwise operations only, every leaf a scalar (the
  paths that must agree bit for bit between a sample and a batch);
* ``arrays=True``: every operation, leaves of shapes that broadcast
  (``()``, ``(3,)``, ``(2, 3)``, ``(1, 3)``, ``(2, 1)``), with matrix
  products, reductions along drawn axes, transposes and class scores where
  the operands' shapes allow them (checked by running each new node's
  forward function on probe arrays of its operands' shapes).

`OP_TABLE` is the one place that says, per operation class, how the fuzzer
builds it and which domain each operand should come from; `Row.domains`
names a `DOMAINS` adapter per operand (``positive`` for `Log`'s operand,
``moderate`` for `Exp`'s...).  Domains are respected most of the time, not
always, so that the NaN and inf paths are exercised too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st
from op_table import TABLE as TEST_TABLE

import exprdiff.ops
from exprdiff import (
    Abs,
    Add,
    ClassScore,
    Clip,
    Constant,
    Cos,
    Divide,
    Exp,
    Input,
    Log,
    LogSumExp,
    MatMul,
    Mean,
    Multiply,
    Negate,
    Node,
    Parameter,
    Power,
    ReLU,
    Sigmoid,
    Sign,
    Sin,
    Softmax,
    Softplus,
    Sqrt,
    Subtract,
    Sum,
    SumOfSquares,
    Tanh,
    Transpose,
)

__all__ = ["DOMAINS", "OP_TABLE", "Case", "cases", "moderate_point", "wild_point"]

#: leaf shapes of the array family: all of them broadcast together, to (2, 3)
LEAF_SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1)]
#: scalar constants written into expressions
CONSTANTS = [0.5, 2.0, -1.5, 3.0, 0.0, 1.0, -1.0, 1e-3, 10.0]
#: element values of "wild" points: the special values first (hypothesis shrinks towards them)
SPECIALS = [0.0, 1.0, -1.0, 0.5, 2.0, -0.0, 3.0, -2.5, 1e-8, 1e-310, 1e300, -1e300, 700.0, -750.0,
            1000.0, np.inf, -np.inf, np.nan]
#: how much of the time an operand is adapted to its operation's domain
DOMAIN_RESPECTED = 0.85
MAX_STEPS = 8


# -- domains: adapters that map any operand into the region where an op is smooth -----
DOMAINS: dict[str, Callable[[Node], Node]] = {
    "any": lambda a: a,
    "positive": lambda a: a * a + 0.25,           # log, sqrt, a base with a variable exponent
    "nonzero": lambda a: a * a + 0.5,             # a divisor
    "moderate": lambda a: Tanh(a) * 3.0,          # an exponent: exp stays far from overflow
}


@dataclass(frozen=True)
class Row:
    """How the fuzzer builds one operation: arity, operand domains and a builder.

    ``build(draw, operands, probes, labels)`` returns the node (or None when
    the drawn operands do not suit the operation); by default the class
    itself.  ``labels`` collects the class-label Inputs a builder creates.
    """

    arity: int
    domains: tuple[str, ...]
    build: Callable | None = None


def _axis(draw, ndim: int, default_last: bool = False):
    """An axis setting valid for an operand of ``ndim`` axes: None, an int or a tuple."""
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(["none", "int", "tuple", "last"] if default_last
                                else ["none", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "last":
        return -1
    axes = list(range(ndim))
    if kind == "int":
        a = draw(st.sampled_from(axes))
        return a - ndim if draw(st.booleans()) else a
    chosen = draw(st.lists(st.sampled_from(axes), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


def _reduction(cls, default_last=False):
    def build(draw, operands, probes, labels):
        return cls(operands[0], axis=_axis(draw, np.ndim(probes[0]), default_last))
    return build


def _transpose(draw, operands, probes, labels):
    ndim = np.ndim(probes[0])
    if ndim == 0 or draw(st.booleans()):
        return Transpose(operands[0])
    order = draw(st.permutations(range(ndim)))
    return Transpose(operands[0], tuple(a - ndim if draw(st.booleans()) else a for a in order))


def _clip(draw, operands, probes, labels):
    low = draw(st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5]))
    high = low + draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, np.inf]))
    return Clip(operands[0], low, high)


def _power(draw, operands, probes, labels):
    if draw(st.booleans()):  # a constant exponent: any base
        return Power(operands[0], draw(st.sampled_from([2.0, 3.0, 0.0, 1.0, -1.0, 0.5, -2.0, 1.5])))
    return Power(DOMAINS["positive"](operands[0]), DOMAINS["moderate"](operands[1]))


def _class_score(draw, operands, probes, labels):
    shape = np.shape(probes[0])
    if not shape:
        return None
    if draw(st.booleans()):  # one-hot rows / probabilities: an expression of the logits' shape
        if np.shape(probes[1]) != shape:
            return None
        return ClassScore(operands[0], operands[1])
    label = Input(f"label{len(labels)}")  # integer class labels: data, no gradient
    labels[label] = (shape[:-1], shape[-1])
    return ClassScore(operands[0], label)

def _with_setting(cls, name: str, choices: list):
    def build(draw, operands, probes, labels):
        return cls(operands[0], **{name: draw(st.sampled_from(choices))})
    return build


def _condition(draw, operands, probes, labels):
    """A condition over the operands, taken through the where it is for (conditions are used
    only by where, &, |, ~).  Thresholds are 0 and ±0.1, which moderate points (magnitudes
    0.2 to 3) never reach: a where's kink, unlike a clip's, has no central-difference slope."""
    a, b = operands[0], operands[1]
    kind = draw(st.sampled_from([">", ">=", "<", "<=", "&", "|", "~", "isnan"]))
    condition = {
        ">": lambda: a > b, ">=": lambda: a >= b, "<": lambda: a < b, "<=": lambda: a <= b,
        "&": lambda: (a > 0) & (b < 0.1), "|": lambda: (a > -0.1) | (b < 0), "~": lambda: ~(a > b),
        "isnan": lambda: exprdiff.ops.Isnan(a) | (b > 0),
    }[kind]()
    # a + 0.37, not a: where(a > b, a, b) is max(a, b), whose corner at a = b central
    # differences would see as a slope of 1/2 (a jump they see as a jump)
    return exprdiff.ops.Where(condition, a + 0.37, b)


def _where(draw, operands, probes, labels):
    condition = operands[0] > draw(st.sampled_from([0.0, 0.1, -0.1]))  # see _condition
    return exprdiff.ops.Where(condition, operands[1], operands[2])


def _kept_reduction(cls, **more):
    def build(draw, operands, probes, labels):
        settings = {key: draw(st.sampled_from(values)) for key, values in more.items()}
        axis = _axis(draw, np.ndim(probes[0]))
        if settings.get("ddof"):  # ddof 1 only over slices of two or more (NumPy warns else)
            shape = np.shape(probes[0])
            axes = range(len(shape)) if axis is None else (axis,) if type(axis) is int else axis
            if int(np.prod([shape[a] for a in axes])) < 2:
                settings["ddof"] = 0
        return cls(operands[0], axis=axis, keepdims=draw(st.booleans()), **settings)
    return build


def _untied(node, probe):
    """``node`` plus a small ramp over its elements: moderate points often repeat a value, and
    at a tie max and min share the gradient evenly (PyTorch's amax), where central
    differences see the mean of the one-sided slopes."""
    shape = np.shape(probe)
    if not shape:
        return node
    return node + Constant(0.0173 * np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape))


def _extreme(cls):
    def build(draw, operands, probes, labels):
        return cls(_untied(operands[0], probes[0]), axis=_axis(draw, np.ndim(probes[0])),
                   keepdims=draw(st.booleans()))
    return build


def _fmax_like(cls):
    def build(draw, operands, probes, labels):
        # a tie goes wholly to a (PyTorch): b moved off the values a moderate point repeats
        return cls(operands[0], operands[1] + 0.0173)
    return build


def _reshape(draw, operands, probes, labels):
    shape = np.shape(probes[0])
    size = int(np.prod(shape))
    target = draw(st.sampled_from([(-1,), (1, -1), (size, 1), shape[::-1] if shape else (1,)]))
    return exprdiff.ops.Reshape(operands[0], target)


def _expand_dims(draw, operands, probes, labels):
    ndim = np.ndim(probes[0])
    return exprdiff.ops.ExpandDims(operands[0], draw(st.integers(-ndim - 1, ndim)))


def _squeeze(draw, operands, probes, labels):
    return exprdiff.ops.Squeeze(exprdiff.ops.ExpandDims(operands[0], 0))


def _broadcast_to(draw, operands, probes, labels):
    return exprdiff.ops.BroadcastTo(operands[0], draw(st.sampled_from([(2, 3), (4, 2, 3), (3,)])))


def _joined(cls):
    def build(draw, operands, probes, labels):
        shapes = {np.shape(p) for p in probes}
        if len(shapes) > 1 or not all(np.ndim(p) for p in probes) and cls is exprdiff.ops.Concatenate:
            return None
        ndim = np.ndim(probes[0]) + (cls is exprdiff.ops.Stack)
        axis = draw(st.integers(-ndim, ndim - 1)) if ndim else 0
        return cls(*operands, axis=axis)
    return build


def _index(draw, operands, probes, labels):
    shape = np.shape(probes[0])
    if not shape:
        return None
    key = draw(st.sampled_from([0, -1, slice(None, None, -1), [0, -1, 0], slice(1, None),
                                (Ellipsis, 0), "mask"]))
    if key == "mask":
        key = np.array(draw(st.lists(st.booleans(), min_size=shape[0], max_size=shape[0])))
    return operands[0][key]


def builtin_operations() -> list[type]:
    """The operation classes exprdiff exports (the fuzzer must know every one)."""
    return [getattr(exprdiff.ops, name) for name in exprdiff.ops.__all__]


#: per operation class: how the fuzzer builds it and where its operands come from
OP_TABLE: dict[type, Row] = {
    Add: Row(2, ("any", "any")),
    Subtract: Row(2, ("any", "any")),
    Multiply: Row(2, ("any", "any")),
    Divide: Row(2, ("any", "nonzero")),
    Power: Row(2, ("any", "any"), _power),
    Negate: Row(1, ("any",)),
    Exp: Row(1, ("moderate",)),
    Log: Row(1, ("positive",)),
    Sqrt: Row(1, ("positive",)),
    Abs: Row(1, ("any",)),
    Sign: Row(1, ("any",)),
    Sin: Row(1, ("any",)),
    Cos: Row(1, ("any",)),
    Tanh: Row(1, ("any",)),
    Sigmoid: Row(1, ("any",)),
    ReLU: Row(1, ("any",)),
    Softplus: Row(1, ("any",)),
    Clip: Row(1, ("any",), _clip),
    MatMul: Row(2, ("any", "any")),
    Sum: Row(1, ("any",), _reduction(Sum)),
    Mean: Row(1, ("any",), _reduction(Mean)),
    SumOfSquares: Row(1, ("any",), _reduction(SumOfSquares)),
    LogSumExp: Row(1, ("any",), _reduction(LogSumExp, default_last=True)),
    Softmax: Row(1, ("any",), _reduction(Softmax, default_last=True)),
    Transpose: Row(1, ("any",), _transpose),
    ClassScore: Row(2, ("any", "any"), _class_score),
    # issue 12's operations that the op test table alone cannot describe: settings, conditions
    # (each taken through a where), three operands, the array operations
    exprdiff.ops.Round: Row(1, ("any",), _with_setting(exprdiff.ops.Round, "decimals", [0, 1, -1])),
    exprdiff.ops.LeakyReLU: Row(1, ("any",), _with_setting(exprdiff.ops.LeakyReLU, "slope",
                                                           [0.01, 0.2, -0.5, 2.0])),
    exprdiff.ops.ELU: Row(1, ("any",), _with_setting(exprdiff.ops.ELU, "alpha", [1.0, 0.5, 2.0])),
    exprdiff.ops.Where: Row(3, ("any", "any", "any"), _where),
    **{getattr(exprdiff.ops, name): Row(2, ("any", "any"), _condition) for name in (
        "Greater", "GreaterEqual", "Less", "LessEqual", "LogicalAnd", "LogicalOr", "LogicalNot",
        "Isnan")},
    exprdiff.ops.Max: Row(1, ("any",), _extreme(exprdiff.ops.Max)),
    exprdiff.ops.Min: Row(1, ("any",), _extreme(exprdiff.ops.Min)),
    exprdiff.ops.Fmax: Row(2, ("any", "any"), _fmax_like(exprdiff.ops.Fmax)),
    exprdiff.ops.Fmin: Row(2, ("any", "any"), _fmax_like(exprdiff.ops.Fmin)),
    exprdiff.ops.Prod: Row(1, ("moderate",), _kept_reduction(exprdiff.ops.Prod)),
    exprdiff.ops.Var: Row(1, ("any",), _kept_reduction(exprdiff.ops.Var, ddof=[0, 1])),
    exprdiff.ops.Std: Row(1, ("any",), _kept_reduction(exprdiff.ops.Std, ddof=[0, 1])),
    exprdiff.ops.Reshape: Row(1, ("any",), _reshape),
    exprdiff.ops.ExpandDims: Row(1, ("any",), _expand_dims),
    exprdiff.ops.Squeeze: Row(1, ("any",), _squeeze),
    exprdiff.ops.BroadcastTo: Row(1, ("any",), _broadcast_to),
    exprdiff.ops.Concatenate: Row(2, ("any", "any"), _joined(exprdiff.ops.Concatenate)),
    exprdiff.ops.Stack: Row(2, ("any", "any"), _joined(exprdiff.ops.Stack)),
    exprdiff.ops.Index: Row(1, ("any",), _index),
}


def _domain_adapter(domain) -> Callable[[Node], Node]:
    """Any operand mapped into an op test table `Domain` (its positive side), smoothly."""
    low, high = domain.ends
    return lambda a: low + (high - low) * Sigmoid(a)


def _rows_from_op_table() -> dict[type, Row]:
    """Rows for the elementwise ops without settings that only the op test table knows:
    each operand comes from the table's domain, so a new op is fuzzed from its one row."""
    rows = {}
    for op in builtin_operations():
        table_row = TEST_TABLE.get(op.__name__)
        if op in OP_TABLE or table_row is None or not op.elementwise or op.settings:
            continue
        names = []
        for i, domain in enumerate(table_row.domains):
            name = f"{op.__name__}:{i}"
            DOMAINS[name] = _domain_adapter(domain)
            names.append(name)
        rows[op] = Row(len(names), tuple(names))
    return rows


OP_TABLE.update(_rows_from_op_table())
ELEMENTWISE_OPS = [op for op in OP_TABLE if op.elementwise]
ALL_OPS = list(OP_TABLE)


@dataclass(frozen=True)
class Case:
    """One example: the expression, its leaves and their shapes."""

    expr: Node
    params: tuple  # the Parameters occurring in expr, in topological order
    inputs: tuple  # the value Inputs occurring in expr (not the class labels)
    labels: dict = field(default_factory=dict)  # class-label Input -> (shape, classes)
    shapes: dict = field(default_factory=dict)  # leaf -> shape
    arrays: bool = False

    @property
    def elementwise(self) -> bool:
        from exprdiff import topological_order

        return all(type(node).elementwise for node in topological_order(self.expr))

    def describe(self) -> str:
        shapes = ", ".join(f"{leaf.label}{self.shapes[leaf]}" for leaf in (*self.params, *self.inputs))
        return f"{self.expr}   [{shapes}]"


def _probe(shape: tuple) -> np.float64 | np.ndarray:
    return np.full(shape, 0.5) if shape else np.float64(0.5)


@st.composite
def cases(draw, arrays: bool = False, max_steps: int = MAX_STEPS) -> Case:
    """An expression DAG of up to ``max_steps`` operations over shared earlier nodes."""
    from exprdiff import topological_order

    params = [Parameter(f"p{i}") for i in range(3)]
    inputs = [Input(f"x{i}") for i in range(2)]
    shapes = {leaf: (draw(st.sampled_from(LEAF_SHAPES)) if arrays else ())
              for leaf in (*params, *inputs)}
    pool: list[Node] = [*params, *inputs]
    probes: dict = {leaf: _probe(shapes[leaf]) for leaf in pool}
    for _ in range(draw(st.integers(0, 2))):
        shape = draw(st.sampled_from(LEAF_SHAPES)) if arrays else ()
        value = (draw(st.sampled_from(CONSTANTS)) if not shape else
                 np.array(draw(st.lists(st.sampled_from(CONSTANTS), min_size=int(np.prod(shape)),
                                        max_size=int(np.prod(shape))))).reshape(shape))
        constant = Constant(value)
        pool.append(constant)
        probes[constant] = _probe(shape)
    ops = ALL_OPS if arrays else ELEMENTWISE_OPS
    made_labels: dict = {}  # class-label Input -> (shape, number of classes)
    built = 0
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(ops))
        row = OP_TABLE[op]
        operands = []
        for domain in row.domains:
            # half the time the newest node, so expressions grow deep, not only wide
            pick = pool[-1] if draw(st.booleans()) else pool[draw(st.integers(0, len(pool) - 1))]
            if draw(st.floats(0, 1)) < DOMAIN_RESPECTED:
                pick = DOMAINS[domain](pick)
            operands.append(pick)
        for node in operands:
            _add_probes(node, probes, made_labels)
        operand_probes = [probes[node] for node in operands]
        node = (row.build(draw, operands, operand_probes, made_labels) if row.build
                else op(*operands))
        if node is None:
            continue
        _add_probes(node, probes, made_labels)
        if node not in probes:
            continue  # the operands' shapes do not suit the operation
        pool.append(node)
        built += 1
    leafless = not any(isinstance(n, (Parameter, Input)) for n in topological_order(pool[-1]))
    if not built or not pool[-1].children or leafless:
        root = params[0] * pool[-1] + inputs[0]
        _add_probes(root, probes, made_labels)
        if root not in probes:
            root = params[0] * inputs[0]
    else:
        root = pool[-1]
    order = topological_order(root)
    present = set(order)
    labels = {leaf: spec for leaf, spec in made_labels.items() if leaf in present}
    leaf_shapes = dict(shapes)
    leaf_shapes.update({leaf: spec[0] for leaf, spec in labels.items()})
    return Case(root, tuple(n for n in order if isinstance(n, Parameter)),
                tuple(n for n in order if isinstance(n, Input) and n not in labels),
                labels, leaf_shapes, arrays)


def _add_probes(root: Node, probes: dict, labels: dict) -> None:
    """Probe values (shapes) for every node under ``root``; a node whose forward function
    refuses its operands' shapes gets none."""
    from exprdiff import topological_order

    for node in topological_order(root):
        if node in probes:
            continue
        if not node.children:
            if isinstance(node, Constant):
                probes[node] = node.value if np.ndim(node.value) else np.float64(node.value)
            elif node in labels:
                probes[node] = np.zeros(labels[node][0])
            continue
        if not all(child in probes for child in node.children):
            continue
        with np.errstate(all="ignore"):
            try:
                probes[node] = node.forward(*[probes[child] for child in node.children])
            except (ValueError, TypeError, IndexError, ArithmeticError):
                pass


# -- points ---------------------------------------------------------------------------
def _values(draw, shape: tuple, element) -> float | np.ndarray:
    if not shape:
        return float(draw(element))
    count = int(np.prod(shape))
    return np.array(draw(st.lists(element, min_size=count, max_size=count)), dtype=np.float64
                    ).reshape(shape)


_WILD = st.one_of(st.sampled_from(SPECIALS), st.floats(-1e3, 1e3, allow_nan=False),
                  st.floats(allow_nan=True, allow_infinity=True))
#: moderate values: magnitudes in [0.2, 3] of either sign, away from every kink and singularity
_MODERATE = st.tuples(st.floats(0.2, 3.0), st.booleans()).map(lambda t: t[0] if t[1] else -t[0])


def _point(draw, case: Case, element, batch: int | None) -> tuple[dict, dict]:
    """Values for every leaf of ``case``; with ``batch``, each scalar leaf a (batch,) array."""
    shape_of = (lambda leaf: case.shapes[leaf]) if batch is None else (lambda leaf: (batch,))
    params = {p: _values(draw, shape_of(p), element) for p in case.params}
    inputs = {x: _values(draw, shape_of(x), element) for x in case.inputs}
    for label, (shape, classes) in case.labels.items():
        inputs[label] = _values(draw, shape, st.integers(0, classes - 1).map(float))
    return params, inputs


@st.composite
def wild_point(draw, case: Case, batch: int | None = None) -> tuple[dict, dict]:
    """Values anywhere: zeros of both signs, infinities, NaN, subnormals, huge and tiny numbers."""
    return _point(draw, case, _WILD, batch)


@st.composite
def moderate_point(draw, case: Case, batch: int | None = None) -> tuple[dict, dict]:
    """Values of magnitude 0.2 to 3, where tolerances have a meaning (see the fuzz module)."""
    return _point(draw, case, _MODERATE, batch)
